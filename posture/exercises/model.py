"""Frozen records for one home exercise (issue #11), as loaded from its TOML file.

An exercise is data, like a rule profile: a therapist's file says which metric
drives the movement, where its phases change (with hysteresis), what range of
motion is the target, how a hold is recognised, and which form rules apply
(``posture.rules.model.Rule``, so bands, views, guards and persistence mean
the same thing as for sitting, standing and lifting).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from posture.confidence import extra_error
from posture.rules.model import CATEGORIES, Condition, Rule

Kind = Literal["reps", "hold"]
SidesMode = Literal["both", "each", "alternating"]
Peak = Literal["max", "min"]

KINDS: tuple[Kind, ...] = ("reps", "hold")
SIDES_MODES: tuple[SidesMode, ...] = ("both", "each", "alternating")

# Fault categories of the exercises, added to the posture ones (report-schema.md).
EXERCISE_CATEGORIES: frozenset[str] = frozenset({
    "hips_sag", "lumbar_overextension", "hip_drop", "trunk_rotation", "knees_caving",
    "hands_push_off", "trunk_collapse", "squat_not_hinge", "body_sag", "body_pike",
    "knee_past_toes", "rom_short", "reach_low", "knee_bent", "hips_lift",
})
ALL_CATEGORIES: frozenset[str] = CATEGORIES | EXERCISE_CATEGORIES

# The metric that says which limb works, per drive metric (posture.metrics, +1 = left).
SIDE_METRICS: dict[str, str] = {
    "leg_raise_deg": "raised_leg_side",
    "arm_raise_deg": "raised_arm_side",
    "front_knee_angle_deg": "front_leg_side",
}


NEAR_SIDE = "near_side"  # side_metric: the body side facing the camera (posture.view)


@dataclass(frozen=True)
class Position(Condition):
    """A start-posture or hold condition; ``absolute`` bounds |value| (either side down)."""

    absolute: bool = False

    def holds(self, value: float) -> bool:
        return super().holds(abs(value) if self.absolute else value)


@dataclass(frozen=True)
class Phases:
    """Where a rep's drive metric changes phase: a Schmitt trigger, so jitter never counts.

    The body is at ``rest`` once the metric is beyond ``rest`` (on the rest side) and
    at ``work`` once beyond ``work``; in between it keeps its phase. ``work > rest``
    means the movement raises the metric (a bridge lifts the hips), ``work < rest``
    lowers it (a split squat bends the front knee). A rep = rest → work → rest.
    """

    metric: str
    rest: float
    work: float
    min_rep_s: float = 0.4  # shorter round trips are noise, not a rep (default to calibrate)
    source: str = ""
    # "own_rest": the metric is read from the person's own rest position (its extreme on
    # the rest side over the last ``RestLevel.window_s``), not from an absolute zero — for
    # a metric whose zero the pose model misplaces by more than the movement's margin
    # (MediaPipe's heel and toe points put a flat foot anywhere from −7° to +9°).
    relative_to: str = ""

    @property
    def rising(self) -> bool:
        return self.work > self.rest

    def at_rest(self, v: float) -> bool:
        return v <= self.rest if self.rising else v >= self.rest

    def at_work(self, v: float) -> bool:
        return v >= self.work if self.rising else v <= self.work


@dataclass(frozen=True)
class Rom:
    """The range of motion of a rep: the peak (max or min) of a metric, and its target."""

    metric: str
    peak: Peak
    target: float
    source: str
    # A rep short of the target is this fault (e.g. a bridge's "hips_sag"), with this cue.
    category: str = "rom_short"
    cue: str = "Go a little further if you comfortably can"
    # The metric's measured error (degrees): a rep is called short only when it falls
    # short by more than that, since within it the reading cannot tell (0 = exact).
    margin: float = 0.0

    @property
    def limit(self) -> float:
        """Where "short" starts side-on: the target, less the file's margin (other views:
        ``margin_in``)."""
        return self.target - self.margin if self.peak == "max" else self.target + self.margin

    def margin_in(self, view: str) -> float:
        """The margin in ``view``: the file's (set for a side view) plus how much more the
        metric errs in this view than side-on (``posture.confidence.extra_error``, the
        same margin a lifting fault must pass by). At an angle the knee reads 9° further
        off than side-on, and a good rep read 10° low must not be called short."""
        return self.margin + extra_error(self.metric, view)

    def reached_in(self, value: float, view: str) -> bool:
        m = self.margin_in(view)
        return value >= self.target - m if self.peak == "max" else value <= self.target + m


@dataclass(frozen=True)
class Hold:
    """A hold's target position (every condition true) and how long it should last."""

    band: tuple[Condition, ...]
    target_s: float
    source: str
    # Out of the band (or a poor fault) this long pauses the timer (default to calibrate).
    grace_s: float = 0.3


@dataclass(frozen=True)
class Exercise:
    """One exercise of the library (posture/exercises/library/<key>.toml)."""

    key: str
    title: str
    kind: Kind
    views: frozenset[str]
    setup_cue: str
    sides: SidesMode
    start: tuple[Condition, ...]  # the start posture, recognised before counting begins
    drive: str  # the metric that shows the movement (the phases' or the hold's main one)
    rules: tuple[Rule, ...]
    trains: str = ""
    start_s: float = 0.5  # the start posture must hold this long (default to calibrate)
    start_source: str = ""
    phases: Phases | None = None  # reps only
    rom: Rom | None = None  # reps: per rep; holds: the best reading while holding
    hold: Hold | None = None  # holds only
    # For exercises done per side: the metric naming the worked side (+ = left; the
    # loader defaults it from the drive metric, NEAR_SIDE = the side facing the
    # camera) and whether its sign is reversed.
    side_metric: str | None = None
    side_flip: bool = False
    source_file: str = ""

    def side_of(self, value: float) -> str | None:
        """"left" / "right" from a reading of ``side_metric`` (None if unknown)."""
        if self.side_metric is None or value != value or value == 0:
            return None
        left = (value > 0) != self.side_flip
        return "left" if left else "right"
