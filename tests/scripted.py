"""Scripted metric sequences: build ``FrameMetrics`` directly, no video, no pose model.

``script(segments)`` turns a list of (duration, values) steps into frames at a
fixed rate; values may be numbers (held) or (start, end) pairs (linear ramp).
Unlisted metrics are NaN, exactly like a metric the camera could not measure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

import numpy as np

from posture.metrics import METRIC_INDEX, FrameMetrics, empty_values
from posture.view import View, ViewState

Value = float | tuple[float, float] | str

SITTING_UPRIGHT: Mapping[str, Value] = {
    "trunk_lean_deg": 2.0, "trunk_inclination_deg": 2.0, "neck_inclination_deg": 20.0,
    "neck_lean_deg": 20.0, "neck_flexion_deg": 18.0, "hip_angle_deg": 95.0,
    "knee_angle_deg": 90.0, "thigh_inclination_deg": 85.0, "upper_arm_flexion_deg": 15.0,
    "elbow_angle_deg": 100.0, "body_height_px": 300.0,
}
STANDING: Mapping[str, Value] = {
    "trunk_lean_deg": 2.0, "trunk_inclination_deg": 2.0, "neck_inclination_deg": 20.0,
    "neck_lean_deg": 20.0, "neck_flexion_deg": 18.0, "hip_angle_deg": 175.0,
    "knee_angle_deg": 178.0, "thigh_inclination_deg": 5.0, "knee_hyperextension_deg": -2.0,
    "upper_arm_flexion_deg": 5.0, "elbow_angle_deg": 170.0, "squat_depth_ratio": -1.0,
    "heel_rise_deg": 2.0, "trunk_minus_shin_deg": -2.0, "shin_lean_deg": 4.0,
    "load_distance_ratio": 0.02, "wrist_height_ratio": 0.45, "body_height_px": 320.0,
}


def frame(t: float, values: Mapping[str, float], view: View = "side_left",
          detected: bool = True, near: Literal["left", "right"] = "left") -> FrameMetrics:
    v = empty_values()
    for k, x in values.items():
        v[METRIC_INDEX[k]] = x
    yaw = {"front": 5.0, "oblique": 35.0}.get(view, 85.0)
    return FrameMetrics(t, detected, ViewState(view if detected else "unknown", near, yaw, False),
                        v)


def script(steps: Sequence[tuple[float, Mapping[str, Value]]], fps: float = 15.0,
           view: View = "side_left", t0: float = 0.0,
           base: Mapping[str, Value] | None = None) -> list[FrameMetrics]:
    """Frames for consecutive steps of (duration_s, values); ``base`` fills unlisted metrics.

    A step whose values contain ``{"detected": 0}`` yields frames with nobody in view.
    """
    out: list[FrameMetrics] = []
    t = t0
    for duration, values in steps:
        merged: dict[str, Value] = {**(base or {}), **values}
        n = max(1, round(duration * fps))
        for i in range(n):
            frac = i / max(n - 1, 1)
            present = merged.get("detected", 1) != 0
            vals = {}
            for k, x in merged.items():
                if k in ("detected", "view"):
                    continue
                if isinstance(x, tuple):
                    vals[k] = x[0] + (x[1] - x[0]) * frac
                elif not isinstance(x, str):
                    vals[k] = float(x)
            v = merged.get("view", view)
            out.append(frame(t, vals if present else {}, v if isinstance(v, str) else view,
                             present))  # type: ignore[arg-type]  # a View string
            t += 1.0 / fps
    return out


def values_of(frames: Iterable[FrameMetrics], name: str) -> np.ndarray:
    return np.array([f.get(name) for f in frames])
