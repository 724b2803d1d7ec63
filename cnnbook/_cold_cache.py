"""Whether numba's cache already holds cnnbook's kernels, and, in a notebook, warming it if not.

``cnnbook warm`` (:mod:`cnnbook.warm`) leaves a marker file in the cache when it has compiled
every kernel. ``import cnnbook`` in an IPython kernel calls :func:`warm_in_background_if_cold`:
with no marker it starts ``python -m cnnbook.warm --background``, a detached low-priority
process, and the learner's own first large call later finds the kernels compiled. This module
is imported by ``cnnbook/__init__.py``, so it must stay light: it imports nothing of cnnbook's
kernels and starts no compilation itself.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import numba
import numpy as np

from ._runtime import PACKAGE_DIR

# A background warm that has held its lock this long is taken to have died.
STALE_LOCK_SECONDS = 15 * 60


def cache_dir() -> Path:
    """Where numba caches cnnbook's kernels: ``NUMBA_CACHE_DIR`` if set, else beside the sources."""
    return Path(numba.config.CACHE_DIR) if numba.config.CACHE_DIR else PACKAGE_DIR / "__pycache__"


def warm_marker() -> Path:
    """The file that records a complete warm of this cache, named after what the machine code depends on:
    the kernels' sources (the gemm they call included) and the versions of Python, NumPy, numba and cnnbook."""
    from . import __version__

    digest = hashlib.sha256()
    for part in (sys.version, np.__version__, numba.__version__, __version__):
        digest.update(part.encode())
    for source in sorted([*PACKAGE_DIR.rglob("_*kernels.py"), PACKAGE_DIR / "_gemm.py"]):
        digest.update(source.read_bytes())
    return cache_dir() / f"cnnbook-warm-{digest.hexdigest()[:16]}.done"


def warm_in_background_if_cold() -> bool:
    """In a notebook (an IPython kernel), start a background ``cnnbook warm`` unless the cache is
    marked warm, one is running already, or ``CNNBOOK_BACKGROUND_WARM=0``; returns whether it
    started one. Scripts and the ``cnnbook`` command never start one: they compile what they use.

    The lock file (created atomically, so two kernels starting at once start one warm) holds the
    warm's process id; the warm deletes it when it ends.
    """
    if "ipykernel" not in sys.modules or os.environ.get("CNNBOOK_BACKGROUND_WARM", "1") == "0":
        return False
    try:
        marker = warm_marker()
        if marker.exists():
            return False
        lock = marker.with_suffix(".lock")
        if lock.exists() and time.time() - lock.stat().st_mtime > STALE_LOCK_SECONDS:
            lock.unlink(missing_ok=True)
        lock.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except OSError:  # locked by another process, or a cache we cannot write: nothing to do
        return False
    try:
        worker = subprocess.Popen([sys.executable, "-m", "cnnbook.warm", "--background", str(lock)],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  cwd=lock.parent, close_fds=True)
        os.write(descriptor, str(worker.pid).encode())
    except OSError:
        lock.unlink(missing_ok=True)
        return False
    finally:
        os.close(descriptor)
    return True
