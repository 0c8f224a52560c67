"""Personal neutral posture from a few seconds of "sit tall" / "stand tall".

MediaPipe has no C7 or ear canal: its ear sits ~3 cm forward, so neck
inclination reads ~10° high, and people differ in their upright posture. A
per-user neutral (criteria doc §0) beats a fixed population cut-off: rules
with ``calibrated`` bands then judge the offset from this neutral.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from posture.errors import PostureError
from posture.metrics import FrameMetrics
from posture.rules.model import SIDE_VIEWS
from posture.view import most_seen_view

CALIBRATED_METRICS: tuple[str, ...] = ("neck_inclination_deg", "trunk_lean_deg",
                                       "neck_flexion_deg", "trunk_inclination_deg")
POSTURE_ACTIVITY: Mapping[str, str] = {"sit_tall": "sitting", "stand_tall": "standing"}


class CalibrationError(PostureError, ValueError):
    """The calibration frames cannot give a trustworthy neutral (too few, wrong view, moving)."""


@dataclass(frozen=True)
class Calibration:
    """Neutral metric values of one person in one posture ("sit_tall" or "stand_tall")."""

    posture: str
    neutral: Mapping[str, float]
    frames: int = 0
    view: str = ""
    spread: Mapping[str, float] = field(default_factory=dict)

    @property
    def activity(self) -> str:
        return POSTURE_ACTIVITY.get(self.posture, self.posture)

    def neutral_for(self, metric: str) -> float | None:
        v = self.neutral.get(metric)
        return None if v is None or math.isnan(v) else float(v)

    def to_dict(self) -> dict[str, Any]:
        return {"posture": self.posture, "activity": self.activity, "frames": self.frames,
                "view": self.view, "neutral": dict(self.neutral), "spread": dict(self.spread)}


def calibrate(frames: Iterable[FrameMetrics], posture: str = "sit_tall",
              metrics: tuple[str, ...] = CALIBRATED_METRICS, min_frames: int = 10,
              max_spread_deg: float = 4.0) -> Calibration:
    """Median of each metric over side-view frames; refuse if the person was moving.

    ``max_spread_deg`` bounds the interquartile range of each metric: a wider
    spread means the person was not holding still, and the neutral would be noise.
    """
    if posture not in POSTURE_ACTIVITY:
        raise CalibrationError(
            f"posture must be one of {sorted(POSTURE_ACTIVITY)}, got {posture!r}")
    usable = [f for f in frames if f.detected and f.view.view in SIDE_VIEWS]
    if len(usable) < min_frames:
        raise CalibrationError(f"only {len(usable)} side-view frames with a person "
                               f"(need {min_frames}): turn side-on and hold still")
    neutral: dict[str, float] = {}
    spread: dict[str, float] = {}
    for name in metrics:
        vals = np.array([f.get(name) for f in usable])
        vals = vals[~np.isnan(vals)]
        if len(vals) < min_frames:
            continue
        q1, med, q3 = np.percentile(vals, [25, 50, 75])
        if q3 - q1 > max_spread_deg:
            raise CalibrationError(f"{name} varied by {q3 - q1:.1f}° during calibration "
                                   f"(max {max_spread_deg}°): hold still and try again")
        neutral[name] = float(med)
        spread[name] = float(q3 - q1)
    if not neutral:
        raise CalibrationError("no calibratable metric was measurable: check the framing")
    return Calibration(posture, neutral, len(usable),
                       most_seen_view(f.view.view for f in usable), spread)
