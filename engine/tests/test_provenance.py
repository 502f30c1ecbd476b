"""The executed notebook as a record, which cell saved what, and what the book says about it."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest

from reprobook import provenance as prov


def executed(root: Path, run: Path, counts=(7, 8, 9), when="2026-12-01T03:07:51Z") -> nbformat.NotebookNode:
    """An executed notebook as papermill leaves it: timings, paths, a memory address, split streams."""
    nb = nbformat.v4.new_notebook()
    timing = {"papermill": {"duration": 0.1, "start_time": when, "status": "completed", "exception": False},
              "execution": {"iopub.status.busy": when}, "tags": []}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Title", metadata=dict(timing)),
        nbformat.v4.new_code_cell("x = 1", metadata={**timing, "tags": ["parameters"]}, execution_count=counts[0]),
        nbformat.v4.new_code_cell("print(...)", metadata=dict(timing), execution_count=counts[1], outputs=[
            nbformat.v4.new_output("stream", name="stdout", text=f"wrote {run}/out/tables/t.csv\n"),
            nbformat.v4.new_output("stream", name="stdout", text=f"read {root}/data/x.csv\n"),
            nbformat.v4.new_output("stream", name="stderr", text=f"{sys.prefix}/lib/x.py:1: Warning\n")]),
        nbformat.v4.new_code_cell("obj", metadata=dict(timing), execution_count=counts[2], outputs=[
            nbformat.v4.new_output("execute_result", {"text/plain": "<object at 0x7f3a2b1c9d40>"},
                                   execution_count=counts[2])]),
    ]
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                   "language_info": {"name": "python", "version": "3.11.7", "pygments_lexer": "ipython3"},
                   "papermill": {"parameters": {"x": 1}, "input_path": f"{run}/input.ipynb", "duration": 5.3,
                                 "start_time": when}}
    return nb


def test_record_notebook_is_deterministic_and_keeps_outputs(tmp_path):
    a_root, b_root = tmp_path / "a", tmp_path / "clone-elsewhere"
    a = prov.dumps(prov.record_notebook(executed(a_root, a_root / "_build/scratch/j-1-2"), "j", {}, a_root,
                                        a_root / "_build/scratch/j-1-2"))
    b = prov.dumps(prov.record_notebook(executed(b_root, b_root / "_build/scratch/j-9-9", counts=(1, 2, 3),
                                                 when="2027-01-01T00:00:00Z"), "j", {}, b_root,
                                        b_root / "_build/scratch/j-9-9"))
    assert a == b  # another machine, folder, run, time and kernel session: the same bytes
    nb = json.loads(a)
    assert [c["id"] for c in nb["cells"]] == ["cell-1", "cell-2", "cell-3", "cell-4"]
    assert [c.get("execution_count") for c in nb["cells"][1:]] == [1, 2, 3]
    assert nb["cells"][1]["metadata"] == {"tags": ["parameters"]} and nb["cells"][0]["metadata"] == {}
    stdout, stderr = nb["cells"][2]["outputs"]
    assert "".join(stdout["text"]) == "wrote <run>/out/tables/t.csv\nread <project>/data/x.csv\n"  # merged, paths relative
    assert "".join(stderr["text"]) == "<env>/lib/x.py:1: Warning\n"
    assert "".join(nb["cells"][3]["outputs"][0]["data"]["text/plain"]) == "<object at 0x…>"
    assert nb["cells"][3]["outputs"][0]["execution_count"] == 3
    assert nb["metadata"] == {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                              "language_info": {"name": "python", "pygments_lexer": "ipython3"},
                              "reprobook": {"job": "j", "parameters": {"x": 1}, "saved": {}}}
    nbformat.validate(nbformat.reads(a, as_version=4))


def test_paths_the_kernel_saw_on_another_machine_are_written_relative(tmp_path):
    worker = {"root": "/tmp/reprobook-job-x1/project", "run": "/tmp/reprobook-job-x1/run", "prefix": "/opt/env"}
    nb = executed(Path(worker["root"]), Path(worker["run"]))
    nb.cells[2].outputs[2]["text"] = "/opt/env/lib/x.py:1: Warning\n"
    local = prov.dumps(prov.record_notebook(executed(tmp_path, tmp_path / "run"), "j", {}, tmp_path, tmp_path / "run"))
    shipped = prov.dumps(prov.record_notebook(nb, "j", {}, tmp_path, tmp_path / "run", kernel=worker))
    assert shipped == local


def test_saved_cells_maps_execution_counts_to_cell_ids(tmp_path):
    nb = executed(tmp_path, tmp_path)
    rows = {"data/x.csv": {"columns": ["id"], "keys": [["a"]]}}
    saved = prov.saved_cells(nb, {"table:t": {"execution_count": 8}, "value:v": {"execution_count": 9, "rows": rows},
                                  "figure:f": {"execution_count": None}, "@paths": {"root": "/x"}})
    assert saved == {"figure:f": {}, "table:t": {"cell": "cell-3"}, "value:v": {"cell": "cell-4", "rows": rows}}
    path = tmp_path / "r.ipynb"
    path.write_text(prov.dumps(prov.record_notebook(nb, "j", saved, tmp_path)))
    assert prov.read_saved(path) == saved
    assert prov.cell_number("cell-4") == 4 and prov.cell_number("x") is None


def test_sweep_record_is_the_notebook_with_the_whole_grid(tmp_path):
    src = tmp_path / "sweep.py"
    src.write_text("# %% tags=[\"parameters\"]\npoints = [0.5]\n\n# %%\nfrom reprobook import nb\n")
    prov.write_sweep_record(tmp_path, "s", tmp_path, src, {"points": [0.1, 0.2]}, {"table:t": {"cell": "cell-3"}})
    nb = json.loads((tmp_path / "out/notebooks/s.ipynb").read_text())
    assert [c["id"] for c in nb["cells"]] == ["cell-1", "cell-2", "cell-3"]
    assert "points = [0.1, 0.2]" in "".join(nb["cells"][1]["source"])  # papermill's injected cell
    assert nb["metadata"]["reprobook"] == {"job": "s", "parameters": {"points": [0.1, 0.2]},
                                           "saved": {"table:t": {"cell": "cell-3"}}}


def test_nb_notes_the_cell_and_the_rows(tmp_path, monkeypatch):
    from reprobook import nb

    monkeypatch.setattr(nb, "_OUT", tmp_path)
    monkeypatch.setattr(nb, "_DECLARED", {"data/flows.csv": "/x/flows.csv"})
    nb.save_value("v", 3, rows={"data/flows.csv": [{"reporter": "KAZ", "year": 2024}, {"reporter": "UZB", "year": 2024}]})
    nb.save_value("w", 4, rows={"data/flows.csv": ["KAZ", ("UZB",)]})
    noted = json.loads((tmp_path / "provenance.json").read_text())
    assert noted["@paths"]["run"] == str(tmp_path.parent) and noted["@paths"]["prefix"] == sys.prefix
    assert noted["value:v"] == {"execution_count": None,  # not in IPython here
                                "rows": {"data/flows.csv": {"columns": ["reporter", "year"],
                                                            "keys": [["KAZ", 2024], ["UZB", 2024]]}}}
    assert noted["value:w"]["rows"] == {"data/flows.csv": {"columns": [], "keys": [["KAZ"], ["UZB"]]}}
    assert "rows" not in json.loads((tmp_path / "values.json").read_text())["v"]  # provenance, not the value
    with pytest.raises(nb.UndeclaredInput, match="not among this job's declared inputs"):
        nb.save_value("x", 1, rows={"data/other.csv": ["a"]})
    with pytest.raises(ValueError, match="different columns"):
        nb.save_value("y", 1, rows={"data/flows.csv": [{"reporter": "KAZ"}, {"year": 2024}]})
    assert "x" not in json.loads((tmp_path / "values.json").read_text())  # checked before anything is written


def test_words_of_a_tooltip():
    art = {"job": "trade", "notebook": "notebooks/trade.py", "cell": "cell-10",
           "inputs": {f"data/f{i}.csv": "" for i in range(8)},
           "rows": {"data/f1.csv": {"columns": ["reporter", "year"], "keys": [["KAZ", 2024]]}}}
    tip = prov.value_tooltip("kaz_balance", {"display": "22", "unit": "thousand EUR", "about": {"year": 2024}}, art)
    assert tip == ("kaz_balance = 22 thousand EUR (year 2024). Computed by job trade, notebook notebooks/trade.py, "
                   "cell 10, from data/f0.csv, data/f1.csv, data/f2.csv, data/f3.csv, data/f4.csv, data/f5.csv and "
                   "2 more. Data rows: data/f1.csv (reporter, year) = (KAZ, 2024).")
    assert prov.row_keys(art["rows"], "data/f1.csv", ["year", "reporter"]) == {("2024", "KAZ")}
