"""Surrogate-gradient spiking networks trained by BPTT (snnTorch-compatible LIF layers).

The neuron is snnTorch's ``Leaky`` (first-order LIF, ``reset_delay=True``): the same equations,
the same reset mechanisms, the same surrogate gradients, so a network built here gives the same
spikes, membranes and gradients as the snnTorch network with the same weights (tested against
snnTorch in ``tests/backprop/test_snn.py``). Two execution paths share the one pure step
:func:`leaky_step`:

- the **reference** path calls :func:`leaky_step` once per time step under autograd (what
  snnTorch does);
- the **fused** path (default) does one input product over all time steps, ``(T*B, F) @ W.T``
  -- as a spike-driven gather-and-add (:func:`backprop.snn_fused.spike_linear`) when the input
  is sparse enough for that to pay -- and then the whole LIF recurrence forward and backward
  in a single autograd node (:class:`backprop.snn_fused.FusedLIF`).

Reference: Neftci, Mostafa & Zenke (2019), "Surrogate gradient learning in spiking neural
networks", IEEE Signal Process. Mag. 36(6):51-63; Eshraghian et al. (2023), "Training spiking
neural networks using lessons from deep learning", Proc. IEEE 111(9) (snnTorch).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from backprop.neuron_math import RESETS, leaky_update
from backprop.snn_fused import HAVE_NUMBA, fused_lif, spike_linear
from backprop.surrogate import Surrogate, make_surrogate
from backprop.utils import check_choice, check_int, check_real, check_sequence, resolve_device

__all__ = [
    "AUTO_SPARSE_DENSITY",
    "LIFLayer",
    "LeakyParams",
    "Leaky",
    "SpikingMLP",
    "lif_sequence",
    "leaky_step",
    "snntorch_equivalent",
]

#: the ``sparse="auto"`` input path uses gather-and-add below this input density (CPU only).
#: ``benchmarks/snn_train.py --sweep`` (first layer 784 -> 256, T*B = 3200 rows, forward +
#: weight gradient) puts the crossover against a 1-thread MKL product between 10% and 20%;
#: a 2-thread product moves it lower, hence a conservative value.
AUTO_SPARSE_DENSITY = 0.12

_SPARSE_MODES = ("auto", "always", "never")


@dataclass(frozen=True)
class LeakyParams:
    """Parameters of a layer of snnTorch-style LIF neurons (dimensionless, per time step).

    Named apart from :class:`neurosim.LIFParams` (continuous time, SI units, exact
    integration): here the leak is one factor ``beta`` per step and the state is unitless,
    as in snnTorch's ``Leaky``. Why the two differ, and the translation
    (:func:`backprop.neuron_math.lif_params_for_leaky`, exact for ``reset="zero"``):
    :mod:`backprop.neuron_math`.

    Parameters
    ----------
    beta : float
        Membrane decay per step, in (0, 1] (``exp(-dt / tau_m)``).
    threshold : float
        Firing threshold, > 0.
    reset : {"subtract", "zero", "none"}
        Reset mechanism after a spike (snnTorch's ``reset_mechanism``).
    surrogate : str or Surrogate
        Spike surrogate gradient, a name from :data:`backprop.surrogate.SURROGATES` or an
        instance; default ``"atan"`` (snnTorch's default ``spike_grad``, ``alpha=2``).
    """

    beta: float = 0.95
    threshold: float = 1.0
    reset: str = "subtract"
    surrogate: Surrogate | str = field(default="atan")

    def __post_init__(self) -> None:
        check_real("LeakyParams.beta", self.beta, low=0, high=1, low_open=True)
        check_real("LeakyParams.threshold", self.threshold, low=0, low_open=True)
        check_choice("LeakyParams.reset", self.reset, RESETS)
        object.__setattr__(self, "surrogate", make_surrogate(self.surrogate))


def leaky_step(current: Tensor, mem: Tensor, params: LeakyParams) -> tuple[Tensor, Tensor]:
    """One step of snnTorch's ``Leaky`` neuron (``reset_delay=True``): the reset is the
    previous membrane's threshold crossing, the update :func:`backprop.neuron_math.leaky_update`
    (how it maps onto ``neurosim.LIFParams``: :mod:`backprop.neuron_math`).

    .. math::

        R_t &= H(U_{t-1} - \\vartheta) \\quad (\\text{no gradient}) \\\\
        U_t &= \\beta U_{t-1} + I_t - \\vartheta R_t \\quad (\\text{subtract}) \\\\
        U_t &= \\beta (1 - R_t) U_{t-1} + I_t \\quad (\\text{zero}) \\\\
        S_t &= H(U_t - \\vartheta) \\quad (\\text{surrogate gradient } \\sigma')

    Parameters
    ----------
    current : Tensor, shape (B, N)
        Input current :math:`I_t`.
    mem : Tensor, shape (B, N)
        Membrane :math:`U_{t-1}`.
    params : LeakyParams

    Returns
    -------
    spk, mem : Tensor, shape (B, N)
        Spikes :math:`S_t` and membrane :math:`U_t`.
    """
    beta, thr = params.beta, params.threshold
    reset = (mem - thr > 0).to(mem.dtype).detach()
    new = leaky_update(mem, current, reset, beta, thr, params.reset)
    return params.surrogate(new - thr), new


def lif_sequence(
    current: Tensor, params: LeakyParams, mem0: Tensor | None = None, *, fused: bool = True
) -> tuple[Tensor, Tensor]:
    """Run :func:`leaky_step` over a whole input sequence.

    Parameters
    ----------
    current : Tensor, shape (T, B, N)
    params : LeakyParams
    mem0 : Tensor, shape (B, N), optional
        Initial membrane; zeros by default (as snnTorch).
    fused : bool
        ``True``: one autograd node for the whole loop (:class:`~backprop.snn_fused.FusedLIF`);
        ``False``: the per-step autograd reference. Both give the same values and gradients.

    Returns
    -------
    spk, mem : Tensor, shape (T, B, N)
    """
    if mem0 is None:
        mem0 = current.new_zeros(current.shape[1:])
    if fused:
        p = params
        return fused_lif(current, mem0, p.beta, p.threshold, p.reset, p.surrogate)
    spks, mems = [], []
    mem = mem0
    for t in range(current.shape[0]):
        spk, mem = leaky_step(current[t], mem, params)
        spks.append(spk)
        mems.append(mem)
    return torch.stack(spks), torch.stack(mems)


class Leaky(nn.Module):
    """Per-step LIF module with snnTorch's ``Leaky`` calling convention.

    ``spk, mem = Leaky(beta=0.9)(current, mem)``; ``mem=None`` starts from zeros.

    Parameters
    ----------
    beta, threshold, reset, surrogate
        As in :class:`LeakyParams` (``reset`` is snnTorch's ``reset_mechanism``).
    """

    def __init__(
        self,
        beta: float = 0.95,
        threshold: float = 1.0,
        reset: str = "subtract",
        surrogate: Surrogate | str = "atan",
    ) -> None:
        super().__init__()
        self.params = LeakyParams(beta, threshold, reset, surrogate)

    def forward(self, current: Tensor, mem: Tensor | None = None) -> tuple[Tensor, Tensor]:
        if mem is None:
            mem = torch.zeros_like(current)
        elif mem.shape != current.shape:
            raise ValueError(
                f"Leaky expected mem of shape {tuple(current.shape)} (as the input), "
                f"got {tuple(mem.shape)}"
            )
        return leaky_step(current, mem, self.params)


def _use_sparse(mode: str, x: Tensor) -> bool:
    if mode == "never":
        return False
    if mode == "always":
        return True
    if x.device.type != "cpu" or not HAVE_NUMBA:
        return False  # on GPUs the dense product wins at any useful density
    flat = x.detach().reshape(-1)
    sample = flat[:: max(1, flat.numel() // 4096)]  # cheap density estimate
    return bool(sample.count_nonzero().item() <= AUTO_SPARSE_DENSITY * sample.numel())


class LIFLayer(nn.Module):
    """Linear synapses followed by LIF neurons, applied to a whole sequence.

    .. math::

        I_t = W x_t + b, \\qquad (S_t, U_t) = \\mathrm{lif\\_step}(I_t, U_{t-1})

    Parameters
    ----------
    in_features, out_features : int
    params : LeakyParams, optional
    bias : bool
    fused : bool
        Fused LIF loop (default) or per-step autograd reference.
    sparse : {"auto", "always", "never"}
        Input product as a spike-driven gather-and-add (``"always"``), dense (``"never"``), or
        gather-and-add on the CPU when the input density is below
        :data:`AUTO_SPARSE_DENSITY` (``"auto"``).
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        params: LeakyParams | None = None,
        *,
        bias: bool = True,
        fused: bool = True,
        sparse: str = "auto",
    ) -> None:
        super().__init__()
        in_features = check_int("LIFLayer.in_features", in_features, low=1)
        out_features = check_int("LIFLayer.out_features", out_features, low=1)
        check_choice("LIFLayer.sparse", sparse, _SPARSE_MODES)
        self.linear = nn.Linear(in_features, out_features, bias=bias)
        self.params = params if params is not None else LeakyParams()
        self.fused = bool(fused)
        self.sparse = sparse

    @property
    def in_features(self) -> int:
        return self.linear.in_features

    @property
    def out_features(self) -> int:
        return self.linear.out_features

    def forward(self, x: Tensor, mem0: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """``x (T, B, in_features)`` -> ``spk, mem (T, B, out_features)``."""
        if _use_sparse(self.sparse, x):
            current = spike_linear(x, self.linear.weight, self.linear.bias)
        else:
            current = F.linear(x, self.linear.weight, self.linear.bias)
        return lif_sequence(current, self.params, mem0, fused=self.fused)


class SpikingMLP(nn.Module):
    """Feed-forward stack of :class:`LIFLayer` (e.g. 784-256-10), trained by BPTT.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths, input first: ``(784, 256, 10)``.
    params : LeakyParams or sequence of LeakyParams, optional
        One for all layers or one per layer.
    fused, sparse
        As in :class:`LIFLayer`; ``sparse`` applies to the first layer (spike inputs); hidden
        layers use ``"auto"`` too.
    device : str or torch.device
        ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"``.
    dtype : torch.dtype
    seed : int, optional
        Seeds the weight initialisation (PyTorch's ``nn.Linear`` default).
    check_finite : bool
        Reject inputs containing NaN or inf (one pass over the input).

    Examples
    --------
    >>> net = SpikingMLP((784, 256, 10), LeakyParams(beta=0.95), seed=0, device="cpu")
    >>> spk, mem = net(torch.zeros(25, 8, 784))
    >>> spk.shape
    torch.Size([25, 8, 10])
    """

    def __init__(
        self,
        sizes: Sequence[int],
        params: LeakyParams | Sequence[LeakyParams] | None = None,
        *,
        fused: bool = True,
        sparse: str = "auto",
        device: str | torch.device = "auto",
        dtype: torch.dtype = torch.float32,
        seed: int | None = None,
        check_finite: bool = True,
    ) -> None:
        super().__init__()
        sizes = tuple(sizes)
        if len(sizes) < 2:
            raise ValueError(f"SpikingMLP.sizes needs at least 2 widths, got {sizes}")
        n_layers = len(sizes) - 1
        if params is None:
            plist = [LeakyParams()] * n_layers
        elif isinstance(params, LeakyParams):
            plist = [params] * n_layers
        else:
            plist = list(params)
            if len(plist) != n_layers:
                raise ValueError(
                    f"SpikingMLP.params needs {n_layers} LeakyParams (one per layer), "
                    f"got {len(plist)}"
                )
        self.device = resolve_device(device)
        gen_state = torch.random.get_rng_state()
        if seed is not None:
            torch.manual_seed(seed)
        try:
            self.layers = nn.ModuleList(
                LIFLayer(a, b, p, fused=fused, sparse=sparse)
                for a, b, p in zip(sizes[:-1], sizes[1:], plist)
            )
        finally:
            if seed is not None:
                torch.random.set_rng_state(gen_state)
        self.sizes = sizes
        self.check_finite = check_finite
        self.to(device=self.device, dtype=dtype)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``x (T, B, sizes[0])`` -> last layer's spikes and membranes ``(T, B, sizes[-1])``."""
        check_sequence(x, self.sizes[0], name="x", owner="SpikingMLP")
        w = self.layers[0].linear.weight
        if x.dtype != w.dtype:
            raise TypeError(
                f"SpikingMLP has {w.dtype} weights, got x of dtype {x.dtype}; convert x "
                f"(x.to({w.dtype})) or build the model with dtype={x.dtype}"
            )
        if x.device != w.device:
            raise ValueError(
                f"SpikingMLP lives on {w.device}, got x on {x.device}; "
                "move x with x.to(model.device)"
            )
        # a sum is NaN/inf whenever an element is (one cheap reduction); confirm elementwise
        if self.check_finite and not bool(torch.isfinite(x.sum())) and not bool(
            torch.isfinite(x).all()
        ):
            raise ValueError(
                "SpikingMLP got an input x containing NaN or inf; spike inputs must be finite "
                "(0/1 spikes or real-valued currents)"
            )
        spk, mem = x, x
        for layer in self.layers:
            spk, mem = layer(spk)
        return spk, mem


def snntorch_equivalent(model: SpikingMLP) -> Any:
    """Build the snnTorch network computing the same function as ``model`` (weights copied).

    Returns a module whose ``forward(x)`` takes ``(T, B, F)`` and returns the last layer's
    ``(spk, mem)`` stacked over time, using ``nn.Linear`` + ``snntorch.Leaky`` per step, as in
    snnTorch's tutorials. Needs the optional dependency ``snntorch`` (extra ``snn``).
    """
    try:
        import snntorch as snn
    except ImportError as exc:  # pragma: no cover
        raise ImportError("snntorch_equivalent needs snntorch: pip install neurosim[snn]") from exc
    if not isinstance(model, SpikingMLP):
        raise TypeError(f"snntorch_equivalent expects a SpikingMLP, got {type(model).__name__}")
    grads = {"atan": "atan", "fast_sigmoid": "fast_sigmoid", "sigmoid": "sigmoid"}

    class _SnnTorchMLP(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fcs = nn.ModuleList()
            self.lifs = nn.ModuleList()
            for layer in model.layers:
                p = layer.params
                if p.surrogate.name not in grads:
                    raise ValueError(
                        f"surrogate {p.surrogate.name!r} has no snnTorch counterpart; "
                        f"use one of {', '.join(grads)}"
                    )
                const = {k: v for k, v in vars(p.surrogate).items()}
                spike_grad = getattr(snn.surrogate, grads[p.surrogate.name])(**const)
                dtype = layer.linear.weight.dtype
                has_bias = layer.linear.bias is not None
                fc = nn.Linear(layer.in_features, layer.out_features, bias=has_bias, dtype=dtype)
                fc.load_state_dict(layer.linear.state_dict())
                self.fcs.append(fc)
                self.lifs.append(
                    snn.Leaky(
                        beta=torch.tensor(p.beta, dtype=dtype),
                        threshold=torch.tensor(p.threshold, dtype=dtype),
                        spike_grad=spike_grad,
                        reset_mechanism=p.reset,
                    )
                )
            self.to(model.layers[0].linear.weight.device)

        def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
            mems = [None] * len(self.lifs)
            spk_rec, mem_rec = [], []
            for t in range(x.shape[0]):
                h = x[t]
                for i, (fc, lif) in enumerate(zip(self.fcs, self.lifs)):
                    cur = fc(h)
                    if mems[i] is None:  # snnTorch would reuse the state of the last call
                        mems[i] = torch.zeros_like(cur)
                    spk, mems[i] = lif(cur, mems[i])
                    h = spk.to(x.dtype)  # snnTorch spikes are float32; keep float64 runs float64
                spk_rec.append(h)
                mem_rec.append(mems[-1])
            return torch.stack(spk_rec), torch.stack(mem_rec)

    return _SnnTorchMLP()
