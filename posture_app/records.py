"""Plain records for the pages: per-frame series, session payloads, tables.

The library's ``SessionResult`` / ``Event`` / ``Rep`` objects become the
report-schema dicts (``to_dict``) here, so the summary, the history, the
printable report and the store all handle one shape.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd  # type: ignore[import-untyped]

from posture_app.services import as_dict
from posture_app.ui import fmt_clock, status_label

# What a chart row keeps for each analysed frame (besides t / activity / worst).
SERIES_METRICS: tuple[str, ...] = (
    "trunk_inclination_deg", "neck_inclination_deg", "hip_angle_deg", "knee_angle_deg",
    "trunk_lean_deg", "neck_flexion_deg", "trunk_minus_shin_deg", "knee_hyperextension_deg",
    "trunk_lateral_tilt_deg", "head_tilt_deg", "knee_valgus_deg", "trunk_twist_deg",
    "shin_lean_deg", "heel_rise_deg", "wrist_height_ratio", "load_distance_ratio",
    "load_distance_cm", "knee_flexion_deg", "stoop_squat_index",
)

METRIC_LABELS: dict[str, str] = {
    "trunk_inclination_deg": "Trunk angle",
    "trunk_lean_deg": "Trunk lean",
    "neck_inclination_deg": "Neck angle",
    "neck_flexion_deg": "Neck bend",
    "hip_angle_deg": "Hip angle",
    "knee_angle_deg": "Knee angle",
    "knee_flexion_deg": "Knee bend",
    "trunk_minus_shin_deg": "Chest ahead of the shins",
    "knee_hyperextension_deg": "Knee past straight",
    "trunk_lateral_tilt_deg": "Sideways lean",
    "head_tilt_deg": "Head tilt",
    "knee_valgus_deg": "Knees inward",
    "trunk_twist_deg": "Trunk twist",
    "load_distance_cm": "Hands in front of the feet",
    "stoop_squat_index": "Stoop index",
    "shin_lean_deg": "Shin angle",
    "heel_rise_deg": "Heel lift",
}
# What a value means where the number alone does not say it (signs, zero points).
METRIC_HINTS: dict[str, str] = {
    "trunk_lean_deg": "0° = upright; above 0 = leaning forward, below 0 = leaning back",
    "neck_flexion_deg": "0° = head in line with the trunk; above 0 = head forward",
    "trunk_minus_shin_deg": "0° = trunk parallel to the shins; above 0 = chest ahead of them",
    "knee_hyperextension_deg": "0° = straight; above 0 = locked back past straight, "
                               "below 0 = bent",
    "trunk_lateral_tilt_deg": "0° = upright; the sign only says which side",
    "head_tilt_deg": "0° = level; the sign only says which side",
    "shin_lean_deg": "0° = shins upright; above 0 = knees ahead of the ankles",
    "heel_rise_deg": "0° = heel down; above 0 = heel up",
    "hip_angle_deg": "180° = hip straight; smaller = more bent",
    "knee_angle_deg": "180° = knee straight; smaller = more bent",
    "stoop_squat_index": "0 = squat (knees bend), 100 = stoop (back bends)",
}
METRIC_UNITS: dict[str, str] = {"load_distance_cm": " cm", "stoop_squat_index": "",
                                "wrist_height_ratio": "", "load_distance_ratio": ""}

CATEGORY_LABELS: dict[str, str] = {
    "forward_head": "Head forward",
    "slouched_trunk": "Slouching",
    "reclined": "Leaning back",
    "trunk_forward_lean": "Leaning forward",
    "lateral_tilt": "Leaning sideways",
    "knee_hyperextension": "Knees locked",
    "prolonged_static": "Long time still",
    "stoop_lift": "Stoop lift",
    "rounded_back": "Rounded back",
    "trunk_twist": "Twisting",
    "load_far": "Load far from body",
    "shallow_squat": "Shallow squat",
    "excessive_forward_lean": "Chest dropping",
    "knee_valgus": "Knees caving in",
    "heel_lift": "Heels lifting",
    "framing": "Camera framing",
}

# Rep metrics shown in tables and the lift lab comparison (report-schema names).
REP_METRIC_LABELS: dict[str, tuple[str, str]] = {
    "peak_trunk_inclination_deg": ("Peak trunk angle", "°"),
    "min_knee_angle_deg": ("Deepest knee angle", "°"),
    "min_hip_angle_deg": ("Deepest hip angle", "°"),
    "stoop_squat_index": ("Stoop index (0 squat – 100 stoop)", ""),
    "max_squat_depth_ratio": ("Squat depth (0 = hips level with the knees, below 0 = higher)", ""),
    "bottom_trunk_minus_shin_deg": ("Chest ahead of the shins at the bottom", "°"),
    "max_trunk_twist_deg": ("Trunk twist", "°"),
    "max_knee_valgus_deg": ("Knees inward", "°"),
    "heel_rise_change_deg": ("Heel lift", "°"),
    "load_distance_cm": ("Hands in front of the feet", " cm"),
}


def metric_label(name: str) -> str:
    return METRIC_LABELS.get(name, name.replace("_deg", "").replace("_", " ").capitalize())


def metric_hint(name: str) -> str:
    """What the numbers of a metric mean ("0° = straight; below 0 = bent"), or ""."""
    return METRIC_HINTS.get(name, "")


def metric_unit(name: str) -> str:
    return METRIC_UNITS.get(name, "°")


def finite(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


# ------------------------------------------------------------------------------ series
def series_row(frame: Any, stature_cm: float | None = None) -> dict[str, Any]:
    """One chart row from a ``FrameResult``: time, activity, worst status, metric values."""
    from posture.rules.model import POPULATION_STATURE_CM, frame_value

    m = frame.metrics
    a = frame.assessment
    row: dict[str, Any] = {
        "t": round(float(frame.t), 3),
        "detected": bool(frame.detected),
        "view": frame.view.view,
        "activity": getattr(a, "activity", None) if a is not None else None,
        "worst": (getattr(a, "worst", None) or "n/a") if a is not None else "n/a",
    }
    stature = stature_cm or POPULATION_STATURE_CM
    for name in SERIES_METRICS:
        try:
            row[name] = finite(frame_value(m, name, stature))
        except (KeyError, ValueError, IndexError):
            row[name] = None
    return row


def time_by_severity(series: Sequence[Mapping[str, Any]], max_dt: float = 0.5
                     ) -> dict[str, float]:
    """Seconds spent at each worst status (frames apart by more than ``max_dt`` count max_dt)."""
    out = {"ok": 0.0, "caution": 0.0, "poor": 0.0}
    for prev, cur in itertools.pairwise(series):
        dt = min(max(float(cur["t"]) - float(prev["t"]), 0.0), max_dt)
        s = prev.get("worst")
        if s in out:
            out[s] += dt
    return out


# ------------------------------------------------------------------------------ sessions
@dataclass
class SessionPayload:
    """What a finished (or running) session shows and stores (report-schema shapes)."""

    activity: str
    summary: dict[str, Any]
    events: list[dict[str, Any]]
    reps: list[dict[str, Any]]
    duration_s: float = 0.0
    series: list[dict[str, Any]] = field(default_factory=list)  # chart rows (not stored)

    def as_dict(self) -> dict[str, Any]:
        return {"activity": self.activity, "summary": self.summary, "events": self.events,
                "reps": self.reps, "duration_s": self.duration_s}


def _to_plain(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {str(k): _to_plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_to_plain(v) for v in obj]
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if hasattr(obj, "item") and callable(obj.item):
        return _to_plain(obj.item())
    if hasattr(obj, "to_dict") and callable(obj.to_dict):
        return _to_plain(obj.to_dict())
    return obj


def payload_from_session(session: Any, duration_s: float,
                         series: Sequence[Mapping[str, Any]] = (),
                         detected_fraction: float | None = None) -> SessionPayload:
    """Turn a ``SessionResult`` (or None) into a payload; fills gaps from the series."""
    activity = "auto"
    events: list[dict[str, Any]] = []
    reps: list[dict[str, Any]] = []
    summary: dict[str, Any] = {}
    if session is not None:
        activity = str(getattr(session, "activity", activity) or activity)
        events = [_to_plain(as_dict(e)) for e in getattr(session, "events", ()) or ()]
        reps = [_to_plain(as_dict(r)) for r in getattr(session, "reps", ()) or ()]
        summary = _to_plain(dict(getattr(session, "summary", {}) or {}))
    if not summary.get("time_s_by_severity") and series:
        summary["time_s_by_severity"] = time_by_severity(series)
    if "detected_fraction" not in summary:
        if detected_fraction is not None:
            summary["detected_fraction"] = round(detected_fraction, 4)
        elif series:
            summary["detected_fraction"] = round(
                sum(1 for r in series if r.get("detected")) / len(series), 4)
    summary.setdefault("score", None)
    if activity == "auto" and series:
        acts = [str(r["activity"]) for r in series if r.get("activity")]
        if acts:
            activity = max(set(acts), key=acts.count)
    return SessionPayload(activity, summary, events, reps, float(duration_s),
                          [dict(r) for r in series])


def shift_times(payload: SessionPayload, offset: float) -> SessionPayload:
    """Times relative to ``offset`` (a live session's coaching start, after calibration)."""
    if not offset:
        return payload

    def sh(v: Any) -> Any:
        f = finite(v)
        return round(max(f - offset, 0.0), 3) if f is not None else v

    events = [{**e, "start_s": sh(e.get("start_s")), "end_s": sh(e.get("end_s"))}
              for e in payload.events]
    reps = [{**r, **{k: sh(r.get(k)) for k in ("start_s", "bottom_s", "end_s") if k in r}}
            for r in payload.reps]
    series = [{**row, "t": sh(row["t"])} for row in payload.series
              if (finite(row.get("t")) or 0.0) >= offset - 1e-6]
    return SessionPayload(payload.activity, payload.summary, events, reps, payload.duration_s,
                          series)


def share_ok(summary: Mapping[str, Any]) -> float | None:
    """Share of the measured time in good posture; None when nothing was measured or when
    the essential checks were never judged (only tilts seen: not a "100 % good")."""
    if summary.get("score") is None and str(summary.get("score_basis") or "").startswith(
            "not judged"):
        return None
    t = summary.get("time_s_by_severity") or {}
    total = sum(float(t.get(k) or 0.0) for k in ("ok", "caution", "poor"))
    if total <= 0 and str(summary.get("score_basis") or "").startswith("one photo"):
        return float(summary["score"]) / 100.0  # a photo: good posture in that moment or not
    return float(t.get("ok") or 0.0) / total if total > 0 else None


# ------------------------------------------------------------------------------ tables
def rule_label(rule_id: str, category: str | None, profile: Any) -> str:
    if profile is not None:
        try:
            label = profile.rule(rule_id).label
            if label:
                return str(label)
        except KeyError:
            pass
    if category:
        return CATEGORY_LABELS.get(category, category.replace("_", " ").capitalize())
    return rule_id


def events_frame(events: Iterable[Mapping[str, Any]], profile: Any = None) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for e in events:
        start = finite(e.get("start_s")) or 0.0
        end = finite(e.get("end_s"))
        what = rule_label(str(e.get("rule", "")), e.get("category"), profile)
        if e.get("rep") is not None:
            what += f" (lift {e.get('rep')})"
        rows.append({
            "When": fmt_clock(start),
            "What": what,
            "Level": status_label(e.get("severity")),
            "For": f"{(end - start):.0f} s" if end is not None else "–",
            "Tip": e.get("cue") or "",
        })
    return pd.DataFrame(rows, columns=["When", "What", "Level", "For", "Tip"])


def not_judged_words(rep: Mapping[str, Any], limit: int = 2) -> str:
    """The checks a rep could not be judged on, in a patient's words (deduplicated)."""
    seen: list[str] = []
    for n in rep.get("not_judged") or ():
        if isinstance(n, Mapping) and n.get("reason") and n["reason"] not in seen:
            seen.append(str(n["reason"]))
    more = f" (+{len(seen) - limit} more)" if len(seen) > limit else ""
    return "; ".join(seen[:limit]) + more


def rep_notes(rep: Mapping[str, Any]) -> str:
    """What the rep table says about a rep: its faults, or honestly what was not judged."""
    verdict = rep.get("verdict")
    if verdict == "not_judged":
        why = not_judged_words(rep, 1)
        return f"Not judged — {why.split('— ', 1)[-1]}" if why else "Not judged"
    words = fault_words(rep.get("faults") or ())
    if verdict == "partly_judged" and not rep.get("faults"):
        return "No faults in what could be judged"
    return words


def fault_words(faults: Iterable[Any]) -> str:
    words = []
    for f in faults or ():
        if isinstance(f, Mapping):
            cat = str(f.get("category", ""))
            sev = str(f.get("severity", ""))
            words.append(f"{CATEGORY_LABELS.get(cat, cat)} ({status_label(sev).split(' ', 1)[1]})")
        else:
            words.append(str(f))
    return ", ".join(words) if words else "None — nice"


# Lifting style (Schmid 2022's Stoop-Squat Index bands, report.json "style") in words.
STYLE_WORDS: dict[str, str] = {"squat": "Squat", "mixed": "Mixed", "stoop": "Stoop",
                               "unknown": "–"}
# The same lift's stoop check overrides the style's words: the style bands (mixed up to
# SSI 90) and the stoop rule's bands (caution from 70, poor from 90 by default) differ, and
# a row must never read "Mixed" beside "Stoop lift (Adjust)".
STOOP_CATEGORY = "stoop_lift"
STYLE_BY_STOOP_CHECK: dict[str, str] = {"caution": "Mixed, close to a stoop",
                                        "poor": "Stoop"}
_LEVEL_RANK = {"ok": 0, "caution": 1, "poor": 2}


def stoop_check(rep: Mapping[str, Any]) -> str | None:
    """The rep's stoop check (ok / caution / poor), from its faults and checks; None when
    it was not judged or the rep does not say (a stored rep keeps its faults only)."""
    levels = [str(f.get("severity")) for f in rep.get("faults") or ()
              if isinstance(f, Mapping) and f.get("category") == STOOP_CATEGORY]
    levels += [str(c.get("status")) for c in rep.get("checks") or ()
               if isinstance(c, Mapping) and c.get("category") == STOOP_CATEGORY]
    levels = [s for s in levels if s in _LEVEL_RANK]
    return max(levels, key=_LEVEL_RANK.__getitem__) if levels else None


def style_words(rep: Mapping[str, Any]) -> str:
    """The lift's style as every table and card shows it: the engine's style, told so
    that it agrees with the same lift's stoop check ("Mixed, close to a stoop" beside
    "Stoop lift (Check)"; "Stoop" beside "Stoop lift (Adjust)")."""
    by_check = STYLE_BY_STOOP_CHECK.get(stoop_check(rep) or "")
    if by_check:
        return by_check
    style = str(rep.get("style") or "unknown")
    return STYLE_WORDS.get(style, style.replace("_", " ").capitalize())


def rep_status(rep: Mapping[str, Any]) -> str:
    if rep.get("verdict") == "not_judged":
        return "n/a"
    sev = [f.get("severity") for f in rep.get("faults") or () if isinstance(f, Mapping)]
    if "poor" in sev:
        return "poor"
    return "caution" if "caution" in sev else "ok"


LIFT_SCORE_COLUMN = "Lift score"
TRUNK_COLUMN = "Trunk lean, most (° from upright)"
KNEE_COLUMN = "Knee angle, most bent (180° = straight)"


def reps_frame(reps: Iterable[Mapping[str, Any]],
               li_by_rep: Mapping[int, tuple[float, str]] | None = None) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for r in reps:
        m = r.get("metrics") or {}
        idx = int(r.get("index") or len(rows) + 1)
        row: dict[str, Any] = {
            "Rep": idx,
            # A rep is dated by its lowest point: that is the moment the charts mark.
            "At": fmt_clock(finite(r.get("bottom_s"))),
            "Style": style_words(r),
            LIFT_SCORE_COLUMN: finite(r.get("score")),
            "Form": status_label(rep_status(r)),
            "Notes": rep_notes(r),
            # posture.confidence: the chance the verdict is right (report-schema "confidence").
            "Sure": (f"{float(r['confidence']):.0%}" if finite(r.get("confidence")) is not None
                     else "–"),
            TRUNK_COLUMN: finite(m.get("peak_trunk_inclination_deg")),
            KNEE_COLUMN: finite(m.get("min_knee_angle_deg")),
        }
        niosh = r.get("niosh")
        if li_by_rep and idx in li_by_rep:
            li, band = li_by_rep[idx]
            row["Lifting index"] = f"{li:.2f} ({band})" if math.isfinite(li) else "–"
        elif isinstance(niosh, Mapping) and finite(niosh.get("li")) is not None:
            row["Lifting index"] = f"{float(niosh['li']):.2f}"
        rows.append(row)
    return pd.DataFrame(rows)


STOOP_INDEX_COLUMN = "Stoop index (0 squat – 100 stoop)"
HIP_COLUMN = "Hip angle, most bent (180° = straight)"
# The patient's rep table: the verdicts, in a width that fits beside the sidebar at 1400 px.
REP_COLUMNS: tuple[str, ...] = ("Rep", "At", LIFT_SCORE_COLUMN, "Form", "Notes", "Style",
                                "Sure")
# The therapist's table of the same lifts: the style with the stoop index it comes from,
# the angles and the lifting index.
REP_DETAIL_COLUMNS: tuple[str, ...] = ("Rep", "At", "Style", STOOP_INDEX_COLUMN, TRUNK_COLUMN,
                                       KNEE_COLUMN, HIP_COLUMN, "Lifting index")


def rep_detail_frame(reps: Iterable[Mapping[str, Any]],
                     li_by_rep: Mapping[int, tuple[float, str]] | None = None) -> pd.DataFrame:
    """The therapist's columns of the rep table (``REP_DETAIL_COLUMNS`` that have data)."""
    rows = list(reps)
    df = reps_frame(rows, li_by_rep)
    if df.empty:
        return df
    metrics = [r.get("metrics") or {} for r in rows]
    df[STOOP_INDEX_COLUMN] = [finite(m.get("stoop_squat_index")) for m in metrics]
    df[HIP_COLUMN] = [finite(m.get("min_hip_angle_deg")) for m in metrics]
    return df[[c for c in REP_DETAIL_COLUMNS if c in df.columns]]


# ------------------------------------------------------------------------------ one truth
def rep_during(event: Mapping[str, Any], reps: Sequence[Mapping[str, Any]]
               ) -> Mapping[str, Any] | None:
    """The rep a moment belongs to: the one covering at least half of it (or its middle)."""
    start = finite(event.get("start_s"))
    if start is None:
        return None
    end = finite(event.get("end_s"))
    end = start if end is None or end < start else end
    length = end - start
    for r in reps:
        a, b = finite(r.get("start_s")), finite(r.get("end_s"))
        if a is None or b is None:
            continue
        if length <= 0:
            if a <= start <= b:
                return r
            continue
        if max(0.0, min(b, end) - max(a, start)) >= 0.5 * length:
            return r
    return None


def fault_categories(rep: Mapping[str, Any]) -> set[str]:
    return {str(f.get("category")) for f in rep.get("faults") or () if isinstance(f, Mapping)}


def reconcile_events(events: Sequence[Mapping[str, Any]], reps: Sequence[Mapping[str, Any]]
                     ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(kept, superseded): during a lift, the lift's own verdict is the one shown.

    A moment flagged while a rep was under way is kept only when that rep lists the same
    fault (it is then marked with the rep's number, ``"rep"``); otherwise the rep's checks,
    which judge the whole lift, decide and the moment is superseded — so a lift the rep
    table calls good is never also shown as a flagged moment. Camera framing moments and
    moments outside the reps are always kept.
    """
    kept: list[dict[str, Any]] = []
    superseded: list[dict[str, Any]] = []
    for e in events:
        d = dict(e)
        if not reps or d.get("category") == "framing":
            kept.append(d)
            continue
        rep = rep_during(d, reps)
        if rep is None:
            kept.append(d)
        elif str(d.get("category")) in fault_categories(rep):
            d["rep"] = rep.get("index")
            kept.append(d)
        else:
            d["rep"] = rep.get("index")
            superseded.append(d)
    return kept, superseded
