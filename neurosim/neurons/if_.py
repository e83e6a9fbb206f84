"""Non-leaky integrate-and-fire neuron with exponentially decaying synaptic currents.

The perfect integrator of Lapicque (1907): the membrane is a capacitor ``C`` charged by the
input current, with no leak, a threshold and a reset (Gerstner, Kistler, Naud & Paninski,
*Neuronal Dynamics* (2014), ch. 1.3). Same conventions as
:class:`~neurosim.neurons.lif.LIFParams` (state variables, synaptic targets, refractoriness);
the step is the LIF propagator with ``a_m = 1`` so every backend runs it unchanged.
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
    hold_steps,
)
from neurosim.neurons.lif import LIFParams, LIFState, check_threshold_params, fire_and_reset
from neurosim.units import ms, mV, pF

__all__ = ["IFParams", "IFCoefficients", "if_coefficients", "if_step"]


@dataclass(frozen=True)
class IFParams:
    r"""Parameters of the non-leaky integrate-and-fire neuron (SI floats).

    .. math::

        C \dot v = I_\text{in} + i_e + i_i,\qquad
        \tau_e \dot i_e = -i_e,\quad \tau_i \dot i_i = -i_i

    spike when ``v >= v_thresh``, then ``v = v_reset`` held for ``t_ref``.

    Parameters
    ----------
    c_m : membrane capacitance (F), > 0.
    v_rest : initial potential (V); there is no leak, so nothing relaxes towards it.
    v_reset, v_thresh : reset and threshold potentials (V); ``v_reset < v_thresh``.
    t_ref : absolute refractory period (s), >= 0; the membrane is clamped at ``v_reset``.
    tau_e, tau_i : decay time constants of the excitatory / inhibitory synaptic currents (s).

    Notes
    -----
    A constant current ``I`` fires with period ``C (v_thresh - v_reset) / I`` (plus
    ``t_ref``; Lapicque 1907; Gerstner et al. 2014, ch. 1). Synaptic weights are amperes
    (targets ``"e"``/``"i"``) or volts (target ``"v"``: a jump of the potential).
    """

    c_m: float = 200 * pF
    v_rest: float = -70 * mV
    v_reset: float = -70 * mV
    v_thresh: float = -50 * mV
    t_ref: float = 2 * ms
    tau_e: float = 5 * ms
    tau_i: float = 10 * ms

    model_name: ClassVar[str] = "if"
    state_vars: ClassVar[tuple[str, ...]] = LIFParams.state_vars
    #: synaptic target name -> (state variable, kind): as LIFParams
    targets: ClassVar[dict[str, tuple[str, str]]] = LIFParams.targets

    def __post_init__(self) -> None:
        check_positive(type(self).__name__, "c_m", self.c_m)
        check_threshold_params(self, ("tau_e", "tau_i"))

    def check_dt(self, dt: float) -> None:
        check_dt_against(type(self).__name__, dt, tau_e=self.tau_e, tau_i=self.tau_i)

    @property
    def current_limit(self) -> float:
        """Input currents (A) at or above this look like pA/nA given as A: 1 uA, or the
        current moving the membrane 1 V in 1 ms (``c_m * 1 V / 1 ms``) if larger."""
        return max(CURRENT_LIMIT, self.c_m * 1.0 / ms)

    def init_state(self, shape: tuple[int, ...], dtype: Any = np.float64) -> LIFState:
        """State of the given shape (numpy) at ``v = v_rest``, no current, not refractory."""
        z = np.zeros(shape, dtype=dtype)
        return LIFState(np.full(shape, self.v_rest, dtype=dtype), z, z.copy(), z.copy())

    def step(self, state: LIFState, i_in: Any, dt: float) -> tuple[Any, LIFState]:
        return if_step(state, i_in, self, dt)


class IFCoefficients(NamedTuple):
    b_in: float   #: V per A of external current over one step (``dt / C``)
    a_e: float
    a_i: float
    k_e: float    #: V per A of excitatory synaptic current over one step
    k_i: float
    n_ref: float  #: refractory counter value set at a spike (see ``hold_steps``)


def if_coefficients(params: IFParams, dt: float) -> IFCoefficients:
    """Exact-integration propagator entries for one step ``dt`` (python floats)."""
    params.check_dt(dt)
    a_e, a_i = math.exp(-dt / params.tau_e), math.exp(-dt / params.tau_i)
    c = params.c_m
    return IFCoefficients(b_in=dt / c, a_e=a_e, a_i=a_i,
                          k_e=params.tau_e * (1.0 - a_e) / c,
                          k_i=params.tau_i * (1.0 - a_i) / c,
                          n_ref=hold_steps(params.t_ref, dt))


def if_step(state: LIFState, i_in: Any, params: IFParams, dt: float) -> tuple[Any, LIFState]:
    r"""Advance a non-leaky integrate-and-fire population by one step ``dt`` (pure function).

    Exact integration with ``i_in`` constant over the step and ``a_x = exp(-dt / tau_x)``:

    .. math::

        v \leftarrow v + \frac{dt}{C} I_\text{in} + \frac{\tau_e (1 - a_e)}{C} i_e
        + \frac{\tau_i (1 - a_i)}{C} i_i,\qquad i_{e,i} \leftarrow a_{e,i}\, i_{e,i}

    Refractoriness, threshold and reset as in :func:`~neurosim.neurons.lif.lif_step`.

    Parameters
    ----------
    state : LIFState with arrays of any shape ``S``, numpy or torch.
    i_in : external current (A), scalar or broadcastable to ``S``.
    params : IFParams.
    dt : step (s).

    Returns
    -------
    spikes : bool array of shape ``S``.
    new_state : LIFState; the input state is not modified.
    """
    c = if_coefficients(params, dt)
    v_int = state.v + c.b_in * i_in + c.k_e * state.i_e + c.k_i * state.i_i
    return fire_and_reset(state, v_int, params.v_thresh, params.v_reset, c.n_ref, c.a_e,
                          c.a_i)
