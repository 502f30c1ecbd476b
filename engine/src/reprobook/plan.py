"""The one staleness oracle: from the project's files, decide what is stale and why.

`make_plan` computes every job's key from what the job reads (its notebook's code cells, its
parameters typed against the notebook's defaults, the content of its declared inputs wherever
they are, the project code it imports, the environment) and compares it with the record; it
computes the book's dependencies from the book's own configuration and the data and
bibliography checks' from their files, and compares them with the state store. `build`'s no-op,
`status`, `run` and `verify` all read this one plan, so they cannot disagree.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import bookinputs, codedeps, environment, manifest as mf, notebook as nbmod, params as prm, spec as specmod
from .errors import ConfigError, ReprobookError
from .hashing import content_sha256, ordered_json, sha256_bytes, sha256_json
from .jobdir import JobDir
from .paths import Paths
from .spec import Job, Pipeline
from .state import StateStore, differences

FRESH, CACHED, STALE = "fresh", "cached", "stale"
# the engine modules that run a notebook and record what it made (see Planner.executor_digest)
EXECUTOR_MODULES = ("execute.py", "engine.py", "warm.py", "launcher.py", "guard.py", "provenance.py", "jobdir.py")
CURRENT = "current"
BOOK_STEP = "book:html"
DATA_STEP = "check:data"
BIB_STEP = "check:bib"


@dataclass(frozen=True)
class JobPlan:
    """One job's place in a plan: its key, what it depends on, and whether it must run."""

    job: Job
    key: str
    record: dict[str, Any]  # the dependencies, as the manifest records them
    parameters: dict[str, Any]  # typed against the notebook's defaults, in the order written
    state: str  # fresh: results/ holds its outputs | cached: _build/cache does | stale: must run
    reasons: tuple[str, ...]
    cache_dir: Path
    libraries: tuple[str, ...] = ()  # modules it imports that are not project code (a warm kernel preloads them)

    @property
    def name(self) -> str:
        return self.job.name


@dataclass(frozen=True)
class StepPlan:
    """A step whose state lives in the state store (the book, the data or bibliography check)."""

    name: str
    deps: dict[str, str]
    state: str  # current | stale
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    jobs: tuple[JobPlan, ...]  # in dependency order
    checks: tuple[StepPlan, ...]
    book: StepPlan | None  # None when the plan was made without the book
    environment: dict[str, Any]  # the description the keys were computed from
    lock_differences: tuple[str, ...] = ()
    record_problems: tuple[str, ...] = ()  # results/ holds what no job declares: publishing removes it

    def job(self, name: str) -> JobPlan:
        return next(j for j in self.jobs if j.job.name == name)

    @property
    def stale_jobs(self) -> list[JobPlan]:
        return [j for j in self.jobs if j.state != FRESH]

    @property
    def up_to_date(self) -> bool:
        """Nothing to execute, restore, check or rebuild."""
        return (not self.stale_jobs and not self.record_problems and all(c.state == CURRENT for c in self.checks)
                and (self.book is None or self.book.state == CURRENT))


@dataclass
class Planner:
    """Computes plans for one project; holds the state store for the facts it caches."""

    paths: Paths
    pipeline: Pipeline
    store: StateStore
    _resolvers: dict[Path, codedeps.Resolver] = field(default_factory=dict)

    # --- facts, cached by file identity --------------------------------------------------------
    def sha(self, path: Path) -> str:
        return self.store.fact("sha256", path, content_sha256)

    def notebook(self, path: Path) -> nbmod.NotebookFacts:
        return nbmod.NotebookFacts.from_json(self.store.fact("notebook", path, lambda p: nbmod.analyse(p).to_json()))

    def imports_of(self, path: Path) -> dict:
        return self.store.fact("imports", path, codedeps.module_imports)

    def resolver(self, folder: Path) -> codedeps.Resolver:
        if folder not in self._resolvers:
            exclude = [Path(sys.prefix), Path(sys.base_prefix), self.paths.build, self.paths.results]
            self._resolvers[folder] = codedeps.Resolver(self.paths.root, [folder, *self.paths.code_dirs], exclude)
        return self._resolvers[folder]

    # --- jobs ----------------------------------------------------------------------------------
    def executor_digest(self) -> str:
        """The engine's part in how a notebook runs and how its outputs are recorded (kernel start,
        warm parent, guard, papermill engine, record notebook): a change there can change results,
        so it is part of every job's key, whether the engine is installed or edited in place."""
        if not hasattr(self, "_executor"):
            folder = Path(__file__).parent
            self._executor = sha256_json({m: self.sha(folder / m) for m in EXECUTOR_MODULES})
        return self._executor

    def described_files(self) -> dict[str, list[str]]:
        """Data file -> the data package files that describe it (the package and its schema file),
        all project-relative; {} without a data package."""
        pkg = self.paths.datapackage
        if not pkg.is_file():
            return {}
        return self.store.fact("described", pkg, lambda p: _described(self.paths, p))

    def implicit_inputs(self, job: Job) -> list[str]:
        """Inputs a job has without declaring them: the data package files that describe its
        declared data files (nb.read_csv reads types and missing values from them)."""
        described = self.described_files()
        out: set[str] = set()
        for rel in job.inputs:
            out.update(described.get(rel, []))
        return sorted(out - set(job.inputs))

    def libraries(self, job: Job) -> tuple[str, ...]:
        """Modules the job's notebook imports that are not project code."""
        nb_path = self.paths.root / job.notebook
        facts = self.notebook(nb_path)
        resolver = self.resolver(nb_path.parent)
        return tuple(m for m in facts.imports if not resolver.files_of(m))

    def job_record(self, job: Job, env_digest: str, keys: dict[str, str],
                   overrides: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
        """(record, typed parameters) of one job. Raises ConfigError for an unreadable notebook,
        a bad parameter or a missing input."""
        root = self.paths.root
        nb_path = root / job.notebook
        facts = self.notebook(nb_path)
        nbmod.require_parseable(facts, job.notebook)
        where = f"{specmod.SPEC_FILE}: job '{job.name}'" if overrides is None else f"job '{job.name}' (-p)"
        given = {**job.parameters, **(overrides or {})}
        typed = prm.typed(given, facts.parameters, facts.parameters_cell is not None, job.notebook, where)
        if job.sweep is not None and job.sweep.parameter not in facts.parameters:
            raise ConfigError(f"{specmod.SPEC_FILE}: job '{job.name}' sweeps over '{job.sweep.parameter}', which the "
                              f"'parameters' cell of {job.notebook} does not declare; add a default for it there")
        producer = self.pipeline.producer_of()
        inputs: dict[str, str] = {}
        for rel in self.implicit_inputs(job):
            inputs[rel] = self.sha(root / rel)
        for rel in job.inputs:
            if rel in producer:
                inputs[rel] = "job:" + keys[producer[rel]]
            elif (root / rel).is_file():
                inputs[rel] = self.sha(root / rel)
            else:
                raise ConfigError(f"job '{job.name}' declares input '{rel}', which does not exist; restore the file "
                                  f"or fix the job's inputs in {specmod.SPEC_FILE}")
        files = codedeps.closure(list(facts.imports), self.resolver(nb_path.parent), self.imports_of)
        code = {f.relative_to(root).as_posix(): self.sha(f) for f in files}
        record: dict[str, Any] = {
            "notebook": job.notebook,
            "notebook_sha256": sha256_json(nbmod.code_digest_material(facts)),
            "parameters": typed,
            "parameters_sha256": sha256_bytes(ordered_json(typed)),  # the order a notebook may follow
            "inputs": inputs,
            "code": code,
            "environment_sha256": env_digest,
            "executor_sha256": self.executor_digest(),
        }
        if job.sweep is not None:
            record["sweep"] = {"parameter": job.sweep.parameter, "column": job.sweep.column,
                               "points": list(job.sweep.points)}
        return record, typed

    def plan_jobs(self, env_digest: str, env_desc: dict, record: dict[str, Any], *, use_cache: bool = True,
                  values_now: dict | None = None) -> list[JobPlan]:
        keys: dict[str, str] = {}
        out = []
        old_env = (record.get("environment") or {})
        for name in specmod.order(self.pipeline):
            job = self.pipeline.job(name)
            rec, typed = self.job_record(job, env_digest, keys)
            key = sha256_json(rec)
            keys[name] = key
            old = record.get("jobs", {}).get(name)
            if old is None:
                reasons = ["not in the record" if record else "no record yet (results/manifest.json)"]
            elif old.get("key") != key:
                reasons = why_changed(old, rec, old_env, env_desc)
            else:
                reasons = artifact_problems(self.paths, job, record, values_now or {}, self.sha)
            cache_dir = self.paths.cache / name / key
            restorable = JobDir(cache_dir).record_notebook(name).is_file()  # a complete run, in today's layout
            if old is not None and reasons and declared_outputs_changed(job, record):
                reasons.append(f"its declared outputs changed in {specmod.SPEC_FILE}")
                restorable = False  # a run made for other outputs cannot stand in for one
            state = FRESH if not reasons else CACHED if use_cache and restorable else STALE
            libs = self.libraries(job) if state == STALE else ()
            out.append(JobPlan(job, key, rec, typed, state, tuple(reasons), cache_dir, libs))
        return out

    # --- checks and the book -------------------------------------------------------------------
    def files_digest(self, files: list[Path], prefix: str) -> dict[str, str]:
        return {f"{prefix}:{self.paths.rel(f)}": (self.sha(f) if f.is_file() else "<missing>") for f in files}

    def data_check(self, env_desc: dict[str, Any]) -> StepPlan | None:
        pkg = self.paths.datapackage
        if not pkg.is_file():
            return None
        from .hashing import files_under

        folders = sorted({self.paths.rel(self.paths.data), self.paths.rel(pkg.parent)})
        rels = set(files_under(self.paths.root, folders))
        for data, meta in self.described_files().items():  # a data, schema or dialect file kept elsewhere
            rels.update([data, *meta])
        files = [self.paths.root / f for f in sorted(rels)]
        from .validate import rules

        deps = {"rules:data": rules(env_desc.get("packages", {}).get("frictionless", "absent")),
                **self.files_digest(files, "file")}
        return self._step(DATA_STEP, deps)

    def bib_check(self, pages: list[Path]) -> StepPlan | None:
        if not self.paths.bib.is_file():
            return None
        deps = self.files_digest([self.paths.bib, *pages], "file")
        return self._step(BIB_STEP, deps)

    def book_deps(self, env_digest: str) -> tuple[dict[str, str], list[Path]]:
        """The book's dependencies (name -> digest) and its page files."""
        p = self.paths
        config = bookinputs.load_yaml(p.config)
        toc = bookinputs.load_yaml(p.toc)
        pages = bookinputs.pages(p, toc, config)
        deps = self.files_digest([p.config, p.toc], "config")
        deps.update(self.files_digest(pages, "page"))
        refs: list[Path] = []
        for page in pages:
            for ref in self.store.fact("page-refs", page, bookinputs.page_references):
                refs += bookinputs.resolve_reference(p.root, page, ref)
        deps.update(self.files_digest(refs + bookinputs.config_files(p, config), "file"))
        if p.results.is_dir():
            from .hashing import files_under

            deps.update(self.files_digest([p.root / f for f in files_under(p.root, [p.rel(p.results)])], "result"))
        for mod in bookinputs.extension_modules(config):
            files = bookinputs.module_source_files(mod)
            deps[f"extension:{mod}"] = sha256_json(sorted(self.sha(f) for f in files)) if files else "<not found>"
        deps["environment"] = env_digest
        return deps, pages

    def _step(self, name: str, deps: dict[str, str], exists: bool = True) -> StepPlan:
        old = self.store.step(name)
        if old is not None and not old.deps and deps:  # recorded without dependencies: it failed
            reasons = ["the last check found problems"]
        else:
            reasons = differences(None if old is None else old.deps, deps, _describe)
        if not exists:
            reasons = ["its output is missing"] + reasons
        return StepPlan(name, deps, CURRENT if not reasons else STALE, tuple(reasons))


def _described(paths: Paths, package: Path) -> dict[str, list[str]]:
    import json

    try:
        pkg = json.loads(package.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return {}
    base = package.parent
    out: dict[str, list[str]] = {}
    for res in pkg.get("resources", []) if isinstance(pkg, dict) else []:
        files = res.get("path")
        files = [files] if isinstance(files, str) else files if isinstance(files, list) else []
        meta = [paths.rel(package)]
        for key in ("schema", "dialect"):
            if isinstance(res.get(key), str) and (base / res[key]).is_file():
                meta.append(paths.rel(base / res[key]))
        for f in files:
            if isinstance(f, str) and "://" not in f:
                out[paths.rel(base / f)] = meta
    return out


def _describe(name: str) -> str:
    kind, _, what = name.partition(":")
    return {"config": f"book configuration {what}", "page": f"page {what}", "file": f"file {what}",
            "result": f"result {what}", "extension": f"Sphinx extension {what}",
            "environment": "environment", "rules": "the rules of the data check"}.get(kind, name)


def why_changed(old: dict[str, Any], new: dict[str, Any], old_env: dict, env_desc: dict) -> list[str]:
    """A job's key changed: say what, in words."""
    why = []
    if old.get("notebook") != new["notebook"] or old.get("notebook_sha256") != new["notebook_sha256"]:
        why.append(f"notebook {new['notebook']} changed")
    if old.get("parameters") != new["parameters"]:
        why.append("parameters changed")
    elif "parameters_sha256" in old and old["parameters_sha256"] != new["parameters_sha256"]:
        why.append("parameters changed (the order of a mapping, which a notebook may follow)")
    for label, a, b in (("input", old.get("inputs", {}), new["inputs"]), ("code", old.get("code", {}), new["code"])):
        for rel in sorted(set(a) | set(b)):
            if a.get(rel) != b.get(rel):
                why.append(f"{label} {rel} " + ("added" if rel not in a else "removed" if rel not in b else "changed"))
    if old.get("executor_sha256") != new.get("executor_sha256"):
        why.append("the engine's notebook runner changed")
    if old.get("environment_sha256") != new["environment_sha256"]:
        changes = environment.package_changes(old_env.get("packages", {}), env_desc.get("packages", {}))
        if old_env.get("python") and old_env.get("python") != env_desc.get("python"):
            changes.insert(0, f"Python {old_env.get('python')} -> {env_desc.get('python')}")
        why.append("environment changed" + (f": {', '.join(changes[:6])}" + (" ..." if len(changes) > 6 else "")
                                            if changes else " (the lock file)"))
    if old.get("sweep") != new.get("sweep"):
        why.append("sweep grid changed")
    return why or ["record format changed"]


def declared_outputs_changed(job: Job, record: dict[str, Any]) -> bool:
    """Whether the job now declares other outputs (tables, figures, values, claims) than those its
    run of record produced: a renamed value, say, which the notebook may not write."""
    recorded = {a["path"] for a in record.get("artifacts", []) if a.get("job") == job.name}
    declared = (set(job.artifact_paths()) | {f"results/values.json#{v}" for v in job.values}
                | {f"results/claims.json#{c}" for c in job.claims})
    return recorded != declared


def artifact_problems(paths: Paths, job: Job, record: dict[str, Any], values_now: dict[str, Any], sha) -> list[str]:
    """Outputs of record that are missing or were edited by hand, in words."""
    arts = mf.artifacts_by_path(record)
    problems = []
    for rel in job.artifact_paths():
        p = paths.root / rel
        a = arts.get(rel)
        if a is None:
            problems.append(f"{rel} is not in the record")
        elif not p.is_file():
            problems.append(f"{rel} is missing")
        elif sha(p) != a["sha256"]:
            problems.append(f"{rel} was edited by hand (its content differs from the record); regenerating")
    for kind, names in (("value", job.values), ("claim", job.claims)):
        current = values_now.get(kind, {})
        for v in names:
            a = arts.get(f"results/{kind}s.json#{v}")
            if a is None or v not in current:
                problems.append(f"{kind} '{v}' is missing from results/{kind}s.json")
            elif mf.value_sha(current[v]) != a["sha256"]:
                problems.append(f"{kind} '{v}' in results/{kind}s.json was edited by hand; regenerating")
    return problems


def record_problems(paths: Paths, pipeline: Pipeline, record: dict[str, Any]) -> list[str]:
    """What results/ or its record hold that no job of the pipeline declares."""
    out = []
    for name in sorted(set(record.get("jobs", {})) - {j.name for j in pipeline.jobs}):
        out.append(f"job '{name}' is no longer in {specmod.SPEC_FILE}: its outputs will be removed from results/")
    if not paths.results.is_dir():
        return out
    from .hashing import files_under

    declared = {"results/manifest.json", "results/values.json"}
    for job in pipeline.jobs:
        declared.update(job.artifact_paths())
        if job.claims:
            declared.add("results/claims.json")
    for rel in files_under(paths.root, [paths.rel(paths.results)]):
        if rel not in declared:
            out.append(f"{rel} is not an output of any job: publishing removes it")
    return out


def read_values(paths: Paths) -> dict[str, dict]:
    """{'value': values.json, 'claim': claims.json} as they are in results/ ({} where unreadable)."""
    import json

    out = {}
    for kind, path in (("value", paths.values), ("claim", paths.results / "claims.json")):
        try:
            out[kind] = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        except (json.JSONDecodeError, UnicodeDecodeError):
            out[kind] = {}
    return out


def book_step(paths: Paths, store: StateStore, env_desc: dict[str, Any]) -> StepPlan:
    """The book's step alone (after the jobs ran and results/ changed), as make_plan computes it."""
    planner = Planner(paths, specmod.load(paths.root), store)
    deps, _ = planner.book_deps(environment.digest(env_desc, paths.lockfile))
    return planner._step(BOOK_STEP, deps, exists=(paths.html / "index.html").is_file())


def make_plan(paths: Paths, pipeline: Pipeline, store: StateStore, *, with_book: bool = True,
              use_record: bool = True, use_cache: bool = True) -> Plan:
    """The plan for the project as it is now. Raises ConfigError/ReprobookError for problems the
    user must fix (a notebook that cannot be parsed, a parameter of the wrong type, a missing input
    or page); never returns a plan that hides a change it could not assess."""
    planner = Planner(paths, pipeline, store)
    desc = environment.describe(store)
    env_digest = environment.digest(desc, paths.lockfile)
    record = mf.read(paths.manifest) if use_record else {}
    values_now = read_values(paths) if use_record else {}
    jobs = planner.plan_jobs(env_digest, desc, record, use_cache=use_cache, values_now=values_now)
    checks = []
    data = planner.data_check(desc)
    if data is not None:
        checks.append(data)
    book = None
    pages: list[Path] = []
    if with_book:
        deps, pages = planner.book_deps(env_digest)
        book = planner._step(BOOK_STEP, deps, exists=(paths.html / "index.html").is_file())
    else:
        try:
            pages = bookinputs.pages(paths, bookinputs.load_yaml(paths.toc), bookinputs.load_yaml(paths.config))
        except ReprobookError:
            pages = []
    bib = planner.bib_check(pages)
    if bib is not None:
        checks.append(bib)
    problems = record_problems(paths, pipeline, record) if use_record else []
    return Plan(tuple(jobs), tuple(checks), book, desc, tuple(environment.lock_differences(desc, paths.lockfile)),
                tuple(problems))
