"""``cnnbook warm``: compile every numba kernel into the cache now, instead of at a first large call.

numba compiles a kernel the first time it runs for a dtype and keeps the machine code in its
cache (see :mod:`cnnbook._runtime`), so only a fresh install pays: a few seconds per kernel,
at the first convolution too large for the NumPy path (:mod:`cnnbook._numpy_kernels`), such
as the capstone's first training batch. ``make lab``, ``make test`` and Binder's ``postBuild``
run this once after installing, one process per dtype, so the book starts warm.
"""

from __future__ import annotations

import subprocess
import sys
import time
from contextlib import contextmanager

import numpy as np

DTYPES = {"float32": np.float32, "float64": np.float64}


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

    layers = [  # (x shape, w shape, stride, padding): each path of _conv_kernels at least once
        ((2, 3, 6, 6), (4, 3, 3, 3), 2, 1),    # windows copied, two samples per product
        ((1, 3, 16, 16), (4, 3, 3, 3), 1, 1),  # windows copied, one sample per product
        ((2, 3, 4, 4), (4, 3, 1, 1), 1, 0),    # 1x1: the pixels are the windows, two samples per product
        ((1, 3, 16, 16), (4, 3, 1, 1), 1, 0),  # 1x1, one sample per product: the image itself
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


def run(dtype_names: list[str]) -> int:
    """Warm the kernels for each named dtype in its own process, side by side; report the time."""
    start = time.perf_counter()
    workers = [subprocess.Popen([sys.executable, "-m", "cnnbook.warm", name]) for name in dtype_names]
    failed = [name for name, worker in zip(dtype_names, workers) if worker.wait() != 0]
    if failed:
        print(f"cnnbook warm: compiling the {', '.join(failed)} kernels failed", file=sys.stderr)
        return 1
    print(f"cnnbook warm: kernels for {', '.join(dtype_names)} compiled and cached "
          f"in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    warm_kernels(DTYPES[sys.argv[1]])
