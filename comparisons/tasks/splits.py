"""Seeded stratified splits of a fixed pool of labelled samples (train / validation / test).

Fixed datasets (:mod:`~comparisons.tasks.seq_digits`, :mod:`~comparisons.tasks.mnist1d_task`)
pool their samples and draw a new stratified split from each run's seed, so that a seed
resamples the data as it does for the generated tasks. The split sizes are exact and every
class is shared out in proportion: class ``c`` (``n_c`` samples, pool size ``N``) puts
``n_c * size_s / N`` samples into split ``s``, rounded up or down — within one sample of its
exact share in every split (a controlled rounding of the class x split table, which exists
because the table's row and column sums are integers; Bacharach 1966).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from comparisons.validation import check_int


def stratified_counts(class_counts: Sequence[int], sizes: Sequence[int]) -> np.ndarray:
    r"""Samples of each class in each split: an integer table with exact margins.

    .. math:: q_{cs} = n_c \frac{m_s}{N}, \qquad k_{cs} \in \{\lfloor q_{cs} \rfloor,
        \lceil q_{cs} \rceil\}, \qquad \sum_s k_{cs} = n_c, \quad \sum_c k_{cs} = m_s.

    The floors are taken first; the samples still to place (at most ``n_splits - 1`` per
    class) go one per split, each class in turn giving its next sample to the split that
    still lacks the most (Ryser's construction of a 0/1 matrix with given margins; it
    succeeds whenever such a matrix exists, which the fractional table guarantees).

    Parameters
    ----------
    class_counts : sequence of int, shape (C,)
        Samples per class, ``n_c >= 0``.
    sizes : sequence of int, shape (S,)
        Split sizes ``m_s >= 0`` summing to ``N = sum(class_counts)``.

    Returns
    -------
    ndarray of int64, shape (C, S)
    """
    n_c = np.array([check_int("class_counts[i]", int(v), low=0) for v in class_counts],
                   dtype=np.int64)
    m_s = np.array([check_int("sizes[i]", int(v), low=0) for v in sizes], dtype=np.int64)
    total = int(n_c.sum())
    if int(m_s.sum()) != total:
        raise ValueError(f"sizes must sum to the pool size {total}, got {m_s.tolist()} "
                         f"(sum {int(m_s.sum())})")
    if total == 0:
        return np.zeros((n_c.size, m_s.size), dtype=np.int64)
    num = n_c[:, None] * m_s[None, :]  # exact integer quotas times N
    k = num // total
    rem = num % total
    row_left = n_c - k.sum(axis=1)
    col_left = m_s - k.sum(axis=0)
    for c in range(n_c.size):
        for _ in range(int(row_left[c])):
            # the split lacking the most; among equals, the larger remainder
            free = np.flatnonzero((col_left > 0) & (k[c] * total <= num[c]))
            s = free[np.lexsort((-rem[c, free], -col_left[free]))[0]]
            k[c, s] += 1
            col_left[s] -= 1
    return k


def stratified_split(
    labels: np.ndarray, sizes: Sequence[int], rng: np.random.Generator
) -> tuple[np.ndarray, ...]:
    """Disjoint index arrays, one per split, stratified by ``labels`` (sizes exact).

    Each class's samples are shuffled by ``rng`` and dealt out according to
    :func:`stratified_counts`; each split's indices are then shuffled (classes mixed).

    Parameters
    ----------
    labels : ndarray of int, shape (N,)
        Class of each pooled sample.
    sizes : sequence of int
        Samples per split, summing to ``N``.
    rng : numpy Generator

    Returns
    -------
    tuple of ndarray of int64
        Indices into ``labels``; together they cover ``0..N-1`` exactly once.
    """
    labels = np.asarray(labels)
    classes, inverse = np.unique(labels, return_inverse=True)
    counts = stratified_counts(np.bincount(inverse, minlength=classes.size), sizes)
    parts: list[list[np.ndarray]] = [[] for _ in sizes]
    for c in range(classes.size):
        idx = rng.permutation(np.flatnonzero(inverse == c))
        edges = np.concatenate([[0], np.cumsum(counts[c])])
        for s in range(len(sizes)):
            parts[s].append(idx[edges[s]:edges[s + 1]])
    return tuple(rng.permutation(np.concatenate(p)).astype(np.int64) for p in parts)


__all__ = ["stratified_counts", "stratified_split"]
