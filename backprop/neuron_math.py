"""The neuron math of the trainable spiking networks, in one place, and how it maps onto
``neurosim``'s neuron models.

Every trainable spiking network in ``backprop`` -- the surrogate-gradient layers of
:mod:`backprop.snn` (reference and fused paths, :mod:`backprop.snn_fused`) and the e-prop
network of :mod:`backprop.eprop` -- updates its membranes with :func:`leaky_update` and, for
adaptive (ALIF) neurons, its thresholds with :func:`adaptive_threshold`. The compiled loop
``backprop.snn_fused._lif_forward`` is a numba transcription of :func:`leaky_update` (numba
cannot call torch), tested equal to it bit for bit.

Why not ``neurosim.lif_step`` / ``neurosim.alif_step``
------------------------------------------------------
``neurosim``'s models are continuous-time neurons in SI units, integrated exactly; the
trainable networks need a differentiable, dimensionless, discrete-time form. Where the two
differ, and why:

* **Leak as one factor per step.** :math:`U_t = \\beta U_{t-1} + I_t` with
  :math:`\\beta = e^{-dt/\\tau_m}` (:func:`decay`) is ``neurosim``'s exact integration with
  the voltage measured from rest in units of ``v_unit`` and the input current folded into a
  per-step increment :math:`I_t = R_m (1 - \\beta) i_{in} / v_{unit}`
  (:func:`lif_params_for_leaky` writes this translation once).
* **No synaptic-current state.** Weights add directly to the membrane (a delta synapse, as
  in snnTorch's ``Leaky`` and in Bellec et al. 2020); ``neurosim``'s ``i_e`` / ``i_i``
  would add a second state per neuron and a second time constant to every gradient.
* **Reset by subtraction** (the default here, and e-prop's): :math:`U_t \\mathrel{-}=
  \\vartheta R_t` keeps the overshoot, which makes :math:`\\partial U_t/\\partial U_{t-1}
  = \\beta` independent of the spike and gives e-prop its simple eligibility traces.
  ``neurosim`` resets to a value (``v_reset``, Brian2's convention) and has no subtractive
  reset, so only ``reset="zero"`` (snnTorch's "zero", the reset applied at the next step,
  ``reset_delay=True``) has an exact ``neurosim`` counterpart: ``v_reset = v_rest``,
  ``t_ref = 0``.
* **Spike as a surrogate-differentiable step.** :math:`S_t = H(U_t - \\vartheta)` with a
  pseudo-derivative in the backward pass (:mod:`backprop.surrogate`); ``neurosim`` uses
  :math:`v \\ge v_\\theta` (ties have measure zero).
* **No refractory period** (``t_ref = 0`` in the mapping).
* **ALIF threshold.** :math:`a_t = \\rho a_{t-1} + z_{t-1}`,
  :math:`A_t = \\vartheta + \\beta_a a_t` is ``neurosim``'s ``alif_step`` (threshold
  increment decayed before the check, ``delta_a`` added at a spike) with
  ``delta_a = beta_a * v_unit / rho``.

With ``reset="zero"`` and the translated parameters, the forward spikes are the same
(tested in ``tests/backprop/test_neuron_math.py`` against ``neurosim``'s pure steps
``lif_step`` and ``alif_step`` over 300 steps, for the SNN layers, fused and reference, and
for e-prop's LIF/ALIF recurrence; e-prop's recurrent input is added outside the neurosim
step there).
"""

from __future__ import annotations

import math
from typing import Any

from torch import Tensor

__all__ = [
    "RESETS",
    "adaptive_threshold",
    "decay",
    "leaky_update",
    "lif_params_for_leaky",
]

#: reset mechanisms and their integer codes (as in snnTorch's ``reset_mechanism_val``)
RESETS = {"subtract": 0, "zero": 1, "none": 2}


def decay(tau: float, dt: float) -> float:
    """Per-step decay factor :math:`e^{-dt/\\tau}` of a leaky variable (same units for both)."""
    return math.exp(-dt / tau)


def leaky_update(
    mem: Tensor, current: Tensor, reset: Tensor, beta: float, threshold: float, mode: str
) -> Tensor:
    """One step of the leaky membrane, with the previous step's spikes as the reset.

    .. math::

        U_t &= \\beta U_{t-1} + I_t - \\vartheta R_t \\quad (\\text{subtract}) \\\\
        U_t &= \\beta (1 - R_t) U_{t-1} + I_t \\quad (\\text{zero}) \\\\
        U_t &= \\beta U_{t-1} + I_t \\quad (\\text{none})

    Parameters
    ----------
    mem : Tensor, shape (B, N)
        :math:`U_{t-1}`.
    current : Tensor, shape (B, N)
        :math:`I_t` (input and recurrent weights already applied).
    reset : Tensor, shape (B, N)
        :math:`R_t \\in \\{0, 1\\}`: the spikes of step ``t - 1`` (treated as a constant in
        the gradient by the callers, as in snnTorch and e-prop).
    beta, threshold : float
    mode : {"subtract", "zero", "none"}

    Returns
    -------
    Tensor, shape (B, N): :math:`U_t` (the operation order is snnTorch's, so float32 results
    match snnTorch bit for bit).
    """
    if mode == "subtract":
        return beta * mem + current - reset * threshold
    if mode == "zero":
        return beta * ((1 - reset) * mem) + current
    return beta * mem + current


def adaptive_threshold(
    a: Tensor, spikes: Tensor, rho: float, threshold: float, beta_a: Any
) -> tuple[Tensor, Tensor]:
    """ALIF threshold (Bellec et al. 2018): :math:`a_t = \\rho a_{t-1} + z_{t-1}`,
    :math:`A_t = \\vartheta + \\beta_a a_t`. ``beta_a``: a float or a per-neuron ``(N,)``
    tensor (0 for plain LIF neurons). Returns ``(a_t, A_t)``."""
    a = rho * a + spikes
    return a, threshold + beta_a * a


def lif_params_for_leaky(
    beta: float,
    threshold: float,
    dt: float,
    *,
    v_unit: float = 10e-3,
    r_m: float = 100e6,
    rho: float | None = None,
    beta_a: float = 0.0,
) -> tuple[Any, float]:
    """The ``neurosim`` neuron whose forward spikes equal :func:`leaky_update`'s (zero reset).

    Parameters
    ----------
    beta : float in (0, 1)
        Membrane decay per step.
    threshold : float > 0
        Threshold in units of the dimensionless membrane.
    dt : float
        The step in seconds (``tau_m = -dt / ln(beta)``).
    v_unit : float
        Volts per unit of the dimensionless membrane (``v_rest = v_reset = 0``).
    r_m : float
        Membrane resistance (ohm) of the neurosim neuron.
    rho, beta_a : float, optional
        ALIF adaptation decay per step and strength (as in :func:`adaptive_threshold`); with
        ``rho`` given, an ``ALIFParams`` with ``tau_a = -dt / ln(rho)`` and
        ``delta_a = beta_a * v_unit / rho`` is returned.

    Returns
    -------
    params : neurosim.LIFParams or neurosim.ALIFParams
        ``t_ref = 0``; synaptic time constants at their defaults (unused: the input enters as
        the external current).
    current_scale : float
        Amperes per unit of the per-step input :math:`I_t`:
        ``i_in = I_t * current_scale`` (:math:`v_{unit} / (R_m (1 - \\beta))`).
    """
    from neurosim import ALIFParams, LIFParams

    for name, v, lo, hi in (("beta", beta, 0.0, 1.0), ("rho", rho, 0.0, 1.0)):
        if v is not None and not lo < v < hi:
            raise ValueError(f"lif_params_for_leaky: {name} must be in (0, 1), got {v!r}")
    if not threshold > 0:
        raise ValueError(f"lif_params_for_leaky: threshold must be > 0, got {threshold!r}")
    common = dict(tau_m=-dt / math.log(beta), v_rest=0.0, v_reset=0.0,
                  v_thresh=threshold * v_unit, t_ref=0.0, r_m=r_m)
    if rho is None:
        params: Any = LIFParams(**common)
    else:
        params = ALIFParams(**common, tau_a=-dt / math.log(rho), delta_a=beta_a * v_unit / rho)
    return params, v_unit / (r_m * (1.0 - beta))
