r"""Lateral inhibition and winner-take-all.

Two forms:

* **circuit** — :func:`lateral_inhibition_matrix` builds the "inhibit every other neuron"
  connectivity of Diehl & Cook 2015 (excitatory neuron ``k`` drives its own inhibitory
  partner one-to-one, which inhibits all excitatory neurons except ``k``); the competition
  then emerges from the dynamics. :func:`wta_network` wires it with neurosim Synapses.
* **algorithmic** — :func:`k_winners_take_all` keeps, in each step, only the ``k`` spikes
  of the neurons with the highest drive (hard WTA, as in many event-driven STDP learners,
  e.g. Nessler et al. 2013).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neurosim.plasticity._arrays import is_torch
from neurosim.validation import check_int, check_real

__all__ = ["lateral_inhibition_matrix", "k_winners_take_all", "wta_network"]


def lateral_inhibition_matrix(n: int, weight: float) -> np.ndarray:
    r"""``(n, n)`` matrix with ``weight`` everywhere except the diagonal (0).

    .. math:: W_{ij} = w\,(1 - \delta_{ij})
    """
    n = check_int("lateral_inhibition_matrix: n", n, low=1)
    weight = check_real("lateral_inhibition_matrix: weight", weight)
    w = np.full((n, n), weight)
    np.fill_diagonal(w, 0.0)
    return w


def k_winners_take_all(spikes: Any, drive: Any, k: int = 1) -> Any:
    r"""Keep at most ``k`` spikes per row: those with the largest ``drive``.

    .. math:: s'_i = s_i\,[\,\mathrm{rank}(d_i \mid s_i = 1) < k\,]

    Parameters
    ----------
    spikes : bool ``(B, n)``.
    drive : float ``(B, n)`` (e.g. the membrane potential before reset); ties go to the
        lower index.
    k : winners per row, >= 1.

    Returns bool ``(B, n)`` (a new array).
    """
    k = check_int("k_winners_take_all: k", k, low=1)
    if spikes.shape != drive.shape or spikes.ndim != 2:
        raise ValueError(f"k_winners_take_all: spikes and drive must both be (B, n), got "
                         f"{tuple(spikes.shape)} and {tuple(drive.shape)}")
    n = spikes.shape[1]
    if k >= n:
        return spikes.clone() if is_torch(spikes) else spikes.copy()
    if is_torch(spikes):
        import torch

        score = torch.where(spikes, drive, torch.full_like(drive, -torch.inf))
        top = torch.topk(score, k, dim=1, sorted=False).indices
        keep = torch.zeros_like(spikes)
        keep.scatter_(1, top, True)
        return keep & spikes
    score = np.where(spikes, drive, -np.inf)
    order = np.argsort(-score, axis=1, kind="stable")[:, :k]
    keep = np.zeros_like(spikes, dtype=bool)
    np.put_along_axis(keep, order, True, axis=1)
    return keep & spikes


def wta_network(exc: Any, inh: Any, w_exc_inh: float, w_inh_exc: float) -> list[Any]:
    """Synapses of a Diehl & Cook style WTA circuit between two equal-size NeuronGroups.

    ``exc -> inh`` one-to-one with weight ``w_exc_inh`` (excitatory target), ``inh -> exc``
    to every other excitatory neuron with ``w_inh_exc`` (inhibitory target ``"i"``; a
    conductance >= 0 for conductance models, a negative current for current-based ones).
    """
    from neurosim.synapses import Synapses

    if exc.n != inh.n:
        raise ValueError(f"wta_network: exc and inh must have the same size, got {exc.n} and "
                         f"{inh.n}")
    e2i = Synapses.one_to_one(exc, inh, w_exc_inh, target="e", name=f"{exc.name}_to_{inh.name}")
    i2e = Synapses.from_matrix(inh, exc, lateral_inhibition_matrix(exc.n, w_inh_exc),
                               target="i", name=f"{inh.name}_to_{exc.name}")
    return [e2i, i2e]
