"""Small offline sequence data sets for the backprop demonstrations and tests.

Each generator takes a ``seed`` (or a numpy ``Generator``) and returns time-major float32
tensors ``x (T, N, F)`` and targets. (The comparison tasks in ``comparisons.tasks`` are the
project-wide versions; these are the backprop package's own, so that it does not depend on
``comparisons``.)
"""

from __future__ import annotations

import numpy as np
import torch

from .utils import check_int, check_positive_int

__all__ = ["adding_problem", "binary_addition", "bits_to_int", "load_mnist1d"]


def _rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def binary_addition(
    n: int,
    n_bits: int,
    *,
    delay: int = 0,
    seed: int | np.random.Generator | None = 0,
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Hinton's binary-addition task (lecture 7c): two bits in per step, least significant
    bit first; the target is the sum bit of the column seen ``delay`` steps earlier.

    The numbers are uniform on :math:`[0, 2^{n\_bits})`; the sequences have
    :math:`T = n\_bits + 1 + delay` steps (the extra column carries the final carry; inputs
    past the numbers are 0). The sum bits come from a ripple-carry adder,

    .. math:: s_t = a_t \oplus b_t \oplus c_{t-1}, \qquad c_t = \mathrm{maj}(a_t, b_t, c_{t-1}).

    Parameters
    ----------
    n : int
        Number of additions (batch size).
    n_bits : int
        Bits per operand.
    delay : int
        Extra steps between a column's input and its sum bit (0: the sum bit of column t is
        read out from the hidden state that has just taken in column t -- the lecture's
        net, whose two-step delay is input -> hidden -> output).
    seed : int, Generator or None

    Returns
    -------
    x : Tensor, shape (T, n, 2), float32
    y : Tensor, shape (T, n, 1), float32 (0/1)
    """
    check_positive_int("binary_addition n", n)
    check_positive_int("binary_addition n_bits", n_bits)
    delay = check_int("binary_addition delay", delay, low=0)
    rng = _rng(seed)
    T = n_bits + 1 + delay
    ab = np.zeros((T, n, 2), dtype=np.int64)
    ab[:n_bits] = rng.integers(0, 2, size=(n_bits, n, 2))
    s = np.zeros((T, n), dtype=np.int64)
    carry = np.zeros(n, dtype=np.int64)
    for t in range(n_bits + 1):
        total = ab[t, :, 0] + ab[t, :, 1] + carry
        s[t] = total & 1
        carry = total >> 1
    y = np.zeros((T, n, 1), dtype=np.float32)
    y[delay:, :, 0] = s[: T - delay]
    return torch.from_numpy(ab.astype(np.float32)), torch.from_numpy(y)


def bits_to_int(bits: np.ndarray | torch.Tensor) -> list[int]:
    """Least-significant-first bit sequences ``(T, N)`` -> Python ints (arbitrary size)."""
    b = np.asarray(bits).astype(np.int64)
    return [int("".join(str(v) for v in b[::-1, i]), 2) for i in range(b.shape[1])]


def adding_problem(
    n: int,
    T: int,
    *,
    seed: int | np.random.Generator | None = 0,
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""The adding problem (Hochreiter & Schmidhuber 1997), as in Arjovsky et al. (2016).

    Channel 0 holds values :math:`v_t \sim U(0, 1)`; channel 1 marks one step in the first
    half and one in the second half; the target is the sum of the two marked values,
    :math:`y = \sum_t m_t v_t`. Predicting the mean 1 gives :math:`\mathrm{MSE} = 2/12 \approx
    0.167`.

    Returns
    -------
    x : Tensor, shape (T, n, 2)
    y : Tensor, shape (n, 1)
    """
    check_positive_int("adding_problem n", n)
    check_positive_int("adding_problem T", T)
    if T < 2:
        raise ValueError(f"adding_problem T must be >= 2 (one marker per half), got {T}")
    rng = _rng(seed)
    v = rng.random((T, n), dtype=np.float32)
    m = np.zeros((T, n), dtype=np.float32)
    half = T // 2
    cols = np.arange(n)
    m[rng.integers(0, half, n), cols] = 1.0
    m[rng.integers(half, T, n), cols] = 1.0
    x = np.stack([v, m], axis=-1)
    y = (v * m).sum(0)[:, None]
    return torch.from_numpy(x), torch.from_numpy(y.astype(np.float32))


def load_mnist1d(
    *, seed: int | None = None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """MNIST-1D (Greydanus 2020) built offline: ``make_dataset(get_dataset_args())``.

    ``seed=None`` keeps the package's default (42, the published split: 4000 train / 1000 test
    sequences of length 40, 10 classes). Nothing is downloaded.

    Returns
    -------
    x_train : Tensor, shape (40, 4000, 1); y_train : Tensor, shape (4000,) int64
    x_test : Tensor, shape (40, 1000, 1); y_test : Tensor, shape (1000,) int64
    """
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    if seed is not None:
        args.seed = int(seed)
    data = make_dataset(args)

    def seq(a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.asarray(a, dtype=np.float32).T[:, :, None].copy())

    return (
        seq(data["x"]),
        torch.as_tensor(np.asarray(data["y"], dtype=np.int64)),
        seq(data["x_test"]),
        torch.as_tensor(np.asarray(data["y_test"], dtype=np.int64)),
    )
