"""Sequential digits: scikit-learn's 8x8 digits read row by row (8 steps of 8 pixels).

``sklearn.datasets.load_digits`` ships inside the wheel (1797 images, UCI optical digits), so
nothing is downloaded. Pixels (0..16) are scaled to [0, 1]. All images are pooled and split
into train / validation / test by a stratified shuffle (:func:`~comparisons.tasks.splits.
stratified_split`) drawn from the seed given to :meth:`SequentialDigits.make`, so each seed
of a comparison sees a new split (default sizes 1258 / 180 / 359: today's 20 % test share,
10 % of all images for validation). ``split_seed`` fixes the split for every seed instead.
"""

from __future__ import annotations

from functools import lru_cache
from typing import ClassVar

import numpy as np

from comparisons.tasks.base import SPLITS, Split, Task, TaskData
from comparisons.tasks.splits import stratified_split
from comparisons.validation import check_float, check_int

N_IMAGES = 1797


@lru_cache(maxsize=1)
def _digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    d = load_digits()
    images, labels = d.images.astype(np.float32) / 16.0, d.target.astype(np.int64)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def as_row_sequences(images: np.ndarray) -> np.ndarray:
    """(B, 8, 8) images -> (8, B, 8) sequences: step ``t`` shows row ``t``."""
    return np.ascontiguousarray(images.transpose(1, 0, 2))


class SequentialDigits(Task):
    """Classify an 8x8 digit shown one row per step (final-step classification, 10 classes).

    Parameters
    ----------
    test_fraction : float in (0, 1)
        Share of all images in the test split (default 0.2: 359 images).
    split_seed : int or None
        ``None`` (default): the split is drawn from the seed passed to :meth:`make` (a seed
        resamples the split). An int fixes the split for every seed.
    n_train, n_test, n_val : int or None
        Use only the first ``n`` images of a split (``None``: all).
    val_fraction : float in (0, 1)
        Share of all images in the validation split (default 0.1: 180 images).
    """

    name: ClassVar[str] = "seq_digits"
    target: ClassVar[str] = "class"
    output: ClassVar[str] = "final"
    metric: ClassVar[str] = "accuracy"
    description: ClassVar[str] = (
        "sklearn load_digits (1797 8x8 images) read as 8 rows of 8 pixels; classify at the "
        "end; stratified train/val/test re-split per seed."
    )
    chance_note: ClassVar[str] = "accuracy ~ 0.1 (10 balanced classes)"
    baseline_descriptions: ClassVar[dict[str, str]] = {
        "chance": "the most frequent training digit for every image: accuracy ~ 0.1",
    }
    # No published score for load_digits read row by row is known to us: none listed.
    literature: ClassVar[tuple[dict, ...]] = ()

    def __init__(
        self,
        test_fraction: float = 0.2,
        split_seed: int | None = None,
        n_train: int | None = None,
        n_test: int | None = None,
        val_fraction: float = 0.1,
        n_val: int | None = None,
    ) -> None:
        self.test_fraction = check_float("SequentialDigits.test_fraction", test_fraction,
                                         low=0.0, high=1.0, low_open=True, high_open=True)
        self.val_fraction = check_float("SequentialDigits.val_fraction", val_fraction,
                                        low=0.0, high=1.0, low_open=True)
        sizes = _pool_sizes(self.test_fraction, self.val_fraction)
        if min(sizes.values()) < 1:
            raise ValueError(
                "SequentialDigits.test_fraction and val_fraction must leave every split of "
                f"the {N_IMAGES} images non-empty, got test_fraction={test_fraction}, "
                f"val_fraction={val_fraction} (sizes {sizes})")
        self.split_seed = None if split_seed is None else check_int(
            "SequentialDigits.split_seed", split_seed, low=0)
        self.n_train = None if n_train is None else check_int(
            "SequentialDigits.n_train", n_train, low=1)
        self.n_test = None if n_test is None else check_int(
            "SequentialDigits.n_test", n_test, low=1)
        self.n_val = None if n_val is None else check_int(
            "SequentialDigits.n_val", n_val, low=1)
        self.n_in, self.n_out = 8, 10

    def split_sizes(self) -> dict[str, int]:
        full = _pool_sizes(self.test_fraction, self.val_fraction)
        caps = {"train": self.n_train, "val": self.n_val, "test": self.n_test}
        return {s: full[s] if caps[s] is None else min(full[s], caps[s]) for s in SPLITS}

    def make(self, seed: int) -> TaskData:
        """A stratified split of all 1797 images drawn from ``seed`` (or ``split_seed``).

        ``meta`` holds ``train_index`` / ``val_index`` / ``test_index`` (into
        ``load_digits()`` order), ``resplit`` (whether the split follows ``seed``),
        ``split_seed`` (the seed it was drawn from), ``stratified``, ``pool_size``,
        ``full_split_sizes`` (before the ``n_*`` caps) and ``split_sizes`` (after).
        """
        seed = check_int("seed", seed, low=0)
        drawn_from = seed if self.split_seed is None else self.split_seed
        images, labels = _digits()
        full = _pool_sizes(self.test_fraction, self.val_fraction)
        idx = stratified_split(labels, [full[s] for s in SPLITS],
                               np.random.default_rng(drawn_from))
        caps = (self.n_train, self.n_val, self.n_test)
        tr, va, te = (i[:cap] for i, cap in zip(idx, caps, strict=True))
        splits = [Split(x=as_row_sequences(images[i]), y=labels[i].copy()) for i in (tr, va, te)]
        return self._task_data(
            seed, *splits, train_index=tr, val_index=va, test_index=te,
            resplit=self.split_seed is None, split_seed=drawn_from, stratified=True,
            pool_size=N_IMAGES, full_split_sizes=full)

    def input_range(self, data: TaskData) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros(8), np.ones(8)


def _pool_sizes(test_fraction: float, val_fraction: float) -> dict[str, int]:
    """Full split sizes: ``round(fraction * 1797)`` for test and val, the rest for train."""
    n_test = int(round(test_fraction * N_IMAGES))
    n_val = int(round(val_fraction * N_IMAGES))
    return {"train": N_IMAGES - n_test - n_val, "val": n_val, "test": n_test}
