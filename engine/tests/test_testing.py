"""reprobook.testing: `invoke` (the CLI inside the test's process) answers as `run_cli` (a new process) does."""
from __future__ import annotations

import os
import sys

import pytest

from reprobook.testing import invoke, run_cli


@pytest.mark.slow
@pytest.mark.parametrize("args", [("status",), ("run", "no-such-job")])
def test_invoke_gives_what_the_command_line_gives(built_mini, args):
    by_process = run_cli(built_mini, *args)
    in_process = invoke(built_mini, *args)
    assert (in_process.returncode, in_process.stdout, in_process.stderr) == \
           (by_process.returncode, by_process.stdout, by_process.stderr)


@pytest.mark.slow
def test_invoke_restores_the_process_after_a_build(built_mini, tmp_path):
    (built_mini / "notebooks/sums.py").write_text((built_mini / "notebooks/sums.py").read_text() + "\n# %%\nprint(1)\n")
    cwd, env, streams = os.getcwd(), dict(os.environ), (sys.stdout, sys.stderr)
    proc = invoke(built_mini, "build", "--no-book", env={"REPROBOOK_TEST_VARIABLE": "x"})
    assert proc.returncode == 0 and "1 job(s) executed" in proc.stderr
    assert os.getcwd() == cwd and dict(os.environ) == env and (sys.stdout, sys.stderr) == streams
    with pytest.raises(AssertionError, match=r"reprobook build failed \(2\):\n\nerror: no pipeline.yml"):
        invoke(tmp_path, "build", check=True)  # no pipeline.yml
