"""Rep counting: stand → descend → bottom → rise, on a view-independent bend depth.

Sagittal angles exist only in side views, so the depth signal takes what the
view offers: hip flexion above the person's own standing baseline (side
views; both a stoop and a squat bend the hip, while walking — which bends the
knee as much as a shallow squat — barely does), and the apparent shrink of the
body's 2-D ankle→ear chain below its recent standing length (front and oblique,
where the thighs and trunk foreshorten as the person bends, and where 2-D hip
angles are not valid); where that chain is incomplete there (feet out of the
picture), the bend of MediaPipe's 3-D hip and knee angles. A 3-sample median
removes single-frame pose flips. Baselines are
rolling extremes over a few seconds, so distance to the camera may change.

The counter has hysteresis (start, count and finish at different depths), a
minimum depth for a rep, and treats measurement gaps honestly: a short gap
(MediaPipe dropping a frame or two) keeps the phase; a longer one means the
person left, and the rep in progress is discarded without a count.

Lifts that start at the bottom. A deadlift or a box lifted from the floor
begins in the set-up, rises and is lowered; a clip, the camera or the person
coming back after a gap may start at any phase. At the start of a stream (the
first frames, or the first after a gap) the baseline is whatever posture the
person is in, so a crouched start reads depth 0 and the pull reads nothing.
The signal therefore remembers the deepest frame since the stream started (a
running extreme over the first ``early_s``: O(1), no frame buffer) and, on
every frame, measures it against the *current* baseline: that "early depth"
grows as the person stands up and the baseline moves. Once the person has
stood up (the early depth stops growing and the depth is back at the finish
line), an early depth of at least ``min_peak`` completes a rep retroactively:
start = first frame of the stream, bottom = the deepest early frame, end =
when standing was reached (``RepWindow.started_at_bottom``). A rep in progress
at the start of a stream that looked too shallow against the crouched baseline
is re-evaluated the same way. A pull is a rep (pull + lower, the lowering
included when it comes); a clip ending in a descent to the floor is the last
lowering, not a new rep. Not counted: a seated start (thighs level, trunk
upright, hands off the floor: standing up from a chair is not a lift), and a
front-view "rise" larger than any bend can produce (walking towards the camera).
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
    oblique_full_shrink: float = 0.22  # the same in oblique views, where part of the bend
    # turns towards the camera instead of shortening the chain. Geometry alone gives
    # 0.25 × 30/40 ≈ 0.19, but at 0.19 MediaPipe's frame-to-frame noise split no rep yet
    # merged two on an oblique twisting lift; 0.22 is a default to calibrate (benchmarks/
    # accuracy.py: shallow oblique squats counted 1 of 6 at 0.25, 5 of 6 at 0.22)
    restart_gap_s: float = 1.0  # nothing measurable this long: a new stream, baselines afresh
    early_s: float = 10.0  # how long the start of a stream is remembered (a rep's longest)
    early_min_shrink: float = 0.25  # a front-view rise from a start at the bottom must be this
    # large (a floor lift's set-up shrinks the ankle→ear chain by 30–40 %), since a step
    # towards the camera makes the body grow too; in oblique views a hip extension of
    # early_min_flex_deg (MediaPipe's 3-D angle, which walking closer cannot fake) will do
    early_min_flex_deg: float = 45.0
    max_early_shrink: float = 0.5  # a front-view "rise" beyond this is walking closer, not a bend
    seat_thigh_min_deg: float = 55.0  # seated start: thighs about level …
    seat_trunk_max_deg: float = 30.0  # … trunk upright …
    seat_wrist_min_ratio: float = 0.2  # … and hands not down at the floor (wrist height/stature)
    upright_max_flex_deg: float = 45.0  # a pull from the floor has not ended before this
    # (hip/knee flexion, side views): a pause at the knees is not the top


class Depth(float):
    """A depth reading, with what the rep counter needs about the start of its stream.

    It is a plain float to everyone else (stored, compared, averaged).
    ``early``: the deepest frame since the stream started, measured against the
    current baseline (≥ the depth of that frame when it was seen); ``early_t``: its time;
    ``first``: the stream's first frame against the current baseline; ``sure``: that
    early depth can only be a bend (hip flexion; a large enough front-view shrink);
    ``seated``: the deepest early frame looked like sitting on a chair; ``upright``:
    this frame's hips are nearly straight (side views; always true where unmeasured).
    """

    __slots__ = ("early", "early_t", "first", "seated", "stream_t0", "sure", "upright")

    early: float
    early_t: float
    first: float
    sure: bool
    seated: bool
    upright: bool
    stream_t0: float

    def __new__(cls, value: float, stream_t0: float, early: float, early_t: float,
                first: float, sure: bool, seated: bool, upright: bool = True) -> Depth:
        d = super().__new__(cls, value)
        d.stream_t0, d.early, d.early_t, d.first, d.sure, d.seated, d.upright = (
            stream_t0, early, early_t, first, sure, seated, upright)
        return d

    def __reduce__(self) -> tuple[type[Depth], tuple[float, float, float, float, float, bool,
                                                     bool, bool]]:
        return (Depth, (float(self), self.stream_t0, self.early, self.early_t, self.first,
                        self.sure, self.seated, self.upright))


# With the knees nearly straight, this much hip flexion is how people lean or reach while
# standing, not a lift: a standing forward lean bends the hips ~50°, a stoop lift 80–100°
# (synthetic renders, true angles now that MediaPipe's hip offset is undone). Default to
# calibrate.
STRAIGHT_KNEE_LEAN_DEG = 15.0


def bend_deg(m: FrameMetrics) -> float:
    """How far the body is bent (side views): hip flexion, or half the knee flexion.

    The knee counts half: enough to bridge a flipped hip landmark at the bottom of a
    squat, too little for a walking step to look like a rep. With straight knees the
    first STRAIGHT_KNEE_LEAN_DEG of hip flexion fade out (fully at 0°, none from 30° of
    knee flexion), so a lean is not a rep. NaN when the hip angle is.
    """
    return _bend(m.get("hip_angle_deg"), m.get("knee_angle_deg"))


def bend3_deg(m: FrameMetrics) -> float:
    """``bend_deg`` from the 3-D world-landmark angles: whatever the view or camera height
    (for counting where the sagittal angles are withheld, e.g. a camera looking down)."""
    return _bend(m.get("hip_angle_3d_deg"), m.get("knee_angle_3d_deg"))


def _bend(hip_angle: float, knee_angle: float) -> float:
    hip = 180.0 - hip_angle
    knee = 180.0 - knee_angle
    if knee == knee:  # not NaN
        hip -= STRAIGHT_KNEE_LEAN_DEG * min(max(1.0 - knee / 30.0, 0.0), 1.0)
    return max(hip, 0.5 * knee)  # NaN hip → NaN (max keeps its first argument)


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

    def clear(self) -> None:
        self._q.clear()


class _Early:
    """The deepest (median-of-3) raw value of one path since the stream started."""

    def __init__(self, deeper_is_higher: bool) -> None:
        self.sign = 1.0 if deeper_is_higher else -1.0
        self.clear()

    def clear(self) -> None:
        self.extreme = math.nan
        self.t = math.nan
        self.first = math.nan
        self.seated = False
        self._recent: deque[float] = deque(maxlen=3)

    def push(self, t: float, v: float, seated: bool) -> None:
        r = self._recent
        r.append(v)
        med = sorted(r)[len(r) // 2]
        if math.isnan(self.first):
            self.first = v
        if math.isnan(self.extreme) or self.sign * (med - self.extreme) > 0:
            self.extreme, self.t, self.seated = med, t, seated


class DepthSignal:
    """Bend depth: 0 standing, about 1 at a deep squat or a full stoop; NaN if unmeasurable.

    Finite readings are ``Depth`` floats carrying the start-of-stream context.
    """

    def __init__(self, config: DepthConfig = DepthConfig()) -> None:
        self.config = config
        self._flex = _RollingExtreme(config.window_s, lowest=True)
        self._height = _RollingExtreme(config.window_s, lowest=False)
        self._flex_base = math.nan
        self._height_ref = math.nan
        self._early_flex = _Early(deeper_is_higher=True)
        self._early_height = _Early(deeper_is_higher=False)
        # Oblique views: the 3-D hip flexion only corroborates a start at the bottom.
        self._flex3 = _RollingExtreme(config.window_s, lowest=True)
        self._flex3_base = math.nan
        self._early_flex3 = _Early(deeper_is_higher=True)
        self._stream_t0 = math.nan
        self._last_t = -math.inf

    def _restart(self, t: float) -> None:
        self._flex.clear()
        self._height.clear()
        self._flex3.clear()
        self._flex_base = self._height_ref = self._flex3_base = math.nan
        self._early_flex.clear()
        self._early_height.clear()
        self._early_flex3.clear()
        self._stream_t0 = t

    def _seated(self, m: FrameMetrics) -> bool:
        c = self.config
        wrist = m.get("wrist_height_ratio")
        return (m.get("thigh_inclination_deg") >= c.seat_thigh_min_deg
                and m.get("trunk_inclination_deg") <= c.seat_trunk_max_deg
                and not wrist < c.seat_wrist_min_ratio)

    def _flex_depth(self, flex: float) -> float:
        return (flex - self._flex_base) / self.config.full_flexion_deg

    def _shrink_scale(self, m: FrameMetrics) -> float:
        c = self.config
        return c.oblique_full_shrink if m.view.view == "oblique" else c.full_shrink

    def _shrink_depth(self, h: float, scale: float) -> float:
        return (1.0 - h / self._height_ref) / scale

    @staticmethod
    def _flexion(m: FrameMetrics) -> float:
        return bend_deg(m)

    @staticmethod
    def _oblique_flex(m: FrameMetrics) -> float:
        """Oblique views: the bend from MediaPipe's 3-D angles (their hip/knee angles are
        those), also where a camera too high withholds the sagittal ones."""
        flex = bend_deg(m)
        return bend3_deg(m) if math.isnan(flex) else flex

    def _raw(self, m: FrameMetrics) -> tuple[float, float]:
        """Hip/knee flexion (side views) and 2-D body length (front, oblique); NaN if absent."""
        flex = h = math.nan
        if not m.detected:
            return flex, h
        view = m.view.view
        if view in ("side_left", "side_right"):
            flex = self._flexion(m)
            if math.isnan(flex) and m.view.camera_too_high:
                flex = bend3_deg(m)
        if view in ("front", "oblique"):
            h = m.get("body_height_px")
            if not h > 0:
                h = math.nan
                # The ankle→ear chain is incomplete (feet out of the picture): the bend
                # from MediaPipe's 3-D hip and knee angles, which need no length.
                flex = bend3_deg(m)
        return flex, h

    def update(self, m: FrameMetrics) -> float:
        flex, h = self._raw(m)
        has_flex, has_h = not math.isnan(flex), not math.isnan(h)
        if not (has_flex or has_h):
            return math.nan
        t = m.t
        c = self.config
        if t - self._last_t > c.restart_gap_s:
            self._restart(t)
        self._last_t = t
        early_open = t - self._stream_t0 <= c.early_s
        parts: list[float] = []
        if has_flex:
            self._flex_base = self._flex.push(t, flex)
            parts.append(self._flex_depth(flex))
            if early_open:
                self._early_flex.push(t, flex, self._seated(m))
        if has_h:
            self._height_ref = self._height.push(t, h)
            parts.append(self._shrink_depth(h, self._shrink_scale(m)))
            if early_open:
                seated = False
                flex3 = self._oblique_flex(m) if m.view.view == "oblique" else math.nan
                if not math.isnan(flex3):
                    self._flex3_base = self._flex3.push(t, flex3)
                    seated = self._seated(m)
                    self._early_flex3.push(t, flex3, seated)
                self._early_height.push(t, h, seated)
        early = first = math.nan
        early_t = self._stream_t0
        sure = seated = False
        ef, eh = self._early_flex, self._early_height
        if not math.isnan(ef.extreme) and not math.isnan(self._flex_base):
            early, early_t, seated = self._flex_depth(ef.extreme), ef.t, ef.seated
            first, sure = self._flex_depth(ef.first), True
        if not math.isnan(eh.extreme) and not math.isnan(self._height_ref):
            shrink = 1.0 - eh.extreme / self._height_ref
            e = shrink / self._shrink_scale(m)
            # (Growing by more than a bend can means the person walked closer.)
            if shrink <= c.max_early_shrink and not e <= early:  # the deeper path wins
                early, early_t, seated = e, eh.t, eh.seated
                sure = shrink >= c.early_min_shrink or (
                    self._early_flex3.extreme - self._flex3_base >= c.early_min_flex_deg)
                first = self._shrink_depth(eh.first, self._shrink_scale(m))
        upright = not flex > c.upright_max_flex_deg
        return Depth(max(parts), self._stream_t0, early, early_t, first, sure, seated, upright)

    def rescore(self, m: FrameMetrics) -> float:
        """Depth of an earlier frame against the current baselines (NaN if unmeasurable).

        A rep completed at the start of a stream was measured against the crouched
        posture it started in; its frames' depths, re-read now, are comparable with
        any other rep's."""
        flex, h = self._raw(m)
        parts = []
        if not math.isnan(flex) and not math.isnan(self._flex_base):
            parts.append(self._flex_depth(flex))
        if not math.isnan(h) and not math.isnan(self._height_ref):
            parts.append(self._shrink_depth(h, self._shrink_scale(m)))
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
    early_still: float = 0.03  # the early depth (start of a stream) growing less than this
    early_settle_s: float = 0.3  # … for this long means the person has finished standing up


@dataclass(frozen=True)
class RepWindow:
    """Times of one completed rep."""

    start_s: float
    bottom_s: float
    end_s: float
    peak_depth: float
    bottom_observed: bool = True  # False: a short detection gap hid the deepest point
    started_at_bottom: bool = False  # the stream began with the person already down (a lift
    # from the floor, a clip starting mid-rep): start_s is the first frame seen, not a stand


@dataclass(frozen=True)
class RepTick:
    phase: Phase
    count: int
    completed: RepWindow | None = None
    aborted: str = ""  # why a rep in progress was discarded ("" = it was not)


class RepCounter:
    """``update(depth, t)`` → phase, count and the rep just completed, if any.

    Plain float depths are counted stand → descend → bottom → rise; ``Depth``
    readings (from ``DepthSignal``) also count a rep that began before the stream did.
    """

    def __init__(self, config: RepConfig = RepConfig()) -> None:
        self.config = config
        self.count = 0
        self._reset()
        self._last_low_t: float | None = None
        self._prev = math.nan
        self._stream_t0 = math.nan
        self._early_open = False
        self._early_ref = math.nan
        self._early_moved = 0.0
        self._last: Depth | None = None

    def _reset(self) -> None:
        self.phase: Phase = "stand"
        self._start = 0.0
        self._peak = -math.inf
        self._peak_t = 0.0
        self._trough = math.inf
        self._last_valid: float | None = None
        self._finish_since: float | None = None
        self._gap_at_bottom = False
        self._early_wait = False  # back up, waiting for the baseline to stop moving
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

    # ------------------------------------------------------------ start of a stream
    def _new_stream(self, d: Depth, t: float) -> str:
        aborted = ""
        if self.in_rep:
            self._reset()
            aborted = "person out of view"
        self._stream_t0 = d.stream_t0
        self._recent.clear()
        self._last_low_t = None
        self._early_open = True
        self._early_ref, self._early_moved = d.early, t
        return aborted

    def _early_rep(self, d: Depth, end_s: float) -> RepWindow | str:
        """The rep that began before the stream did, or why it does not count."""
        self._early_open = False
        c = self.config
        if d.seated:
            return "seated at the start"  # standing up from a chair is not a lift
        if end_s - self._stream_t0 > c.max_rep_s:
            return "held down too long"
        if not (d.early >= c.min_peak and d.sure):
            return "too shallow to count"
        self.count += 1
        return RepWindow(self._stream_t0, d.early_t, end_s, d.early, started_at_bottom=True)

    def _began_bent(self, d: Depth | None) -> bool:
        """The stream's first frame, against today's baseline, was already down."""
        return (self._early_open and d is not None and d.first >= self.config.start
                and d.sure and not d.seated)

    def _complete(self, unseen: bool) -> RepWindow:
        """The rep in progress, back up: counted (the caller checked its depth)."""
        start, bottom, peak = self._start, self._peak_t, self._peak
        d = self._last
        at_bottom = self._began_bent(d)
        if at_bottom and d is not None:
            # The stream began with the person already down, and this is its first rep:
            # it began at the first frame, and the early frames, re-read against
            # today's baseline, may have been deeper than they looked.
            start = self._stream_t0
            if d.early > peak:
                bottom, peak = d.early_t, d.early
        end = self._finish_since if self._finish_since is not None else bottom
        if at_bottom:
            end = max(end, self._early_moved)  # standing reached: the baseline stopped moving
        self._early_open = False
        window = RepWindow(start, bottom, end, peak,
                           bottom_observed=not unseen, started_at_bottom=at_bottom)
        self.count += 1
        return window

    def _early_pending(self, d: Depth | None, depth: float, before: float) -> bool:
        """Standing after a start at the bottom, with the early frames deep enough to count.

        ``before``: the deepest early frame must precede this time (the start of a
        descent now beginning is a new rep, not the early one)."""
        c = self.config
        return (self._early_open and d is not None and not self.in_rep and d.sure
                and d.early >= c.min_peak and depth <= c.finish and d.early_t < before)

    def _settled(self, t: float) -> RepTick:
        """Back up and settled: count the rep in progress, or discard it as too shallow."""
        c = self.config
        d = self._last
        # A short gap while going down hid the bottom: the person went down
        # and came back up, so the rep happened even if its depth was not seen.
        unseen = self._gap_at_bottom and self._peak < c.min_peak
        deep = self._peak >= c.min_peak or (
            self._began_bent(d) and d is not None and d.early >= c.min_peak)
        if deep or unseen:
            window = self._complete(unseen and not deep)
            self._reset()
            self._last_valid = t
            self._last_low_t = t
            return RepTick(self.phase, self.count, completed=window)
        self._reset()
        self._last_valid = t
        return RepTick(self.phase, self.count, aborted="too shallow to count")

    def flush(self) -> RepWindow | None:
        """At the end of a session: complete a rep that was already back up and settling."""
        c = self.config
        d = self._last
        if self._early_pending(d, self._prev, math.inf) and d is not None:
            w = self._early_rep(d, self._early_moved)  # a clip ending at lock-out
            return w if isinstance(w, RepWindow) else None
        if not self.in_rep or self._finish_since is None:
            return None
        unseen = self._gap_at_bottom and self._peak < c.min_peak
        deep = self._peak >= c.min_peak or (
            self._began_bent(d) and d is not None and d.early >= c.min_peak)
        if not deep and not unseen:
            return None
        window = self._complete(unseen and not deep)
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
        d = depth if isinstance(depth, Depth) else None
        aborted = ""
        if d is not None and d.stream_t0 != self._stream_t0:
            aborted = self._new_stream(d, t)
        self._last = d
        self._last_valid = t
        self._recent.append(depth)
        depth = sorted(self._recent)[len(self._recent) // 2]
        prev, self._prev = self._prev, depth
        if depth < c.rest or self._last_low_t is None:
            self._last_low_t = t
        if d is not None and self._early_open:
            if d.early > self._early_ref + c.early_still or math.isnan(self._early_ref):
                self._early_ref, self._early_moved = d.early, t
            if t - self._stream_t0 > c.max_rep_s and not self.in_rep:
                self._early_open = False
            elif (self._early_pending(d, depth, math.inf) and d.upright
                  and t - self._early_moved >= c.early_settle_s - 1e-9):
                # Stood up from a start at the bottom, and the rise has ended.
                w = self._early_rep(d, self._early_moved)
                if isinstance(w, str):
                    return RepTick(self.phase, self.count, aborted=w)
                return RepTick(self.phase, self.count, completed=w)
        if self.phase == "stand":
            if depth >= c.start:
                early: RepWindow | str | None = None
                if self._early_pending(d, 0.0, self._last_low_t) and d is not None:
                    # Going down again before the rise had settled: the pull ended at the top.
                    early = self._early_rep(d, self._early_moved)
                self.phase = "descend"
                self._start = self._last_low_t
                self._peak, self._peak_t = depth, t
                if isinstance(early, RepWindow):
                    return RepTick(self.phase, self.count, completed=early)
                return RepTick(self.phase, self.count, aborted=early or "")
            return RepTick(self.phase, self.count, aborted=aborted)
        if t - self._start > c.max_rep_s:
            self._reset()
            self._early_open = False
            return RepTick(self.phase, self.count, aborted="held down too long")
        if depth > c.finish and self._early_wait and self._finish_since is not None:
            # Going down again while the baseline was still creeping up (the stream
            # began crouched): the rep ended at the top, and this is the next one.
            return self._settled(t)
        if depth > self._peak:
            self._peak, self._peak_t = depth, t
        if depth > c.finish:
            self._finish_since = None
        elif self._finish_since is None:
            self._finish_since = t
        if self._finish_since is not None and t - self._finish_since >= c.settle_s - 1e-9:
            if self._early_open and d is not None and (
                    t - self._early_moved < c.early_settle_s
                    or (not d.upright and self._began_bent(d))):
                # The baseline is still moving (the stream began crouched and the
                # person is still standing up): the finish line is not reached yet.
                self._early_wait = True
                return RepTick(self.phase, self.count)
            return self._settled(t)
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
