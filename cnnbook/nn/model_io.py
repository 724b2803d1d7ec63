"""Saving a model's parameters (and buffers) to ``.npz`` and loading them back, bitwise.

The file holds one array per parameter, under the name ``model.parameters()`` gives it
(``"0.weight"``, ...), and one per buffer, under the name ``model.buffers()`` gives it (batch
normalisation's running statistics, ``"1.running_mean"``, ...: without them a loaded model would
normalise differently at inference). Only numbers are stored, never code: the architecture is
rebuilt by the code that made it, then :func:`load` fills in the values. Nothing is pickled.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np


class ModelFileError(ValueError):
    """A parameter file that cannot be read, or does not match the model it is loaded into."""


def save(model, path) -> Path:
    """Write every parameter and buffer of ``model`` to the ``.npz`` file ``path`` (``.npz`` is appended if missing).

    Returns the path written.
    """
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    np.savez(path, **_state(model))
    return path


def load(model, path):
    """Copy the parameters and buffers saved in ``path`` into ``model``, in place; returns ``model``.

    Raises :class:`ModelFileError` (a ``ValueError``), leaving the model untouched, when the file
    is not a readable ``.npz`` or does not match the model: names missing or extra, or an array
    of the wrong shape or dtype.
    """
    saved = _read(path)
    state = _state(model)
    _check_names(saved, state, path)
    for name, array in state.items():
        if saved[name].shape != array.shape or saved[name].dtype != array.dtype:
            raise ModelFileError(
                f"load: {path}: parameter {name!r} is {saved[name].dtype} {saved[name].shape} in the file "
                f"but {array.dtype} {array.shape} in the model (model.astype(...) converts the model)")
    for name, array in state.items():
        array[...] = saved[name]
    return model


def _state(model) -> dict[str, np.ndarray]:
    """The arrays a file holds: every parameter's value, then every buffer (``{}`` for a model without buffers)."""
    state = {name: p.value for name, p in model.parameters()}
    buffers = getattr(model, "buffers", None)
    state.update(buffers() if buffers is not None else {})
    return state


def _read(path) -> dict[str, np.ndarray]:
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ModelFileError(f"load: {path} holds a single .npy array, not an .npz file of named parameters")
        with archive:
            return {name: archive[name] for name in archive.files}
    except ModelFileError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise ModelFileError(f"load: cannot read {path} as an .npz file of parameters ({error})") from error


def _check_names(saved: dict, params: dict, path) -> None:
    missing = [name for name in params if name not in saved]
    extra = [name for name in saved if name not in params]
    if missing or extra:
        raise ModelFileError(
            f"load: {path} does not match the model's architecture: "
            f"missing from the file {missing}, in the file but not in the model {extra}")
