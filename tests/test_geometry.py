"""Geometry kernel: known values, NaN propagation, invariance properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from posture.geometry import (
    angle_between,
    frontal_knee_projection,
    inclination,
    joint_angle,
    line_tilt,
    rotate_2d,
    signed_inclination,
)

finite = st.floats(-500, 500, allow_nan=False, allow_infinity=False)
point2 = st.tuples(finite, finite)


@pytest.mark.parametrize(
    ("u", "v", "expected"),
    [
        ((1, 0), (0, 1), 90.0),
        ((1, 0), (1, 0), 0.0),
        ((1, 0), (-1, 0), 180.0),
        ((1, 0), (1, 1), 45.0),
        ((1, 0, 0), (0, 0, 1), 90.0),
        ((1, 1, 0), (1, 1, 1e-9), 0.0),
    ],
)
def test_angle_between_known_values(u, v, expected):
    assert angle_between(u, v) == pytest.approx(expected, abs=1e-6)


def test_angle_between_is_vectorised_over_leading_axes():
    u = np.array([[[1.0, 0.0]] * 3] * 2)  # (2, 3, 2)
    v = np.array([[[0.0, 1.0]] * 3] * 2)
    out = angle_between(u, v)
    assert out.shape == (2, 3)
    assert np.allclose(out, 90.0)


def test_nan_in_nan_out_and_zero_length_is_nan():
    assert math.isnan(float(angle_between((np.nan, 1.0), (1.0, 0.0))))
    assert math.isnan(float(joint_angle((0, 0), (np.nan, 0), (1, 1))))
    assert math.isnan(float(angle_between((0.0, 0.0), (1.0, 0.0))))
    assert math.isnan(float(inclination((0, 0), (0, 0))))
    out = angle_between(np.array([[1.0, 0.0], [np.nan, 0.0]]), np.array([1.0, 1.0]))
    assert out[0] == pytest.approx(45.0) and math.isnan(out[1])


def test_rejects_vectors_of_other_dimension():
    with pytest.raises(ValueError, match="2 or 3"):
        angle_between((1, 0, 0, 0), (0, 1, 0, 0))


@settings(max_examples=200)
@given(point2, point2, point2, st.floats(-180, 180), st.floats(0.05, 20), st.tuples(finite, finite))
def test_joint_angle_invariant_to_rotation_scale_translation(a, b, c, rot, scale, shift):
    pts = np.array([a, b, c], dtype=float)
    if min(np.linalg.norm(pts[0] - pts[1]), np.linalg.norm(pts[2] - pts[1])) < 1e-3:
        return  # degenerate joints are NaN by design, tested elsewhere
    before = joint_angle(*pts)
    moved = rotate_2d(pts, rot) * scale + np.array(shift)
    assert joint_angle(*moved) == pytest.approx(before, abs=1e-6)


@settings(max_examples=100)
@given(st.lists(st.floats(-1, 1), min_size=9, max_size=9), st.floats(0.1, 10))
def test_3d_angle_invariant_to_rotation(vals, scale):
    pts = np.array(vals).reshape(3, 3)
    if min(np.linalg.norm(pts[0] - pts[1]), np.linalg.norm(pts[2] - pts[1])) < 1e-3:
        return
    q = np.linalg.qr(np.array([[1.0, 2, 3], [0, 1, 4], [5, 6, 0]]))[0]  # an orthonormal matrix
    assert joint_angle(*(pts @ q.T * scale)) == pytest.approx(joint_angle(*pts), abs=1e-6)


@settings(max_examples=100)
@given(point2, st.floats(0, 179), st.floats(1, 300), st.floats(0.1, 10))
def test_inclination_is_scale_and_translation_invariant(start, deg, length, scale):
    rad = math.radians(deg)
    lower = np.array(start)
    upper = lower + length * np.array([math.sin(rad), -math.cos(rad)])  # y grows downwards
    assert inclination(lower, upper) == pytest.approx(deg, abs=1e-6)
    assert inclination(lower * scale + 7, upper * scale + 7) == pytest.approx(deg, abs=1e-6)


def test_signed_inclination_follows_facing_direction():
    hip, shoulder = np.array([0.0, 0.0]), np.array([10.0, -10.0])  # leaning towards +x
    assert signed_inclination(hip, shoulder, +1) == pytest.approx(45.0)
    assert signed_inclination(hip, shoulder, -1) == pytest.approx(-45.0)


def test_line_tilt_sign_and_direction_free():
    assert line_tilt((10, 0), (0, 0)) == pytest.approx(0.0)
    assert line_tilt((10, -10), (0, 0)) == pytest.approx(45.0)  # left point higher
    assert line_tilt((-10, -10), (0, 0)) == pytest.approx(45.0)  # mirrored: same tilt


def test_frontal_knee_projection_sign():
    # Left leg of a person facing the camera is at image +x; the midline is towards -x.
    hip, ankle = np.array([100.0, 0.0]), np.array([100.0, 200.0])
    caved = np.array([90.0, 100.0])  # knee towards the midline: valgus
    bowed = np.array([110.0, 100.0])
    assert frontal_knee_projection(hip, caved, ankle, medial_sign=-1) > 5
    assert frontal_knee_projection(hip, bowed, ankle, medial_sign=-1) < -5
    straight = np.array([100.0, 100.0])
    assert frontal_knee_projection(hip, straight, ankle, -1) == pytest.approx(0.0, abs=1e-9)
