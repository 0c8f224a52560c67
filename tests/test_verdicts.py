"""Honest verdicts: every rep check is judged or n/a with a reason, never a silent 100."""

from __future__ import annotations

import json

import pytest
from scripted import STANDING, script
from test_assess import run, squat

from posture.activities.lifting import Check, verdict_of
from posture.assess import Assessor

# A front view shows the body's outline but no sagittal angles: the metrics a side view
# gives (hip/knee/trunk angles, depth, heel) are NaN, the body-length shrink and the
# frontal metrics are not.
FRONT_STANDING = {"body_height_px": 320.0, "knee_valgus_deg": 2.0, "trunk_twist_deg": 3.0,
                  "shoulder_tilt_deg": 0.5, "trunk_lateral_tilt_deg": 0.5, "view": "front"}


def front_squat(shrink: float = 0.35, valgus: float = 3.0) -> list:
    bottom = {"body_height_px": 320.0 * (1 - shrink), "knee_valgus_deg": valgus}
    down = {k: (FRONT_STANDING[k], v) for k, v in bottom.items()}
    up = {k: (v, FRONT_STANDING[k]) for k, v in bottom.items()}
    return [(0.7, down), (0.4, bottom), (0.7, up), (0.6, {})]


def test_side_view_good_squat_is_good_and_says_what_the_view_cannot_show() -> None:
    good = squat(hip=65.0, knee=65.0, trunk=30.0, squat_depth_ratio=0.05,
                 trunk_minus_shin_deg=0.0, heel_rise_deg=2.0)
    _, res = run(Assessor("lifting"), script([(1.0, {}), *good], base=STANDING))
    (rep,) = res.reps
    assert rep.verdict == "good" and rep.score == 100
    by_cat = {c.category: c for c in rep.checks}
    assert by_cat["shallow_squat"].status == "ok"
    assert by_cat["heel_lift"].status == "ok"
    valgus = by_cat["knee_valgus"]
    assert valgus.status == "n/a" and valgus.code == "view"
    assert "from the front" in valgus.reason
    # Squat-only rules on a squat apply; the rounded-back proxy (knees near straight)
    # does not apply to a squat with bent knees: that is not a gap in the verdict.
    assert by_cat["rounded_back"].code in ("", "not_applicable")
    assert res.summary["verdict"] == "good"
    assert [n["category"] for n in res.summary["not_judged"]] == ["knee_valgus", "trunk_twist"]


def test_front_view_squat_is_not_judged_not_a_silent_100() -> None:
    frames = script([(1.0, {}), *front_squat(), *front_squat()], base=FRONT_STANDING,
                    view="front")
    _, res = run(Assessor("lifting"), frames)
    assert len(res.reps) == 2
    for rep in res.reps:
        assert rep.verdict == "not_judged"
        assert rep.score is None
        assert rep.style == "unknown"
        judged = {c.category for c in rep.checks if c.judged}
        assert judged == {"knee_valgus", "trunk_twist"}
        depth = next(c for c in rep.checks if c.category == "shallow_squat")
        assert depth.status == "n/a" and depth.code == "view"
        assert "side-on" in depth.reason and "from the front" in depth.reason
    assert res.summary["score"] is None
    assert res.summary["verdict"] == "not_judged"
    cats = {n["category"] for n in res.summary["not_judged"]}
    assert {"shallow_squat", "stoop_lift", "heel_lift"} <= cats
    d = json.loads(json.dumps(res.reps[0].to_dict()))
    assert d["verdict"] == "not_judged" and d["score"] is None
    assert {n["category"] for n in d["not_judged"]} >= {"shallow_squat", "heel_lift"}


def test_front_view_valgus_is_a_fault_even_when_depth_is_not_judged() -> None:
    frames = script([(1.0, {}), *front_squat(valgus=25.0)], base=FRONT_STANDING, view="front")
    _, res = run(Assessor("lifting"), frames)
    (rep,) = res.reps
    assert rep.verdict == "faulty"
    assert {f["category"] for f in rep.faults} == {"knee_valgus"}
    assert res.summary["verdict"] == "faulty"


def test_feet_cut_off_gives_no_verdict_and_the_framing_reason() -> None:
    good = squat(hip=65.0, knee=65.0, trunk=30.0, squat_depth_ratio=0.05,
                 trunk_minus_shin_deg=0.0)
    # No heel_rise_deg at all: the feet were never in view.
    frames = script([(1.0, {}), *good], base={k: v for k, v in STANDING.items()
                                                if k != "heel_rise_deg"})
    _, res = run(Assessor("lifting"), frames)
    (rep,) = res.reps
    # A body cut off by the frame is not judged at all (the pose model guesses the
    # missing parts): every check says so, with the framing sentence.
    assert rep.verdict == "not_judged" and rep.score is None and rep.faults == ()
    assert {c.code for c in rep.checks} == {"framing"}
    heel = next(c for c in rep.checks if c.category == "heel_lift")
    assert "feet" in heel.reason
    assert any(e.category == "framing" for e in res.events)


def _c(cat: str, status: str, essential: bool = True, code: str = "") -> Check:
    return Check(f"lifting.{cat}", cat, cat, status, essential, code=code)  # type: ignore[arg-type]


def test_verdict_table() -> None:
    assert verdict_of([_c("a", "ok"), _c("b", "ok")]) == "good"
    assert verdict_of([_c("a", "ok"), _c("b", "n/a", code="view")]) == "partly_judged"
    assert verdict_of([_c("a", "n/a", code="view"), _c("b", "n/a", code="framing"),
                       _c("v", "ok", essential=False)]) == "not_judged"
    assert verdict_of([_c("a", "n/a", code="view"), _c("v", "poor", essential=False)]) \
        == "faulty"
    # An inapplicable essential check (rounded-back proxy on bent knees) is no gap.
    assert verdict_of([_c("a", "ok"), _c("b", "n/a", code="not_applicable")]) == "good"
    assert verdict_of([]) == "not_judged"


def test_heels_are_not_judged_when_the_hands_reach_the_feet() -> None:
    """At the bottom of a lift from the floor the load covers the feet and MediaPipe's
    heel and toe points drift as far as a real heel lift: not judged, and said why."""
    lift = squat(hip=70.0, knee=80.0, trunk=40.0, wrist_height_ratio=0.08,
                 heel_rise_deg=22.0, load_distance_ratio=0.1)
    _, res = run(Assessor("lifting"), script([(1.0, {}), *lift], base=STANDING))
    (rep,) = res.reps
    heel = next(c for c in rep.checks if c.category == "heel_lift")
    assert heel.status == "n/a" and heel.code == "not_measured"
    assert "hide the feet" in heel.reason
    assert "heel_lift" not in {f["category"] for f in rep.faults}
    # The same heels with the hands up (a squat) are judged, and the rise is a fault.
    squat_heels = squat(hip=70.0, knee=80.0, trunk=40.0, heel_rise_deg=22.0)
    _, res = run(Assessor("lifting"), script([(1.0, {}), *squat_heels], base=STANDING))
    assert "heel_lift" in {f["category"] for f in res.reps[0].faults}


def test_chest_dropping_is_judged_by_squat_depth_not_hand_height() -> None:
    """Arms hanging in a forward-leaning squat reach as low as a lift's hands: the squat
    position (hips down to the knees) decides, so a deadlift set-up is not flagged."""
    lean = squat(hip=40.0, knee=70.0, trunk=68.0, squat_depth_ratio=0.1,
                 trunk_minus_shin_deg=54.0, wrist_height_ratio=0.15)
    _, res = run(Assessor("lifting"), script([(1.0, {}), *lean], base=STANDING))
    assert "excessive_forward_lean" in {f["category"] for f in res.reps[0].faults}
    setup = squat(hip=60.0, knee=110.0, trunk=70.0, squat_depth_ratio=-0.6,
                  trunk_minus_shin_deg=52.0, wrist_height_ratio=0.1)
    _, res = run(Assessor("lifting"), script([(1.0, {}), *setup], base=STANDING))
    (rep,) = res.reps
    assert "excessive_forward_lean" not in {f["category"] for f in rep.faults}
    lean_check = next(c for c in rep.checks if c.rule == "lifting.squat_lean")
    assert lean_check.code == "not_applicable" and "knee height" in lean_check.reason


def test_front_view_standing_is_not_a_silent_100() -> None:
    """From the front only the tilts are judged: no score, and the app says why."""
    from posture_app.records import SessionPayload, share_ok
    from posture_app.session_text import headline

    frames = script([(5.0, {})], base=FRONT_STANDING, view="front")
    _, res = run(Assessor("standing"), frames)
    s = res.summary
    assert s["time_s_by_severity"]["ok"] > 4.0  # the tilts were judged, and fine
    assert s["score"] is None and s["score_basis"].startswith("not judged")
    assert {n["rule"] for n in s["not_judged"]} >= {"standing.trunk_lean",
                                                    "standing.neck_inclination"}
    assert share_ok(s) is None
    payload = SessionPayload(activity="standing", summary=s, events=[], reps=[],
                             duration_s=5.0)
    assert "could not be judged" in headline(payload)
    assert "well done" not in headline(payload)


def _oblique_squat_checks(depth: float, view: str = "oblique") -> dict[str, Check]:
    # At an angle the counter reads the body's 2-D shrink (side-on: the bend angles).
    reps = squat(hip=70.0, knee=70.0, trunk=30.0, squat_depth_ratio=depth,
                 trunk_minus_shin_deg=0.0, heel_rise_deg=2.0, body_height_px=200.0)
    _, res = run(Assessor("lifting"), script([(1.0, {}), *reps], base=STANDING, view=view))
    (rep,) = res.reps
    return {c.category: c for c in rep.checks}


def test_oblique_view_judges_depth_and_stoop_but_not_the_shins_or_heels() -> None:
    """At an angle the depth (from 3-D) and the stoop index (trunk + knee) are judged; the
    2-D shin lean and heel line are not, and say which view they need."""
    by_cat = _oblique_squat_checks(-0.7)
    assert by_cat["shallow_squat"].status == "poor"
    assert by_cat["stoop_lift"].status == "ok"
    for cat in ("heel_lift", "excessive_forward_lean"):
        c = by_cat[cat]
        assert c.status == "n/a" and c.code == "view" and "side-on" in c.reason
        assert "at an angle" in c.reason  # this rep's view, named


def test_a_fault_at_an_angle_must_pass_the_line_by_the_views_extra_error() -> None:
    """Depth −0.27 (caution from −0.25) is a fault side-on; at an angle the 3-D depth errs
    ~0.03 thigh lengths more, so the same reading stays ok there."""
    from posture.confidence import extra_error

    assert extra_error("max_squat_depth_ratio", "side_right") == 0.0
    assert 0.02 < extra_error("max_squat_depth_ratio", "oblique") < 0.05
    assert _oblique_squat_checks(-0.27, view="side_left")["shallow_squat"].status == "caution"
    obl = _oblique_squat_checks(-0.27)["shallow_squat"]
    assert obl.status == "ok" and obl.value == pytest.approx(-0.27, abs=0.01)
    assert _oblique_squat_checks(-0.32)["shallow_squat"].status == "caution"
