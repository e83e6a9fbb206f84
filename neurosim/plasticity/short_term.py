r"""Short-term synaptic plasticity: the Tsodyks–Markram model (depression and facilitation).

Each presynaptic neuron ``j`` of a projection carries two variables: the fraction of
available resources ``x_j`` (1 at rest) and the utilisation ``u_j`` (0 at rest). Between
spikes

.. math:: \frac{dx_j}{dt} = \frac{1 - x_j}{\tau_\text{rec}}, \qquad
          \frac{du_j}{dt} = -\frac{u_j}{\tau_\text{fac}}

and at a spike of ``j`` (in this order)

.. math:: u_j \leftarrow u_j + U (1 - u_j), \qquad r_j = u_j x_j, \qquad
          x_j \leftarrow x_j - r_j

where ``r_j`` is the released fraction: every synapse ``j -> i`` of the projection adds
``w_ij r_j`` (instead of ``w_ij``) to its target variable. ``tau_fac = 0`` means no
facilitation (``u`` is back to 0 before every spike, so ``r_j = U x_j``): pure depression.
The first spike after a long silence releases ``U`` (a PSC of ``U w``); a regular train at
rate ``1/T`` settles (depression only) at

.. math:: r_\infty = U\,\frac{1 - e^{-T/\tau_\text{rec}}}{1 - (1 - U)\,e^{-T/\tau_\text{rec}}}.

All synapses leaving ``j`` see the same spike train and the same parameters, so one
``(x_j, u_j)`` per presynaptic neuron (and batch copy) is exact for the per-projection
parameters used here.

Discretisation (what every backend does, in this operation order, so they agree bit for
bit): in each step, before the step's spikes are transmitted, ``x <- 1 - (1 - x) e^{-dt /
tau_rec}`` and ``u <- u e^{-dt / tau_fac}`` (the exact solution over ``dt``); then the spike
updates above. This is Brian2's event-driven solution of the same equations evaluated at the
step times (Brian2's standard model: ``u += U*(1-u); r = u*x; x -= r`` in ``on_pre``).

References
----------
Tsodyks, Pawelzik & Markram (1998), neural networks with dynamic synapses, *Neural
Computation* 10:821–835; Markram, Wang & Tsodyks (1998), differential signaling via the same
axon of neocortical pyramidal neurons, *PNAS* 95:5323–5328; Tsodyks & Markram (1997),
*PNAS* 94:719.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from neurosim.neurons.base import check_magnitude, where
from neurosim.units import ms
from neurosim.validation import check_real

__all__ = ["TsodyksMarkramParams", "TsodyksMarkramState", "tsodyks_markram_step",
           "tm_decays"]


@dataclass(frozen=True)
class TsodyksMarkramParams:
    """Tsodyks–Markram short-term plasticity of one projection (SI floats).

    Parameters
    ----------
    U : float
        Utilisation increment, in ``(0, 1]``: the fraction of the resources released by a
        spike after a long silence (``U = 1``: every spike releases all that has recovered).
    tau_rec : float
        Recovery time constant of the resources ``x`` (s), > 0.
    tau_fac : float
        Facilitation time constant of ``u`` (s), >= 0; ``0`` means no facilitation.

    Defaults: a depressing neocortical synapse (Markram, Wang & Tsodyks 1998: ``U = 0.5``,
    ``tau_rec = 800 ms``, no facilitation).
    """

    U: float = 0.5
    tau_rec: float = 800 * ms
    tau_fac: float = 0.0

    def __post_init__(self) -> None:
        name = type(self).__name__
        check_real(f"{name}.U", self.U, low=0, high=1, low_open=True)
        check_real(f"{name}.tau_rec", self.tau_rec, low=0, low_open=True)
        check_real(f"{name}.tau_fac", self.tau_fac, low=0)
        for f in ("tau_rec", "tau_fac"):
            check_magnitude(name, f, getattr(self, f), 10.0, "s", "milliseconds", "ms",
                            "seconds")

    def init_state(self, shape: tuple[int, ...]) -> TsodyksMarkramState:
        """Resting state (``x = 1``, ``u = 0``) of the given shape (numpy float64)."""
        return TsodyksMarkramState(np.ones(shape), np.zeros(shape))


class TsodyksMarkramState(NamedTuple):
    """Per presynaptic neuron (and copy): arrays of one shape, e.g. ``(B, n_pre)``."""

    x: Any  #: available resources, in [0, 1]
    u: Any  #: utilisation (before the next spike's increment), in [0, 1]


def tm_decays(params: TsodyksMarkramParams, dt: float) -> tuple[float, float]:
    """Per-step factors ``(exp(-dt / tau_rec), exp(-dt / tau_fac))``; the second is 0 when
    ``tau_fac = 0`` (no facilitation)."""
    a_fac = 0.0 if params.tau_fac == 0 else math.exp(-dt / params.tau_fac)
    return math.exp(-dt / params.tau_rec), a_fac


def tsodyks_markram_step(state: TsodyksMarkramState, spikes: Any,
                         params: TsodyksMarkramParams, dt: float
                         ) -> tuple[Any, TsodyksMarkramState]:
    r"""One step ``dt`` of the Tsodyks–Markram model (pure; numpy arrays or torch tensors).

    .. math::
        x \leftarrow 1 - (1 - x)\,e^{-dt/\tau_\text{rec}}, \quad
        u \leftarrow u\,e^{-dt/\tau_\text{fac}};\qquad
        \text{at a spike: } u \leftarrow u + U(1-u),\ r = u\,x,\ x \leftarrow x - r

    Parameters
    ----------
    state : TsodyksMarkramState
        ``x`` and ``u`` of shape ``S`` (e.g. ``(B, n_pre)``); not modified.
    spikes : bool array of shape ``S``
        Presynaptic spikes of the step.
    params : TsodyksMarkramParams
    dt : float
        Step (s).

    Returns
    -------
    release : float array of shape ``S``
        ``r`` where a neuron spiked, 0 elsewhere: the factor of its synapses' weights.
    new_state : TsodyksMarkramState
    """
    a_rec, a_fac = tm_decays(params, dt)
    x = 1.0 - (1.0 - state.x) * a_rec
    u = state.u * a_fac
    u_spk = u + params.U * (1.0 - u)
    release = where(spikes, u_spk * x, 0.0 * x)
    return release, TsodyksMarkramState(x - release, where(spikes, u_spk, u))
