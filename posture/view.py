"""Which way is the camera looking at the person? Side, front or oblique.

A 2-D angle is valid only from the view it assumes (sagittal angles need a
side view, frontal ones a front view), so every frame gets a view label. The
body's yaw comes from MediaPipe's metric world landmarks: the angle of the
shoulder and hip lines in the camera's horizontal (x–z) plane. On our
synthetic renders it reads side views at 75–90°, 30–40° obliques at 25–38°
and front views within 13°. A new label must hold for ``dwell_s`` and clear a
hysteresis margin before it replaces the old one, so the view never flickers.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from posture.camera import (
    MAX_CORRECTABLE_DEG,
    ElevationTracker,
    elevation_sample,
    on_its_side,
)
from posture.geometry import distance, midpoint
from posture.landmarks import FramePose
from posture.landmarks import PoseLandmark as L

View = Literal["side_left", "side_right", "front", "oblique", "unknown"]
SAGITTAL_VIEWS: frozenset[str] = frozenset({"side_left", "side_right", "oblique"})
FRONTAL_VIEWS: frozenset[str] = frozenset({"front"})


@dataclass(frozen=True)
class ViewConfig:
    """Yaw bands in degrees (0 = facing the camera, 90 = side-on); defaults to calibrate."""

    front_max: float = 25.0
    side_min: float = 60.0
    margin: float = 4.0  # hysteresis: leave a band only this far beyond its edge
    dwell_s: float = 0.3  # a new view must persist this long
    # The yaw is read from the depth of the shoulder and hip lines, which MediaPipe
    # estimates poorly when the trunk is bent far over (a stoop or floor lift): seen
    # flipping a side view to "oblique" for ~0.5 s at the bottom of a lift, which cut
    # the lift in two. While the trunk is this far from upright on the picture the
    # current view is kept (a person does not walk round the camera mid-lift). Default
    # to calibrate.
    hold_bent_deg: float = 45.0
    # The person faces away when the nose sits this far behind the ears' midpoint in
    # depth (world landmarks, metres) and the hips' left-right order is reversed.
    # Measured median nose-behind-ears depth: +0.04 and +0.06 m on the two rear-oblique
    # real clips, -0.03 to -0.09 m on camera-facing obliques (synthetic and real),
    # +0.005 m side-on. Default to calibrate.
    rear_nose_behind_m: float = 0.03


@dataclass(frozen=True)
class ViewState:
    view: View
    near_side: Literal["left", "right"]  # side of the body nearer the camera
    yaw_deg: float  # folded to [0, 90]; NaN when unknown
    facing_away: bool
    # How far the camera looks down at the person (posture.camera), smoothed over
    # the stream; NaN until side/oblique frames have shown it. Its spread says how
    # much to trust it.
    elevation_deg: float = float("nan")
    elevation_spread_deg: float = float("nan")
    # The person faces away from the camera (back or rear-oblique view), held for
    # ``dwell_s``: a rounded back or a forward lean cannot be judged from behind in
    # 2-D, so rules that need a true side view should be n/a then.
    rear: bool = False

    @property
    def camera_too_high(self) -> bool:
        """The camera looks down (or up) too steeply to judge sagittal angles: rules
        are n/a with ``posture.camera.FRAMING_CUE``.

        The spread is not used: per-frame readings scatter while the trunk bends deeply
        (12–16° on level-camera forward-lean squats) although the mean holds.
        """
        return math.isfinite(self.elevation_deg) and abs(self.elevation_deg) > MAX_CORRECTABLE_DEG


_YAW_POINTS = (L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP)


def body_yaw(pose: FramePose, elevation_deg: float = float("nan")) -> tuple[float, float]:
    """(yaw in [0, 90], signed depth difference left − right); NaN if not measurable.

    World landmarks are in the camera's axes: a camera looking down by e sees
    a horizontal line's depth shrunk by cos e, so a known elevation restores it.
    """
    if pose.world is not None:
        # Plain floats: four points, every frame.
        ls, rs, lh, rh = (pose.world[i].tolist() for i in _YAW_POINTS)
        depth = 1.0
        if math.isfinite(elevation_deg) and abs(elevation_deg) <= 80.0:
            depth = 1.0 / math.cos(math.radians(elevation_deg))
        # A body on its side facing the camera (a side plank) has its lines upright in
        # the picture: their length in the picture, not across it, is what faces us.
        lying = on_its_side(pose.world)
        yaws = [
            math.degrees(math.atan2(abs(a[2] - b[2]) * depth,  # 0 facing, 180 back
                                    math.hypot(a[0] - b[0], a[1] - b[1]) if lying
                                    else a[0] - b[0]))
            for a, b in ((ls, rs), (lh, rh))
        ]
        raw = (yaws[0] + yaws[1]) / 2
        dz = (ls[2] + lh[2]) - (rs[2] + rh[2])
        return (raw if raw <= 90 else 180.0 - raw), dz
    # Without world landmarks: shoulder width against torso length (frontal ≈ 0.7).
    x = pose.image
    torso = float(
        distance(
            midpoint(x[L.LEFT_SHOULDER], x[L.RIGHT_SHOULDER])[:2],
            midpoint(x[L.LEFT_HIP], x[L.RIGHT_HIP])[:2],
        )
    )
    width = float(distance(x[L.LEFT_SHOULDER, :2], x[L.RIGHT_SHOULDER, :2]))
    if torso <= 0:
        return float("nan"), float("nan")
    ratio = min(width / (0.7 * torso), 1.0)
    dz = float(x[L.LEFT_SHOULDER, 2] - x[L.RIGHT_SHOULDER, 2])
    return float(np.degrees(np.arccos(ratio))), dz


def faces_away(pose: FramePose, config: ViewConfig = ViewConfig()) -> bool:
    """Does this frame show the person from behind? Needs world landmarks.

    Two independent cues must agree, so a side view (nose and ears at the same
    depth, hips' order arbitrary) is not flagged: the nose lies behind the ears and
    the left hip is on the picture's left.
    """
    w = pose.world
    if w is None or not hips_reversed(pose):
        return False
    nose_z = float(w[L.NOSE, 2])
    ears_z = (float(w[L.LEFT_EAR, 2]) + float(w[L.RIGHT_EAR, 2])) / 2
    behind = nose_z - ears_z
    return math.isfinite(behind) and behind > config.rear_nose_behind_m


def hips_reversed(pose: FramePose) -> bool:
    """The left hip is on the picture's left (world landmarks): the back is to the camera,
    or the body is side-on (where the order means little). False without world points."""
    w = pose.world
    return w is not None and float(w[L.LEFT_HIP, 0] - w[L.RIGHT_HIP, 0]) < 0


def image_trunk_lean_deg(pose: FramePose) -> float:
    """The trunk's angle from the picture's vertical (hips → shoulders), 0–180; NaN if
    the points are missing."""
    x = pose.image
    sx = (x[L.LEFT_SHOULDER, 0] + x[L.RIGHT_SHOULDER, 0]) / 2
    sy = (x[L.LEFT_SHOULDER, 1] + x[L.RIGHT_SHOULDER, 1]) / 2
    hx = (x[L.LEFT_HIP, 0] + x[L.RIGHT_HIP, 0]) / 2
    hy = (x[L.LEFT_HIP, 1] + x[L.RIGHT_HIP, 1]) / 2
    dx, dy = float(sx - hx), float(hy - sy)  # y down: up the picture is +dy
    if not (math.isfinite(dx) and math.isfinite(dy)) or (dx == 0.0 and dy == 0.0):
        return float("nan")
    return math.degrees(math.atan2(abs(dx), dy))


def most_seen_view(views: Iterable[str]) -> str:
    """The view most of a stretch's frames were seen from ("unknown" for none); a tie
    goes to the view seen first, so a report does not change between runs."""
    top = Counter(views).most_common(1)
    return top[0][0] if top else "unknown"


def classify(yaw: float, current: View, config: ViewConfig = ViewConfig()) -> View:
    """Label for a yaw, keeping ``current`` while the yaw is within its margin."""
    if not np.isfinite(yaw):
        return "unknown"
    m = config.margin
    if current == "front" and yaw < config.front_max + m:
        return "front"
    if current in ("side_left", "side_right") and yaw > config.side_min - m:
        return current
    if current == "oblique" and config.front_max - m < yaw < config.side_min + m:
        return "oblique"
    if yaw < config.front_max:
        return "front"
    if yaw > config.side_min:
        return "side_left"  # the caller picks the side
    return "oblique"


class ViewTracker:
    """Stateful view classifier with hysteresis and a minimum dwell time."""

    def __init__(self, config: ViewConfig = ViewConfig()) -> None:
        self.config = config
        self.elevation = ElevationTracker()
        self.reset()

    def reset(self) -> None:
        self.elevation.reset()
        self._state = ViewState("unknown", "left", float("nan"), False)
        self._candidate: View = "unknown"
        self._candidate_since = 0.0
        self._rear = False
        self._rear_raw = False
        self._rear_since = 0.0

    @property
    def state(self) -> ViewState:
        return self._state

    def update(self, pose: FramePose | None, t: float) -> ViewState:
        if pose is None:
            # Keep the last view through a short gap; the person gate decides detection.
            return self._state
        elev = self.elevation.update(elevation_sample(pose.world), t)
        yaw, dz = body_yaw(pose, elev.deg)
        near: Literal["left", "right"] = "left" if dz < 0 else "right"
        facing_away = hips_reversed(pose)
        label = classify(yaw, self._state.view, self.config)
        if label == "side_left":
            label = "side_left" if near == "left" else "side_right"
        e, spread = elev.deg, elev.spread_deg
        self._update_rear(pose, t)
        if (self._state.view != "unknown" and label != self._state.view
                and image_trunk_lean_deg(pose) > self.config.hold_bent_deg):
            # Bent far over: the yaw is unreliable, the view stays (see ViewConfig).
            self._candidate, self._candidate_since = self._state.view, t
            self._state = ViewState(self._state.view, self._state.near_side, yaw,
                                    self._state.facing_away, e, spread, self._rear)
            return self._state
        if label == self._state.view or self._state.view == "unknown":
            self._candidate = label
            self._candidate_since = t
            self._state = ViewState(label, near, yaw, facing_away, e, spread, self._rear)
            return self._state
        if label != self._candidate:
            self._candidate = label
            self._candidate_since = t
        if t - self._candidate_since >= self.config.dwell_s:
            self._state = ViewState(label, near, yaw, facing_away, e, spread, self._rear)
        else:
            self._state = ViewState(
                self._state.view, self._state.near_side, yaw, self._state.facing_away, e, spread,
                self._rear,
            )
        return self._state

    def _update_rear(self, pose: FramePose, t: float) -> None:
        """Flip the facing-away flag only after the raw cue has held ``dwell_s``."""
        raw = faces_away(pose, self.config)
        if raw != self._rear_raw:
            self._rear_raw, self._rear_since = raw, t
        if raw != self._rear and t - self._rear_since >= self.config.dwell_s:
            self._rear = raw
