"""The read/write guard's policy, in-process (the kernel-side hook is exercised end to end in test_execute)."""
from __future__ import annotations

import os

from reprobook.guard import Policy, check


def policy(tmp_path) -> Policy:
    root = tmp_path / "proj"
    for d in ("data", "src/pkg", "notebooks", "_build/scratch/job-1", "_build/cache/up/k/out/tables", "results/tables"):
        (root / d).mkdir(parents=True, exist_ok=True)
    r = str(root.resolve())
    return Policy("job", r, inputs=(f"{r}/data/in.csv", f"{r}/_build/cache/up/k/out/tables/t.csv"),
                  redirected=((f"{r}/results/tables/t.csv", f"{r}/_build/cache/up/k/out/tables/t.csv"),),
                  code_dirs=(f"{r}/src", f"{r}/notebooks"), writable=(f"{r}/_build/scratch/job-1", "/tmp"),
                  readable=("/usr",))


def test_declared_inputs_code_and_outside_files_may_be_read(tmp_path):
    p = policy(tmp_path)
    for path in (f"{p.root}/data/in.csv", f"{p.root}/_build/cache/up/k/out/tables/t.csv", f"{p.root}/src/pkg/mod.py",
                 f"{p.root}/notebooks/helper.py", "/etc/hostname", f"{p.root}/_build/scratch/job-1/x"):
        assert check(p, path, write=False) == "", path


def test_undeclared_reads_in_the_project_are_named_with_the_fix(tmp_path):
    p = policy(tmp_path)
    msg = check(p, f"{p.root}/data/other.csv", write=False)
    assert "job 'job' read data/other.csv" in msg and "add 'data/other.csv' to the job's inputs" in msg
    msg = check(p, f"{p.root}/results/tables/t.csv", write=False)
    assert "another job's output" in msg and "nb.input_path('results/tables/t.csv')" in msg
    assert check(p, f"{p.root}/src/pkg/table.csv", write=False)  # data beside code is still data


def test_writes_only_into_the_scratch_folder(tmp_path):
    p = policy(tmp_path)
    assert check(p, f"{p.root}/_build/scratch/job-1/out/t.csv", write=True) == ""
    assert check(p, "/tmp/x", write=True) == ""
    for path in (f"{p.root}/data/in.csv", f"{p.root}/notebooks/out.csv", f"{p.root}/book/x.md",
                 os.path.expanduser("~/stray.txt")):
        msg = check(p, path, write=True)
        assert "wrote" in msg and "only into its scratch folder" in msg, path


def test_symlinks_do_not_get_round_the_policy(tmp_path):
    p = policy(tmp_path)
    link = tmp_path / "proj/_build/scratch/job-1/link"
    os.symlink(f"{p.root}/data/in.csv", link)
    assert "wrote data/in.csv" in check(p, str(link), write=True)


def test_project_code_the_build_cannot_see_is_an_error(tmp_path):
    import dataclasses

    p = dataclasses.replace(policy(tmp_path), tracked=(f"{policy(tmp_path).root}/src/pkg/mod.py",))
    assert check(p, f"{p.root}/src/pkg/mod.py", write=False) == ""
    assert check(p, f"{p.root}/src/pkg/__pycache__/mod.cpython-311.pyc", write=False) == ""
    msg = check(p, f"{p.root}/src/pkg/hidden.py", write=False)
    assert "imported src/pkg/hidden.py" in msg and "dynamic import" in msg
