"""``python -m cnnbook.bench.training --quick`` runs and prints the rows it promises (timings are not asserted)."""

from __future__ import annotations

import re
import subprocess
import sys

from paths import REPO_ROOT

from cnnbook.bench.training import HEADER


def test_quick_bench_prints_one_row_per_variant():
    result = subprocess.run([sys.executable, "-m", "cnnbook.bench.training", "--quick"], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=300, check=True)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("cnnbook ") and "batch 32" in lines[0] and "96 training digits" in lines[0]
    assert HEADER in lines
    rows = [line.split() for line in lines[lines.index(HEADER) + 1:] if re.match(r"(cnnbook|torch)\s+\d", line)]
    impls = [(row[0], int(row[1])) for row in rows]
    assert ("cnnbook", 1) in impls and all(float(row[2]) > 0 for row in rows)
    try:
        import torch  # noqa: F401
    except ImportError:
        assert "torch: skipped (PyTorch is not installed)" in lines
        assert all(impl == "cnnbook" for impl, _ in impls)
    else:
        assert ("torch", 1) in impls
        assert all(re.fullmatch(r"\d+\.\d\d", row[3]) for row in rows)
        assert re.fullmatch(r"fastest cnnbook / fastest torch: \d+\.\d\d", lines[-1])


def test_quick_bench_without_torch_skips_it_cleanly():
    script = ("import cnnbook.bench.training as bench\n"
              "bench.import_torch = lambda: None\n"       # what lenet.import_torch returns without PyTorch
              "bench.main(['--quick'])")
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True,
                            timeout=300, check=True)
    assert "torch: skipped (PyTorch is not installed)" in result.stdout
    assert "torch " not in result.stdout.replace("torch: skipped", "") .split(HEADER)[1]
    assert "fastest cnnbook / fastest torch" not in result.stdout


def test_quick_bench_of_the_residual_network():
    result = subprocess.run([sys.executable, "-m", "cnnbook.bench.training", "--quick", "--model", "resnet"],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=True)
    lines = result.stdout.splitlines()
    assert "resnet, 96 training digits" in lines[0]
    rows = [line.split() for line in lines[lines.index(HEADER) + 1:] if re.match(r"(cnnbook|torch)\s+\d", line)]
    assert ("cnnbook", "1") in [(row[0], row[1]) for row in rows] and all(float(row[2]) > 0 for row in rows)
