"""Per-rule state over time: hysteresis, persistence, gaps and events.

Hysteresis acts on the raw value (a level is left only ``hysteresis`` beyond
its edge), persistence on the shown status (a level must hold ``enter_s`` to
show and the ok band ``clear_s`` to clear). An event spans the deviation
itself: it is confirmed after ``enter_s`` but starts when the value first
left the ok band and ends when it came back, so the report covers the time
the posture was really held. NaN means "not measurable": the frame reads
"n/a", and a gap longer than ``max_gap_s`` closes the event at the last
measured time instead of holding a stale verdict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from posture.rules.model import LEVELS, SEVERITY_RANK, Bands, Level, Rule, Status


@dataclass(frozen=True)
class ClosedEvent:
    """A finished deviation of one rule (times in seconds of the session)."""

    rule: Rule
    severity: Level
    start_s: float
    end_s: float
    peak_value: float


@dataclass
class OpenEvent:
    start_s: float
    severity: Level
    peak_value: float
    peak_badness: float


@dataclass(frozen=True)
class RuleUpdate:
    status: Status
    closed: ClosedEvent | None = None


class RuleState:
    """The state machine of one rule; ``update(value, t)`` once per frame."""

    def __init__(self, rule: Rule, bands: Bands | None = None, offset: float = 0.0) -> None:
        self.rule = rule
        self.bands = bands or rule.bands  # calibrated bands when a neutral is known
        self.offset = offset  # subtracted from every value (personal neutral)
        self.reset()

    def reset(self) -> None:
        self._raw: Level = "ok"
        self._shown: Level = "ok"
        self._ge: dict[Level, float | None] = {"caution": None, "poor": None}
        self._lt: dict[Level, float | None] = {"caution": None, "poor": None}
        self._last_valid_t: float | None = None
        self.event: OpenEvent | None = None

    @property
    def shown(self) -> Level:
        return self._shown

    def close(self, t: float) -> ClosedEvent | None:
        """Close any open event at ``t`` (session end, activity switch, person gone)."""
        ev = self.event
        closed = None
        if ev is not None:
            back_in_band = self._lt["caution"]  # already back in band, not yet cleared
            end = t if back_in_band is None else min(back_in_band, t)
            closed = ClosedEvent(self.rule, ev.severity, ev.start_s, max(end, ev.start_s),
                                 ev.peak_value)
        self.reset()
        return closed

    def update(self, value: float, t: float, applicable: bool = True) -> RuleUpdate:
        """Feed one sample. ``applicable=False`` (a guard failed) counts as in band."""
        closed = None
        if self._last_valid_t is not None and t - self._last_valid_t > self.rule.max_gap_s:
            closed = self.close(self._last_valid_t)
        if applicable and math.isnan(value):
            return RuleUpdate("n/a", closed)
        v = value - self.offset if applicable else math.nan
        self._last_valid_t = t
        self._raw = self.bands.level(v, self._raw, self.rule.hysteresis) if applicable else "ok"
        for level in ("caution", "poor"):
            lv: Level = level
            if SEVERITY_RANK[self._raw] >= SEVERITY_RANK[lv]:
                self._ge[lv] = t if self._ge[lv] is None else self._ge[lv]
                self._lt[lv] = None
            else:
                self._lt[lv] = t if self._lt[lv] is None else self._lt[lv]
                self._ge[lv] = None
        before = self._shown
        self._shown = self._debounced(t)
        if self._shown != "ok" and before == "ok":
            start = self._ge["caution"]
            self.event = OpenEvent(t if start is None else start, self._shown, v, -math.inf)
        ev = self.event
        if ev is not None:
            if SEVERITY_RANK[self._shown] > SEVERITY_RANK[ev.severity]:
                ev.severity = self._shown
            if applicable and self.bands.badness(v) > ev.peak_badness:
                ev.peak_badness = self.bands.badness(v)
                ev.peak_value = value
            if self._shown == "ok":
                end = self._lt["caution"]
                closed = ClosedEvent(self.rule, ev.severity, ev.start_s,
                                     t if end is None else max(end, ev.start_s), ev.peak_value)
                self.event = None
        return RuleUpdate(self._shown, closed)

    def _debounced(self, t: float) -> Level:
        shown = self._shown
        rank = SEVERITY_RANK
        if rank[self._raw] > rank[shown]:
            # Rise to the highest level that has persisted long enough.
            for level in reversed(LEVELS[1:]):
                since = self._ge[level]
                if rank[level] > rank[shown] and since is not None and \
                        t - since >= self.rule.enter_s - 1e-9:
                    return level
            return shown
        if rank[self._raw] < rank[shown]:
            since = self._lt[shown]
            if since is not None and t - since >= self.rule.clear_s - 1e-9:
                return self._raw
        return shown
