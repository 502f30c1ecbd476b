"""What a user would otherwise run on the same notebooks: sequential papermill + jupyter-book build,
and Jupyter Book executing the notebooks itself (execute_notebooks: force).

Notebook conversion (jupytext .py -> .ipynb) and parameter injection happen before the timing.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from harness import (BENCH, JUPYTER_BOOK, PY, CommandFailed, Progress, Row, Sample, Workspace, clone, engine_env,
                     measure, repeat)
from realbook import RealBook
from settings import Settings

FAILED_MARKERS = ("Executing notebook failed", "Execution Failed", "CellExecutionError")


def load_jobs(project: Path) -> dict[str, dict]:
    return yaml.safe_load((project / "pipeline.yml").read_text(encoding="utf-8"))["jobs"]


def to_ipynb(src: Path, dest: Path, parameters: dict | None = None) -> Path:
    """Convert a jupytext notebook; with `parameters`, inject them the way papermill does."""
    import jupytext
    import nbformat

    nb = jupytext.read(src)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dest)
    if parameters is not None:
        import papermill

        papermill.execute_notebook(str(dest), str(dest), parameters=parameters, prepare_only=True,
                                   kernel_name="python3", progress_bar=False, log_output=False)
    return dest


def book_copy(ws: Workspace, snap: Path, results: Path, name: str) -> Path:
    """A fresh copy of the project with the results of one of our cold builds and no _build/."""
    copy = clone(snap, ws.fresh(name))
    shutil.copytree(results, copy / "results")
    return copy


def add_notebook_pages(project: Path, jobs: dict[str, dict]) -> list[str]:
    """Each job's notebook (parameters injected) as a page in a part 'Notebooks'; execution forced."""
    pages = []
    for name, job in jobs.items():
        to_ipynb(project / job["notebook"], project / "notebooks" / f"{name}.ipynb", job.get("parameters") or {})
        pages.append(f"notebooks/{name}.ipynb")
    toc = yaml.safe_load((project / "_toc.yml").read_text(encoding="utf-8"))
    toc.setdefault("parts", []).append({"caption": "Notebooks", "chapters": [{"file": p} for p in pages]})
    (project / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False), encoding="utf-8")
    cfg = yaml.safe_load((project / "_config.yml").read_text(encoding="utf-8"))
    cfg["exclude_patterns"] = [p for p in cfg.get("exclude_patterns", []) if p not in ("notebooks", "*.ipynb")]
    cfg["execute"] = {**(cfg.get("execute") or {}), "execute_notebooks": "force", "timeout": 900}
    (project / "_config.yml").write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return pages


def jupyter_book_once(project: Path, ws: Workspace, name: str, **env_extra: str):
    """One `jupyter-book build <copy>` from scratch; a notebook that failed to execute fails the run."""
    def once(i: int) -> Sample:
        shutil.rmtree(project / "_build", ignore_errors=True)
        extra = {k: (v.format(i=i) if "{i}" in v else v) for k, v in env_extra.items()}
        sample, log = measure([JUPYTER_BOOK, "build", str(project)], project, engine_env(project, ws, **extra), ws,
                              f"{name}{i}")
        text = log.read_text(encoding="utf-8", errors="replace")
        bad = [ln for ln in text.splitlines() if any(m in ln for m in FAILED_MARKERS)]
        if bad:
            raise CommandFailed(f"jupyter-book could not execute a notebook ({log.name}):\n  " + "\n  ".join(bad[:5]))
        if not (project / "_build" / "html" / "index.html").is_file():
            raise CommandFailed(f"jupyter-book wrote no _build/html/index.html ({log.name})")
        return sample
    return once


def run(rb: RealBook, ws: Workspace, snap: Path, settings: Settings, progress: Progress) -> None:
    source = rb.for_baseline
    jobs = load_jobs(snap)
    progress("baseline: sequential papermill on every job's notebook (converted to .ipynb before the timing)")
    ipynb = {nb: to_ipynb(snap / nb, ws.dir("baseline/ipynb") / Path(nb).with_suffix(".ipynb").name)
             for nb in sorted({j["notebook"] for j in jobs.values()})}
    papermill = rb.add(Row("papermill", "sequential papermill", "papermill <job notebook> (one after another)",
                           note="papermill's Python API in one process, each job's parameters, REPROBOOK_OUTPUT per job"))

    def papermill_once(i: int) -> Sample:
        out = ws.fresh(f"baseline/papermill{i}")
        out.mkdir()
        plan = [{"job": name, "notebook": str(ipynb[job["notebook"]]), "parameters": job.get("parameters") or {},
                 "output_dir": str(out / name), "executed": str(out / f"{name}.ipynb")} for name, job in jobs.items()]
        plan_path, result = out / "plan.json", out / "result.json"
        plan_path.write_text(json.dumps(plan), encoding="utf-8")
        sample, _ = measure([PY, str(BENCH / "papermill_seq.py"), str(plan_path), str(result)], source,
                            engine_env(source, ws, REPROBOOK_ROOT=str(source)), ws, f"papermill{i}")
        r = json.loads(result.read_text(encoding="utf-8"))
        sample.info.update(notebook_seconds=r["seconds"], notebook_sum_s=round(sum(r["seconds"].values()), 3),
                           import_s=r["import_s"])
        return sample

    repeat(papermill, settings.baseline, papermill_once, progress)

    progress("baseline: jupyter-book build of the same book from scratch")
    plain = book_copy(ws, snap, source / "results", "baseline/book")
    jb = repeat(rb.add(Row("jupyter_book", "jupyter-book build", "jupyter-book build <copy>",
                           note="fresh _build/, results/ from our cold build")),
                settings.baseline, jupyter_book_once(plain, ws, "jupyterbook"), progress)
    combined = rb.add(Row("baseline", "BASELINE: sequential papermill + jupyter-book build",
                          "papermill ...; jupyter-book build <copy>", note="run i = papermill run i + jupyter-book run i",
                          error=papermill.error or jb.error))
    for a, b in zip(papermill.samples, jb.samples):
        combined.samples.append(Sample(round(a.seconds + b.seconds, 4), max(a.maxrss_kb, b.maxrss_kb),
                                       round(a.cpu_s + b.cpu_s, 3),
                                       round((a.other_load * a.seconds + b.other_load * b.seconds)
                                             / (a.seconds + b.seconds), 2),
                                       info={"papermill_s": a.seconds, "jupyter_book_s": b.seconds}))

    progress("baseline: jupyter-book with execute_notebooks: force (notebooks as pages)")
    forced = book_copy(ws, snap, source / "results", "baseline/force")
    rb.facts["force_pages"] = add_notebook_pages(forced, jobs)
    repeat(rb.add(Row("jb_force", "jupyter-book, execute_notebooks: force", "jupyter-book build <copy>",
                      note="the jobs' notebooks (parameters injected) as pages in a part 'Notebooks'")),
           settings.baseline,
           jupyter_book_once(forced, ws, "jbforce", REPROBOOK_ROOT=str(forced),
                             REPROBOOK_OUTPUT=str(ws.root / "baseline" / "force-out{i}")), progress)
