"""Associative recall / pattern completion (Hopfield 1982; Amit, Gutfreund & Sompolinsky 1985).

``n_patterns`` random patterns of ``n_bits`` (±1, +1 with probability ``p_on``) are frozen
by the seed. A sample is a corrupted cue of one stored pattern (``flip``: each bit flipped
with probability ``noise``; ``erase``: each bit set to 0 = unknown with probability ``noise``,
i.e. a partial cue) and its target is the clean pattern as 0/1 bits.

Two kinds of learner can use it:

- memory models (Hopfield, modern Hopfield, RBM) store the patterns they find in the training
  targets (:func:`patterns_from_split`; the first ``n_patterns`` training samples are the
  patterns in order) and recall from :func:`cues` of the test split;
- sequence models read the cue as a sequence: ``presentation="parallel"`` shows the whole cue
  (``n_bits`` channels) for ``cue_steps`` steps, ``"serial"`` one bit per step (``n_bits``
  steps, one channel); the answer is read at the end.

Predictions may be probabilities/0-1 bits or ±1 states (thresholded at 0.5 either way).
Metrics: bit ``accuracy`` (headline), ``overlap`` :math:`m = \\frac1N\\sum_i \\xi_i s_i`
(= 2 accuracy - 1) and ``sequence_accuracy`` (fraction of perfect recalls). Baselines: the
constant chance predictor, the cue itself, and the nearest stored pattern (the most probable
pattern for equiprobable patterns under flip noise < 1/2: a reference solution, not a
trivial one). :meth:`AssociativeRecall.ceiling` scores the Bayes-optimal bitwise recall
(:func:`posterior_bits`).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from comparisons.tasks.base import Split, Task, TaskData
from comparisons.validation import check_choice, check_float, check_int

CORRUPTIONS = ("flip", "erase")
PRESENTATIONS = ("parallel", "serial")


def corrupt(patterns: np.ndarray, noise: float, mode: str, rng: np.random.Generator) -> np.ndarray:
    """Corrupted copies of ±1 ``patterns`` (n, N): flipped bits, or erased bits set to 0."""
    hit = rng.random(patterns.shape) < noise
    if mode == "flip":
        return np.where(hit, -patterns, patterns)
    return np.where(hit, 0, patterns)


def cues(split: Split) -> np.ndarray:
    """The cues of a split as an (B, N) array of ±1 (0 = erased), whatever the presentation."""
    x = split.x
    return x[0] if x.shape[-1] > 1 else x[:, :, 0].T.copy()


def patterns_from_split(split: Split) -> np.ndarray:
    """Distinct target patterns of a split, ±1, shape (P, N), in order of first appearance."""
    bits = np.asarray(split.y) >= 0.5
    _, first = np.unique(bits, axis=0, return_index=True)
    return np.where(bits[np.sort(first)], 1.0, -1.0).astype(np.float32)


def nearest_pattern(cue: np.ndarray, patterns: np.ndarray) -> np.ndarray:
    r"""Stored pattern with the largest overlap :math:`\xi^\mu \cdot c` with each cue, (B, N)."""
    return patterns[np.argmax(cue @ patterns.T, axis=1)]


def posterior_bits(cue: np.ndarray, patterns: np.ndarray, noise: float, mode: str) -> np.ndarray:
    r"""Posterior probability that each clean bit is +1, given the cue, shape (B, N).

    With equiprobable stored patterns :math:`\xi^\mu` and independent corruption,

    .. math::

        P(\mu \mid c) \propto \prod_i P(c_i \mid \xi^\mu_i), \qquad
        P(s_i = 1 \mid c) = \sum_\mu P(\mu \mid c)\,[\xi^\mu_i = 1],

    where flip noise gives :math:`P(c_i \mid \xi_i) = 1 - p` if they agree and :math:`p`
    otherwise, and erasure gives 1 for an erased bit and :math:`[c_i = \xi_i]` for a kept
    one (up to a factor common to all patterns). Thresholding at 1/2 is the Bayes-optimal
    bitwise recall.
    """
    cue = np.asarray(cue, dtype=np.float64)
    pats = np.asarray(patterns, dtype=np.float64)
    agree = (cue[:, None, :] == pats[None, :, :])  # (B, P, N)
    if mode == "flip":
        n_agree = agree.sum(axis=-1)
        n_flip = cue.shape[-1] - n_agree
        if noise > 0:
            loglik = n_agree * np.log1p(-noise) + n_flip * np.log(noise)
        else:  # noiseless: only the pattern equal to the cue is possible
            loglik = np.where(n_flip == 0, 0.0, -np.inf)
    else:
        clash = (~agree & (cue[:, None, :] != 0)).any(axis=-1)
        loglik = np.where(clash, -np.inf, 0.0)
    best = loglik.max(axis=1, keepdims=True)
    post = np.exp(loglik - np.where(np.isfinite(best), best, 0.0))
    total = post.sum(axis=1, keepdims=True)
    # a cue that no known pattern explains (a pattern missing from training): uniform
    post = np.where(total > 0, post / np.where(total > 0, total, 1.0), 1.0 / pats.shape[0])
    return post @ (pats > 0).astype(np.float64)


class AssociativeRecall(Task):
    """Complete / clean up a corrupted cue of one of a few stored random patterns.

    Parameters
    ----------
    n_patterns : int
        Stored patterns ``P`` (the Hopfield capacity is ~0.138 N for random patterns).
    n_bits : int
        Pattern size ``N``.
    noise : float in [0, 1)
        Flip (or erase) probability per bit.
    corruption : {"flip", "erase"}
    presentation : {"parallel", "serial"}
        How the cue is shown to sequence models (see module docstring).
    cue_steps : int
        Steps the cue is held for (``parallel`` only).
    p_on : float in (0, 1)
        Probability of a +1 bit in the patterns.
    n_train, n_test, n_val : int
        Cues per split (patterns cycled; the first ``n_patterns`` training samples are cues
        of patterns ``0..P-1``; validation and test cues are shuffled alike).
    """

    name: ClassVar[str] = "associative_recall"
    static: ClassVar[bool] = True  # one step: a cue in, a pattern out
    target: ClassVar[str] = "binary"
    output: ClassVar[str] = "final"
    metric: ClassVar[str] = "accuracy"
    description: ClassVar[str] = (
        "Pattern completion: P random +-1 patterns stored, recall the clean pattern from a "
        "corrupted cue (flip/erase); bit accuracy, overlap."
    )
    chance_note: ClassVar[str] = "bit accuracy ~ max(p_on, 1-p_on) (constant bits)"
    baseline_descriptions: ClassVar[dict[str, str]] = {
        "chance": "the majority training bit for every bit: accuracy ~ max(p_on, 1 - p_on)",
        "cue": "return the corrupted cue unchanged (erased bits read as 0): accuracy ~ "
               "1 - noise under flips",
        "nearest_pattern": "reference solution, not trivial: the training pattern with the "
                           "largest overlap with the cue",
    }
    reference_baselines: ClassVar[tuple[str, ...]] = ("nearest_pattern",)
    # Capacity results (Amit et al. 1985) are theory for Hebbian networks, not published
    # scores of this task: none listed.
    literature: ClassVar[tuple[dict, ...]] = ()

    def __init__(
        self,
        n_patterns: int = 5,
        n_bits: int = 64,
        noise: float = 0.15,
        corruption: str = "flip",
        presentation: str = "parallel",
        cue_steps: int = 1,
        p_on: float = 0.5,
        n_train: int = 500,
        n_test: int = 200,
        n_val: int = 200,
    ) -> None:
        self.n_patterns = check_int("AssociativeRecall.n_patterns", n_patterns, low=1)
        self.n_bits = check_int("AssociativeRecall.n_bits", n_bits, low=2)
        self.noise = check_float("AssociativeRecall.noise", noise, low=0.0, high=1.0,
                                 high_open=True)
        self.corruption = check_choice("corruption", corruption, CORRUPTIONS)
        self.presentation = check_choice("presentation", presentation, PRESENTATIONS)
        self.cue_steps = check_int("AssociativeRecall.cue_steps", cue_steps, low=1)
        self.p_on = check_float("AssociativeRecall.p_on", p_on, low=0.0, high=1.0, low_open=True,
                                high_open=True)
        self.n_train = check_int("AssociativeRecall.n_train", n_train, low=1)
        self.n_test = check_int("AssociativeRecall.n_test", n_test, low=1)
        self.n_val = check_int("AssociativeRecall.n_val", n_val, low=1)
        self.n_in = self.n_bits if self.presentation == "parallel" else 1
        self.n_out = self.n_bits

    def stored_patterns(self, seed: int) -> np.ndarray:
        """The frozen ±1 patterns of ``seed``, shape (n_patterns, n_bits), float32."""
        rng = np.random.default_rng([check_int("seed", seed, low=0), 0])
        return np.where(rng.random((self.n_patterns, self.n_bits)) < self.p_on,
                        1.0, -1.0).astype(np.float32)

    def _split(self, n: int, pats: np.ndarray, rng: np.random.Generator, first: bool) -> Split:
        idx = np.arange(n) % self.n_patterns
        if not first:
            idx = rng.permutation(idx)
        clean = pats[idx]
        cue = corrupt(clean, self.noise, self.corruption, rng).astype(np.float32)
        if self.presentation == "parallel":
            x = np.repeat(cue[None], self.cue_steps, axis=0)
        else:
            x = np.ascontiguousarray(cue.T[:, :, None])
        y = (clean > 0).astype(np.float32)
        return Split(x=x, y=y)

    def make(self, seed: int) -> TaskData:
        """Patterns frozen by ``seed``; train, test, then validation cues from ``(seed, 1)``."""
        pats = self.stored_patterns(seed)
        rng = np.random.default_rng([seed, 1])
        train = self._split(self.n_train, pats, rng, first=True)
        test = self._split(self.n_test, pats, rng, first=False)
        val = self._split(self.n_val, pats, rng, first=False)
        return self._task_data(seed, train, val, test, patterns=pats)

    def extra_scores(self, pred: np.ndarray, split: Split) -> dict[str, float]:
        s = np.where(pred >= 0.5, 1.0, -1.0)
        xi = np.where(split.y >= 0.5, 1.0, -1.0)
        return {"overlap": float(np.mean(s * xi))}

    def baselines(self, data: TaskData, split: str = "test") -> dict[str, dict[str, float]]:
        """Chance, the cue returned unchanged, and the nearest training pattern (reference)."""
        out = super().baselines(data, split)
        sp = data.split(split)
        c = cues(sp)
        out["cue"] = self.score(c, sp)
        pats = patterns_from_split(data.train)
        out["nearest_pattern"] = self.score(nearest_pattern(c, pats), sp)
        return out

    def ceiling(self, data: TaskData, split: str = "test") -> float | None:
        """Bit accuracy of the Bayes-optimal recall (:func:`posterior_bits`) on ``split``.

        Uses the patterns found in the training targets and this task's noise model; an
        estimate (on this split's cues) of the best achievable expected accuracy.
        """
        sp = data.split(split)
        prob = posterior_bits(cues(sp), patterns_from_split(data.train), self.noise,
                              self.corruption)
        return self.score((prob >= 0.5).astype(np.float32), sp)[self.metric]

    def input_range(self, data: TaskData) -> tuple[np.ndarray, np.ndarray]:
        return -np.ones(self.n_in), np.ones(self.n_in)
