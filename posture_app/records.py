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
    "trunk_minus_shin_deg": "Trunk vs shins",
    "knee_hyperextension_deg": "Knee past straight",
    "trunk_lateral_tilt_deg": "Sideways lean",
    "head_tilt_deg": "Head tilt",
    "knee_valgus_deg": "Knees inward",
    "trunk_twist_deg": "Trunk twist",
    "load_distance_cm": "Load distance",
    "stoop_squat_index": "Stoop index",
    "shin_lean_deg": "Shin angle",
    "heel_rise_deg": "Heel lift",
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
    "max_squat_depth_ratio": ("Squat depth (0 = parallel)", ""),
    "bottom_trunk_minus_shin_deg": ("Trunk vs shins at bottom", "°"),
    "max_trunk_twist_deg": ("Trunk twist", "°"),
    "max_knee_valgus_deg": ("Knees inward", "°"),
    "heel_rise_change_deg": ("Heel lift", "°"),
    "load_distance_cm": ("Load distance", " cm"),
}


def metric_label(name: str) -> str:
    return METRIC_LABELS.get(name, name.replace("_deg", "").replace("_", " ").capitalize())


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
        rows.append({
            "When": fmt_clock(start),
            "What": rule_label(str(e.get("rule", "")), e.get("category"), profile),
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


def rep_status(rep: Mapping[str, Any]) -> str:
    if rep.get("verdict") == "not_judged":
        return "n/a"
    sev = [f.get("severity") for f in rep.get("faults") or () if isinstance(f, Mapping)]
    if "poor" in sev:
        return "poor"
    return "caution" if "caution" in sev else "ok"


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
            "Style": str(r.get("style") or "–"),
            "Score": finite(r.get("score")),
            "Form": status_label(rep_status(r)),
            "Notes": rep_notes(r),
            # posture.confidence: the chance the verdict is right (report-schema "confidence").
            "Sure": (f"{float(r['confidence']):.0%}" if finite(r.get("confidence")) is not None
                     else "–"),
            "Trunk max (°)": finite(m.get("peak_trunk_inclination_deg")),
            "Knee min (°)": finite(m.get("min_knee_angle_deg")),
        }
        niosh = r.get("niosh")
        if li_by_rep and idx in li_by_rep:
            li, band = li_by_rep[idx]
            row["Lifting index"] = f"{li:.2f} ({band})" if math.isfinite(li) else "–"
        elif isinstance(niosh, Mapping) and finite(niosh.get("li")) is not None:
            row["Lifting index"] = f"{float(niosh['li']):.2f}"
        rows.append(row)
    return pd.DataFrame(rows)
