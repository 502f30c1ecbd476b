"""Papermill, with the project's own kernel: a papermill engine and a jupyter-client kernel manager.

Papermill stays the executor. The engine registered here as `reprobook` differs from papermill's
default in three ways:

- the kernel is always the project's own interpreter (`sys.executable`) started through
  `reprobook.launcher`; a kernelspec named `python3` that a user installed from another
  environment is never looked up (a notebook's kernelspec only says its language);
- the kernel's environment is the project's (`kernel_environment`): its import path is the
  notebook's folder and the project's code folders, user site-packages are off, and matplotlib,
  IPython and Jupyter read private configuration folders under `_build/kernel/`, so a user's
  `MPLCONFIGDIR` or `matplotlibrc` cannot change a figure;
- a job has one time limit (`deadline`), spent across its cells; when it runs out the cell is
  interrupted and the run fails naming the cell.
With `warm=True` the kernel is forked from a warm parent process (`reprobook.warm`) instead of
started cold; the results are the same.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import Engine, papermill_engines
from traitlets import default

ENGINE_NAME = "reprobook"
WARM_PROVISIONER = "reprobook-warm"

# Variables of the user's shell that would let another environment or configuration into a job.
DROP = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE", "PYTHONEXECUTABLE", "PYTHONSAFEPATH",
        "MPLCONFIGDIR", "MATPLOTLIBRC", "MPLBACKEND", "IPYTHONDIR", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR",
        "JUPYTER_PATH", "JUPYTER_RUNTIME_DIR", "JUPYTER_PLATFORM_DIRS", "JPY_SESSION_NAME", "VIRTUAL_ENV",
        "CONDA_PREFIX", "PYTHONBREAKPOINT", "PYTHONWARNINGS", "PYTHONOPTIMIZE", "PYTHONDEVMODE")


def kernel_environment(base: dict[str, str], *, code_dirs: list[str], kernel_home: Path,
                       extra: dict[str, str]) -> dict[str, str]:
    """The environment a job's kernel starts with: `base` without the variables in DROP, the
    project's import path and private configuration folders, fixed hashing, time zone and
    thread counts (BLAS threads can change the last bits of results), and `extra`."""
    env = {k: v for k, v in base.items() if k not in DROP and not k.startswith("REPROBOOK_")}
    for sub in ("matplotlib", "ipython", "jupyter-config", "jupyter-data"):
        (kernel_home / sub).mkdir(parents=True, exist_ok=True)
    share_font_cache(kernel_home / "matplotlib")
    env.update({
        "PYTHONPATH": os.pathsep.join(code_dirs),
        "PYTHONNOUSERSITE": "1",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",  # no __pycache__ written into the project's code folders
        "PYTHONUTF8": "1",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": str(kernel_home / "matplotlib"),
        "IPYTHONDIR": str(kernel_home / "ipython"),
        "JUPYTER_CONFIG_DIR": str(kernel_home / "jupyter-config"),
        "JUPYTER_DATA_DIR": str(kernel_home / "jupyter-data"),
        "JUPYTER_PLATFORM_DIRS": "1",
        "TZ": "UTC",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "TMPDIR": tempfile.gettempdir(),
    })
    env.update(extra)
    return env


def share_font_cache(private: Path) -> None:
    """Matplotlib's font list describes the machine's fonts, not a user's settings: copy it between
    the kernels' private configuration folder and one per-machine folder, so that a new project
    (or a fresh clone) does not spend seconds rebuilding it."""
    import shutil

    shared = Path(tempfile.gettempdir()) / "reprobook-matplotlib-fonts"
    mine = sorted(private.glob("fontlist-*.json"))
    theirs = sorted(shared.glob("fontlist-*.json")) if shared.is_dir() else []
    try:
        if not mine and theirs:
            for f in theirs:
                shutil.copyfile(f, private / f.name)
        elif mine and not theirs:
            shared.mkdir(exist_ok=True)
            for f in mine:
                tmp = shared / f".{f.name}.{os.getpid()}"
                shutil.copyfile(f, tmp)
                os.replace(tmp, shared / f.name)
    except OSError:
        pass  # a cache: never a reason to fail


def project_kernelspec(warm: bool, preload: tuple[str, ...] = (), modules: tuple[str, ...] = ()) -> KernelSpec:
    """The one kernel jobs run in: this interpreter, through reprobook.launcher."""
    metadata: dict[str, Any] = {}
    if warm:
        metadata["kernel_provisioner"] = {"provisioner_name": WARM_PROVISIONER, "config": {"preload": list(preload),
                                                                                       "modules": list(modules)}}
    return KernelSpec(argv=[sys.executable, "-m", "reprobook.launcher", "-f", "{connection_file}"],
                      display_name="Python (project environment)", language="python", env={}, metadata=metadata,
                      interrupt_mode="signal")


def _quick_reconnecting_context():
    """A new ZeroMQ context whose sockets retry a connection every 10 ms, not every 100 ms: the
    client and the manager connect while the kernel is still starting and binding its sockets."""
    import zmq
    import zmq.asyncio

    context = zmq.asyncio.Context()
    context.setsockopt(zmq.RECONNECT_IVL, 10)
    return context


class JobKernelClient(AsyncKernelClient):
    """jupyter-client's asynchronous client, ready as soon as the kernel is.

    `wait_for_ready` is jupyter-client's check (a `kernel_info_reply` on the shell channel, then a
    message on IOPub, which proves the subscription is live) without its final flush, which waits
    for 0.2 s of silence on IOPub every time a kernel starts. The flush only discards the status
    messages of the `kernel_info` request; nbclient ignores every IOPub message whose parent is not
    the cell it is executing, so skipping the wait changes no output. Raises RuntimeError when the
    kernel dies or does not answer within `timeout` seconds."""

    def _context_default(self):
        self._created_context = True
        return _quick_reconnecting_context()

    async def wait_for_ready(self, timeout: float | None = None) -> None:  # type: ignore[override]
        from queue import Empty

        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                msg = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                pass
            else:
                if msg["msg_type"] == "kernel_info_reply":
                    try:  # IOPub connected? If not, ask again (ZeroMQ's late-joining subscriber)
                        await self.iopub_channel.get_msg(timeout=0.2)
                    except Empty:
                        pass
                    else:
                        self._handle_kernel_info_reply(msg)
                        return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")


class ProjectKernelManager(AsyncKernelManager):
    """A kernel manager whose kernelspec is the project's interpreter, whatever name is asked for.

    It talks to the kernel over Unix sockets (ZeroMQ `ipc`), not TCP ports: several workers starting
    kernels at once cannot race for the same free port, and nothing listens on the network."""

    warm = False
    preload: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()

    @default("client_factory")
    def _default_client_factory(self) -> type:
        return JobKernelClient

    def _context_default(self):
        self._created_context = True
        return _quick_reconnecting_context()

    @default("transport")
    def _default_transport(self) -> str:
        return "ipc" if os.name == "posix" else "tcp"

    @default("ip")
    def _default_ip(self) -> str:
        if self.transport != "ipc":
            return "127.0.0.1"
        # an absolute, private socket prefix: jupyter-client's default ("kernel-ipc", relative to the
        # working directory) would put sockets into the notebook's folder and let two kernels of
        # notebooks in the same folder meet on one socket
        self._ipc_dir = tempfile.mkdtemp(prefix="reprobook-kernel-")
        return os.path.join(self._ipc_dir, "k")

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart)
        folder = getattr(self, "_ipc_dir", None)
        if folder and not restart:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)

    cleanup_resources = _async_cleanup_resources

    async def _async_finish_shutdown(self, waittime: float | None = None, pollinterval: float = 0.005,
                                     restart: bool = False) -> None:
        # jupyter-client polls every 0.1 s for the kernel to exit after its shutdown reply; a kernel
        # here exits within milliseconds, so poll more often (the time limits are unchanged)
        await super()._async_finish_shutdown(waittime, pollinterval, restart)

    finish_shutdown = _async_finish_shutdown

    @property
    def kernel_spec(self) -> KernelSpec:  # type: ignore[override]
        if self._kernel_spec is None:
            self._kernel_spec = project_kernelspec(self.warm, self.preload, self.modules)
        return self._kernel_spec

    @property
    def ipykernel(self) -> bool:
        return True


def manager_class(warm: bool, preload: tuple[str, ...], modules: tuple[str, ...] = ()) -> type[ProjectKernelManager]:
    return type("ProjectKernelManager", (ProjectKernelManager,),
                {"warm": warm, "preload": tuple(preload), "modules": tuple(modules)})


class JobClient(PapermillNotebookClient):
    """Papermill's client, remembering the cell it is in, with one time budget for the whole job."""

    current_cell: int | None = None

    def papermill_execute_cells(self):
        for index, cell in enumerate(self.nb.cells):
            self.current_cell = index
            try:
                self.nb_man.cell_start(cell, index)
                self.execute_cell(cell, index)
            except Exception as ex:  # CellExecutionError: papermill's own handling
                from nbclient.exceptions import CellExecutionError

                if isinstance(ex, CellExecutionError):
                    self.nb_man.cell_exception(self.nb.cells[index], cell_index=index, exception=ex)
                    break
                raise
            finally:
                self.nb_man.cell_complete(self.nb.cells[index], cell_index=index)


class JobTimeout(Exception):
    """The job ran out of time; `cell` is the cell that was running (0-based, all cells counted)."""

    def __init__(self, limit: float, cell: int | None):
        super().__init__(f"the job ran longer than its time limit of {limit:g} s")
        self.limit, self.cell = limit, cell


class ReprobookEngine(Engine):
    """Papermill engine: nbclient with the project's kernel and a job-wide deadline.

    Engine kwargs: `deadline` (time.monotonic() value), `limit` (seconds, for the message),
    `warm`, `preload` (modules a warm parent imports), `modules` (what the job imports, which
    its warm kernel has imported), `kernel_env`, `kernel_cwd`, `kernel_output`
    (a file for the kernel process's own stdout and stderr)."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None, stderr_file=None,
                                 start_timeout=60, execution_timeout=None, **kwargs):
        deadline = kwargs.pop("deadline", None)
        limit = kwargs.pop("limit", None)
        warm = kwargs.pop("warm", False)
        preload = tuple(kwargs.pop("preload", ()))
        modules = tuple(kwargs.pop("modules", ()))
        env = kwargs.pop("kernel_env")
        cwd = kwargs.pop("kernel_cwd")
        output = kwargs.pop("kernel_output", None)
        for k in ("input_path", "timeout", "startup_timeout"):
            kwargs.pop(k, None)

        def timeout_func(cell) -> int | None:
            if deadline is None:
                return None
            return max(1, int(deadline - time.monotonic() + 0.999))

        client = JobClient(nb_man, kernel_manager_class=manager_class(warm, preload, modules), kernel_name="python3",
                           startup_timeout=start_timeout, timeout_func=timeout_func, interrupt_on_timeout=False,
                           log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file,
                           extra_arguments=["--HistoryManager.enabled=False"], **kwargs)
        from nbclient.exceptions import CellTimeoutError

        try:
            streams = {"stdout": output, "stderr": output} if output is not None else {}
            return client.execute(env=env, cwd=cwd, **streams)
        except CellTimeoutError:
            raise JobTimeout(limit or 0, client.current_cell) from None


papermill_engines.register(ENGINE_NAME, ReprobookEngine)
