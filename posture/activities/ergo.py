"""RULA and REBA scores per frame from the metric vector (side views only).

The scores are computed by ``posture.ergonomics``; this module only maps
metrics to its inputs and states every assumption, because pose cannot see
wrists well, nor load, coupling or wrist twist (criteria doc §5). Angles
within ±5° of upright count as upright: trunk inclination is accurate to
about 4°, and REBA scores exactly 0° differently from 1°.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from posture import ergonomics
from posture.metrics import FrameMetrics
from posture.rules.model import SIDE_VIEWS

UPRIGHT_DEADBAND_DEG = 5.0
RULA_ASSUMPTIONS = ("wrist neutral and not twisted (not measurable)",
                    "no load (force score 0)", "legs supported",
                    "no trunk/neck twist or side-bend (side view cannot show them)",
                    "neck from MediaPipe's ear, which reads ~10° forward unless calibrated")
REBA_ASSUMPTIONS = ("wrist neutral (not measurable)", "both feet on the ground",
                    "coupling good", "no trunk/neck twist or side-bend (side view)",
                    "load from the NIOSH task when given, else none")


@dataclass(frozen=True)
class ErgoContext:
    sitting: bool
    static_over_1min: bool = False
    repeated_over_4_per_min: bool = False
    load_kg: float = 0.0
    neck_neutral_deg: float = 0.0  # personal neutral neck flexion (calibration), else 0


def _deadband(x: float) -> float:
    return 0.0 if abs(x) < UPRIGHT_DEADBAND_DEG else x


def _angles(m: FrameMetrics, ctx: ErgoContext) -> tuple[float, float, float, float, float]:
    trunk = _deadband(m.get("trunk_lean_deg"))
    neck = _deadband(m.get("neck_flexion_deg") - ctx.neck_neutral_deg)
    upper = m.get("upper_arm_flexion_deg")
    lower = 180.0 - m.get("elbow_angle_deg")
    knee = 180.0 - m.get("knee_angle_deg")
    return trunk, neck, upper, lower, knee


def rula(m: FrameMetrics, ctx: ErgoContext) -> int | None:
    if not m.detected or m.view.view not in SIDE_VIEWS:
        return None
    trunk, neck, upper, lower, _ = _angles(m, ctx)
    if any(math.isnan(x) for x in (trunk, neck, upper, lower)):
        return None
    res = ergonomics.rula_score(ergonomics.RulaInputs(
        upper_arm_flex_deg=upper, lower_arm_flex_deg=lower, neck_flex_deg=neck,
        trunk_flex_deg=trunk, trunk_supported_sitting=ctx.sitting and trunk < 0,
        legs_supported=True,
        static_or_repeated=ctx.static_over_1min or ctx.repeated_over_4_per_min))
    return None if res is None else res.grand_score


def reba(m: FrameMetrics, ctx: ErgoContext) -> int | None:
    if not m.detected or m.view.view not in SIDE_VIEWS:
        return None
    trunk, neck, upper, lower, knee = _angles(m, ctx)
    if ctx.sitting:
        knee = 0.0  # REBA legs: sitting scores 1 whatever the knee angle
    if any(math.isnan(x) for x in (trunk, neck, upper, lower, knee)):
        return None
    activity = int(ctx.static_over_1min) + int(ctx.repeated_over_4_per_min)
    res = ergonomics.reba_score(ergonomics.RebaInputs(
        trunk_flex_deg=trunk, neck_flex_deg=neck, knee_flex_deg=max(knee, 0.0),
        upper_arm_flex_deg=upper, lower_arm_flex_deg=lower, load_kg=ctx.load_kg,
        activity_score=activity))
    return None if res is None else res.final
