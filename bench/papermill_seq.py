"""Baseline helper: papermill on each notebook, one after another, in one Python process.

    python bench/papermill_seq.py PLAN.json RESULT.json

PLAN.json: a list of {"job", "notebook" (.ipynb), "parameters", "output_dir", "executed"}.
Each notebook runs with REPROBOOK_OUTPUT=<its output_dir> and cwd=<its output_dir>; the
caller sets REPROBOOK_ROOT. RESULT.json gets each notebook's seconds and papermill's import time.
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path


def main(plan_path: str, result_path: str) -> int:
    t0 = time.perf_counter()
    import papermill

    import_s = time.perf_counter() - t0
    seconds = {}
    for item in json.loads(Path(plan_path).read_text(encoding="utf-8")):
        out = Path(item["output_dir"])
        out.mkdir(parents=True, exist_ok=True)
        os.environ["REPROBOOK_OUTPUT"] = str(out)
        t = time.perf_counter()
        papermill.execute_notebook(item["notebook"], item["executed"], parameters=item["parameters"],
                                   kernel_name="python3", cwd=str(out), progress_bar=False, log_output=False)
        seconds[item["job"]] = round(time.perf_counter() - t, 3)
        print(f"papermill {item['job']}: {seconds[item['job']]:.2f} s", flush=True)
    Path(result_path).write_text(json.dumps({"import_s": round(import_s, 3), "seconds": seconds}), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
