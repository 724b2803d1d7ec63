"""How long does one training epoch of the capstone's network take? ``python -m cnnbook.bench.training``.

One epoch = one pass over chapter 8's 1,077 training digits (its split: 1,077 train, 360
validation, 360 test) in mini-batches of 32 (34 batches), each batch a forward pass, the softmax
cross-entropy loss, a backward pass and an Adam step, float32.
The network is chapter 8's (:func:`cnnbook.nn.lenet.build_lenet`): conv16-ReLU-pool,
conv32-ReLU-pool, dense 64, dense 10; or, with ``--model resnet``, chapter 9's small residual
network (:func:`cnnbook.nn.build_resnet_digits`: a stem, two residual blocks with batch
normalisation, global average pooling, dense 10). PyTorch (on the CPU, when installed) trains the
same network from the same starting weights on the same batches (:func:`cnnbook.nn.torch_twin.torch_twin`).

Threads. cnnbook's kernels and PyTorch's can each use several threads. These batches are small
(32 images of 8x8), so starting threads may cost more than it saves, and on a shared machine a
second thread may wait for a busy core. The bench therefore times each library with 1 thread and
with every usable core (:func:`cnnbook.set_num_threads`, ``torch.set_num_threads``).

All variants take turns epoch by epoch (round-robin), so a noisy machine slows them alike. The
table gives the median epoch time; ``vs best torch`` is ``time / (fastest torch variant's time)``:
at most 1.00 means as fast as PyTorch or faster.
"""

from __future__ import annotations

import argparse
from typing import Callable

import numpy as np

import cnnbook as cb

from .._runtime import usable_cores
from .conv import round_robin
from ..nn.lenet import BATCH_SIZE, VAL_FRACTION, build_lenet, import_torch, train_torch_epoch
from ..nn.resnet import build_resnet_digits
from ..nn.torch_twin import torch_twin
from ..nn.optim import Adam
from ..nn.training import fit

#: The networks the bench can time: a name and a builder ``build(rng) -> model``.
MODELS = {"lenet": build_lenet, "resnet": build_resnet_digits}

ROW = "{:<10} {:>7} {:>15} {:>14}"
HEADER = ROW.format("impl", "threads", "median ms/epoch", "vs best torch")


def cnnbook_epoch(data, seed: int, lr: float, build=build_lenet) -> Callable[[], None]:
    """A function that trains a cnnbook network (``build(rng)``) for one more epoch each time it is called."""
    rng = np.random.default_rng(seed)
    model = build(rng)
    optimizer = Adam(model.parameters(), lr=lr)

    def epoch():
        fit(model, optimizer, data.x_train, data.y_train, epochs=1, batch_size=BATCH_SIZE, rng=rng, progress=False)

    return epoch


def torch_epoch(torch, data, seed: int, lr: float, build=build_lenet) -> Callable[[], None]:
    """The same for PyTorch: same starting weights (copied from cnnbook's), same batch order."""
    rng = np.random.default_rng(seed)
    net = torch_twin(torch, build(rng))
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    x, y = torch.from_numpy(data.x_train), torch.from_numpy(data.y_train)

    def epoch():
        train_torch_epoch(torch, net, optimizer, x, y, BATCH_SIZE, rng)

    return epoch


def with_threads(library: str, threads: int, torch, epoch: Callable[[], None]) -> Callable[[], None]:
    """``epoch`` run with ``threads`` threads for ``library`` ("cnnbook" or "torch")."""

    def run():
        if library == "cnnbook":
            cb.set_num_threads(threads)
        else:
            torch.set_num_threads(threads)
        epoch()

    return run


def run(repeat: int = 15, quick: bool = False, seed: int = 0, lr: float = 1e-3, model: str = "lenet") -> list[str]:
    """The report's lines: a header, then one row per (implementation, thread count)."""
    import numba

    build = MODELS[model]
    torch = import_torch()
    data = cb.data.load_digits_dataset(seed, val_fraction=VAL_FRACTION)
    if quick:  # a few batches only: checks that everything runs
        data = data._replace(x_train=data.x_train[:96], y_train=data.y_train[:96])
    cores = usable_cores()
    thread_counts = sorted({1, cb.get_num_threads()})
    steps = {}
    for threads in thread_counts:
        steps[("cnnbook", threads)] = with_threads("cnnbook", threads, torch, cnnbook_epoch(data, seed, lr, build))
    if torch is not None:
        for threads in sorted({1, cores}):
            steps[("torch", threads)] = with_threads("torch", threads, torch, torch_epoch(torch, data, seed, lr, build))
    cnnbook_threads, torch_threads = cb.get_num_threads(), torch.get_num_threads() if torch else None
    try:
        medians = round_robin(steps, repeat)
    finally:
        cb.set_num_threads(cnnbook_threads)
        if torch is not None:
            torch.set_num_threads(torch_threads)

    lines = [f"cnnbook {cb.__version__}, numpy {np.__version__}, numba {numba.__version__}; "
             f"{model}, {len(data.x_train)} training digits, batch {BATCH_SIZE}, Adam, float32; "
             f"median of {repeat} epochs; {cores} usable core(s)"]
    if torch is None:
        lines.append("torch: skipped (PyTorch is not installed)")
    else:
        lines.append(f"torch {torch.__version__} on the CPU")
    lines.append(HEADER)
    best_torch = min((s for (impl, _), s in medians.items() if impl == "torch"), default=None)
    for (impl, threads), seconds in medians.items():
        ratio = "" if best_torch is None else f"{seconds / best_torch:.2f}"
        lines.append(ROW.format(impl, threads, f"{seconds * 1e3:.1f}", ratio))
    best_ours = min(s for (impl, _), s in medians.items() if impl == "cnnbook")
    if best_torch is not None:
        lines.append(f"fastest cnnbook / fastest torch: {best_ours / best_torch:.2f}")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cnnbook.bench.training", description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=15, help="timed epochs per variant (default 15)")
    parser.add_argument("--quick", action="store_true", help="96 digits, one repeat: checks that the bench runs")
    parser.add_argument("--model", choices=sorted(MODELS), default="lenet",
                        help="lenet: chapter 8's network (default); resnet: chapter 9's residual network")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")
    for line in run(1 if args.quick else args.repeat, args.quick, model=args.model):
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
