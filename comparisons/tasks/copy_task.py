"""Copy / delayed recall (Hochreiter & Schmidhuber 1997; the form of Arjovsky et al. 2016).

``k`` symbols from an alphabet of ``n_symbols`` are shown one per step, followed by ``delay``
blank steps whose last one carries a *cue* (the "go" delimiter); then the net must emit the
``k`` symbols in order, one per step. Inputs are one-hot over ``n_symbols + 2`` channels
(symbols, blank, cue). Scoring is per step and masked to the ``k`` recall steps; the best
constant guess is right ``1 / n_symbols`` of the time. (With a cross-entropy over *all*
steps, the classic memoryless baseline is ``k log(n_symbols) / (delay + 2k)`` nats per step,
``10 log 8 / (T + 20)`` for ``k = 10``; see ``chance_cross_entropy``.)
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from comparisons.tasks.base import Split, Task, TaskData
from comparisons.validation import check_int


def copy_sequences(
    n: int, n_symbols: int, n_recall: int, delay: int, rng: np.random.Generator
) -> Split:
    """Random copy-task sequences.

    Returns
    -------
    Split
        ``x`` (T, n, n_symbols + 2) one-hot float32 with ``T = 2 * n_recall + delay``: the
        symbols at steps ``0..k-1``, blanks (channel ``n_symbols``) elsewhere, the cue (channel
        ``n_symbols + 1``) at step ``k + delay - 1``; ``y`` (T, n) int64 labels, equal to the
        symbols at the recall steps ``k + delay .. T - 1`` and 0 (unscored) elsewhere;
        ``mask`` (T, n) true at the recall steps.
    """
    k = n_recall
    T = 2 * k + delay
    sym = rng.integers(0, n_symbols, size=(k, n))
    labels = np.full((T, n), n_symbols, dtype=np.int64)  # blank
    labels[:k] = sym
    labels[k + delay - 1] = n_symbols + 1  # cue
    x = np.eye(n_symbols + 2, dtype=np.float32)[labels]
    y = np.zeros((T, n), dtype=np.int64)
    y[k + delay:] = sym
    mask = np.zeros((T, n), dtype=bool)
    mask[k + delay:] = True
    return Split(x=x, y=y, mask=mask)


class CopyTask(Task):
    """Remember ``n_recall`` symbols across a delay and reproduce them after a cue.

    Parameters
    ----------
    n_symbols : int
        Alphabet size (>= 2; Arjovsky et al. use 8).
    n_recall : int
        Symbols to remember, ``k`` (they use 10).
    delay : int
        Steps between the last symbol and the first recall step, cue included (>= 1; the
        literature uses 100-2000, default 20 for a quick run).
    n_train, n_test, n_val : int
        Number of sequences per split (all drawn alike).
    """

    name: ClassVar[str] = "copy"
    target: ClassVar[str] = "class"
    output: ClassVar[str] = "per_step"
    metric: ClassVar[str] = "accuracy"
    description: ClassVar[str] = (
        "Copy / delayed recall: k symbols, a delay ending in a cue, then reproduce the "
        "symbols; per-step classification scored on the recall steps."
    )
    chance_note: ClassVar[str] = "accuracy = 1/n_symbols (constant guess on recall steps)"
    baseline_descriptions: ClassVar[dict[str, str]] = {
        "chance": "the most frequent training symbol at every recall step (the blank is "
                  "never a target): accuracy ~ 1/n_symbols",
    }
    # Published copy-task baselines (Arjovsky et al. 2016: 10 log 8 / (T + 20) nats) are
    # cross-entropies over all steps, not this recall accuracy; see chance_cross_entropy.
    # No published accuracy for this setting is known to us, so none is listed.
    literature: ClassVar[tuple[dict, ...]] = ()

    def __init__(
        self,
        n_symbols: int = 8,
        n_recall: int = 5,
        delay: int = 20,
        n_train: int = 2000,
        n_test: int = 500,
        n_val: int = 500,
    ) -> None:
        self.n_symbols = check_int("CopyTask.n_symbols", n_symbols, low=2)
        self.n_recall = check_int("CopyTask.n_recall", n_recall, low=1)
        self.delay = check_int("CopyTask.delay", delay, low=1)
        self.n_train = check_int("CopyTask.n_train", n_train, low=1)
        self.n_test = check_int("CopyTask.n_test", n_test, low=1)
        self.n_val = check_int("CopyTask.n_val", n_val, low=1)
        self.n_in, self.n_out = self.n_symbols + 2, self.n_symbols

    @property
    def length(self) -> int:
        """Sequence length ``T = 2 k + delay``."""
        return 2 * self.n_recall + self.delay

    def chance_cross_entropy(self) -> float:
        """Memoryless baseline cross-entropy per step (nats) over all ``T`` steps.

        Predicting "blank" with certainty before the recall phase and a uniform guess during
        it costs ``k log(n_symbols) / T``.
        """
        return self.n_recall * math.log(self.n_symbols) / self.length

    def make(self, seed: int) -> TaskData:
        """Train, test, then validation sequences from one generator seeded by ``seed``."""
        rng = np.random.default_rng(check_int("seed", seed, low=0))
        args = (self.n_symbols, self.n_recall, self.delay, rng)
        train = copy_sequences(self.n_train, *args)
        test = copy_sequences(self.n_test, *args)
        val = copy_sequences(self.n_val, *args)
        return self._task_data(seed, train, val, test)

    def ceiling(self, data: TaskData, split: str = "test") -> float | None:
        """1: every recalled symbol was shown earlier in the same sequence."""
        data.split(split)
        return self._perfect()

    def input_range(self, data: TaskData) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros(self.n_in), np.ones(self.n_in)
