"""How fast is cnnbook's convolution? ``python -m cnnbook.bench [--repeat N] [--workloads A,B] [--quick]``.

Times one forward and one backward pass of a convolutional layer (float32) for
the book's layers and a ResNet's (a stride-2 3x3 downsampling layer, 1x1 layers), side by side with

* the from-scratch approach most courses teach: whole-batch im2col in NumPy;
* PyTorch on the CPU (``conv2d`` with autograd's backward), when it is installed;

and a 2x2 stride-2 pooling layer on the conv outputs, forward and backward as a training step runs
it: cnnbook's layers (:mod:`cnnbook.nn`), whose max pooling keeps where each maximum is for its
backward pass, as PyTorch's autograd does (the functional ``cb.max_pool2d_backward`` searches again).
Each workload is timed two ways, and the table gives median times of both:

* ``interleaved``: the implementations take turns call by call in one process, as a notebook
  mixes libraries; each then runs right after the others' threads were busy, and a noisy machine
  slows them all alike;
* ``separate``: each implementation's calls one after another.

``ratio`` is ``other time / cnnbook time`` (interleaved, then separate): above 1 means cnnbook
is faster. The machine's float32 matrix-product speed (sgemm) is printed as the ceiling for
GFLOP/s. The last lines time the start: ``import cnnbook`` and the first forward and backward
pass of a convolution and a max pooling (float64 and float32, stride 1 and 2) in a fresh
interpreter, with an empty compile cache (a fresh clone, Colab, Binder) and with a warm one. On the
empty cache the calls run the kernels uncompiled while a background process compiles them
(:mod:`cnnbook._cold_cache`).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Callable, NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import cnnbook as cb
from cnnbook._runtime import QUIET_SPINNING
from cnnbook.nn.layers import AvgPool2d, MaxPool2d


class Workload(NamedTuple):
    name: str
    x_shape: tuple
    w_shape: tuple
    stride: int
    padding: int

    def flops(self) -> float:
        """Multiply-adds x 2 of the forward pass, the input gradient and the weight gradient."""
        N, _, H, W = self.x_shape
        K, C, R, S = self.w_shape
        P = cb.conv_output_size(H, R, self.stride, self.padding)
        Q = cb.conv_output_size(W, S, self.stride, self.padding)
        return 3 * 2.0 * N * K * P * Q * C * R * S


WORKLOADS = {
    w.name: w
    for w in [
        Workload("LeNet conv1", (64, 1, 28, 28), (6, 1, 5, 5), 1, 0),
        Workload("LeNet conv2", (64, 6, 12, 12), (16, 6, 5, 5), 1, 0),
        Workload("CIFAR 3x3", (64, 64, 32, 32), (64, 64, 3, 3), 1, 1),
        Workload("digits 3x3", (256, 1, 8, 8), (16, 1, 3, 3), 1, 1),
        Workload("stride-2 3x3", (32, 32, 33, 33), (48, 32, 3, 3), 2, 1),
        Workload("1x1", (32, 64, 16, 16), (128, 64, 1, 1), 1, 0),
        Workload("1x1 stride 2", (32, 64, 16, 16), (128, 64, 1, 1), 2, 0),
    ]
}
QUICK = Workload("tiny", (4, 2, 8, 8), (3, 2, 3, 3), 1, 1)

Step = Callable[[], object]


# --- the from-scratch NumPy approach ------------------------------------------------


def numpy_im2col(x, R, S, stride, padding):
    """``x`` ``(N, C, H, W)`` -> ``col`` ``(N*P*Q, C*R*S)``: one row per window, for the whole batch."""
    xpad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    windows = sliding_window_view(xpad, (R, S), axis=(2, 3))[:, :, ::stride, ::stride]  # (N, C, P, Q, R, S)
    N, C, P, Q = windows.shape[:4]
    return windows.transpose(0, 2, 3, 1, 4, 5).reshape(N * P * Q, C * R * S), (P, Q)


def numpy_col2im(dcol, x_shape, R, S, stride, padding, P, Q):
    """The transpose of :func:`numpy_im2col`: add each window's gradient back onto the image."""
    N, C, H, W = x_shape
    dcol = dcol.reshape(N, P, Q, C, R, S).transpose(0, 3, 4, 5, 1, 2)  # (N, C, R, S, P, Q)
    dxpad = np.zeros((N, C, H + 2 * padding, W + 2 * padding), dcol.dtype)
    for r in range(R):
        for s in range(S):
            dxpad[:, :, r : r + stride * P : stride, s : s + stride * Q : stride] += dcol[:, :, r, s]
    return dxpad[:, :, padding : padding + H, padding : padding + W]


def numpy_conv_step(x, w, b, dy, stride, padding) -> Step:
    K, _, R, S = w.shape
    w_matrix = w.reshape(K, -1)

    def step():
        col, (P, Q) = numpy_im2col(x, R, S, stride, padding)
        y = (col @ w_matrix.T + b).reshape(x.shape[0], P, Q, K).transpose(0, 3, 1, 2)
        dy_matrix = dy.transpose(0, 2, 3, 1).reshape(-1, K)
        dw = (dy_matrix.T @ col).reshape(w.shape)
        db = dy_matrix.sum(axis=0)
        dx = numpy_col2im(dy_matrix @ w_matrix, x.shape, R, S, stride, padding, P, Q)
        return y, dx, dw, db

    return step


def numpy_pool_step(kind, x, dy) -> Step:
    """2x2 stride-2 pooling, forward and backward, by reshaping ``x`` (its height and width must be even)."""
    N, C, H, W = x.shape
    P, Q = H // 2, W // 2
    assert (2 * P, 2 * Q) == (H, W), "numpy_pool_step needs an even height and width"

    def step():
        windows = x.reshape(N, C, P, 2, Q, 2).transpose(0, 1, 2, 4, 3, 5).reshape(N, C, P, Q, 4)
        if kind == "max":
            y = windows.max(axis=-1)
            dx_windows = (np.arange(4) == windows.argmax(axis=-1)[..., None]) * dy[..., None]
        else:
            y = windows.mean(axis=-1)
            dx_windows = np.repeat(dy[..., None] / 4, 4, axis=-1)
        dx = dx_windows.reshape(N, C, P, Q, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(N, C, H, W)
        return y, dx

    return step


# --- PyTorch ------------------------------------------------------------------------


def torch_module():
    try:
        import torch
    except ImportError:
        return None
    return torch


def torch_conv_step(torch, x, w, b, dy, stride, padding) -> Step:
    tx, tw, tb = (torch.from_numpy(a).requires_grad_() for a in (x, w, b))
    tdy = torch.from_numpy(dy)

    def step():
        for tensor in (tx, tw, tb):
            tensor.grad = None
        torch.nn.functional.conv2d(tx, tw, tb, stride=stride, padding=padding).backward(tdy)
        return tx.grad, tw.grad, tb.grad

    return step


def torch_pool_step(torch, kind, x, dy) -> Step:
    tx, tdy = torch.from_numpy(x).requires_grad_(), torch.from_numpy(dy)
    pool = torch.nn.functional.max_pool2d if kind == "max" else torch.nn.functional.avg_pool2d

    def step():
        tx.grad = None
        pool(tx, 2, 2).backward(tdy)
        return tx.grad

    return step


# --- cnnbook ------------------------------------------------------------------------


def cnnbook_conv_step(x, w, b, dy, stride, padding) -> Step:
    def step():
        y = cb.conv2d(x, w, b, stride, padding)
        return y, cb.conv2d_backward(dy, x, w, stride, padding)

    return step


def cnnbook_pool_step(kind, x, dy) -> Step:
    layer = MaxPool2d(2) if kind == "max" else AvgPool2d(2)

    def step():
        return layer(x), layer.backward(dy)

    return step


# --- timing -------------------------------------------------------------------------


def round_robin(steps: dict[str, Step], repeat: int) -> dict[str, float]:
    """Median seconds per call of each step; the steps take turns so that noise hits them alike."""
    for step in steps.values():  # warm-up: compilation, caches, thread pools
        step()
    times = {name: [] for name in steps}
    for _ in range(repeat):
        for name, step in steps.items():
            start = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(samples) for name, samples in times.items()}


# Idle threads of OpenMP teams and of OpenBLAS spin on their cores for a while (up to about 0.1 s)
# after their last call; the separate timings wait that out, so each starts on quiet cores.
SETTLE_SECONDS = 0.3


def interleaved_and_separate(steps: dict[str, Step], repeat: int) -> dict[str, tuple[float, float]]:
    """``{name: (interleaved median, separate median)}`` seconds per call (see the module docstring)."""
    interleaved = round_robin(steps, repeat)
    separate = {}
    for name, step in steps.items():
        time.sleep(SETTLE_SECONDS)
        separate[name] = round_robin({name: step}, repeat)[name]
    return {name: (interleaved[name], separate[name]) for name in steps}


def sgemm_gflops(size: int, repeat: int) -> float:
    """Best float32 matrix-product speed of this machine (through NumPy's BLAS), in GFLOP/s."""
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((size, size), dtype=np.float32) for _ in range(2))
    a @ b
    best = min(_timed(lambda: a @ b) for _ in range(repeat))
    return 2.0 * size**3 / best / 1e9


def _timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


STARTUP_SCRIPT = """
import sys, time
start = time.perf_counter()
import numpy as np
import cnnbook as cb
x_shape, w_shape = eval(sys.argv[1]), eval(sys.argv[2])
slowest = 0.0

def first(step):
    global slowest
    before = time.perf_counter()
    result = step()
    slowest = max(slowest, time.perf_counter() - before)
    return result

for dtype in (np.float64, np.float32):
    for stride in (1, 2):
        x, w = np.ones(x_shape, dtype), np.ones(w_shape, dtype)
        y = first(lambda: cb.conv2d(x, w, None, stride, 1))
        first(lambda: cb.conv2d_backward(np.ones_like(y), x, w, stride, 1))
        z = first(lambda: cb.max_pool2d(y, 2, 2))
        first(lambda: cb.max_pool2d_backward(np.ones_like(z), y, 2, 2))
print(time.perf_counter() - start, slowest)
from cnnbook._cold_cache import wait_for_warms
wait_for_warms()  # the warms this started in the background, before the cache is deleted
"""
# A chapter's example, and a batch of the capstone's digits (the first call of a training run).
STARTUP_SHAPES = {"a chapter's example": ((2, 3, 8, 8), (4, 3, 3, 3)),
                  "a LeNet batch": ((64, 1, 28, 28), (6, 1, 5, 5))}


def startup_seconds(x_shape, w_shape, cache_dir: str | None = None) -> tuple[float, float]:
    """``(total, slowest first call)`` seconds of :data:`STARTUP_SCRIPT` for these shapes in a fresh
    interpreter, with numba's cache in ``cache_dir`` (``None``: the usual one, warmed by a first run)."""
    env = dict(os.environ)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    run = [sys.executable, "-c", STARTUP_SCRIPT, repr(x_shape), repr(w_shape)]
    if cache_dir is None:
        subprocess.run(run, check=True, capture_output=True, env=env)
    total, slowest = subprocess.run(run, check=True, capture_output=True, text=True, env=env).stdout.split()
    return float(total), float(slowest)


def startup_lines(names: list[str]) -> list[str]:
    """One line per entry of :data:`STARTUP_SHAPES` in ``names``: its start-up on an empty and a warm cache."""
    lines = []
    for name in names:
        shapes = STARTUP_SHAPES[name]
        with tempfile.TemporaryDirectory() as empty:
            cold = startup_seconds(*shapes, cache_dir=empty)
        warm = startup_seconds(*shapes)
        lines.append(f"start-up, {name} x {shapes[0]}: empty cache {cold[0]:.2f} s (slowest first call "
                     f"{cold[1]:.2f} s), warm cache {warm[0]:.2f} s (slowest {warm[1]:.2f} s)")
    return lines


# --- the report ---------------------------------------------------------------------

ROW = "{:<12} {:<8} {:<13} {:>14} {:>12} {:>8} {:>8} {:>8}"
HEADER = ROW.format("workload", "op", "impl", "interleaved ms", "separate ms", "ratio", "ratio", "GFLOP/s")
SUBHEADER = ROW.format("", "", "", "(median)", "(median)", "inter.", "separ.", "(inter.)")


def bench_workload(workload: Workload, repeat: int, torch) -> list[str]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal(workload.x_shape, dtype=np.float32)
    w = rng.standard_normal(workload.w_shape, dtype=np.float32) * np.float32(0.1)
    b = rng.standard_normal(workload.w_shape[0], dtype=np.float32)
    y = cb.conv2d(x, w, b, workload.stride, workload.padding)
    dy = rng.standard_normal(y.shape, dtype=np.float32)
    args = (x, w, b, dy, workload.stride, workload.padding)

    steps = {"cnnbook": cnnbook_conv_step(*args), "numpy im2col": numpy_conv_step(*args)}
    if torch is not None:
        steps["torch"] = torch_conv_step(torch, *args)
    lines = _rows(workload.name, "conv", interleaved_and_separate(steps, repeat), workload.flops())

    P, Q = y.shape[2] // 2, y.shape[3] // 2
    y = np.ascontiguousarray(y[:, :, : 2 * P, : 2 * Q])  # 2x2 windows side by side cover it
    pooled_dy = rng.standard_normal(y.shape[:2] + (P, Q), dtype=np.float32)
    for kind in ("max", "avg"):
        steps = {"cnnbook": cnnbook_pool_step(kind, y, pooled_dy), "numpy reshape": numpy_pool_step(kind, y, pooled_dy)}
        if torch is not None:
            steps["torch"] = torch_pool_step(torch, kind, y, pooled_dy)
        lines += _rows(workload.name, f"{kind}pool", interleaved_and_separate(steps, repeat), None)
    return lines


def _rows(workload: str, op: str, medians: dict[str, tuple[float, float]], flops: float | None) -> list[str]:
    ours = medians["cnnbook"]
    return [
        ROW.format(workload, op, name, f"{both[0] * 1e3:.3f}", f"{both[1] * 1e3:.3f}",
                   f"{both[0] / ours[0]:.2f}", f"{both[1] / ours[1]:.2f}",
                   "" if flops is None else f"{flops / both[0] / 1e9:.1f}")
        for name, both in medians.items()
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cnnbook.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=15, help="timed calls per implementation (default 15)")
    parser.add_argument("--workloads", default=",".join(WORKLOADS),
                        help=f"comma-separated, from: {', '.join(WORKLOADS)} (default: all)")
    parser.add_argument("--quick", action="store_true", help="one tiny workload, one repeat: checks the bench runs")
    args = parser.parse_args(argv)
    if args.quick:
        workloads, repeat = [QUICK], 1
    else:
        unknown = [name for name in args.workloads.split(",") if name not in WORKLOADS]
        if unknown:
            parser.error(f"unknown workloads {unknown}; choose from {list(WORKLOADS)}")
        workloads, repeat = [WORKLOADS[name] for name in args.workloads.split(",")], args.repeat

    torch = torch_module()
    print(f"cnnbook {cb.__version__}, numpy {np.__version__}, float32, forward + backward, median of {repeat}")
    if torch is None:
        print("torch: skipped (not installed)")
    else:
        print(f"torch {torch.__version__} on {torch.get_num_threads()} threads")
    print("idle threads spin at most: " + ", ".join(f"{name}={os.environ.get(name, 'unset')}"
                                                    for name in QUIET_SPINNING) + " (see cnnbook._runtime)")
    size = 256 if args.quick else 2048
    print(f"sgemm float32 {size}x{size}: {sgemm_gflops(size, 1 if args.quick else 5):.1f} GFLOP/s (the ceiling)")
    print(HEADER)
    print(SUBHEADER)
    for workload in workloads:
        for line in bench_workload(workload, repeat, torch):
            print(line, flush=True)
    for line in startup_lines(["a chapter's example"] if args.quick else list(STARTUP_SHAPES)):
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
