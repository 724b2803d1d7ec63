"""Saving and loading parameters: an exact round trip, and a clear error for every mismatch."""

from __future__ import annotations

import numpy as np
import pytest

from cnnbook.nn.layers import Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential
from cnnbook.nn.model_io import ModelFileError, load, save


def small_net(seed, hidden=8, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return Sequential(Conv2d(1, 2, 3, padding=1, rng=rng, dtype=dtype), ReLU(), MaxPool2d(2),
                      Flatten(), Linear(2 * 2 * 2, hidden, rng=rng, dtype=dtype), ReLU(),
                      Linear(hidden, 3, rng=rng, dtype=dtype))


def values(net):
    return {name: p.value.copy() for name, p in net.parameters()}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_trip_is_bitwise(tmp_path, dtype):
    original = small_net(0, dtype=dtype)
    original[0].params["bias"].value[...] = [np.pi, -1e-30]  # values that any rounding would change
    path = save(original, tmp_path / "net.npz")
    restored = small_net(1, dtype=dtype)
    assert load(restored, path) is restored
    for name, value in values(original).items():
        loaded = dict(restored.parameters())[name].value
        assert loaded.dtype == value.dtype
        assert loaded.tobytes() == value.tobytes(), name
    x = np.random.default_rng(2).standard_normal((4, 1, 4, 4)).astype(dtype)
    np.testing.assert_array_equal(restored.forward(x), original.forward(x))


def test_load_writes_into_the_existing_arrays(tmp_path):
    net = small_net(0)
    path = save(net, tmp_path / "net.npz")
    other = small_net(1)
    array = other[0].params["weight"].value
    load(other, path)
    assert other[0].params["weight"].value is array  # an optimiser holding it sees the new values


def test_save_appends_the_npz_suffix(tmp_path):
    path = save(small_net(0), tmp_path / "weights")
    assert path.name == "weights.npz" and path.exists()


def assert_load_fails_untouched(net, path, message):
    before = values(net)
    with pytest.raises(ModelFileError, match=message):
        load(net, path)
    for name, value in values(net).items():
        np.testing.assert_array_equal(value, before[name])


def test_missing_and_extra_names_are_listed(tmp_path):
    path = save(Sequential(Linear(8, 3)), tmp_path / "linear.npz")
    assert_load_fails_untouched(
        small_net(0), path,
        r"does not match the model's architecture: missing from the file "
        r"\['4.weight', '4.bias', '6.weight', '6.bias'\], in the file but not in the model \[\]")
    assert_load_fails_untouched(
        Sequential(ReLU()), path,
        r"missing from the file \[\], in the file but not in the model \['0.weight', '0.bias'\]")


def test_wrong_shape_names_the_parameter(tmp_path):
    path = save(small_net(0, hidden=8), tmp_path / "net.npz")
    assert_load_fails_untouched(
        small_net(0, hidden=5), path,
        r"parameter '4.weight' is float32 \(8, 8\) in the file but float32 \(5, 8\) in the model")


def test_wrong_dtype_is_refused_rather_than_rounded(tmp_path):
    path = save(small_net(0, dtype=np.float64), tmp_path / "net.npz")
    assert_load_fails_untouched(small_net(0), path, r"'0.weight' is float64 .* but float32 .*astype")


def test_corrupted_and_foreign_files(tmp_path):
    net = small_net(0)
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"this is not a zip archive")
    assert_load_fails_untouched(net, garbage, r"cannot read .*garbage.npz as an .npz file of parameters")

    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(save(net, tmp_path / "good.npz").read_bytes()[:200])
    assert_load_fails_untouched(net, truncated, "cannot read")

    single = tmp_path / "single.npy"
    np.save(single, np.zeros(3))
    assert_load_fails_untouched(net, single, "holds a single .npy array")

    assert_load_fails_untouched(net, tmp_path / "nowhere.npz", "cannot read")


def test_pickled_objects_are_not_loaded(tmp_path):
    path = tmp_path / "pickled.npz"
    np.savez(path, **{"0.weight": np.array([{"evil": 1}], dtype=object)})
    assert_load_fails_untouched(Sequential(Linear(1, 1)), path, "cannot read")
