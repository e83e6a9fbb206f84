"""Quadratic integrate-and-fire (QIF) neuron with current synapses, forward-Euler integration.

The normal form of a neuron at a saddle-node on invariant circle bifurcation (class-1
excitability; Ermentrout & Kopell 1986, the "theta neuron"), written in the voltage form of
Latham, Richmond, Nelson & Nirenberg (2000): below the critical potential ``v_crit`` the
membrane relaxes to ``v_rest``; above it the quadratic term runs away and the neuron fires
when ``v`` reaches ``v_peak``, then resets to ``v_reset``. Synaptic currents as in
:class:`~neurosim.neurons.lif.LIFParams` (``i_e``/``i_i`` in A, targets ``"e"``/``"i"``;
target ``"v"``: a jump of the potential).

References: G. B. Ermentrout & N. Kopell, "Parabolic bursting in an excitable system coupled
with a slow oscillation", SIAM J. Appl. Math. 46 (1986); P. E. Latham, B. J. Richmond,
P. G. Nelson & S. Nirenberg, "Intrinsic dynamics in neuronal networks. I. Theory",
J. Neurophysiol. 83 (2000).
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
    hold_steps,
    where,
)
from neurosim.units import Mohm, ms, mV

__all__ = ["QIFParams", "QIFState", "qif_step", "qif_period"]


class QIFState(NamedTuple):
    """State of a QIF population; every field has the same shape (any)."""

    v: Any      #: membrane potential (V)
    i_e: Any    #: excitatory synaptic current (A)
    i_i: Any    #: inhibitory synaptic current (A)
    ref: Any    #: refractory steps still to wait (float counter, 0 = free)


@dataclass(frozen=True)
class QIFParams:
    r"""Parameters of the quadratic integrate-and-fire neuron (SI floats).

    .. math::

        \tau_m \dot v = a (v - v_\text{rest})(v - v_\text{crit}) + R_m (I + i_e + i_i),
        \qquad \tau_{e,i} \dot i_{e,i} = -i_{e,i}

    spike when ``v >= v_peak``, then ``v = v_reset`` held for ``t_ref``.

    Parameters
    ----------
    tau_m : membrane time constant (s), > 0.
    a : curvature (1/V), > 0; ``a = 1 / (v_crit - v_rest)`` (the default, 1/(15 mV)) makes
        the slope at rest that of a leak, ``tau_m dv/dt ~ -(v - v_rest)``.
    v_rest, v_crit : stable and unstable fixed points without input (V);
        ``v_rest < v_crit``.
    v_peak, v_reset : spike cut-off and reset potentials (V); ``v_crit < v_peak`` and
        ``v_reset < v_peak``.
    t_ref : absolute refractory period (s), >= 0; the membrane is held at ``v_reset``.
    r_m : membrane resistance (ohm) converting input current to voltage.
    tau_e, tau_i : decay time constants of the excitatory / inhibitory synaptic currents (s).

    Notes
    -----
    A constant current ``I`` with ``R_m I > a (v_crit - v_rest)^2 / 4`` (rheobase) fires
    periodically with the period of :func:`qif_period` (plus ``t_ref``); below it the
    neuron settles at a fixed point (Latham et al. 2000).
    """

    tau_m: float = 10 * ms
    a: float = 1.0 / (15 * mV)
    v_rest: float = -65 * mV
    v_crit: float = -50 * mV
    v_peak: float = -30 * mV
    v_reset: float = -65 * mV
    t_ref: float = 0.0
    r_m: float = 100 * Mohm
    tau_e: float = 5 * ms
    tau_i: float = 10 * ms

    model_name: ClassVar[str] = "qif"
    state_vars: ClassVar[tuple[str, ...]] = ("v", "i_e", "i_i", "ref")
    #: synaptic target name -> (state variable, kind): as LIFParams
    targets: ClassVar[dict[str, tuple[str, str]]] = {
        "e": ("i_e", "current"), "i": ("i_i", "current"), "v": ("v", "voltage"),
    }

    def __post_init__(self) -> None:
        name = type(self).__name__
        for f in ("tau_m", "tau_e", "tau_i"):
            check_time_constant(name, f, getattr(self, f))
        check_time_constant(name, "t_ref", self.t_ref, allow_zero=True)
        check_positive(name, "a", self.a)
        if self.a < 1.0:
            raise ValueError(f"{name}.a={self.a} /V looks like per millivolt; write "
                             f"{self.a:g}/mV (values are SI floats: 1/volt)")
        for f in ("v_rest", "v_crit", "v_peak", "v_reset"):
            check_voltage(name, f, getattr(self, f))
        check_positive(name, "r_m", self.r_m)
        if not self.v_rest < self.v_crit:
            raise ValueError(f"{name}.v_rest must be < v_crit={self.v_crit}, got "
                             f"{self.v_rest}")
        if not self.v_crit < self.v_peak:
            raise ValueError(f"{name}.v_peak must be > v_crit={self.v_crit}, got "
                             f"{self.v_peak}")
        if not self.v_reset < self.v_peak:
            raise ValueError(f"{name}.v_reset must be < v_peak={self.v_peak}, got "
                             f"{self.v_reset}")

    @property
    def current_limit(self) -> float:
        """Input currents (A) at or above this look like pA/nA given as A: 1 uA, or
        ``1 V / r_m`` if that is larger (as :attr:`LIFParams.current_limit`)."""
        return max(CURRENT_LIMIT, 1.0 / self.r_m)

    def check_dt(self, dt: float) -> None:
        check_dt_against(type(self).__name__, dt, tau_m=self.tau_m, tau_e=self.tau_e,
                         tau_i=self.tau_i)
        if dt > 1 * ms:
            raise ValueError(f"dt={dt} s is too large for Euler integration of "
                             f"{type(self).__name__}; use dt <= 1 ms")

    def init_state(self, shape: tuple[int, ...], dtype: Any = np.float64) -> QIFState:
        """Resting state of the given shape (numpy)."""
        z = np.zeros(shape, dtype=dtype)
        return QIFState(np.full(shape, self.v_rest, dtype=dtype), z, z.copy(), z.copy())

    def step(self, state: QIFState, i_in: Any, dt: float) -> tuple[Any, QIFState]:
        return qif_step(state, i_in, self, dt)


def qif_step(state: QIFState, i_in: Any, params: QIFParams, dt: float
             ) -> tuple[Any, QIFState]:
    r"""Advance a QIF population by one forward-Euler step ``dt`` (pure function).

    .. math::

        \tau_m \dot v = a (v - v_\text{rest})(v - v_\text{crit})
        + R_m (I_\text{in} + i_e + i_i),\qquad \tau_{e,i} \dot i_{e,i} = -i_{e,i};
        \qquad v \ge v_\text{peak} \Rightarrow v \leftarrow v_\text{reset}

    (Ermentrout & Kopell 1986; Latham et al. 2000). Right-hand sides use the start-of-step
    values (as Brian2's ``euler``). While ``ref > 0`` the membrane is held (the synaptic
    currents still decay); after a spike it is held until ``t_spike + t_ref`` (Brian2's
    rule, as :func:`~neurosim.neurons.lif.lif_step`).

    Parameters
    ----------
    state : QIFState with arrays of any shape ``S``, numpy or torch.
    i_in : external current (A), scalar or broadcastable to ``S``.
    params : QIFParams.
    dt : step (s).

    Returns
    -------
    spikes : bool array of shape ``S``.
    new_state : QIFState; the input state is not modified.
    """
    params.check_dt(dt)
    p = params
    v = state.v
    dv = (p.a * (v - p.v_rest) * (v - p.v_crit) + p.r_m * (i_in + state.i_e + state.i_i)
          ) / p.tau_m
    free = state.ref <= 0
    v_new = where(free, v + dt * dv, v)
    ref = where(free, state.ref, state.ref - 1.0)
    spikes = (v_new >= p.v_peak) & (ref <= 0)
    v_new = where(spikes, p.v_reset, v_new)
    ref = where(spikes, hold_steps(p.t_ref, dt), ref)
    f_e, f_i = 1.0 - dt / p.tau_e, 1.0 - dt / p.tau_i
    return spikes, QIFState(v_new, state.i_e * f_e, state.i_i * f_i, ref)


def qif_period(params: QIFParams, i_in: float) -> float:
    r"""Firing period (s) for a constant current ``i_in`` (A), ``t_ref`` not included;
    ``inf`` at or below rheobase.

    With :math:`m = (v_\text{rest} + v_\text{crit})/2`, :math:`h = (v_\text{crit} -
    v_\text{rest})/2` and :math:`b^2 = R_m I / a - h^2 > 0`, the right-hand side is
    :math:`a((v - m)^2 + b^2)`, so

    .. math::

        T = \frac{\tau_m}{a b}\Big[\arctan\frac{v_\text{peak} - m}{b}
        - \arctan\frac{v_\text{reset} - m}{b}\Big]

    (Ermentrout & Kopell 1986; Latham et al. 2000).
    """
    p = params
    m, h = (p.v_rest + p.v_crit) / 2, (p.v_crit - p.v_rest) / 2
    b2 = p.r_m * i_in / p.a - h * h
    if b2 <= 0:
        return math.inf
    b = math.sqrt(b2)
    return p.tau_m / (p.a * b) * (math.atan((p.v_peak - m) / b)
                                  - math.atan((p.v_reset - m) / b))
