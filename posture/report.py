"""report.json (the public contract in report-schema.md) and frames.csv."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

from posture import __version__
from posture.confidence import frame_angle_confidence
from posture.metrics import METRIC_NAMES, SCHEMA_ANGLES
from posture.pipeline import Analysis

SCHEMA_VERSION = 1


def _num(v: float | None, digits: int = 2) -> float | None:
    if v is None or not math.isfinite(v):
        return None
    return round(float(v), digits)


def _clean(obj: Any) -> Any:
    """JSON-safe copy: NaN/inf become null, tuples lists, floats rounded."""
    if isinstance(obj, float):
        return _num(obj, 3)
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if hasattr(obj, "item") and callable(obj.item):  # numpy scalar
        return _clean(obj.item())
    return obj


def build_report(analysis: Analysis, video_path: str | None = None) -> dict[str, Any]:
    info = analysis.info
    frames = []
    for f in analysis.frames:
        a = f.assessment
        angles = {name: _num(f.metrics.get(name), 1) for name in SCHEMA_ANGLES}
        frames.append(
            {
                "t": round(f.t, 3),
                "detected": f.detected,
                "view": f.view.view,
                "angles": angles,
                "confidence": frame_angle_confidence(f.pose, f.view, angles),
                "status": dict(a.status) if a is not None else {},
            }
        )
    session = analysis.session
    summary: dict[str, Any] = {"detected_fraction": round(analysis.detected_fraction, 4)}
    if session is not None:
        summary.update(session.summary)
    summary.setdefault("score", None)
    summary.setdefault("time_s_by_severity", {"ok": 0.0, "caution": 0.0, "poor": 0.0})
    report = {
        "schema_version": SCHEMA_VERSION,
        "tool_version": __version__,
        "video": {
            "path": video_path if video_path is not None else info.path,
            "fps": _num(info.fps, 3),
            "frames": info.frames,
            "width": info.width,
            "height": info.height,
            "duration_s": _num(info.duration_s, 3),
        },
        "activity": analysis.activity,
        "frames": frames,
        "events": [e.to_dict() for e in session.events] if session is not None else [],
        "reps": [r.to_dict() for r in session.reps] if session is not None else [],
        "summary": summary,
    }
    if session is not None and session.exercise is not None:
        report["exercise"] = dict(session.exercise)
    if analysis.warnings:
        report["warnings"] = list(analysis.warnings)
    return dict(_clean(report))


def write_report(analysis: Analysis, out_dir: Path, video_path: str | None = None) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "report.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(
        json.dumps(build_report(analysis, video_path), indent=1, allow_nan=False), encoding="utf-8"
    )
    tmp.replace(path)  # never leave a half-written report behind
    return path


def csv_rows(analysis: Analysis) -> tuple[list[str], list[list[Any]]]:
    rule_ids = sorted(
        {rid for f in analysis.frames if f.assessment is not None for rid in f.assessment.status}
    )
    header = [
        "frame",
        "t",
        "detected",
        "view",
        "near_side",
        "activity",
        *METRIC_NAMES,
        *[f"status:{r}" for r in rule_ids],
        "worst",
        "cue",
        "rep_count",
        "rep_phase",
        # The picture check (posture.quality): "ok", "dark", "noisy" or "far"; on a poor
        # picture every metric and status is empty / n/a.
        "picture",
        "luma",
        "noise_sigma",
        "landmark_confidence",
    ]
    rows = []
    for f in analysis.frames:
        a = f.assessment
        rows.append(
            [
                f.index,
                round(f.t, 3),
                int(f.detected),
                f.view.view,
                f.view.near_side,
                a.activity if a is not None else "",
                *[_num(v, 2) for v in f.metrics.values.tolist()],
                *[(a.status.get(r, "") if a is not None else "") for r in rule_ids],
                a.worst if a is not None else "",
                (a.cue or "") if a is not None else "",
                a.rep_count if a is not None else "",
                a.rep_phase if a is not None else "",
                f.quality.problem or "ok",
                _num(f.quality.luma, 1),
                _num(f.quality.noise, 2),
                _num(f.quality.landmark_confidence, 3),
            ]
        )
    return header, rows


def write_csv(analysis: Analysis, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "frames.csv"
    header, rows = csv_rows(analysis)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path
