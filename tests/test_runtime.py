"""numba's compile cache and thread count, set up when cnnbook is imported."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from paths import REPO_ROOT

PROBE = """
import json, os, numpy as np, numba, cnnbook
from cnnbook import signal
cnnbook.correlate2d(np.ones((4, 4)), np.ones((2, 2)))
print(json.dumps({
    "package": cnnbook.__file__,
    "cache_dir": os.environ.get("NUMBA_CACHE_DIR"),
    "threads": numba.config.NUMBA_NUM_THREADS,
    "cache_hits": sum(signal._correlate2d_valid.stats.cache_hits.values()),
}))
"""


def run_probe(site: Path, cache_home: Path, wrapper: list[str] = (), **popen) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env.update(PYTHONPATH=str(site), XDG_CACHE_HOME=str(cache_home))
    result = subprocess.run([*wrapper, sys.executable, "-c", PROBE], env=env, cwd=site.parent,
                            capture_output=True, text=True, timeout=300, **popen)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def copy_package(destination: Path) -> Path:
    site = destination / "site"
    shutil.copytree(REPO_ROOT / "cnnbook", site / "cnnbook", ignore=shutil.ignore_patterns("__pycache__"))
    return site


def read_only_wrapper(site: Path) -> list[str]:
    """A command prefix that runs Python with ``site`` mounted read-only.

    Permission bits do not stop root, so as root the copy is bind-mounted
    read-only in a private mount namespace; other users just lose write access.
    """
    if os.geteuid() != 0:
        for path in [site, *site.rglob("*")]:
            path.chmod(path.stat().st_mode & ~0o222)
        return []
    if not shutil.which("unshare"):
        pytest.skip("running as root without unshare: cannot make a read-only install")
    mount = f"mount --bind {site} {site} && mount -o remount,ro,bind {site} && exec \"$@\""
    check = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", mount, "sh", "true"],
                           capture_output=True, text=True)
    if check.returncode != 0:
        pytest.skip(f"cannot mount read-only here: {check.stderr.strip()}")
    return ["unshare", "-m", "--propagation", "private", "sh", "-c", mount, "sh"]


@pytest.mark.slow
def test_read_only_install_compiles_into_the_user_cache_and_reuses_it(tmp_path):
    site = copy_package(tmp_path)
    wrapper = read_only_wrapper(site)
    cache_home = tmp_path / "cache"

    first = run_probe(site, cache_home, wrapper)
    assert Path(first["package"]).is_relative_to(site)
    assert first["cache_dir"] == str(cache_home / "cnnbook" / "numba")
    assert list(Path(first["cache_dir"]).rglob("*.nbi")), "numba wrote no cache index"
    assert not (site / "cnnbook" / "__pycache__").exists()

    second = run_probe(site, cache_home, wrapper)
    assert second["cache_hits"] >= 1, "the second run recompiled instead of loading the cache"


@pytest.mark.slow
def test_writable_install_keeps_the_cache_beside_the_sources(tmp_path):
    site = copy_package(tmp_path)
    result = run_probe(site, tmp_path / "cache")
    assert result["cache_dir"] is None
    assert list((site / "cnnbook" / "__pycache__").glob("*.nbi"))
    assert not (tmp_path / "cache").exists()


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs Linux CPU affinity")
def test_numba_threads_follow_the_cores_this_process_may_use(tmp_path):
    site = copy_package(tmp_path)
    one_core = run_probe(site, tmp_path / "cache", preexec_fn=lambda: os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}))
    assert one_core["threads"] == 1
    everything = run_probe(site, tmp_path / "cache")
    assert everything["threads"] == len(os.sched_getaffinity(0))


def test_importing_cnnbook_limits_how_long_later_libraries_idle_threads_spin():
    """Inherited by every process started afterwards (Jupyter kernels of ``cnnbook lab`` and of the tests)."""
    from cnnbook._runtime import QUIET_SPINNING

    script = "import os, cnnbook; print(os.environ['GOMP_SPINCOUNT'], os.environ['OPENBLAS_THREAD_TIMEOUT'])"
    env = {k: v for k, v in os.environ.items() if k not in QUIET_SPINNING}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert result.stdout.split() == [QUIET_SPINNING["GOMP_SPINCOUNT"], QUIET_SPINNING["OPENBLAS_THREAD_TIMEOUT"]]
    env["GOMP_SPINCOUNT"] = "123"  # the user's choice wins
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert result.stdout.split()[0] == "123"
