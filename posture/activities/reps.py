"""Rep counting: stand → descend → bottom → rise, on a view-independent bend depth.

Sagittal angles exist only in side views, so the depth signal takes what the
view offers: hip flexion above the person's own standing baseline (side
views; both a stoop and a squat bend the hip, while walking — which bends the
knee as much as a shallow squat — barely does), and the apparent shrink of the
body's 2-D ankle→ear chain below its recent standing length (front and oblique,
where the thighs and trunk foreshorten as the person bends, and where 2-D hip
angles are not valid). A 3-sample median removes single-frame pose flips. Baselines are
rolling extremes over a few seconds, so distance to the camera may change.

The counter has hysteresis (start, count and finish at different depths), a
minimum depth for a rep, and treats measurement gaps honestly: a short gap
(MediaPipe dropping a frame or two) keeps the phase; a longer one means the
person left, and the rep in progress is discarded without a count.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Literal

from posture.metrics import FrameMetrics

Phase = Literal["stand", "descend", "bottom", "rise"]


@dataclass(frozen=True)
class DepthConfig:
    window_s: float = 10.0  # rolling standing baseline
    full_flexion_deg: float = 90.0  # hip/knee flexion above baseline that reads as depth 1
    full_shrink: float = 0.25  # apparent body-length loss that reads as depth 1 (a parallel
    # squat seen from the front shrinks the 2-D ankle→ear chain by ~40 %, obliquely ~30 %)


class _RollingExtreme:
    """Minimum (or maximum) over the last ``window_s`` seconds, O(1) amortised per sample.

    A monotonic deque: a sample that can never be the extreme again (an older,
    less extreme one) is dropped as soon as a better one arrives, so an hour of
    frames costs no more per frame than a second of them.
    """

    def __init__(self, window_s: float, lowest: bool) -> None:
        self.window_s = window_s
        self.lowest = lowest
        self._q: deque[tuple[float, float]] = deque()

    def push(self, t: float, v: float) -> float:
        q = self._q
        if self.lowest:
            while q and q[-1][1] >= v:
                q.pop()
        else:
            while q and q[-1][1] <= v:
                q.pop()
        q.append((t, v))
        while t - q[0][0] > self.window_s:
            q.popleft()
        return q[0][1]


class DepthSignal:
    """Bend depth: 0 standing, about 1 at a deep squat or a full stoop; NaN if unmeasurable."""

    def __init__(self, config: DepthConfig = DepthConfig()) -> None:
        self.config = config
        self._flex = _RollingExtreme(config.window_s, lowest=True)
        self._height = _RollingExtreme(config.window_s, lowest=False)

    def update(self, m: FrameMetrics) -> float:
        if not m.detected:
            return math.nan
        view = m.view.view
        parts: list[float] = []
        if view in ("side_left", "side_right"):
            # The knee counts half: enough to bridge a flipped hip landmark at the
            # bottom of a squat, too little for a walking step to look like a rep.
            flex = max(180.0 - m.get("hip_angle_deg"), 0.5 * (180.0 - m.get("knee_angle_deg")))
            if not math.isnan(flex):
                base = self._flex.push(m.t, flex)
                parts.append((flex - base) / self.config.full_flexion_deg)
        if view in ("front", "oblique"):
            h = m.get("body_height_px")
            if not math.isnan(h) and h > 0:
                ref = self._height.push(m.t, h)
                parts.append((1.0 - h / ref) / self.config.full_shrink)
        return max(parts) if parts else math.nan


@dataclass(frozen=True)
class RepConfig:
    start: float = 0.2  # depth that starts a rep
    min_peak: float = 0.5  # a rep must bend at least this deep to count (45° hip flexion)
    turn: float = 0.1  # rising this far from the deepest point is the rise
    finish: float = 0.12  # back above this (depth below) completes the rep
    rest: float = 0.08  # the rep is dated from the last time depth was below this
    settle_s: float = 0.15  # depth must stay above the finish line this long to finish
    max_gap_s: float = 1.0  # longer gaps mean the person left: discard the rep
    max_rep_s: float = 10.0  # longer "reps" are someone sitting down, not a lift


@dataclass(frozen=True)
class RepWindow:
    """Times of one completed rep."""

    start_s: float
    bottom_s: float
    end_s: float
    peak_depth: float
    bottom_observed: bool = True  # False: a short detection gap hid the deepest point


@dataclass(frozen=True)
class RepTick:
    phase: Phase
    count: int
    completed: RepWindow | None = None
    aborted: str = ""  # why a rep in progress was discarded ("" = it was not)


class RepCounter:
    """``update(depth, t)`` → phase, count and the rep just completed, if any."""

    def __init__(self, config: RepConfig = RepConfig()) -> None:
        self.config = config
        self.count = 0
        self._reset()
        self._last_low_t: float | None = None
        self._prev = math.nan

    def _reset(self) -> None:
        self.phase: Phase = "stand"
        self._start = 0.0
        self._peak = -math.inf
        self._peak_t = 0.0
        self._trough = math.inf
        self._last_valid: float | None = None
        self._finish_since: float | None = None
        self._gap_at_bottom = False
        self._recent: deque[float] = deque(maxlen=3)

    @property
    def in_rep(self) -> bool:
        return self.phase != "stand"

    @property
    def start_s(self) -> float:
        return self._start

    @property
    def peak_depth(self) -> float:
        return self._peak if self.in_rep else math.nan

    def flush(self) -> RepWindow | None:
        """At the end of a session: complete a rep that was already back up and settling."""
        c = self.config
        if not self.in_rep or self._finish_since is None:
            return None
        unseen = self._gap_at_bottom and self._peak < c.min_peak
        if self._peak < c.min_peak and not unseen:
            return None
        self.count += 1
        window = RepWindow(self._start, self._peak_t, self._finish_since, self._peak,
                           bottom_observed=not unseen)
        self._reset()
        return window

    def update(self, depth: float, t: float) -> RepTick:
        c = self.config
        if math.isnan(depth):
            if self.in_rep and self._last_valid is not None and t - self._last_valid > c.max_gap_s:
                self._reset()
                return RepTick(self.phase, self.count, aborted="person out of view")
            if self.in_rep and self.phase != "rise":
                self._gap_at_bottom = True
            return RepTick(self.phase, self.count)
        self._last_valid = t
        self._recent.append(depth)
        depth = sorted(self._recent)[len(self._recent) // 2]
        prev, self._prev = self._prev, depth
        if depth < c.rest or self._last_low_t is None:
            self._last_low_t = t
        if self.phase == "stand":
            if depth >= c.start:
                self.phase = "descend"
                self._start = self._last_low_t
                self._peak, self._peak_t = depth, t
            return RepTick(self.phase, self.count)
        if t - self._start > c.max_rep_s:
            self._reset()
            return RepTick(self.phase, self.count, aborted="held down too long")
        if depth > self._peak:
            self._peak, self._peak_t = depth, t
        if depth > c.finish:
            self._finish_since = None
        elif self._finish_since is None:
            self._finish_since = t
        if self._finish_since is not None and t - self._finish_since >= c.settle_s - 1e-9:
            # A short gap while going down hid the bottom: the person went down
            # and came back up, so the rep happened even if its depth was not seen.
            unseen = self._gap_at_bottom and self._peak < c.min_peak
            if self._peak >= c.min_peak or unseen:
                window = RepWindow(self._start, self._peak_t, self._finish_since, self._peak,
                                   bottom_observed=not unseen)
                self.count += 1
                self._reset()
                self._last_valid = t
                self._last_low_t = t
                return RepTick(self.phase, self.count, completed=window)
            self._reset()
            return RepTick(self.phase, self.count, aborted="too shallow to count")
        if self.phase in ("descend", "bottom"):
            if self._peak >= c.min_peak and depth <= self._peak - c.turn:
                self.phase, self._trough = "rise", depth
            elif self._peak >= c.min_peak and not depth > prev + 0.01:
                self.phase = "bottom"  # deep enough and no longer going down
            else:
                self.phase = "descend"
        elif self.phase == "rise":
            self._trough = min(self._trough, depth)
            if depth >= self._trough + c.turn:
                self.phase = "descend"  # dipped again: still the same rep
        return RepTick(self.phase, self.count)
