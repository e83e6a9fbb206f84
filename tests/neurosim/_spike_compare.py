"""Shared assertion of the Brian2 cross-checks: two spike trains are the same spikes."""

from __future__ import annotations

import numpy as np


def assert_same_spikes(i, t, ref_i, ref_t, dt: float, within: float, strict: bool = True
                       ) -> None:
    """The same neurons spike, in the same order, each within ``within`` seconds of the
    reference (``< within`` when ``strict``, else ``<=``). The reference is sorted by its
    time rounded to the step ``dt`` (its times carry float error), ours by time."""
    order = np.lexsort((i, t))
    border = np.lexsort((ref_i, np.round(ref_t / dt)))
    np.testing.assert_array_equal(i[order], ref_i[border])
    shift = np.max(np.abs(t[order] - ref_t[border]))
    assert shift < within if strict else shift <= within, shift
