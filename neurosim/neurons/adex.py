"""Adaptive exponential integrate-and-fire (AdEx) neuron, forward-Euler integration.

Reference: R. Brette & W. Gerstner, "Adaptive exponential integrate-and-fire model as an
effective description of neuronal activity", J. Neurophysiol. 94 (2005). Defaults are that
paper's (regular-spiking pyramidal cell); ``v_peak = v_t + 5 delta_t`` as in Brian2's example.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import numpy as np

from neurosim.neurons.base import (
    CURRENT_LIMIT,
    check_current,
    check_dt_against,
    check_finite,
    check_positive,
    check_time_constant,
    check_voltage,
    exp,
    hold_steps,
    where,
)
from neurosim.units import ms, mV, nA, nS, pF

__all__ = ["AdExParams", "AdExState", "adex_step"]


class AdExState(NamedTuple):
    v: Any      #: membrane potential (V)
    w: Any      #: adaptation current (A)
    i_e: Any    #: excitatory synaptic current (A)
    i_i: Any    #: inhibitory synaptic current (A)
    ref: Any    #: refractory steps still to wait


@dataclass(frozen=True)
class AdExParams:
    """AdEx parameters (SI). Inputs and synaptic currents in A."""

    c_m: float = 281 * pF
    g_l: float = 30 * nS
    e_l: float = -70.6 * mV
    v_t: float = -50.4 * mV
    delta_t: float = 2 * mV
    tau_w: float = 144 * ms
    a: float = 4 * nS
    b: float = 0.0805 * nA
    v_reset: float = -70.6 * mV
    v_peak: float = -40.4 * mV
    t_ref: float = 0.0
    tau_e: float = 5 * ms
    tau_i: float = 10 * ms

    model_name: ClassVar[str] = "adex"
    state_vars: ClassVar[tuple[str, ...]] = ("v", "w", "i_e", "i_i", "ref")
    targets: ClassVar[dict[str, tuple[str, str]]] = {
        "e": ("i_e", "current"), "i": ("i_i", "current"), "v": ("v", "voltage"),
    }

    def __post_init__(self) -> None:
        name = type(self).__name__
        for f in ("c_m", "g_l"):
            check_positive(name, f, getattr(self, f))
        check_positive(name, "delta_t", self.delta_t)
        check_finite(name, "a", self.a)
        check_current(name, "b", self.b, self.current_limit)
        for f in ("e_l", "v_t", "v_reset", "v_peak", "delta_t"):
            check_voltage(name, f, getattr(self, f))
        for f in ("tau_w", "tau_e", "tau_i"):
            check_time_constant(name, f, getattr(self, f))
        check_time_constant(name, "t_ref", self.t_ref, allow_zero=True)
        if not self.v_reset < self.v_peak:
            raise ValueError(f"{name}.v_reset must be < v_peak={self.v_peak}, got "
                             f"{self.v_reset}")

    @property
    def current_limit(self) -> float:
        """Currents (A: inputs, ``b``) at or above this look like pA/nA given as A: 1 uA,
        or the current holding the membrane 1 V from rest (``g_l * 1 V``) if larger."""
        return max(CURRENT_LIMIT, self.g_l * 1.0)

    def check_dt(self, dt: float) -> None:
        check_dt_against(type(self).__name__, dt, tau_m=self.c_m / self.g_l,
                         tau_w=self.tau_w, tau_e=self.tau_e, tau_i=self.tau_i)

    def init_state(self, shape: tuple[int, ...], dtype: Any = np.float64) -> AdExState:
        z = np.zeros(shape, dtype=dtype)
        return AdExState(np.full(shape, self.e_l, dtype=dtype), z, z.copy(), z.copy(),
                         z.copy())

    def step(self, state: AdExState, i_in: Any, dt: float) -> tuple[Any, AdExState]:
        return adex_step(state, i_in, self, dt)


def adex_step(state: AdExState, i_in: Any, params: AdExParams, dt: float
              ) -> tuple[Any, AdExState]:
    r"""Advance an AdEx population by one forward-Euler step (pure).

    .. math::

        C \dot v = -g_L (v - E_L) + g_L \Delta_T e^{(v - V_T)/\Delta_T} - w + I + i_e + i_i,
        \quad \tau_w \dot w = a (v - E_L) - w;\qquad v \ge v_\text{peak} \Rightarrow
        v \leftarrow v_r,\ w \leftarrow w + b

    Right-hand sides use start-of-step values; ``v`` is clamped at ``v_reset`` while
    refractory (a voltage jump arriving then is discarded, as for LIF).
    Shapes: any ``S``; returns ``(spikes, new_state)``.
    """
    params.check_dt(dt)
    p = params
    free = state.ref <= 0
    # a refractory unit is clamped at v_reset: voltage jumps arriving then are discarded
    v, w = where(free, state.v, p.v_reset), state.w
    dv = (-p.g_l * (v - p.e_l) + p.g_l * p.delta_t * exp((v - p.v_t) / p.delta_t) - w
          + i_in + state.i_e + state.i_i) / p.c_m
    w_new = w + dt * ((p.a * (v - p.e_l) - w) / p.tau_w)
    v_new = where(free, v + dt * dv, v)
    ref = where(free, state.ref, state.ref - 1.0)
    spikes = (v_new >= p.v_peak) & (ref <= 0)
    v_new = where(spikes, p.v_reset, v_new)
    w_new = where(spikes, w_new + p.b, w_new)
    ref = where(spikes, hold_steps(p.t_ref, dt), ref)
    f_e, f_i = 1.0 - dt / p.tau_e, 1.0 - dt / p.tau_i
    return spikes, AdExState(v_new, w_new, state.i_e * f_e, state.i_i * f_i, ref)
