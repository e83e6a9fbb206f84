"""Adaptive LIF: current-based LIF with a spike-triggered, decaying threshold increment.

Reference: Gerstner et al., *Neuronal Dynamics* (2014), sec. 6.1; Bellec et al. (2018)
(LSNN adaptive threshold).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import numpy as np

from neurosim.neurons.base import check_finite, check_time_constant, where
from neurosim.neurons.lif import LIFParams, lif_coefficients
from neurosim.units import ms, mV

__all__ = ["ALIFParams", "ALIFState", "alif_step"]


class ALIFState(NamedTuple):
    """State of an adaptive LIF population (same shape for every field)."""

    v: Any      #: membrane potential (V)
    i_e: Any    #: excitatory synaptic current (A)
    i_i: Any    #: inhibitory synaptic current (A)
    a: Any      #: threshold increment (V)
    ref: Any    #: refractory steps still to wait


@dataclass(frozen=True)
class ALIFParams(LIFParams):
    """LIFParams plus threshold adaptation: ``tau_a`` (s) and ``delta_a`` (V, >= 0) added to
    the threshold at every spike."""

    tau_a: float = 200 * ms
    delta_a: float = 2 * mV

    model_name: ClassVar[str] = "alif"
    state_vars: ClassVar[tuple[str, ...]] = ("v", "i_e", "i_i", "a", "ref")

    def __post_init__(self) -> None:
        super().__post_init__()
        name = type(self).__name__
        check_finite(name, "tau_a", self.tau_a)
        if self.tau_a <= 0:
            raise ValueError(f"{name}.tau_a must be > 0, got {self.tau_a}")
        if self.tau_a >= 100.0:
            check_time_constant(name, "tau_a", self.tau_a)
        check_finite(name, "delta_a", self.delta_a)
        if not 0 <= self.delta_a < 1.0:
            raise ValueError(f"{name}.delta_a must be in [0, 1) V, got {self.delta_a}")

    def init_state(self, shape: tuple[int, ...], dtype: Any = np.float64) -> ALIFState:
        z = np.zeros(shape, dtype=dtype)
        return ALIFState(np.full(shape, self.v_rest, dtype=dtype), z, z.copy(), z.copy(),
                         z.copy())

    def step(self, state: ALIFState, i_in: Any, dt: float) -> tuple[Any, ALIFState]:
        return alif_step(state, i_in, self, dt)


def alif_step(state: ALIFState, i_in: Any, params: ALIFParams, dt: float
              ) -> tuple[Any, ALIFState]:
    r"""Advance an adaptive LIF population by one step (exact integration; pure).

    .. math::

        \tau_m \dot v = -(v - v_\text{rest}) + R_m (I + i_e + i_i),\quad
        \tau_a \dot a = -a,\quad v \ge v_\theta + a \Rightarrow v \leftarrow v_\text{reset},
        \ a \leftarrow a + \Delta_a

    The membrane part is :func:`~neurosim.neurons.lif.lif_step`'s; ``a`` decays exactly and
    the threshold uses its decayed value. Shapes: any ``S``; returns ``(spikes, new_state)``.
    """
    c = lif_coefficients(params, dt)
    free = state.ref <= 0
    v_int = (params.v_rest + (state.v - params.v_rest) * c.a_m
             + (params.r_m * (1.0 - c.a_m)) * i_in + c.k_e * state.i_e + c.k_i * state.i_i)
    v = where(free, v_int, state.v)
    ref = where(free, state.ref, state.ref - 1.0)
    a = state.a * math.exp(-dt / params.tau_a)
    spikes = (v >= params.v_thresh + a) & (ref <= 0)
    v = where(spikes, params.v_reset, v)
    ref = where(spikes, c.n_ref, ref)
    a = where(spikes, a + params.delta_a, a)
    return spikes, ALIFState(v, state.i_e * c.a_e, state.i_i * c.a_i, a, ref)
