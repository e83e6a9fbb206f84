"""Adaptive threshold (exact decay + jumps) and column normalisation (dense, sparse, torch)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from neurosim.plasticity import AdaptiveThresholdParams, adaptive_threshold_step, normalize_columns
from neurosim.plasticity.homeostasis import NormalizationParams
from neurosim.units import ms, mV


def test_adaptive_threshold_matches_closed_form():
    p = AdaptiveThresholdParams(delta_theta=0.05 * mV, tau_theta=50 * ms)
    dt = 0.5 * ms
    rng = np.random.default_rng(0)
    spikes = rng.random((2000, 3, 4)) < 0.02
    theta = np.zeros((3, 4))
    for s in spikes:
        theta = adaptive_threshold_step(theta, s, p, dt)
    # closed form: sum over spikes of delta * exp(-(T - t_k) / tau), spikes added at step end
    k = np.arange(2000)[:, None, None]
    expect = (spikes * p.delta_theta * np.exp(-(1999 - k) * dt / p.tau_theta)).sum(0)
    np.testing.assert_allclose(theta, expect, rtol=1e-10, atol=1e-18)
    # torch gives the same
    th = torch.zeros(3, 4, dtype=torch.float64)
    for s in spikes:
        th = adaptive_threshold_step(th, torch.tensor(s), p, dt)
    np.testing.assert_allclose(th.numpy(), theta, rtol=1e-12, atol=0)


def test_adaptive_threshold_rises_with_rate_and_decays():
    p = AdaptiveThresholdParams()
    th = adaptive_threshold_step(np.zeros(2), np.array([True, False]), p, 0.5 * ms)
    assert th[0] == pytest.approx(0.05 * mV) and th[1] == 0.0


def test_normalize_columns_dense_sparse_torch():
    rng = np.random.default_rng(1)
    w = rng.random((2, 30, 7))
    w[1, :, 3] = 0.0                                      # an all-zero column stays zero
    out = normalize_columns(w, 5.0)
    sums = out.sum(1)
    np.testing.assert_allclose(np.delete(sums[1], 3), 5.0, rtol=1e-12)
    np.testing.assert_allclose(sums[0], 5.0, rtol=1e-12)
    assert np.all(out[1, :, 3] == 0)
    # ratios inside a column are kept
    np.testing.assert_allclose(out[0, :, 0] / out[0, 0, 0], w[0, :, 0] / w[0, 0, 0])
    # sparse layout (B, n_syn) with post indices
    i, j = np.nonzero(np.ones((30, 7)))
    sp = normalize_columns(w.reshape(2, -1), 5.0, post_idx=j, n_post=7)
    np.testing.assert_allclose(sp.reshape(2, 30, 7), out, rtol=1e-12)
    tt = normalize_columns(torch.tensor(w), 5.0)
    np.testing.assert_allclose(tt.numpy(), out, rtol=1e-12)
    assert not np.allclose(w, out)                        # input not modified (was copied)


@pytest.mark.parametrize("kw, err, msg", [
    ({"delta_theta": -1e-4}, ValueError, r"AdaptiveThresholdParams.delta_theta must be >= 0, "
                                         r"got -0.0001"),
    ({"delta_theta": 0.5}, ValueError, r"delta_theta=0.5 V looks like millivolts"),
    ({"tau_theta": 0.0}, ValueError, r"AdaptiveThresholdParams.tau_theta must be > 0, got 0"),
    ({"tau_theta": "1"}, TypeError, r"tau_theta must be a real number, got str"),
])
def test_bad_threshold_params(kw, err, msg):
    with pytest.raises(err, match=msg):
        AdaptiveThresholdParams(**kw)


def test_bad_normalization():
    with pytest.raises(ValueError, match="NormalizationParams.total must be > 0, got -1"):
        NormalizationParams(total=-1.0)
    with pytest.raises(ValueError, match="normalize_columns: total must be > 0"):
        normalize_columns(np.ones((2, 2)), 0.0)
    with pytest.raises(ValueError, match="n_post is required"):
        normalize_columns(np.ones((1, 4)), 1.0, post_idx=np.arange(4))
