"""The facing-away cue (issue #10): a person filmed from behind-oblique is flagged,
one facing the camera or side-on is not, and one stray frame does not flip it."""

from __future__ import annotations

import numpy as np

from posture.landmarks import NUM_LANDMARKS, FramePose
from posture.landmarks import PoseLandmark as L
from posture.view import ViewConfig, ViewTracker, faces_away


def _pose(t: float, nose_behind_m: float, hips_reversed: bool) -> FramePose:
    """A standing body; world z grows away from the camera, x to the picture's right."""
    world = np.zeros((NUM_LANDMARKS, 3))
    sign = -1.0 if hips_reversed else 1.0
    world[L.LEFT_HIP] = (0.1 * sign, 0.0, 0.02)
    world[L.RIGHT_HIP] = (-0.1 * sign, 0.0, -0.02)
    world[L.LEFT_SHOULDER] = (0.15 * sign, -0.5, 0.02)
    world[L.RIGHT_SHOULDER] = (-0.15 * sign, -0.5, -0.02)
    world[L.LEFT_EAR] = (0.07 * sign, -0.65, 0.0)
    world[L.RIGHT_EAR] = (-0.07 * sign, -0.65, 0.0)
    world[L.NOSE] = (0.0, -0.66, nose_behind_m)
    image = np.column_stack([world[:, 0] * 500 + 320, world[:, 1] * 500 + 400, world[:, 2] * 500])
    return FramePose(t, 640, 480, image, np.ones(NUM_LANDMARKS), world)


def test_faces_away_needs_both_cues() -> None:
    assert faces_away(_pose(0, 0.06, hips_reversed=True))
    assert not faces_away(_pose(0, -0.08, hips_reversed=False))  # facing the camera
    assert not faces_away(_pose(0, 0.06, hips_reversed=False))  # hips say facing
    assert not faces_away(_pose(0, 0.005, hips_reversed=True))  # side-on: nose level with ears
    assert not faces_away(FramePose(0, 640, 480, np.zeros((NUM_LANDMARKS, 3)),
                                    np.ones(NUM_LANDMARKS), None))


def test_tracker_flags_rear_after_dwell_and_ignores_a_stray_frame() -> None:
    tracker = ViewTracker(ViewConfig(dwell_s=0.3))
    states = [tracker.update(_pose(i / 30, 0.06, True), i / 30) for i in range(30)]
    assert not states[0].rear  # not before the dwell
    assert states[-1].rear
    # One facing-camera frame does not clear it; a sustained turn does.
    assert tracker.update(_pose(1.0, -0.08, False), 1.0).rear
    assert tracker.update(_pose(1.033, 0.06, True), 1.033).rear
    states = [tracker.update(_pose(1.1 + i / 30, -0.08, False), 1.1 + i / 30) for i in range(20)]
    assert not states[-1].rear
    tracker.reset()
    assert not tracker.state.rear
