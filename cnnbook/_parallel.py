"""cnnbook's own thread pool: runs the chunks of one kernel call on every usable core.

numba's ``parallel=True`` loops run on an OpenMP (or TBB) team whose threads spin for a
while after each loop, waiting for the next one. In a notebook that also calls NumPy's BLAS
or PyTorch, whose threads spin too, the teams take turns stealing the two cores from each
other and every library slows down 2-3x. So the kernels are plain ``nogil`` numba
functions that compute one chunk each, and this module hands the chunks out:

* the calling thread works too, so one thread needs no pool at all;
* idle workers block on a queue (a futex), so they cost nothing between calls;
* chunks are claimed one at a time from a shared counter, so a thread slowed down by another
  library's spinning threads simply takes fewer chunks; which thread computes a chunk never
  changes what it computes, so results do not depend on the timing or the thread count.

It also makes the first call fast on an empty compile cache: serial kernels compile several
times faster than parallel ones.
"""

from __future__ import annotations

import itertools
import os
import queue
import threading
from contextlib import contextmanager
from typing import Callable, Iterator

from ._runtime import usable_cores

_threads = max(1, int(os.environ.get("NUMBA_NUM_THREADS") or usable_cores()))
_workers: list[queue.SimpleQueue] = []
_start_lock = threading.Lock()


def get_num_threads() -> int:
    """How many threads a kernel call uses (at most): the usable cores unless set otherwise."""
    return _threads


def set_num_threads(threads: int) -> None:
    """Use at most ``threads`` threads (>= 1) per kernel call from now on.

    Results do not depend on it; only the speed does. ``NUMBA_NUM_THREADS`` sets the default.
    """
    global _threads
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"set_num_threads: expected an int >= 1, got {threads!r}")
    _threads = threads


@contextmanager
def num_threads(threads: int | None) -> Iterator[None]:
    """Use ``threads`` threads inside the ``with`` block (``None``: leave it as it is), then restore."""
    previous = _threads
    if threads is not None:
        set_num_threads(threads)
    try:
        yield
    finally:
        set_num_threads(previous)


def run_chunks(compute_chunk: Callable[[int], object], chunks: int, threads: int | None = None) -> None:
    """Call ``compute_chunk(i)`` once for every ``i`` in ``range(chunks)``, on up to ``threads``
    (default :func:`get_num_threads`) threads, the calling thread included; returns when all are done.

    ``compute_chunk`` must release the GIL while it computes (a ``nogil`` numba kernel) and
    write only what chunk ``i`` owns. The first exception raised by a chunk is re-raised here.
    """
    helpers = min(threads or _threads, chunks) - 1
    if helpers <= 0:
        for chunk in range(chunks):
            compute_chunk(chunk)
        return
    counter, done, errors = itertools.count(), queue.SimpleQueue(), []
    job = (compute_chunk, counter, chunks, done, errors)
    for inbox in _inboxes(helpers):
        inbox.put(job)
    _work_on(*job[:3], errors)
    for _ in range(helpers):
        done.get()
    if errors:
        raise errors[0]


def run_split(compute_range: Callable[[int, int, int], object], count: int, chunks: int,
              threads: int | None = None) -> None:
    """Cut ``range(count)`` into ``chunks`` consecutive ranges of nearly equal size and call
    ``compute_range(i, first, stop)`` for the ``i``-th, as :func:`run_chunks` does.

    The ranges follow from ``count`` and ``chunks`` alone, never from the threads.
    """
    edges = [i * count // chunks for i in range(chunks + 1)]
    run_chunks(lambda i: compute_range(i, edges[i], edges[i + 1]), chunks, threads)


def _work_on(compute_chunk, counter, chunks, errors) -> None:
    """Claim chunks from ``counter`` (``next`` on it is atomic under the GIL) until none are left."""
    for chunk in counter:
        if chunk >= chunks or errors:
            return
        try:
            compute_chunk(chunk)
        except BaseException as error:  # handed to the caller of run_chunks
            errors.append(error)


def _inboxes(count: int) -> list[queue.SimpleQueue]:
    """The job queues of ``count`` worker threads, started on first use."""
    with _start_lock:
        while len(_workers) < count:
            inbox = queue.SimpleQueue()
            threading.Thread(target=_serve, args=(inbox,), name=f"cnnbook-worker-{len(_workers)}",
                             daemon=True).start()
            _workers.append(inbox)
    return _workers[:count]


def _forget_workers() -> None:
    """In a forked child the workers' threads do not exist: start new ones when needed."""
    global _start_lock
    _workers.clear()
    _start_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_workers)


def _serve(inbox: queue.SimpleQueue) -> None:
    while True:
        compute_chunk, counter, chunks, done, errors = inbox.get()
        _work_on(compute_chunk, counter, chunks, errors)
        done.put(None)
