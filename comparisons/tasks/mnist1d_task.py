"""MNIST-1D (Greydanus 2020): 1-D "digits", 40 samples long, 10 classes, generated offline.

The data are *generated* with ``mnist1d.data.make_dataset(get_dataset_args())`` (templates +
random shifts, scaling, shear and noise); ``get_dataset`` is never called because it
downloads a pickle. ``make_dataset`` reseeds Python's and NumPy's global generators, so this
module saves and restores both around the call; it writes no files. With the default
settings (5000 samples, 80 % train, seed 42) the result is the standard 4000/1000 split, on
which the reference accuracies are: logistic regression 32 %, MLP 68 %, GRU 91 %, CNN 94 %.
"""

from __future__ import annotations

import random
from functools import lru_cache
from typing import ClassVar

import numpy as np

from comparisons.tasks.base import Split, Task, TaskData
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


class MNIST1D(Task):
    """Classify MNIST-1D sequences read one sample per step: ``x`` (40, B, 1), final label.

    Parameters
    ----------
    num_samples : int
        Samples generated in all (>= 20; default 5000 as in the standard dataset).
    train_fraction : float in (0, 1)
        Share of samples in the training split (default 0.8).
    data_seed : int or None
        Seed of mnist1d's generator; default 42 gives the standard dataset. ``None`` uses the
        seed passed to :meth:`make`.
    n_train, n_test : int or None
        Use only the first ``n`` sequences of a split (``None``: all).
    """

    name: ClassVar[str] = "mnist1d"
    target: ClassVar[str] = "class"
    output: ClassVar[str] = "final"
    metric: ClassVar[str] = "accuracy"
    description: ClassVar[str] = (
        "MNIST-1D (Greydanus 2020), generated offline: 40-step 1-D digits, 10 classes; "
        "reference: logistic 32%, MLP 68%, GRU 91%, CNN 94%."
    )
    chance_note: ClassVar[str] = "accuracy ~ 0.1 (10 balanced classes)"

    def __init__(
        self,
        num_samples: int = 5000,
        train_fraction: float = 0.8,
        data_seed: int | None = STANDARD_SEED,
        n_train: int | None = None,
        n_test: int | None = None,
    ) -> None:
        self.num_samples = check_int("MNIST1D.num_samples", num_samples, low=20)
        self.train_fraction = check_float("MNIST1D.train_fraction", train_fraction,
                                          low=0.0, high=1.0, low_open=True)
        n_tr = int(self.num_samples * self.train_fraction)
        if self.train_fraction >= 1.0 or n_tr < 1:
            raise ValueError(
                f"MNIST1D.train_fraction must leave both splits non-empty, got {train_fraction}")
        self.data_seed = None if data_seed is None else check_int(
            "MNIST1D.data_seed", data_seed, low=0)
        self.n_train = None if n_train is None else check_int("MNIST1D.n_train", n_train, low=1)
        self.n_test = None if n_test is None else check_int("MNIST1D.n_test", n_test, low=1)
        self.n_in, self.n_out = 1, 10

    def make(self, seed: int) -> TaskData:
        seed = check_int("seed", seed, low=0)
        ds = seed if self.data_seed is None else self.data_seed
        xtr, ytr, xte, yte = mnist1d_arrays(self.num_samples, self.train_fraction, ds)
        xtr, ytr = xtr[: self.n_train], ytr[: self.n_train]
        xte, yte = xte[: self.n_test], yte[: self.n_test]
        train = Split(x=np.ascontiguousarray(xtr.T[:, :, None]), y=ytr)
        test = Split(x=np.ascontiguousarray(xte.T[:, :, None]), y=yte)
        return TaskData(train=train, test=test,
                        meta={"seed": seed, **self.config(), "generator_seed": ds})
