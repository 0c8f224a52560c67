"""One completed lift or squat → metrics, style, faults, a 0–100 score and NIOSH.

Sagittal numbers come only from side-view frames and frontal ones from front
views (criteria doc §0): a rep filmed obliquely gets no depth or stoop verdict
rather than a wrong one. "Bottom" frames are those within 80 % of the rep's
deepest bend, so one flipped landmark cannot decide a fault.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from posture import ergonomics
from posture.activities.reps import bend_deg
from posture.confidence import band_confidence, extra_error, metric_sigma
from posture.metrics import FrameMetrics
from posture.rules.model import (
    POPULATION_STATURE_CM,
    SEVERITY_RANK,
    SIDE_VIEWS,
    Condition,
    Level,
    Rule,
    Status,
    stoop_squat_index,
    worst,
)
from posture.view import SAGITTAL_VIEWS

Style = Literal["squat", "stoop", "mixed", "unknown"]
Kind = Literal["lift", "squat", "unknown"]
SQUAT_MAX_SSI, STOOP_MIN_SSI = 30.0, 90.0  # Schmid 2022 (criteria doc §3)
# Hands below this height above the ankles (fraction of stature; the knee joint is
# at ~0.25) mean the hands reached for something low: a lift (box, deadlift), not a
# squat exercise, whose hands stay at the chest or shoulders. Default to calibrate.
LIFT_MAX_WRIST_HEIGHT = 0.30
# Rep metrics read off the feet, which a load or the hands cover at the bottom of a lift
# from the floor (rep_metrics leaves them NaN there).
HIDDEN_BY_LOAD = frozenset({"heel_rise_change_deg"})
FAULT_PENALTY: Mapping[str, int] = {"caution": 10, "poor": 25}


@dataclass(frozen=True)
class NioshTask:
    """What the camera cannot see about a lifting task (user input, NIOSH 94-110)."""

    load_kg: float
    coupling: ergonomics.Coupling = "fair"
    duration_h: float = 1.0
    frequency_per_min: float | None = None  # None: measured from the reps
    destination_height_cm: float | None = None  # None: wrist height when standing back up


@dataclass(frozen=True)
class RepSample:
    """One frame inside a rep: the metrics, the bend depth and the frame rules' statuses."""

    m: FrameMetrics
    depth: float
    status: Mapping[str, Status]
    framing: str | None = None  # what was wrong with the framing on this frame, if anything
    cut_off: bool = False  # ... and it was the body cut off by the frame or hidden


# Why a check was not judged. "not_applicable" is not a gap in the verdict (a squat-depth
# check on a lift from the floor); the others are, and say what filming would allow it.
# A rep whose frames show the body cut off this often is not judged (default to calibrate:
# a head leaving the frame for a moment at the top of a rep is a fifth of it).
CUT_OFF_SHARE = 0.2
NotJudged = Literal["", "view", "framing", "not_measured", "not_applicable"]
GAPS: frozenset[str] = frozenset({"view", "framing", "not_measured"})

_VIEW_WORDS = {"side_left": "side-on", "side_right": "side-on", "front": "from the front",
               "oblique": "at an angle", "unknown": "without a clear view"}
# What a guard on a rule means, for the sentence that says why it did not apply.
_GUARD_WORDS: Mapping[tuple[str, str], str] = {
    ("knee_angle_deg", "min"): "is judged only with the knees nearly straight",
    ("knee_angle_deg", "max"): "is judged only with the knees bent",
    ("min_knee_angle_deg", "max"): "is judged only on squat-style reps (knees bent)",
    ("wrist_height_ratio", "min"): "is judged only on squats (hands up), not lifts from low",
    ("min_wrist_height_ratio", "min"): "is judged only on squats (hands up), not lifts from low",
    ("stoop_squat_index", "max"): "is judged only on squat-style reps",
    ("peak_trunk_inclination_deg", "min"): "is judged only when the trunk bends forward",
    ("squat_depth_ratio", "min"): "is judged only in a squat (hips down to about knee height)",
    ("max_squat_depth_ratio", "min"): "is judged only on reps that reach a squat (hips down "
                                      "to about knee height)",
}


def views_phrase(views: frozenset[str]) -> str:
    """'side-on' / 'from the front' / 'side-on or from the front' for a rule's views."""
    words = sorted({_VIEW_WORDS.get(v, v) for v in views},
                   key=lambda w: ("side-on", "from the front", "at an angle").index(w)
                   if w in ("side-on", "from the front", "at an angle") else 9)
    return " or ".join(words)


@dataclass(frozen=True)
class Check:
    """One rule's verdict on one rep: judged (ok/caution/poor) or n/a with the reason."""

    rule: str
    category: str
    label: str
    status: Status
    essential: bool
    value: float = math.nan
    code: NotJudged = ""
    reason: str = ""  # a sentence: why it was not judged and what would allow it
    confidence: float = math.nan  # chance the reported band is right (posture.confidence)

    @property
    def judged(self) -> bool:
        return self.status != "n/a"

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "category": self.category, "label": self.label,
                "status": self.status, "essential": self.essential,
                "value": None if not math.isfinite(self.value) else round(self.value, 2),
                "reason": self.reason or None, "reason_code": self.code or None,
                "confidence": (None if not math.isfinite(self.confidence)
                               else round(self.confidence, 2))}


def _median(xs: list[float]) -> float:
    xs = [x for x in xs if not math.isnan(x)]
    return float(np.median(xs)) if xs else math.nan


def _extreme(xs: list[float], fn: Any) -> float:
    xs = [x for x in xs if not math.isnan(x)]
    return float(fn(xs)) if xs else math.nan


def style_of(ssi: float) -> Style:
    if math.isnan(ssi):
        return "unknown"
    if ssi < SQUAT_MAX_SSI:
        return "squat"
    return "stoop" if ssi > STOOP_MIN_SSI else "mixed"


def kind_of(min_wrist_height_ratio: float) -> Kind:
    """Lift or squat exercise: squat-depth and squat-lean rules are for squats only."""
    if math.isnan(min_wrist_height_ratio):
        return "unknown"
    return "lift" if min_wrist_height_ratio < LIFT_MAX_WRIST_HEIGHT else "squat"


def _bottom_and_top(side: Sequence[RepSample], peak: float
                    ) -> tuple[list[RepSample], list[RepSample]]:
    """The rep's bottom (within 80 % of its deepest bend) and top (within 20 % of its most
    upright) frames, measured within the rep itself.

    The live depth is relative to a standing baseline that a lift starting at the bottom
    (deadlift set-up) has not seen yet; the bend's own range within the rep needs none.
    """
    bends = [(bend_deg(s.m), s) for s in side]
    finite = [(b, s) for b, s in bends if not math.isnan(b)]
    if len(finite) >= 3:
        lo, hi = min(b for b, _ in finite), max(b for b, _ in finite)
        if hi - lo >= 15.0:  # a real bend, not noise around one posture
            return ([s for b, s in finite if b >= lo + 0.8 * (hi - lo)],
                    [s for b, s in finite if b <= lo + 0.2 * (hi - lo)])
    return [s for s in side if not math.isnan(s.depth) and s.depth >= 0.8 * peak], list(side[:3])


# A bottom-of-rep aggregate needs its metric on at least this share of the bottom frames
# (default to calibrate); otherwise it is NaN and the check is "not judged".
BOTTOM_COVERAGE = 0.8


def rep_metrics(samples: Sequence[RepSample], stature_cm: float = POPULATION_STATURE_CM
                ) -> dict[str, float]:
    """Aggregates of one rep; NaN where the rep was never seen from the right view.

    The trunk and knee angles and the stoop–squat index made from them, the squat depth
    and the lowest hand height (lift or squat) are read at an angle too (each from its
    estimator for that view, ``posture.metrics``; their measured errors there feed the
    confidence). The shin lean, heels and load distance only side-on, where their 2-D
    geometry holds.
    """
    side = [s for s in samples if s.m.view.view in SIDE_VIEWS]
    sag = [s for s in samples if s.m.view.view in SAGITTAL_VIEWS]
    front = [s for s in samples if s.m.view.view == "front"]
    twist_views = [s for s in samples if s.m.view.view in ("front", "oblique")]
    peak = _extreme([s.depth for s in samples], max)
    bottom, top = _bottom_and_top(side, peak)
    sag_bottom = _bottom_and_top(sag, peak)[0] if len(sag) > len(side) else bottom

    def col(rows: Sequence[RepSample], name: str) -> list[float]:
        return [r.m.get(name) for r in rows]

    def at_bottom(rows: Sequence[RepSample], *names: str,
                  seen_in: Sequence[RepSample] | None = None) -> list[float]:
        """``col(rows, names[0])``, or nothing when the bottom frames (``seen_in``, the
        side-on ones by default) did not show every one of ``names`` (cut off, hidden): an
        extreme or median of the frames that happened to be seen is not the rep's."""
        where = bottom if seen_in is None else seen_in
        for name in names:
            seen = sum(not math.isnan(s.m.get(name)) for s in where)
            if not where or seen < BOTTOM_COVERAGE * len(where):
                return []
        return col(rows, names[0])

    def sag_bottom_of(rows: Sequence[RepSample], *names: str) -> list[float]:
        return at_bottom(rows, *names, seen_in=sag_bottom)

    # Hands at the feet at the bottom (a lift from the floor): the load, bar or hands
    # cover the feet, and MediaPipe's heel and toe points drift by as much as a real
    # heel lift (renders of flat-footed floor lifts read 15–20°). The feet are not judged.
    hands_on_feet = _median(col(bottom, "wrist_height_ratio")) < LIFT_MAX_WRIST_HEIGHT
    out = {
        "peak_trunk_inclination_deg": _extreme(sag_bottom_of(sag, "trunk_inclination_deg"), max),
        "min_knee_angle_deg": _extreme(sag_bottom_of(sag, "knee_angle_deg"), min),
        "min_hip_angle_deg": _extreme(sag_bottom_of(sag, "hip_angle_deg"), min),
        "max_squat_depth_ratio": _extreme(sag_bottom_of(sag, "squat_depth_ratio"), max),
        "stoop_squat_index": _median([
            stoop_squat_index(s.m.get("trunk_inclination_deg"), s.m.get("knee_angle_deg"))
            for s in (sag_bottom if sag_bottom_of(sag_bottom, "trunk_inclination_deg",
                                                  "knee_angle_deg") else ())]),
        "bottom_trunk_minus_shin_deg": _median(at_bottom(bottom, "trunk_minus_shin_deg")),
        "heel_rise_change_deg": (math.nan if hands_on_feet else
                                 _median(at_bottom(bottom, "heel_rise_deg"))
                                 - _median(col(top, "heel_rise_deg"))),
        "max_knee_valgus_deg": _extreme(col([s for s in front if s.depth >= 0.5 * peak],
                                            "knee_valgus_deg"), max),
        "max_trunk_twist_deg": _extreme([abs(v) for v in col(twist_views, "trunk_twist_deg")],
                                        max),
        "load_distance_cm": _median(at_bottom(bottom, "load_distance_ratio")) * stature_cm,
        "origin_height_cm": _median(at_bottom(bottom, "wrist_height_ratio")) * stature_cm,
        "end_height_cm": _median(col(side[-3:], "wrist_height_ratio")) * stature_cm,
        "peak_depth": peak,
        "min_wrist_height_ratio": _extreme(sag_bottom_of(sag, "wrist_height_ratio"), min),
    }
    return out


def judge_rep_rules(rules: Sequence[Rule], metrics: Mapping[str, float], view: str
                    ) -> dict[str, Level]:
    """Level of each rep rule that applies (its view, its guards, a measured value)."""
    out: dict[str, Level] = {}
    for r in rules:
        v = metrics.get(r.metric, math.nan)
        if view not in r.views or math.isnan(v):
            continue
        if not all(c.holds(metrics.get(c.metric, math.nan)) for c in r.when):
            continue
        out[r.id] = r.bands.level(v)
    return out


def _common(xs: Sequence[str | None]) -> str | None:
    top = Counter(x for x in xs if x).most_common(1)  # a tie: the first seen
    return top[0][0] if top else None


def why_not_judged(rule: Rule, samples: Sequence[RepSample], rep_view: str,
                   guard_failed: bool, failed: Condition | None = None
                   ) -> tuple[NotJudged, str]:
    """The reason code and sentence for a check that has no value on this rep."""
    name = rule.label or rule.category.replace("_", " ")
    in_view = [s for s in samples if s.m.detected and s.m.view.view in rule.views]
    if not in_view:
        return "view", (f"{name}: not judged — needs the camera {views_phrase(rule.views)} "
                        f"(this rep was filmed {_VIEW_WORDS.get(rep_view, rep_view)})")
    if guard_failed:
        cond = failed or next((c for c in rule.when), None)
        what = None
        if cond is not None:
            what = _GUARD_WORDS.get((cond.metric, "min" if math.isfinite(cond.min) else "max"))
        return "not_applicable", f"{name}: {what or 'does not apply to this rep'}"
    framing = _common([s.framing for s in in_view])
    if framing:
        return "framing", f"{name}: not judged — {framing[0].lower()}{framing[1:]}"
    return "not_measured", (f"{name}: not judged — the body parts it needs were not seen "
                            "clearly enough")


def rep_checks(rules: Sequence[Rule], samples: Sequence[RepSample],
               metrics: Mapping[str, float], rep_view: str,
               frame_value: Any) -> list[Check]:
    """Every lifting rule's verdict on a rep, judged or n/a with its reason.

    ``frame_value(rule, m) -> (value, applicable)`` is the rule engine's own reading of
    a frame, so a frame rule is n/a here exactly when it was n/a on every frame.
    """
    out: list[Check] = []
    cut = [s for s in samples if s.cut_off]
    if samples and len(cut) >= CUT_OFF_SHARE * len(samples):
        # A body cut off by the frame is not judged at all: the pose model guesses the
        # missing parts, and the rest of the skeleton is fitted around the guess.
        why = _common([s.framing for s in cut]) or "the body was not fully in view"
        return [Check(r.id, r.category, r.label or r.category.replace("_", " "), "n/a",
                      r.essential, code="framing",
                      reason=f"{r.label or r.category}: not judged — "
                             f"{why[0].lower()}{why[1:]}") for r in rules]
    for r in rules:
        label = r.label or r.category.replace("_", " ")
        if r.scope == "rep":
            v = metrics.get(r.metric, math.nan)
            guards = [metrics.get(c.metric, math.nan) for c in r.when]
            views_ok = rep_view in r.views
            if views_ok and not math.isnan(v) and not any(math.isnan(g) for g in guards):
                if all(c.holds(g) for c, g in zip(r.when, guards, strict=True)):
                    # Outside a side view the metric errs more: a fault must pass the
                    # line by that extra error too (posture.confidence.extra_error).
                    level = r.bands.level(r.bands.eased(
                        v, extra_error(r.metric, rep_view, metrics)))
                    conf = band_confidence(r.bands, v, level,
                                           metric_sigma(r.metric, rep_view, metrics))
                    out.append(Check(r.id, r.category, label, level, r.essential, v,
                                     confidence=conf))
                    continue
                failed = next(c for c, g in zip(r.when, guards, strict=True)
                              if not c.holds(g))
                code, why = why_not_judged(r, samples, rep_view, True, failed)
            elif views_ok and r.metric in HIDDEN_BY_LOAD and metrics.get(
                    "min_wrist_height_ratio", math.nan) < LIFT_MAX_WRIST_HEIGHT:
                code, why = "not_measured", (
                    f"{label}: not judged — the hands or the load hide the feet at the "
                    "bottom of a lift from the floor")
            else:
                # A rep rule reads the rep's main view only: outside it, the view is the reason.
                code, why = why_not_judged(r, samples if views_ok else (), rep_view, False)
            out.append(Check(r.id, r.category, label, "n/a", r.essential, math.nan, code, why))
            continue
        seen = worst(s.status.get(r.id, "n/a") for s in samples)
        readings = [frame_value(r, s.m) for s in samples
                    if s.m.detected and s.m.view.view in r.views]
        if seen != "n/a":
            # The value the verdict rests on: the worst applicable reading of the rep.
            vals = [v for v, app in readings if app and not math.isnan(v)]
            v = max(vals, key=r.bands.badness) if vals else math.nan
            conf = band_confidence(r.bands, v, seen, metric_sigma(r.metric, rep_view))
            out.append(Check(r.id, r.category, label, seen, r.essential, v, confidence=conf))
            continue
        guard_failed = bool(readings) and not any(app for _, app in readings)
        code, why = why_not_judged(r, samples, rep_view, guard_failed)
        out.append(Check(r.id, r.category, label, "n/a", r.essential, math.nan, code, why))
    return out


Verdict = Literal["good", "faulty", "partly_judged", "not_judged"]


def verdict_of(checks: Sequence[Check]) -> Verdict:
    """Faulty if any judged check found a fault; good only if every essential check that
    applies was judged; "not_judged" when none of them could be (wrong view, cut off)."""
    if any(c.judged and c.status != "ok" for c in checks):
        return "faulty"
    essential = [c for c in checks if c.essential and c.code != "not_applicable"]
    if essential and not any(c.judged for c in essential):
        return "not_judged"
    if not essential and not any(c.judged for c in checks):
        return "not_judged"
    return "good" if all(c.judged for c in essential) else "partly_judged"


def faults_of(levels: Mapping[str, Level], rules: Mapping[str, Rule]) -> list[dict[str, str]]:
    """One fault per category at its worst severity, in profile order."""
    worst_by_cat: dict[str, Level] = {}
    for rid, level in levels.items():
        if level == "ok":
            continue
        cat = rules[rid].category
        if SEVERITY_RANK[level] > SEVERITY_RANK[worst_by_cat.get(cat, "ok")]:
            worst_by_cat[cat] = level
    order = {r.category: i for i, r in enumerate(rules.values())}
    return [{"category": c, "severity": s}
            for c, s in sorted(worst_by_cat.items(), key=lambda kv: order.get(kv[0], 99))]


def score_rep(faults: Sequence[Mapping[str, str]]) -> tuple[int, dict[str, int]]:
    """100 minus 25 per poor and 10 per caution fault (one per category), floored at 0."""
    breakdown = {"base": 100}
    for f in faults:
        breakdown[f["category"]] = -FAULT_PENALTY[f["severity"]]
    return max(0, sum(breakdown.values())), breakdown


def niosh_for_rep(task: NioshTask, metrics: Mapping[str, float], twist_deg: float,
                  measured_freq_per_min: float | None, stature_note: str) -> dict[str, Any]:
    """RWL and LI for one lift: H, V, D (and A where seen) measured, the rest from the user."""
    assumptions = [stature_note]
    h = metrics.get("load_distance_cm", math.nan)
    v = metrics.get("origin_height_cm", math.nan)
    dest = task.destination_height_cm
    if dest is None:
        dest = metrics.get("end_height_cm", math.nan)
        assumptions.append("destination = hand height when standing back up")
    d = abs(dest - v) if not (math.isnan(dest) or math.isnan(v)) else math.nan
    a = twist_deg
    if math.isnan(a):
        a = 0.0
        assumptions.append("asymmetry A not measurable in this view: assumed 0°")
    freq = task.frequency_per_min if task.frequency_per_min is not None else measured_freq_per_min
    if freq is None:
        freq = 0.2
        assumptions.append("frequency unknown: NIOSH minimum 0.2 lifts/min")
    v_floor = None if math.isnan(v) else max(v, 0.0)
    res = ergonomics.niosh_rwl(None if math.isnan(h) else h, v_floor,
                               None if math.isnan(d) else d, a, freq, task.duration_h,
                               task.coupling)
    li = ergonomics.lifting_index(task.load_kg, res.rwl_kg)

    def num(x: float) -> float | None:
        return None if math.isnan(x) else round(float(x), 3)

    return {"h_cm": num(h), "v_cm": num(v), "d_cm": num(d), "a_deg": num(a),
            "frequency_per_min": round(freq, 3), "duration_h": task.duration_h,
            "coupling": task.coupling, "load_kg": task.load_kg, "rwl_kg": num(res.rwl_kg),
            "lifting_index": num(li) if math.isfinite(li) or math.isnan(li) else None,
            "band": ergonomics.li_band(li),
            "multipliers": {k: num(getattr(res, k)) for k in ("hm", "vm", "dm", "am", "fm", "cm")},
            "assumptions": assumptions}
