"""The same network in PyTorch, with the same weights: for comparing speed and checking semantics.

PyTorch is optional (not a dependency of cnnbook); pass the ``torch`` module in
(:func:`cnnbook.nn.lenet.import_torch` returns it, or ``None`` when it is not installed).
:func:`torch_twin` converts a cnnbook model built from ``Conv2d``, ``BatchNorm2d``, ``ReLU``,
``MaxPool2d``, ``Flatten``, ``GlobalAvgPool2d``, ``Linear``, ``Residual`` and ``Sequential``
layers into a ``torch.nn.Module`` computing the same function: same NCHW layout, same weight
shapes, so every array (running statistics included) copies over as it is, in the model's dtype
(float32 or float64). The module starts in the cnnbook model's mode (training or evaluation).
"""

from __future__ import annotations

import numpy as np

from .layers import Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential
from .batchnorm import BatchNorm2d
from .global_pool import GlobalAvgPool2d
from .residual import Residual


def torch_twin(torch, model):
    """A ``torch.nn.Module`` with ``model``'s architecture and a copy of its parameters and buffers (same dtype)."""
    return _convert(torch, model).train(model.training)


def _convert(torch, layer):
    nn = torch.nn
    if isinstance(layer, Sequential):
        return nn.Sequential(*[_convert(torch, child) for child in layer])
    if isinstance(layer, Residual):
        shortcut = None if layer.shortcut is None else _convert(torch, layer.shortcut)
        return _residual_module(torch)(*(_convert(torch, child) for child in (layer.conv1, layer.bn1, layer.conv2,
                                                                               layer.bn2)), shortcut, layer.skip)
    if isinstance(layer, Conv2d):
        twin = nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size, layer.stride, layer.padding,
                         bias="bias" in layer.params)
    elif isinstance(layer, Linear):
        twin = nn.Linear(layer.in_features, layer.out_features)
    elif isinstance(layer, BatchNorm2d):
        twin = nn.BatchNorm2d(layer.num_features, eps=layer.eps, momentum=layer.momentum)
    elif isinstance(layer, ReLU):
        return nn.ReLU()
    elif isinstance(layer, MaxPool2d):
        return nn.MaxPool2d(layer.kernel_size, layer.stride, layer.padding)
    elif isinstance(layer, Flatten):
        return nn.Flatten()
    elif isinstance(layer, GlobalAvgPool2d):
        return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
    else:
        raise TypeError(f"torch_twin: no PyTorch twin for {layer!r}")
    twin = twin.to(getattr(torch, np.dtype(layer.dtype).name))
    state = {name: p.value for name, p in layer.parameters()} | dict(layer.buffers())
    with torch.no_grad():
        for name, array in state.items():
            getattr(twin, name).copy_(torch.from_numpy(array))
    return twin


def _residual_module(torch):
    """The ``torch.nn.Module`` class of a residual block, made on first use (torch is imported only if installed)."""
    global _RESIDUAL
    if _RESIDUAL is None:
        class TorchResidual(torch.nn.Module):
            def __init__(self, conv1, bn1, conv2, bn2, shortcut, skip):
                super().__init__()
                self.conv1, self.bn1, self.conv2, self.bn2 = conv1, bn1, conv2, bn2
                self.shortcut, self.skip = shortcut, skip

            def forward(self, x):
                relu = torch.nn.functional.relu
                h = self.bn2(self.conv2(relu(self.bn1(self.conv1(x)))))
                if self.skip:
                    h = h + (x if self.shortcut is None else self.shortcut(x))
                return relu(h)

        _RESIDUAL = TorchResidual
    return _RESIDUAL


_RESIDUAL = None
