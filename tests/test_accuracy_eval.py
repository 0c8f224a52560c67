"""The accuracy evaluation (benchmarks/accuracy.py): its arithmetic on hand-made reports,
and its core on one committed synthetic clip."""

from __future__ import annotations

import importlib.util
import sys
from typing import Any

import pytest
from conftest import REPO, SAMPLE_VIDEOS

_spec = importlib.util.spec_from_file_location("accuracy", REPO / "benchmarks" / "accuracy.py")
assert _spec is not None and _spec.loader is not None
acc = importlib.util.module_from_spec(_spec)
sys.modules["accuracy"] = acc
_spec.loader.exec_module(acc)

RULES = acc.rule_table()


def gt_rep(bottom: float, label: str, kind: str = "squat") -> dict[str, Any]:
    return {"start_s": bottom - 0.8, "bottom_s": bottom, "end_s": bottom + 0.8,
            "label": label, "kind": kind}


def frame_gt(t: float, in_image: bool = True) -> dict[str, Any]:
    joints = [f"{j}_{s}" for j in ("shoulder", "hip", "knee", "ankle") for s in "LR"]
    return {"t": t, "person_visible": True, "in_frame_fraction": 1.0 if in_image else 0.7,
            "joints_2d_in_image": joints if in_image else joints[:4],
            "angles": {"trunk_inclination_deg": 10.0, "neck_inclination_deg": 20.0,
                       "hip_angle_deg": 170.0, "knee_angle_deg": None}}


def est_rep(bottom: float, faults: tuple[str, ...] = (), view: str = "side_left",
            **extra: Any) -> dict[str, Any]:
    return {"bottom_s": bottom, "start_s": bottom - 0.8, "end_s": bottom + 0.8, "view": view,
            "kind": "squat", "faults": [{"category": c, "severity": "poor"} for c in faults],
            **extra}


# ------------------------------------------------------------------ matching
def test_match_reps_is_one_to_one_closest_first_within_tolerance() -> None:
    assert acc.match_reps([1.0, 3.0, 5.0], [1.2, 2.9, 9.0], tol=0.5) == [(0, 0), (1, 1)]
    # two estimates near one truth: the closer one wins, the other stays unmatched
    assert acc.match_reps([2.0], [1.7, 2.1], tol=0.5) == [(0, 1)]
    # a truth between two estimates goes to the closer; the other truth gets the rest
    assert acc.match_reps([1.0, 1.6], [1.5], tol=0.75) == [(1, 0)]
    assert acc.match_reps([], [1.0]) == []


# ------------------------------------------------------------------ tallies
def test_tally_recall_precision_and_judged_coverage() -> None:
    t = acc.Tally()
    t.add(truth=True, reported=True, judged=True)
    t.add(truth=True, reported=False, judged=True)
    t.add(truth=True, reported=True, judged=False)  # not judged: not in recall
    t.add(truth=False, reported=True, judged=True)
    t.add(truth=False, reported=False, judged=True)
    t.add(truth=False, reported=True, judged=False)  # not judged: not a false alarm
    assert (t.tp, t.fn, t.fp, t.tn) == (1, 1, 1, 1)
    assert t.recall == pytest.approx(0.5)
    assert t.precision == pytest.approx(0.5)
    assert t.judged_coverage == pytest.approx(2 / 3)
    assert acc.Tally().recall is None and acc.Tally().precision is None


# ------------------------------------------------------------------ reading reps
def test_judged_categories_from_checks_and_view_fallback() -> None:
    with_checks = {"checks": [
        {"rule": "lifting.squat_depth", "category": "shallow_squat", "status": "caution"},
        {"rule": "lifting.knee_valgus", "category": "knee_valgus", "status": "n/a"},
        {"rule": "lifting.squat_lean", "category": "excessive_forward_lean", "status": "ok"}]}
    assert acc.rep_judged_categories(with_checks, RULES) == {"shallow_squat",
                                                             "excessive_forward_lean"}
    assert acc.rep_fault_categories(with_checks) == {"shallow_squat"}
    side = acc.rep_judged_categories({"view": "side_left", "faults": []}, RULES)
    front = acc.rep_judged_categories({"view": "front", "faults": []}, RULES)
    assert "shallow_squat" in side and "knee_valgus" not in side
    assert "knee_valgus" in front and "shallow_squat" not in front
    assert "load_far" not in side  # needs a declared load
    assert acc.rep_judged_categories({"view": "side_left", "verdict": "not_judged"}, RULES) == set()


def test_rep_verdict_prefers_the_field_then_faults_then_checks() -> None:
    assert acc.rep_verdict({"verdict": "not_judged", "faults": []}) == "not_judged"
    assert acc.rep_verdict({"faults": [{"category": "shallow_squat"}]}) == "faulty"
    assert acc.rep_verdict({"faults": []}) == "good"
    assert acc.rep_verdict({"checks": [{"category": "knee_valgus", "status": "n/a"}]}) == \
        "not_judged"


# ------------------------------------------------------------------ rep-level evaluation
def test_rep_faults_recall_precision_and_good_specificity() -> None:
    gt = {"near_side": "L", "reps": [gt_rep(1.0, "squat_shallow"), gt_rep(3.0, "squat_shallow"),
                                     gt_rep(5.0, "squat_shallow"), gt_rep(7.0, "squat_good"),
                                     gt_rep(9.0, "squat_good")],
          "frames_gt": [frame_gt(t / 10) for t in range(110)]}
    report = {"events": [], "reps": [
        est_rep(1.1, ("shallow_squat",)),
        est_rep(3.0),                                   # missed fault
        est_rep(5.0, view="front"),                     # depth not judged from the front
        est_rep(7.2, ("shallow_squat",)),               # false alarm on a good rep
        est_rep(9.1),
        est_rep(12.0)]}                                 # an extra rep
    r = acc.evaluate_reps(report, gt, RULES)
    assert (r["gt_reps"], r["counted"], r["matched"], r["exact"]) == (5, 6, 5, False)
    shallow = r["tallies"]["shallow_squat"]
    assert (shallow.tp, shallow.fn, shallow.fp, shallow.tn) == (1, 1, 1, 1)
    assert shallow.judged_coverage == pytest.approx(2 / 3)
    assert r["good"] == {"n": 2, "matched": 2, "good": 1, "faulty": 1, "not_judged": 0}
    assert "load_far" not in r["tallies"]


def test_rep_ok_per_ground_truth_rep() -> None:
    base = {"cut_off": False, "label": "squat_shallow", "verdict": "faulty",
            "faults": ["shallow_squat"], "judged": ["shallow_squat", "heel_lift"]}
    assert acc.rep_ok(base)
    assert not acc.rep_ok({**base, "faults": ["shallow_squat", "heel_lift"]})  # false fault
    assert not acc.rep_ok({**base, "faults": [], "verdict": "good"})  # judged and missed
    assert acc.rep_ok({**base, "faults": [], "verdict": "not_judged", "judged": []})  # honest
    assert not acc.rep_ok({**base, "faults": [], "verdict": "not_counted", "judged": []})
    assert acc.rep_ok({**base, "cut_off": True, "faults": [], "verdict": "not_judged"})
    assert not acc.rep_ok({**base, "cut_off": True, "faults": [], "verdict": "not_judged",
                           "framing": False})
    assert not acc.rep_ok({**base, "cut_off": True})  # a verdict on a cut-off body


def test_stoop_label_maps_to_two_categories_and_missing_reps_lower_coverage() -> None:
    gt = {"near_side": "R", "reps": [gt_rep(1.5, "lift_stoop_rounded_back", "lift"),
                                     gt_rep(4.0, "lift_stoop_rounded_back", "lower")],
          "frames_gt": [frame_gt(t / 10) for t in range(60)]}
    report = {"events": [], "reps": [
        {**est_rep(1.4, ("stoop_lift",), view="side_right"), "kind": "lift"}]}
    r = acc.evaluate_reps(report, gt, RULES)
    assert r["tallies"]["stoop_lift"].recall == 1.0
    assert r["tallies"]["rounded_back"].recall == 0.0
    assert r["tallies"]["stoop_lift"].judged_coverage == pytest.approx(0.5)
    assert "excessive_forward_lean" not in r["tallies"]  # don't-care for a stoop lift
    assert r["kinds"] == {"compared": 1, "agree": 1}


def test_cut_off_reps_need_no_verdict_and_a_framing_event() -> None:
    frames = [frame_gt(t / 10, in_image=not 0.0 <= t / 10 <= 2.0) for t in range(60)]
    gt = {"near_side": "L", "reps": [gt_rep(1.0, "squat_good"), gt_rep(4.0, "squat_good")],
          "frames_gt": frames}
    assert acc.rep_is_cut(gt, gt["reps"][0]) and not acc.rep_is_cut(gt, gt["reps"][1])
    honest = {"events": [{"category": "framing", "start_s": 0.0, "end_s": 2.0}],
              "reps": [est_rep(1.0, verdict="not_judged"), est_rep(4.0)]}
    r = acc.evaluate_reps(honest, gt, RULES)
    assert r["cut"] == {"reps": 1, "honest": 1, "verdict_given": 0, "not_counted": 0}
    assert r["judge"] == {"reps": 1, "matched": 1, "judged": 1}
    silent = {"events": [], "reps": [est_rep(1.0, verdict="not_judged"), est_rep(4.0)]}
    assert acc.evaluate_reps(silent, gt, RULES)["cut"]["honest"] == 0  # no framing event
    judged = {"events": [{"category": "framing", "start_s": 0.0, "end_s": 2.0}],
              "reps": [est_rep(1.0), est_rep(4.0)]}
    assert acc.evaluate_reps(judged, gt, RULES)["cut"]["verdict_given"] == 1


def test_eval_expectations_and_optional_verdicts() -> None:
    assert acc.expectation({}) == "judged"
    assert acc.expectation({"expect": "judged_or_not_judged"}) == "judged_or_not_judged"
    assert acc.expectation({"eval": {"expect": "not_judged"}}) == "not_judged"
    gt = {"near_side": "L", "expect": "judged_or_not_judged", "reps": [gt_rep(1.0, "squat_good")],
          "frames_gt": [frame_gt(t / 10) for t in range(30)]}
    r = acc.evaluate_reps({"events": [], "reps": [est_rep(1.0, verdict="not_judged")]}, gt, RULES)
    assert r["judge"]["reps"] == 0 and r["cut"]["reps"] == 0  # neither required nor cut
    assert r["good"]["not_judged"] == 1
    # an expected "not judged" clip: any verdict is a failure even with the body in view
    r = acc.evaluate_reps({"events": [], "reps": [est_rep(1.0)]}, {**gt, "expect": "not_judged"},
                          RULES)
    assert r["cut"] == {"reps": 1, "honest": 0, "verdict_given": 1, "not_counted": 0}


# ------------------------------------------------------------------ segments, angles
def test_segments_flagged_by_event_cover_and_judged_by_status() -> None:
    gt = {"segments": [{"start_s": 0.0, "end_s": 2.0, "label": "sit_upright"},
                       {"start_s": 2.0, "end_s": 4.0, "label": "sit_slouched"},
                       {"start_s": 4.0, "end_s": 6.0, "label": "sit_upright"}]}
    frames = [{"t": t / 10, "status": {"sitting.trunk_slouch": "ok", "sitting.lateral_tilt": "n/a",
                                       "sitting.neck_inclination": "ok"}} for t in range(60)]
    report = {"activity": "sitting", "frames": frames, "events": [
        {"category": "slouched_trunk", "start_s": 2.5, "end_s": 4.2},
        {"category": "slouched_trunk", "start_s": 5.8, "end_s": 6.0},   # 10 %: not flagged
        {"category": "forward_head", "start_s": 2.0, "end_s": 4.0}]}    # don't-care on a slouch
    t = acc.evaluate_segments(report, gt, RULES)
    assert (t["slouched_trunk"].tp, t["slouched_trunk"].fp, t["slouched_trunk"].tn) == (1, 0, 2)
    assert t["forward_head"].units == 2 and t["forward_head"].fp == 0
    assert t["lateral_tilt"].judged_units == 0  # n/a in a side view
    assert acc.evaluate_segments({**report, "activity": "lifting"}, gt, RULES) == {}


def test_angle_errors_only_on_whole_body_frames_with_coverage() -> None:
    gt = {"frames_gt": [frame_gt(0.0), frame_gt(0.1), {**frame_gt(0.2), "in_frame_fraction": 0.5}]}
    report = {"frames": [
        {"t": 0.0, "angles": {"trunk_inclination_deg": 13.0, "neck_inclination_deg": None}},
        {"t": 0.1, "angles": {"trunk_inclination_deg": 9.0, "neck_inclination_deg": 30.0}},
        {"t": 0.2, "angles": {"trunk_inclination_deg": 99.0}}]}
    a = acc.evaluate_angles(report, gt)
    assert a["trunk_inclination_deg"]["abs_err"] == [3.0, 1.0]
    assert (a["neck_inclination_deg"]["measured"], a["neck_inclination_deg"]["eligible"]) == (1, 2)
    assert a["knee_angle_deg"]["eligible"] == 0  # no truth value


def test_elevation_from_camera_eye_and_target() -> None:
    level = {"camera": {"eye_m": [3.0, 1.0, 0.0], "target_m": [0.0, 1.0, 0.0]}}
    down = {"camera": {"eye_m": [2.0, 3.0, 0.0], "target_m": [0.0, 1.0, 0.0]}}
    assert acc.elevation_deg(level) == pytest.approx(0.0)
    assert acc.elevation_deg(down) == pytest.approx(45.0)
    assert acc.elevation_deg({"camera": {"elevation_deg": 30}}) == 30.0
    assert acc.elevation_band(50.0) == "45–60°+" and acc.elevation_band(None) == "unknown"


# ------------------------------------------------------------------ real clips
def test_real_clip_outcomes() -> None:
    label = {"activity": "lifting", "view": "side", "reps": 2, "rep_bottoms_s": [1.0, 3.0],
             "verdict": "faulty", "faults": ["rounded_back"], "absent": ["knee_valgus"]}
    right = {"events": [], "summary": {},
             "reps": [est_rep(1.0, ("rounded_back",)), est_rep(3.1)]}
    r = acc.evaluate_real(right, label)
    assert (r["outcome"], r["reps_exact"], r["reps_matched"], r["honest"]) == ("right", True, 2,
                                                                                True)
    missed = acc.evaluate_real({"events": [], "summary": {}, "reps": [est_rep(1.0)]}, label)
    assert missed["outcome"] == "wrong" and missed["reps_exact"] is False
    cut = {**label, "cut_off": True}
    honest = {"events": [{"category": "framing", "start_s": 0, "end_s": 4,
                          "cue": "Step back so your feet are visible"}],
              "summary": {"verdict": "not_judged"}, "reps": [est_rep(1.0, verdict="not_judged")]}
    h = acc.evaluate_real(honest, cut)
    assert h["outcome"] == "right" and h["honest"] and "feet" in h["reason"]
    # "not judged" where a verdict was possible, for a reason unrelated to the label's faults
    other = {"events": [], "summary": {"verdict": "not_judged", "not_judged": [
        {"category": "lateral_tilt", "reason": "Leaning sideways: not judged — front view"}]},
        "reps": []}
    o = acc.evaluate_real(other, label)
    assert o["outcome"] == "n/a" and not o["honest"] and o["reason"] == ""
    assert acc.evaluate_real(right, cut)["outcome"] == "wrong"
    # a fault left n/a (checks say why) is "not judged", not a wrong verdict
    na_check = {"category": "rounded_back", "status": "n/a", "reason": "needs a side view"}
    na = {"events": [], "summary": {"verdict": "good"},
          "reps": [est_rep(1.0, checks=[na_check]), est_rep(3.0, checks=[na_check])]}
    r = acc.evaluate_real(na, label)
    assert r["outcome"] == "n/a" and "rounded_back" in r["reason"]
    # judging a category the footage cannot show is wrong even when it comes out ok
    front = {**label, "faults": [], "verdict": "good", "not_judgeable": ["rounded_back"]}
    ok_check = {"category": "rounded_back", "status": "ok"}
    r = acc.evaluate_real({"events": [], "summary": {}, "reps": [est_rep(1.0, checks=[ok_check])]},
                          front)
    assert r["outcome"] == "wrong" and "not judgeable" in r["problems"][0]
    assert acc.analysis_activity("deadlift") == "lifting"
    assert acc.analysis_activity("sitting") == "sitting"


# ------------------------------------------------------------------ the core on a real clip
def test_core_on_a_committed_synthetic_clip() -> None:
    """The command's core (analyse, evaluate, aggregate, table) on a 6 s committed render."""
    clips = [c for c in acc.rendered_clips(SAMPLE_VIDEOS / "synthetic", "synthetic", set())
             if c.name.startswith("13_squat_good")]
    (c,) = clips
    assert c.activity == "lifting"
    reports = acc.run_all(clips, jobs=1)
    rendered, _ = acc.evaluate(clips, reports, RULES)
    r = rendered[f"synthetic/{c.name}"]
    assert r["view"] == "side" and r["elevation_band"] == "0–15°"
    assert r["reps"]["exact"] and r["reps"]["matched"] == 3
    trunk = r["angles"]["trunk_inclination_deg"]
    assert trunk["measured"] >= 0.9 * trunk["eligible"] > 0
    assert sum(trunk["abs_err"]) / len(trunk["abs_err"]) <= 9.0
    summary = acc.aggregate(rendered)
    assert summary["good_reps"]["n"] == 3
    text = acc.markdown(summary, rendered, {}, {"date": "today", "cores": 1, "clips": 1,
                                                 "by_set": {"synthetic": 1}, "seconds": 1.0})
    assert "| side · 0–15° | 1 |" in text and "13_squat_good" in text
