"""A camera looking down steeply and a single photo: counted and judged honestly (issue #10).

- Steep camera: no sagittal angle may be judged (``ViewState.camera_too_high``), but
  the lift is still counted, from the 3-D joint angles, and its checks say why they
  were not judged.
- A photo is one moment: its rules judge it without waiting for persistence, and
  the score is that moment's status.
"""

from __future__ import annotations

import dataclasses

import pytest
from scripted import SITTING_UPRIGHT, STANDING, frame, script
from synthetic_pose import make_pose

from posture.activities.reps import DepthSignal, RepCounter, bend3_deg, bend_deg
from posture.assess import Assessor
from posture.metrics import METRIC_INDEX, FrameMetrics, MetricsConfig, compute_metrics
from posture.view import ViewState

STEEP = 55.0  # degrees the camera looks down: beyond posture.view.MAX_CORRECTABLE_DEG

# Floor-lift set-up and standing, as MediaPipe's 3-D angles would read them.
SETUP3 = {"hip_angle_3d_deg": 80.0, "knee_angle_3d_deg": 115.0}
STAND3 = {"hip_angle_3d_deg": 175.0, "knee_angle_3d_deg": 178.0}
RISE3 = {k: (v, STAND3[k]) for k, v in SETUP3.items()}
LOWER3 = {k: (STAND3[k], v) for k, v in SETUP3.items()}


def steep(frames: list[FrameMetrics], elevation: float = STEEP) -> list[FrameMetrics]:
    return [dataclasses.replace(m, view=dataclasses.replace(m.view, elevation_deg=elevation))
            for m in frames]


def count(frames: list[FrameMetrics]) -> int:
    ds, rc = DepthSignal(), RepCounter()
    n = sum(rc.update(ds.update(m), m.t).completed is not None for m in frames)
    return n + (rc.flush() is not None)


def test_3d_leg_angles_are_computed_in_every_view_and_match_the_posed_body():
    for yaw in (0.0, 45.0, 90.0, 180.0):
        pose = make_pose(yaw=yaw, trunk_lean=40.0, thigh=70.0, shin=30.0)
        view = ViewState("side_left", "left", 90.0, False)
        v = compute_metrics(pose, view, MetricsConfig(landmark_offsets=False))  # ideal joints
        # Hip: between the trunk (40° forward of vertical) and the thigh (70° forward of
        # straight down) = 180 − 40 − 70; knee: thigh vs shin = 180 − 70 − 30.
        assert v[METRIC_INDEX["hip_angle_3d_deg"]] == pytest.approx(70.0, abs=3.0)
        assert v[METRIC_INDEX["knee_angle_3d_deg"]] == pytest.approx(80.0, abs=3.0)


def test_steep_camera_withholds_sagittal_angles_but_the_lift_is_counted():
    frames = steep(script([(1.0, SETUP3), (0.8, RISE3), (0.6, STAND3), (0.8, LOWER3),
                           (0.5, SETUP3)]))
    assert all(m.view.camera_too_high for m in frames)
    assert all(bend_deg(m) != bend_deg(m) for m in frames)  # NaN: no 2-D sagittal angles
    assert bend3_deg(frames[0]) == pytest.approx(100.0, abs=1.0)
    assert count(frames) == 1


def test_level_camera_does_not_count_from_the_3d_angles():
    """Where the 2-D sagittal angles are withheld for another reason (a landmark not
    usable), the 3-D angles do not stand in: only a camera too high calls for them."""
    frames = script([(1.0, SETUP3), (0.8, RISE3), (0.6, STAND3), (0.8, LOWER3), (0.5, SETUP3)])
    assert count(frames) == 0


def test_assessor_counts_a_steep_camera_lift_and_says_why_it_is_not_judged():
    frames = steep(script([(1.0, SETUP3), (0.8, RISE3), (0.6, STAND3), (0.8, LOWER3),
                           (0.5, SETUP3)], base={"body_height_px": 300.0}))
    a = Assessor("lifting")
    for m in frames:
        a.update(m)
    s = a.finish()
    assert len(s.reps) == 1
    rep = s.reps[0]
    assert rep.verdict == "not_judged" and rep.score is None
    assert rep.not_judged and all("camera" in c.reason for c in rep.not_judged)
    assert s.summary["score"] is None


def still(values: dict[str, float], activity: str = "sitting") -> Assessor:
    a = Assessor(activity, still=True)
    a.update(frame(0.0, values))
    return a


def test_a_photo_of_a_slouch_is_judged_at_once():
    s = still({**SITTING_UPRIGHT, "trunk_lean_deg": 30.0, "trunk_inclination_deg": 30.0}).finish()
    assert {e.category for e in s.events} == {"slouched_trunk"}
    assert s.events[0].severity == "poor"
    assert s.summary["score"] == 0
    assert "photo" in s.summary["score_basis"]


def test_a_photo_of_good_sitting_scores_100_and_any_fault_0():
    assert still(dict(SITTING_UPRIGHT)).finish().summary["score"] == 100
    caution = {**SITTING_UPRIGHT, "trunk_lean_deg": 15.0, "trunk_inclination_deg": 15.0}
    s = still(caution).finish()
    assert s.summary["score"] == 0  # time in good posture: a caution is not good posture
    assert [e.severity for e in s.events] == ["caution"]


def test_a_photo_without_the_essential_angles_has_no_score():
    front = {"shoulder_tilt_deg": 1.0, "trunk_lateral_tilt_deg": 1.0, "head_tilt_deg": 1.0}
    a = Assessor("sitting", still=True)
    a.update(frame(0.0, front, view="front"))
    s = a.finish()
    assert s.summary["score"] is None
    assert s.summary["score_basis"].startswith("not judged")


def test_a_video_still_needs_persistence():
    """Without ``still``, one frame of a slouch is not an event (a blink of a posture)."""
    a = Assessor("sitting")
    a.update(frame(0.0, {**SITTING_UPRIGHT, "trunk_lean_deg": 30.0}))
    assert a.finish().events == ()


def test_standing_video_frames_unaffected_by_3d_metrics():
    frames = script([(3.0, STANDING)])
    assert count(frames) == 0


def test_a_lift_tip_waits_for_the_screen_instead_of_being_lost():
    """Lifts every ~3 s: a finished lift's tip arriving while another cue shows is shown
    once the screen is free (within its wait), and a newer lift's tip replaces it."""
    from posture.rules.cues import CueRequest, CueScheduler

    sched = CueScheduler(display_s=3.0, min_gap_s=1.0)
    posture_cue = CueRequest("lifting.rounded_back", "Chest up", "poor", 0, 4.0)
    lift1 = CueRequest("rep", "Bend your knees", "poor", -1, 0.0, wait_s=4.0)
    lift2 = CueRequest("rep", "Heels down", "caution", -1, 0.0, wait_s=4.0)
    assert sched.update([posture_cue], 0.0).text == "Chest up"
    assert sched.update([lift1], 1.0).text == "Chest up"  # still on screen
    shown = [sched.update([], t / 10) for t in range(11, 45)]
    first = next(s for s in shown if s is not None and s.new)
    assert first.text == "Bend your knees"
    assert sched.update([lift2], 5.0).text == "Bend your knees"
    later = [sched.update([], t / 10) for t in range(51, 100)]
    assert [s.text for s in later if s is not None and s.new] == ["Heels down"]
    # A one-frame request (wait 0) is still dropped when the screen is busy.
    sched2 = CueScheduler()
    sched2.update([posture_cue], 0.0)
    sched2.update([CueRequest("x", "gone", "poor", 1, 0.0)], 1.0)
    assert all(s is None or s.text != "gone" for s in (sched2.update([], t) for t in (4.5, 5.0)))


def test_a_waiting_lift_tip_is_dropped_when_a_newer_lift_ends():
    from posture.rules.cues import CueRequest, CueScheduler

    sched = CueScheduler(display_s=3.0, min_gap_s=1.0)
    sched.update([CueRequest("lifting.rounded_back", "Chest up", "poor", 0, 4.0)], 0.0)
    sched.update([CueRequest("rep", "Lift 1 tip", "poor", -1, 0.0, wait_s=4.0)], 1.0)
    sched.cancel("rep")  # lift 2 ended, good: lift 1's tip would now be out of date
    later = [sched.update([], t / 10) for t in range(11, 60)]
    assert all(s is None or s.text != "Lift 1 tip" for s in later)
