"""Binary addition (Hinton, Neural Networks for Machine Learning, lecture 7c).

Two numbers are fed in least-significant bit first, one column (two bits) per step; the net
must output the sum bit of each column ``delay`` steps later. A finite-state automaton with four
states (carry in {0, 1} x last output bit) solves it; three hidden units suffice in principle.
Training numbers are short; test numbers are long, so the task measures whether the learner
found the automaton rather than memorised the training set. The validation split uses the
*test* length, so that model selection and early stopping measure the same generalisation
to long numbers that the test measures (validating on short numbers would reward
memorising them).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from comparisons.tasks.base import Split, Task, TaskData
from comparisons.validation import check_int


def addition_sequences(
    n: int, n_bits: int, delay: int, rng: np.random.Generator
) -> Split:
    """Random additions of two ``n_bits`` numbers.

    Returns
    -------
    Split
        ``x`` of shape ``(T, n, 2)`` with ``T = n_bits + 1 + delay`` (an extra column for the
        final carry, then ``delay`` zero columns), ``y`` of shape ``(T, n, 1)`` with the sum bit
        of column ``t - delay`` at step ``t``, ``mask`` true at the ``n_bits + 1`` scored steps.
    """
    a = rng.integers(0, 2, size=(n_bits, n))
    b = rng.integers(0, 2, size=(n_bits, n))
    cols = n_bits + 1
    s = np.zeros((cols, n), dtype=np.int64)
    carry = np.zeros(n, dtype=np.int64)
    for t in range(n_bits):
        tot = a[t] + b[t] + carry
        s[t], carry = tot % 2, tot // 2
    s[n_bits] = carry
    T = cols + delay
    x = np.zeros((T, n, 2), dtype=np.float32)
    x[:n_bits, :, 0], x[:n_bits, :, 1] = a, b
    y = np.zeros((T, n, 1), dtype=np.float32)
    y[delay:, :, 0] = s
    mask = np.zeros((T, n), dtype=bool)
    mask[delay:] = True
    return Split(x=x, y=y, mask=mask)


class BinaryAddition(Task):
    """Add two binary numbers, emitting each sum bit ``delay`` steps after its column.

    Parameters
    ----------
    train_bits : int
        Length of the training numbers (bits).
    test_bits : int
        Length of the validation and test numbers (bits); longer than ``train_bits`` tests
        generalisation, and validation measures the same.
    n_train, n_test, n_val : int
        Number of sequences in each split.
    delay : int
        Steps between a column's input and its sum bit (the lecture uses 2).
    """

    name: ClassVar[str] = "binary_addition"
    target: ClassVar[str] = "binary"
    output: ClassVar[str] = "per_step"
    metric: ClassVar[str] = "sequence_accuracy"
    description: ClassVar[str] = (
        "Hinton lecture 7c: two bits in per step, the sum bit out `delay` steps later; "
        "trained on short numbers, tested on long ones (headline: whole sums exactly right)."
    )
    chance_note: ClassVar[str] = "bit accuracy 0.5; sequence accuracy ~ 0 (2^-(bits+1))"
    baseline_descriptions: ClassVar[dict[str, str]] = {
        "chance": "the majority training sum bit at every scored step (bit accuracy ~ 0.5)",
        "zeros": "predict 0 at every scored step (sum bits are fair coins, the final "
                 "carry is 1 a little under half the time)",
        "no_carry": "a XOR b of the column `delay` steps back, ignoring the carry: right "
                    "until the first carry; whole sums right with probability (3/4)^bits",
    }
    # No published accuracy for this exact setting (lecture demo); left empty on purpose.
    literature: ClassVar[tuple[dict, ...]] = ()

    def __init__(
        self,
        train_bits: int = 8,
        test_bits: int = 32,
        n_train: int = 2000,
        n_test: int = 500,
        delay: int = 2,
        n_val: int = 500,
    ) -> None:
        self.train_bits = check_int("BinaryAddition.train_bits", train_bits, low=1)
        self.test_bits = check_int("BinaryAddition.test_bits", test_bits, low=1)
        self.n_train = check_int("BinaryAddition.n_train", n_train, low=1)
        self.n_test = check_int("BinaryAddition.n_test", n_test, low=1)
        self.n_val = check_int("BinaryAddition.n_val", n_val, low=1)
        self.delay = check_int("BinaryAddition.delay", delay, low=0)
        self.n_in, self.n_out = 2, 1

    def make(self, seed: int) -> TaskData:
        """Train (``train_bits``), test and validation (both ``test_bits``) from one seed."""
        rng = np.random.default_rng(check_int("seed", seed, low=0))
        train = addition_sequences(self.n_train, self.train_bits, self.delay, rng)
        test = addition_sequences(self.n_test, self.test_bits, self.delay, rng)
        val = addition_sequences(self.n_val, self.test_bits, self.delay, rng)
        return self._task_data(seed, train, val, test)

    def baselines(self, data: TaskData, split: str = "test") -> dict[str, dict[str, float]]:
        """Chance, all zeros, and the carry-less sum ``a XOR b`` (see
        ``baseline_descriptions``)."""
        out = super().baselines(data, split)
        sp = data.split(split)
        out["zeros"] = self.score(np.zeros_like(sp.y), sp)
        out["no_carry"] = self.score(no_carry_prediction(sp, self.delay), sp)
        return out

    def ceiling(self, data: TaskData, split: str = "test") -> float | None:
        """1: a four-state automaton computes every sum bit from the inputs seen so far."""
        data.split(split)
        return self._perfect()


def no_carry_prediction(split: Split, delay: int) -> np.ndarray:
    r"""Sum bits without carries: :math:`\hat y_t = a_{t-d} \oplus b_{t-d}`, shape of ``y``.

    Steps with ``t < delay`` (before any column) predict 0.
    """
    x = split.x >= 0.5
    pred = np.zeros(split.y.shape, dtype=np.float32)
    pred[delay:, :, 0] = np.logical_xor(x[: x.shape[0] - delay, :, 0],
                                        x[: x.shape[0] - delay, :, 1])
    return pred
