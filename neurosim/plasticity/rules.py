"""Plasticity rules that attach to a :class:`~neurosim.synapses.Synapses` object.

A rule holds parameters and calls its pure step function (:mod:`neurosim.plasticity.stdp`);
the network's backend keeps the rule's state (traces) and the per-copy weights, and calls
:meth:`PlasticityRule.update` once per step with that step's pre- and postsynaptic spikes,
after the step's spikes have been transmitted with the old weights::

    from neurosim.plasticity import STDP, PairSTDPParams
    syn = Synapses.all_to_all(inp, out, w=0.5 * gmax)
    syn.attach(STDP(PairSTDPParams(a_plus=0.01 * gmax, a_minus=0.0105 * gmax,
                                   w_max=gmax)))
    net = Network(inp, out, syn)
    net.run(10.0)              # learns; syn.weights holds the learned weights (copy 0)
    net.learning = False       # evaluation: weights frozen, same network
    net.run(1.0)
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from neurosim.plasticity.stdp import (
    PairSTDPParams,
    PairSTDPState,
    RewardSTDPParams,
    RewardSTDPState,
    TripletSTDPParams,
    TripletSTDPState,
    pair_stdp_step,
    reward_stdp_step,
    triplet_stdp_step,
)

__all__ = ["PlasticityRule", "STDP", "TripletSTDP", "RewardSTDP"]


class PlasticityRule:
    """Base class: parameters + a pure step function (see subclasses)."""

    params: Any
    params_type: type = object
    state_type: type = NamedTuple

    def __init__(self, params: Any = None, **kw: Any) -> None:
        if params is None:
            params = self.params_type(**kw)
        elif kw:
            raise TypeError(f"{type(self).__name__}: give either params or keyword "
                            f"parameters, not both")
        if not isinstance(params, self.params_type):
            raise TypeError(f"{type(self).__name__}.params must be a "
                            f"{self.params_type.__name__}, got {type(params).__name__}")
        self.params = params

    @property
    def bounds(self) -> tuple[float, float]:
        p = self.params.stdp if isinstance(self.params, RewardSTDPParams) else self.params
        return p.w_min, p.w_max

    def check(self, syn: Any) -> None:
        """Raise if this rule cannot serve ``syn`` (called by ``Synapses.attach``)."""
        name = f"{type(self).__name__} on Synapses {syn.name!r}"
        lo, hi = self.bounds
        if syn.target_kind == "conductance" and lo < 0:
            raise ValueError(f"{name}: w_min={lo} < 0 is not allowed for a conductance target "
                             f"({syn.target!r}); use w_min >= 0")
        if syn.n_syn and (syn.weights.min() < lo or syn.weights.max() > hi):
            raise ValueError(f"{name}: initial weights must lie in [w_min, w_max] = "
                             f"[{lo}, {hi}], got range [{syn.weights.min()}, "
                             f"{syn.weights.max()}]")
        if syn.delay.size > 1 and np.ptp(syn.delay) > 0:
            raise ValueError(f"{name}: plastic synapses need one transmission delay for the "
                             f"whole projection, got delays from {syn.delay.min()} to "
                             f"{syn.delay.max()} s; give a scalar delay")

    def init_state(self, n_pre: int, n_post: int, w: Any) -> Any:
        """Zero traces for ``B = w.shape[0]`` copies (arrays of ``w``'s kind)."""
        raise NotImplementedError

    def update(self, state: Any, w: Any, pre: Any, post: Any, dt: float, pre_idx: Any,
               post_idx: Any) -> tuple[Any, Any]:
        raise NotImplementedError


def _zeros(like: Any, shape: tuple[int, ...]) -> Any:
    if type(like).__module__.startswith("torch"):
        import torch

        return torch.zeros(shape, dtype=like.dtype, device=like.device)
    return np.zeros(shape, dtype=like.dtype)


class STDP(PlasticityRule):
    """Pair-based STDP (:func:`~neurosim.plasticity.stdp.pair_stdp_step`)."""

    params_type = PairSTDPParams
    state_type = PairSTDPState

    def init_state(self, n_pre: int, n_post: int, w: Any) -> PairSTDPState:
        B = w.shape[0]
        return PairSTDPState(_zeros(w, (B, n_pre)), _zeros(w, (B, n_post)))

    def update(self, state: Any, w: Any, pre: Any, post: Any, dt: float, pre_idx: Any,
               post_idx: Any) -> tuple[Any, Any]:
        return pair_stdp_step(state, w, pre, post, self.params, dt, pre_idx, post_idx)


class TripletSTDP(PlasticityRule):
    """Triplet STDP (:func:`~neurosim.plasticity.stdp.triplet_stdp_step`)."""

    params_type = TripletSTDPParams
    state_type = TripletSTDPState

    def init_state(self, n_pre: int, n_post: int, w: Any) -> TripletSTDPState:
        B = w.shape[0]
        return TripletSTDPState(_zeros(w, (B, n_pre)), _zeros(w, (B, n_pre)),
                                _zeros(w, (B, n_post)), _zeros(w, (B, n_post)))

    def update(self, state: Any, w: Any, pre: Any, post: Any, dt: float, pre_idx: Any,
               post_idx: Any) -> tuple[Any, Any]:
        return triplet_stdp_step(state, w, pre, post, self.params, dt, pre_idx, post_idx)


class RewardSTDP(PlasticityRule):
    """Reward-modulated STDP (:func:`~neurosim.plasticity.stdp.reward_stdp_step`).

    Set :attr:`reward` (a float, or a ``(B,)`` array: one signal per copy) between runs;
    it is applied in every step until changed.
    """

    params_type = RewardSTDPParams
    state_type = RewardSTDPState

    def __init__(self, params: Any = None, **kw: Any) -> None:
        super().__init__(params, **kw)
        self.reward: Any = 0.0

    def init_state(self, n_pre: int, n_post: int, w: Any) -> RewardSTDPState:
        B = w.shape[0]
        return RewardSTDPState(_zeros(w, (B, n_pre)), _zeros(w, (B, n_post)), w * 0.0)

    def update(self, state: Any, w: Any, pre: Any, post: Any, dt: float, pre_idx: Any,
               post_idx: Any) -> tuple[Any, Any]:
        r = self.reward
        if not np.isscalar(r):
            r = np.asarray(r, dtype=np.float64)
            if r.shape != (w.shape[0],):
                raise ValueError(f"RewardSTDP.reward must be a float or shape "
                                 f"({w.shape[0]},), got {r.shape}")
            if type(w).__module__.startswith("torch"):
                import torch

                r = torch.as_tensor(r, dtype=w.dtype, device=w.device)
        return reward_stdp_step(state, w, pre, post, r, self.params, dt, pre_idx, post_idx)
