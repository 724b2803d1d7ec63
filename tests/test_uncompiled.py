"""The kernels uncompiled (cnnbook._uncompiled) give the compiled kernels' bits, and run while those compile.

On an empty cache the first large call of a dtype starts that dtype's warm in the background and
runs the uncompiled kernels until it is done (cnnbook._cold_cache): which path a call takes must
never show in its result.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from test_conv import CASE_IDS
from test_conv import EDGE_CASES as CONV_CASES
from test_pool import EDGE_CASES as POOL_CASES

import cnnbook as cb
from cnnbook import _cold_cache
from cnnbook.warm import DTYPES, small_call_limits


def bits(array):
    """Every bit of ``array``, but for NaN's sign and payload (left to the hardware: see cnnbook._uncompiled)."""
    return None if array is None else (array.dtype, array.shape, np.where(np.isnan(array), np.nan, array).tobytes())


def compiled_and_uncompiled(compute):
    """``compute()`` on the numba kernels, then on the uncompiled ones; every call on the kernels."""
    with small_call_limits(0, 0):
        for dtype in DTYPES.values():
            _cold_cache.mark_compiled(dtype)
        compiled = compute()
        with _cold_cache.uncompiled_kernels():
            uncompiled = compute()
    return compiled, uncompiled


def with_specials(array, rng):
    """``array`` with a few NaN, inf, -inf and -0.0 in random places."""
    array = array.copy()
    flat = array.reshape(-1)
    for value in (np.nan, np.inf, -np.inf, -0.0):
        flat[rng.integers(flat.size, size=max(1, flat.size // 50))] = value
    return array


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("index", range(len(CONV_CASES)), ids=CASE_IDS)
def test_uncompiled_convolution_gives_the_compiled_bits(index, dtype):
    _, x_shape, w_shape, stride, padding, with_bias = CONV_CASES[index]
    rng = np.random.default_rng(index)
    x, w, b = (rng.standard_normal(shape).astype(dtype) for shape in (x_shape, w_shape, w_shape[:1]))
    dy = rng.standard_normal(cb.conv2d(x, w, None, stride, padding).shape).astype(dtype)
    b = b if with_bias else None

    def compute():
        return (cb.conv2d(x, w, b, stride, padding), *cb.conv2d_backward(dy, x, w, stride, padding),
                cb.conv2d_backward(dy, x, w, stride, padding, input_grad=False)[1])

    compiled, uncompiled = compiled_and_uncompiled(compute)
    for name, a, b in zip(("y", "dx", "dw", "db", "dw without dx"), compiled, uncompiled):
        assert bits(a) == bits(b), f"{name} differs"


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_uncompiled_convolution_spreads_nan_and_inf_as_the_compiled_one(dtype):
    rng = np.random.default_rng(5)
    x = with_specials(rng.standard_normal((6, 3, 20, 18)).astype(dtype), rng)
    w = with_specials(rng.standard_normal((5, 3, 3, 3)).astype(dtype), rng)
    dy = with_specials(rng.standard_normal((6, 5, 10, 9)).astype(dtype), rng)

    def compute():
        return (cb.conv2d(x, w, None, 2, 1), *cb.conv2d_backward(dy, x, w, 2, 1))

    compiled, uncompiled = compiled_and_uncompiled(compute)
    assert np.isnan(compiled[0]).any() and np.isnan(compiled[1]).any()
    assert [bits(a) for a in compiled] == [bits(b) for b in uncompiled]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("shape, kernel_size, stride, padding", POOL_CASES + [((3, 4, 12, 12), 2, 2, 0)])
def test_uncompiled_pooling_gives_the_compiled_bits(shape, kernel_size, stride, padding, kind, dtype):
    pool, backward = {"max": (cb.max_pool2d, cb.max_pool2d_backward),
                      "avg": (cb.avg_pool2d, cb.avg_pool2d_backward)}[kind]
    rng = np.random.default_rng(sum(shape))
    x = rng.standard_normal(shape).astype(dtype)
    if shape[2] > 1:
        x[..., :1, :1] = x[..., 1:2, :1]  # ties
    x = with_specials(x, rng) if x.size > 20 else x
    dy = rng.standard_normal(pool(x, kernel_size, stride, padding).shape).astype(dtype)

    def compute():
        return pool(x, kernel_size, stride, padding), backward(dy, x, kernel_size, stride, padding)

    compiled, uncompiled = compiled_and_uncompiled(compute)
    assert [bits(a) for a in compiled] == [bits(b) for b in uncompiled]


def test_the_small_calls_average_pooling_gives_the_compiled_bits():
    """The NumPy path of small calls adds each window up in the kernel's order too (float32 sums of
    varied magnitudes, where another order changes the last bit)."""
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((2, 3, 9, 9)) * 10.0 ** rng.integers(-3, 4, (2, 3, 9, 9))).astype(np.float32)
    dy = rng.standard_normal((2, 3, 5, 5)).astype(np.float32)
    outputs = []
    for limit in (0, 1 << 62):  # every call on the kernels, then every call on the NumPy path
        with small_call_limits(limit, limit):
            _cold_cache.mark_compiled(np.float32)
            outputs.append([bits(cb.avg_pool2d(x, 3, 2, 1)), bits(cb.avg_pool2d_backward(dy, x, 3, 2, 1))])
    assert outputs[0] == outputs[1]


# --- on an empty cache, in a fresh process -------------------------------------------

FIRST_CALLS = """
import os, numpy as np, cnnbook as cb
from cnnbook import _cold_cache, _conv_kernels, _pool_kernels
kernels = [_conv_kernels.conv2d_samples, _conv_kernels.conv2d_backward_samples,
           _pool_kernels.max_pool_forward, _pool_kernels.max_pool_backward]

def calls():
    rng = np.random.default_rng(0)
    out = []
    for dtype in (np.float64, np.float32):
        x, w = rng.standard_normal((16, 2, 28, 28)).astype(dtype), rng.standard_normal((6, 2, 5, 5)).astype(dtype)
        y = cb.conv2d(x, w, None, 1, 1)
        z = cb.max_pool2d(y, 2)
        out += [y, *cb.conv2d_backward(np.ones_like(y), x, w, 1, 1), z, cb.max_pool2d_backward(np.ones_like(z), y, 2)]
    return [a.tobytes() for a in out]

first = calls()
compiled_here = sum(len(kernel.signatures) for kernel in kernels)
warms = sorted(_cold_cache._warms)
_cold_cache.wait_for_warms()
again = calls()
hits = sum(sum(kernel.stats.cache_hits.values()) for kernel in kernels)
misses = sum(sum(kernel.stats.cache_misses.values()) for kernel in kernels)
print(compiled_here, ",".join(warms) or "none", first == again, hits, misses, os.path.realpath(cb.__file__))
"""


def run_first_calls(cache_dir, switch, cwd=None):
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache_dir), "CNNBOOK_BACKGROUND_WARM": switch}
    result = subprocess.run([sys.executable, "-c", FIRST_CALLS], capture_output=True, text=True, env=env,
                            timeout=900, cwd=cwd)
    assert result.returncode == 0, result.stderr
    compiled_here, warms, same, hits, misses, package = result.stdout.split()
    return int(compiled_here), warms, same == "True", int(hits), int(misses), Path(package).parent


def test_on_an_empty_cache_large_calls_wait_for_no_compiler_and_switch_once_it_is_warm(tmp_path):
    compiled_here, warms, same, hits, misses, _ = run_first_calls(tmp_path, "1")
    assert compiled_here == 0, "a first call compiled a kernel in the caller's process"
    assert warms == "float32,float64", "each dtype's first large call starts its warm"
    assert same, "the compiled kernels gave other bits than the uncompiled ones"
    assert hits == 8 and misses == 0, "after the warms, the kernels did not load from the cache"
    marked = sorted(path.name for path in tmp_path.glob("cnnbook-warm-*.done"))
    ends = ("-float32.done", "-float64.done", ".done")
    assert len(marked) == 3 and all(map(str.endswith, marked, ends)), f"each dtype, then the cache marked: {marked}"
    assert not list(tmp_path.glob("*.lock")), "a warm kept its lock"


def test_a_cache_given_as_a_relative_path_is_warmed_where_the_caller_looks(tmp_path):
    """The warm runs in the cache's folder, so it must be told the cache's absolute path."""
    compiled_here, warms, same, hits, misses, _ = run_first_calls("cache", "1", cwd=tmp_path)
    assert compiled_here == 0 and warms == "float32,float64" and same
    assert hits == 8 and misses == 0, "the warms filled another cache than the caller's"
    assert len(list((tmp_path / "cache").glob("cnnbook-warm-*.done"))) == 3


def test_a_clone_used_without_installing_is_the_package_its_warms_compile(tmp_path):
    """A script in a clone imports cnnbook from its working folder; the warm, which runs elsewhere,
    must compile that package's kernels, not an installed one's."""
    import shutil

    clone = tmp_path / "clone"
    shutil.copytree(Path(cb.__file__).parent, clone / "cnnbook", ignore=shutil.ignore_patterns("__pycache__"))
    compiled_here, warms, same, hits, misses, package = run_first_calls(tmp_path / "cache", "1", cwd=clone)
    assert package == (clone / "cnnbook").resolve(), "the script did not import the clone's package"
    assert compiled_here == 0 and warms == "float32,float64" and same
    assert hits == 8 and misses == 0, "the warms compiled another copy of cnnbook than the caller's"


def test_with_background_warms_off_the_first_call_compiles_in_the_callers_process(tmp_path):
    compiled_here, warms, same, _, _, _ = run_first_calls(tmp_path, "0")
    assert compiled_here == 8 and warms == "none" and same
    assert not list(tmp_path.glob("cnnbook-warm-*")), "something was started or marked"


# --- the locks that keep one warm per cache and dtype ---------------------------------


def test_a_lock_is_held_while_its_process_lives(tmp_path):
    lock = tmp_path / "warm.lock"
    lock.write_text(str(os.getpid()))
    assert _cold_cache._held(lock)
    assert _cold_cache._take_lock(lock) is None
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    lock.write_text(ended.stdout.strip())  # a warm that died without releasing its lock
    assert not _cold_cache._held(lock)
    descriptor = _cold_cache._take_lock(lock)
    assert descriptor is not None and lock.read_text() == ""
    os.close(descriptor)


def test_a_new_empty_lock_is_held_and_an_old_one_is_not(tmp_path):
    lock = tmp_path / "warm.lock"
    lock.write_text("")
    assert _cold_cache._held(lock), "a lock whose warm is being started was taken over"
    old = time.time() - _cold_cache.NEW_LOCK_SECONDS - 1
    os.utime(lock, (old, old))
    assert not _cold_cache._held(lock)
    lock.write_text(str(os.getpid()))
    stale = time.time() - _cold_cache.STALE_LOCK_SECONDS - 1
    os.utime(lock, (stale, stale))
    assert not _cold_cache._held(lock), "a lock older than STALE_LOCK_SECONDS is held still"


def test_a_dtype_another_process_is_warming_starts_no_second_warm(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(_cold_cache.numba.config, "CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(_cold_cache, "_compiled", set())
    monkeypatch.setattr(_cold_cache, "_warms", {})
    monkeypatch.setattr(_cold_cache, "_markers", {})
    monkeypatch.setenv("CNNBOOK_BACKGROUND_WARM", "1")
    _cold_cache.warm_marker("float32").with_suffix(".lock").write_text(str(os.getpid()))
    assert not _cold_cache.kernels_compiled(np.float32)
    assert _cold_cache._warms == {}, "a second warm of float32 was started"
    _cold_cache.warm_marker("float32").write_text("compiled\n")
    assert _cold_cache.kernels_compiled(np.float32), "the dtype's marker did not switch its calls to compiled"


def test_a_forked_child_watches_its_parents_warm_instead_of_compiling(tmp_path, monkeypatch):
    """Its parent's warm is not its child: it must not take the warm for ended (and compile here)."""
    monkeypatch.setattr(_cold_cache.numba.config, "CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(_cold_cache, "_compiled", set())
    monkeypatch.setattr(_cold_cache, "_markers", {})
    monkeypatch.setenv("CNNBOOK_BACKGROUND_WARM", "1")
    lock = _cold_cache.warm_marker("float32").with_suffix(".lock")
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lock.write_text(str(sleeper.pid))
        _cold_cache._warms["float32"] = sleeper  # as if this process had started the warm
        read, write = os.pipe()
        child = os.fork()
        if child == 0:  # the child reports whether it would run compiled, and exits at once
            os.write(write, b"1" if _cold_cache.kernels_compiled(np.float32) else b"0")
            os._exit(0)
        os.waitpid(child, 0)
        assert os.read(read, 1) == b"0", "the forked child took its parent's running warm for ended"
    finally:
        _cold_cache._warms.pop("float32", None)
        sleeper.kill()
        sleeper.wait()
