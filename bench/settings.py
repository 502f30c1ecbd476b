"""How many times each row runs: `make bench` (QUICK) and `make bench-full` (FULL)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    name: str
    cold: int = 3  # cold builds of the real book
    noop: int = 5  # no-op `reprobook build` and no-op `make book`
    incremental: int = 3  # one-data-file change, prose-only change
    verify: int = 3  # `reprobook verify`
    make_verify: int = 1  # `make verify`
    baseline: int = 3  # sequential papermill, jupyter-book build, jupyter-book execute_notebooks: force
    scale_ns: tuple[int, ...] = (10, 50, 200)  # small notebooks per synthetic project
    scale_runs: int = 3  # no-op, status and incremental runs per synthetic project
    big_rows: int = 3_000_000  # rows of the large synthetic table
    validate_big_runs: int = 1  # incremental build with the large table under schema validation
    interpreter_runs: int = 10  # `python -c pass`
    quiet_budget_s: float = 60.0  # total seconds the runs may wait for other processes to calm down


QUICK = Settings("quick")
FULL = Settings("full", cold=5, noop=10, incremental=5, verify=5, make_verify=3, baseline=5, scale_runs=5,
                validate_big_runs=2, interpreter_runs=20, quiet_budget_s=180.0)
# a few minutes: checks that the suite itself works (numbers too small to read anything into)
SMOKE = Settings("smoke", cold=1, noop=2, incremental=1, verify=1, make_verify=1, baseline=1, scale_ns=(5, 10),
                 scale_runs=2, big_rows=200_000, validate_big_runs=1, interpreter_runs=3, quiet_budget_s=0.0)
