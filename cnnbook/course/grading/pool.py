"""The grader's side of the sandboxes: starting them clean, sending jobs, and replacing any that fail.

Each sandbox (:mod:`cnnbook.course.grading.sandbox`) is started

* with a command line that names nothing but itself (``python -m cnnbook.course.grading.sandbox``);
* with an environment built from scratch: ``PATH``, a language, an empty home of its own, one
  thread for NumPy, BLAS and numba (parallelism comes from ``--jobs``), and numba's ``workqueue``
  threading layer, which survives ``fork`` (GNU OpenMP does not);
* in that empty home, importing a *private copy* of the package (kept under the user's cache
  folder, with its compiled kernels), so ``cnnbook.__file__`` leads to no ``solutions/`` folder and
  no other submission.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ... import _runtime
from . import wire

PACKAGE_DIR = Path(__file__).resolve().parents[2]   # the cnnbook folder
STARTUP_TIMEOUT = 120.0


def private_package() -> Path:
    """A folder holding a copy of this package (sources and numba's compiled kernels); returns the folder."""
    sources = sorted(PACKAGE_DIR.rglob("*.py")) + sorted(PACKAGE_DIR.rglob("*.json"))
    digest = hashlib.sha256()
    for path in sources:
        digest.update(str(path.relative_to(PACKAGE_DIR)).encode() + path.read_bytes())
    site = _runtime.user_cache_dir().parent / f"grader-{digest.hexdigest()[:16]}"
    if not (site / "cnnbook" / "__init__.py").exists():
        site.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix="staging-", dir=site.parent))
        shutil.copytree(PACKAGE_DIR, staging / "cnnbook", copy_function=shutil.copy2,
                        ignore=shutil.ignore_patterns("*.pyc", "*.ipynb"))
        try:
            staging.rename(site)
        except OSError:                  # another grader made the same copy meanwhile
            shutil.rmtree(staging, ignore_errors=True)
        _forget_old_copies(site)
    os.utime(site)                        # "used now", for _forget_old_copies
    return site


def _forget_old_copies(current: Path, age: float = 24 * 3600) -> None:
    """Delete copies of earlier versions of the package not used for a day."""
    for other in current.parent.glob("grader-*"):
        if other != current and time.time() - other.stat().st_mtime > age:
            shutil.rmtree(other, ignore_errors=True)


def sandbox_environment(home: Path, site: Path) -> dict:
    """The whole environment of a sandbox (nothing inherited but ``PATH``)."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
        "HOME": str(home), "TMPDIR": str(home), "XDG_CACHE_HOME": str(home / ".cache"),
        "IPYTHONDIR": str(home / ".ipython"), "MPLCONFIGDIR": str(home / ".matplotlib"), "MPLBACKEND": "Agg",
        "PYTHONPATH": str(site), "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0",
        "NUMBA_THREADING_LAYER": "workqueue", "NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "CNNBOOK_BACKGROUND_WARM": "0",
    }


class Sandbox:
    """One sandbox process, restarted on demand."""

    def __init__(self, site: Path):
        self.site = site
        self.process: subprocess.Popen | None = None
        self.home: Path | None = None

    def start(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="cnnbook-sandbox-"))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cnnbook.course.grading.sandbox"], cwd=self.home,
            env=sandbox_environment(self.home, self.site), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)
        ready = wire.receive_json(self.process.stdout.fileno(), time.monotonic() + STARTUP_TIMEOUT)
        if ready.get("kind") != "ready":
            raise wire.WireError(f"the sandbox did not start: {ready}")
        if not Path(str(ready.get("package"))).is_relative_to(self.site):
            raise wire.WireError(f"the sandbox imported cnnbook from {ready.get('package')}, not from its private copy")

    def run(self, job: dict, limit: float) -> dict:
        """Send ``job``; its reply, or ``{"kind": "failed", ...}`` if the sandbox died or overran ``limit`` s."""
        try:
            if self.process is None or self.process.poll() is not None:
                self.start()
            wire.send(self.process.stdin.fileno(), pickle.dumps(job))
            return wire.receive_json(self.process.stdout.fileno(), time.monotonic() + limit)
        except (wire.WireError, OSError) as error:
            self.close()
            return {"kind": "failed", "message": f"the grading sandbox failed ({error})"}

    def close(self) -> None:
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except OSError:
                pass
            if self.home is not None:
                kill_processes_working_in(self.home)   # sessions have their own process groups
            self.process.wait()
            for stream in (self.process.stdin, self.process.stdout):
                stream.close()
            self.process = None
        if self.home is not None:
            shutil.rmtree(self.home, ignore_errors=True)
            self.home = None


def kill_processes_working_in(folder: Path) -> None:
    """SIGKILL every process whose working directory lies inside ``folder`` (Linux; elsewhere nothing)."""
    prefix = str(folder)
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if entry.isdigit():
            try:
                if os.readlink(f"/proc/{entry}/cwd").startswith(prefix):
                    os.kill(int(entry), signal.SIGKILL)
            except OSError:
                continue
