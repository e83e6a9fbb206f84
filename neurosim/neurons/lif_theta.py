r"""Conductance-based LIF neuron with an adaptive threshold ``theta`` (Diehl & Cook 2015).

The excitatory neuron of Diehl & Cook's unsupervised digit-recognition network: the
membrane of :class:`~neurosim.neurons.lif.LIFCondParams` (exponential Euler towards
``v_inf`` with the conductances at the start of the step), a spike when ``v`` exceeds
``v_thresh + theta``, and a homeostatic threshold that grows by ``theta_plus`` at every
spike and decays with ``tau_theta``. ``theta_plus = 0`` with ``tau_theta = inf``
(:meth:`LIFCondThetaParams.frozen`) keeps ``theta`` fixed, for inference.

Reference: P. U. Diehl & M. Cook, "Unsupervised learning of digit recognition using
spike-timing-dependent plasticity", *Front. Comput. Neurosci.* 9:99 (2015).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import numpy as np

from neurosim.neurons.base import exp, hold_steps, where
from neurosim.neurons.lif import LIFCondParams
from neurosim.units import mV
from neurosim.validation import check_real

__all__ = ["LIFCondThetaParams", "LIFCondThetaState", "lif_cond_theta_step"]


class LIFCondThetaState(NamedTuple):
    """State of an adaptive-threshold conductance LIF population (same shape everywhere)."""

    v: Any      #: membrane potential (V)
    g_e: Any    #: excitatory conductance (S)
    g_i: Any    #: inhibitory conductance (S)
    ref: Any    #: refractory steps still to wait
    theta: Any  #: threshold adaptation (V), added to ``v_thresh``


@dataclass(frozen=True)
class LIFCondThetaParams(LIFCondParams):
    """Conductance LIF with an adaptive threshold (SI floats).

    The fields of :class:`~neurosim.neurons.lif.LIFCondParams`, plus

    Parameters
    ----------
    theta_plus : threshold increment per spike (V), >= 0.
    tau_theta : decay time constant of ``theta`` (s), > 0; ``inf`` for no decay (long
        values such as Diehl & Cook's 1e4 s are allowed: no millisecond check).

    Conductances relative to the leak (Diehl & Cook's convention) are ``r_m = 1``.
    """

    theta_plus: float = 0.05 * mV
    tau_theta: float = 1e4

    model_name: ClassVar[str] = "lif_cond_theta"
    state_vars: ClassVar[tuple[str, ...]] = ("v", "g_e", "g_i", "ref", "theta")
    targets: ClassVar[dict[str, tuple[str, str]]] = {
        "e": ("g_e", "conductance"), "i": ("g_i", "conductance"), "v": ("v", "voltage"),
    }

    def __post_init__(self) -> None:
        super().__post_init__()
        name = type(self).__name__
        check_real(f"{name}.theta_plus", self.theta_plus, low=0)
        if self.theta_plus >= 1.0:
            raise ValueError(f"{name}.theta_plus={self.theta_plus} V looks like millivolts; "
                             f"write {self.theta_plus:g}*mV (values are SI floats: volts)")
        check_real(f"{name}.tau_theta", self.tau_theta, low=0, low_open=True, finite=False)

    def frozen(self) -> LIFCondThetaParams:
        """A copy whose ``theta`` neither grows nor decays (``theta_plus = 0``,
        ``tau_theta = inf``): inference with learned thresholds."""
        return dataclasses.replace(self, theta_plus=0.0, tau_theta=math.inf)

    def init_state(self, shape: tuple[int, ...], dtype: Any = np.float64
                   ) -> LIFCondThetaState:
        z = np.zeros(shape, dtype=dtype)
        return LIFCondThetaState(np.full(shape, self.v_rest, dtype=dtype), z, z.copy(),
                                 z.copy(), z.copy())

    def step(self, state: LIFCondThetaState, i_in: Any, dt: float
             ) -> tuple[Any, LIFCondThetaState]:
        return lif_cond_theta_step(state, i_in, self, dt)


def lif_cond_theta_step(state: LIFCondThetaState, i_in: Any, params: LIFCondThetaParams,
                        dt: float) -> tuple[Any, LIFCondThetaState]:
    r"""Advance an adaptive-threshold conductance LIF population by one step (pure).

    .. math::

        \tau_m \dot v = -(v - v_\text{rest}) + R_m\,[g_e (E_e - v) + g_i (E_i - v)
        + I_\text{in}],\qquad \tau_{e,i}\,\dot g_{e,i} = -g_{e,i},\qquad
        \tau_\theta \dot\theta = -\theta

    spike when ``v > v_thresh + theta`` (strictly, as Diehl & Cook), then ``v = v_reset``,
    held for ``t_ref`` (as :func:`~neurosim.neurons.lif.lif_cond_step`) and
    ``theta += theta_plus``. The membrane is integrated as in
    :func:`~neurosim.neurons.lif.lif_cond_step` (exponential Euler: exact relaxation towards
    ``v_inf = (v_rest + R(g_e E_e + g_i E_i + I)) / (1 + R(g_e + g_i))`` with the
    start-of-step conductances), with the sums taken term by term
    (``1 + R g_e + R g_i``, ``v_rest + R g_e E_e + R g_i E_i + R I``), the order of Diehl &
    Cook's code: with ``R = 1`` and no current the result is bit-identical to it. The
    threshold test uses ``theta`` at the start of the step; ``theta`` then decays by
    ``exp(-dt / tau_theta)`` and jumps. Shapes: any ``S``; returns ``(spikes, new_state)``.
    """
    params.check_dt(dt)
    p = params
    r = p.r_m
    g_tot = 1.0 + r * state.g_e + r * state.g_i
    v_inf = (p.v_rest + r * state.g_e * p.e_e + r * state.g_i * p.e_i + r * i_in) / g_tot
    v_int = v_inf + (state.v - v_inf) * exp(-(dt / p.tau_m) * g_tot)
    free = state.ref <= 0
    v = where(free, v_int, state.v)
    ref = where(free, state.ref, state.ref - 1.0)
    spikes = (v > p.v_thresh + state.theta) & (ref <= 0)
    v = where(spikes, p.v_reset, v)
    ref = where(spikes, hold_steps(p.t_ref, dt), ref)
    th = state.theta * math.exp(-dt / p.tau_theta)
    theta = where(spikes, th + p.theta_plus, th)
    g_e = state.g_e * math.exp(-dt / p.tau_e)
    g_i = state.g_i * math.exp(-dt / p.tau_i)
    return spikes, LIFCondThetaState(v, g_e, g_i, ref, theta)
