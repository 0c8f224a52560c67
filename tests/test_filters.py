"""Smoothing: causal One Euro for live use, zero-lag for reports; gaps are not smeared."""

from __future__ import annotations

import numpy as np
import pytest

from posture.filters import OneEuroFilter, zero_lag_smooth


def test_one_euro_passes_a_constant_and_reduces_jitter():
    rng = np.random.default_rng(0)
    f = OneEuroFilter(min_cutoff=1.0, beta=0.0)
    t = np.arange(300) / 30.0
    noisy = 30.0 + rng.normal(0, 2.0, size=t.size)
    out = np.array([f.update([v], ti)[0] for v, ti in zip(noisy, t, strict=True)])
    assert abs(out[100:].mean() - 30.0) < 0.5
    assert out[100:].std() < noisy[100:].std() / 2


def test_one_euro_is_causal():
    """The output at t never depends on samples after t."""
    a, b = OneEuroFilter(), OneEuroFilter()
    xs = np.linspace(0, 50, 40)
    for i, x in enumerate(xs[:20]):
        assert a.update([x], i / 30)[0] == b.update([x], i / 30)[0]
    later_a = a.update([1000.0], 20 / 30)[0]
    later_b = b.update([xs[20]], 20 / 30)[0]
    assert later_a != later_b  # only now do they differ


def test_one_euro_nan_channel_stays_nan_and_restarts_fresh():
    f = OneEuroFilter()
    f.update([10.0, 10.0], 0.0)
    out = f.update([np.nan, 12.0], 0.033)
    assert np.isnan(out[0]) and np.isfinite(out[1])
    restarted = f.update([50.0, 12.0], 0.066)
    assert restarted[0] == pytest.approx(50.0)  # no memory of the value before the gap


def test_one_euro_long_time_gap_resets():
    f = OneEuroFilter(max_gap_s=0.5)
    for i in range(10):
        f.update([0.0], i / 30)
    assert f.update([40.0], 5.0)[0] == pytest.approx(40.0)


def test_zero_lag_has_no_phase_shift():
    fps = 30.0
    t = np.arange(0, 6, 1 / fps)
    slow = 20 * np.sin(2 * np.pi * 0.5 * t)
    noisy = slow + np.random.default_rng(1).normal(0, 1.5, t.size)
    out = zero_lag_smooth(noisy, fps, cutoff_hz=3.0)
    lag = np.argmax(np.correlate(out - out.mean(), slow - slow.mean(), "full")) - (t.size - 1)
    assert lag == 0
    assert np.abs(out - slow)[20:-20].mean() < np.abs(noisy - slow)[20:-20].mean()


def test_zero_lag_keeps_gaps_and_does_not_smear_across_them():
    x = np.concatenate([np.full(40, 10.0), np.full(5, np.nan), np.full(40, 80.0)])
    out = zero_lag_smooth(x, 30.0)
    assert np.isnan(out[40:45]).all()
    assert np.allclose(out[:40], 10.0, atol=1e-6)
    assert np.allclose(out[45:], 80.0, atol=1e-6)


def test_zero_lag_2d_columns_and_short_runs_untouched():
    x = np.column_stack([np.arange(50.0), np.r_[np.full(45, np.nan), np.arange(5.0)]])
    out = zero_lag_smooth(x, 30.0)
    assert out.shape == x.shape
    assert np.array_equal(out[45:, 1], x[45:, 1])  # too short for the filter: as measured


def test_zero_lag_low_frame_rate_is_a_no_op():
    x = np.random.default_rng(2).normal(size=30)
    assert np.array_equal(zero_lag_smooth(x, fps=10.0, cutoff_hz=6.0), x)
