"""Leaky integrate-and-fire neurons with current-based or conductance-based synapses.

Input convention (all SI floats): the external input ``i_in`` is a current in amperes; the
membrane resistance ``r_m`` turns it into volts. Current synapses add their weight (amperes;
negative for inhibition) to the exponentially decaying currents ``i_e`` / ``i_i``.
Conductance synapses add their weight (siemens, >= 0) to ``g_e`` / ``g_i``.

References: Gerstner, Kistler, Naud & Paninski, *Neuronal Dynamics* (2014), ch. 1 and 6;
Rotter & Diesmann (1999), exact integration of linear systems; Vogels & Abbott (2005).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import numpy as np

from neurosim.neurons.base import (
    CURRENT_LIMIT,
    check_dt_against,
    check_positive,
    check_time_constant,
    check_voltage,
    exp,
    hold_steps,
    where,
)
from neurosim.units import Mohm, ms, mV

__all__ = [
    "LIFParams", "LIFState", "lif_step", "lif_coefficients",
    "LIFCondParams", "LIFCondState", "lif_cond_step",
    "LIFCondAlphaParams", "LIFCondAlphaState", "lif_cond_alpha_step",
]


class LIFState(NamedTuple):
    """State of a current-based LIF population; every field has the same shape (any)."""

    v: Any      #: membrane potential (V)
    i_e: Any    #: excitatory synaptic current (A)
    i_i: Any    #: inhibitory synaptic current (A)
    ref: Any    #: refractory steps still to wait (float counter, 0 = free)


@dataclass(frozen=True)
class LIFParams:
    """Parameters of the current-based LIF neuron (SI floats).

    Parameters
    ----------
    tau_m : membrane time constant (s), > 0.
    v_rest, v_reset, v_thresh : resting, reset and threshold potentials (V);
        ``v_reset < v_thresh``.
    t_ref : absolute refractory period (s), >= 0; the membrane is clamped at ``v_reset``.
    r_m : membrane resistance (ohm) converting input current to voltage.
    tau_e, tau_i : decay time constants of the excitatory / inhibitory synaptic currents (s).
    """

    tau_m: float = 20 * ms
    v_rest: float = -70 * mV
    v_reset: float = -70 * mV
    v_thresh: float = -50 * mV
    t_ref: float = 2 * ms
    r_m: float = 100 * Mohm
    tau_e: float = 5 * ms
    tau_i: float = 10 * ms

    model_name: ClassVar[str] = "lif"
    state_vars: ClassVar[tuple[str, ...]] = ("v", "i_e", "i_i", "ref")
    #: synaptic target name -> (state variable, kind)
    targets: ClassVar[dict[str, tuple[str, str]]] = {
        "e": ("i_e", "current"), "i": ("i_i", "current"), "v": ("v", "voltage"),
    }

    def __post_init__(self) -> None:
        check_threshold_params(self, ("tau_m", "tau_e", "tau_i"))
        check_positive(type(self).__name__, "r_m", self.r_m)

    def check_dt(self, dt: float) -> None:
        check_dt_against(type(self).__name__, dt, tau_m=self.tau_m, tau_e=self.tau_e,
                         tau_i=self.tau_i)

    @property
    def current_limit(self) -> float:
        """Input currents (A) at or above this look like pA/nA given as A: 1 uA, or the
        current holding the membrane 1 V from rest (``1 V / r_m``) if that is larger."""
        return max(CURRENT_LIMIT, 1.0 / self.r_m)

    def init_state(self, shape: tuple[int, ...], dtype: Any = np.float64) -> LIFState:
        """Resting state of the given shape (numpy)."""
        z = np.zeros(shape, dtype=dtype)
        return LIFState(np.full(shape, self.v_rest, dtype=dtype), z, z.copy(), z.copy())

    def step(self, state: LIFState, i_in: Any, dt: float) -> tuple[Any, LIFState]:
        return lif_step(state, i_in, self, dt)


def check_threshold_params(params: Any, time_constants: tuple[str, ...]) -> None:
    """Validate what integrate-and-fire parameter sets share: the named time constants
    (> 0), ``t_ref`` (>= 0), ``v_rest`` / ``v_reset`` / ``v_thresh`` (volts) and
    ``v_reset < v_thresh``; errors name the class, the field and the value."""
    name = type(params).__name__
    for f in time_constants:
        check_time_constant(name, f, getattr(params, f))
    check_time_constant(name, "t_ref", params.t_ref, allow_zero=True)
    for f in ("v_rest", "v_reset", "v_thresh"):
        check_voltage(name, f, getattr(params, f))
    if not params.v_reset < params.v_thresh:
        raise ValueError(
            f"{name}.v_reset must be < v_thresh={params.v_thresh}, got {params.v_reset}"
        )


class LIFCoefficients(NamedTuple):
    a_m: float
    a_e: float
    a_i: float
    k_e: float
    k_i: float
    n_ref: float  #: refractory counter value set at a spike (see ``hold_steps``)


def _kernel(r_m: float, tau_s: float, tau_m: float, dt: float) -> float:
    """Voltage after ``dt`` caused by a unit synaptic current decaying with ``tau_s``."""
    a_m, a_s = math.exp(-dt / tau_m), math.exp(-dt / tau_s)
    if abs(tau_s - tau_m) < 1e-9 * tau_m:
        return r_m * dt / tau_m * a_m
    return r_m * tau_s / (tau_s - tau_m) * (a_s - a_m)


def lif_coefficients(params: LIFParams, dt: float) -> LIFCoefficients:
    """Exact-integration propagator entries for one step ``dt`` (python floats)."""
    params.check_dt(dt)
    return LIFCoefficients(
        a_m=math.exp(-dt / params.tau_m), a_e=math.exp(-dt / params.tau_e),
        a_i=math.exp(-dt / params.tau_i),
        k_e=_kernel(params.r_m, params.tau_e, params.tau_m, dt),
        k_i=_kernel(params.r_m, params.tau_i, params.tau_m, dt),
        n_ref=hold_steps(params.t_ref, dt),
    )


def lif_step(state: LIFState, i_in: Any, params: LIFParams, dt: float
             ) -> tuple[Any, LIFState]:
    r"""Advance a current-based LIF population by one step ``dt`` (pure function).

    .. math::

        \tau_m \dot v = -(v - v_\text{rest}) + R_m (I_\text{in} + i_e + i_i),\qquad
        \tau_e \dot i_e = -i_e,\quad \tau_i \dot i_i = -i_i

    integrated exactly over the step (``i_in`` constant during the step; Rotter & Diesmann
    1999). While ``ref > 0`` the membrane is clamped at ``v_reset`` (the synaptic currents
    still decay; voltage jumps arriving then are discarded). Then
    ``v >= v_thresh`` emits a spike and sets ``v = v_reset``; the membrane is held until
    ``t_spike + t_ref`` (``ref = round(t_ref / dt) - 1`` further steps; Brian2's rule).

    Parameters
    ----------
    state : LIFState with arrays of any shape ``S`` (e.g. ``(N,)`` or ``(B, N)``), numpy or
        torch.
    i_in : external current (A), scalar or broadcastable to ``S``.
    params : LIFParams.
    dt : step (s).

    Returns
    -------
    spikes : bool array of shape ``S``.
    new_state : LIFState; the input state is not modified.
    """
    c = lif_coefficients(params, dt)
    v_int = (params.v_rest + (state.v - params.v_rest) * c.a_m
             + (params.r_m * (1.0 - c.a_m)) * i_in + c.k_e * state.i_e + c.k_i * state.i_i)
    return fire_and_reset(state, v_int, params.v_thresh, params.v_reset, c.n_ref, c.a_e,
                          c.a_i)


def fire_and_reset(state: LIFState, v_int: Any, v_thresh: float, v_reset: float,
                   n_ref: float, a_e: float, a_i: float) -> tuple[Any, LIFState]:
    """The common end of a current-based step: clamp refractory units at ``v_reset`` (a
    voltage jump delivered to a refractory unit, target ``"v"``, is discarded, as in
    Brian2's ``(unless refractory)`` and NEST's ``iaf_psc_delta``), spike at
    ``v >= v_thresh``, reset and start the refractory count, decay the synaptic currents by
    ``a_e`` / ``a_i``. ``v_int``: the freely integrated potential (shape ``S``)."""
    free = state.ref <= 0
    v = where(free, v_int, v_reset)
    ref = where(free, state.ref, state.ref - 1.0)
    spikes = (v >= v_thresh) & (ref <= 0)
    v = where(spikes, v_reset, v)
    ref = where(spikes, n_ref, ref)
    return spikes, LIFState(v, state.i_e * a_e, state.i_i * a_i, ref)


class LIFCondState(NamedTuple):
    """State of a conductance-based LIF population (same shape for every field)."""

    v: Any      #: membrane potential (V)
    g_e: Any    #: excitatory conductance (S)
    g_i: Any    #: inhibitory conductance (S)
    ref: Any    #: refractory steps still to wait


@dataclass(frozen=True)
class LIFCondParams:
    """Parameters of the conductance-based LIF neuron (SI floats).

    ``r_m = 1 / g_leak``; synaptic weights are conductances (S, >= 0) added to ``g_e`` /
    ``g_i``, which decay with ``tau_e`` / ``tau_i`` and drive the membrane towards the
    reversal potentials ``e_e`` / ``e_i``. Defaults follow Vogels & Abbott (2005) COBA.
    """

    tau_m: float = 20 * ms
    v_rest: float = -60 * mV
    v_reset: float = -60 * mV
    v_thresh: float = -50 * mV
    t_ref: float = 5 * ms
    r_m: float = 100 * Mohm
    tau_e: float = 5 * ms
    tau_i: float = 10 * ms
    e_e: float = 0 * mV
    e_i: float = -80 * mV

    model_name: ClassVar[str] = "lif_cond"
    state_vars: ClassVar[tuple[str, ...]] = ("v", "g_e", "g_i", "ref")
    targets: ClassVar[dict[str, tuple[str, str]]] = {
        "e": ("g_e", "conductance"), "i": ("g_i", "conductance"), "v": ("v", "voltage"),
    }

    def __post_init__(self) -> None:
        LIFParams.__post_init__(self)  # same checks for the shared fields
        for f in ("e_e", "e_i"):
            check_voltage(type(self).__name__, f, getattr(self, f))

    check_dt = LIFParams.check_dt
    current_limit = LIFParams.current_limit

    def init_state(self, shape: tuple[int, ...], dtype: Any = np.float64) -> LIFCondState:
        z = np.zeros(shape, dtype=dtype)
        return LIFCondState(np.full(shape, self.v_rest, dtype=dtype), z, z.copy(), z.copy())

    def step(self, state: LIFCondState, i_in: Any, dt: float) -> tuple[Any, LIFCondState]:
        return lif_cond_step(state, i_in, self, dt)


def lif_cond_step(state: LIFCondState, i_in: Any, params: LIFCondParams, dt: float
                  ) -> tuple[Any, LIFCondState]:
    r"""Advance a conductance-based LIF population by one step (exponential Euler).

    .. math::

        \tau_m \dot v = -(v - v_\text{rest}) + R_m\,[g_e (E_e - v) + g_i (E_i - v)
        + I_\text{in}],\qquad \tau_{e,i}\,\dot g_{e,i} = -g_{e,i}

    The membrane equation is linear in ``v`` for fixed conductances, so with the
    conductances at their start-of-step values ``v`` relaxes exactly towards
    ``v_inf = (v_rest + R(g_e E_e + g_i E_i + I)) / (1 + R(g_e + g_i))`` with time constant
    ``tau_m / (1 + R(g_e + g_i))`` (the exponential-Euler method, as Brian2's
    ``exponential_euler``); conductances decay exactly. Refractoriness, threshold and reset
    as in :func:`lif_step`. Shapes: any ``S``; returns ``(spikes, new_state)``.
    """
    params.check_dt(dt)
    n_ref = hold_steps(params.t_ref, dt)
    r = params.r_m
    g_tot = 1.0 + r * (state.g_e + state.g_i)
    v_inf = (params.v_rest + r * (state.g_e * params.e_e + state.g_i * params.e_i + i_in)) / g_tot
    v_int = v_inf + (state.v - v_inf) * exp(-(dt / params.tau_m) * g_tot)
    free = state.ref <= 0
    v = where(free, v_int, state.v)
    ref = where(free, state.ref, state.ref - 1.0)
    spikes = (v >= params.v_thresh) & (ref <= 0)
    v = where(spikes, params.v_reset, v)
    ref = where(spikes, n_ref, ref)
    g_e = state.g_e * math.exp(-dt / params.tau_e)
    g_i = state.g_i * math.exp(-dt / params.tau_i)
    return spikes, LIFCondState(v, g_e, g_i, ref)


class LIFCondAlphaState(NamedTuple):
    """State of a conductance LIF population with alpha-shaped synaptic conductances."""

    v: Any      #: membrane potential (V)
    g_e: Any    #: excitatory conductance (S)
    g_i: Any    #: inhibitory conductance (S)
    x_e: Any    #: excitatory auxiliary variable (S); synapses add their weight here
    x_i: Any    #: inhibitory auxiliary variable (S)
    ref: Any    #: refractory steps still to wait


@dataclass(frozen=True)
class LIFCondAlphaParams(LIFCondParams):
    """Conductance LIF whose synaptic conductances are alpha functions: a weight ``w`` gives
    ``g(t) = w (t / tau) exp(1 - t / tau)`` (peak ``w`` at ``t = tau``)."""

    model_name: ClassVar[str] = "lif_cond_alpha"
    state_vars: ClassVar[tuple[str, ...]] = ("v", "g_e", "g_i", "x_e", "x_i", "ref")
    targets: ClassVar[dict[str, tuple[str, str]]] = {
        "e": ("x_e", "conductance"), "i": ("x_i", "conductance"), "v": ("v", "voltage"),
    }

    def init_state(self, shape: tuple[int, ...], dtype: Any = np.float64
                   ) -> LIFCondAlphaState:
        z = np.zeros(shape, dtype=dtype)
        return LIFCondAlphaState(np.full(shape, self.v_rest, dtype=dtype), z, z.copy(),
                                 z.copy(), z.copy(), z.copy())

    def step(self, state: LIFCondAlphaState, i_in: Any, dt: float
             ) -> tuple[Any, LIFCondAlphaState]:
        return lif_cond_alpha_step(state, i_in, self, dt)


def lif_cond_alpha_step(state: LIFCondAlphaState, i_in: Any, params: LIFCondAlphaParams,
                        dt: float) -> tuple[Any, LIFCondAlphaState]:
    r"""Advance a conductance LIF population with alpha synapses by one step (pure).

    .. math::

        \tau_s \dot x = -x,\qquad \tau_s \dot g = e\,x - g

    integrated exactly (``g(t) = (g_0 + e x_0 t / tau) e^{-t/tau}``); the membrane is
    advanced as in :func:`lif_cond_step` with the start-of-step conductances.
    Shapes: any ``S``; returns ``(spikes, new_state)``.
    """
    spikes, mid = lif_cond_step(LIFCondState(state.v, state.g_e, state.g_i, state.ref), i_in,
                                params, dt)
    a_e, a_i = math.exp(-dt / params.tau_e), math.exp(-dt / params.tau_i)
    k_e, k_i = math.e * dt / params.tau_e * a_e, math.e * dt / params.tau_i * a_i
    g_e = mid.g_e + k_e * state.x_e
    g_i = mid.g_i + k_i * state.x_i
    return spikes, LIFCondAlphaState(mid.v, g_e, g_i, state.x_e * a_e, state.x_i * a_i,
                                     mid.ref)
