"""All frame rules of one activity, evaluated together on a frame."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from posture.metrics import FrameMetrics
from posture.rules.calibration import Calibration
from posture.rules.model import (
    POPULATION_STATURE_CM,
    SEGMENTS,
    SEVERITY_RANK,
    Rule,
    Status,
    frame_value,
)
from posture.rules.state import ClosedEvent, RuleState


@dataclass(frozen=True)
class EngineUpdate:
    status: Mapping[str, Status]
    closed: tuple[ClosedEvent, ...]
    segment_status: Mapping[str, Status]
    values: Mapping[str, float]  # the value each rule judged (NaN = not measurable)


class RuleEngine:
    """Runs the ``RuleState`` of each rule: views, guards and calibration applied here."""

    def __init__(self, rules: tuple[Rule, ...], calibration: Calibration | None = None,
                 stature_cm: float = POPULATION_STATURE_CM, load_declared: bool = False) -> None:
        self.rules = tuple(r for r in rules if load_declared or not r.requires_load)
        self.stature_cm = stature_cm
        self.calibrated_rules: list[str] = []
        self.states: dict[str, RuleState] = {}
        for r in self.rules:
            neutral = None
            if calibration is not None and calibration.activity == r.activity and r.calibrated:
                neutral = calibration.neutral_for(r.metric)
            if neutral is not None and r.calibrated is not None:
                self.states[r.id] = RuleState(r, r.calibrated, neutral)
                self.calibrated_rules.append(r.id)
            else:
                self.states[r.id] = RuleState(r)

    def value(self, rule: Rule, m: FrameMetrics) -> tuple[float, bool]:
        """(value, applicable): NaN when the view or the landmarks cannot show it."""
        if not m.detected or not rule.applies_in(m.view.view):
            return math.nan, True
        for cond in rule.when:
            g = frame_value(m, cond.metric, self.stature_cm)
            if math.isnan(g):
                return math.nan, True
            if not cond.holds(g):
                return frame_value(m, rule.metric, self.stature_cm), False
        return frame_value(m, rule.metric, self.stature_cm), True

    def update(self, m: FrameMetrics) -> EngineUpdate:
        status: dict[str, Status] = {}
        closed: list[ClosedEvent] = []
        values: dict[str, float] = {}
        seg: dict[str, Status] = dict.fromkeys(SEGMENTS, "n/a")
        for r in self.rules:
            v, applicable = self.value(r, m)
            values[r.id] = v if applicable else math.nan
            u = self.states[r.id].update(v, m.t, applicable)
            status[r.id] = u.status
            if u.closed is not None:
                closed.append(u.closed)
            if SEVERITY_RANK[u.status] > SEVERITY_RANK[seg[r.segment]]:
                seg[r.segment] = u.status
        return EngineUpdate(status, tuple(closed), seg, values)

    def advance(self, m: FrameMetrics) -> None:
        """``update`` for an activity nobody is shown: the states follow, nothing is reported."""
        for r in self.rules:
            v, applicable = self.value(r, m)
            self.states[r.id].update(v, m.t, applicable)

    def close_all(self, t: float) -> tuple[ClosedEvent, ...]:
        out = [s.close(t) for s in self.states.values()]
        return tuple(e for e in out if e is not None)
