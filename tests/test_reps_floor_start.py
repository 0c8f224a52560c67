"""Lifts that start at the bottom (issue #10): counted whatever phase the stream starts in.

Counting convention: a deadlift rep is a pull and its lowering. A stream (clip,
camera, or the person back after a gap) that starts in the set-up counts its
first pull when the person has stood up: start_s = the first frame, bottom_s =
the deepest early frame, end_s = when standing was reached. Every later
down-and-up is a rep as before, so set-up + pull + 3 full reps = 4 reps. A last
descent that ends the clip at the bottom is the lowering of the last rep (or,
from a standing start, an unfinished rep): not counted.
"""

from __future__ import annotations

import itertools

import pytest
from scripted import SITTING_UPRIGHT, STANDING, script

from posture.activities.reps import Depth, DepthSignal, RepCounter, RepWindow
from posture.assess import Assessor
from posture.metrics import FrameMetrics

# A conventional deadlift set-up seen from the side: hips and knees bent, trunk
# inclined, hands at the bar (~0.1 of stature above the ankles).
SETUP = {"hip_angle_deg": 80.0, "knee_angle_deg": 115.0, "trunk_inclination_deg": 50.0,
         "trunk_lean_deg": 50.0, "thigh_inclination_deg": 60.0, "wrist_height_ratio": 0.1}
RISE = {k: (v, STANDING[k]) for k, v in SETUP.items()}
LOWER = {k: (STANDING[k], v) for k, v in SETUP.items()}
# The same seen from the front: the ankle→ear chain foreshortens to ~65 %.
F_SETUP = {"body_height_px": 210.0}
F_RISE = {"body_height_px": (210.0, 320.0)}
F_LOWER = {"body_height_px": (320.0, 210.0)}
F_STAND = {"body_height_px": 320.0}


def run(frames: list[FrameMetrics]) -> tuple[RepCounter, list[RepWindow], list[str]]:
    ds, rc = DepthSignal(), RepCounter()
    done: list[RepWindow] = []
    aborted: list[str] = []
    for m in frames:
        tick = rc.update(ds.update(m), m.t)
        if tick.completed:
            done.append(tick.completed)
        if tick.aborted:
            aborted.append(tick.aborted)
    last = rc.flush()
    if last:
        done.append(last)
    assert rc.count == len(done)
    return rc, done, aborted


def side(steps, **kw):
    return script(steps, base=STANDING, **kw)


def front(steps, **kw):
    return script(steps, base=F_STAND, view="front", **kw)


def test_start_at_bottom_pull_and_lower_is_one_rep():
    frames = side([(1.0, SETUP), (0.8, RISE), (0.6, {}), (0.8, LOWER), (0.5, SETUP)])
    _rc, done, _ = run(frames)
    assert len(done) == 1
    w = done[0]
    assert w.started_at_bottom and w.bottom_observed
    assert w.start_s == 0.0
    assert 0.0 <= w.bottom_s <= 1.0  # the deepest frame of the set-up
    assert w.end_s == pytest.approx(1.8, abs=0.25)  # standing reached at the end of the pull
    assert w.peak_depth == pytest.approx((100.0 - 5.0) / 90.0, rel=0.05)


def test_start_at_bottom_ending_at_lockout_is_one_rep():
    for top_s in (0.0, 0.1, 1.0):  # the clip ends at lock-out, or holds it a little
        steps = [(1.0, SETUP), (0.8, RISE)] + ([(top_s, {})] if top_s else [])
        _rc, done, _ = run(side(steps))
        assert len(done) == 1, top_s
        assert done[0].started_at_bottom and done[0].start_s == 0.0
        assert done[0].end_s == pytest.approx(1.8, abs=0.25)


def test_pause_on_the_way_up_is_not_the_top():
    knees = {"hip_angle_deg": 125.0, "knee_angle_deg": 165.0, "trunk_inclination_deg": 40.0,
             "trunk_lean_deg": 40.0, "thigh_inclination_deg": 20.0, "wrist_height_ratio": 0.3}
    to_knees = {k: (v, knees[k]) for k, v in SETUP.items()}
    to_top = {k: (v, STANDING[k]) for k, v in knees.items()}
    _rc, done, _ = run(side([(1.0, SETUP), (0.5, to_knees), (0.6, knees), (0.4, to_top),
                             (0.6, {})]))
    assert len(done) == 1
    assert done[0].end_s == pytest.approx(2.5, abs=0.25)


def test_start_at_bottom_then_three_full_reps_is_four():
    rep = [(0.8, LOWER), (0.3, SETUP), (0.8, RISE), (0.5, {})]
    frames = side([(1.0, SETUP), (0.8, RISE), (0.5, {})] + rep * 3)
    _rc, done, _ = run(frames)
    assert len(done) == 4
    assert [w.started_at_bottom for w in done] == [True, False, False, False]
    assert all(a.end_s <= b.start_s for a, b in itertools.pairwise(done))


def test_assessor_reports_a_floor_start_lift_in_auto_and_lifting_modes():
    frames = side([(1.0, SETUP), (0.8, RISE), (0.6, {}), (0.8, LOWER), (0.3, SETUP)])
    for mode in ("auto", "lifting"):
        a = Assessor(mode)
        fas = [a.update(m) for m in frames]
        res = a.finish()
        assert len(res.reps) == 1, mode
        assert res.reps[0].start_s == 0.0 and res.reps[0].end_s == pytest.approx(1.8, abs=0.25)
        assert fas[-1].activity == "lifting"


def test_front_view_start_at_bottom():
    _rc, done, _ = run(front([(1.0, F_SETUP), (0.8, F_RISE), (0.6, {}), (0.8, F_LOWER),
                              (0.5, F_SETUP)]))
    assert len(done) == 1 and done[0].started_at_bottom
    assert done[0].peak_depth == pytest.approx((1 - 210 / 320) / 0.25, rel=0.05)
    rep = [(0.8, F_LOWER), (0.3, F_SETUP), (0.8, F_RISE), (0.5, {})]
    _rc, done, _ = run(front([(1.0, F_SETUP), (0.8, F_RISE), (0.5, {})] + rep * 3))
    assert len(done) == 4
    _rc, done, _ = run(front([(1.0, F_SETUP), (0.8, F_RISE)]))  # ends at lock-out
    assert len(done) == 1


def test_oblique_view_start_at_bottom():
    """Obliquely a stoop shrinks the 2-D body little; MediaPipe's 3-D hip angle vouches for it."""
    stoop = {"hip_angle_deg": 90.0, "knee_angle_deg": 165.0, "trunk_inclination_deg": 80.0,
             "thigh_inclination_deg": 10.0, "body_height_px": 265.0}
    rise = {k: (v, STANDING[k]) for k, v in stoop.items()}
    _rc, done, _ = run(script([(1.0, stoop), (0.8, rise), (0.6, {})], base=STANDING,
                              view="oblique"))
    assert len(done) == 1 and done[0].started_at_bottom
    # The same growth of the body with the hips straight is a step towards the camera.
    _rc, done, _ = run(script([(1.0, {"body_height_px": 265.0}),
                               (0.8, {"body_height_px": (265.0, 320.0)}), (0.6, {})],
                              base=STANDING, view="oblique"))
    assert done == []


def test_person_back_at_the_bottom_after_a_gap():
    squat = [(0.8, LOWER), (0.3, SETUP), (0.8, RISE), (0.6, {})]
    for gap_s in (3.0, 12.0):  # within and beyond the standing baseline's window
        frames = side([(1.0, {}), *squat, (gap_s, {"detected": 0}), (1.0, SETUP),
                       (0.8, RISE), (0.6, {})])
        back = 1.0 + 2.5 + gap_s
        _rc, done, _ = run(frames)
        assert len(done) == 2, gap_s
        assert not done[0].started_at_bottom
        assert done[1].started_at_bottom
        assert done[1].start_s == pytest.approx(back, abs=0.1)
        assert done[1].start_s <= done[1].bottom_s <= done[1].start_s + 1.0


def test_seated_start_is_not_a_lift():
    seated_rise = {k: (v, STANDING[k]) for k, v in SITTING_UPRIGHT.items() if k in STANDING}
    frames = script([(3.0, {}), (1.0, seated_rise), (2.0, dict(STANDING))],
                    base=SITTING_UPRIGHT)
    _rc, done, aborted = run(frames)
    assert done == [] and "seated at the start" in aborted
    # Automatic mode: the person sits, stands up and stays standing; no lift, no rep.
    a = Assessor("auto")
    fas = [a.update(m) for m in frames]
    res = a.finish()
    assert res.reps == () and fas[-1].activity != "lifting"


def test_mid_descent_start_counts_once():
    # Shallow against the posture the clip began in (hip 120° → 80°: 40° of flexion),
    # deep against standing (hip 175°): re-evaluated when the person has stood up.
    part = {"hip_angle_deg": (120.0, 80.0), "knee_angle_deg": (150.0, 115.0)}
    up = {"hip_angle_deg": (80.0, 175.0), "knee_angle_deg": (115.0, 178.0)}
    for steps in ([(0.5, part), (0.3, SETUP), (0.8, up), (0.6, {})],
                  # deep enough against the start too: the ordinary rep, dated from frame 0
                  [(0.5, {"hip_angle_deg": (165.0, 60.0)}), (0.3, {"hip_angle_deg": 60.0}),
                   (0.8, {"hip_angle_deg": (60.0, 175.0)}), (0.6, {})]):
        frames = side(steps)
        _rc, done, _ = run(frames)
        assert len(done) == 1
        assert done[0].start_s == 0.0
        assert 0.4 <= done[0].bottom_s <= 0.9
        assert done[0].end_s == pytest.approx(1.6, abs=0.25)  # standing, not half-way up
        assert done[0].peak_depth > 1.0  # measured against standing
        # … and the next rep is an ordinary one.
        more = side([*steps, (0.8, LOWER), (0.3, SETUP), (0.8, RISE), (0.6, {})])
        _rc, done, _ = run(more)
        assert len(done) == 2 and not done[1].started_at_bottom


def test_walking_in_is_not_a_rep():
    # Side view: the legs swing (knee 120–178°, hip 160–185°) for 4 s, then standing.
    step = [(0.3, {"hip_angle_deg": (185.0, 160.0), "knee_angle_deg": (178.0, 120.0)}),
            (0.3, {"hip_angle_deg": (160.0, 185.0), "knee_angle_deg": (120.0, 178.0)})]
    _rc, done, _ = run(side(step * 7 + [(2.0, {})]))
    assert done == []
    # Front view: walking up to the camera, the body grows far more than a bend shrinks it.
    _rc, done, _ = run(front([(2.5, {"body_height_px": (140.0, 320.0)}), (2.0, {})]))
    assert done == []
    # … or a step or two closer: the body grows by less than a floor lift's set-up shrinks it.
    _rc, done, _ = run(front([(1.0, {"body_height_px": (260.0, 320.0)}), (2.0, {})]))
    assert done == []


def test_standing_start_ending_at_the_bottom_is_not_a_rep():
    _rc, done, _ = run(side([(1.0, {}), (0.8, LOWER), (0.5, SETUP)]))
    assert done == []
    _rc, done, _ = run(side([(1.0, SETUP), (0.5, SETUP)]))  # never rises: nothing
    assert done == []


def test_set_up_held_too_long_is_not_a_rep():
    _rc, done, _ = run(side([(11.0, SETUP), (0.8, RISE), (0.6, {})]))
    assert done == []  # a rep is at most max_rep_s long, counted from the first frame


def test_depth_reading_is_a_float_and_early_frames_can_be_rescored():
    frames = side([(1.0, SETUP), (0.8, RISE), (0.6, {})])
    ds = DepthSignal()
    vals = [ds.update(m) for m in frames]
    assert isinstance(vals[0], Depth) and isinstance(vals[0], float)
    assert abs(vals[0]) < 0.05  # the crouched start reads as the baseline …
    assert vals[-1].early == pytest.approx(95.0 / 90.0, rel=0.05)  # … until the person stands
    assert ds.rescore(frames[0]) == pytest.approx(95.0 / 90.0, rel=0.05)
    assert abs(ds.rescore(frames[-1])) < 0.05
