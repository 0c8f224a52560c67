"""The Assessor on scripted metric sequences: statuses, events, cues, reps, auto, summary."""

from __future__ import annotations

import math

import pytest
from scripted import SITTING_UPRIGHT, STANDING, script

from posture.assess import (
    LEGS_HIDDEN_AUTO,
    Assessor,
    Event,
    FrameAssessment,
    NioshTask,
    Rep,
    SessionResult,
)
from posture.rules import calibrate
from posture.rules.model import SEGMENTS

SCHEMA_EVENT_KEYS = {"rule", "category", "severity", "start_s", "end_s", "cue"}
SCHEMA_REP_KEYS = {"index", "start_s", "bottom_s", "end_s", "style", "metrics", "faults", "score"}


def run(assessor: Assessor, frames) -> tuple[list[FrameAssessment], SessionResult]:
    out = [assessor.update(m) for m in frames]
    return out, assessor.finish()


def squat(hip: float = 70.0, knee: float = 70.0, trunk: float = 30.0, **bottom: float):
    b = {"hip_angle_deg": hip, "knee_angle_deg": knee, "trunk_inclination_deg": trunk,
         "trunk_lean_deg": trunk, **bottom}
    ramp_down = {k: (STANDING.get(k, v), v) for k, v in b.items()}
    ramp_up = {k: (v, STANDING.get(k, v)) for k, v in b.items()}
    return [(0.7, ramp_down), (0.4, b), (0.7, ramp_up), (0.6, {})]


def test_sitting_slouch_event_status_segments_and_delayed_cue():
    frames = script([(5.0, {}), (90.0, {"trunk_lean_deg": 25.0}), (5.0, {})],
                    base=SITTING_UPRIGHT, fps=5.0)
    fas, res = run(Assessor("sitting"), frames)
    assert fas[0].activity == "sitting"
    assert set(fas[0].segment_status) == set(SEGMENTS)
    mid = fas[len(fas) // 2]
    assert mid.status["sitting.trunk_slouch"] == "poor" and mid.worst == "poor"
    assert mid.segment_status["trunk"] == "poor"
    assert mid.status["sitting.lateral_tilt"] == "n/a"  # front-view rule in a side view
    slouch = [e for e in res.events if e.category == "slouched_trunk"]
    assert len(slouch) == 1
    assert slouch[0].start_s == pytest.approx(5.0, abs=0.25)
    assert slouch[0].end_s == pytest.approx(95.0, abs=0.25)
    assert slouch[0].severity == "poor"
    cue_times = [f.t for f in fas if f.cue_new]
    assert len(cue_times) == 1  # one nudge: after 60 s, cooldown 300 s
    assert cue_times[0] == pytest.approx(65.0, abs=0.3)
    assert fas[[f.t for f in fas].index(cue_times[0])].cue.startswith("Sit tall")
    assert res.summary["time_s_by_severity"]["poor"] == pytest.approx(89.0, abs=1.5)
    assert res.summary["calibration"] == "population defaults"
    assert "rula" in fas[0].scores and "reba" in fas[0].scores
    assert res.summary["rula"]["max"] >= 1


def test_events_and_reps_match_the_report_schema():
    frames = script([(1.0, {})] + squat(trunk=30.0) * 2, base=STANDING)
    _, res = run(Assessor("lifting"), frames)
    assert res.reps
    d = res.reps[0].to_dict()
    assert set(d) >= SCHEMA_REP_KEYS
    assert {"peak_trunk_inclination_deg", "min_knee_angle_deg"} <= set(d["metrics"])
    assert d["style"] in ("squat", "stoop", "mixed")
    ev = Event("sitting.neck_inclination", "forward_head", "poor", 1.0, 2.0, "Grow tall")
    assert set(ev.to_dict()) >= SCHEMA_EVENT_KEYS
    assert isinstance(res.reps[0], Rep)
    s = res.summary
    assert 0 <= s["score"] <= 100
    assert set(s["time_s_by_severity"]) == {"ok", "caution", "poor"}


def test_wrong_view_gives_na_and_a_framing_event_with_cue():
    frames = script([(6.0, {"trunk_lean_deg": 30.0})], base=SITTING_UPRIGHT, view="front")
    fas, res = run(Assessor("sitting"), frames)
    assert all(f.status["sitting.trunk_slouch"] == "n/a" for f in fas)
    assert all(f.framing == "Turn side-on to the camera" for f in fas)
    framing = [e for e in res.events if e.category == "framing"]
    assert len(framing) == 1 and framing[0].cue == "Turn side-on to the camera"
    assert not [e for e in res.events if e.category == "slouched_trunk"]
    assert any(f.cue == "Turn side-on to the camera" for f in fas)


def test_feet_out_of_frame_asks_to_step_back():
    frames = script([(4.0, {"knee_angle_deg": math.nan})], base=STANDING)
    fas, res = run(Assessor("standing"), frames)
    assert fas[-1].framing == "Step back so your feet are visible"
    assert [e.cue for e in res.events if e.category == "framing"] == [
        "Step back so your feet are visible"]


def test_auto_mode_behind_a_desk_asks_which_activity():
    """Legs hidden (a desk): automatic mode cannot tell sitting from standing, so it asks."""
    desk = {"knee_angle_deg": math.nan, "hip_angle_deg": math.nan,
            "thigh_inclination_deg": math.nan}
    fas, res = run(Assessor("auto"), script([(5.0, desk)], base=SITTING_UPRIGHT))
    assert fas[-1].framing == LEGS_HIDDEN_AUTO
    assert [e.cue for e in res.events if e.category == "framing"] == [LEGS_HIDDEN_AUTO]
    # With the activity chosen, the same frames are coached without that question.
    fas, res = run(Assessor("sitting"), script([(5.0, desk)], base=SITTING_UPRIGHT))
    assert fas[-1].framing is None
    assert fas[-1].status["sitting.trunk_slouch"] == "ok"
    # Legs in view: automatic mode decides by itself and never asks.
    fas, _ = run(Assessor("auto"), script([(5.0, {})], base=SITTING_UPRIGHT))
    assert fas[-1].activity == "sitting"
    assert all(f.framing != LEGS_HIDDEN_AUTO for f in fas)


def test_squat_reps_styles_faults_and_scores():
    good = squat(hip=65.0, knee=65.0, trunk=30.0, squat_depth_ratio=0.05,
                 trunk_minus_shin_deg=0.0)
    shallow = squat(hip=125.0, knee=128.0, trunk=20.0, squat_depth_ratio=-0.8,
                    trunk_minus_shin_deg=2.0)
    frames = script([(1.0, {}), *good, *shallow], base=STANDING)
    fas, res = run(Assessor("lifting"), frames)
    assert [r.index for r in res.reps] == [1, 2]
    assert res.reps[0].style == "squat" and res.reps[0].faults == ()
    assert res.reps[0].score == 100
    cats = {f["category"]: f["severity"] for f in res.reps[1].faults}
    assert cats == {"shallow_squat": "poor"}
    assert res.reps[1].score == 75
    assert res.reps[1].score_breakdown == {"base": 100, "shallow_squat": -25}
    assert fas[-1].rep_count == 2
    assert {f.rep_phase for f in fas} >= {"stand", "descend", "bottom", "rise"}
    assert res.summary["score"] == round((100 + 75) / 2)


def test_stoop_lift_flagged_rounded_back_and_stoop():
    stoop = squat(hip=88.0, knee=175.0, trunk=85.0)
    frames = script([(1.0, {})] + stoop * 2, base=STANDING)
    fas, res = run(Assessor("lifting"), frames)
    assert len(res.reps) == 2
    r = res.reps[0]
    cats = {f["category"] for f in r.faults}
    assert {"rounded_back", "stoop_lift"} <= cats
    assert r.style == "stoop"
    assert any(f.cue == "Chest up — hinge at the hips and bend your knees" for f in fas)
    assert [e.category for e in res.events if e.category == "rounded_back"]


def test_niosh_per_lift_with_declared_load():
    lift = squat(hip=70.0, knee=75.0, trunk=40.0, load_distance_ratio=0.2,
                 wrist_height_ratio=0.1)
    frames = script([(1.0, {})] + lift * 3, base=STANDING)
    task = NioshTask(load_kg=15.0, coupling="fair", duration_h=1.0, frequency_per_min=1.0)
    _, res = run(Assessor("lifting", user_height_cm=180.0, niosh=task), frames)
    n = res.reps[-1].niosh
    assert n is not None
    assert n["h_cm"] == pytest.approx(36.0, abs=0.5)  # 0.2 × 180 cm
    assert n["v_cm"] == pytest.approx(18.0, abs=0.5)
    assert n["rwl_kg"] > 0 and n["lifting_index"] == pytest.approx(15.0 / n["rwl_kg"], rel=1e-3)
    assert n["band"] in ("acceptable", "increased", "high")
    assert {f["category"] for f in res.reps[-1].faults} >= {"load_far"}  # H 36 cm > 25 cm
    _, res_nl = run(Assessor("lifting"), frames)
    assert res_nl.reps[-1].niosh is None
    assert "load_far" not in {f["category"] for f in res_nl.reps[-1].faults}
    assert "population 170 cm" in res_nl.summary["stature_source"]


def test_auto_switches_sitting_standing_lifting_with_hysteresis():
    frames = script([(6.0, {})], base=SITTING_UPRIGHT)
    frames += script([(0.5, {"knee_angle_deg": 110.0, "hip_angle_deg": 120.0,
                             "thigh_inclination_deg": 45.0}), (6.0, {})], base=STANDING,
                     t0=frames[-1].t + 1 / 15)
    frames += script([(0.2, {})] + squat() * 3 + [(2.0, {})], base=STANDING,
                     t0=frames[-1].t + 1 / 15)
    _fas, res = run(Assessor("auto"), frames)
    acts = [a["activity"] for a in res.summary["activity_segments"]]
    assert acts == ["sitting", "standing", "lifting"]
    switch = res.summary["activity_segments"][1]["start_s"]
    assert switch == pytest.approx(6.0 + 0.5 + 2.0, abs=0.5)  # dwell, not the first frame
    assert len(res.reps) == 3
    assert res.activity == "lifting"


def test_calibration_is_used_and_reported():
    cal = calibrate(script([(2.0, {"neck_inclination_deg": 44.0})], base=SITTING_UPRIGHT))
    frames = script([(10.0, {"neck_inclination_deg": 46.0})], base=SITTING_UPRIGHT)
    _, res = run(Assessor("sitting", calibration=cal), frames)
    assert not [e for e in res.events if e.category == "forward_head"]
    assert res.summary["calibration"]["posture"] == "sit_tall"
    assert "sitting.neck_inclination" in res.summary["calibration"]["rules"]
    _, res_pop = run(Assessor("sitting"), frames)
    assert [e for e in res_pop.events if e.category == "forward_head"]


def test_prolonged_sitting_break_reminder():
    frames = script([(31 * 60.0, {})], base=SITTING_UPRIGHT, fps=1.0)
    fas, res = run(Assessor("sitting"), frames)
    static = [e for e in res.events if e.category == "prolonged_static"]
    assert len(static) == 1 and static[0].start_s == pytest.approx(1800.0, abs=1.0)
    assert any(f.cue and "movement break" in f.cue for f in fas)
    assert fas[0].scores["rula"] < fas[-1].scores["rula"] or fas[-1].scores["rula"] >= 2


def test_person_leaving_closes_events_cleanly():
    frames = script([(3.0, {"trunk_lean_deg": 25.0}), (4.0, {"detected": 0})],
                    base=SITTING_UPRIGHT)
    fas, res = run(Assessor("sitting"), frames)
    slouch = [e for e in res.events if e.category == "slouched_trunk"]
    assert len(slouch) == 1 and slouch[0].end_s == pytest.approx(3.0, abs=0.1)
    assert fas[-1].worst == "n/a" and fas[-1].framing == "Step into view of the camera"


def test_finish_closes_open_events_at_last_frame():
    frames = script([(1.0, {}), (4.0, {"neck_inclination_deg": 55.0})], base=SITTING_UPRIGHT)
    _, res = run(Assessor("sitting"), frames)
    fh = [e for e in res.events if e.category == "forward_head"]
    assert len(fh) == 1 and fh[0].end_s == pytest.approx(frames[-1].t)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="activity"):
        Assessor("cooking")
    with pytest.raises(ValueError, match="height"):
        Assessor("lifting", user_height_cm=20.0)
