"""The BLAS behind the numba kernels' products, held to one thread while cnnbook's pool runs.

The kernels' products call the ``gemm`` that SciPy exports (``scipy.linalg.cython_blas``, through
:mod:`cnnbook._gemm`). That BLAS, usually OpenBLAS, has its own threads. The
convolution kernels already run one chunk per core on cnnbook's pool
(:mod:`cnnbook._parallel`), so each product should run on the thread that calls it: two
threaded products at once would put four threads on two cores, and BLAS's idle workers would
spin on the cores the pool needs. :func:`single_threaded` sets that one library to one thread
for the length of a kernel call and then puts back what it was, so SciPy's own linear
algebra keeps every core. NumPy's BLAS is a different library in the wheels and is not
touched (in environments where the two share one library, NumPy's products made by another
thread during a kernel call run on one thread).

OpenBLAS's ``openblas_set_num_threads_local`` would be the natural tool, but in its pthreads
builds (the wheels') it sets the count for every thread, so it is not used.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

_lock = threading.Lock()
_callers = 0
_saved_threads = None
_controller = None  # see _gemm_controller; False when there is none


def _gemm_controller():
    """threadpoolctl's controller of the BLAS that ``scipy.linalg.cython_blas`` calls, or ``False``.

    The only BLAS loaded (conda and Debian builds share one between NumPy and SciPy), else the
    one SciPy's wheel ships in ``scipy.libs`` (NumPy's wheel ships another in ``numpy.libs``).
    """
    global _controller
    if _controller is None:
        _controller = _find_gemm_controller()
    return _controller


def _find_gemm_controller():
    try:
        import scipy
        from scipy.linalg import cython_blas  # noqa: F401  (loads the library)
    except ImportError:
        return False
    from threadpoolctl import ThreadpoolController

    blas = [lib for lib in ThreadpoolController().lib_controllers if lib.user_api == "blas"]
    if len(blas) == 1:
        return blas[0]
    scipy_dir = Path(scipy.__file__).resolve().parent
    shipped = [lib for lib in blas if Path(lib.filepath).resolve().parent in (scipy_dir, scipy_dir.parent / "scipy.libs")]
    return shipped[0] if len(shipped) == 1 else False


@contextmanager
def single_threaded() -> Iterator[None]:
    """Inside the block, the gemm library runs each product on its caller's thread.

    Nested and concurrent blocks are counted: the first sets one thread, the last puts back
    the count the library had before.
    """
    global _callers, _saved_threads
    library = _gemm_controller()
    if not library:
        yield
        return
    with _lock:
        if _callers == 0:
            _saved_threads = library.num_threads
            if _saved_threads != 1:
                library.set_num_threads(1)
        _callers += 1
    try:
        yield
    finally:
        with _lock:
            _callers -= 1
            if _callers == 0 and _saved_threads != 1:
                library.set_num_threads(_saved_threads)


def _forget_controller() -> None:
    """A forked child inherits the parent's counts but not its threads: start from scratch."""
    global _lock, _callers
    _lock, _callers = threading.Lock(), 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_controller)
