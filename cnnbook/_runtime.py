"""Process-wide settings that must be in place before numba compiles anything.

Two things are decided here, once, when ``cnnbook`` is imported:

* **Where numba keeps its compile cache.** From a source checkout or an editable
  install numba writes beside the sources (``cnnbook/__pycache__``). When the
  package directory is read-only (a system-wide or hosted install), the cache
  goes to a per-user directory instead, through ``NUMBA_CACHE_DIR``. A value the
  user already set always wins.
* **How many threads the kernels use.** By default numba counts every core of the
  machine, even those the process may not run on (containers, ``taskset``).
  We count the cores this process is allowed to use (:mod:`cnnbook._parallel`
  reads it as its default).
* **How long other libraries' idle threads spin.** After a call, the threads of
  an OpenMP team (PyTorch's) and of OpenBLAS (NumPy's) keep spinning on their
  cores, waiting for the next call: libgomp for up to 300,000 pause instructions
  (several milliseconds), OpenBLAS for 2^28 cycles (about 0.1 s). In a notebook
  that mixes libraries, the next library's threads then share their cores with
  spinners, and each library runs up to twice as slow as alone. A library loaded
  after ``cnnbook`` spins at most ``GOMP_SPINCOUNT = 20000`` pauses (a fraction of a
  millisecond, still enough for the back-to-back regions of one call) and
  ``OPENBLAS_THREAD_TIMEOUT = 20`` (2^20 cycles). ``cnnbook lab`` and the tests
  import cnnbook first, so every notebook kernel they start has both settings. A
  value the user already set always wins.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def usable_cores() -> int:
    """The number of cores this process may run on (at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


def _can_write_into(directory: Path) -> bool:
    """True when files can be created in ``directory`` (or in its nearest existing parent)."""
    while not directory.exists():
        directory = directory.parent
    return os.access(directory, os.W_OK | os.X_OK)


def user_cache_dir() -> Path:
    """A per-user directory for numba's cache: ``$XDG_CACHE_HOME/cnnbook/numba``, else a temp dir."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    candidate = Path(base) / "cnnbook" / "numba"
    if _can_write_into(candidate):
        return candidate
    return Path(tempfile.gettempdir()) / f"cnnbook-numba-{os.getuid() if hasattr(os, 'getuid') else 'user'}"


# Spin limits for idle threads of libraries loaded after cnnbook (see the module docstring).
QUIET_SPINNING = {"GOMP_SPINCOUNT": "20000", "OPENBLAS_THREAD_TIMEOUT": "20"}


def configure() -> None:
    """Set ``NUMBA_CACHE_DIR``, ``NUMBA_NUM_THREADS`` and :data:`QUIET_SPINNING` unless the user chose them already."""
    if "NUMBA_CACHE_DIR" not in os.environ and not _can_write_into(PACKAGE_DIR / "__pycache__"):
        os.environ["NUMBA_CACHE_DIR"] = str(user_cache_dir())
    os.environ.setdefault("NUMBA_NUM_THREADS", str(usable_cores()))
    for name, value in QUIET_SPINNING.items():
        os.environ.setdefault(name, value)

    import numba  # noqa: E402  (numba reads the environment when it is first imported)

    # numba may have been imported before cnnbook; its config is then already
    # read, so the cache directory is also set on the live config object.
    if os.environ.get("NUMBA_CACHE_DIR") and not numba.config.CACHE_DIR:
        numba.config.CACHE_DIR = os.environ["NUMBA_CACHE_DIR"]
