"""Small calls take the NumPy path (no compiler on an empty cache); ``cnnbook warm`` fills the cache."""

from __future__ import annotations

import os
import subprocess
import sys

SMALL_CALLS = """
import numpy as np, cnnbook as cb
from cnnbook import _conv_kernels, _pool_kernels
for dtype in (np.float64, np.float32):
    for stride in (1, 2):
        x, w = np.ones((2, 3, 8, 8), dtype), np.ones((4, 3, 3, 3), dtype)
        y = cb.conv2d(x, w, None, stride, 1)
        cb.conv2d_backward(np.ones_like(y), x, w, stride, 1)
        z = cb.max_pool2d(y, 2, 2)
        cb.max_pool2d_backward(np.ones_like(z), y, 2, 2)
        cb.avg_pool2d_backward(np.ones_like(z), y, 2, 2)
kernels = [_conv_kernels.conv2d_samples, _conv_kernels.conv2d_backward_samples, _pool_kernels.max_pool_forward,
           _pool_kernels.max_pool_backward, _pool_kernels.avg_pool_forward, _pool_kernels.avg_pool_backward]
print(sum(len(kernel.signatures) for kernel in kernels))
"""


def run_python(code_or_args, cache_dir, *, module=False):
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache_dir)}
    command = [sys.executable, "-m", *code_or_args] if module else [sys.executable, "-c", code_or_args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)


def test_a_chapters_first_calls_compile_no_kernel(tmp_path):
    result = run_python(SMALL_CALLS, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0"  # no kernel was compiled (nor loaded) for these calls


def test_warm_compiles_every_kernel_into_the_cache(tmp_path):
    result = run_python(["cnnbook", "warm", "--dtype", "float64"], tmp_path, module=True)
    assert result.returncode == 0, result.stderr
    assert "kernels for float64 compiled and cached" in result.stdout
    cached = "\n".join(path.name for path in tmp_path.rglob("*.nbi"))
    for kernel in ("conv2d_samples", "conv2d_backward_samples", "max_pool_forward", "max_pool_backward",
                   "avg_pool_forward", "avg_pool_backward", "channel_mean_var", "normalise", "backward_sums",
                   "backward_dx"):
        assert f".{kernel}-" in cached, f"{kernel} not in the cache:\n{cached}"


NOTEBOOK_IMPORT = """
import sys, types
sys.modules.setdefault("ipykernel", types.ModuleType("ipykernel"))  # as in a Jupyter kernel
import cnnbook
from cnnbook._cold_cache import warm_marker
print(warm_marker(), warm_marker().with_suffix(".lock").exists())
"""


def test_a_notebook_on_a_cold_cache_warms_it_in_the_background_once(tmp_path):
    import time
    from pathlib import Path

    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "CNNBOOK_BACKGROUND_WARM": "1"}
    first = subprocess.run([sys.executable, "-c", NOTEBOOK_IMPORT], capture_output=True, text=True, env=env, timeout=120)
    assert first.returncode == 0, first.stderr
    marker, locked = first.stdout.split()
    marker = Path(marker)
    assert marker.parent == tmp_path and locked == "True", "the import started no background warm"
    warm_pid = int(marker.with_suffix(".lock").read_text())
    deadline = time.monotonic() + 10
    while os.getpgid(warm_pid) != warm_pid and time.monotonic() < deadline:
        time.sleep(0.05)
    assert os.getpgid(warm_pid) == warm_pid, "the warm stayed in the kernel's process group (a restart kills it)"
    assert os.getsid(warm_pid) == os.getsid(0), "the warm left the session, where its niceness counts"
    deadline = time.monotonic() + 600
    while (not marker.exists() or marker.with_suffix(".lock").exists()) and time.monotonic() < deadline:
        time.sleep(1)
    assert marker.exists(), "the background warm did not finish"
    assert not marker.with_suffix(".lock").exists(), "the background warm kept its lock"
    cached = "\n".join(path.name for path in tmp_path.rglob("*.nbi"))
    assert ".conv2d_samples-" in cached and ".max_pool_forward-" in cached
    again = subprocess.run([sys.executable, "-c", NOTEBOOK_IMPORT], capture_output=True, text=True, env=env, timeout=120)
    assert again.stdout.split()[1] == "False", "a warm cache was warmed again"


def test_scripts_and_the_switch_start_no_background_warm(tmp_path):
    script = NOTEBOOK_IMPORT.replace('sys.modules.setdefault("ipykernel", types.ModuleType("ipykernel"))', "pass")
    for code, switch in ((script, "1"), (NOTEBOOK_IMPORT, "0")):
        env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "CNNBOOK_BACKGROUND_WARM": switch}
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
        assert result.returncode == 0, result.stderr
        assert result.stdout.split()[1] == "False"
    assert not list(tmp_path.glob("cnnbook-warm-*")), "something was started or marked"


def test_the_warm_marker_changes_with_the_kernels_and_the_gemm_they_call(tmp_path, monkeypatch):
    import shutil

    from cnnbook import _cold_cache

    for name in ("_conv_kernels.py", "_pool_kernels.py", "_gemm.py"):
        shutil.copy(_cold_cache.PACKAGE_DIR / name, tmp_path / name)
    monkeypatch.setattr(_cold_cache, "PACKAGE_DIR", tmp_path)
    markers = [_cold_cache.warm_marker()]
    for name in ("_gemm.py", "_pool_kernels.py"):
        with open(tmp_path / name, "a", encoding="utf-8") as source:
            source.write("\n# changed\n")
        markers.append(_cold_cache.warm_marker())
    assert len(set(markers)) == 3, "a change to a kernel or to the gemm they call left the cache marked warm"
