"""Izhikevich (2003) neuron in SI units, forward-Euler integration.

Units: ``v`` in V, ``u`` and the inputs in V/s (the classic model's "I = 10" is 10 mV/ms =
10 V/s, so classic numbers carry over unchanged). Classic ``a = 0.02``/ms = 20/s,
``b = 0.2``/ms = 200/s, ``c = -65`` mV, ``d = 8`` mV/ms = 8 V/s (regular spiking).

Reference: E. M. Izhikevich, "Simple model of spiking neurons", IEEE TNN 14 (2003).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import numpy as np

from neurosim.neurons.base import (
    check_dt_against,
    check_finite,
    check_positive,
    check_time_constant,
    check_voltage,
    where,
)
from neurosim.units import ms, mV

__all__ = ["IzhikevichParams", "IzhikevichState", "izhikevich_step"]

K2 = 0.04 / (ms * mV)   # 4e4 / (V s)
K1 = 5 / ms             # 5e3 / s
K0 = 140 * mV / ms      # 140 V/s


class IzhikevichState(NamedTuple):
    v: Any      #: membrane potential (V)
    u: Any      #: recovery variable (V/s)
    i_e: Any    #: excitatory synaptic input (V/s)
    i_i: Any    #: inhibitory synaptic input (V/s)


@dataclass(frozen=True)
class IzhikevichParams:
    """Izhikevich parameters (SI; see module docstring). Synaptic inputs ``i_e``/``i_i``
    (V/s) decay with ``tau_e``/``tau_i``; synapses may also target ``"v"`` directly."""

    a: float = 0.02 / ms
    b: float = 0.2 / ms
    c: float = -65 * mV
    d: float = 8 * mV / ms
    v_peak: float = 30 * mV
    tau_e: float = 5 * ms
    tau_i: float = 10 * ms
    v_init: float = -65 * mV

    model_name: ClassVar[str] = "izhikevich"
    #: inputs are in V/s (the classic "I = 10" is 10 V/s), not amperes: no current check
    current_limit: ClassVar[float | None] = None
    state_vars: ClassVar[tuple[str, ...]] = ("v", "u", "i_e", "i_i")
    targets: ClassVar[dict[str, tuple[str, str]]] = {
        "e": ("i_e", "current"), "i": ("i_i", "current"), "v": ("v", "voltage"),
    }

    def __post_init__(self) -> None:
        name = type(self).__name__
        check_positive(name, "a", self.a)
        for f in ("b", "d"):
            check_finite(name, f, getattr(self, f))
        for f in ("c", "v_peak", "v_init"):
            check_voltage(name, f, getattr(self, f))
        for f in ("tau_e", "tau_i"):
            check_time_constant(name, f, getattr(self, f))
        if not self.c < self.v_peak:
            raise ValueError(f"{name}.c must be < v_peak={self.v_peak}, got {self.c}")

    def check_dt(self, dt: float) -> None:
        check_dt_against(type(self).__name__, dt, tau_e=self.tau_e, tau_i=self.tau_i,
                         inv_a=1.0 / self.a)
        if dt > 1 * ms:
            raise ValueError(f"dt={dt} s is too large for Euler integration of "
                             f"{type(self).__name__}; use dt <= 1 ms")

    def init_state(self, shape: tuple[int, ...], dtype: Any = np.float64) -> IzhikevichState:
        z = np.zeros(shape, dtype=dtype)
        v = np.full(shape, self.v_init, dtype=dtype)
        return IzhikevichState(v, self.b * v, z, z.copy())

    def step(self, state: IzhikevichState, i_in: Any, dt: float
             ) -> tuple[Any, IzhikevichState]:
        return izhikevich_step(state, i_in, self, dt)


def izhikevich_step(state: IzhikevichState, i_in: Any, params: IzhikevichParams, dt: float
                    ) -> tuple[Any, IzhikevichState]:
    r"""Advance an Izhikevich population by one forward-Euler step (pure).

    .. math::

        \dot v = k_2 v^2 + k_1 v + k_0 - u + I + i_e + i_i,\quad \dot u = a (b v - u),\quad
        \tau_{e,i} \dot i_{e,i} = -i_{e,i};\qquad v \ge v_\text{peak} \Rightarrow
        v \leftarrow c,\ u \leftarrow u + d

    with :math:`k_2 = 0.04/(\text{ms mV})`, :math:`k_1 = 5/\text{ms}`,
    :math:`k_0 = 140\,\text{mV/ms}` (Izhikevich 2003). All right-hand sides use the
    start-of-step values (as Brian2's ``euler``). Shapes: any ``S``.
    """
    params.check_dt(dt)
    v, u = state.v, state.u
    v_new = v + dt * (K2 * v * v + K1 * v + K0 - u + i_in + state.i_e + state.i_i)
    u_new = u + dt * (params.a * (params.b * v - u))
    spikes = v_new >= params.v_peak
    v_new = where(spikes, params.c, v_new)
    u_new = where(spikes, u_new + params.d, u_new)
    f_e, f_i = 1.0 - dt / params.tau_e, 1.0 - dt / params.tau_i
    return spikes, IzhikevichState(v_new, u_new, state.i_e * f_e, state.i_i * f_i)
