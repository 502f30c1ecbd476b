"""Validation time and peak memory on a generated CSV of N rows (streaming: memory stays flat).

    python bench/validate_stream.py 1000000 3000000

Each size is validated in a fresh process (peak RSS of that process); then one row of the
large file changes and an unchanged small file is checked incrementally (only it is re-read).
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

SCHEMA = {"fields": [
    {"name": "id", "type": "integer"},
    {"name": "reporter", "type": "string", "constraints": {"required": True, "enum": [f"R{i:02d}" for i in range(60)]}},
    {"name": "year", "type": "integer", "constraints": {"minimum": 1995, "maximum": 2024}},
    {"name": "value_keur", "type": "number", "constraints": {"minimum": 0}},
    {"name": "share", "type": "number", "unit": "percent"}], "primaryKey": ["id"]}

CHILD = """
import json, resource, sys, time
from pathlib import Path
from reprobook import validate
root = Path(sys.argv[1]); previous = json.loads(sys.argv[2])
t = time.perf_counter()
out = validate.validate_changed(root / "data/datapackage.json", root, previous)
print(json.dumps({"seconds": time.perf_counter() - t, "problems": len(out.problems), "checked": out.checked,
                  "digests": out.digests, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def project(root: Path, rows: int) -> None:
    data = root / "data"
    data.mkdir(parents=True)
    with open(data / "big.csv", "w", encoding="utf-8", newline="") as fh:
        fh.write("id,reporter,year,value_keur,share\n")
        for i in range(rows):
            fh.write(f"{i},R{i % 60:02d},{1995 + i % 30},{(i * 7919) % 1000003}.5,{i % 100}.25\n")
    (data / "small.csv").write_text("x\n1\n", encoding="utf-8")
    pkg = {"name": "bench", "resources": [
        {"name": "big", "path": "big.csv", "schema": SCHEMA},
        {"name": "small", "path": "small.csv", "schema": {"fields": [{"name": "x", "type": "integer"}]}}]}
    (data / "datapackage.json").write_text(json.dumps(pkg), encoding="utf-8")


def run(root: Path, previous: dict) -> dict:
    """Validate in a fresh process; its report, with its peak RSS in MB."""
    proc = subprocess.run([sys.executable, "-c", CHILD, str(root), json.dumps(previous)],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def main(sizes: list[int]) -> None:
    print("| rows | MB of CSV | full check (s) | peak RSS (MB) | rows/s | small file changed (s) |")
    print("|---:|---:|---:|---:|---:|---:|")
    for rows in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            project(root, rows)
            size = (root / "data/big.csv").stat().st_size / 1e6
            full = run(root, {})
            assert full["problems"] == 0, full
            (root / "data/small.csv").write_text("x\n2\n", encoding="utf-8")
            again = run(root, full["digests"])
            assert again["checked"] == ["data/small.csv"], again["checked"]
            print(f"| {rows:,} | {size:.0f} | {full['seconds']:.1f} | {full['rss_mb']:.0f} | {rows / full['seconds']:,.0f} "
                  f"| {again['seconds']:.2f} |", flush=True)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1_000_000, 3_000_000])
