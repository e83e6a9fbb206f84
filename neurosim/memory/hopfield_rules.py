"""Hopfield learning rules: Hebbian, Storkey and pseudo-inverse weights (pure functions).

Re-exported by :mod:`neurosim.memory.hopfield`, whose
:func:`~neurosim.memory.hopfield.learn_weights` dispatches to them by name.

References
----------
Hopfield, J. J. (1982). PNAS 79, 2554-2558. Storkey, A. (1997). ICANN'97, 451-456.
Personnaz, L., Guyon, I., Dreyfus, G. (1985). J. Physique Lett. 46, L359-L365.
"""

from __future__ import annotations

import torch

__all__ = ["hebbian_weights", "storkey_weights", "pseudo_inverse_weights"]


def hebbian_weights(patterns: torch.Tensor, zero_diagonal: bool = True) -> torch.Tensor:
    r"""Hebbian (outer-product) weights.

    .. math:: W = \frac{1}{N} \sum_{\mu=1}^{P} \xi^\mu {\xi^\mu}^\top, \qquad W_{ii} = 0

    Parameters
    ----------
    patterns : Tensor, shape (P, N)
        ``±1`` patterns.
    zero_diagonal : bool
        Set ``W_ii = 0`` (no self-coupling).

    Returns
    -------
    Tensor, shape (N, N), symmetric.

    References
    ----------
    Hopfield (1982); capacity ~0.138 N (Amit, Gutfreund & Sompolinsky 1985).
    """
    n = patterns.shape[1]
    w = patterns.T @ patterns / n
    if zero_diagonal:
        w.fill_diagonal_(0.0)
    return w


def storkey_weights(patterns: torch.Tensor, zero_diagonal: bool = True) -> torch.Tensor:
    r"""Storkey (1997) incremental rule, one pattern at a time.

    .. math::
        W^{\nu}_{ij} = W^{\nu-1}_{ij} + \frac{1}{N}\left(\xi_i\xi_j - \xi_i h_{ji} -
        h_{ij}\xi_j\right), \qquad h_{ij} = \sum_{k\ne i,j} W^{\nu-1}_{ik}\xi_k

    With a zero diagonal and ``ξ_i² = 1`` this is, in matrix form,
    ``ΔW = (ξξᵀ − ξhᵀ − hξᵀ + 2W) / N`` with ``h = Wξ``.

    Parameters
    ----------
    patterns : Tensor, shape (P, N)
    zero_diagonal : bool

    Returns
    -------
    Tensor, shape (N, N), symmetric. Capacity ≈ N / sqrt(2 ln N).
    """
    n = patterns.shape[1]
    w = torch.zeros(n, n, dtype=patterns.dtype, device=patterns.device)
    for xi in patterns:  # in place: W <- (1 + 2/N) W + (ξ(ξ − h)ᵀ − hξᵀ) / N
        h = w @ xi
        w.mul_(1.0 + 2.0 / n).addr_(xi, xi - h, alpha=1.0 / n).addr_(h, xi, alpha=-1.0 / n)
        w.fill_diagonal_(0.0)
    if not zero_diagonal:
        w = w + torch.eye(n, dtype=w.dtype, device=w.device) * patterns.shape[0] / n
    return w


def pseudo_inverse_weights(patterns: torch.Tensor, zero_diagonal: bool = True) -> torch.Tensor:
    r"""Pseudo-inverse (projection) rule: the projector onto the span of the patterns.

    .. math:: W = X^{+} X, \qquad X \in \{\pm 1\}^{P \times N}

    so that ``W ξ^μ = ξ^μ`` for every pattern in the span; all linearly independent patterns
    (up to ``N``) are fixed points. Zeroing the diagonal keeps them fixed points
    (``h_i = (1 − W_ii) ξ_i`` with ``0 ≤ W_ii ≤ 1``) and widens the basins.

    Parameters
    ----------
    patterns : Tensor, shape (P, N)
    zero_diagonal : bool

    Returns
    -------
    Tensor, shape (N, N), symmetric.

    References
    ----------
    Personnaz, Guyon & Dreyfus (1985); Kanter & Sompolinsky (1987).
    """
    w = torch.linalg.pinv(patterns) @ patterns
    w = 0.5 * (w + w.T)
    if zero_diagonal:
        w.fill_diagonal_(0.0)
    return w
