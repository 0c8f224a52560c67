"""Rules as data: frozen records for one posture check and its bands.

A rule names a metric, the direction in which it gets worse, two thresholds
(caution, poor), a hysteresis margin, the views it is valid in and how long a
deviation must last. Thresholds come from ``docs/clinical-criteria.md`` and
each rule says where in its ``source``; nothing here is tuned to a clip.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from posture.metrics import METRIC_NAMES, FrameMetrics

Status = Literal["ok", "caution", "poor", "n/a"]
Level = Literal["ok", "caution", "poor"]
Direction = Literal["high", "low", "abs"]
Scope = Literal["frame", "rep"]

STATUSES: tuple[Status, ...] = ("ok", "caution", "poor", "n/a")
LEVELS: tuple[Level, ...] = ("ok", "caution", "poor")
SEVERITY_RANK: Mapping[str, int] = {"n/a": -1, "ok": 0, "caution": 1, "poor": 2}
ACTIVITIES: tuple[str, ...] = ("sitting", "standing", "lifting")
ALL_VIEWS: frozenset[str] = frozenset({"side_left", "side_right", "front", "oblique"})
SIDE_VIEWS: frozenset[str] = frozenset({"side_left", "side_right"})

# report-schema.md, "Categories": every rule maps to exactly one of these.
CATEGORIES: frozenset[str] = frozenset({
    "forward_head", "slouched_trunk", "reclined", "trunk_forward_lean", "lateral_tilt",
    "knee_hyperextension", "prolonged_static", "stoop_lift", "rounded_back", "trunk_twist",
    "load_far", "shallow_squat", "excessive_forward_lean", "knee_valgus", "heel_lift",
    "framing",
})
# posture.landmarks.SEGMENT_EDGES keys, for colouring the overlay.
SEGMENTS: tuple[str, ...] = ("head", "neck", "trunk", "arms", "thighs", "shins", "feet")


def worst(statuses: Iterable[Status]) -> Status:
    """Worst status of an iterable ("n/a" when nothing was applicable)."""
    best: Status = "n/a"
    for s in statuses:
        if SEVERITY_RANK[s] > SEVERITY_RANK[best]:
            best = s
    return best


POPULATION_STATURE_CM = 170.0  # used for NIOSH distances when the user gives no height


def _knee_flexion(m: FrameMetrics, stature_cm: float) -> float:
    return 180.0 - m.get("knee_angle_deg")


def _load_distance_cm(m: FrameMetrics, stature_cm: float) -> float:
    """NIOSH H: horizontal wrist–ankle distance scaled by stature (criteria doc §3)."""
    return m.get("load_distance_ratio") * stature_cm


def stoop_squat_index(trunk_inclination_deg: float, knee_angle_deg: float) -> float:
    """Stoop–squat index, 0 = pure squat, 100 = pure stoop (after Schmid 2022).

    Schmid's index is the share of trunk forward lean in the whole-body bend;
    the exact normalisation is [unverified] (criteria doc §3), so both parts are
    normalised to a right angle: t = lean / 90°, k = knee flexion / 90°,
    SSI = 100·t / (t + k). Unsigned trunk inclination is used because the
    signed lean flips in very deep bends. NaN if either angle is missing or
    the body is not bent at all.
    """
    t = max(trunk_inclination_deg, 0.0) / 90.0
    k = max(180.0 - knee_angle_deg, 0.0) / 90.0
    if math.isnan(t) or math.isnan(k) or t + k < 1e-6:
        return float("nan")
    return 100.0 * t / (t + k)


# Frame metrics derived from the metric table, usable by rules like any metric.
DERIVED_METRICS: Mapping[str, Callable[[FrameMetrics, float], float]] = {
    "knee_flexion_deg": _knee_flexion,
    "load_distance_cm": _load_distance_cm,
    "stoop_squat_index": lambda m, _: stoop_squat_index(m.get("trunk_inclination_deg"),
                                                        m.get("knee_angle_deg")),
}
FRAME_METRICS: frozenset[str] = frozenset(METRIC_NAMES) | frozenset(DERIVED_METRICS)

# Per-rep aggregates (posture.activities.lifting computes them) usable by rep rules.
REP_METRICS: frozenset[str] = frozenset({
    "peak_trunk_inclination_deg", "min_knee_angle_deg", "min_hip_angle_deg",
    "max_squat_depth_ratio", "stoop_squat_index", "bottom_trunk_minus_shin_deg",
    "heel_rise_change_deg", "max_knee_valgus_deg", "max_trunk_twist_deg", "load_distance_cm",
    "min_wrist_height_ratio",
})


def frame_value(m: FrameMetrics, metric: str,
                stature_cm: float = POPULATION_STATURE_CM) -> float:
    """A metric or derived metric of one frame (NaN = not measurable)."""
    fn = DERIVED_METRICS.get(metric)
    return fn(m, stature_cm) if fn is not None else m.get(metric)


@dataclass(frozen=True)
class Bands:
    """Two thresholds and the direction in which a value gets worse.

    ``high``: ok < caution <= … < poor; ``low``: the mirror image; ``abs``:
    like ``high`` on the absolute value. ``poor`` may be None (caution only).
    """

    direction: Direction
    caution: float
    poor: float | None = None

    def badness(self, value: float) -> float:
        """The value turned so that larger is always worse."""
        if self.direction == "low":
            return -value
        return abs(value) if self.direction == "abs" else value

    def thresholds(self) -> tuple[float, float]:
        """(caution, poor) in badness units (poor = +inf when absent)."""
        sign = -1.0 if self.direction == "low" else 1.0
        poor = math.inf if self.poor is None else sign * self.poor
        return sign * self.caution, poor

    def eased(self, value: float, margin: float) -> float:
        """``value`` moved ``margin`` towards ok (a measuring margin, never past ok's side)."""
        if margin <= 0 or math.isnan(value):
            return value
        if self.direction == "low":
            return value + margin
        if self.direction == "abs":
            return math.copysign(max(abs(value) - margin, 0.0), value)
        return value - margin

    def level(self, value: float, current: Level = "ok", hysteresis: float = 0.0) -> Level:
        """Band of ``value``; a level is only left ``hysteresis`` beyond its edge."""
        b = self.badness(value)
        c, p = self.thresholds()
        if b >= p or (current == "poor" and b > p - hysteresis):
            return "poor"
        if b >= c or (current in ("caution", "poor") and b > c - hysteresis):
            return "caution"
        return "ok"


@dataclass(frozen=True)
class Condition:
    """A guard on another metric: the rule applies only while min <= value <= max."""

    metric: str
    min: float = -math.inf
    max: float = math.inf

    def holds(self, value: float) -> bool:
        return not math.isnan(value) and self.min <= value <= self.max


@dataclass(frozen=True)
class Rule:
    """One posture check, as loaded from a profile (see posture/profiles/default.toml)."""

    id: str  # "<activity>.<name>", e.g. "sitting.neck_inclination"
    activity: str
    category: str
    metric: str
    bands: Bands
    cue: str
    source: str
    scope: Scope = "frame"
    views: frozenset[str] = SIDE_VIEWS
    hysteresis: float = 5.0  # criteria doc §7: enter/exit thresholds ~5° apart
    enter_s: float = 1.0  # a deviation must last this long to count (event, status)
    clear_s: float = 1.0  # and be gone this long to clear
    cue_after_s: float = 60.0  # a cue is shown once the deviation has lasted this long
    cue_cooldown_s: float = 300.0  # the same cue is not repeated sooner
    max_gap_s: float = 1.0  # longer runs without a measurement reset the rule
    segment: str = "trunk"
    when: tuple[Condition, ...] = ()
    calibrated: Bands | None = None  # bands on (value − personal neutral) when calibrated
    requires_load: bool = False  # only judged when the user says a load is carried
    enabled: bool = True
    label: str = ""
    # Essential to a rep's verdict: a rep whose essential checks could not be judged
    # (wrong view, body cut off) is "not judged", never "good" (report-schema.md).
    essential: bool = False

    def applies_in(self, view: str) -> bool:
        return view in self.views


@dataclass(frozen=True)
class ActivitySettings:
    """Per-activity settings of a profile."""

    primary_views: frozenset[str] = SIDE_VIEWS
    break_after_s: float = 1800.0  # prolonged static posture reminder
    break_reset_s: float = 120.0  # this long away or in another activity resets the timer
    break_cue: str = "Time for a short movement break — stand up and stretch"
    break_source: str = ""
    framing_enter_s: float = 1.5
    required_metrics: tuple[str, ...] = ()  # framing: these must be measurable
    framing_cue_views: str = "Turn side-on to the camera"
    framing_cue_body: str = "Step back so your whole body is in view"


@dataclass(frozen=True)
class Profile:
    """A validated rule set for all activities (frozen; see posture.rules.profile)."""

    name: str
    description: str
    rules: tuple[Rule, ...]
    activities: Mapping[str, ActivitySettings] = field(default_factory=dict)
    sources: tuple[str, ...] = ()  # the files it was loaded from, base first

    def frame_rules(self, activity: str) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules
                     if r.activity == activity and r.scope == "frame" and r.enabled)

    def rep_rules(self, activity: str = "lifting") -> tuple[Rule, ...]:
        return tuple(r for r in self.rules
                     if r.activity == activity and r.scope == "rep" and r.enabled)

    def settings(self, activity: str) -> ActivitySettings:
        return self.activities.get(activity, ActivitySettings())

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)
