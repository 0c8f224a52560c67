"""Confidence: expected angle error and the chance a reported band is right."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from posture.confidence import (
    angle_confidence,
    angle_sigma,
    band_confidence,
    metric_sigma,
    rep_confidence,
)
from posture.rules.model import Bands

HIGH = Bands("high", 60.0, 75.0)


def test_a_value_at_a_threshold_is_a_coin_flip_and_far_from_it_is_sure() -> None:
    assert band_confidence(HIGH, 60.0, "caution", 5.0) < 0.51
    assert band_confidence(HIGH, 59.999, "ok", 5.0) > 0.49
    assert band_confidence(HIGH, 20.0, "ok", 5.0) > 0.999
    assert band_confidence(HIGH, 95.0, "poor", 5.0) > 0.99
    # A caution band 15° wide with a 10° error can never be very sure.
    assert band_confidence(HIGH, 67.5, "caution", 10.0) < 0.6


@given(st.floats(-50, 150), st.floats(0.5, 30.0))
def test_the_three_bands_share_all_the_probability(v: float, sigma: float) -> None:
    total = sum(band_confidence(HIGH, v, lv, sigma) for lv in ("ok", "caution", "poor"))
    assert math.isclose(total, 1.0, abs_tol=1e-9)


def test_low_direction_mirrors_high() -> None:
    low = Bands("low", -0.25, -0.5)
    assert band_confidence(low, 0.2, "ok", 0.15) > 0.99
    assert band_confidence(low, -0.25, "caution", 0.15) < 0.51


def test_angle_confidence_falls_with_error_view_and_visibility() -> None:
    side = angle_sigma("trunk_inclination_deg", "side_left")
    oblique = angle_sigma("trunk_inclination_deg", "oblique")
    dim = angle_sigma("trunk_inclination_deg", "side_left", visibility=0.5)
    assert side < oblique and side < dim
    assert angle_confidence(side) > angle_confidence(oblique) > 0
    assert math.isnan(angle_sigma("trunk_inclination_deg", "front"))  # no sagittal angle
    assert math.isnan(angle_confidence(math.nan))
    assert math.isnan(metric_sigma("no_such_metric", "side_left"))


def test_stoop_squat_index_error_is_propagated_from_its_angles() -> None:
    m = {"peak_trunk_inclination_deg": 80.0, "min_knee_angle_deg": 160.0}
    s = metric_sigma("stoop_squat_index", "side_left", m)
    assert 1.0 < s < 30.0
    assert math.isnan(metric_sigma("stoop_squat_index", "front", m))


def test_rep_confidence_is_its_least_certain_essential_check() -> None:
    assert rep_confidence([(True, 0.9), (True, 0.6), (False, 0.2)]) == 0.6
    assert rep_confidence([(False, 0.7), (False, 0.8)]) == 0.7
    assert rep_confidence([(True, math.nan)]) is None
