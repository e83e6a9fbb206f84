"""IDX reader on small files written by the test; MNIST loader; load_digits split."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from neurosim.datasets import load_digits_split, load_mnist, read_idx


def write_idx(path, arr, code=0x08, gz=False):
    arr = np.asarray(arr)
    dt = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}[code]
    head = bytes([0, 0, code, arr.ndim]) + np.asarray(arr.shape, ">u4").tobytes()
    data = head + arr.astype(dt).tobytes()
    with (gzip.open if gz else open)(path, "wb") as f:
        f.write(data)


@pytest.mark.parametrize("code, dtype", [(0x08, np.uint8), (0x09, np.int8), (0x0B, np.int16),
                                         (0x0C, np.int32), (0x0D, np.float32),
                                         (0x0E, np.float64)])
def test_read_idx_roundtrip_all_types(tmp_path, code, dtype):
    rng = np.random.default_rng(0)
    arr = (rng.random((3, 5, 4)) * 100).astype(dtype)
    write_idx(tmp_path / "a.idx", arr, code)
    out = read_idx(tmp_path / "a.idx")
    assert out.dtype == dtype and out.shape == (3, 5, 4)
    np.testing.assert_array_equal(out, arr)


def test_load_mnist_from_small_files(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.integers(0, 256, (7, 28, 28), dtype=np.uint8)
    y = rng.integers(0, 10, 7, dtype=np.uint8)
    write_idx(tmp_path / "train-images-idx3-ubyte", X)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", y, gz=True)
    Xr, yr = load_mnist(tmp_path, "train")
    assert Xr.shape == (7, 784) and yr.dtype == np.int64
    np.testing.assert_array_equal(Xr, X.reshape(7, -1))
    np.testing.assert_array_equal(yr, y)
    with pytest.raises(FileNotFoundError, match=r"t10k-images-idx3-ubyte\[.gz\] not found"):
        load_mnist(tmp_path, "test")
    with pytest.raises(ValueError, match="unknown load_mnist split 'val'; "
                                         "choose from: train, test"):
        load_mnist(tmp_path, "val")
    write_idx(tmp_path / "t10k-images-idx3-ubyte", X)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", y[:5])
    with pytest.raises(ValueError, match=r"images \(7, 28, 28\) and labels \(5,\) do not match"):
        load_mnist(tmp_path, "test")


def test_read_idx_bad_files(tmp_path):
    write_idx(tmp_path / "ok", np.zeros((4, 4), np.uint8))
    data = (tmp_path / "ok").read_bytes()
    (tmp_path / "trunc").write_bytes(data[:-3])
    with pytest.raises(ValueError, match=r"holds 13 data bytes but its header \(4, 4\) needs 16"):
        read_idx(tmp_path / "trunc")
    (tmp_path / "magic").write_bytes(b"\x01" + data[1:])
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(tmp_path / "magic")
    (tmp_path / "type").write_bytes(data[:2] + b"\x07" + data[3:])
    with pytest.raises(ValueError, match="unknown element type 0x07"):
        read_idx(tmp_path / "type")
    (tmp_path / "head").write_bytes(data[:6])
    with pytest.raises(ValueError, match="truncated header"):
        read_idx(tmp_path / "head")
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_idx(tmp_path / "missing")


def test_load_digits_split_fixed_and_stratified():
    a, b = load_digits_split(), load_digits_split()
    np.testing.assert_array_equal(a.X_test, b.X_test)
    assert a.X_train.shape == (1347, 64) and a.X_test.shape == (450, 64)
    frac_tr = np.bincount(a.y_train) / a.y_train.size
    frac_te = np.bincount(a.y_test) / a.y_test.size
    assert np.abs(frac_tr - frac_te).max() < 0.01
    up = load_digits_split(upsample=16)
    assert up.X_train.shape == (1347, 256) and up.X_train.min() >= 0 and up.X_train.max() <= 16
    # the upsampled image keeps the mean brightness roughly (bilinear interpolation)
    assert abs(up.X_train.mean() - a.X_train.mean()) < 0.1 * a.X_train.mean()
    with pytest.raises(ValueError, match="upsample must be >= 8, got 4"):
        load_digits_split(upsample=4)
