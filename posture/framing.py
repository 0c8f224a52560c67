"""Is the body in the picture? Usable landmarks, cut-off body regions and the sentence.

MediaPipe extrapolates landmarks the frame cuts off and still gives them a
moderate-to-high visibility: on a squat filmed too close (the stock clip
``partial_squat_side_legs_only``) 81 % of the landmarks outside the picture had
visibility ≥ 0.5 (median 0.89). mediapipe 0.10.21's legacy Pose leaves the
``presence`` field at 0.0, so it cannot tell either. A landmark is therefore
*usable* only when it is visible enough **and** lies inside the frame, a small
margin in from the edges (``usable``); ``posture.metrics`` never measures from
any other landmark.

``check`` says which body regions leave the frame (and by which edge) or are
hidden, and ``sentence`` turns that into one instruction for the user ("Step back
so your head and feet are in view", "Lower the camera or tilt it down so your
feet are in view", …). ``FramingMemory`` keeps a few seconds of it, so a body cut
off only at the bottom of each rep (head out when standing, feet when squatting)
still gets one steady sentence naming both. Everything here is pure arithmetic
on plain floats: ``check``, ``FramingMemory.update`` and ``sentence`` together take
~25 µs a frame on the project machine.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from posture.landmarks import FramePose
from posture.landmarks import PoseLandmark as L

Edge = Literal["top", "bottom", "left", "right", "unknown"]

# A landmark closer than this to an edge (fraction of the frame's width or height)
# counts as cut off: MediaPipe pins and extrapolates points at the border. Default
# to calibrate: 1 % is ~5 px on a 480-line picture, about one landmark's jitter.
FRAME_MARGIN = 0.01
MIN_VISIBILITY = 0.5  # same default as posture.metrics.MetricsConfig
# Free space above the head (or below the feet) of at least this fraction of the
# frame means re-aiming the camera is enough; less means stepping back.
ROOM_TO_TILT = 0.12

# Body regions top to bottom and the landmarks that stand for them.
REGIONS: tuple[str, ...] = ("head", "shoulders", "hands", "hips", "knees", "feet")
REGION_LANDMARKS: Mapping[str, tuple[L, ...]] = {
    "head": (L.NOSE, L.LEFT_EAR, L.RIGHT_EAR),
    "shoulders": (L.LEFT_SHOULDER, L.RIGHT_SHOULDER),
    "hands": (L.LEFT_WRIST, L.RIGHT_WRIST),
    "hips": (L.LEFT_HIP, L.RIGHT_HIP),
    "knees": (L.LEFT_KNEE, L.RIGHT_KNEE),
    "feet": (L.LEFT_ANKLE, L.RIGHT_ANKLE, L.LEFT_HEEL, L.RIGHT_HEEL, L.LEFT_FOOT_INDEX,
             L.RIGHT_FOOT_INDEX),
}
_REGION_OF: tuple[tuple[int, str], ...] = tuple(
    (int(lm), r) for r in REGIONS for lm in REGION_LANDMARKS[r])
_SINGULAR = frozenset({"head"})

# Which regions a metric reads (the landmarks in posture.metrics, grouped); a metric
# not listed reads none that framing can fix.
METRIC_REGIONS: Mapping[str, tuple[str, ...]] = {
    "trunk_inclination_deg": ("shoulders", "hips"),
    "trunk_lean_deg": ("shoulders", "hips"),
    "neck_inclination_deg": ("head", "shoulders"),
    "neck_lean_deg": ("head", "shoulders"),
    "neck_flexion_deg": ("head", "shoulders", "hips"),
    "hip_angle_deg": ("shoulders", "hips", "knees"),
    "knee_angle_deg": ("hips", "knees", "feet"),
    "shin_lean_deg": ("knees", "feet"),
    "thigh_inclination_deg": ("hips", "knees"),
    "trunk_minus_shin_deg": ("shoulders", "hips", "knees", "feet"),
    "knee_hyperextension_deg": ("hips", "knees", "feet"),
    "squat_depth_ratio": ("hips", "knees"),
    "heel_rise_deg": ("feet",),
    "load_distance_ratio": ("hands", "feet"),
    "wrist_height_ratio": ("hands", "feet"),
    "knee_valgus_deg": ("hips", "knees", "feet"),
    "body_line_deg": ("shoulders", "hips", "feet"),
    "bridge_line_deg": ("shoulders", "hips", "knees"),
    "leg_raise_deg": ("hips", "feet"),
    "arm_raise_deg": ("shoulders", "hands"),
    "front_knee_angle_deg": ("hips", "knees", "feet"),
    "front_shin_lean_deg": ("knees", "feet"),
    "stance_length_ratio": ("feet",),
}
# Without the pose (scripted metrics), a region counts as missing when the metric
# that reads it and the regions above it is NaN (side views), in this order.
_SIDE_PROBES: tuple[tuple[str, str], ...] = (
    ("trunk_inclination_deg", "hips"),
    ("neck_inclination_deg", "head"),
    ("thigh_inclination_deg", "knees"),
    ("shin_lean_deg", "feet"),
    ("heel_rise_deg", "feet"),
)

BoolArray = npt.NDArray[np.bool_]


def usable(pose: FramePose, min_visibility: float = MIN_VISIBILITY,
           margin: float = FRAME_MARGIN) -> BoolArray:
    """Per landmark: visible enough and inside the frame (``margin`` in from each edge).

    NaN or infinite coordinates are never usable.
    """
    x, y = pose.image[:, 0], pose.image[:, 1]
    mx, my = margin * pose.width, margin * pose.height
    with np.errstate(invalid="ignore"):
        return ((pose.visibility >= min_visibility) & (x >= mx) & (x <= pose.width - mx)
                & (y >= my) & (y <= pose.height - my))


@dataclass(frozen=True)
class Framing:
    """Which body regions one frame (or a few seconds of frames) could not show."""

    cut: Mapping[str, Edge] = field(default_factory=dict)  # region → the edge it leaves by
    hidden: frozenset[str] = frozenset()  # in the frame but not visible enough
    room_top: float = math.nan  # free space above the highest landmark in the frame
    room_bottom: float = math.nan  # … below the lowest one (fractions of the frame height)

    @property
    def ok(self) -> bool:
        return not self.cut and not self.hidden

    def missing(self) -> frozenset[str]:
        return frozenset(self.cut) | self.hidden


FRAMING_OK = Framing()


def check(pose: FramePose | None, min_visibility: float = MIN_VISIBILITY,
          margin: float = FRAME_MARGIN) -> Framing:
    """Regions cut off by the frame (any of their landmarks outside it) or hidden
    (all of their landmarks inside but below ``min_visibility``)."""
    if pose is None:
        return FRAMING_OK
    w, h = float(pose.width), float(pose.height)
    if not (w > 0 and h > 0):
        return FRAMING_OK
    lo_x, hi_x, lo_y, hi_y = margin * w, w - margin * w, margin * h, h - margin * h
    xy = pose.image[:, :2].tolist()
    vis = pose.visibility.tolist()
    cut: dict[str, Edge] = {}
    cut_by: dict[str, float] = {}
    seen: set[str] = set()
    top, bottom = math.inf, -math.inf
    for i, region in _REGION_OF:
        x, y = xy[i]
        if not (math.isfinite(x) and math.isfinite(y)):
            continue
        # How far beyond each edge, in fractions of the frame; the largest names the edge.
        above, below = (lo_y - y) / h, (y - hi_y) / h
        left, right = (lo_x - x) / w, (x - hi_x) / w
        over = max(above, below, left, right)
        if over > 0.0:
            if over > cut_by.get(region, 0.0):
                cut_by[region] = over
                cut[region] = ("top" if over == above else "bottom" if over == below
                               else "left" if over == left else "right")
            continue
        top, bottom = min(top, y), max(bottom, y)
        if vis[i] >= min_visibility:
            seen.add(region)
    hidden = frozenset(r for r in REGIONS if r not in cut and r not in seen)
    room_top = top / h if math.isfinite(top) else math.nan
    room_bottom = (h - bottom) / h if math.isfinite(bottom) else math.nan
    if not cut and not hidden:
        return Framing(room_top=room_top, room_bottom=room_bottom)
    return Framing(cut, hidden, room_top, room_bottom)


def regions_needed(metrics: Iterable[str]) -> frozenset[str]:
    """The body regions the given metrics read."""
    return frozenset(r for m in metrics for r in METRIC_REGIONS.get(m, ()))


def from_metrics(get: Callable[[str], float]) -> Framing:
    """The regions a side view's metric row could not measure, when no pose is at hand.

    Cut off or hidden cannot be told apart here: the regions count as cut off, by an
    unknown edge (the sentence then asks to step back, which fixes either).
    """
    if math.isnan(get("trunk_inclination_deg")):
        # The trunk needs the shoulders and the hips: the thigh tells which is missing.
        if math.isnan(get("thigh_inclination_deg")):
            return Framing({"shoulders": "unknown", "hips": "unknown"})
        head: dict[str, Edge] = {"head": "unknown"} if math.isnan(
            get("neck_inclination_deg")) else {}
        return Framing({**head, "shoulders": "unknown"})
    cut: dict[str, Edge] = {}
    for metric, region in _SIDE_PROBES[1:]:
        if region == "feet" and "knees" in cut:
            break  # the shin needs the knee: feet unknown
        if math.isnan(get(metric)):
            cut.setdefault(region, "unknown")
    return Framing(cut)


def _names(regions: Iterable[str]) -> tuple[str, str]:
    """'head and feet', 'are' — at most the top- and bottom-most regions, top to bottom."""
    ordered = [r for r in REGIONS if r in set(regions)]
    if len(ordered) > 2:
        # The hands go anywhere; the body's top- and bottom-most cut parts say it best.
        ordered = [r for r in ordered if r != "hands"]
        ordered = [ordered[0], ordered[-1]]
    verb = "is" if len(ordered) == 1 and ordered[0] in _SINGULAR else "are"
    return " and ".join(ordered), verb


def sentence(f: Framing, regions: Iterable[str] | None = None) -> str | None:
    """One instruction that brings the missing regions into view (None if nothing is).

    ``regions`` limits what counts (e.g. what the activity's rules need); the
    sentence names every cut-off region though, since one step back fixes them all.
    """
    want = frozenset(REGIONS if regions is None else regions)
    if not (f.missing() & want):
        return None
    cut = dict(f.cut)
    if cut:
        edges = set(cut.values())
        names, verb = _names(cut)
        tail = f"so your {names} {verb} in view"
        if edges == {"bottom"} and f.room_top >= ROOM_TO_TILT:
            return f"Lower the camera or tilt it down {tail}"
        if edges == {"top"} and f.room_bottom >= ROOM_TO_TILT:
            return f"Raise the camera or tilt it up {tail}"
        if edges <= {"left", "right"} and len(edges) == 1:
            return f"Move towards the middle of the picture {tail}"
        return f"Step back {tail}"
    names, _ = _names(f.hidden & want)
    return f"Make sure nothing hides your {names} from the camera"


class _WindowMin:
    """Minimum of the values of the last ``window_s`` seconds, O(1) a sample (NaN counts
    as the lowest: unknown free space never suggests re-aiming the camera)."""

    def __init__(self) -> None:
        self._q: deque[tuple[float, float]] = deque()

    def push(self, t: float, v: float) -> None:
        v = -math.inf if math.isnan(v) else v
        while self._q and self._q[-1][1] >= v:
            self._q.pop()
        self._q.append((t, v))

    def get(self, t: float, window_s: float) -> float:
        while self._q and t - self._q[0][0] > window_s:
            self._q.popleft()
        v = self._q[0][1] if self._q else math.nan
        return v if math.isfinite(v) else math.nan

    def clear(self) -> None:
        self._q.clear()


class FramingMemory:
    """A few seconds of framing, so a body cut off for a moment of every rep is told.

    ``update(t, problem, framing)`` per frame: ``problem`` says whether a region the
    rules need is missing now. Once a problem has lasted ``min_s``, it is held for
    ``hold_s`` after it ends (the framing rule's own persistence then sees one steady
    problem across the reps instead of blips too short to count); the answer merges
    what the frames of the last ``window_s`` could not show: every region cut off in
    any of them (by the edge last seen), those only ever hidden, and the least free
    space above and below.
    """

    def __init__(self, hold_s: float = 2.0, min_s: float = 0.2, window_s: float = 4.0) -> None:
        self.hold_s, self.min_s, self.window_s = hold_s, min_s, window_s
        self._run_start: float | None = None
        self._held_until = -math.inf
        self._last_t = -math.inf
        self._cut: dict[str, tuple[float, Edge]] = {}
        self._hidden: dict[str, float] = {}
        self._room_top, self._room_bottom = _WindowMin(), _WindowMin()

    def reset(self) -> None:
        self._run_start = None
        self._held_until = -math.inf
        self._last_t = -math.inf
        self._cut.clear()
        self._hidden.clear()
        self._room_top.clear()
        self._room_bottom.clear()

    def update(self, t: float, problem: bool, framing: Framing) -> Framing | None:
        """What to ask for now (merged over the window), or None when all is well."""
        if t < self._last_t:
            self.reset()
        self._last_t = t
        if problem:
            if self._run_start is None:
                self._run_start = t
            if t - self._run_start >= self.min_s - 1e-9:
                self._held_until = t + self.hold_s
        else:
            self._run_start = None
        if not framing.ok:
            for r, e in framing.cut.items():
                old = self._cut.get(r)
                if e == "unknown" and old is not None and t - old[0] <= self.window_s:
                    e = old[1]  # a known edge is worth more than the metric row's guess
                self._cut[r] = (t, e)
            for r in framing.hidden:
                self._hidden[r] = t
            self._room_top.push(t, framing.room_top)
            self._room_bottom.push(t, framing.room_bottom)
        if not (problem or t <= self._held_until):
            return None
        w = self.window_s
        cut = {r: e for r, (seen, e) in self._cut.items() if t - seen <= w}
        hidden = frozenset(r for r, seen in self._hidden.items()
                           if t - seen <= w and r not in cut)
        return Framing(cut, hidden, self._room_top.get(t, w), self._room_bottom.get(t, w))
