"""How far to trust a number: expected error of an angle, and the chance a verdict is right.

A therapist needs to know when to trust a verdict. Both confidences come from one
model: the angle's *expected error* σ — the error measured against ground truth for
that angle in that view (``MEASURED_MAE_DEG``, from ``benchmarks/accuracy.py``), grown
when the landmarks are barely visible or the camera looks down — treated as a normal
error (σ = MAE·√(π/2)).

- An angle's confidence is the chance it lies within ``TOLERANCE_DEG`` of the truth.
- A check's confidence is the chance the true value lies in the band that was
  reported (ok / caution / poor), so a value right at a threshold is ~50 % sure
  and one far from it is near 100 %.
- A rep's confidence is that of its least certain judged essential check.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from posture.landmarks import SIDES, FramePose
from posture.rules.model import Bands, Level
from posture.view import ViewState

# Mean absolute error (degrees) of the four report angles against exact ground truth,
# per view class, measured on the synthetic renders by benchmarks/accuracy.py
# (README "Accuracy", cameras 0–15° above level, 2026-12-05, MediaPipe given each
# frame's own time: posture.pose; oblique legs in 3-D from the image landmarks:
# posture.metrics). Update with the command when the geometry changes.
MEASURED_MAE_DEG: Mapping[tuple[str, str], float] = {
    ("trunk_inclination_deg", "side"): 2.9, ("trunk_inclination_deg", "oblique"): 3.3,
    ("neck_inclination_deg", "side"): 3.8, ("neck_inclination_deg", "oblique"): 4.9,
    ("hip_angle_deg", "side"): 6.5, ("hip_angle_deg", "oblique"): 7.5,
    ("knee_angle_deg", "side"): 5.0, ("knee_angle_deg", "oblique"): 8.7,
}
# Errors of rep-level metrics that are not one of the four angles (units of the metric).
# Sources: knee valgus (FPPA) 2–4° (Straub & Powers 2022, criteria doc §3); the others
# are defaults to calibrate, from the angle errors of their inputs.
REP_METRIC_SIGMA: Mapping[str, float] = {
    "max_knee_valgus_deg": 3.0 * math.sqrt(math.pi / 2),
    "max_trunk_twist_deg": 10.0,   # 3-D world landmarks, noisy: default to calibrate
    "heel_rise_change_deg": 4.0,   # heel→toe line, small segment: default to calibrate
    "max_squat_depth_ratio": 0.15,  # thigh lengths; hip landmark ~3 cm high (synth README)
    "load_distance_cm": 8.0,       # default to calibrate
}
# …where a view measures the metric another way (posture.metrics): scaled by the measured
# error in that view against side-on (squat depth at rep bottoms, renders at 0–15°:
# 3-D at an angle 0.14 thigh lengths, 2-D side-on 0.11; world_depth_ratio).
REP_METRIC_SIGMA_BY_VIEW: Mapping[tuple[str, str], float] = {
    ("max_squat_depth_ratio", "oblique"): 0.15 * 0.14 / 0.11,
}
# Which angle's error stands for a rep or frame metric (same landmarks, same plane).
ANGLE_OF: Mapping[str, str] = {
    "trunk_inclination_deg": "trunk_inclination_deg", "trunk_lean_deg": "trunk_inclination_deg",
    "peak_trunk_inclination_deg": "trunk_inclination_deg",
    "neck_inclination_deg": "neck_inclination_deg", "neck_lean_deg": "neck_inclination_deg",
    "neck_flexion_deg": "neck_inclination_deg", "hip_angle_deg": "hip_angle_deg",
    "min_hip_angle_deg": "hip_angle_deg", "knee_angle_deg": "knee_angle_deg",
    "min_knee_angle_deg": "knee_angle_deg", "knee_hyperextension_deg": "knee_angle_deg",
    "trunk_minus_shin_deg": "trunk_inclination_deg",
    "bottom_trunk_minus_shin_deg": "trunk_inclination_deg",
}
TOLERANCE_DEG = 5.0  # criteria doc §7: bands are set ~5° apart (hysteresis); default to calibrate
_SQRT_PI_2 = math.sqrt(math.pi / 2)


def view_class(view: str) -> str | None:
    """'side' / 'oblique' for views where sagittal angles are measured, else None."""
    if view in ("side_left", "side_right"):
        return "side"
    return "oblique" if view == "oblique" else None


def _phi(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def angle_sigma(metric: str, view: str, visibility: float = 1.0) -> float:
    """Expected error σ (degrees) of an angle; NaN where the view cannot show it.

    Barely visible landmarks (MediaPipe visibility 0.5, the lowest we measure on) double
    the error: a default to calibrate.
    """
    vc = view_class(view)
    base = ANGLE_OF.get(metric, metric)
    mae = MEASURED_MAE_DEG.get((base, vc)) if vc else None
    if mae is None or math.isnan(visibility):
        return math.nan
    vis = min(max(visibility, 0.5), 1.0)
    return mae * _SQRT_PI_2 * (1.0 + 2.0 * (1.0 - vis))


def typical_error_deg(metric: str, view: str) -> float:
    """The measured typical (mean absolute) error of a metric's angle in this view; NaN
    where unknown — shown as "±N°" beside a live number."""
    vc = view_class(view)
    mae = MEASURED_MAE_DEG.get((ANGLE_OF.get(metric, ""), vc)) if vc else None
    return math.nan if mae is None else mae


def angle_confidence(sigma: float) -> float:
    """The chance an angle with expected error σ is within TOLERANCE_DEG of the truth."""
    if not math.isfinite(sigma) or sigma <= 0:
        return math.nan
    return math.erf(TOLERANCE_DEG / (sigma * math.sqrt(2.0)))


_ANGLE_LANDMARKS = {
    "trunk_inclination_deg": ("shoulder", "hip"),
    "neck_inclination_deg": ("ear", "shoulder"),
    "hip_angle_deg": ("shoulder", "hip", "knee"),
    "knee_angle_deg": ("hip", "knee", "ankle"),
}


def frame_angle_confidence(pose: FramePose | None, view: ViewState,
                           values: Mapping[str, float | None]) -> dict[str, float | None]:
    """Per-frame confidence of the report angles (None where the angle is None)."""
    out: dict[str, float | None] = {}
    side = SIDES[view.near_side]
    for name, value in values.items():
        if value is None or pose is None or name not in _ANGLE_LANDMARKS:
            out[name] = None
            continue
        vis = min(float(pose.visibility[getattr(side, part)])
                  for part in _ANGLE_LANDMARKS[name])
        c = angle_confidence(angle_sigma(name, view.view, vis))
        out[name] = None if math.isnan(c) else round(c, 2)
    return out


def metric_sigma(metric: str, view: str, rep_metrics: Mapping[str, float] | None = None
                 ) -> float:
    """Expected error of a rule's metric (its own units); NaN if unknown."""
    if (metric, view_class(view)) in REP_METRIC_SIGMA_BY_VIEW:
        return REP_METRIC_SIGMA_BY_VIEW[metric, str(view_class(view))]
    if metric in REP_METRIC_SIGMA:
        return REP_METRIC_SIGMA[metric]
    if metric == "stoop_squat_index" and rep_metrics is not None:
        return _ssi_sigma(rep_metrics, view)
    if metric in ANGLE_OF:
        s = angle_sigma(metric, view)
        if metric.endswith("minus_shin_deg"):
            s *= math.sqrt(2.0)  # two segments' errors add
        return s
    return math.nan


def extra_error(metric: str, view: str, rep_metrics: Mapping[str, float] | None = None
                ) -> float:
    """How much more a rep metric errs in ``view`` than side-on (its units, as a mean
    absolute error; 0 where no larger error is known). A fault is called from such a
    view only when the reading passes the line by this much too, as a short range is
    (``posture.exercises.model.Rom.margin_in``): a parallel squat read 0.26 thigh
    lengths high at an angle is not a shallow one."""
    here, side = metric_sigma(metric, view, rep_metrics), metric_sigma(metric, "side_left",
                                                                       rep_metrics)
    extra = (here - side) / _SQRT_PI_2
    return extra if extra > 0 else 0.0  # NaN (unknown) compares False: 0


def _ssi_sigma(m: Mapping[str, float], view: str) -> float:
    """σ of the stoop–squat index, propagated from the trunk and knee errors."""
    trunk, knee = m.get("peak_trunk_inclination_deg", math.nan), m.get(
        "min_knee_angle_deg", math.nan)
    st, sk = angle_sigma("trunk_inclination_deg", view), angle_sigma("knee_angle_deg", view)
    t, k = max(trunk, 0.0) / 90.0, max(180.0 - knee, 0.0) / 90.0
    if any(math.isnan(x) for x in (t, k, st, sk)) or t + k < 1e-6:
        return math.nan
    d_t = 100.0 * k / (t + k) ** 2 / 90.0  # ∂SSI/∂trunk (per degree)
    d_k = 100.0 * t / (t + k) ** 2 / 90.0  # |∂SSI/∂knee flexion|
    return math.hypot(d_t * st, d_k * sk)


def band_confidence(bands: Bands, value: float, level: Level, sigma: float) -> float:
    """The chance the true value lies in the reported band, given a normal error σ."""
    if not (math.isfinite(value) and math.isfinite(sigma)) or sigma <= 0:
        return math.nan
    b = bands.badness(value)
    c, p = bands.thresholds()
    # In badness units the error keeps its size (a sign flip, or |x| away from 0).
    below_c = _phi((c - b) / sigma)
    below_p = _phi((p - b) / sigma) if math.isfinite(p) else 1.0
    if level == "ok":
        return below_c
    if level == "caution":
        return max(below_p - below_c, 0.0)
    return 1.0 - below_p


def rep_confidence(check_confidences: Sequence[tuple[bool, float]]) -> float | None:
    """The least certain judged essential check (all judged checks when none is essential)."""
    essential = [c for e, c in check_confidences if e and math.isfinite(c)]
    pool = essential or [c for _, c in check_confidences if math.isfinite(c)]
    return round(min(pool), 2) if pool else None
