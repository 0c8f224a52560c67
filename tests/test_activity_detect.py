"""Automatic activity detection on scripted landmarks: squats and lifts are not standing,
lying down is none of sitting / standing / lifting, standing and sitting stay themselves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from scripted import SITTING_UPRIGHT, STANDING, Value, script

from posture.activities.detect import OTHER, ActivityDetector
from posture.activities.reps import DepthSignal, RepCounter
from posture.assess import Assessor, SessionResult
from posture.metrics import FrameMetrics

FPS = 25.0
Steps = list[tuple[float, Mapping[str, Value]]]


def detect(frames: Sequence[FrameMetrics], report_other: bool = True) -> list[str | None]:
    """The detector fed as the assessor feeds it (the rep counter's completed reps)."""
    det = ActivityDetector(report_other=report_other)
    depth, counter = DepthSignal(), RepCounter()
    out = []
    for m in frames:
        tick = counter.update(depth.update(m), m.t)
        out.append(det.update(m, tick.completed is not None, m.t))
    return out


def assess(frames: Sequence[FrameMetrics]) -> SessionResult:
    a = Assessor("auto")
    for m in frames:
        a.update(m)
    return a.finish()


def bend(bottom: Mapping[str, float], down_s: float = 0.6, hold_s: float = 0.3,
         up_s: float = 0.6, start: Mapping[str, Value] = STANDING
         ) -> Steps:
    """Steps from ``start`` down to ``bottom``, held, and back up."""
    down = {k: (float(start[k]), v) for k, v in bottom.items()}  # type: ignore[arg-type]
    up = {k: (v, float(start[k])) for k, v in bottom.items()}  # type: ignore[arg-type]
    return [(down_s, down), (hold_s, dict(bottom)), (up_s, up)]


# A parallel bodyweight squat from the side: hips and knees well bent, thighs past level,
# trunk ~25° forward, shins forward over the toes.
SQUAT_BOTTOM = {"hip_angle_deg": 60.0, "knee_angle_deg": 60.0, "thigh_inclination_deg": 100.0,
                "trunk_inclination_deg": 28.0, "trunk_lean_deg": 28.0, "shin_lean_deg": 25.0,
                "squat_depth_ratio": 0.2, "wrist_height_ratio": 0.4}

# Lying on the back on a table, side view: trunk and thighs level, knees straight.
SUPINE = {**STANDING, "trunk_inclination_deg": 88.0, "trunk_lean_deg": -88.0,
          "thigh_inclination_deg": 94.0, "knee_angle_deg": 169.0, "hip_angle_deg": 173.0,
          "shin_lean_deg": -84.0, "squat_depth_ratio": 0.07, "wrist_height_ratio": -0.03}
HEEL_SLIDE = {"thigh_inclination_deg": 160.0, "knee_angle_deg": 45.0, "hip_angle_deg": 110.0,
              "shin_lean_deg": -25.0}


# ------------------------------------------------------------------ squats and lifts
def test_short_squat_clip_is_lifting_not_standing():
    """A 2 s clip: a moment of standing, one squat, and the clip ends as he is back up
    (too late for the rep counter's finish line: the dip is what shows the lift)."""
    frames = script([(0.3, {}), *bend(SQUAT_BOTTOM, 0.6, 0.3, 0.7)], fps=FPS, base=STANDING)
    acts = detect(frames)
    assert "lifting" in acts and "standing" not in acts, set(acts)
    res = assess(frames)
    assert res.activity == "lifting"
    assert [s["activity"] for s in res.summary["activity_segments"]] == ["lifting"]


def test_squats_after_standing_are_lifting():
    """A 10 s cut: standing, then three squats: lifting, each rep counted."""
    steps: Steps = [(1.5, {})]
    for _ in range(3):
        steps += [*bend(SQUAT_BOTTOM, 0.8, 0.4, 0.8), (0.8, {})]
    frames = script(steps, fps=FPS, base=STANDING)
    res = assess(frames)
    assert res.activity == "lifting"
    assert len(res.reps) == 3


def test_front_view_squat_is_lifting_from_body_shrink_with_3d_bend():
    """Front view: no sagittal angles, the body's 2-D length shrinks and MediaPipe's 3-D
    hips and knees bend."""
    front: dict[str, Value] = {"body_height_px": 320.0, "hip_angle_3d_deg": 165.0,
                               "knee_angle_3d_deg": 165.0, "view": "front"}
    bottom = {"body_height_px": 230.0, "hip_angle_3d_deg": 80.0, "knee_angle_3d_deg": 95.0}
    frames = script([(0.3, {}), *bend(bottom, 0.6, 0.3, 0.7, start=front)], fps=FPS,
                    base=front)
    assert "lifting" in detect(frames)


def test_front_view_shrink_without_a_3d_bend_is_not_a_lift():
    """The 2-D length jumping (e.g. the legs entering the frame changes its estimate)
    while the 3-D hips and knees stay straight is not a squat."""
    front: dict[str, Value] = {"body_height_px": 320.0, "hip_angle_3d_deg": 170.0,
                               "knee_angle_3d_deg": 170.0, "view": "front"}
    steps: Steps = [(1.0, {}), (1.0, {"body_height_px": 240.0}), (1.0, {})] * 3
    frames = script(steps, fps=FPS, base=front)
    det = ActivityDetector()  # the detector's own dips only (no rep from the counter)
    assert "lifting" not in [det.update(m, False, m.t) for m in frames]


# ------------------------------------------------------------------ not upright
def test_lying_down_is_other_and_a_heel_slide_is_not_a_lift():
    steps: Steps = [(4.0, {})]
    for _ in range(3):
        steps += [*bend(HEEL_SLIDE, 1.0, 2.0, 1.0, start=SUPINE), (2.0, {})]
    frames = script(steps, fps=FPS, base=SUPINE)
    acts = detect(frames)
    assert acts[-1] == OTHER
    assert not {"lifting", "sitting", "standing"} & set(acts), set(acts)
    # An assessor that knows only sitting / standing / lifting gets no new decision,
    # and never a lift: no reps, no lifting or sitting verdict.
    assert not {"lifting", "sitting", "standing"} & set(detect(frames, report_other=False))
    res = assess(frames)
    assert res.reps == ()
    assert res.activity != "lifting"
    assert not {"lifting", "sitting", "standing"} & {
        s["activity"] for s in res.summary["activity_segments"]}


def test_all_fours_is_other():
    """Hands and knees: trunk level, thighs vertical, shins flat on the floor."""
    fours = {**STANDING, "trunk_inclination_deg": 85.0, "trunk_lean_deg": 85.0,
             "thigh_inclination_deg": 5.0, "knee_angle_deg": 95.0, "hip_angle_deg": 95.0,
             "shin_lean_deg": -85.0, "wrist_height_ratio": 0.0}
    frames = script([(5.0, {})], fps=FPS, base=fours)
    assert detect(frames)[-1] == OTHER


def test_getting_up_after_lying_is_standing_again():
    frames = script([(4.0, {})], fps=FPS, base=SUPINE)
    frames += script([(5.0, {})], fps=FPS, base=STANDING, t0=frames[-1].t + 1 / FPS)
    acts = detect(frames)
    assert OTHER in acts and acts[-1] == "standing"


def test_a_held_stoop_is_not_lying():
    """Bent over with straight legs: the trunk is level, the legs are vertical."""
    stoop = {"trunk_inclination_deg": 85.0, "trunk_lean_deg": 85.0, "hip_angle_deg": 95.0,
             "thigh_inclination_deg": 5.0, "shin_lean_deg": 3.0}
    frames = script([(2.0, {}), (4.0, stoop), (2.0, {})], fps=FPS, base=STANDING)
    assert OTHER not in detect(frames)


# ------------------------------------------------------------------ standing and sitting
def test_standing_with_sway_and_walking_in_place_stays_standing():
    sway = {"trunk_inclination_deg": (2.0, 7.0), "trunk_lean_deg": (2.0, 7.0)}
    back = {"trunk_inclination_deg": (7.0, 2.0), "trunk_lean_deg": (7.0, 2.0)}
    # A step: the near knee bends ~60° and the hip ~25° in the swing, then back.
    step = {"knee_angle_deg": 118.0, "hip_angle_deg": 152.0, "thigh_inclination_deg": 25.0,
            "shin_lean_deg": -20.0}
    steps: Steps = [(2.0, {}), (1.0, sway), (1.0, back)]
    for _ in range(8):
        steps += [*bend(step, 0.25, 0.05, 0.25), (0.5, {})]
    frames = script(steps, fps=FPS, base=STANDING)
    acts = detect(frames)
    assert set(acts) <= {None, "standing"}, set(acts)
    res = assess(frames)
    assert res.activity == "standing" and res.reps == ()


def test_sitting_with_slouch_and_reaching_forward_stays_sitting():
    reach = {"hip_angle_deg": 45.0, "trunk_inclination_deg": 50.0, "trunk_lean_deg": 50.0}
    slouch = {"trunk_lean_deg": 25.0, "trunk_inclination_deg": 25.0}
    steps: Steps = [(3.0, {}), (3.0, slouch), (2.0, {})]
    for _ in range(3):
        steps += [*bend(reach, 0.8, 0.5, 0.8, start=SITTING_UPRIGHT), (1.5, {})]
    frames = script(steps, fps=FPS, base=SITTING_UPRIGHT)
    acts = detect(frames)
    assert set(acts) == {"sitting"}, set(acts)
    res = assess(frames)
    assert res.activity == "sitting" and res.reps == ()


def test_sitting_down_and_staying_is_sitting():
    seat = {k: float(v) for k, v in SITTING_UPRIGHT.items()  # type: ignore[arg-type]
            if k in ("hip_angle_deg", "knee_angle_deg", "thigh_inclination_deg")}
    frames = script([(2.0, {}), (1.0, {k: (float(STANDING[k]), v)  # type: ignore[arg-type]
                                       for k, v in seat.items()}), (12.0, seat)],
                    fps=FPS, base=STANDING)
    acts = detect(frames)
    assert acts[-1] == "sitting" and "lifting" not in acts


def test_a_photo_of_a_sitter_is_sitting_at_once():
    frames = script([(0.04, {})], fps=FPS, base=SITTING_UPRIGHT)
    assert len(frames) == 1
    assert detect(frames) == ["sitting"]


def test_cut_starting_at_a_squat_bottom_is_lifting():
    """A cut that begins at the bottom of a barbell squat (trunk well forward: not a
    seated start) and rises: the rise of a lift, not a sitter standing up."""
    bottom = {**SQUAT_BOTTOM, "trunk_inclination_deg": 42.0, "trunk_lean_deg": 42.0}
    up = {k: (v, float(STANDING[k])) for k, v in bottom.items()}  # type: ignore[arg-type]
    frames = script([(0.4, bottom), (0.8, up), (1.5, {})], fps=FPS, base=STANDING)
    acts = detect(frames)
    assert acts[-1] == "lifting", acts


def test_standing_up_from_a_chair_is_not_a_lift():
    seat = {k: float(v) for k, v in SITTING_UPRIGHT.items()  # type: ignore[arg-type]
            if k in ("hip_angle_deg", "knee_angle_deg", "thigh_inclination_deg")}
    up = {k: (v, float(STANDING[k])) for k, v in seat.items()}  # type: ignore[arg-type]
    frames = script([(3.0, seat), (1.0, up), (4.0, {})], fps=FPS, base=STANDING)
    acts = detect(frames)
    assert "lifting" not in acts and acts[-1] == "standing", set(acts)


def test_assessor_reports_lying_as_not_judged():
    steps: Steps = [(4.0, {})]
    for _ in range(2):
        steps += [*bend(HEEL_SLIDE, 1.0, 2.0, 1.0, start=SUPINE), (2.0, {})]
    res = assess(script(steps, fps=FPS, base=SUPINE))
    assert res.activity == OTHER
    assert res.reps == () and res.summary["score"] is None
    assert res.summary["score_basis"].startswith("not judged")
