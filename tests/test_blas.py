"""The BLAS behind the convolution's products runs on one thread while cnnbook's pool runs it."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import cnnbook as cb
from cnnbook import _blas
from cnnbook.warm import small_call_limits


class RecordingLibrary:
    """Stands in for threadpoolctl's controller of the gemm library: keeps a thread count, logs changes."""

    def __init__(self, threads):
        self.num_threads, self.changes = threads, []

    def set_num_threads(self, threads):
        self.num_threads = threads
        self.changes.append(threads)


@pytest.fixture
def library(monkeypatch):
    fake = RecordingLibrary(threads=2)
    monkeypatch.setattr(_blas, "_controller", fake)
    return fake


def test_the_gemm_library_is_found_and_is_the_one_scipy_ships_or_the_only_one():
    controller = _blas._gemm_controller()
    assert controller, "no BLAS found behind scipy.linalg.cython_blas"
    assert controller.user_api == "blas"


def test_one_thread_inside_the_block_and_the_old_count_after_nested_blocks_too(library):
    with _blas.single_threaded():
        assert library.num_threads == 1
        with _blas.single_threaded():
            assert library.num_threads == 1
        assert library.num_threads == 1, "the inner block must not restore while the outer one runs"
    assert library.num_threads == 2 and library.changes == [1, 2]


def test_the_count_is_restored_after_an_error(library):
    with pytest.raises(ZeroDivisionError):
        with _blas.single_threaded():
            1 / 0
    assert library.num_threads == 2


def test_concurrent_blocks_restore_only_when_the_last_one_ends(library):
    inside, release = threading.Event(), threading.Event()

    def other_caller():
        with _blas.single_threaded():
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=other_caller)
    thread.start()
    inside.wait(10)
    with _blas.single_threaded():
        pass
    assert library.num_threads == 1, "another thread is still inside its block"
    release.set()
    thread.join()
    assert library.num_threads == 2


def test_a_convolution_holds_the_library_to_one_thread_and_gives_its_threads_back(library, monkeypatch):
    seen = []
    real = cb.conv._blas.single_threaded

    def spying():
        seen.append(library.num_threads)
        return real()

    monkeypatch.setattr(cb.conv._blas, "single_threaded", spying)
    x, w = np.ones((4, 3, 8, 8), np.float32), np.ones((5, 3, 3, 3), np.float32)
    with small_call_limits(0, 0):
        y = cb.conv2d(x, w, None, 1, 1)
        cb.conv2d_backward(y, x, w, 1, 1)
    assert seen == [2, 2] and library.changes == [1, 2, 1, 2] and library.num_threads == 2


def test_the_real_library_keeps_its_thread_count_across_a_convolution():
    controller = _blas._gemm_controller()
    before = controller.num_threads
    x, w = np.ones((4, 3, 8, 8)), np.ones((5, 3, 3, 3))
    with small_call_limits(0, 0):
        cb.conv2d_backward(cb.conv2d(x, w, None, 1, 1), x, w, 1, 1)
    assert controller.num_threads == before
