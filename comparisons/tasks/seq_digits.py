"""Sequential digits: scikit-learn's 8x8 digits read row by row (8 steps of 8 pixels).

``sklearn.datasets.load_digits`` ships inside the wheel (1797 images, UCI optical digits), so
nothing is downloaded. Pixels (0..16) are scaled to [0, 1]. The split is fixed (a seeded
stratified shuffle, ``split_seed``) so that all seeds of a comparison see the same images;
pass ``split_seed=None`` to draw the split from the seed given to :meth:`make`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import ClassVar

import numpy as np

from comparisons.tasks.base import Split, Task, TaskData
from comparisons.validation import check_float, check_int

N_IMAGES = 1797


@lru_cache(maxsize=1)
def _digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    d = load_digits()
    return d.images.astype(np.float32) / 16.0, d.target.astype(np.int64)


def digits_split(
    test_fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Stratified train/test indices: ``round(test_fraction * n_c)`` test images per class."""
    _, labels = _digits()
    train, test = [], []
    for c in range(10):
        idx = rng.permutation(np.flatnonzero(labels == c))
        n_test = int(round(test_fraction * len(idx)))
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def as_row_sequences(images: np.ndarray) -> np.ndarray:
    """(B, 8, 8) images -> (8, B, 8) sequences: step ``t`` shows row ``t``."""
    return np.ascontiguousarray(images.transpose(1, 0, 2))


class SequentialDigits(Task):
    """Classify an 8x8 digit shown one row per step (final-step classification, 10 classes).

    Parameters
    ----------
    test_fraction : float in (0, 1)
        Fraction of each class held out (default 0.2: 1438 train / 359 test images).
    split_seed : int or None
        Seed of the fixed split; ``None`` uses the seed passed to :meth:`make`.
    n_train, n_test : int or None
        Use only the first ``n`` images of a split (``None``: all).
    """

    name: ClassVar[str] = "seq_digits"
    target: ClassVar[str] = "class"
    output: ClassVar[str] = "final"
    metric: ClassVar[str] = "accuracy"
    description: ClassVar[str] = (
        "sklearn load_digits (1797 8x8 images) read as 8 rows of 8 pixels; classify at the "
        "end; fixed stratified split."
    )
    chance_note: ClassVar[str] = "accuracy ~ 0.1 (10 balanced classes)"

    def __init__(
        self,
        test_fraction: float = 0.2,
        split_seed: int | None = 0,
        n_train: int | None = None,
        n_test: int | None = None,
    ) -> None:
        self.test_fraction = check_float("SequentialDigits.test_fraction", test_fraction,
                                         low=0.0, high=1.0, low_open=True)
        if self.test_fraction >= 1.0:
            raise ValueError(f"SequentialDigits.test_fraction must be < 1, got {test_fraction}")
        self.split_seed = None if split_seed is None else check_int(
            "SequentialDigits.split_seed", split_seed, low=0)
        self.n_train = None if n_train is None else check_int(
            "SequentialDigits.n_train", n_train, low=1)
        self.n_test = None if n_test is None else check_int(
            "SequentialDigits.n_test", n_test, low=1)
        self.n_in, self.n_out = 8, 10

    def make(self, seed: int) -> TaskData:
        seed = check_int("seed", seed, low=0)
        rng = np.random.default_rng(seed if self.split_seed is None else self.split_seed)
        images, labels = _digits()
        tr, te = digits_split(self.test_fraction, rng)
        tr, te = tr[: self.n_train], te[: self.n_test]
        train = Split(x=as_row_sequences(images[tr]), y=labels[tr].copy())
        test = Split(x=as_row_sequences(images[te]), y=labels[te].copy())
        meta = {"seed": seed, **self.config(), "train_index": tr, "test_index": te}
        return TaskData(train=train, test=test, meta=meta)

    def input_range(self, data: TaskData) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros(8), np.ones(8)
