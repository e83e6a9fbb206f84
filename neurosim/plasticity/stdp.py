r"""Spike-timing-dependent plasticity: pair-based, triplet and reward-modulated rules.

All rules are trace based (Morrison, Diesmann & Gerstner 2008, *Biol. Cybern.* 98:459):
every neuron carries exponentially decaying traces that jump at its spikes, and a weight
changes only at a spike of its pre- or postsynaptic neuron, by an amount read from the
other side's trace. One call of a ``*_step`` function advances one time step ``dt``:

1. all traces decay by ``exp(-dt / tau)``;
2. presynaptic spikes: depression from the postsynaptic trace, then the presynaptic traces
   jump;
3. postsynaptic spikes: potentiation from the presynaptic trace (which already contains a
   presynaptic spike of the same step), then the postsynaptic traces jump.

This is the order of Brian2's ``on_pre`` / ``on_post`` pathways in Song, Miller & Abbott's
model (Brian2 ``examples/synapses/STDP.py``), so a pre spike ``dt_s = t_post - t_pre >= 0``
before a post spike gives :math:`\Delta w = A_+ e^{-dt_s/\tau_+}` and a post spike before
a pre spike gives :math:`\Delta w = -A_- e^{dt_s/\tau_-}` (Bi & Poo 1998 window).

Layouts: per-synapse weights ``(B, n_syn)`` with index arrays ``pre_idx`` / ``post_idx``
``(n_syn,)`` (CSR projections), or dense ``(B, n_pre, n_post)`` with ``pre_idx = post_idx =
None``. Spikes are bool ``(B, n_pre)`` / ``(B, n_post)``; traces ``(B, n)``. ``B`` copies
learn independently (no averaging over the batch). The functions work on numpy arrays and on
torch tensors alike and never modify their inputs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

from neurosim.neurons.base import check_positive
from neurosim.plasticity._arrays import as_float, clip, gather
from neurosim.plasticity._params import (
    check_bounds,
    check_choice,
    check_nonneg,
    check_tau,
)
from neurosim.units import ms

__all__ = [
    "PairSTDPParams", "PairSTDPState", "pair_stdp_step",
    "TripletSTDPParams", "TripletSTDPState", "triplet_stdp_step",
    "RewardSTDPParams", "RewardSTDPState", "reward_stdp_step",
    "stdp_window",
]

WEIGHT_DEPENDENCE = ("additive", "multiplicative")
PAIRING = ("all_to_all", "nearest")


# ---------------------------------------------------------------------------- pair STDP
@dataclass(frozen=True)
class PairSTDPParams:
    """Pair-based STDP.

    Parameters
    ----------
    tau_pre, tau_post : trace time constants (s) of the LTP (pre) and LTD (post) sides.
    a_plus : LTP amplitude (>= 0): weight change for a pre spike just before a post spike
        (additive), or the fraction of the distance to ``w_max`` (multiplicative).
    a_minus : LTD amplitude (>= 0, the *magnitude* of depression), likewise.
    w_min, w_max : hard bounds; weights are clipped to ``[w_min, w_max]`` after each update.
    weight_dependence : ``"additive"`` (Song et al. 2000) or ``"multiplicative"`` (soft
        bounds, van Rossum et al. 2000: LTP ``∝ w_max - w``, LTD ``∝ w - w_min``).
    pairing : ``"all_to_all"`` (traces add up: every pre/post pair contributes) or
        ``"nearest"`` (traces reset to 1 at a spike: only the nearest spike counts;
        Morrison et al. 2008, "nearest-spike symmetric").
    """

    tau_pre: float = 20 * ms
    tau_post: float = 20 * ms
    a_plus: float = 0.01
    a_minus: float = 0.0105
    w_min: float = 0.0
    w_max: float = 1.0
    weight_dependence: str = "additive"
    pairing: str = "all_to_all"

    def __post_init__(self) -> None:
        o = type(self).__name__
        check_tau(o, "tau_pre", self.tau_pre)
        check_tau(o, "tau_post", self.tau_post)
        check_nonneg(o, "a_plus", self.a_plus)
        check_nonneg(o, "a_minus", self.a_minus)
        check_bounds(o, self.w_min, self.w_max)
        check_choice(o, "weight_dependence", self.weight_dependence, WEIGHT_DEPENDENCE)
        check_choice(o, "pairing", self.pairing, PAIRING)
        if self.weight_dependence == "multiplicative" and not (
                math.isfinite(self.w_min) and math.isfinite(self.w_max)):
            raise ValueError(f"{o}.weight_dependence='multiplicative' needs finite w_min and "
                             f"w_max, got [{self.w_min}, {self.w_max}]")


class PairSTDPState(NamedTuple):
    """Traces of pair STDP: ``x_pre`` ``(B, n_pre)``, ``x_post`` ``(B, n_post)``."""

    x_pre: Any
    x_post: Any


def _jump(x: Any, spk: Any, nearest: bool) -> Any:
    return x * (1.0 - spk) + spk if nearest else x + spk


def pair_stdp_step(state: PairSTDPState, w: Any, pre_spikes: Any, post_spikes: Any,
                   params: PairSTDPParams, dt: float, pre_idx: Any = None,
                   post_idx: Any = None) -> tuple[Any, PairSTDPState]:
    r"""One step of pair-based STDP (Song, Miller & Abbott 2000; Morrison et al. 2008).

    .. math::

        \dot x_\text{pre} = -x_\text{pre}/\tau_\text{pre} + \textstyle\sum_f \delta(t -
        t^f_\text{pre}),\qquad \dot x_\text{post} = -x_\text{post}/\tau_\text{post} +
        \textstyle\sum_f \delta(t - t^f_\text{post})

        \text{pre spike: } w \leftarrow w - A_-\, f_-(w)\, x_\text{post},\qquad
        \text{post spike: } w \leftarrow w + A_+\, f_+(w)\, x_\text{pre}

    with :math:`f_\pm = 1` (additive) or :math:`f_+ = w_\max - w`, :math:`f_- = w - w_\min`
    (multiplicative); then ``w`` is clipped to ``[w_min, w_max]``. With ``pairing="nearest"``
    a trace is reset to 1 instead of incremented.

    Parameters
    ----------
    state : traces ``x_pre`` ``(B, n_pre)``, ``x_post`` ``(B, n_post)``.
    w : weights ``(B, n_syn)`` (with ``pre_idx``/``post_idx``) or ``(B, n_pre, n_post)``.
    pre_spikes, post_spikes : bool ``(B, n_pre)``, ``(B, n_post)``.
    params : :class:`PairSTDPParams`.
    dt : time step (s).
    pre_idx, post_idx : ``(n_syn,)`` synapse -> neuron indices, or ``None`` (dense).

    Returns
    -------
    ``(w_new, state_new)``; inputs are not modified.
    """
    p = params
    nearest = p.pairing == "nearest"
    pre = as_float(pre_spikes, w)
    post = as_float(post_spikes, w)
    x_pre = state.x_pre * math.exp(-dt / p.tau_pre)
    x_post = state.x_post * math.exp(-dt / p.tau_post)
    mult = p.weight_dependence == "multiplicative"
    # presynaptic spikes: depression from the post trace
    ltd = gather(pre, pre_idx, 1) * gather(x_post, post_idx, 2)
    w = w - p.a_minus * ((w - p.w_min) if mult else 1.0) * ltd
    w = clip(w, p.w_min, p.w_max)
    x_pre = _jump(x_pre, pre, nearest)
    # postsynaptic spikes: potentiation from the pre trace
    ltp = gather(post, post_idx, 2) * gather(x_pre, pre_idx, 1)
    w = w + p.a_plus * ((p.w_max - w) if mult else 1.0) * ltp
    w = clip(w, p.w_min, p.w_max)
    x_post = _jump(x_post, post, nearest)
    return w, PairSTDPState(x_pre, x_post)


# ---------------------------------------------------------------------------- triplet STDP
@dataclass(frozen=True)
class TripletSTDPParams:
    """Triplet STDP (Pfister & Gerstner 2006, *J. Neurosci.* 26:9673), all-to-all traces.

    Defaults: the hippocampal-culture fit of Pfister & Gerstner's Table 2 ("all-to-all,
    full model"; Wang et al. 2005 data): ``tau_plus`` 16.8 ms, ``tau_minus`` 33.7 ms,
    ``tau_x`` 946 ms, ``tau_y`` 27 ms, ``A2+`` 6.1e-3, ``A3+`` 6.7e-3, ``A2-`` 1.6e-3,
    ``A3-`` 1.4e-3 (amplitudes in units of the weight). ``tau_x`` may exceed 1 s.
    ``pairing="nearest"`` resets traces to 1 at a spike instead of incrementing them (the
    variant Diehl & Cook 2015 use, with ``A2+ = A3- = 0``).
    """

    tau_plus: float = 16.8 * ms
    tau_minus: float = 33.7 * ms
    tau_x: float = 946 * ms
    tau_y: float = 27 * ms
    a2_plus: float = 6.1e-3
    a3_plus: float = 6.7e-3
    a2_minus: float = 1.6e-3
    a3_minus: float = 1.4e-3
    w_min: float = 0.0
    w_max: float = 1.0
    pairing: str = "all_to_all"

    def __post_init__(self) -> None:
        o = type(self).__name__
        check_choice(o, "pairing", self.pairing, PAIRING)
        for f in ("tau_plus", "tau_minus", "tau_y"):
            check_tau(o, f, getattr(self, f))
        check_positive(o, "tau_x", self.tau_x)  # finite, > 0 (no ms-as-s magnitude check)
        for f in ("a2_plus", "a3_plus", "a2_minus", "a3_minus"):
            check_nonneg(o, f, getattr(self, f))
        check_bounds(o, self.w_min, self.w_max)


class TripletSTDPState(NamedTuple):
    """``r1`` (tau_plus), ``r2`` (tau_x) ``(B, n_pre)``; ``o1`` (tau_minus), ``o2`` (tau_y)
    ``(B, n_post)``."""

    r1: Any
    r2: Any
    o1: Any
    o2: Any


def triplet_stdp_step(state: TripletSTDPState, w: Any, pre_spikes: Any, post_spikes: Any,
                      params: TripletSTDPParams, dt: float, pre_idx: Any = None,
                      post_idx: Any = None) -> tuple[Any, TripletSTDPState]:
    r"""One step of triplet STDP (Pfister & Gerstner 2006, Eqs. 2-3).

    .. math::

        \text{pre spike: } w \leftarrow w - o_1\,[A_2^- + A_3^-\, r_2(t^-)],\quad
        r_1 \mathrel{+}= 1,\ r_2 \mathrel{+}= 1

        \text{post spike: } w \leftarrow w + r_1\,[A_2^+ + A_3^+\, o_2(t^-)],\quad
        o_1 \mathrel{+}= 1,\ o_2 \mathrel{+}= 1

    where :math:`r_{1,2}` and :math:`o_{1,2}` decay with :math:`\tau_+, \tau_x, \tau_-,
    \tau_y`, and :math:`t^-` means the trace value before its own jump. Shapes and layouts as
    :func:`pair_stdp_step`; weights are clipped to ``[w_min, w_max]``.
    """
    p = params
    pre = as_float(pre_spikes, w)
    post = as_float(post_spikes, w)
    r1 = state.r1 * math.exp(-dt / p.tau_plus)
    r2 = state.r2 * math.exp(-dt / p.tau_x)
    o1 = state.o1 * math.exp(-dt / p.tau_minus)
    o2 = state.o2 * math.exp(-dt / p.tau_y)
    nearest = p.pairing == "nearest"
    ltd = gather(pre * (p.a2_minus + p.a3_minus * r2), pre_idx, 1) * gather(o1, post_idx, 2)
    w = clip(w - ltd, p.w_min, p.w_max)
    r1, r2 = _jump(r1, pre, nearest), _jump(r2, pre, nearest)
    ltp = gather(post * (p.a2_plus + p.a3_plus * o2), post_idx, 2) * gather(r1, pre_idx, 1)
    w = clip(w + ltp, p.w_min, p.w_max)
    o1, o2 = _jump(o1, post, nearest), _jump(o2, post, nearest)
    return w, TripletSTDPState(r1, r2, o1, o2)


# ---------------------------------------------------------------------------- reward STDP
@dataclass(frozen=True)
class RewardSTDPParams:
    """Reward-modulated STDP with an eligibility trace (Izhikevich 2007, *Cereb. Cortex*
    17:2443; Frémaux & Gerstner 2016).

    ``stdp`` gives the pair window that feeds the eligibility trace (its ``w_min``/``w_max``
    bound the weights; its weight dependence and pairing apply); ``tau_c`` is the
    eligibility time constant (may exceed 1 s); ``learning_rate`` scales ``reward x
    eligibility`` per second.
    """

    stdp: PairSTDPParams = PairSTDPParams()
    tau_c: float = 1000 * ms
    learning_rate: float = 1.0

    def __post_init__(self) -> None:
        o = type(self).__name__
        if not isinstance(self.stdp, PairSTDPParams):
            raise TypeError(f"{o}.stdp must be a PairSTDPParams, got "
                            f"{type(self.stdp).__name__}")
        check_positive(o, "tau_c", self.tau_c)  # finite, > 0 (no ms-as-s magnitude check)
        check_nonneg(o, "learning_rate", self.learning_rate)


class RewardSTDPState(NamedTuple):
    """Pair traces plus the per-synapse eligibility ``c`` (shape of ``w``)."""

    x_pre: Any
    x_post: Any
    c: Any


def reward_stdp_step(state: RewardSTDPState, w: Any, pre_spikes: Any, post_spikes: Any,
                     reward: Any, params: RewardSTDPParams, dt: float, pre_idx: Any = None,
                     post_idx: Any = None) -> tuple[Any, RewardSTDPState]:
    r"""One step of reward-modulated STDP (Izhikevich 2007).

    .. math::

        \dot c = -c/\tau_c + \mathrm{STDP}(t),\qquad \dot w = \eta\, r(t)\, c

    ``STDP(t)`` is the pair rule's update (:func:`pair_stdp_step` with unbounded weights)
    accumulated into ``c`` instead of ``w``; ``reward`` is a scalar or ``(B,)`` array (one
    signal per independent copy); ``w`` is clipped to the pair rule's bounds.
    """
    sp = params.stdp
    c = state.c * math.exp(-dt / params.tau_c)
    # eligibility increments: the pair rule applied to c (unbounded, additive on c)
    probe = PairSTDPParams(sp.tau_pre, sp.tau_post, sp.a_plus, sp.a_minus, -math.inf,
                           math.inf, "additive", sp.pairing)
    if sp.weight_dependence == "multiplicative":
        # soft bounds: scale LTP by (w_max - w), LTD by (w - w_min) through two probes
        zero = c * 0.0
        dplus, tr = pair_stdp_step(PairSTDPState(state.x_pre, state.x_post), zero,
                                   pre_spikes, post_spikes,
                                   _only(probe, "plus"), dt, pre_idx, post_idx)
        dminus, _ = pair_stdp_step(PairSTDPState(state.x_pre, state.x_post), zero,
                                   pre_spikes, post_spikes,
                                   _only(probe, "minus"), dt, pre_idx, post_idx)
        c = c + dplus * (sp.w_max - w) + dminus * (w - sp.w_min)
    else:
        c, tr = pair_stdp_step(PairSTDPState(state.x_pre, state.x_post), c, pre_spikes,
                               post_spikes, probe, dt, pre_idx, post_idx)
    r = reward
    if hasattr(r, "ndim") and r.ndim == 1:
        r = r.reshape((-1,) + (1,) * (w.ndim - 1))
    w = clip(w + params.learning_rate * dt * r * c, sp.w_min, sp.w_max)
    return w, RewardSTDPState(tr.x_pre, tr.x_post, c)


def _only(p: PairSTDPParams, side: str) -> PairSTDPParams:
    return PairSTDPParams(p.tau_pre, p.tau_post, p.a_plus if side == "plus" else 0.0,
                          p.a_minus if side == "minus" else 0.0, p.w_min, p.w_max,
                          "additive", p.pairing)


# ---------------------------------------------------------------------------- window
def stdp_window(delta_t: Any, params: PairSTDPParams | TripletSTDPParams) -> Any:
    r"""Theoretical weight change of one isolated pre/post pair (additive, far from bounds).

    .. math::

        \Delta w(\Delta t) = A_+ e^{-\Delta t/\tau_+}\ (\Delta t \ge 0),\qquad
        -A_- e^{\Delta t/\tau_-}\ (\Delta t < 0),\qquad \Delta t = t_\text{post} -
        t_\text{pre}

    For :class:`TripletSTDPParams` the isolated-pair window uses ``A2+`` / ``A2-`` with
    ``tau_plus`` / ``tau_minus`` (the triplet terms need a second spike).
    """
    import numpy as np

    dt_ = np.asarray(delta_t, dtype=np.float64)
    if isinstance(params, TripletSTDPParams):
        ap, am, tp, tm = params.a2_plus, params.a2_minus, params.tau_plus, params.tau_minus
    else:
        ap, am, tp, tm = params.a_plus, params.a_minus, params.tau_pre, params.tau_post
    return np.where(dt_ >= 0, ap * np.exp(-np.abs(dt_) / tp), -am * np.exp(-np.abs(dt_) / tm))
