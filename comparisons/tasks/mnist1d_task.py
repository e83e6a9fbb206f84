"""MNIST-1D (Greydanus 2020): 1-D "digits", 40 samples long, 10 classes, generated offline.

The data are *generated* with ``mnist1d.data.make_dataset(get_dataset_args())`` (templates +
random shifts, scaling, shear and noise); ``get_dataset`` is never called because it
downloads a pickle. ``make_dataset`` reseeds Python's and NumPy's global generators, so this
module saves and restores both around the call; it writes no files. With the default
settings (5000 samples, 80 % train, seed 42) the generator gives the standard 4000/1000
split, on which the reference accuracies are: logistic regression 32 %, MLP 68 %, GRU 91 %,
CNN 94 % (``MNIST1D.literature``).

Splits. By default (``resplit=True``) the 5000 standard samples are pooled and each run's
seed draws a stratified train / validation / test split of the standard sizes' proportions:
3500 / 500 / 1000 (the standard 1000-sample test size; validation is 10 % of the pool).
With ``resplit=False`` the test split is the standard 1000-sample test set and the
validation split is carved from the standard 4000 training samples by the seed; only this
setting's test set is the one the literature values were measured on.
"""

from __future__ import annotations

import random
from functools import lru_cache
from typing import ClassVar

import numpy as np

from comparisons.tasks.base import SPLITS, Split, Task, TaskData
from comparisons.tasks.splits import stratified_split
from comparisons.validation import check_float, check_int

STANDARD_SEED = 42


@lru_cache(maxsize=4)
def _generate(num_samples: int, train_split: float, seed: int) -> tuple[np.ndarray, ...]:
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.num_samples, args.train_split, args.seed = num_samples, train_split, seed
    # make_dataset reseeds the global generators: save and restore them (not used otherwise)
    py_state, np_state = random.getstate(), np.random.get_state()  # noqa: NPY002
    try:
        d = make_dataset(args)
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)  # noqa: NPY002
    arrays = (d["x"].astype(np.float32), d["y"].astype(np.int64),
              d["x_test"].astype(np.float32), d["y_test"].astype(np.int64))
    for a in arrays:
        a.setflags(write=False)
    return arrays


def mnist1d_arrays(
    num_samples: int = 5000, train_split: float = 0.8, seed: int = STANDARD_SEED
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(x_train (N, 40), y_train (N,), x_test, y_test)`` from mnist1d's generator (cached)."""
    return tuple(a.copy() for a in _generate(num_samples, train_split, seed))  # type: ignore


_STANDARD = "Greydanus 2020, 'Scaling down deep learning', arXiv:2011.14439"
_SETTING = ("standard MNIST-1D (make_dataset defaults, data seed 42): 4000 train / "
            "1000 test sequences of length 40, 10 classes; test accuracy")


class MNIST1D(Task):
    """Classify MNIST-1D sequences read one sample per step: ``x`` (40, B, 1), final label.

    Parameters
    ----------
    num_samples : int
        Samples generated in all (>= 20; default 5000 as in the standard dataset; mnist1d
        makes ``num_samples // 10`` per class).
    train_fraction : float in (0, 1)
        Share of the generator's standard training split (default 0.8); the rest is the
        standard test set, whose size is the test size here.
    data_seed : int or None
        Seed of mnist1d's generator; default 42 gives the standard dataset. ``None`` uses the
        seed passed to :meth:`make`.
    n_train, n_test, n_val : int or None
        Use only the first ``n`` sequences of a split (``None``: all).
    resplit : bool
        ``True`` (default): pool all samples and draw a stratified train / val / test split
        from the seed passed to :meth:`make`. ``False``: keep the standard test set and
        carve the validation split from the standard training set by that seed.
    val_fraction : float in (0, 1)
        Validation share of all samples (default 0.1: 500 of 5000).
    """

    name: ClassVar[str] = "mnist1d"
    target: ClassVar[str] = "class"
    output: ClassVar[str] = "final"
    metric: ClassVar[str] = "accuracy"
    description: ClassVar[str] = (
        "MNIST-1D (Greydanus 2020), generated offline: 40-step 1-D digits, 10 classes; "
        "stratified re-split per seed; reference: logistic 32%, MLP 68%, GRU 91%, CNN 94%."
    )
    chance_note: ClassVar[str] = "accuracy ~ 0.1 (10 balanced classes)"
    baseline_descriptions: ClassVar[dict[str, str]] = {
        "chance": "the most frequent training class for every sequence: accuracy ~ 0.1",
    }
    literature: ClassVar[tuple[dict, ...]] = tuple(
        {"model": model, "value": value, "metric": "accuracy", "source": _STANDARD,
         "setting": _SETTING}
        for model, value in (("logistic regression", 0.32), ("MLP", 0.68), ("CNN", 0.94),
                             ("GRU", 0.91))
    )

    def __init__(
        self,
        num_samples: int = 5000,
        train_fraction: float = 0.8,
        data_seed: int | None = STANDARD_SEED,
        n_train: int | None = None,
        n_test: int | None = None,
        resplit: bool = True,
        val_fraction: float = 0.1,
        n_val: int | None = None,
    ) -> None:
        self.num_samples = check_int("MNIST1D.num_samples", num_samples, low=20)
        self.train_fraction = check_float("MNIST1D.train_fraction", train_fraction,
                                          low=0.0, high=1.0, low_open=True)
        self.val_fraction = check_float("MNIST1D.val_fraction", val_fraction,
                                        low=0.0, high=1.0, low_open=True)
        if not isinstance(resplit, bool):
            raise TypeError(f"MNIST1D.resplit must be a bool, got {resplit!r}")
        self.resplit = resplit
        sizes = self._full_sizes()
        if self.train_fraction >= 1.0 or sizes["test"] < 1:
            raise ValueError(
                f"MNIST1D.train_fraction must leave both splits non-empty, got {train_fraction}")
        if sizes["val"] < 1 or sizes["train"] < 1:
            raise ValueError(
                f"MNIST1D.val_fraction must leave non-empty validation and training splits of "
                f"the {self._pool_size()} samples, got {val_fraction} (sizes {sizes})")
        self.data_seed = None if data_seed is None else check_int(
            "MNIST1D.data_seed", data_seed, low=0)
        self.n_train = None if n_train is None else check_int("MNIST1D.n_train", n_train, low=1)
        self.n_test = None if n_test is None else check_int("MNIST1D.n_test", n_test, low=1)
        self.n_val = None if n_val is None else check_int("MNIST1D.n_val", n_val, low=1)
        self.n_in, self.n_out = 1, 10

    def _pool_size(self) -> int:
        return (self.num_samples // 10) * 10  # mnist1d makes num_samples // 10 per class

    def _full_sizes(self) -> dict[str, int]:
        pool = self._pool_size()
        n_test = pool - int(pool * self.train_fraction)  # the generator's own split index
        n_val = int(round(self.val_fraction * pool))
        return {"train": pool - n_test - n_val, "val": n_val, "test": n_test}

    def split_sizes(self) -> dict[str, int]:
        full = self._full_sizes()
        caps = {"train": self.n_train, "val": self.n_val, "test": self.n_test}
        return {s: full[s] if caps[s] is None else min(full[s], caps[s]) for s in SPLITS}

    def make(self, seed: int) -> TaskData:
        """Generate (cached) and split MNIST-1D; the split is drawn from ``seed``.

        ``meta`` holds ``train_index`` / ``val_index`` / ``test_index`` into the pool (the
        generator's training samples, then its test samples), ``generator_seed``,
        ``resplit``, ``split_seed`` (the seed the split was drawn from), ``stratified``,
        ``standard_test``, ``pool_size``, ``full_split_sizes`` (before the ``n_*`` caps) and
        ``split_sizes`` (after).
        """
        seed = check_int("seed", seed, low=0)
        ds = seed if self.data_seed is None else self.data_seed
        xtr, ytr, xte, yte = mnist1d_arrays(self.num_samples, self.train_fraction, ds)
        x, y = np.concatenate([xtr, xte]), np.concatenate([ytr, yte])
        full = self._full_sizes()
        rng = np.random.default_rng(seed)
        if self.resplit:
            tr, va, te = stratified_split(y, [full[s] for s in SPLITS], rng)
        else:  # standard test set; validation carved from the standard training set
            tr, va = (np.sort(i) for i in stratified_split(
                ytr, [full["train"], full["val"]], rng))
            te = np.arange(len(ytr), len(y))
        caps = (self.n_train, self.n_val, self.n_test)
        tr, va, te = (i[:cap] for i, cap in zip((tr, va, te), caps, strict=True))
        splits = [Split(x=np.ascontiguousarray(x[i].T[:, :, None]), y=y[i]) for i in (tr, va, te)]
        return self._task_data(
            seed, *splits, generator_seed=ds, train_index=tr, val_index=va, test_index=te,
            resplit=self.resplit, split_seed=seed, stratified=True,
            standard_test=not self.resplit, pool_size=len(y), full_split_sizes=full)
