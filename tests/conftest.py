"""Shared fixtures for the test suite."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261123)



@pytest.fixture(scope="module", params=["numba kernels", "numpy path"])
def kernel_path(request):
    """Send every convolution and pooling call to the numba kernels, or every one to the NumPy path
    that small calls take (:mod:`cnnbook._numpy_kernels`), for the tests of one module."""
    from cnnbook.warm import small_call_limits

    limit = 1 << 62 if request.param == "numpy path" else 0
    with small_call_limits(limit, limit):
        yield request.param
