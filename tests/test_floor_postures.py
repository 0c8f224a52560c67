"""Floor and all-fours bodies pass the person gate, the view logic and the camera model.

Half of a home exercise programme is done lying side-on to the camera (bridges,
planks, stretches) or on all fours (bird-dog). The stages after the pose model were
first written for upright bodies; these tests pin that a body rotated onto the
floor is still a person, still seen side-on, and that its hip and shoulder lines —
level whether the body stands or lies — still give the camera's elevation, so its
sagittal angles are corrected exactly as a standing body's are.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from synthetic_pose import body_points
from test_camera import RAW, _camera

from posture.camera import elevation_sample
from posture.landmarks import NUM_LANDMARKS, FramePose
from posture.landmarks import PoseLandmark as L
from posture.metrics import METRIC_INDEX, compute_metrics
from posture.person import PersonGate
from posture.view import ViewTracker

# Body postures as (body_points angles, pitch of the whole body about its left–right axis).
FLOOR = {
    "supine, knees bent (bridge start)": (dict(thigh=60.0, shin=30.0), -90.0),
    "supine, legs straight": (dict(), -90.0),
    "front plank": (dict(arm=90.0), 90.0),
    "all fours (bird-dog start)": (dict(thigh=90.0, shin=90.0, arm=90.0), 90.0),
}


def on_the_floor(angles: dict[str, float], pitch_deg: float) -> np.ndarray:
    """The posed body tipped forward (+) or back (−) about its hips, lowest point on the floor."""
    a = math.radians(pitch_deg)
    c, s = math.cos(a), math.sin(a)
    tip = np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])  # up (+Y) leans to forward (+X)
    body = body_points(**angles)
    pelvis = (body[L.LEFT_HIP] + body[L.RIGHT_HIP]) / 2
    out = (body - pelvis) @ tip.T + pelvis
    out[:, 1] -= out[:, 1].min() - 0.05
    return out


def seen(body: np.ndarray, yaw: float, elev: float, t: float = 0.0) -> FramePose:
    """The body from a camera ``yaw`` round (90 = its left side) and ``elev`` above."""
    basis, r, c_up, axis = _camera(yaw, elev)
    pts = body @ basis
    image = np.column_stack([320 + 200 * (pts @ r), 420 - 200 * (pts @ c_up), 200 * (pts @ axis)])
    rel = pts - (pts[L.LEFT_HIP] + pts[L.RIGHT_HIP]) / 2
    world = np.column_stack([rel @ r, -(rel @ c_up), rel @ axis])
    return FramePose(t, 640, 480, image, np.full(NUM_LANDMARKS, 0.99), world)


@pytest.mark.parametrize("name", sorted(FLOOR))
@pytest.mark.parametrize("yaw", [90.0, 60.0])
def test_a_body_on_the_floor_is_a_person_seen_from_the_side(name: str, yaw: float) -> None:
    body = on_the_floor(*FLOOR[name])
    gate, views = PersonGate(), ViewTracker()
    for k in range(20):
        pose = seen(body, yaw, 10.0, k / 15)
        gated = gate.update(pose, k / 15)
        view = views.update(pose, k / 15)
    assert gated.detected, gated.reason
    assert view.view == ("side_left" if yaw == 90.0 else "oblique")
    assert view.elevation_deg == pytest.approx(10.0, abs=1.0)
    assert not view.camera_too_high


@pytest.mark.parametrize("name", sorted(FLOOR))
@pytest.mark.parametrize("elev", [0.0, 25.0])
def test_lying_level_lines_read_the_camera_elevation(name: str, elev: float) -> None:
    sample = elevation_sample(seen(on_the_floor(*FLOOR[name]), 90.0, elev).world)
    assert sample.weight > 0.9
    assert sample.deg == pytest.approx(elev, abs=0.5)


@pytest.mark.parametrize("elev", [0.0, 25.0])
def test_lying_angles_are_the_posed_ones(elev: float) -> None:
    """Knee and hip angles do not care which way is up; the trunk reads horizontal."""
    body = on_the_floor(dict(thigh=60.0, shin=30.0), -90.0)  # knee angle 90, hip angle 120
    views = ViewTracker()
    for k in range(20):
        pose = seen(body, 90.0, elev, k / 15)
        view = views.update(pose, k / 15)
    values = compute_metrics(pose, view, RAW)
    assert values[METRIC_INDEX["knee_angle_deg"]] == pytest.approx(90.0, abs=1.0)
    assert values[METRIC_INDEX["hip_angle_deg"]] == pytest.approx(120.0, abs=1.0)
    assert values[METRIC_INDEX["trunk_inclination_deg"]] == pytest.approx(90.0, abs=1.0)


def test_a_body_seen_end_on_is_not_confirmed_as_a_side_view() -> None:
    """Lying with the head towards the lens: the torso collapses in the picture."""
    body = on_the_floor(*FLOOR["supine, legs straight"])
    gate, views = PersonGate(), ViewTracker()
    for k in range(20):
        pose = seen(body, 0.0, 0.0, k / 15)
        gated = gate.update(pose, k / 15)
        view = views.update(pose, k / 15)
    assert not (gated.detected and view.view in ("side_left", "side_right"))
