"""``--activity auto``: sitting, standing or lifting, from the landmarks.

Side views show it directly: thighs about level with bent knees and hips is
sitting, straight knees and hips with vertical thighs is standing, and a
recent deep bend-and-return (the rep counter's depth) is lifting. A new
activity must persist before it replaces the old one (hysteresis in time), and
a squat's bottom is far too brief to pass for sitting. Front and oblique views
cannot show thigh angles, so the activity is kept from before.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from posture.metrics import FrameMetrics
from posture.rules.model import SIDE_VIEWS


@dataclass(frozen=True)
class DetectConfig:
    sit_thigh_min_deg: float = 55.0  # thigh inclination from vertical (90 = level)
    sit_knee_max_deg: float = 135.0
    sit_hip_max_deg: float = 135.0
    stand_thigh_max_deg: float = 35.0
    stand_knee_min_deg: float = 145.0
    stand_hip_min_deg: float = 140.0
    dwell_s: float = 2.0  # a new posture activity must hold this long
    lifting_hold_s: float = 8.0  # lifting stays until this long after the last bend


class ActivityDetector:
    """``update(m, bending, t)`` → "sitting" | "standing" | "lifting" (None until known)."""

    def __init__(self, config: DetectConfig = DetectConfig()) -> None:
        self.config = config
        self.activity: str | None = None
        self._candidate: str | None = None
        self._since = 0.0
        self._last_bend: float | None = None

    def posture_of(self, m: FrameMetrics) -> str | None:
        c = self.config
        if not m.detected or m.view.view not in SIDE_VIEWS:
            return None
        thigh, knee, hip = (m.get("thigh_inclination_deg"), m.get("knee_angle_deg"),
                            m.get("hip_angle_deg"))
        if any(math.isnan(x) for x in (thigh, knee, hip)):
            return None
        if thigh >= c.sit_thigh_min_deg and knee <= c.sit_knee_max_deg \
                and hip <= c.sit_hip_max_deg:
            return "sitting"
        if thigh <= c.stand_thigh_max_deg and knee >= c.stand_knee_min_deg \
                and hip >= c.stand_hip_min_deg:
            return "standing"
        return None

    def update(self, m: FrameMetrics, deep_bend: bool, t: float) -> str | None:
        """``deep_bend``: the rep counter just completed a rep (a full bend and return).

        Waiting for the return keeps sitting down (which never comes back up)
        from flashing "lifting" on the way into the chair.
        """
        c = self.config
        if deep_bend:
            self._last_bend = t
        lifting = self._last_bend is not None and t - self._last_bend <= c.lifting_hold_s
        cand = self.posture_of(m)
        if lifting and cand != "sitting":
            cand = "lifting"
        if cand is None:
            return self.activity
        if self.activity is None:
            self.activity, self._candidate, self._since = cand, cand, t
            return cand
        if cand == self.activity:
            self._candidate = cand
            return cand
        if cand != self._candidate:
            self._candidate, self._since = cand, t
        if cand == "lifting" or t - self._since >= c.dwell_s:
            self.activity = cand
            if cand == "sitting":
                self._last_bend = None
        return self.activity
