"""The rep counter and the hold timer of the exercise engine: small stateful stages.

Both take the time with each sample (``update(value, t)``), never from a clock,
so the live coach and the offline review count the same reps and seconds.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from posture.exercises.model import Phases

MAX_GAP_S = 1.0  # a drive metric unseen this long mid-rep drops the rep (default to calibrate)
MAX_FRAME_DT_S = 1.0  # hold time between two frames further apart is not counted


@dataclass(frozen=True)
class RepWindow:
    """One completed (or abandoned) movement of the drive metric."""

    start_s: float  # last moment at rest before the movement
    peak_s: float  # the drive metric's extreme towards the work side
    end_s: float  # back at rest
    peak_value: float
    complete: bool  # reached the work phase (a counted rep) or not (a partial one)


class RepCounter:
    """rest → work → rest on the drive metric, with the phases' hysteresis.

    ``phase`` is "" until the rest position has been seen, then "rest", "out" (left
    rest, not yet at work), "work" or "back" (left work, not yet at rest). NaN
    samples change nothing; a gap longer than ``MAX_GAP_S`` mid-movement drops it.
    """

    def __init__(self, phases: Phases) -> None:
        self.phases = phases
        self.phase = ""
        self._rest_t = math.nan
        self._peak = (math.nan, math.nan)  # (value, t)
        self._last_t: float | None = None

    def _better(self, v: float) -> bool:
        p = self._peak[0]
        return math.isnan(p) or (v > p if self.phases.rising else v < p)

    def update(self, value: float, t: float) -> RepWindow | None:
        """Feed one sample; returns the movement that ended here, if any."""
        if math.isnan(value):
            if self._last_t is not None and t - self._last_t > MAX_GAP_S \
                    and self.phase in ("out", "work", "back"):
                self.phase = ""  # seen again only once back at rest
            return None
        self._last_t = t
        ph = self.phases
        if self.phase == "":
            if ph.at_rest(value):
                self.phase, self._rest_t = "rest", t
            return None
        if ph.at_rest(value):
            ended = None
            if self.phase in ("out", "work", "back"):
                complete = self.phase in ("work", "back")
                if complete and t - self._rest_t < ph.min_rep_s:
                    complete = False  # too quick to be a movement: jitter
                ended = RepWindow(self._rest_t, self._peak[1], t, self._peak[0], complete)
            self.phase, self._rest_t = "rest", t
            self._peak = (math.nan, math.nan)
            return ended
        if self.phase == "rest":
            self.phase = "out"
        if self._better(value):
            self._peak = (value, t)
        if ph.at_work(value):
            self.phase = "work"
        elif self.phase == "work":
            # Between the thresholds after the work phase: on the way back.
            self.phase = "back" if not self._near_work(value) else "work"
        return None

    def _near_work(self, v: float) -> bool:
        """Within the hysteresis of the work threshold (a wobble at the top, not a return)."""
        gap = abs(self.phases.work - self.phases.rest) / 2
        return abs(v - self.phases.work) < gap


class RestLevel:
    """The drive metric read from the person's own rest position (``Phases.relative_to``).

    The rest level is the metric's extreme on the rest side (the lowest heel angle of a
    heel raise) over the last ``window_s``, on a 3-sample median so one misread frame
    cannot set it; a monotonic deque keeps it O(1) a frame. ``update`` returns the sample
    minus that level (NaN in, NaN out). Until the window holds ``min_s`` of samples it
    returns NaN: a first frame cannot tell rest from work.
    """

    def __init__(self, phases: Phases, window_s: float = 10.0, min_s: float = 0.5) -> None:
        self.rising = phases.rising
        self.window_s, self.min_s = window_s, min_s
        self._recent: list[float] = []
        self._extremes: deque[tuple[float, float]] = deque()  # (t, value), monotonic
        self._first_t: float | None = None
        self.level = math.nan

    def update(self, value: float, t: float) -> float:
        if math.isnan(value):
            return math.nan
        self._recent = [*self._recent[-2:], value]
        med = sorted(self._recent)[len(self._recent) // 2]
        worse = (lambda a, b: a >= b) if self.rising else (lambda a, b: a <= b)
        while self._extremes and worse(self._extremes[-1][1], med):
            self._extremes.pop()
        self._extremes.append((t, med))
        while self._extremes and t - self._extremes[0][0] > self.window_s:
            self._extremes.popleft()
        if self._first_t is None:
            self._first_t = t
        self.level = self._extremes[0][1]
        if t - self._first_t < self.min_s:
            return math.nan
        return value - self.level


@dataclass(frozen=True)
class Pause:
    start_s: float
    end_s: float
    reason: str


@dataclass(frozen=True)
class HoldTick:
    holding: bool
    held_s: float  # total held so far
    streak_s: float  # the current continuous hold
    reason: str | None  # why the timer is paused now (None while holding or not started)


class HoldTimer:
    """Time in the target position; pauses (with the reason) when it is lost.

    A loss shorter than ``grace_s`` neither records a pause nor breaks the current
    streak, but its time is never counted as held.
    """

    def __init__(self, grace_s: float = 0.3) -> None:
        self.grace_s = grace_s
        self.held_s = 0.0
        self.longest_s = 0.0
        self.streak_s = 0.0
        self.started = False
        self.pauses: list[Pause] = []
        self._last_t: float | None = None
        self._was_in = False
        self._out_since: float | None = None
        self._out_reason = ""

    def update(self, in_band: bool, reason: str | None, t: float) -> HoldTick:
        """``in_band``: in the target position with no poor fault; ``reason`` says why not."""
        dt = 0.0 if self._last_t is None else min(max(t - self._last_t, 0.0), MAX_FRAME_DT_S)
        self._last_t = t
        if in_band:
            if self._was_in:
                self.held_s += dt
                self.streak_s += dt
            if self._out_since is not None:
                if t - self._out_since >= self.grace_s:
                    self.pauses.append(Pause(self._out_since, t, self._out_reason))
                    self.streak_s = 0.0
                self._out_since = None
            self.started = True
            self._was_in = True
            self.longest_s = max(self.longest_s, self.streak_s)
            return HoldTick(True, self.held_s, self.streak_s, None)
        if self._was_in and self._out_since is None:
            self._out_since, self._out_reason = t, reason or "out of position"
        self._was_in = False
        if self._out_since is not None and t - self._out_since >= self.grace_s:
            self.streak_s = 0.0
        return HoldTick(False, self.held_s, self.streak_s,
                        (reason or "out of position") if self.started else None)

    def finish(self, t: float) -> None:
        """Close a pause still open at the end (it lasted to the end of the session)."""
        if self._out_since is not None and t - self._out_since >= self.grace_s:
            self.pauses.append(Pause(self._out_since, t, self._out_reason))
        self._out_since = None
