"""Temporal spike-pattern classification (frozen random patterns with jitter).

Each class is a frozen random spike pattern over ``n_channels`` inputs and ``length`` steps
(the "embedded pattern" setting of Gütig & Sompolinsky 2006's tempotron and of Masquelier et
al. 2008). A sample is its class's pattern with every spike moved by Gaussian jitter
(``jitter`` steps, rounded), dropped with probability ``p_drop``, plus Bernoulli background
noise spikes. With ``equal_counts`` (default) every channel of every pattern has exactly
``spikes_per_channel`` spikes, so spike counts carry no class information: only timing does,
and a rate (count) classifier stays at chance when the data are noise-free.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from comparisons.tasks.base import Split, Task, TaskData
from comparisons.validation import check_float, check_int


def frozen_patterns(
    n_classes: int, n_channels: int, length: int, spikes_per_channel: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Random spike-time patterns, shape (n_classes, n_channels, spikes_per_channel), int.

    Times are distinct within a channel, drawn uniformly without replacement from
    ``0..length-1``.
    """
    keys = rng.random((n_classes, n_channels, length))
    return np.sort(np.argsort(keys, axis=-1)[..., :spikes_per_channel], axis=-1)


def jittered_samples(
    patterns: np.ndarray, labels: np.ndarray, length: int, jitter: float, p_drop: float,
    noise_prob: float, rng: np.random.Generator,
) -> np.ndarray:
    r"""Spike rasters of the given labels, shape (length, n, n_channels), float32 0/1.

    .. math:: t' = \mathrm{clip}(\mathrm{round}(t + \sigma \xi), 0, T - 1),
        \quad \xi \sim \mathcal N(0, 1),

    each pattern spike kept with probability ``1 - p_drop``; background spikes are added
    independently with probability ``noise_prob`` per step and channel. Spikes that land on
    the same step merge.
    """
    n = labels.shape[0]
    _, C, S = patterns.shape
    times = patterns[labels].astype(np.float64)  # (n, C, S)
    if jitter > 0:
        times = times + jitter * rng.standard_normal(times.shape)
    t = np.clip(np.rint(times), 0, length - 1).astype(np.int64)
    keep = rng.random(t.shape) >= p_drop
    x = np.zeros((length, n, C), dtype=np.float32)
    b_idx = np.broadcast_to(np.arange(n)[:, None, None], t.shape)
    c_idx = np.broadcast_to(np.arange(C)[None, :, None], t.shape)
    x[t[keep], b_idx[keep], c_idx[keep]] = 1.0
    if noise_prob > 0:
        x[rng.random(x.shape) < noise_prob] = 1.0
    return x


class SpikePatterns(Task):
    """Classify jittered copies of frozen spike patterns (spiking input, final label).

    Parameters
    ----------
    n_classes : int
        Number of patterns/classes.
    n_channels : int
        Input spike channels.
    length : int
        Steps per pattern.
    spikes_per_channel : int
        Spikes per channel per pattern (equal for every class).
    jitter : float
        Standard deviation of the spike-time jitter, in steps.
    p_drop : float in [0, 1)
        Probability of deleting each pattern spike.
    noise_prob : float in [0, 1)
        Background spike probability per step and channel.
    n_train, n_test, n_val : int
        Samples per split (classes balanced by cycling labels, then shuffled; all three
        drawn alike).
    """

    name: ClassVar[str] = "spike_patterns"
    target: ClassVar[str] = "class"
    output: ClassVar[str] = "final"
    metric: ClassVar[str] = "accuracy"
    spiking_input: ClassVar[bool] = True
    description: ClassVar[str] = (
        "Frozen random spike patterns (equal spike counts per channel), one per class, "
        "shown with timing jitter, deletions and noise; classify at the end."
    )
    chance_note: ClassVar[str] = "accuracy = 1/n_classes (balanced classes)"
    baseline_descriptions: ClassVar[dict[str, str]] = {
        "chance": "the most frequent training class for every sample: accuracy ~ 1/n_classes",
    }
    # Frozen-pattern tasks in the literature (tempotron, Masquelier et al.) use other
    # sizes and noise; no published score for this setting is known: none listed.
    literature: ClassVar[tuple[dict, ...]] = ()

    def __init__(
        self,
        n_classes: int = 5,
        n_channels: int = 20,
        length: int = 50,
        spikes_per_channel: int = 2,
        jitter: float = 1.0,
        p_drop: float = 0.0,
        noise_prob: float = 0.0,
        n_train: int = 500,
        n_test: int = 200,
        n_val: int = 200,
    ) -> None:
        self.n_classes = check_int("SpikePatterns.n_classes", n_classes, low=2)
        self.n_channels = check_int("SpikePatterns.n_channels", n_channels, low=1)
        self.length = check_int("SpikePatterns.length", length, low=1)
        self.spikes_per_channel = check_int("SpikePatterns.spikes_per_channel",
                                            spikes_per_channel, low=1, high=self.length)
        self.jitter = check_float("SpikePatterns.jitter", jitter, low=0.0)
        self.p_drop = check_float("SpikePatterns.p_drop", p_drop, low=0.0, high=1.0,
                                  high_open=True)
        self.noise_prob = check_float("SpikePatterns.noise_prob", noise_prob, low=0.0, high=1.0,
                                      high_open=True)
        self.n_train = check_int("SpikePatterns.n_train", n_train, low=1)
        self.n_test = check_int("SpikePatterns.n_test", n_test, low=1)
        self.n_val = check_int("SpikePatterns.n_val", n_val, low=1)
        self.n_in, self.n_out = self.n_channels, self.n_classes

    def patterns(self, seed: int) -> np.ndarray:
        """The frozen patterns of ``seed`` as rasters, shape (n_classes, length, n_channels)."""
        times = frozen_patterns(self.n_classes, self.n_channels, self.length,
                                self.spikes_per_channel, np.random.default_rng(seed))
        r = np.zeros((self.n_classes, self.length, self.n_channels), dtype=np.float32)
        k_idx, c_idx, _ = np.indices(times.shape)
        r[k_idx, times, c_idx] = 1.0
        return r

    def _split(self, n: int, times: np.ndarray, rng: np.random.Generator) -> Split:
        labels = rng.permutation(np.arange(n) % self.n_classes).astype(np.int64)
        x = jittered_samples(times, labels, self.length, self.jitter, self.p_drop,
                             self.noise_prob, rng)
        return Split(x=x, y=labels)

    def make(self, seed: int) -> TaskData:
        """Patterns frozen by ``seed``; train, test, then validation from ``(seed, 1)``."""
        seed = check_int("seed", seed, low=0)
        times = frozen_patterns(self.n_classes, self.n_channels, self.length,
                                self.spikes_per_channel, np.random.default_rng(seed))
        rng = np.random.default_rng([seed, 1])
        train = self._split(self.n_train, times, rng)
        test = self._split(self.n_test, times, rng)
        val = self._split(self.n_val, times, rng)
        return self._task_data(seed, train, val, test, spike_times=times)

    def input_range(self, data: TaskData) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros(self.n_in), np.ones(self.n_in)
