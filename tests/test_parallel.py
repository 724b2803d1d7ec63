"""cnnbook's thread pool (:mod:`cnnbook._parallel`): every chunk once, errors surface, forks work."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

import cnnbook as cb
from cnnbook._parallel import num_threads, run_chunks, run_split


@pytest.mark.parametrize("threads", [1, 2, 5])
@pytest.mark.parametrize("chunks", [0, 1, 3, 40])
def test_every_chunk_runs_exactly_once(threads, chunks):
    seen = []
    with num_threads(threads):
        run_chunks(seen.append, chunks)
    assert sorted(seen) == list(range(chunks))


@pytest.mark.parametrize("count, chunks", [(0, 1), (7, 3), (64, 8), (5, 5)])
def test_run_split_covers_the_range_in_nearly_equal_consecutive_pieces_whatever_the_threads(count, chunks):
    results = []
    for threads in (1, 2, 3):
        pieces = {}
        with num_threads(threads):
            run_split(lambda i, first, stop: pieces.__setitem__(i, (first, stop)), count, chunks)
        results.append(pieces)
    pieces = [results[0][i] for i in range(chunks)]
    assert results[0] == results[1] == results[2]
    assert pieces[0][0] == 0 and pieces[-1][1] == count
    assert all(a[1] == b[0] for a, b in zip(pieces, pieces[1:]))
    sizes = [stop - first for first, stop in pieces]
    assert max(sizes) - min(sizes) <= 1


def test_chunks_share_out_between_threads_and_the_caller_works_too():
    names = set()

    def chunk(_):
        names.add(threading.current_thread().name)
        time.sleep(0.01)  # long enough that one thread cannot take every chunk

    with num_threads(2):
        run_chunks(chunk, 8)
    assert threading.current_thread().name in names and len(names) == 2


def test_a_slow_thread_takes_fewer_chunks():
    """Chunks are claimed one at a time: a thread held up (here, the caller's first chunk) takes fewer."""
    taken: dict[str, int] = {}

    def chunk(index):
        name = threading.current_thread().name
        taken[name] = taken.get(name, 0) + 1
        time.sleep(0.2 if index == 0 else 0.005)

    with num_threads(2):
        run_chunks(chunk, 21)
    assert sum(taken.values()) == 21 and max(taken.values()) >= 15


def test_an_error_in_a_chunk_is_raised_to_the_caller_and_the_pool_still_works():
    def chunk(index):
        if index == 5:
            raise ZeroDivisionError("chunk 5")

    with num_threads(2), pytest.raises(ZeroDivisionError, match="chunk 5"):
        run_chunks(chunk, 10)
    seen = []
    with num_threads(2):
        run_chunks(seen.append, 6)
    assert sorted(seen) == list(range(6))


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_set_num_threads_explains_bad_values(bad):
    before = cb.get_num_threads()
    with pytest.raises(ValueError, match="expected an int >= 1"):
        cb.set_num_threads(bad)
    assert cb.get_num_threads() == before


def test_num_threads_restores_the_setting_even_after_an_error():
    before = cb.get_num_threads()
    with pytest.raises(RuntimeError):
        with num_threads(1):
            assert cb.get_num_threads() == 1
            raise RuntimeError
    assert cb.get_num_threads() == before


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_starts_its_own_workers():
    """The grader forks sessions from a warmed process: the parent's workers do not exist in the child."""
    script = (
        "import os, cnnbook as cb\n"
        "from cnnbook._parallel import num_threads, run_chunks\n"
        "with num_threads(2):\n"
        "    run_chunks(lambda i: None, 4)\n"  # the parent's workers start
        "    pid = os.fork()\n"
        "    if pid == 0:\n"
        "        seen = []\n"
        "        run_chunks(seen.append, 4)\n"
        "        os._exit(0 if sorted(seen) == [0, 1, 2, 3] else 3)\n"
        "    print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "0", result.stderr
