"""Saving a model's parameters to ``.npz`` and loading them back, bitwise.

The file holds one array per parameter, under the name ``model.parameters()`` gives it
(``"0.weight"``, ...). Only numbers are stored, never code: the architecture is rebuilt by the
code that made it, then :func:`load` fills in the values. Nothing is pickled.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np


class ModelFileError(ValueError):
    """A parameter file that cannot be read, or does not match the model it is loaded into."""


def save(model, path) -> Path:
    """Write every parameter of ``model`` to the ``.npz`` file ``path`` (``.npz`` is appended if missing).

    Returns the path written.
    """
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    np.savez(path, **{name: p.value for name, p in model.parameters()})
    return path


def load(model, path):
    """Copy the parameters saved in ``path`` into ``model``, in place; returns ``model``.

    Raises :class:`ModelFileError` (a ``ValueError``), leaving the model untouched, when the file
    is not a readable ``.npz`` or does not match the model: names missing or extra, or an array
    of the wrong shape or dtype.
    """
    saved = _read(path)
    params = dict(model.parameters())
    _check_names(saved, params, path)
    for name, p in params.items():
        if saved[name].shape != p.value.shape or saved[name].dtype != p.value.dtype:
            raise ModelFileError(
                f"load: {path}: parameter {name!r} is {saved[name].dtype} {saved[name].shape} in the file "
                f"but {p.value.dtype} {p.value.shape} in the model (model.astype(...) converts the model)")
    for name, p in params.items():
        p.value[...] = saved[name]
    return model


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
