"""Prolonged static posture: time spent in one activity without a real break.

Hedge (Cornell) suggests sitting ~20 min then standing and moving; RULA adds
+1 for a posture held > 1 min (criteria doc §1). The timer runs while the
person stays in the activity and resets only after a real break
(``reset_s`` away from the camera or in another activity), so a brief
glance away does not count as one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StaticTick:
    held_s: float  # continuous time in the activity so far
    due: bool  # held_s has passed the break threshold
    ended_at: float | None = None  # a real break began at this time (closes the event)


class StaticTimer:
    def __init__(self, break_after_s: float, reset_s: float) -> None:
        self.break_after_s = break_after_s
        self.reset_s = reset_s
        self._since: float | None = None
        self._away_since: float | None = None
        self._was_due = False

    def update(self, in_activity: bool, t: float) -> StaticTick:
        if in_activity:
            self._away_since = None
            if self._since is None:
                self._since = t
        elif self._since is not None:
            if self._away_since is None:
                self._away_since = t
            if t - self._away_since >= self.reset_s:
                ended = self._away_since if self._was_due else None
                self._since, self._away_since, self._was_due = None, None, False
                return StaticTick(0.0, False, ended)
        held = 0.0 if self._since is None else t - self._since
        due = self.break_after_s > 0 and held >= self.break_after_s
        self._was_due = self._was_due or due
        return StaticTick(held, due)

    @property
    def started_at(self) -> float | None:
        return self._since
