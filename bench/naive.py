"""The naive way, on the same notebooks: papermill one notebook after another, as a user would.

`prepare` converts each job's jupytext notebook to .ipynb and writes its parameters (pipeline.yml's,
a sweep's whole grid in one run) before any timing, plus a shell script that runs the papermill
command line once per job. `python bench/naive.py PLAN.json` is the bench's in-process baseline:
papermill's Python API on the same plan in one process (each notebook still starts its own kernel).
Each job writes into its own output folder (REPROBOOK_OUTPUT), with the project's results/ as input.
"""
from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path


def prepare(project: Path, dest: Path, papermill: str) -> tuple[Path, Path]:
    """Write dest/plan.json and dest/papermill.sh for `project`'s jobs, in the engine's order."""
    import jupytext
    import nbformat
    import yaml

    from reprobook import spec

    pipeline = spec.load(project)
    plan, lines = [], ["set -e"]
    for name in spec.order(pipeline):
        job = pipeline.job(name)
        params = dict(job.parameters)
        if job.sweep is not None:
            params[job.sweep.parameter] = list(job.sweep.points)
        nb = jupytext.read(project / job.notebook)
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        item = {"job": name, "notebook": str(dest / f"{name}.ipynb"), "executed": str(dest / "out" / f"{name}.ipynb"),
                "output": str(dest / "out" / name), "parameters": params}
        nbformat.write(nb, item["notebook"])
        params_file = dest / f"{name}.params.yml"
        params_file.write_text(yaml.safe_dump(params), encoding="utf-8")
        plan.append(item)
        lines.append(f"REPROBOOK_OUTPUT={shlex.quote(item['output'])} {shlex.quote(papermill)} --no-progress-bar "
                     f"{shlex.quote(item['notebook'])} {shlex.quote(item['executed'])} -f {shlex.quote(str(params_file))} "
                     f"--cwd {shlex.quote(str(project))}")
    (dest / "plan.json").write_text(json.dumps(plan, indent=1), encoding="utf-8")
    (dest / "papermill.sh").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dest / "plan.json", dest / "papermill.sh"


def in_process(plan_file: Path, project: Path) -> None:
    """papermill.execute_notebook on each job of the plan, one after another, in this process."""
    import papermill

    for item in json.loads(plan_file.read_text(encoding="utf-8")):
        os.environ["REPROBOOK_OUTPUT"] = item["output"]
        papermill.execute_notebook(item["notebook"], item["executed"], parameters=item["parameters"],
                                   cwd=str(project), progress_bar=False)


if __name__ == "__main__":
    in_process(Path(sys.argv[1]), Path(sys.argv[2]))
