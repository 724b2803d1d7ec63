"""``cnnbook warm``: compile every numba kernel into the cache now, instead of at a first large call.

numba compiles a kernel the first time it runs for a dtype and keeps the machine code in its
cache (see :mod:`cnnbook._runtime`), so only a fresh install pays: a few seconds per kernel.
``make lab``, ``make test`` and Binder's ``postBuild`` run this once after installing, one
process per dtype, so the book starts warm.

Where nothing ran it (``pip install`` on Colab, a clone used without ``make``), no call waits
for the compiler either: the first large call of a dtype starts that dtype's warm in a background
process, and calls run the kernels uncompiled until it is done (:mod:`cnnbook._cold_cache`,
:mod:`cnnbook._uncompiled`); in a notebook, ``import cnnbook`` starts the warm of both dtypes at once.
``CNNBOOK_BACKGROUND_WARM=0`` turns that off.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ._cold_cache import (BACKGROUND_NICENESS, DTYPE_NAMES, mark_compiled, mark_warm, start_warm, warm_marker,
                          warm_running)

DTYPES = {name: np.dtype(name).type for name in DTYPE_NAMES}
# How often a warm waiting for another process's warm of a dtype looks whether it has ended.
POLL_SECONDS = 0.2


@contextmanager
def small_call_limits(conv_work: int, pool_cells: int):
    """Inside the block, calls below these sizes take the NumPy path (0: none does; a huge limit:
    every call does); see ``SMALL_WORK`` in :mod:`cnnbook.conv` and ``SMALL_CELLS`` in :mod:`cnnbook.pool`."""
    from . import conv, pool

    saved = conv.SMALL_WORK, pool.SMALL_CELLS
    conv.SMALL_WORK, pool.SMALL_CELLS = conv_work, pool_cells
    try:
        yield
    finally:
        conv.SMALL_WORK, pool.SMALL_CELLS = saved


def warm_kernels(dtype) -> None:
    """Run every numba kernel, down each of its code paths, once on small ``dtype`` arrays."""
    import cnnbook as cb

    mark_compiled(dtype)
    layers = [  # (x shape, w shape, stride, padding): each path of _conv_kernels at least once
        ((2, 3, 6, 6), (4, 3, 3, 3), 2, 1),    # windows copied, two samples per product
        ((1, 3, 16, 16), (4, 3, 3, 3), 1, 1),  # windows copied, one sample per product
        ((2, 3, 4, 4), (4, 3, 1, 1), 1, 0),    # 1x1: the pixels are the windows, two samples per product
        ((1, 3, 16, 16), (4, 3, 1, 1), 1, 0),  # 1x1, one sample per product: the image itself
        ((1, 3, 24, 24), (4, 3, 3, 3), 1, 1),  # a large map: one product per block of rows
    ]
    with small_call_limits(0, 0):  # every call on the numba kernels
        for x_shape, w_shape, stride, padding in layers:
            x, w = np.ones(x_shape, dtype), np.ones(w_shape, dtype)
            y = cb.conv2d(x, w, np.zeros(w_shape[0], dtype), stride, padding)
            cb.conv2d_backward(np.ones_like(y), x, w, stride, padding)
            cb.conv2d_backward(np.ones_like(y), x, w, stride, padding, input_grad=False)
        x = np.ones((2, 3, 6, 6), dtype)
        for kernel, stride, padding in ((2, 2, 0), (3, 2, 1)):  # the 2x2 fast path and the general one
            for pool, backward in ((cb.max_pool2d, cb.max_pool2d_backward), (cb.avg_pool2d, cb.avg_pool2d_backward)):
                backward(np.ones_like(pool(x, kernel, stride, padding)), x, kernel, stride, padding)
    gamma, beta = np.ones(3, dtype), np.zeros(3, dtype)  # batch normalisation has no NumPy path
    cb.batch_norm2d_backward(np.ones_like(x), x, gamma)
    cb.batch_norm2d(x, gamma, beta)


def run(dtype_names: list[str], quiet: bool = False) -> int:
    """Warm the kernels for each named dtype in its own process, side by side; report the time.

    A dtype another process is warming already is waited for, not warmed twice. When every dtype
    is warmed, the cache is marked warm (:func:`cnnbook._cold_cache.mark_warm`).
    """
    start = time.perf_counter()
    output = subprocess.DEVNULL if quiet else None
    workers = [start_warm(name, background=False, output=output) for name in dtype_names]
    failed = []
    for name, worker in zip(dtype_names, workers):
        if worker is not None and worker.wait() != 0:
            failed.append(name)
        while worker is None and warm_running(name):
            time.sleep(POLL_SECONDS)
        if not warm_marker(name).exists() and name not in failed:
            failed.append(name)
    if failed:
        print(f"cnnbook warm: compiling the {', '.join(failed)} kernels failed", file=sys.stderr)
        return 1
    if not quiet:
        print(f"cnnbook warm: kernels for {', '.join(dtype_names)} compiled and cached "
              f"in {time.perf_counter() - start:.1f} s")
    return 0


def _leave_the_foreground() -> None:
    """Run at low priority, outside the caller's process group (a notebook kernel's restart, or a
    Ctrl-C in a terminal, signals that group), but in its session: Linux weighs niceness only among
    the processes of one session (autogroups), so in a session of its own a warm would take as much
    of the cores as the learner's process."""
    if hasattr(os, "setpgrp"):
        os.setpgrp()
    if hasattr(os, "nice"):
        os.nice(BACKGROUND_NICENESS)


def _warm_one(dtype_name: str, lock: Path, background: bool) -> int:
    """The body of a dtype's warm: compile its kernels, mark it done, release its lock."""
    try:
        if background:
            _leave_the_foreground()
        warm_kernels(DTYPES[dtype_name])
        mark_warm(dtype_name)
        return 0
    finally:
        lock.unlink(missing_ok=True)


def _background_warm(lock: Path) -> int:
    """The body of a notebook's background warm: every dtype at low priority, then release the lock."""
    try:
        _leave_the_foreground()
        return run(list(DTYPES), quiet=True)
    finally:
        lock.unlink(missing_ok=True)


if __name__ == "__main__":
    if sys.argv[1] == "--background":
        sys.exit(_background_warm(Path(sys.argv[2])))
    sys.exit(_warm_one(sys.argv[1], Path(sys.argv[2]), "--background" in sys.argv[3:]))
