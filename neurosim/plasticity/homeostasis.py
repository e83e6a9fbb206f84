r"""Homeostasis: adaptive thresholds and synaptic weight normalisation.

Both keep a learning network's activity in range while STDP changes its weights: the
adaptive threshold makes a neuron that fires a lot harder to excite (Diehl & Cook 2015,
*Front. Comput. Neurosci.* 9:99), and normalisation holds the total input weight of each
postsynaptic neuron fixed so that potentiating some synapses depresses the others
(von der Malsburg 1973; Diehl & Cook 2015 normalise every column of the input->excitatory
matrix to 78 before each image). Works on numpy arrays and torch tensors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from neurosim.neurons.base import check_positive
from neurosim.plasticity._arrays import as_float, is_torch, scatter_sum, where
from neurosim.plasticity._params import check_nonneg, check_tau
from neurosim.units import ms, mV
from neurosim.validation import check_real

__all__ = ["AdaptiveThresholdParams", "adaptive_threshold_step", "normalize_columns",
           "NormalizationParams"]


@dataclass(frozen=True)
class AdaptiveThresholdParams:
    """Spike-triggered threshold increase ``theta`` (added to the firing threshold).

    Defaults follow Diehl & Cook 2015: ``delta_theta`` 0.05 mV per spike, decay ``tau_theta``
    1e7 ms (1e4 s; so slow that it is effectively a running spike count).
    """

    delta_theta: float = 0.05 * mV
    tau_theta: float = 1e7 * ms

    def __post_init__(self) -> None:
        o = type(self).__name__
        check_nonneg(o, "delta_theta", self.delta_theta)
        if self.delta_theta > 0.1:
            raise ValueError(f"{o}.delta_theta={self.delta_theta:g} V looks like millivolts; "
                             f"write {self.delta_theta:g}*mV")
        check_tau(o, "tau_theta", self.tau_theta)


def adaptive_threshold_step(theta: Any, spikes: Any, params: AdaptiveThresholdParams,
                            dt: float) -> Any:
    r"""Advance the adaptive threshold by one step.

    .. math::

        \tau_\theta \dot\theta = -\theta,\qquad \theta \leftarrow \theta + \Delta\theta
        \text{ at each spike}

    ``theta`` (V) and ``spikes`` (bool) have the same shape (e.g. ``(B, n)``); returns the
    new ``theta`` (decayed exactly over ``dt``, then incremented).
    """
    return theta * math.exp(-dt / params.tau_theta) + params.delta_theta * as_float(
        spikes, theta)


@dataclass(frozen=True)
class NormalizationParams:
    """Target column sum (total input weight per postsynaptic neuron), ``> 0``."""

    total: float = 78.0

    def __post_init__(self) -> None:
        check_positive(type(self).__name__, "total", self.total)


def normalize_columns(w: Any, total: float, post_idx: Any = None, n_post: int | None = None
                      ) -> Any:
    r"""Rescale the weights onto every postsynaptic neuron to sum to ``total``.

    .. math::

        w_{ij} \leftarrow w_{ij}\, \frac{W}{\sum_k w_{kj}}

    Parameters
    ----------
    w : dense ``(..., n_pre, n_post)`` weights, or per-synapse ``(B, n_syn)`` with
        ``post_idx`` ``(n_syn,)`` and ``n_post``.
    total : target sum ``W`` per column (postsynaptic neuron).

    Columns whose sum is 0 are left at 0. Returns a new array; ``w`` is not modified.
    """
    total = check_real("normalize_columns: total", total, low=0, low_open=True)
    if post_idx is None:
        s = w.sum(-2, keepdims=True) if not is_torch(w) else w.sum(-2, keepdim=True)
        return where(s > 0, w * (total / where(s > 0, s, s * 0 + 1)), w * 0)
    if n_post is None:
        raise ValueError("normalize_columns: n_post is required with post_idx")
    s = scatter_sum(w, post_idx, n_post, axis=2)[:, post_idx]
    safe = where(s > 0, s, s * 0 + 1)
    return where(s > 0, w * (total / safe), w * 0)


def column_sums(w: Any) -> np.ndarray:
    """Sum over the presynaptic axis of a dense ``(..., n_pre, n_post)`` matrix (numpy)."""
    return np.asarray(w).sum(-2)
