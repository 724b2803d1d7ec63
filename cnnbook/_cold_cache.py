"""Whether numba's cache holds cnnbook's kernels, and what runs while it does not.

``cnnbook warm`` (:mod:`cnnbook.warm`) compiles every kernel of each dtype into the cache (one
process per dtype), marks each dtype done and then the whole cache (:func:`warm_marker`).

On a cache that holds no kernels (a fresh clone, Colab, Binder), no call waits for the compiler:

* The first large call of a dtype starts that dtype's warm in a background process (one per cache
  and dtype: a lock file holds its process id), and until the dtype is marked done,
  :func:`kernels_compiled` is False and the layers run the kernels uncompiled
  (:mod:`cnnbook._uncompiled`), which compute the same bits 4-15 times more slowly (the bench's layers).
  Then each kernel loads from the cache at its next call and runs compiled.
* In a notebook (an IPython kernel), ``import cnnbook`` starts a warm of both dtypes at once
  (:func:`warm_in_background_if_cold`), while the learner reads the first cells.

``CNNBOOK_BACKGROUND_WARM=0`` turns both off: a kernel's first large call compiles it, in the
caller's process. This module is imported by ``cnnbook/__init__.py``, so it must stay light: it
imports nothing of cnnbook's kernels and starts no compilation itself.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import numba
import numpy as np

from ._runtime import PACKAGE_DIR

# The dtypes cnnbook's kernels are compiled for: the cache is warm when each is.
DTYPE_NAMES = ("float32", "float64")
# A warm that has held its lock this long is taken to have died.
STALE_LOCK_SECONDS = 15 * 60
# A lock younger than this may still be waiting for its warm's process id.
NEW_LOCK_SECONDS = 30
# Priority of background warms: they yield the cores to the learner's own process.
BACKGROUND_NICENESS = 10


def cache_dir() -> Path:
    """Where numba caches cnnbook's kernels: ``NUMBA_CACHE_DIR`` if set, else beside the sources."""
    return Path(numba.config.CACHE_DIR) if numba.config.CACHE_DIR else PACKAGE_DIR / "__pycache__"


def warm_marker(dtype_name: str | None = None) -> Path:
    """The file that records a complete warm of this cache (or of one dtype's kernels: ``"float32"``),
    named after what the machine code depends on: the kernels' sources (the gemm they call included)
    and the versions of Python, NumPy, numba and cnnbook."""
    from . import __version__

    digest = hashlib.sha256()
    for part in (sys.version, np.__version__, numba.__version__, __version__):
        digest.update(part.encode())
    for source in sorted([*PACKAGE_DIR.rglob("_*kernels.py"), PACKAGE_DIR / "_gemm.py"]):
        digest.update(source.read_bytes())
    name = f"cnnbook-warm-{digest.hexdigest()[:16]}"
    return cache_dir() / (f"{name}-{dtype_name}.done" if dtype_name else f"{name}.done")


def mark_warm(dtype_name: str) -> None:
    """Record that ``dtype_name``'s kernels are in the cache, and the whole cache is warm once every dtype's are."""
    warm_marker(dtype_name).write_text("compiled\n")
    if all(warm_marker(name).exists() for name in DTYPE_NAMES):
        warm_marker().write_text("compiled\n")


def background_warms_allowed() -> bool:
    """Whether cnnbook may warm the cache in a background process (``CNNBOOK_BACKGROUND_WARM`` is not 0)."""
    return os.environ.get("CNNBOOK_BACKGROUND_WARM", "1") != "0" and bool(sys.executable)


_compiled: set[str] = set()  # the dtypes whose kernels this process runs compiled
_warms: dict[str, subprocess.Popen] = {}  # the background warms this process started, by dtype
_markers: dict[str, Path] = {}
_run_uncompiled = False
if hasattr(os, "register_at_fork"):  # a forked child cannot wait for its parent's warms: it watches their locks
    os.register_at_fork(after_in_child=_warms.clear)


def kernels_compiled(dtype) -> bool:
    """Whether this process runs ``dtype``'s kernels compiled: they are in the cache (or numba may
    compile them here); if not, a background warm of them is started, or is running already.

    It stays True once it is: a dtype's kernels compile or load once per process.
    """
    name = np.dtype(dtype).name
    if name in _compiled:
        return True
    if _run_uncompiled:
        return False
    warm = _warms.get(name)
    if not background_warms_allowed() or _marker(name).exists() or (warm is not None and warm.poll() is not None):
        _compiled.add(name)  # warmed, or the warm ended without marking: compiling here shows its error
        return True
    if warm is None:
        try:
            warm = start_warm(name, background=True)
        except OSError:
            _compiled.add(name)
            return True
        if warm is not None:
            _warms[name] = warm
    return False


def wait_for_warms() -> None:
    """Wait until the background warms this process started have ended (a benchmark does, before it
    deletes the cache they fill)."""
    for warm in _warms.values():
        warm.wait()


@contextmanager
def uncompiled_kernels() -> Iterator[None]:
    """Inside the block, every large call runs the uncompiled kernels (:mod:`cnnbook._uncompiled`), for tests."""
    global _run_uncompiled
    saved, compiled = _run_uncompiled, set(_compiled)
    _run_uncompiled = True
    _compiled.clear()
    try:
        yield
    finally:
        _run_uncompiled = saved
        _compiled.update(compiled)


def mark_compiled(dtype) -> None:
    """Run ``dtype``'s kernels compiled in this process from now on, compiling them here if need be."""
    _compiled.add(np.dtype(dtype).name)


def start_warm(dtype_name: str, background: bool, output=subprocess.DEVNULL) -> subprocess.Popen | None:
    """Start ``python -m cnnbook.warm dtype_name LOCK``, unless a live process holds that dtype's lock
    (then return None): the lock file, created atomically, holds the warm's process id until it ends.
    A ``background`` warm runs at low priority, outside the caller's process group."""
    lock = _marker(dtype_name).with_suffix(".lock")
    descriptor = _take_lock(lock)
    if descriptor is None:
        return None
    command = [sys.executable, "-m", "cnnbook.warm", dtype_name, str(lock)] + (["--background"] if background else [])
    return _spawn_holding(lock, descriptor, command, output)


def warm_running(dtype_name: str) -> bool:
    """Whether a live process holds the lock of ``dtype_name``'s warm (:func:`start_warm`)."""
    return _held(_marker(dtype_name).with_suffix(".lock"))


def _marker(dtype_name: str) -> Path:
    """:func:`warm_marker` of ``dtype_name``, found once per process: it reads and hashes the kernels'
    sources, and a cold process asks for it at every large call until its warm is done."""
    if dtype_name not in _markers:
        _markers[dtype_name] = warm_marker(dtype_name)
    return _markers[dtype_name]


def _take_lock(lock: Path) -> int | None:
    """Create ``lock`` atomically and return its descriptor, or None if a live warm holds it.
    A lock whose process has died, or that is older than ``STALE_LOCK_SECONDS``, is taken over."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    descriptor = _create(lock)
    if descriptor is None and not _held(lock):
        lock.unlink(missing_ok=True)
        descriptor = _create(lock)  # None if another process took it over first
    return descriptor


def _create(lock: Path) -> int | None:
    """A descriptor of the new file ``lock``, or None if it exists."""
    try:
        return os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return None


def _held(lock: Path) -> bool:
    """Whether a live process holds ``lock`` (its process id is in it, or it is too new to hold one yet)."""
    try:
        age = time.time() - lock.stat().st_mtime
        text = lock.read_text().strip()
    except FileNotFoundError:
        return False
    if age > STALE_LOCK_SECONDS:
        return False
    if not text:
        return age < NEW_LOCK_SECONDS
    return not text.isdigit() or _alive(int(text))


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists (on Windows, where signal 0 would end it, it is taken to)."""
    if os.name == "nt":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's
        return True
    return True


def _spawn_holding(lock: Path, descriptor: int, command: list[str], output) -> subprocess.Popen:
    """Start ``command`` and write its process id into the ``lock`` just taken (released on failure)."""
    try:
        worker = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=output, stderr=output,
                                  cwd=lock.parent, env=_warm_environment(), close_fds=True)
        os.write(descriptor, str(worker.pid).encode())
    except OSError:
        lock.unlink(missing_ok=True)
        raise
    finally:
        os.close(descriptor)
    return worker


def _warm_environment() -> dict[str, str]:
    """A warm's environment: this process's, with the folder cnnbook was imported from first on
    ``PYTHONPATH`` and numba's cache as an absolute path, since the warm runs in the cache's folder
    (a clone used without installing imports cnnbook from the working folder)."""
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PACKAGE_DIR.parent), os.environ.get("PYTHONPATH")]))
    if numba.config.CACHE_DIR:
        environment["NUMBA_CACHE_DIR"] = str(Path(numba.config.CACHE_DIR).resolve())
    return environment


def warm_in_background_if_cold() -> bool:
    """In a notebook (an IPython kernel), start a background ``cnnbook warm`` of every dtype unless the
    cache is marked warm, one is running already, or background warms are off
    (:func:`background_warms_allowed`); returns whether it started one. Scripts and the ``cnnbook``
    command warm a dtype only when they first need it (:func:`kernels_compiled`).
    """
    if "ipykernel" not in sys.modules or not background_warms_allowed():
        return False
    try:
        marker = warm_marker()
        if marker.exists():
            return False
        lock = marker.with_suffix(".lock")
        descriptor = _take_lock(lock)
        if descriptor is None:
            return False
        _spawn_holding(lock, descriptor, [sys.executable, "-m", "cnnbook.warm", "--background", str(lock)],
                       subprocess.DEVNULL)
    except OSError:  # a cache we cannot write, or no interpreter to start: nothing to do
        return False
    return True
