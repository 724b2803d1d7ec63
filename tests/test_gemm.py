"""cnnbook._gemm: BLAS's gemm on matrices inside flat arrays, called from numba kernels (and from Python)."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys

import numba
import numpy as np
import pytest

from cnnbook import _gemm


@numba.njit
def gemm_in_a_kernel(M, N, K, a, a_first, lda, trans_a, b, b_first, ldb, trans_b, beta, c, c_first, ldc):
    _gemm.gemm(M, N, K, a, a_first, lda, trans_a, b, b_first, ldb, trans_b, beta, c, c_first, ldc)


def embedded(matrix, first, ld):
    """A flat array holding ``matrix`` from index ``first`` on, its rows ``ld`` apart; the rest is NaN."""
    rows, columns = matrix.shape
    flat = np.full(first + (rows - 1) * ld + columns + 3, np.nan, matrix.dtype)
    for row in range(rows):
        flat[first + row * ld: first + row * ld + columns] = matrix[row]
    return flat


def entries(flat, first, ld, rows, columns):
    return np.stack([flat[first + row * ld: first + row * ld + columns] for row in range(rows)])


@pytest.mark.parametrize("call", [gemm_in_a_kernel, _gemm.gemm_from_python], ids=["in a kernel", "from Python"])
@pytest.mark.parametrize("dtype, tolerance", [(np.float64, 1e-12), (np.float32, 1e-5)])
@pytest.mark.parametrize("trans_a, trans_b", list(itertools.product((False, True), repeat=2)))
def test_gemm_is_the_product_of_the_matrices_inside_flat_arrays(call, dtype, tolerance, trans_a, trans_b):
    _gemm.register_symbols()
    rng = np.random.default_rng(7)
    M, N, K = 3, 5, 4
    a = rng.standard_normal((K, M) if trans_a else (M, K)).astype(dtype)
    b = rng.standard_normal((N, K) if trans_b else (K, N)).astype(dtype)
    c = rng.standard_normal((M, N)).astype(dtype)
    expected = (a.T if trans_a else a) @ (b.T if trans_b else b)
    flat_a, flat_b = embedded(a, 2, a.shape[1] + 3), embedded(b, 1, b.shape[1] + 2)
    for beta, c_start in ((0.0, np.full_like(c, np.nan)), (1.0, c)):  # beta 0 never reads c, so NaN stays out
        flat_c = embedded(c_start, 4, N + 1)
        before = flat_c.copy()
        call(M, N, K, flat_a, 2, a.shape[1] + 3, trans_a, flat_b, 1, b.shape[1] + 2, trans_b, beta, flat_c, 4, N + 1)
        np.testing.assert_allclose(entries(flat_c, 4, N + 1, M, N), expected + beta * c, rtol=tolerance,
                                   atol=tolerance)
        outside = np.ones(flat_c.size, bool)
        for row in range(M):
            outside[4 + row * (N + 1): 4 + row * (N + 1) + N] = False
        np.testing.assert_array_equal(flat_c[outside], before[outside])  # nothing outside c is written


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("trans_a, trans_b", list(itertools.product((False, True), repeat=2)))
def test_gemm_from_python_gives_the_bits_of_gemm_in_a_kernel(dtype, trans_a, trans_b):
    """The same routine with the same arguments: :mod:`cnnbook._uncompiled` relies on it, bit for bit."""
    _gemm.register_symbols()
    rng = np.random.default_rng(11)
    M, N, K = 37, 70, 300  # a product long enough that the order of its sums shows in the last bits
    a = rng.standard_normal(K * M + 9).astype(dtype)
    b = rng.standard_normal(K * N + 5).astype(dtype)
    results = []
    for call in (gemm_in_a_kernel, _gemm.gemm_from_python):
        c = rng.standard_normal(M * (N + 2) + 1).astype(dtype) if not results else results[0][1].copy()
        start = c.copy()
        call(M, N, K, a, 9, M if trans_a else K, trans_a, b, 5, K if trans_b else N, trans_b, 1.0, c, 1, N + 2)
        results.append((c, start))
    (kernel, _), (python, _) = results
    assert np.array_equal(kernel.view(np.uint8), python.view(np.uint8))


def test_gemm_wants_one_float_dtype():
    _gemm.register_symbols()
    a, c = np.ones(4, np.float32), np.zeros(4, np.float64)
    with pytest.raises(numba.TypingError):
        gemm_in_a_kernel(2, 2, 2, a, 0, 2, False, a, 0, 2, False, 0.0, c, 0, 2)
    with pytest.raises(TypeError, match="must share one dtype, float32 or float64; got float32, float32, float64"):
        _gemm.gemm_from_python(2, 2, 2, a, 0, 2, False, a, 0, 2, False, 0.0, c, 0, 2)


CACHED_CONV = """
import numpy as np, cnnbook as cb
from cnnbook import _conv_kernels
rng = np.random.default_rng(0)
x, w = rng.standard_normal((4, 3, 20, 20)), rng.standard_normal((5, 3, 3, 3))
y = cb.conv2d(x, w, None, 1, 1)
loaded = sum(_conv_kernels.conv2d_samples.stats.cache_hits.values())
print(float(np.abs(y - cb.conv2d_reference(x, w, None, 1, 1)).max()), loaded)
"""


def test_kernels_loaded_from_the_cache_find_the_routine(tmp_path):
    """The symbol :func:`cnnbook._gemm.gemm` calls is registered before a cached kernel is loaded."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "CNNBOOK_BACKGROUND_WARM": "0"}  # compiled here
    command = [sys.executable, "-c", CACHED_CONV]
    runs = [subprocess.run(command, capture_output=True, text=True, env=env, timeout=600) for _ in range(2)]
    for run in runs:
        assert run.returncode == 0, run.stderr
    (compiled_error, compiled_hits), (cached_error, cached_hits) = (map(float, run.stdout.split()) for run in runs)
    assert compiled_hits == 0 and cached_hits > 0, "the second run did not load the kernel from the cache"
    assert compiled_error < 1e-12 and cached_error < 1e-12


def test_a_layer_beyond_blas_sizes_is_a_clear_error():
    from cnnbook import _conv_kernels

    with pytest.raises(ValueError, match="beyond the 32-bit sizes BLAS takes"):
        _conv_kernels.make_plan((1, 1, 2**16, 2**16), (1, 1, 1, 1), (1, 1), (0, 0), (2**16, 2**16), 1)
    assert _conv_kernels.make_plan((1, 1, 2**15, 2**15), (1, 1, 1, 1), (1, 1), (0, 0), (2**15, 2**15), 1)[-1] == 1
