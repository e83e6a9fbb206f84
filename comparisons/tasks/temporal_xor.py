"""Temporal XOR (Elman 1990, "Finding structure in time", section 3).

A stream of bits is built from triples ``(a, b, a XOR b)`` with ``a, b`` random. The net
reads one bit per step and predicts the next one. Only every third bit is predictable: at the
step that shows ``b`` the next bit is ``a XOR b``; the other predictions are coin flips.
Scoring is per step, masked to the predictable bits (Elman plotted the error there falling
while the rest stayed at chance).

Best achievable accuracy: on the scored (XOR) bits the rule "predict the XOR of the last two
inputs" is always right — whatever the phase, since it is only scored where both operands
were shown — so :meth:`TemporalXOR.ceiling` is 1. Scored on *every* step instead, two bits
in three are fresh coin flips and the best possible accuracy would be
``1/3 * 1 + 2/3 * 1/2 = 2/3``.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from comparisons.tasks.base import Split, Task, TaskData
from comparisons.validation import check_int


def xor_stream(n: int, n_triples: int, rng: np.random.Generator, random_phase: bool) -> Split:
    r"""Bit streams of ``n_triples`` XOR triples, next-bit targets.

    .. math:: s_{3i+2} = s_{3i} \oplus s_{3i+1}, \qquad y_t = s_{t+1}.

    With ``random_phase`` each stream starts at a random position within a triple (one extra
    triple is generated and the stream is cut), so the learner must find the phase itself.

    Returns
    -------
    Split
        ``x`` (T, n, 1) float32 bits, ``T = 3 * n_triples``; ``y`` (T, n, 1) the next bit
        (the last step's target is the following stream bit); ``mask`` (T, n) true where the
        next bit is an XOR bit whose two operands have been shown.
    """
    T = 3 * n_triples
    ab = rng.integers(0, 2, size=(n_triples + 1, 2, n))
    trip = np.concatenate([ab, (ab[:, :1] ^ ab[:, 1:2])], axis=1)  # (n_triples+1, 3, n)
    stream = trip.reshape(3 * (n_triples + 1), n)
    phase = rng.integers(0, 3, size=n) if random_phase else np.zeros(n, dtype=np.int64)
    idx = phase[None, :] + np.arange(T + 1)[:, None]  # (T+1, n) positions in the long stream
    s = np.take_along_axis(stream, idx, axis=0)
    x = s[:T, :, None].astype(np.float32)
    y = s[1:, :, None].astype(np.float32)
    mask = (idx[1:] % 3) == 2
    mask[0] = False  # with phase 1 the first XOR bit depends on a bit before the stream
    return Split(x=x, y=y, mask=mask)


class TemporalXOR(Task):
    """Predict the next bit of a stream of XOR triples; scored on the predictable bits.

    Parameters
    ----------
    n_triples : int
        Triples per sequence (T = 3 * n_triples).
    n_train, n_test, n_val : int
        Number of sequences per split (all drawn alike).
    random_phase : bool
        Start each stream at a random offset within a triple (Elman's unsegmented stream).
    """

    name: ClassVar[str] = "temporal_xor"
    target: ClassVar[str] = "binary"
    output: ClassVar[str] = "per_step"
    metric: ClassVar[str] = "accuracy"
    description: ClassVar[str] = (
        "Elman 1990: bit stream of triples (a, b, a XOR b); predict the next bit, scored on "
        "the predictable (XOR) bits."
    )
    chance_note: ClassVar[str] = "accuracy = 0.5 (XOR bit is independent of a constant guess)"
    baseline_descriptions: ClassVar[dict[str, str]] = {
        "chance": "the majority training bit at every scored step: accuracy ~ 0.5, as the "
                  "XOR of two fair bits is a fair bit",
    }
    # Elman 1990 reports error curves, not an accuracy on this masked metric: none listed.
    literature: ClassVar[tuple[dict, ...]] = ()

    def __init__(
        self, n_triples: int = 20, n_train: int = 1000, n_test: int = 250,
        random_phase: bool = False, n_val: int = 250,
    ) -> None:
        self.n_triples = check_int("TemporalXOR.n_triples", n_triples, low=1)
        self.n_train = check_int("TemporalXOR.n_train", n_train, low=1)
        self.n_test = check_int("TemporalXOR.n_test", n_test, low=1)
        self.n_val = check_int("TemporalXOR.n_val", n_val, low=1)
        if not isinstance(random_phase, bool):
            raise TypeError(f"TemporalXOR.random_phase must be a bool, got {random_phase!r}")
        self.random_phase = random_phase
        self.n_in, self.n_out = 1, 1

    def make(self, seed: int) -> TaskData:
        """Train, test, then validation streams from one generator seeded by ``seed``."""
        rng = np.random.default_rng(check_int("seed", seed, low=0))
        train = xor_stream(self.n_train, self.n_triples, rng, self.random_phase)
        test = xor_stream(self.n_test, self.n_triples, rng, self.random_phase)
        val = xor_stream(self.n_val, self.n_triples, rng, self.random_phase)
        return self._task_data(seed, train, val, test)

    def ceiling(self, data: TaskData, split: str = "test") -> float | None:
        """1: "XOR of the last two inputs" is right at every scored step (module docstring);
        over all steps, scored or not, it would be 2/3."""
        data.split(split)
        return self._perfect()

    def input_range(self, data: TaskData) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros(1), np.ones(1)
