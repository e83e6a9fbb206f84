"""Echo state networks (Jaeger 2001; Lukosevicius 2012) and ESN-style initialisation for
recurrent nets trained with momentum (Sutskever et al. 2013) -- the third and fourth of the
"four effective ways to learn an RNN" in Hinton's lecture 7d.

An ESN keeps a fixed random reservoir and learns only the linear readout, in closed form
(ridge regression). ``esn_initialize`` gives an :class:`backprop.models.ElmanRNN` the same
carefully scaled weights, after which all weights are trained by SGD with momentum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .models import ElmanRNN
from .utils import (
    check_choice,
    check_int,
    check_positive_int,
    check_real,
    check_sequence,
    resolve_device,
)

__all__ = ["ESNParams", "EchoStateNetwork", "esn_initialize", "esn_states", "reservoir_matrix",
           "ridge_readout"]


@dataclass(frozen=True)
class ESNParams:
    """Reservoir settings (validated at construction).

    Attributes
    ----------
    spectral_radius : float
        Largest absolute eigenvalue of the recurrent matrix, > 0 (< 1 is a rule of thumb
        for the echo state property, not a guarantee).
    leak_rate : float
        In (0, 1]; 1 = no leak.
    input_scaling, bias_scaling : float
        Input and bias weights are uniform on [-scaling, scaling]; >= 0.
    density : float
        Fraction of non-zero recurrent weights, in (0, 1].
    ridge : float
        Tikhonov regulariser of the readout, >= 0.
    washout : int
        Initial steps left out of the readout fit (transient), >= 0.
    """

    spectral_radius: float = 0.9
    leak_rate: float = 1.0
    input_scaling: float = 1.0
    bias_scaling: float = 0.0
    density: float = 0.1
    ridge: float = 1e-6
    washout: int = 0

    def __post_init__(self) -> None:
        check_real("ESNParams.spectral_radius", self.spectral_radius, low=0, low_open=True)
        check_real("ESNParams.leak_rate", self.leak_rate, low=0, high=1, low_open=True)
        for name in ("input_scaling", "bias_scaling", "ridge"):
            check_real(f"ESNParams.{name}", getattr(self, name), low=0)
        check_real("ESNParams.density", self.density, low=0, high=1, low_open=True)
        check_int("ESNParams.washout", self.washout, low=0)

def reservoir_matrix(
    n: int, spectral_radius: float, density: float, rng: np.random.Generator
) -> np.ndarray:
    r"""Sparse random recurrent matrix rescaled to a given spectral radius.

    .. math:: W = \rho \, \frac{W_0}{\max_i |\lambda_i(W_0)|}

    with :math:`W_0` having a fraction ``density`` of N(0, 1) entries (the rest zero).

    Returns
    -------
    ndarray, shape (n, n), float64
    """
    w = rng.standard_normal((n, n)) * (rng.random((n, n)) < density)
    radius = np.max(np.abs(np.linalg.eigvals(w)))
    if radius == 0:  # all-zero draw at very low density: fall back to a scaled permutation
        w = np.eye(n)[rng.permutation(n)]
        radius = 1.0
    return w * (spectral_radius / radius)


def esn_states(
    x: torch.Tensor,
    w_in: torch.Tensor,
    w: torch.Tensor,
    b: torch.Tensor,
    leak_rate: float,
    h0: torch.Tensor | None = None,
) -> torch.Tensor:
    r"""Run a leaky-integrator reservoir (Jaeger et al. 2007).

    .. math:: h_t = (1 - a)\, h_{t-1} + a \tanh(W_{in} x_t + W h_{t-1} + b)

    Parameters
    ----------
    x : Tensor, shape (T, B, F)
    w_in : Tensor, shape (N, F); w : Tensor, shape (N, N); b : Tensor, shape (N,)
    leak_rate : float
        :math:`a \in (0, 1]`.
    h0 : Tensor, shape (B, N) or None (zeros)

    Returns
    -------
    Tensor, shape (T, B, N)
    """
    T, B, _ = x.shape
    h = x.new_zeros(B, w.shape[0]) if h0 is None else h0
    drive = x @ w_in.T + b
    out = []
    for t in range(T):
        h = (1 - leak_rate) * h + leak_rate * torch.tanh(drive[t] + h @ w.T)
        out.append(h)
    return torch.stack(out)


def ridge_readout(h: torch.Tensor, y: torch.Tensor, ridge: float) -> tuple[torch.Tensor,
                                                                           torch.Tensor]:
    r"""Closed-form ridge regression with an unregularised intercept.

    .. math::
        W = Y_c^\top H_c (H_c^\top H_c + \beta I)^{-1}, \qquad b = \bar y - W \bar h

    (:math:`H_c, Y_c` centred), the same solution as ``sklearn.linear_model.Ridge(alpha=beta)``.

    Parameters
    ----------
    h : Tensor, shape (M, N); y : Tensor, shape (M, O); ridge : float

    Returns
    -------
    W : Tensor, shape (O, N); b : Tensor, shape (O,)
    """
    h = h.double()
    y = y.double()
    hm, ym = h.mean(0), y.mean(0)
    hc, yc = h - hm, y - ym
    a = hc.T @ hc + ridge * torch.eye(h.shape[1], dtype=h.dtype, device=h.device)
    w = torch.linalg.solve(a, hc.T @ yc).T
    return w, ym - w @ hm


class EchoStateNetwork(nn.Module):
    """Echo state network: fixed random reservoir, ridge-regression readout.

    Parameters
    ----------
    input_size, reservoir_size, output_size : int
    params : ESNParams or None
        Reservoir settings; keyword arguments (``spectral_radius=...``) override fields.
    output : {"many_to_many", "many_to_one"}
        Readout at every step, or from the final state.
    seed : int
    device : "auto", "cpu", "cuda", ...

    Examples
    --------
    >>> esn = EchoStateNetwork(1, 200, 1, spectral_radius=0.95, seed=0)   # doctest: +SKIP
    >>> esn.fit(x, y).predict(x_test)                                   # doctest: +SKIP
    """

    def __init__(
        self,
        input_size: int,
        reservoir_size: int,
        output_size: int,
        params: ESNParams | None = None,
        *,
        output: str = "many_to_many",
        seed: int = 0,
        device: str | torch.device = "auto",
        **overrides: float,
    ) -> None:
        super().__init__()
        check_positive_int("EchoStateNetwork.input_size", input_size)
        check_positive_int("EchoStateNetwork.reservoir_size", reservoir_size)
        check_positive_int("EchoStateNetwork.output_size", output_size)
        check_choice("EchoStateNetwork.output", output, ("many_to_many", "many_to_one"))
        base = params or ESNParams()
        unknown = set(overrides) - set(ESNParams.__dataclass_fields__)
        if unknown:
            raise TypeError(
                f"unknown EchoStateNetwork parameter {sorted(unknown)[0]!r}; choose from: "
                + ", ".join(ESNParams.__dataclass_fields__)
            )
        self.params = ESNParams(**{**base.__dict__, **overrides})
        self.input_size, self.reservoir_size, self.output_size = (
            input_size, reservoir_size, output_size)
        self.output = output
        self.seed = seed
        rng = np.random.default_rng(seed)
        p = self.params
        w = reservoir_matrix(reservoir_size, p.spectral_radius, p.density, rng)
        w_in = rng.uniform(-p.input_scaling, p.input_scaling, (reservoir_size, input_size))
        b = rng.uniform(-p.bias_scaling, p.bias_scaling, reservoir_size)
        dev = resolve_device(device)
        f32 = dict(dtype=torch.float32, device=dev)
        self.register_buffer("w", torch.as_tensor(w, **f32))
        self.register_buffer("w_in", torch.as_tensor(w_in, **f32))
        self.register_buffer("b", torch.as_tensor(b, **f32))
        self.register_buffer("w_out", torch.zeros(output_size, reservoir_size, **f32))
        self.register_buffer("b_out", torch.zeros(output_size, **f32))
        self.fitted_ = False

    def states(self, x: torch.Tensor) -> torch.Tensor:
        """Reservoir states ``(T, B, N)`` for inputs ``(T, B, F)``."""
        x = check_sequence(x, self.input_size, owner="EchoStateNetwork")
        return esn_states(x.to(self.w), self.w_in, self.w, self.b, self.params.leak_rate)

    @torch.no_grad()
    def fit(
        self, x: torch.Tensor, y: torch.Tensor, mask: torch.Tensor | None = None
    ) -> EchoStateNetwork:
        """Fit the readout by ridge regression on the states after ``washout``.

        ``y``: ``(T, B, O)`` (many-to-many) or ``(B, O)`` (many-to-one); ``mask`` ``(T, B)``
        selects the steps used (many-to-many).
        """
        h = self.states(x)
        y = torch.as_tensor(y, dtype=torch.float32, device=self.w.device)
        wo = self.params.washout
        if self.output == "many_to_one":
            if y.shape != (h.shape[1], self.output_size):
                raise ValueError(
                    f"EchoStateNetwork (many_to_one) expected y of shape "
                    f"{(h.shape[1], self.output_size)}, got {tuple(y.shape)}"
                )
            hs, ys = h[-1], y
        else:
            if y.shape != (*h.shape[:2], self.output_size):
                raise ValueError(
                    f"EchoStateNetwork expected y of shape {(*h.shape[:2], self.output_size)}, "
                    f"got {tuple(y.shape)}"
                )
            if wo >= h.shape[0]:
                raise ValueError(
                    f"ESNParams.washout={wo} leaves no steps of the T={h.shape[0]} sequence"
                )
            keep = torch.ones(h.shape[:2], dtype=torch.bool, device=h.device)
            keep[:wo] = False
            if mask is not None:
                keep &= torch.as_tensor(mask, device=h.device).bool()
            hs, ys = h[keep], y[keep]
        w, b = ridge_readout(hs, ys, self.params.ridge)
        self.w_out.copy_(w.float())
        self.b_out.copy_(b.float())
        self.fitted_ = True
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.states(x)
        feat = h[-1] if self.output == "many_to_one" else h
        return feat @ self.w_out.T + self.b_out

    @torch.no_grad()
    def predict(self, x: torch.Tensor) -> torch.Tensor:
        if not self.fitted_:
            raise RuntimeError("EchoStateNetwork.predict called before fit")
        return self.forward(x)

    @torch.no_grad()
    def generate(self, prefix: torch.Tensor, n_steps: int) -> torch.Tensor:
        r"""Closed-loop forecast: run ``prefix`` teacher-forced, then feed on the output.

        .. math:: \hat y_k = W_{out} h_k + b_{out}, \qquad
                  h_{k+1} = (1 - a) h_k + a \tanh(W_{in} \hat y_k + W h_k + b)

        from the state after the last prefix step (Jaeger & Haas 2004). Each fed-back
        output is first cast to ``prefix``'s dtype (as an input would be), so this equals
        :meth:`predict` re-run on the growing sequence.

        Parameters
        ----------
        prefix : Tensor, shape (P, B, F)
            Needs ``many_to_many`` output and ``output_size == input_size``.
        n_steps : int

        Returns
        -------
        Tensor, shape (n_steps, B, F)
        """
        if not self.fitted_:
            raise RuntimeError("EchoStateNetwork.generate called before fit")
        if self.output != "many_to_many" or self.output_size != self.input_size:
            raise ValueError("EchoStateNetwork.generate needs output='many_to_many' and "
                             f"output_size == input_size, got {self.output!r}, "
                             f"{self.output_size} != {self.input_size}")
        n_steps = check_positive_int("n_steps", n_steps)
        x = check_sequence(prefix, self.input_size, owner="EchoStateNetwork")
        a = self.params.leak_rate
        h = esn_states(x.to(self.w), self.w_in, self.w, self.b, a)[-1]
        y = h @ self.w_out.T + self.b_out
        outs = [y]
        for _ in range(n_steps - 1):
            fed = y.to(x.dtype).to(self.w)[None]
            h = esn_states(fed, self.w_in, self.w, self.b, a, h0=h)[-1]
            y = h @ self.w_out.T + self.b_out
            outs.append(y)
        return torch.stack(outs)


@torch.no_grad()
def esn_initialize(
    model: ElmanRNN,
    *,
    spectral_radius: float = 1.1,
    input_scaling: float = 1.0,
    density: float = 0.15,
    seed: int = 0,
) -> ElmanRNN:
    """Initialise an Elman RNN like an echo state network, in place, before training all
    weights with SGD + momentum ("good initialisation with momentum", lecture 7d; Sutskever,
    Martens, Dahl & Hinton 2013 used sparse recurrent weights with spectral radius 1.1).

    Every layer's recurrent matrix becomes :func:`reservoir_matrix`; input weights are uniform
    on [-input_scaling, input_scaling]; recurrent biases are zeroed.
    """
    if not isinstance(model, ElmanRNN):
        raise TypeError(f"esn_initialize needs an ElmanRNN, got {type(model).__name__}")
    ESNParams(spectral_radius=spectral_radius, input_scaling=input_scaling, density=density)
    rng = np.random.default_rng(seed)
    core = model.core
    for name, p in core.named_parameters():
        if name.startswith("weight_hh"):
            w = reservoir_matrix(p.shape[0], spectral_radius, density, rng)
            p.copy_(torch.as_tensor(w, dtype=p.dtype))
        elif name.startswith("weight_ih"):
            p.copy_(torch.as_tensor(rng.uniform(-input_scaling, input_scaling, p.shape),
                                    dtype=p.dtype))
        elif name.startswith("bias"):
            p.zero_()
    return model
