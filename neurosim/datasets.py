"""Digit data sets for the unsupervised-learning models (offline; nothing is downloaded).

* :func:`load_digits_split` — scikit-learn's bundled 8x8 ``load_digits`` (pixels 0..16) with
  a fixed, stratified train/test split; optionally upsampled (e.g. to 28x28).
* :func:`read_idx` / :func:`load_mnist` — MNIST from local IDX files the user points to
  (``train-images-idx3-ubyte`` etc., optionally ``.gz``).

IDX format (LeCun et al.): big-endian; bytes 0-1 zero, byte 2 the element type
(0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64), byte 3 the
number of dimensions ``d``, then ``d`` uint32 sizes, then the data.
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from neurosim.validation import check_int

__all__ = ["read_idx", "load_mnist", "load_digits_split", "DigitSplit"]

_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read one IDX file (``.gz`` is decompressed); raises ``ValueError`` on a bad header
    or a size mismatch (truncated file) and ``FileNotFoundError`` with the path."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"read_idx: no such file {path!r}")
    opener: Any = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError(f"read_idx: {path!r} is not an IDX file (bad magic number)")
    code, ndim = data[2], data[3]
    if code not in _IDX_TYPES:
        raise ValueError(f"read_idx: {path!r} has unknown element type 0x{code:02X}; "
                         f"expected one of " + ", ".join(f"0x{c:02X}" for c in _IDX_TYPES))
    if ndim < 1 or len(data) < 4 + 4 * ndim:
        raise ValueError(f"read_idx: {path!r} has a truncated header")
    shape = tuple(int(s) for s in np.frombuffer(data, ">u4", ndim, 4))
    dt = np.dtype(_IDX_TYPES[code])
    need = int(np.prod(shape)) * dt.itemsize
    body = data[4 + 4 * ndim:]
    if len(body) != need:
        raise ValueError(f"read_idx: {path!r} holds {len(body)} data bytes but its header "
                         f"{shape} needs {need} (truncated or corrupted)")
    return np.frombuffer(body, dt).reshape(shape).astype(dt.newbyteorder("="))


def _find(directory: str, stem: str) -> str:
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"),
                 stem.replace("-idx", ".idx") + ".gz"):
        p = os.path.join(directory, name)
        if os.path.exists(p):
            return p
    raise FileNotFoundError(f"load_mnist: {stem}[.gz] not found in {directory!r}")


def load_mnist(directory: str | os.PathLike[str], split: str = "train"
               ) -> tuple[np.ndarray, np.ndarray]:
    """``(X (n, 784) uint8, y (n,) int64)`` from the standard MNIST IDX files in
    ``directory`` (``split`` = ``"train"`` or ``"test"``)."""
    from neurosim.validation import check_choice

    check_choice("load_mnist split", split, ("train", "test"))
    d = os.fspath(directory)
    stem = "train" if split == "train" else "t10k"
    X = read_idx(_find(d, f"{stem}-images-idx3-ubyte"))
    y = read_idx(_find(d, f"{stem}-labels-idx1-ubyte"))
    if X.ndim != 3 or y.ndim != 1 or X.shape[0] != y.shape[0]:
        raise ValueError(f"load_mnist: images {X.shape} and labels {y.shape} do not match")
    return X.reshape(X.shape[0], -1), y.astype(np.int64)


@dataclass
class DigitSplit:
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    max_pixel: float


def load_digits_split(test_size: float = 0.25, random_state: int = 0,
                      upsample: int | None = None) -> DigitSplit:
    """scikit-learn's ``load_digits`` with a fixed stratified split.

    ``upsample=k`` resizes the 8x8 images to ``k x k`` (bilinear, values stay in 0..16).
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    upsample = check_int("load_digits_split: upsample", upsample, low=8, allow_none=True)
    d = load_digits()
    X = d.data.astype(np.float64)
    if upsample is not None:
        from scipy.ndimage import zoom

        imgs = zoom(X.reshape(-1, 8, 8), (1, upsample / 8, upsample / 8), order=1)
        X = np.clip(imgs.reshape(X.shape[0], -1), 0.0, 16.0)
    Xtr, Xte, ytr, yte = train_test_split(X, d.target, test_size=test_size,
                                          random_state=random_state, stratify=d.target)
    return DigitSplit(Xtr, ytr.astype(np.int64), Xte, yte.astype(np.int64), 16.0)
