"""The exercise metrics (issue #11 contract): signs, limb choice, invariance, NaN passing."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from posture.geometry import rotate_2d
from posture.landmarks import NUM_LANDMARKS, FramePose
from posture.landmarks import PoseLandmark as L
from posture.metrics import METRIC_INDEX as IDX
from posture.metrics import MetricsConfig, compute_metrics, line_deviation, raise_angle
from posture.view import ViewState

SIDE = ViewState("side_left", "left", 90.0, False)
EXACT = MetricsConfig(landmark_offsets=False)
W, H = 1600, 1200
# Metrics measured against world vertical change when the picture turns; the others not.
ROTATION_FREE = ("front_knee_angle_deg",)
ROTATION_FREE_MAGNITUDE = ("body_line_deg", "bridge_line_deg")
AGAINST_VERTICAL = ("leg_raise_deg", "arm_raise_deg")


def pose(points: Mapping[L, tuple[float, float]]) -> FramePose:
    """A pose from image points; both sides share a point unless given apart."""
    img = np.full((NUM_LANDMARKS, 3), np.nan)
    img[:, 2] = 0.0
    for lm, (x, y) in points.items():
        img[int(lm)] = (x, y, 0.0)
    for lm in L:  # the far side defaults to the near side's point
        if np.isnan(img[int(lm), 0]) and lm.name.startswith("RIGHT_"):
            img[int(lm), :2] = img[int(L[lm.name.replace("RIGHT_", "LEFT_")]), :2]
    vis = np.where(np.isnan(img[:, 0]), 0.0, 0.99)
    return FramePose(0.0, W, H, np.nan_to_num(img, nan=W / 2), vis)


def plank(hip_dy: float) -> dict[L, tuple[float, float]]:
    """Side-on plank facing image +x, body level; ``hip_dy`` < 0 lifts the hips (image up)."""
    return {L.LEFT_SHOULDER: (1000, 600), L.LEFT_ELBOW: (1000, 680), L.LEFT_WRIST: (1080, 680),
            L.LEFT_HIP: (800, 600 + hip_dy), L.LEFT_KNEE: (700, 600), L.LEFT_ANKLE: (600, 600),
            L.LEFT_HEEL: (590, 590), L.LEFT_FOOT_INDEX: (610, 630), L.LEFT_EAR: (1060, 590),
            L.NOSE: (1080, 600)}


def split_stance(front_knee: float) -> dict[L, tuple[float, float]]:
    """Standing split stance facing +x: the left leg in front, its knee bent to ``front_knee``."""
    hip = np.array([800.0, 550.0])
    thigh, shin = 200.0, 200.0
    # front thigh forward-down, shin straight down at the requested knee angle
    a = math.radians(180.0 - front_knee)
    knee = hip + thigh * np.array([math.sin(a), math.cos(a)])
    ankle = knee + np.array([0.0, shin])
    back_ankle = hip + np.array([-250.0, 330.0])
    return {L.LEFT_SHOULDER: (800, 300), L.LEFT_HIP: tuple(hip), L.LEFT_KNEE: tuple(knee),
            L.LEFT_ANKLE: tuple(ankle), L.LEFT_HEEL: (ankle[0] - 20, ankle[1] + 10),
            L.LEFT_FOOT_INDEX: (ankle[0] + 50, ankle[1] + 15), L.LEFT_EAR: (810, 250),
            L.NOSE: (830, 255), L.LEFT_WRIST: (800, 530), L.LEFT_ELBOW: (800, 420),
            L.RIGHT_HIP: tuple(hip), L.RIGHT_KNEE: tuple((hip + back_ankle) / 2 + [0, 20]),
            L.RIGHT_ANKLE: tuple(back_ankle), L.RIGHT_HEEL: (back_ankle[0] - 20, back_ankle[1]),
            L.RIGHT_FOOT_INDEX: (back_ankle[0] + 40, back_ankle[1] + 15)}


def metrics(points: Mapping[L, tuple[float, float]], view: ViewState = SIDE) -> dict[str, float]:
    v = compute_metrics(pose(points), view, EXACT)
    return {k: float(v[i]) for k, i in IDX.items()}


def test_body_line_sign_pike_up_sag_down() -> None:
    straight, pike, sag = metrics(plank(0.0)), metrics(plank(-40.0)), metrics(plank(40.0))
    assert straight["body_line_deg"] == pytest.approx(0.0, abs=1e-6)
    expected = 2 * math.degrees(math.atan2(40.0, 200.0))  # deviation of the two halves
    assert pike["body_line_deg"] == pytest.approx(expected, abs=1e-6)
    assert sag["body_line_deg"] == pytest.approx(-expected, abs=1e-6)
    # The bridge line ends at the knee: same sign, its own magnitude.
    assert pike["bridge_line_deg"] > 0 > sag["bridge_line_deg"]


def test_limb_raises_pick_the_higher_limb_and_say_which() -> None:
    p = plank(0.0)
    p[L.RIGHT_SHOULDER] = p[L.LEFT_SHOULDER]
    p[L.RIGHT_WRIST] = (1000 + 150, 600 - 20)  # the right arm reaches forward, a little up
    p[L.RIGHT_HIP] = p[L.LEFT_HIP]
    p[L.RIGHT_ANKLE] = (800 - 200, 600 + 60)  # the right leg hangs lower than the left
    m = metrics(p)
    assert m["arm_raise_deg"] == pytest.approx(math.degrees(math.atan2(20, 150)), abs=1e-6)
    assert m["raised_arm_side"] == -1.0
    assert m["leg_raise_deg"] == pytest.approx(0.0, abs=1e-6)  # the left leg, level
    assert m["raised_leg_side"] == 1.0


def test_front_knee_is_the_leg_whose_ankle_is_ahead() -> None:
    m = metrics(split_stance(100.0))
    assert m["front_knee_angle_deg"] == pytest.approx(100.0, abs=1e-6)
    assert m["front_leg_side"] == 1.0
    # Mirror the picture (the person now faces −x, the right... still the left leg ahead).
    mirrored = {k: (W - x, y) for k, (x, y) in split_stance(100.0).items()}
    mm = metrics(mirrored, ViewState("side_right", "left", 90.0, False))
    assert mm["front_knee_angle_deg"] == pytest.approx(100.0, abs=1e-6)
    assert mm["front_leg_side"] == 1.0
    assert mm["front_shin_lean_deg"] == pytest.approx(0.0, abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(st.floats(-30, 30), st.floats(0.7, 1.3), st.floats(-60, 60), st.floats(-60, 60),
       st.floats(-35, 35), st.floats(80, 170))
def test_rotation_and_scale(deg: float, scale: float, dx: float, dy: float, hip_dy: float,
                            knee: float) -> None:
    centre = np.array([W / 2, H / 2])

    def moved(p: Mapping[L, tuple[float, float]], rot: float) -> dict[L, tuple[float, float]]:
        out = {}
        for k, xy in p.items():
            q = rotate_2d(np.asarray(xy, dtype=float), rot, centre)
            q = (q - centre) * scale + centre + [dx, dy]
            out[k] = (float(q[0]), float(q[1]))
        return out

    for base, seen in ((plank(hip_dy), "body_line_deg"),
                       (split_stance(knee), "front_knee_angle_deg")):
        ref = metrics(base)
        assert math.isfinite(ref[seen])
        scaled = metrics(moved(base, 0.0))
        turned = metrics(moved(base, deg))
        for name in (*ROTATION_FREE, *ROTATION_FREE_MAGNITUDE, *AGAINST_VERTICAL):
            if math.isnan(ref[name]):
                continue
            assert scaled[name] == pytest.approx(ref[name], abs=1e-6), name
            if name in ROTATION_FREE:
                assert turned[name] == pytest.approx(ref[name], abs=1e-6), name
            if name in ROTATION_FREE_MAGNITUDE:
                assert abs(turned[name]) == pytest.approx(abs(ref[name]), abs=1e-6), name


def test_raise_angle_follows_world_vertical() -> None:
    a, b = np.array([0.0, 0.0]), np.array([100.0, 0.0])
    assert raise_angle(a, b) == pytest.approx(0.0)
    turned = rotate_2d(b, -20.0)  # image y down: −20° turns the end upwards on screen
    assert raise_angle(a, turned) == pytest.approx(20.0, abs=1e-6)


def test_nan_in_nan_out() -> None:
    nan = np.array([np.nan, 1.0])
    assert math.isnan(line_deviation(np.zeros(2), nan, np.ones(2), 1.0))
    assert math.isnan(raise_angle(np.zeros(2), nan))
    # A limb point the camera cannot see (visibility 0) leaves the limb metrics NaN.
    p = plank(0.0)
    del p[L.LEFT_WRIST]
    m = metrics(p)
    assert math.isnan(m["arm_raise_deg"]) and math.isnan(m["raised_arm_side"])
    assert math.isfinite(m["body_line_deg"])
