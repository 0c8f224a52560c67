"""Accuracy of the whole coach against ground truth (issue #10).

Runs the real analysis path (``posture.pipeline.analyze_video`` with the labelled
activity, then ``posture.report.build_report``) on

* ``synthetic``: rendered clips with exact ground truth, ``../shared/videos/synthetic``
  and ``sample_videos/synthetic`` (the same clip in both places is run once);
* ``eval``: new renders in ``sample_videos/eval`` (floor-start lifts, cameras
  looking down, bodies cut by the frame edge, …), same ground-truth format;
* ``real``: real clips in ``../shared/videos/real`` labelled by watching them,
  ``benchmarks/labels/real_clips.toml``;

and compares the reports with the truth: angle MAE per view and camera
elevation, fault recall / precision per category (rep level; segment level for
sitting and standing), good-rep specificity, rep counts, framing honesty (no
verdict on a body cut by the frame) and a per-clip table for the real clips.

    .venv/bin/python benchmarks/accuracy.py --set all            # everything available
    .venv/bin/python benchmarks/accuracy.py --set synthetic --only '*squat*'

Writes ``benchmarks/results/accuracy.json`` and ``benchmarks/results/accuracy.md``
(and every clip's report.json under ``benchmarks/results/accuracy/<set>/``) and
prints the markdown. Everything below ``evaluate_*`` works on report
dictionaries, so the arithmetic is unit-tested on hand-made reports
(``tests/test_accuracy_eval.py``).
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import contextlib
import datetime as dt
import fnmatch
import json
import math
import multiprocessing
import os
import sys
import time
import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as ``python benchmarks/accuracy.py``
    sys.path.insert(0, str(REPO))

SHARED_DEFAULT = Path(os.environ.get("POSTURE_SHARED_DIR") or REPO.parent / "shared")
SAMPLE_SYNTHETIC = REPO / "sample_videos" / "synthetic"
EVAL_DIR = REPO / "sample_videos" / "eval"
REAL_LABELS = REPO / "benchmarks" / "labels" / "real_clips.toml"
PROFILE = REPO / "posture" / "profiles" / "default.toml"
RESULTS = REPO / "benchmarks" / "results"

SETS = ("synthetic", "eval", "real")
ANGLES = ("trunk_inclination_deg", "neck_inclination_deg", "hip_angle_deg", "knee_angle_deg")
SHORT = {"trunk_inclination_deg": "trunk", "neck_inclination_deg": "neck",
         "hip_angle_deg": "hip", "knee_angle_deg": "knee"}
VIDEO_EXT = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v"}

# ------------------------------------------------------------------ label tables
#: Activity given to the analysis for a ground-truth ``activity``.
ACTIVITY = {"sitting": "sitting", "standing": "standing", "squat": "lifting",
            "lifting": "lifting", "lift": "lifting", "none": "standing", "auto": "auto"}

#: Rep labels (ground truth ``reps[].label``) -> the fault categories the rep has.
#: An empty tuple is a good rep. Unknown labels are reported, not guessed.
REP_LABEL_CATEGORIES: dict[str, tuple[str, ...]] = {
    "squat_good": (),
    "lift_squat_style_neutral_spine": (),
    "squat_shallow": ("shallow_squat",),
    "squat_excessive_forward_lean": ("excessive_forward_lean",),
    "squat_knee_valgus": ("knee_valgus",),
    "lift_stoop_rounded_back": ("stoop_lift", "rounded_back"),
    "lift_twisting": ("trunk_twist",),
    # sample_videos/eval renders
    "squat_heel_lift": ("heel_lift",),
    "squat_heels_lift": ("heel_lift",),
    "squat_heel_rise": ("heel_lift",),
    "lift_heel_lift": ("heel_lift",),
    "front_squat_good": (),
    "squat_front_good": (),
    "lift_floor_start_good": (),
    "lift_squat_style_floor_start": (),
}

#: Categories that a rep label neither has nor excludes (not scored either way).
REP_DONT_CARE: dict[str, tuple[str, ...]] = {
    # A stoop lift reaches low with the trunk far ahead of the shins.
    "lift_stoop_rounded_back": ("excessive_forward_lean",),
    # The labels say nothing about load distance.
    "*": ("load_far",),
}

#: Posture segments (sitting / standing) -> category; empty = a good segment.
SEGMENT_LABEL_CATEGORIES: dict[str, tuple[str, ...]] = {
    "sit_upright": (),
    "stand_neutral": (),
    "sit_slouched": ("slouched_trunk",),
    "sit_forward_head": ("forward_head",),
    "sit_reclined": ("reclined",),
    "stand_forward_lean": ("trunk_forward_lean",),
    "stand_lateral_tilt": ("lateral_tilt",),
}
SEGMENT_DONT_CARE: dict[str, tuple[str, ...]] = {
    # A slouched or leaning trunk carries the head forward too (no neck bound in the label).
    "sit_slouched": ("forward_head",),
    "stand_forward_lean": ("forward_head",),
}
#: A segment counts as flagged for a category when its events cover this share of it.
SEGMENT_FLAG_SHARE = 0.3
#: A category counts as judged on a segment when its rules are not "n/a" on this share of frames.
SEGMENT_JUDGED_SHARE = 0.5

#: Reps are matched to the truth by ``bottom_s`` within this many seconds.
REP_TOLERANCE_S = 0.75
#: A frame shows the whole body when this share of the body's vertices is in the image.
WHOLE_BODY = 0.99
#: Joints that must be inside the picture for a rep to be judgeable.
KEY_JOINTS = ("shoulder", "hip", "knee", "ankle")
#: Camera elevation bands (degrees the camera looks down at the body).
ELEVATION_BANDS = ((-90.0, 15.0, "0–15°"), (15.0, 30.0, "15–30°"), (30.0, 45.0, "30–45°"),
                   (45.0, 91.0, "45–60°+"))


# ------------------------------------------------------------------ small helpers
def ratio(num: int | float, den: int | float) -> float | None:
    return None if not den else float(num) / float(den)


def fmt_share(num: int, den: int) -> str:
    return "–" if not den else f"{num}/{den} ({100.0 * num / den:.0f} %)"


def fmt_pct(x: float | None) -> str:
    return "–" if x is None else f"{100.0 * x:.0f} %"


def fmt_deg(x: float | None) -> str:
    return "–" if x is None else f"{x:.1f}°"


def view_group(view: str | None) -> str:
    v = (view or "unknown").lower()
    for g in ("side", "oblique", "front", "rear", "back"):
        if v.startswith(g) or g in v:
            return "side" if g == "side" else g
    return v


def elevation_deg(gt: Mapping[str, Any]) -> float | None:
    """How far the camera looks down at the body (0 = level), from the ground truth."""
    cam = gt.get("camera") or {}
    for key in ("elevation_deg", "pitch_down_deg", "tilt_down_deg"):
        if isinstance(cam.get(key), int | float):
            return float(cam[key])
    eye, target = cam.get("eye_m"), cam.get("target_m")
    if not (isinstance(eye, list) and isinstance(target, list) and len(eye) == len(target) == 3):
        return None
    dx, dy, dz = (float(t) - float(e) for e, t in zip(eye, target, strict=True))
    return math.degrees(math.atan2(-dy, math.hypot(dx, dz)))


def elevation_band(deg: float | None) -> str:
    if deg is None:
        return "unknown"
    for lo, hi, name in ELEVATION_BANDS:
        if lo <= deg < hi:
            return name
    return "unknown"


def overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def covered_share(start: float, end: float, spans: Iterable[tuple[float, float]]) -> float:
    """Share of [start, end] covered by the union of spans."""
    if end <= start:
        return 0.0
    merged: list[list[float]] = []
    for s, e in sorted((max(s, start), min(e, end)) for s, e in spans):
        if e <= s:
            continue
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return sum(e - s for s, e in merged) / (end - start)


# ------------------------------------------------------------------ profile (judged fallback)
def rule_table(profile_path: Path = PROFILE) -> dict[str, dict[str, Any]]:
    """rule id -> {category, views, activity, requires_load} from a TOML profile."""
    data = tomllib.loads(profile_path.read_text(encoding="utf-8"))
    acts = data.get("activities", {})
    out: dict[str, dict[str, Any]] = {}
    for r in data.get("rules", []):
        rid = str(r["id"])
        act = rid.split(".", 1)[0]
        defaults = acts.get(act, {}).get("defaults", {})
        views = r.get("views", defaults.get("views", ["side_left", "side_right"]))
        out[rid] = {"category": r.get("category", ""), "views": list(views), "activity": act,
                    "requires_load": bool(r.get("requires_load", False))}
    return out


def categories_by_activity(rules: Mapping[str, Mapping[str, Any]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for r in rules.values():
        out.setdefault(r["activity"], set()).add(r["category"])
    return out


# ------------------------------------------------------------------ reading a report's reps
def rep_fault_categories(rep: Mapping[str, Any]) -> set[str]:
    """Categories the coach reported on a rep (any severity); checks win over faults."""
    checks = rep.get("checks")
    if isinstance(checks, list) and checks:
        return {str(c.get("category")) for c in checks
                if c.get("status") in ("caution", "poor")}
    return {str(f.get("category")) for f in rep.get("faults") or []}


def rep_judged_categories(rep: Mapping[str, Any],
                          rules: Mapping[str, Mapping[str, Any]]) -> set[str]:
    """Categories judged on this rep: a check with status ≠ n/a; without checks, the
    lifting rules valid in the rep's view (load distance only with a declared load)."""
    checks = rep.get("checks")
    if isinstance(checks, list):
        return {str(c.get("category")) for c in checks if c.get("status") not in (None, "n/a")}
    if rep.get("verdict") == "not_judged":
        return set()
    view = str(rep.get("view") or "unknown")
    judged = {r["category"] for r in rules.values()
              if r["activity"] == "lifting" and view in r["views"]
              and (not r["requires_load"] or rep.get("niosh"))}
    return judged | rep_fault_categories(rep)  # a reported fault was judged


def rep_verdict(rep: Mapping[str, Any]) -> str:
    """"good" | "faulty" | "not_judged" — the report's own field when present."""
    v = rep.get("verdict")
    if v in ("good", "faulty", "not_judged"):
        return str(v)
    if rep_fault_categories(rep):
        return "faulty"
    checks = rep.get("checks")
    if isinstance(checks, list) and checks and all(c.get("status") == "n/a" for c in checks):
        return "not_judged"
    return "good"


def framing_spans(report: Mapping[str, Any]) -> list[tuple[float, float]]:
    return [(float(e["start_s"]), float(e["end_s"])) for e in report.get("events") or []
            if e.get("category") == "framing"]


# ------------------------------------------------------------------ tallies
@dataclass
class Tally:
    """Confusion counts of one fault category over judged reps or segments."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    positives: int = 0  # ground-truth positives, judged or not
    judged_positives: int = 0
    units: int = 0  # every unit (rep / segment) the category was scored on, judged or not
    judged_units: int = 0

    def add(self, truth: bool, reported: bool, judged: bool) -> None:
        self.units += 1
        self.positives += truth
        if not judged:
            return
        self.judged_units += 1
        self.judged_positives += truth
        if truth and reported:
            self.tp += 1
        elif truth:
            self.fn += 1
        elif reported:
            self.fp += 1
        else:
            self.tn += 1

    def merge(self, other: Tally) -> None:
        for k in vars(self):
            setattr(self, k, getattr(self, k) + getattr(other, k))

    @property
    def recall(self) -> float | None:
        return ratio(self.tp, self.tp + self.fn)

    @property
    def precision(self) -> float | None:
        return ratio(self.tp, self.tp + self.fp)

    @property
    def judged_coverage(self) -> float | None:
        """Share of ground-truth positives on which the category was judged."""
        return ratio(self.judged_positives, self.positives)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = dict(vars(self))
        d.update(recall=self.recall, precision=self.precision,
                 judged_coverage=self.judged_coverage,
                 judged_share_all=ratio(self.judged_units, self.units))
        return d


# ------------------------------------------------------------------ rep matching
def match_reps(gt_bottoms: Sequence[float], est_bottoms: Sequence[float],
               tol: float = REP_TOLERANCE_S) -> list[tuple[int, int]]:
    """Pairs (gt index, est index), one-to-one, closest bottoms first, within ``tol``."""
    pairs = sorted((abs(g - e), i, j) for i, g in enumerate(gt_bottoms)
                   for j, e in enumerate(est_bottoms) if abs(g - e) <= tol)
    used_g: set[int] = set()
    used_e: set[int] = set()
    out = []
    for _, i, j in pairs:
        if i in used_g or j in used_e:
            continue
        used_g.add(i)
        used_e.add(j)
        out.append((i, j))
    return sorted(out)


def label_categories(label: str) -> tuple[str, ...] | None:
    return REP_LABEL_CATEGORIES.get(label)


def dont_care(label: str, table: Mapping[str, tuple[str, ...]]) -> set[str]:
    return set(table.get(label, ())) | set(table.get("*", ()))


# ------------------------------------------------------------------ ground-truth helpers
def gt_frames_in(gt: Mapping[str, Any], start: float, end: float) -> list[Mapping[str, Any]]:
    return [f for f in gt.get("frames_gt") or [] if start - 1e-6 <= f["t"] <= end + 1e-6]


def near_joints(gt: Mapping[str, Any]) -> list[str]:
    side = str(gt.get("near_side") or "both")
    sides = ("L", "R") if side not in ("L", "R") else (side,)
    return [f"{j}_{s}" for j in KEY_JOINTS for s in sides]


def frame_cut(gt: Mapping[str, Any], frame: Mapping[str, Any]) -> bool:
    """Is part of the body that the rules need outside the picture in this frame?"""
    if not frame.get("person_visible", True):
        return False  # nobody there: an absence, not a cut-off
    inside = frame.get("joints_2d_in_image")
    if isinstance(inside, list) and inside:
        return any(j not in inside for j in near_joints(gt))
    if isinstance(inside, dict) and inside:
        return any(not inside.get(j, True) for j in near_joints(gt))
    return float(frame.get("in_frame_fraction", 1.0)) < 0.9


def rep_is_cut(gt: Mapping[str, Any], rep: Mapping[str, Any]) -> bool:
    """Ground truth: the body is cut by the frame edge during this rep."""
    if isinstance(rep.get("cut_off"), bool):
        return bool(rep["cut_off"])
    frames = gt_frames_in(gt, float(rep["start_s"]), float(rep["end_s"]))
    return bool(frames) and sum(frame_cut(gt, f) for f in frames) >= max(1, len(frames) // 10)


def expectation(gt: Mapping[str, Any]) -> str:
    """What an eval render asks of the coach: "judged" (default), "not_judged" (e.g. the
    camera too close) or "judged_or_not_judged" (either the right verdict or none)."""
    exp = gt.get("expect")
    if isinstance(exp, Mapping):
        exp = exp.get("expect")
    if exp is None and isinstance(gt.get("eval"), Mapping):
        exp = gt["eval"].get("expect")
    return str(exp) if exp in ("judged", "not_judged", "judged_or_not_judged") else "judged"


# ------------------------------------------------------------------ per-clip evaluation
def evaluate_angles(report: Mapping[str, Any], gt: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Per angle: absolute errors and coverage over frames with the whole body in view."""
    est = {round(float(f["t"]), 3): f for f in report.get("frames") or []}
    times = sorted(est)
    out: dict[str, dict[str, Any]] = {a: {"abs_err": [], "eligible": 0, "measured": 0}
                                      for a in ANGLES}
    for g in gt.get("frames_gt") or []:
        if not g.get("person_visible") or float(g.get("in_frame_fraction", 1.0)) < WHOLE_BODY:
            continue
        f = est.get(round(float(g["t"]), 3)) or _nearest(est, times, float(g["t"]))
        for a in ANGLES:
            ref = (g.get("angles") or {}).get(a)
            if ref is None:
                continue
            out[a]["eligible"] += 1
            val = None if f is None else (f.get("angles") or {}).get(a)
            if val is not None:
                out[a]["measured"] += 1
                out[a]["abs_err"].append(abs(float(val) - float(ref)))
    return out


def _nearest(est: Mapping[float, Any], times: Sequence[float], t: float) -> Any:
    if not times:
        return None
    best = min(times, key=lambda x: abs(x - t))
    return est[best] if abs(best - t) <= 0.02 else None


def expected_reps(gt: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The ground truth's reps under the coach's counting convention (README "Rules"):
    a lift from the floor is counted as it reaches the top, and a lowering that ends the
    clip at the bottom is the end of that lift — a deadlift's pull + lower is one rep —
    not a rep of its own."""
    return [r for r in gt.get("reps") or []
            if not (r.get("kind") == "lower" and r.get("ends_at") == "bottom")]


def evaluate_reps(report: Mapping[str, Any], gt: Mapping[str, Any],
                  rules: Mapping[str, Mapping[str, Any]],
                  tol: float = REP_TOLERANCE_S) -> dict[str, Any]:
    """Rep count, matching, per-category tallies, good-rep verdicts, framing honesty."""
    gt_reps = expected_reps(gt)
    est_reps = list(report.get("reps") or [])
    pairs = match_reps([float(r["bottom_s"]) for r in gt_reps],
                       [float(r["bottom_s"]) for r in est_reps], tol)
    by_gt = dict(pairs)
    lifting_cats = categories_by_activity(rules).get("lifting", set())
    tallies: dict[str, Tally] = {}
    unknown_labels: set[str] = set()
    good = {"n": 0, "matched": 0, "good": 0, "faulty": 0, "not_judged": 0}
    cut = {"reps": 0, "honest": 0, "verdict_given": 0, "not_counted": 0}
    judge = {"reps": 0, "matched": 0, "judged": 0}
    kinds = {"compared": 0, "agree": 0}
    framing = framing_spans(report)
    expect = expectation(gt)
    details = []
    for i, g in enumerate(gt_reps):
        label = str(g.get("label", ""))
        cats = label_categories(label)
        j = by_gt.get(i)
        rep = est_reps[j] if j is not None else None
        is_cut = expect == "not_judged" or rep_is_cut(gt, g)
        verdict = rep_verdict(rep) if rep is not None else "not_counted"
        reported = rep_fault_categories(rep) if rep is not None else set()
        judged = rep_judged_categories(rep, rules) if rep is not None else set()
        details.append({"gt_index": i, "label": label, "bottom_s": g.get("bottom_s"),
                        "kind": g.get("kind"), "matched": j is not None,
                        "verdict": verdict, "faults": sorted(reported),
                        "judged": sorted(judged), "cut_off": is_cut})
        if rep is not None and g.get("kind") and rep.get("kind") not in (None, "unknown"):
            kinds["compared"] += 1
            want = "squat" if g["kind"] == "squat" else "lift"
            kinds["agree"] += rep.get("kind") == want
        if is_cut:
            cut["reps"] += 1
            hit_framing = any(overlap(s, e, float(g["start_s"]) - 1.0, float(g["end_s"]) + 1.0) > 0
                              for s, e in framing)
            details[-1]["framing"] = hit_framing
            if rep is None:
                cut["not_counted"] += 1
                cut["honest"] += hit_framing
            elif verdict == "not_judged" or not (judged & set(cats or lifting_cats)):
                cut["honest"] += hit_framing
            else:
                cut["verdict_given"] += 1
            continue  # a cut-off rep is scored on honesty only
        if expect == "judged":  # "either the right verdict or none" is not counted here
            judge["reps"] += 1
        if rep is not None and expect == "judged":
            judge["matched"] += 1
            judge["judged"] += verdict != "not_judged"
        if cats is None:
            unknown_labels.add(label)
            continue
        if not cats:
            good["n"] += 1
            if rep is not None:
                good["matched"] += 1
                good[verdict] += 1
        skip = dont_care(label, REP_DONT_CARE)
        for c in sorted((lifting_cats | set(cats) | reported) - skip):
            t = tallies.setdefault(c, Tally())
            if rep is None:
                if c in cats:  # a missed rep: the fault was not judged
                    t.add(True, False, False)
                continue
            t.add(c in cats, c in reported, c in judged)
    return {"gt_reps": len(gt_reps), "counted": len(est_reps), "matched": len(pairs),
            "exact": len(gt_reps) == len(est_reps), "tallies": tallies, "good": good,
            "cut": cut, "judge": judge, "kinds": kinds, "unknown_labels": sorted(unknown_labels),
            "details": details}


def evaluate_segments(report: Mapping[str, Any], gt: Mapping[str, Any],
                      rules: Mapping[str, Mapping[str, Any]]) -> dict[str, Tally]:
    """Sitting / standing: per labelled posture segment, events against labels."""
    cats_of_rule = {rid: r["category"] for rid, r in rules.items()}
    frames = report.get("frames") or []
    events = report.get("events") or []
    activity = str(report.get("activity") or "")
    tallies: dict[str, Tally] = {}
    if activity not in ("sitting", "standing"):
        return tallies  # lifts and squats are scored per rep
    act_cats = categories_by_activity(rules).get(activity, set()) - {"prolonged_static"}
    for seg in gt.get("segments") or []:
        label = str(seg.get("label"))
        if label not in SEGMENT_LABEL_CATEGORIES:
            continue
        s0, s1 = float(seg["start_s"]), float(seg["end_s"])
        truth = set(SEGMENT_LABEL_CATEGORIES[label])
        seg_frames = [f for f in frames if s0 <= float(f["t"]) <= s1]
        for c in sorted((act_cats | truth) - dont_care(label, SEGMENT_DONT_CARE)):
            judged_frames = sum(
                any(cats_of_rule.get(rid) == c and st != "n/a"
                    for rid, st in (f.get("status") or {}).items())
                for f in seg_frames)
            judged = bool(seg_frames) and judged_frames >= SEGMENT_JUDGED_SHARE * len(seg_frames)
            spans = [(float(e["start_s"]), float(e["end_s"])) for e in events
                     if e.get("category") == c]
            flagged = covered_share(s0, s1, spans) >= SEGMENT_FLAG_SHARE
            tallies.setdefault(c, Tally()).add(c in truth, flagged, judged)
    return tallies


def segment_details(report: Mapping[str, Any], gt: Mapping[str, Any],
                    rules: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per labelled posture segment: the categories whose events cover enough of it, and
    the label's categories that were not judged there (n/a)."""
    events = report.get("events") or []
    cats_of_rule = {rid: r["category"] for rid, r in rules.items()}
    frames = report.get("frames") or []
    out = []
    for seg in gt.get("segments") or []:
        label = str(seg.get("label"))
        if label not in SEGMENT_LABEL_CATEGORIES:
            continue
        s0, s1 = float(seg["start_s"]), float(seg["end_s"])
        cats = {str(e.get("category")) for e in events} - {"framing"}
        flagged = sorted(c for c in cats if covered_share(
            s0, s1, [(float(e["start_s"]), float(e["end_s"])) for e in events
                     if e.get("category") == c]) >= SEGMENT_FLAG_SHARE)
        want = set(SEGMENT_LABEL_CATEGORIES[label])
        seg_frames = [f for f in frames if s0 <= float(f["t"]) <= s1]
        not_judged = sorted(c for c in want if seg_frames and sum(
            any(cats_of_rule.get(rid) == c and st != "n/a"
                for rid, st in (f.get("status") or {}).items())
            for f in seg_frames) < SEGMENT_JUDGED_SHARE * len(seg_frames))
        ok = (want - set(not_judged)) <= set(flagged) and not (
            set(flagged) - want - dont_care(label, SEGMENT_DONT_CARE))
        out.append({"label": label, "start_s": s0, "end_s": s1, "flagged": flagged,
                    "not_judged": not_judged, "ok": ok})
    return out


def evaluate_synthetic(report: Mapping[str, Any], gt: Mapping[str, Any],
                       rules: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Everything for one rendered clip (synthetic or eval set)."""
    elev = elevation_deg(gt)
    reps = evaluate_reps(report, gt, rules)
    return {"view": view_group(str(gt.get("view"))), "view_raw": gt.get("view"),
            "elevation_deg": None if elev is None else round(elev, 1),
            "elevation_band": elevation_band(elev),
            "floor_start": is_floor_start(gt),
            "angles": evaluate_angles(report, gt), "reps": reps,
            "segments": evaluate_segments(report, gt, rules),
            "segment_details": segment_details(report, gt, rules)
            if str(report.get("activity")) in ("sitting", "standing") else [],
            "group": (gt.get("eval") or {}).get("group") if isinstance(gt.get("eval"), dict)
            else None, "expect": expectation(gt),
            "framing_events": len(framing_spans(report)),
            "summary_verdict": (report.get("summary") or {}).get("verdict")}


def is_floor_start(gt: Mapping[str, Any]) -> bool:
    text = " ".join(str(gt.get(k, "")) for k in ("clip", "kind", "recipe", "start_phase"))
    if "floor" in text.lower() or str(gt.get("start_phase", "")).lower() == "bottom":
        return True
    reps = gt.get("reps") or []
    return bool(reps) and float(reps[0].get("start_s", 1.0)) <= 0.05 and \
        any(r.get("kind") in ("lift", "lower") for r in reps)


# ------------------------------------------------------------------ real clips
def not_judged_reason(report: Mapping[str, Any], relevant: set[str] | None = None) -> str:
    """Why the coach left categories unjudged (summary.not_judged, else the reps' n/a
    checks), only for ``relevant`` categories when given; else the framing cues."""
    items: list[Mapping[str, Any]] = []
    nj = (report.get("summary") or {}).get("not_judged")
    if isinstance(nj, list):
        items = [x for x in nj if isinstance(x, Mapping)]
    if not items:
        items = [c for r in report.get("reps") or [] for c in r.get("checks") or []
                 if c.get("status") == "n/a"]
    by_why: dict[str, set[str]] = {}
    for x in items:
        cat = str(x.get("category"))
        if relevant is not None and cat not in relevant:
            continue
        why = str(x.get("reason") or "no reason")
        why = why.split(" — ", 1)[1] if " — " in why else why
        by_why.setdefault(why, set()).add(cat)
    parts = [f"{', '.join(sorted(c))}: {w}" for w, c in sorted(by_why.items())]
    if parts:
        return "; ".join(parts)
    cues = sorted({str(e.get("cue", "")) for e in report.get("events") or []
                   if e.get("category") == "framing" and e.get("cue")})
    return "; ".join(f"framing: {c}" for c in cues)


def report_verdict(report: Mapping[str, Any]) -> str:
    """The coach's clip verdict: summary.verdict when present, else derived from the reps
    (lifting) or the events and how much of the clip had a person (sitting, standing)."""
    summary = report.get("summary") or {}
    reps = report.get("reps") or []
    v = summary.get("verdict")
    if v in ("good", "faulty", "not_judged"):
        return str(v)
    if reps:
        verdicts = [rep_verdict(r) for r in reps]
        if "faulty" in verdicts:
            return "faulty"
        if all(x == "not_judged" for x in verdicts):
            return "not_judged"
        return "good"
    if report.get("activity") == "lifting":
        return "not_judged"  # no rep counted
    cats = {e.get("category") for e in report.get("events") or []} - {"framing", None}
    if cats:
        return "faulty"
    if summary.get("score") is None or float(summary.get("detected_fraction") or 0.0) < 0.5:
        return "not_judged"
    return "good"


def reported_categories(report: Mapping[str, Any]) -> set[str]:
    cats = set()
    for r in report.get("reps") or []:
        cats |= rep_fault_categories(r)
    if not report.get("reps"):
        cats |= {str(e.get("category")) for e in report.get("events") or []}
    return cats - {"framing", "None"}


def label_faults(values: Iterable[Any]) -> set[str]:
    """Faults as written in the labels: categories, or synthetic rep labels mapped."""
    out: set[str] = set()
    if isinstance(values, str):
        values = [values] if values else []
    for v in values or []:
        mapped = REP_LABEL_CATEGORIES.get(str(v))
        out |= set(mapped) if mapped is not None else {str(v)}
    return out


def judged_in_report(report: Mapping[str, Any]) -> set[str] | None:
    """Categories judged on some rep (from the checks); None when the report has no checks."""
    reps = report.get("reps") or []
    if not any(isinstance(r.get("checks"), list) for r in reps):
        return None
    out: set[str] = set()
    for r in reps:
        out |= {str(c.get("category")) for c in r.get("checks") or []
                if c.get("status") not in (None, "n/a")}
    return out


def evaluate_real(report: Mapping[str, Any], label: Mapping[str, Any],
                  tol: float = REP_TOLERANCE_S) -> dict[str, Any]:
    """One labelled real clip: reps, verdict, faults; outcome right / wrong / n/a.

    ``judgeable = false`` (or ``cut_off = true`` without ``judgeable = true``): no verdict
    may be given (not judged, or no fault and a framing event). ``not_judgeable`` names
    the categories this footage cannot show: a fault or an ok-check there is wrong; an
    expected fault the coach left n/a is "n/a"; "not judged" with a reason is honest.
    """
    counted = len(report.get("reps") or [])
    try:
        exp_reps: int | None = int(label["reps"])
    except (KeyError, TypeError, ValueError):
        exp_reps = None
    bottoms = [float(b) for b in label.get("rep_bottoms_s") or []
               if isinstance(b, int | float)]
    matched = len(match_reps(bottoms, [float(r["bottom_s"]) for r in report.get("reps") or []],
                             tol)) if bottoms else None
    verdict = report_verdict(report)
    reported = reported_categories(report)
    judged = judged_in_report(report)
    expected = label_faults(label.get("faults") or [])
    absent = label_faults(label.get("absent") or [])
    jl, njl = label.get("judgeable"), label.get("not_judgeable")
    not_judgeable = label_faults(njl) if isinstance(njl, list) else set()
    # cut_off with judgeable = true (e.g. feet never in frame of a front squat): the label's
    # verdict or "not judged" are both right; the not-judgeable categories must stay n/a.
    no_verdict = (bool(label.get("cut_off")) and jl is not True) or jl is False or \
        str(label.get("verdict", "")).lower() in ("not_judged", "n/a", "not judgeable")
    framing = bool(framing_spans(report))
    exp_verdict = "not_judged" if no_verdict else str(label.get("verdict") or "").lower()
    if exp_verdict in ("bad", "fault", "faults"):
        exp_verdict = "faulty"
    problems: list[str] = []
    # Why the coach held back, on the categories that matter for this clip.
    relevant = expected | absent if (expected | absent) else None
    reason = not_judged_reason(report, None if no_verdict else relevant)
    if not reason and verdict == "not_judged" and not report.get("reps") and \
            report.get("activity") == "lifting":
        reason = "no rep counted"
    explicit = "verdict" in (report.get("summary") or {})
    if no_verdict:
        # Without summary.verdict (older reports), no fault plus a framing event will do.
        if verdict == "not_judged" or (not explicit and not reported and framing):
            outcome = "right"
            reason = reason or "framing event"
        else:
            outcome = "wrong"
            problems.append(f"verdict {verdict} on a clip that cannot be judged")
    elif verdict == "not_judged":
        outcome = "n/a"  # honest only with a reason about this clip's categories
        if absent & reported:  # "not judged" overall, yet a fault the clip does not have
            outcome = "wrong"
            problems.append("false " + ", ".join(sorted(absent & reported)))
    else:
        missed = expected - reported
        missed_na = {c for c in missed if judged is not None and c not in judged}
        extra = (absent & reported) | (reported - expected if exp_verdict == "good" else set())
        wrongly_judged = not_judgeable & (reported | (judged or set()))
        if exp_verdict in ("good", "faulty") and verdict != exp_verdict and not (
                missed and missed <= missed_na and not extra):
            problems.append(f"verdict {verdict}, label {exp_verdict}")
        if missed - missed_na:
            problems.append("missed " + ", ".join(sorted(missed - missed_na)))
        if extra:
            problems.append("false " + ", ".join(sorted(extra)))
        if wrongly_judged:
            problems.append("judged although not judgeable: " + ", ".join(sorted(wrongly_judged)))
        if problems:
            outcome = "wrong"
        elif missed_na:
            outcome = "n/a"
            reason = "not judged: " + ", ".join(sorted(missed_na)) + (f" ({reason})" if reason
                                                                       else "")
        else:
            outcome = "right"
    honest = outcome == "right" or (outcome == "n/a" and bool(reason))
    return {"activity": label.get("activity"), "view": label.get("view"),
            "camera": label.get("camera"), "cut_off": bool(label.get("cut_off")),
            "expected_reps": exp_reps, "counted": counted,
            "reps_exact": None if exp_reps is None else exp_reps == counted,
            "style": label.get("style"),
            "styles_reported": sorted({str(r.get("style")) for r in report.get("reps") or []}),
            "start_phase": label.get("start_phase"),
            "reps_matched": matched, "bottoms": len(bottoms),
            "expected_verdict": exp_verdict or None,
            "verdict": verdict, "reason": reason, "expected_faults": sorted(expected),
            "absent": sorted(absent), "reported": sorted(reported), "outcome": outcome,
            "problems": problems, "honest": honest, "confidence": label.get("confidence")}


# ------------------------------------------------------------------ clips
@dataclass(frozen=True)
class Clip:
    name: str
    set: str
    path: Path
    activity: str
    gt_path: Path | None = None
    label: Mapping[str, Any] = field(default_factory=dict)

    def gt(self) -> dict[str, Any]:
        assert self.gt_path is not None
        return dict(json.loads(self.gt_path.read_text(encoding="utf-8")))


def rendered_clips(folder: Path, set_name: str, seen: set[str]) -> Iterator[Clip]:
    if not folder.is_dir():
        return
    for video in sorted(p for p in folder.rglob("*") if p.suffix.lower() in VIDEO_EXT):
        gt_path = video.with_suffix(".json")
        if not gt_path.is_file() or video.stem in seen:
            continue
        try:
            gt = json.loads(gt_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if "frames_gt" not in gt:
            continue
        seen.add(video.stem)
        act = analysis_activity(str(gt.get("analysis_activity") or gt.get("activity") or "auto"))
        yield Clip(video.stem, set_name, video, act, gt_path)


def analysis_activity(label: str) -> str:
    """The --activity for a labelled activity (squat, deadlift, … are lifting)."""
    a = label.lower()
    if a in ACTIVITY:
        return ACTIVITY[a]
    if a.startswith("sit"):
        return "sitting"
    if a.startswith("stand"):
        return "standing"
    if any(w in a for w in ("squat", "lift", "rdl", "lower", "dead")):
        return "lifting"
    return "auto"


def real_clips(labels_path: Path, real_dir: Path) -> tuple[list[Clip], list[str]]:
    """Labelled real clips, and sentences about labels that could not be used."""
    notes: list[str] = []
    if not labels_path.is_file():
        return [], [f"{labels_path} is absent: no real clips evaluated."]
    data = tomllib.loads(labels_path.read_text(encoding="utf-8"))
    out = []
    for entry in data.get("clip", []):
        file = str(entry.get("file", ""))
        path = real_dir / file
        if not path.is_file():
            notes.append(f"{file}: not found in {real_dir}")
            continue
        act = analysis_activity(str(entry.get("activity") or "auto"))
        out.append(Clip(Path(file).stem, "real", path, act, None, entry))
    return out, notes


# ------------------------------------------------------------------ running the analysis
def analyse(path: str, activity: str) -> dict[str, Any]:
    """The real analysis path, one process (results equal to ``posture analyze``)."""
    from posture.pipeline import AnalysisOptions, analyze_video
    from posture.report import build_report

    try:
        from posture.cli import _native_logs_silenced as quiet
    except ImportError:  # pragma: no cover - the CLI helper moved
        quiet = contextlib.nullcontext  # type: ignore[assignment]
    with quiet():
        analysis = analyze_video(path, AnalysisOptions(activity=activity, workers=1))
    return build_report(analysis, path)


def _job(path: str, activity: str) -> tuple[dict[str, Any] | None, str, float]:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _common import perturb_frame_times

    perturb_frame_times()  # --perturb-us (the environment reaches spawned workers)
    t0 = time.perf_counter()
    try:
        return analyse(path, activity), "", time.perf_counter() - t0
    except Exception as exc:  # one bad clip must not stop the table
        return None, f"{type(exc).__name__}: {exc}", time.perf_counter() - t0


def run_all(clips: Sequence[Clip], jobs: int) -> dict[str, tuple[dict[str, Any] | None, str]]:
    """Each clip analysed once; ``jobs`` clips at a time, each in its own process."""
    out: dict[str, tuple[dict[str, Any] | None, str]] = {}
    key = [f"{c.set}/{c.name}" for c in clips]
    if jobs <= 1:
        for k, c in zip(key, clips, strict=True):
            rep, err, secs = _job(str(c.path), c.activity)
            print(f"  {k}: {secs:.1f} s{' — ' + err if err else ''}", file=sys.stderr, flush=True)
            out[k] = (rep, err)
        return out
    ctx = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(jobs, mp_context=ctx) as pool:
        futs = {pool.submit(_job, str(c.path), c.activity): k
                for k, c in zip(key, clips, strict=True)}
        for fut in cf.as_completed(futs):
            k = futs[fut]
            rep, err, secs = fut.result()
            print(f"  {k}: {secs:.1f} s{' — ' + err if err else ''}", file=sys.stderr, flush=True)
            out[k] = (rep, err)
    return out


# ------------------------------------------------------------------ aggregation
def aggregate(per_clip: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Pool the per-clip results of the rendered sets into the summary tables."""
    angles: dict[str, dict[str, dict[str, Any]]] = {}
    rep_t: dict[str, Tally] = {}
    seg_t: dict[str, Tally] = {}
    good = {"n": 0, "matched": 0, "good": 0, "faulty": 0, "not_judged": 0}
    cut = {"reps": 0, "honest": 0, "verdict_given": 0, "not_counted": 0}
    counts: dict[str, dict[str, int]] = {}
    judge_by: dict[str, dict[str, int]] = {}
    unknown: set[str] = set()
    verdicts: dict[str, dict[str, int]] = {}
    for key, r in per_clip.items():
        if r.get("error") or "reps" not in r:
            continue
        set_name = key.split("/", 1)[0]
        group = f"{r['view']} · {r['elevation_band']}"
        slot = angles.setdefault(group, {a: {"abs_err": [], "eligible": 0, "measured": 0,
                                             "clips": 0} for a in ANGLES})
        for a in ANGLES:
            src = r["angles"][a]
            slot[a]["abs_err"].extend(src["abs_err"])
            slot[a]["eligible"] += src["eligible"]
            slot[a]["measured"] += src["measured"]
            slot[a]["clips"] += 1
        reps = r["reps"]
        for c, t in reps["tallies"].items():
            rep_t.setdefault(c, Tally()).merge(t)
        for c, t in r["segments"].items():
            seg_t.setdefault(c, Tally()).merge(t)
        for k in good:
            good[k] += reps["good"][k]
        for k in cut:
            cut[k] += reps["cut"][k]
        unknown |= set(reps["unknown_labels"])
        if reps["gt_reps"] or reps["counted"]:
            for bucket in (set_name, "floor-start lifts" if r["floor_start"] else None, "all"):
                if bucket is None:
                    continue
                c = counts.setdefault(bucket, {"clips": 0, "exact": 0, "gt": 0, "counted": 0,
                                               "matched": 0, "kind_compared": 0, "kind_agree": 0})
                c["clips"] += 1
                c["exact"] += reps["exact"]
                c["gt"] += reps["gt_reps"]
                c["counted"] += reps["counted"]
                c["matched"] += reps["matched"]
                c["kind_compared"] += reps["kinds"]["compared"]
                c["kind_agree"] += reps["kinds"]["agree"]
        for d in reps["details"]:
            v = verdicts.setdefault(set_name, {"reps": 0, "ok": 0, "not_judged": 0})
            v["reps"] += 1
            v["ok"] += rep_ok(d)
            v["not_judged"] += rep_ok(d) and d["verdict"] in ("not_judged", "not_counted")
        if reps["judge"]["reps"]:
            j = judge_by.setdefault(group, {"reps": 0, "matched": 0, "judged": 0})
            for k in j:
                j[k] += reps["judge"][k]
    angle_rows = {}
    for group, slot in sorted(angles.items()):
        angle_rows[group] = {
            a: {"mae": (sum(v["abs_err"]) / len(v["abs_err"])) if v["abs_err"] else None,
                "frames": v["eligible"], "coverage": ratio(v["measured"], v["eligible"]),
                "clips": v["clips"]} for a, v in slot.items()}
    return {"angles": angle_rows,
            "rep_faults": {c: t.to_dict() for c, t in sorted(rep_t.items())},
            "segment_faults": {c: t.to_dict() for c, t in sorted(seg_t.items())},
            "good_reps": dict(good, specificity=ratio(good["good"], good["good"] + good["faulty"])),
            "rep_counts": counts, "cut_off": cut, "judged_share": judge_by,
            "rep_verdicts": verdicts,
            "unknown_labels": sorted(unknown)}


# ------------------------------------------------------------------ markdown
def markdown(summary: Mapping[str, Any], per_clip: Mapping[str, Mapping[str, Any]],
             real: Mapping[str, Mapping[str, Any]], meta: Mapping[str, Any]) -> str:
    L: list[str] = []
    L.append(f"Measured {meta['date']} on {meta['cores']} cores, {meta['clips']} clips "
             f"({', '.join(f'{k}: {v}' for k, v in meta['by_set'].items())}), "
             f"{meta['seconds']:.0f} s.")
    if meta.get("notes"):
        L.extend(f"- {n}" for n in meta["notes"])
    L.append("")
    for set_name, v in summary.get("rep_verdicts", {}).items():
        L.append(f"Rendered reps ({set_name}) with the verdict right or honestly not judged: "
                 f"**{v['ok']} of {v['reps']}** ({v['not_judged']} of them not judged or "
                 "cut off and silent).")
        L.append("")
    if summary["angles"]:
        L.append("**Angles** — MAE against the true sagittal angles on frames with the whole body "
                 "in view (coverage = share of those frames with a value; sagittal angles are "
                 "null in front views by design):")
        L.append("")
        L.append("| view · camera elevation | clips | frames | "
                 + " | ".join(SHORT[a] for a in ANGLES) + " |")
        L.append("|---|---|---|" + "---|" * len(ANGLES))
        for group, row in summary["angles"].items():
            first = row[ANGLES[0]]
            cells = [f"{fmt_deg(row[a]['mae'])} ({fmt_pct(row[a]['coverage'])})" for a in ANGLES]
            L.append(f"| {group} | {first['clips']} | {first['frames']} | " + " | ".join(cells)
                     + " |")
        L.append("")
    if summary["rep_faults"]:
        L.append("**Faults per rep** (reps matched to the truth by bottom time ±"
                 f"{REP_TOLERANCE_S} s; recall and precision only over reps where the category "
                 "was judged; judged = share of the reps with that fault on which it was judged):")
        L.append("")
        L.append("| category | reps with it | judged | recall | precision | false alarms |")
        L.append("|---|---|---|---|---|---|")
        for c, t in summary["rep_faults"].items():
            L.append(tally_row(c, t))
        g = summary["good_reps"]
        L.append("")
        L.append(f"Good reps (squat_good, lift_squat_style_neutral_spine, …): {g['n']} in the "
                 "truth, "
                 f"{g['matched']} counted; verdict good {g['good']}, faulty {g['faulty']}, "
                 f"not judged {g['not_judged']} → specificity {fmt_pct(g['specificity'])}.")
        L.append("")
    if summary["segment_faults"]:
        L.append(f"**Sitting / standing segments** (flagged = events of the category cover ≥ "
                 f"{SEGMENT_FLAG_SHARE:.0%} of the labelled segment; judged = its rules not n/a on "
                 f"≥ {SEGMENT_JUDGED_SHARE:.0%} of the segment's frames):")
        L.append("")
        L.append("| category | segments with it | judged | recall | precision | false alarms |")
        L.append("|---|---|---|---|---|---|")
        for c, t in summary["segment_faults"].items():
            L.append(tally_row(c, t))
        L.append("")
    if summary["rep_counts"]:
        L.append("**Rep counts** (clips with reps):")
        L.append("")
        L.append("| clips | exact count | reps true / counted | matched (±"
                 f"{REP_TOLERANCE_S} s) | kind (squat/lift) agrees |")
        L.append("|---|---|---|---|---|")
        for k, c in sorted(summary["rep_counts"].items(), key=lambda kv: kv[0] == "all"):
            L.append(f"| {k} | {fmt_share(c['exact'], c['clips'])} | {c['gt']} / {c['counted']} | "
                     f"{fmt_share(c['matched'], c['gt'])} | "
                     f"{fmt_share(c['kind_agree'], c['kind_compared'])} |")
        L.append("")
    cut = summary["cut_off"]
    if cut["reps"] or summary["judged_share"]:
        L.append("**Framing** — reps with the body cut by the frame edge must get no verdict "
                 f"and a framing event: {fmt_share(cut['honest'], cut['reps'])} honest "
                 f"({cut['verdict_given']} given a verdict, {cut['not_counted']} not counted).")
        L.append("")
        if summary["judged_share"]:
            L.append("| view · camera elevation (body in view) | reps | counted | judged |")
            L.append("|---|---|---|---|")
            for group, j in sorted(summary["judged_share"].items()):
                L.append(f"| {group} | {j['reps']} | {fmt_share(j['matched'], j['reps'])} | "
                         f"{fmt_share(j['judged'], j['matched'])} |")
            L.append("")
    clip_rows = [(k, r) for k, r in per_clip.items()]
    if clip_rows:
        L.append("**Per rendered clip** (reps: true/counted; per rep the label's faults → what "
                 "the coach said; sitting/standing: per labelled segment the categories flagged; "
                 "✗ = wrong: a rep missed, a judged fault missed or a false fault; not_judged "
                 "alone is not wrong):")
        L.append("")
        L.append("| clip | view · elev. | reps | rep verdicts (label → coach) |")
        L.append("|---|---|---|---|")
        for k, r in clip_rows:
            if r.get("error"):
                L.append(f"| {k} | – | – | error: {r['error']} |")
                continue
            reps = r["reps"]
            verdicts = rep_verdict_text(reps["details"]) if reps["details"] else \
                segment_text(r.get("segment_details") or [])
            L.append(f"| {k} | {r['view']} · {r['elevation_deg']}° | "
                     f"{reps['gt_reps']}/{reps['counted']}{'' if reps['exact'] else ' ✗'} | "
                     f"{verdicts} |")
        L.append("")
    if real:
        L.append("**Real clips** (labels: benchmarks/labels/real_clips.toml):")
        L.append("")
        L.append("| clip | view · camera | reps label/counted | label | coach | outcome |")
        L.append("|---|---|---|---|---|---|")
        for k, r in real.items():
            if r.get("error"):
                L.append(f"| {k} | – | – | – | – | error: {r['error']} |")
                continue
            lab = r["expected_verdict"] or "?"
            if r["expected_faults"]:
                lab += " (" + ", ".join(r["expected_faults"]) + ")"
            coach = r["verdict"] + (" (" + ", ".join(r["reported"]) + ")" if r["reported"] else "")
            out = r["outcome"]
            if out == "n/a":
                out += ": " + (r["reason"] or "no reason")
            elif r["problems"]:
                out += ": " + "; ".join(r["problems"])
            reps = f"{r['expected_reps'] if r['expected_reps'] is not None else '?'}/{r['counted']}"
            cam = f"{r['view']} · {r['camera']}" + (" · cut off" if r.get("cut_off") else "")
            L.append(f"| {k} | {cam} | {reps} | {lab} | {coach} | {out} |")
        n = sum(1 for r in real.values() if not r.get("error"))
        k_ok = sum(1 for r in real.values() if r.get("honest"))
        right = sum(1 for r in real.values() if r.get("outcome") == "right")
        exact = [r for r in real.values() if r.get("reps_exact") is not None]
        L.append("")
        unjudgeable = [r for r in real.values() if r.get("expected_verdict") == "not_judged"]
        matched = [r for r in real.values() if r.get("reps_matched") is not None]
        L.append(f"Verdict right or honestly not judged: **{k_ok} of {n}** (right {right}); "
                 f"clips that cannot be judged left unjudged: "
                 f"{sum(1 for r in unjudgeable if r['honest'])} of {len(unjudgeable)}; rep "
                 f"count exact on {sum(bool(r['reps_exact']) for r in exact)} of {len(exact)} "
                 "clips with a labelled count (labels count a deadlift pull + lower as one rep); "
                 f"labelled rep bottoms found (±{REP_TOLERANCE_S} s): "
                 f"{sum(r['reps_matched'] for r in matched)} of "
                 f"{sum(int(r['bottoms']) for r in matched)}.")
        L.append("")
    return "\n".join(L)


def tally_row(category: str, t: Mapping[str, Any]) -> str:
    return (f"| {category} | {t['positives']} | "
            f"{fmt_share(t['judged_positives'], t['positives'])} | {fmt_pct(t['recall'])} | "
            f"{fmt_pct(t['precision'])} | {fmt_share(t['fp'], t['fp'] + t['tn'])} |")


def segment_text(details: Sequence[Mapping[str, Any]]) -> str:
    parts = []
    for d in details:
        want = ",".join(SEGMENT_LABEL_CATEGORIES[d["label"]]) or "ok"
        got = ",".join(d["flagged"] + [f"{c} n/a" for c in d.get("not_judged", [])]) or "ok"
        parts.append(f"{d['label']}({want})→{got}{'' if d['ok'] else ' ✗'}")
    return collapse(parts) or "no labelled posture"


def collapse(parts: Sequence[str]) -> str:
    """Identical neighbours once, with a count."""
    out: list[str] = []
    for p in parts:
        if out and out[-1].split(" ×")[0] == p:
            n = int(out[-1].split(" ×")[1]) + 1 if " ×" in out[-1] else 2
            out[-1] = f"{p} ×{n}"
        else:
            out.append(p)
    return "; ".join(out)


def rep_ok(d: Mapping[str, Any]) -> bool:
    """Was the coach right (or honestly silent) on this ground-truth rep?"""
    if d["cut_off"]:  # no verdict, and a framing event saying what to change
        return bool(d["verdict"] in ("not_judged", "not_counted") and d.get("framing", True))
    cats = label_categories(d["label"])
    if d["verdict"] == "not_counted" or cats is None:
        return False
    faults, judged = set(d["faults"]), set(d["judged"])
    missed = (set(cats) & judged) - faults
    extra = faults - set(cats) - dont_care(d["label"], REP_DONT_CARE)
    return not missed and not extra


def rep_verdict_text(details: Sequence[Mapping[str, Any]]) -> str:
    parts = []
    for d in details:
        cats = label_categories(d["label"])
        want = "good" if cats == () else ",".join(cats or (d["label"],))
        if d["cut_off"]:
            want = "cut→no verdict"
        got = ",".join(d["faults"]) or (
            d["verdict"] if d["verdict"] in ("not_judged", "not_counted") else "good")
        if d["cut_off"] and not d.get("framing", True):
            got += " (no framing event)"
        parts.append(f"{want}→{got}{'' if rep_ok(d) else ' ✗'}")
    return collapse(parts) or "no reps"


# ------------------------------------------------------------------ the command
def _json_safe(obj: Any) -> Any:
    if isinstance(obj, Tally):
        return obj.to_dict()
    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items() if k != "abs_err"}
    if isinstance(obj, list | tuple):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, float):
        return round(obj, 4) if math.isfinite(obj) else None
    return obj


def collect(args: argparse.Namespace) -> tuple[list[Clip], list[str]]:
    shared = Path(args.shared)
    notes: list[str] = []
    wanted = set(SETS) if args.set == "all" else {args.set}
    clips: list[Clip] = []
    if "synthetic" in wanted:
        seen: set[str] = set()
        clips += list(rendered_clips(shared / "videos" / "synthetic", "synthetic", seen))
        clips += list(rendered_clips(Path(args.sample_synthetic), "synthetic", seen))
        if not (shared / "videos" / "synthetic").is_dir():
            notes.append(f"{shared / 'videos' / 'synthetic'} is absent: only the committed "
                         "synthetic clips in sample_videos/synthetic were used.")
    if "eval" in wanted:
        found = list(rendered_clips(Path(args.eval_dir), "eval", set()))
        if not found:
            notes.append(f"{args.eval_dir}: no rendered clips with ground truth yet.")
        clips += found
    if "real" in wanted:
        real_dir = shared / "videos" / "real"
        if not real_dir.is_dir():
            notes.append(f"{real_dir} is absent: real clips skipped.")
        else:
            found, more = real_clips(Path(args.labels), real_dir)
            clips += found
            notes += more
    if args.only:
        clips = [c for c in clips if any(fnmatch.fnmatch(c.name, g) or fnmatch.fnmatch(
            c.path.name, g) for g in args.only)]
    return clips, notes


def evaluate(clips: Sequence[Clip], reports: Mapping[str, tuple[dict[str, Any] | None, str]],
             rules: Mapping[str, Mapping[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    rendered: dict[str, Any] = {}
    real: dict[str, Any] = {}
    for c in clips:
        key = f"{c.set}/{c.name}"
        report, err = reports.get(key, (None, "not run"))
        target = real if c.set == "real" else rendered
        if report is None:
            target[key] = {"error": err}
        elif c.set == "real":
            target[key] = evaluate_real(report, c.label)
        else:
            target[key] = evaluate_synthetic(report, c.gt(), rules)
    return rendered, real


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--set", choices=(*SETS, "all"), default="all")
    p.add_argument("--only", action="append", metavar="GLOB",
                   help="only clips whose name matches (repeatable), e.g. '*squat*'")
    p.add_argument("--shared", default=str(SHARED_DEFAULT),
                   help="the shared folder holding videos/ (default ../shared or "
                        "$POSTURE_SHARED_DIR)")
    p.add_argument("--sample-synthetic", default=str(SAMPLE_SYNTHETIC))
    p.add_argument("--eval-dir", default=str(EVAL_DIR))
    p.add_argument("--labels", default=str(REAL_LABELS))
    p.add_argument("--out", default=str(RESULTS),
                   help="folder for accuracy.json, accuracy.md and "
                        "accuracy/<set>/<clip>.report.json")
    p.add_argument("--reuse", action="store_true",
                   help="score the reports saved by an earlier run where present (only to "
                        "work on this script: they do not follow changes to the coach)")
    p.add_argument("--perturb-us", type=int, default=0, metavar="N",
                   help="stamp each frame N µs later than the last for MediaPipe: a null "
                        "perturbation, to see how much of a result is run-to-run noise "
                        "(write it to another --out)")
    p.add_argument("--jobs", type=int, default=0,
                   help="clips analysed at once, each in its own process with the sequential "
                        "pipeline (0 = one per core)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.perturb_us:
        os.environ["POSTURE_BENCH_PERTURB_US"] = str(args.perturb_us)
    shared = Path(args.shared)
    if args.set in ("real",) and not (shared / "videos").is_dir():
        print(f"{shared / 'videos'} is absent (fresh clone): the real clips cannot be evaluated; "
              "pass --shared DIR.")
        return 0
    clips, notes = collect(args)
    if not clips:
        print("No clips to evaluate: " + (" ".join(notes) or "nothing matched --only."))
        return 0
    out = Path(args.out)
    reports: dict[str, tuple[dict[str, Any] | None, str]] = {}
    if args.reuse:  # re-score saved reports (after changing this script, not the coach)
        for c in clips:
            saved = out / "accuracy" / f"{c.set}/{c.name}.report.json"
            if saved.is_file():
                reports[f"{c.set}/{c.name}"] = (json.loads(saved.read_text("utf-8")), "")
        notes.append(f"{len(reports)} of {len(clips)} reports reused from an earlier run "
                     "(--reuse): they describe the code of that run.")
    todo = [c for c in clips if f"{c.set}/{c.name}" not in reports]
    jobs = args.jobs or (os.cpu_count() or 1)
    jobs = max(1, min(jobs, len(todo) or 1))
    print(f"Analysing {len(todo)} clips with {jobs} process(es)…", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    reports.update(run_all(todo, jobs))
    failed = [c for c in todo if reports[f"{c.set}/{c.name}"][0] is None]
    if failed:  # once more in fresh processes (e.g. a source file caught mid-edit)
        print(f"Retrying {len(failed)} failed clip(s)…", file=sys.stderr, flush=True)
        reports.update(run_all(failed, min(jobs, len(failed))))
    seconds = time.perf_counter() - t0
    rules = rule_table()
    rendered, real = evaluate(clips, reports, rules)
    summary = aggregate(rendered)
    if summary["unknown_labels"]:
        notes.append("rep labels without a category mapping (not scored): "
                     + ", ".join(summary["unknown_labels"]))
    by_set: dict[str, int] = {}
    for c in clips:
        by_set[c.set] = by_set.get(c.set, 0) + 1
    meta = {"date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "cores": os.cpu_count(), "clips": len(clips), "by_set": by_set,
            "seconds": seconds, "notes": notes, "set": args.set, "only": args.only,
            "rep_tolerance_s": REP_TOLERANCE_S}
    text = markdown(summary, rendered, real, meta)
    out.mkdir(parents=True, exist_ok=True)
    for key, (report, _) in reports.items():  # every report, to look into a failure
        if report is not None:
            dst = out / "accuracy" / f"{key}.report.json"
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_text(json.dumps(report), encoding="utf-8")
    (out / "accuracy.json").write_text(json.dumps(_json_safe(
        {"meta": meta, "summary": summary, "clips": rendered, "real": real}), indent=1,
        ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "accuracy.md").write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
