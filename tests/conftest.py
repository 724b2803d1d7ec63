"""Shared fixtures for the test suite."""

from __future__ import annotations

from contextlib import nullcontext

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261123)



@pytest.fixture(scope="module", params=["numba kernels", "uncompiled kernels", "numpy path"])
def kernel_path(request):
    """Send every convolution and pooling call to the numba kernels, to the same kernels uncompiled
    (:mod:`cnnbook._uncompiled`, what runs while numba compiles them), or to the NumPy path that
    small calls take (:mod:`cnnbook._numpy_kernels`), for the tests of one module."""
    from cnnbook._cold_cache import mark_compiled, uncompiled_kernels
    from cnnbook.warm import DTYPES, small_call_limits

    limit = 1 << 62 if request.param == "numpy path" else 0
    uncompiled = uncompiled_kernels() if request.param == "uncompiled kernels" else nullcontext()
    with small_call_limits(limit, limit), uncompiled:
        if request.param == "numba kernels":
            for dtype in DTYPES.values():
                mark_compiled(dtype)
        yield request.param
