"""Per-frame metrics: the angle table, measured on the side facing the camera.

Like Pose2Sim's angle table, every metric is a row of data (the landmarks it
needs, the plane it lives in); one function evaluates the table. A metric is
NaN when its view is wrong or any of its landmarks is not visible enough, so a
rule can never judge a number the camera could not see.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import Literal

import numpy as np

from posture.camera import sagittal_from_image, world_up
from posture.framing import FRAME_MARGIN, Framing, usable
from posture.geometry import (
    FloatArray,
    angle_between,
    distance,
    frontal_knee_projection,
    inclination,
    joint_angle,
    line_tilt,
    midpoint,
    signed_inclination,
)
from posture.landmarks import LEFT, RIGHT, SIDES, FramePose, Side
from posture.landmarks import PoseLandmark as L
from posture.view import FRONTAL_VIEWS, SAGITTAL_VIEWS, ViewState

Plane = Literal["sagittal", "frontal", "any"]

# Ankle-to-ear height is ~0.89 of stature (Drillis & Contini segment proportions):
# shin .246 + thigh .245 + hip→shoulder .29 + shoulder→ear .11.
ANKLE_TO_EAR_OF_STATURE = 0.89
# Below this yaw (90 = side-on) even a "side" view is turned enough for the
# shoulders' extra width to tilt one side's trunk line: use midpoints instead.
ROTATED_SIDE_YAW = 75.0
# Above this camera elevation the near shoulder (further out than the near hip)
# drops against it in the image by (Δwidth · sin e): use midpoints there too.
# Not lower: on real side views the far side is MediaPipe's guess (the chair
# clips, read at ~13°, lose 6° of neck inclination on midpoints); to calibrate.
MIDPOINT_ELEVATION_DEG = 20.0


@dataclass(frozen=True)
class MetricSpec:
    name: str
    unit: Literal["deg", "ratio"]
    plane: Plane
    description: str


METRICS: tuple[MetricSpec, ...] = (
    MetricSpec("trunk_inclination_deg", "deg", "sagittal", "hip→shoulder vs vertical, unsigned"),
    MetricSpec("neck_inclination_deg", "deg", "sagittal", "shoulder→ear vs vertical, unsigned"),
    MetricSpec("hip_angle_deg", "deg", "sagittal", "shoulder–hip–knee, 180 = straight"),
    MetricSpec("knee_angle_deg", "deg", "sagittal", "hip–knee–ankle, 180 = straight"),
    MetricSpec("trunk_lean_deg", "deg", "sagittal", "trunk inclination, + forward, − reclined"),
    MetricSpec("neck_lean_deg", "deg", "sagittal", "neck inclination, + head forward"),
    MetricSpec("neck_flexion_deg", "deg", "sagittal", "neck lean minus trunk lean (ISO 11226)"),
    MetricSpec("shin_lean_deg", "deg", "sagittal", "ankle→knee vs vertical, + knee ahead"),
    MetricSpec("thigh_inclination_deg", "deg", "sagittal", "knee→hip vs vertical, 90 = level"),
    MetricSpec("trunk_minus_shin_deg", "deg", "sagittal", "trunk lean minus shin lean"),
    MetricSpec(
        "knee_hyperextension_deg",
        "deg",
        "sagittal",
        "degrees past straight with the knee behind the hip–ankle line",
    ),
    MetricSpec(
        "squat_depth_ratio",
        "ratio",
        "sagittal",
        "hip below knee, in thigh lengths (0 = parallel, + = below); at an angle from "
        "the 3-D world landmarks",
    ),
    MetricSpec("heel_rise_deg", "deg", "sagittal", "heel→toe vs horizontal, + heel up"),
    MetricSpec(
        "load_distance_ratio",
        "ratio",
        "sagittal",
        "horizontal wrist–ankle distance / body height (NIOSH H proxy)",
    ),
    MetricSpec(
        "wrist_height_ratio",
        "ratio",
        "sagittal",
        "wrist height above the ankle / body height (NIOSH V proxy)",
    ),
    MetricSpec("upper_arm_flexion_deg", "deg", "sagittal", "shoulder→elbow vs trunk line"),
    MetricSpec("elbow_angle_deg", "deg", "sagittal", "shoulder–elbow–wrist, 180 = straight"),
    MetricSpec("shoulder_tilt_deg", "deg", "frontal", "shoulder line vs horizontal, + left up"),
    MetricSpec("hip_tilt_deg", "deg", "frontal", "hip line vs horizontal, + left up"),
    MetricSpec("head_tilt_deg", "deg", "frontal", "ear line vs horizontal, + left up"),
    MetricSpec(
        "trunk_lateral_tilt_deg",
        "deg",
        "frontal",
        "mid-hip→mid-shoulder vs vertical, + towards the person's left",
    ),
    MetricSpec("knee_valgus_left_deg", "deg", "frontal", "left knee FPPA deviation, + valgus"),
    MetricSpec("knee_valgus_right_deg", "deg", "frontal", "right knee FPPA deviation, + valgus"),
    MetricSpec("knee_valgus_deg", "deg", "frontal", "larger of the two knees' valgus"),
    MetricSpec(
        "trunk_twist_deg",
        "deg",
        "any",
        "shoulder line vs hip line about the trunk axis (3-D, noisy; front/oblique)",
    ),
    MetricSpec("body_height_px", "ratio", "any", "stature estimate in pixels (scale)"),
    MetricSpec(
        "hip_angle_3d_deg",
        "deg",
        "any",
        "shoulder–hip–knee from the 3-D world landmarks, any view or camera height (reps only)",
    ),
    MetricSpec(
        "knee_angle_3d_deg",
        "deg",
        "any",
        "hip–knee–ankle from the 3-D world landmarks, any view or camera height (reps only)",
    ),
    # Home exercises (issue #11). "Up" is world up: the image after deforeshorten().
    MetricSpec(
        "body_line_deg",
        "deg",
        "sagittal",
        "180 − shoulder–hip–ankle angle, + hip above the shoulder–ankle line (pike), − sag",
    ),
    MetricSpec(
        "bridge_line_deg",
        "deg",
        "sagittal",
        "180 − shoulder–hip–knee angle, + hip above the shoulder–knee line (arched), − low",
    ),
    MetricSpec("leg_raise_deg", "deg", "sagittal", "higher leg's hip→ankle vs horizontal, + up"),
    MetricSpec(
        "arm_raise_deg", "deg", "sagittal", "higher arm's shoulder→wrist vs horizontal, + up"
    ),
    MetricSpec(
        "front_knee_angle_deg",
        "deg",
        "sagittal",
        "hip–knee–ankle of the leg whose ankle is further forward, 180 = straight",
    ),
    MetricSpec(
        "front_shin_lean_deg", "deg", "sagittal", "front leg's ankle→knee vs vertical, + knee ahead"
    ),
    MetricSpec(
        "stance_length_ratio",
        "ratio",
        "sagittal",
        "fore-aft distance between the ankles / body height (a split stance)",
    ),
    # Which limb the metrics above read: +1 = the person's left, −1 = right.
    MetricSpec("raised_leg_side", "ratio", "sagittal", "side of leg_raise_deg, +1 left, −1 right"),
    MetricSpec("raised_arm_side", "ratio", "sagittal", "side of arm_raise_deg, +1 left, −1 right"),
    MetricSpec("front_leg_side", "ratio", "sagittal", "side of front_knee_angle_deg, +1 left"),
)
METRIC_NAMES: tuple[str, ...] = tuple(m.name for m in METRICS)
METRIC_INDEX: Mapping[str, int] = {n: i for i, n in enumerate(METRIC_NAMES)}
SCHEMA_ANGLES = METRIC_NAMES[:4]
_SPECS = {m.name: m for m in METRICS}


def metric_spec(name: str) -> MetricSpec:
    return _SPECS[name]


@dataclass(frozen=True)
class MetricsConfig:
    min_visibility: float = 0.5  # MediaPipe visibility below which a landmark is not trusted
    frame_margin: float = FRAME_MARGIN  # landmarks nearer an edge (fraction) are cut off
    # Undo MediaPipe's landmark offsets from the joint centres (LANDMARK_OFFSETS);
    # off for landmarks that are joint centres already (e.g. a stick figure).
    landmark_offsets: bool = True


@dataclass(frozen=True, eq=False)
class FrameMetrics:
    """One frame's metric vector (NaN = not measurable) with its context."""

    t: float
    detected: bool
    view: ViewState
    values: FloatArray = field(repr=False)
    # Which body regions the picture cut off or hid (posture.framing.check), for the
    # framing sentence; None when nobody was detected or nothing checked the pose.
    framing: Framing | None = field(default=None, repr=False)

    def get(self, name: str) -> float:
        return self._floats[METRIC_INDEX[name]]

    @cached_property
    def _floats(self) -> list[float]:
        # Rules read ~40 values a frame; one conversion beats 40 numpy scalar reads.
        return list(self.values.tolist())  # Python floats

    def as_dict(self) -> dict[str, float | None]:
        return {
            n: (None if np.isnan(v) else float(v))
            for n, v in zip(METRIC_NAMES, self.values, strict=True)
        }


def empty_values() -> FloatArray:
    return np.full(len(METRICS), np.nan)


def compute_metrics(
    pose: FramePose | None, view: ViewState, config: MetricsConfig = MetricsConfig()
) -> FloatArray:
    """Evaluate the metric table for one frame (NaN where not measurable)."""
    out = empty_values()
    if pose is None:
        return out
    x = pose.image[:, :2]
    # Usable = visible enough AND inside the frame: MediaPipe extrapolates cut-off
    # landmarks with high visibility, so a point off the picture never feeds a metric.
    ok_vis = usable(pose, config.min_visibility, config.frame_margin)
    ok = ok_vis.tolist()  # plain bools: ~100 look-ups a frame

    def put(name: str, needs: tuple[L, ...], fn: Callable[[], float | FloatArray]) -> None:
        for lm in needs:
            if not ok[lm]:
                return
        out[METRIC_INDEX[name]] = float(fn())

    s: Side = SIDES[view.near_side]
    # A camera looking down too steeply (or too uncertainly) to correct gives no
    # sagittal angle at all: the assessor asks for a lower camera instead.
    sagittal = view.view in SAGITTAL_VIEWS and not view.camera_too_high
    frontal = view.view in FRONTAL_VIEWS

    # Body height in pixels, from the near side's ankle→ear chain only: the rep counter
    # reads its shrink as a bend (front and oblique views). A trunk-based stand-in when
    # the chain is incomplete is another estimator: 20 % apart from the chain on a front
    # squat with the feet cut off, which read as a squat while standing.
    chain = (s.ankle, s.knee, s.hip, s.shoulder, s.ear)
    height = float("nan")
    if all(ok[lm] for lm in chain):
        length = sum(float(distance(x[a], x[b])) for a, b in itertools.pairwise(chain))
        height = length / ANKLE_TO_EAR_OF_STATURE
    out[METRIC_INDEX["body_height_px"]] = height

    offsets = LANDMARK_OFFSETS if config.landmark_offsets else NO_OFFSETS
    # Joint angles between 3-D segments do not depend on where the camera stands, so
    # the rep counter can see a bend even where no sagittal angle may be judged (a
    # camera looking down steeply); no rule reads them.
    leg3 = None if pose.world is None else world_leg_angles(pose.world, s, offsets)
    if leg3 is not None:
        put("hip_angle_3d_deg", (s.shoulder, s.hip, s.knee), partial(float, leg3[0]))
        put("knee_angle_3d_deg", (s.hip, s.knee, s.ankle), partial(float, leg3[1]))
    if sagittal:
        # A camera looking down also shifts the near shoulder (wider than the near
        # hip) vertically against it: the left–right midpoints cancel that too.
        rotated = (
            view.view == "oblique"
            or view.yaw_deg < ROTATED_SIDE_YAW
            or abs(view.elevation_deg) > MIDPOINT_ELEVATION_DEG
        )
        fwd = forward_sign(x, s, ok_vis)
        upright = deforeshorten(x, view, fwd)
        _sagittal(put, upright, s, ok_vis, height, rotated, fwd, offsets)
        _exercise(out, correct_landmark_offsets(upright, fwd, offsets), s, ok_vis, fwd, height)
        if view.view == "oblique":
            # Bent legs seen obliquely are distorted by perspective and by their
            # sideways parts, not just foreshortened, so they are measured in 3-D,
            # projected into the sagittal plane with the landmark offsets undone. The
            # points are the image landmarks with their own relative depth (scaled like
            # x), not the world landmarks: the world regression compresses depth, so
            # bent legs read 17–22° too straight. On the oblique renders at cameras
            # 0–15° (1795 frames; hip / knee MAE per frame): image 3-D 7.5 / 8.7°,
            # world 3-D 11.1 / 14.2°, de-foreshortened 2-D 17 / 15°. The image depth
            # is the model's upright-body estimate: lying down it exaggerates depth
            # (a glute bridge's knee errs 60°), which no oblique rule judges.
            img3 = world_leg_angles(pose.image, s, offsets)
            put("hip_angle_deg", (s.shoulder, s.hip, s.knee), partial(float, img3[0]))
            put("knee_angle_deg", (s.hip, s.knee, s.ankle), partial(float, img3[1]))
            # In the picture the knee, nearer the camera, drops against the hip: the
            # depth comes from 3-D (world_depth_ratio). Until the stream has shown the
            # camera's pitch it is taken as level, as deforeshorten() does. The world
            # landmarks here, not the image ones: on the shallow oblique renders (true
            # −0.57 to −0.75 thigh lengths) the image depth read −0.18 to −0.44, the
            # world −0.54 to −0.81, while both read deep squats within ~0.1.
            w3 = pose.world
            e = view.elevation_deg if math.isfinite(view.elevation_deg) else 0.0
            if w3 is not None:
                put("squat_depth_ratio", (s.hip, s.knee),
                    lambda: world_depth_ratio(w3, e, offsets))
    if frontal:
        _frontal(put, x)
        # A side plank faces the camera: its sag or hike shows in the frontal plane.
        _exercise(out, x, s, ok_vis, 1.0, height, limbs=False)
    if view.view in ("front", "oblique") and pose.world is not None:
        w = pose.world
        put(
            "trunk_twist_deg",
            (L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP),
            lambda: trunk_twist(w),
        )
    return finalize(out)


def deforeshorten(x: FloatArray, view: ViewState, fwd: float = 1.0) -> FloatArray:
    """Undo the foreshortening of the sagittal plane by the body's yaw and the camera's pitch.

    Seen at yaw ψ from the front, a forward displacement shrinks by sin ψ in the
    image while vertical ones do not; a camera looking down by e shrinks the
    vertical ones by cos e (and, turned, shows forward as vertical by
    sin e · cos ψ). ``posture.camera.sagittal_from_image`` undoes both about the
    hips, which restores sagittal angles (lateral offsets cancel within one
    side, or between left–right midpoints). ``fwd``: +1 if the person faces
    image +x. The elevation is applied whenever known (capped at 60°): beyond
    what rules should judge (``ViewState.camera_too_high``) it is still the best
    estimate of the angles.
    """
    if view.view not in SAGITTAL_VIEWS or not np.isfinite(view.yaw_deg):
        return x
    return sagittal_from_image(x, view.yaw_deg, view.elevation_deg, fwd, not view.facing_away)


def forward_sign(x: FloatArray, s: Side, ok_vis: np.ndarray) -> float:
    """+1 if the person faces image +x, −1 if −x.

    Toes ahead of the heel is the steadiest cue in a side view; the nose ahead
    of the ear flips when the head hangs down in a deep forward bend, so it is
    only the fallback when the feet are hidden (e.g. under a desk).
    """
    if ok_vis[int(s.heel)] and ok_vis[int(s.foot_index)]:
        d = x[s.foot_index, 0] - x[s.heel, 0]
    else:
        d = x[L.NOSE, 0] - x[s.ear, 0]
    return 1.0 if d >= 0 else -1.0


@dataclass(frozen=True)
class LandmarkOffsets:
    """Where MediaPipe's landmarks sit relative to the joint centres, in trunk lengths.

    Measured on the synthetic renders with ground truth (shared/tools/synth/README.md,
    "Known limits"; medians over 1217 side-view frames of 15 clips, sitting to deep
    squats): MediaPipe's ear sits ~0.065 trunk lengths in front of the pinna centre
    and its shoulder ~0.06 above the glenohumeral centre along the trunk (steady
    whatever the lean); its hip lies on the front of the thigh, ~0.05 anterior of the
    femoral head and ~0.065 towards the knee (steadier in the thigh's frame than in
    the trunk's or the image's); its knee ~0.05 down the shank from the knee centre.
    Each offset is along a segment and perpendicular to it towards the front of the
    body, in units of the measured hip→shoulder length, so it follows the body as it
    bends and scales with it. Defaults to calibrate on real footage.
    """

    ear_forward: float = 0.062
    shoulder_up: float = 0.058
    hip_forward: float = 0.05
    hip_down_thigh: float = 0.065
    knee_down_shank: float = 0.05


LANDMARK_OFFSETS = LandmarkOffsets()
NO_OFFSETS = LandmarkOffsets(0.0, 0.0, 0.0, 0.0, 0.0)

_OFFSET_SIDES = tuple(
    tuple(int(i) for i in (sd.hip, sd.shoulder, sd.ear, sd.knee, sd.ankle)) for sd in (LEFT, RIGHT)
)


def _unit_and_front(
    x: FloatArray, lower: int, upper: int, fwd: float
) -> tuple[float, float, float, float, float] | None:
    """Length, unit vector lower→upper and its perpendicular towards the body's front."""
    dx = float(x[upper, 0]) - float(x[lower, 0])
    dy = float(x[upper, 1]) - float(x[lower, 1])
    n = math.hypot(dx, dy)
    if not (n > 0 and math.isfinite(n)):
        return None
    ax, ay = dx / n, dy / n
    return n, ax, ay, -ay * fwd, ax * fwd


def correct_landmark_offsets(
    x: FloatArray, fwd: float, offsets: LandmarkOffsets = LANDMARK_OFFSETS
) -> FloatArray:
    """Move ear, shoulder, hip and knee (both sides) from MediaPipe's landmarks to the joints.

    ``x`` holds image points (y down) of a sagittal view, already de-foreshortened;
    ``fwd`` is +1 if the person faces image +x. A side's frames come from its own
    uncorrected points; a point whose frame is missing stays as it is (NaN stays NaN).
    """
    out = x.copy()
    for hip, sh, ear, knee, ankle in _OFFSET_SIDES:
        trunk = _unit_and_front(x, hip, sh, fwd)
        if trunk is None:
            continue
        t, ax, ay, px, py = trunk
        k = offsets.ear_forward * t
        out[ear, 0] -= k * px
        out[ear, 1] -= k * py
        k = offsets.shoulder_up * t
        out[sh, 0] -= k * ax
        out[sh, 1] -= k * ay
        thigh = _unit_and_front(x, knee, hip, fwd)
        down = offsets.hip_down_thigh
        if thigh is not None:
            _, ax, ay, px, py = thigh
        else:  # no knee: only back, in the trunk's frame
            down = 0.0
        # Back off the front of the thigh and up it, towards the femoral head.
        out[hip, 0] += t * (down * ax - offsets.hip_forward * px)
        out[hip, 1] += t * (down * ay - offsets.hip_forward * py)
        shank = _unit_and_front(x, ankle, knee, fwd)
        if shank is not None:
            k = offsets.knee_down_shank * t
            out[knee, 0] += k * shank[1]
            out[knee, 1] += k * shank[2]
    return out


def _sub(a: list[float], b: list[float]) -> list[float]:
    return [a[0] - b[0], a[1] - b[1], a[2] - b[2]]


def _unit3(v: list[float]) -> list[float] | None:
    n = math.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2])
    if not (n > 0 and math.isfinite(n)):
        return None
    return [v[0] / n, v[1] / n, v[2] / n]


def _cross(a: list[float], b: list[float]) -> list[float]:
    return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]


def _dot(a: list[float], b: list[float]) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _angle3(u: list[float], v: list[float]) -> float:
    c = _cross(u, v)
    return math.degrees(math.atan2(math.sqrt(_dot(c, c)), _dot(u, v)))


@dataclass(frozen=True)
class _WorldLeg:
    """One leg's joint centres in MediaPipe's world frame, landmark offsets undone."""

    proj: Callable[[list[float]], list[float]]  # into the sagittal plane (normal to lat)
    trunk: list[float]  # hip midpoint → shoulder midpoint
    hip: list[float]
    knee: list[float]
    ankle: list[float]


def _world_leg(world: FloatArray, s: Side, offsets: LandmarkOffsets) -> _WorldLeg | None:
    """The leg of side ``s`` with the offsets of ``correct_landmark_offsets`` undone in
    the body's sagittal plane (hip back and up the thigh, knee up the shank, shoulders
    down the trunk); None without a hip line."""
    p = {int(i): world[int(i)].tolist() for i in _WORLD_POINTS}
    lat = _unit3(_sub(p[int(L.LEFT_HIP)], p[int(L.RIGHT_HIP)]))
    if lat is None:
        return None
    ln = lat

    def proj(v: list[float]) -> list[float]:
        d = _dot(v, ln)
        return [v[0] - d * ln[0], v[1] - d * ln[1], v[2] - d * ln[2]]

    hip, knee, ankle = p[int(s.hip)], p[int(s.knee)], p[int(s.ankle)]
    ls, rs = p[int(L.LEFT_SHOULDER)], p[int(L.RIGHT_SHOULDER)]
    lh, rh = p[int(L.LEFT_HIP)], p[int(L.RIGHT_HIP)]
    trunk = [(ls[i] + rs[i] - lh[i] - rh[i]) / 2 for i in range(3)]
    t = math.sqrt(_dot(trunk, trunk))
    if t > 0:
        a_t = [c / t for c in trunk]
        thigh = _unit3(proj(_sub(hip, knee)))
        shank = _unit3(proj(_sub(knee, ankle)))
        if thigh is not None and shank is not None:
            front = _unit3(_cross(lat, thigh))
            toes = _sub(p[int(s.foot_index)], p[int(s.heel)])
            if front is not None:
                if _dot(_cross(lat, a_t), toes) < 0:
                    front = [-c for c in front]
                k1, k2 = offsets.hip_down_thigh * t, offsets.hip_forward * t
                hip = [h + k1 * a - k2 * f for h, a, f in zip(hip, thigh, front, strict=True)]
                k3 = offsets.knee_down_shank * t
                knee = [k + k3 * a for k, a in zip(knee, shank, strict=True)]
                trunk = [c - offsets.shoulder_up * t * a for c, a in zip(trunk, a_t, strict=True)]
    return _WorldLeg(proj, trunk, hip, knee, ankle)


def world_leg_angles(
    world: FloatArray, s: Side, offsets: LandmarkOffsets = LANDMARK_OFFSETS
) -> tuple[float, float]:
    """Sagittal hip and knee angles of side ``s`` from 3-D landmarks: MediaPipe's world
    ones, or the image ones with their relative depth (any units, x/y/z alike).

    The body's sagittal plane is the one normal to the hip line; the landmark offsets
    are undone in it (``_world_leg``), and the angles are measured on the segments
    projected into it. NaN where a point is missing.
    """
    leg = _world_leg(world, s, offsets)
    if leg is None:
        return (float("nan"), float("nan"))
    proj = leg.proj
    hip_angle = _angle3(proj(leg.trunk), proj(_sub(leg.knee, leg.hip)))
    knee_angle = _angle3(proj(_sub(leg.hip, leg.knee)), proj(_sub(leg.ankle, leg.knee)))
    return hip_angle, knee_angle


def world_depth_ratio(world: FloatArray, elevation_deg: float,
                      offsets: LandmarkOffsets = LANDMARK_OFFSETS) -> float:
    """Hip below knee in thigh lengths (0 = parallel, + = below), from 3-D landmarks
    (MediaPipe's world ones, or the image ones with their relative depth) with the
    landmark offsets undone, mean of both legs; the camera's pitch is undone with its
    estimate.

    Both are in the camera's axes (y down, z away), so "up" is tilted towards the
    camera by the elevation (``posture.camera``). In the picture at an angle the knee,
    nearer the camera, drops against the hip: the 2-D ratio errs 0.33 thigh lengths at
    the bottom of oblique reps, against 0.11 side-on. The oblique view reads this from
    the world landmarks (``compute_metrics``): against the renders' true joints (cos of
    trunk lean + hip angle, cameras 0–15°) they err 0.14 thigh lengths at the bottom of
    oblique reps, reading 0.11 shallow (``posture.confidence``).
    """
    up = world_up(elevation_deg)
    ratios = []
    for sd in (LEFT, RIGHT):
        leg = _world_leg(world, sd, offsets)
        thigh = None if leg is None else _sub(leg.knee, leg.hip)
        n = math.nan if thigh is None else math.sqrt(_dot(thigh, thigh))
        if thigh is not None and n > 0 and math.isfinite(n):
            ratios.append(_dot(thigh, up) / n)
    return sum(ratios) / len(ratios) if ratios else math.nan


_WORLD_POINTS = (
    L.LEFT_SHOULDER,
    L.RIGHT_SHOULDER,
    *(sd.hip for sd in (LEFT, RIGHT)),
    *(sd.knee for sd in (LEFT, RIGHT)),
    *(sd.ankle for sd in (LEFT, RIGHT)),
    *(sd.heel for sd in (LEFT, RIGHT)),
    *(sd.foot_index for sd in (LEFT, RIGHT)),
)


def _axial_points(
    x: FloatArray, s: Side, ok_vis: np.ndarray, oblique: bool
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Hip, shoulder and ear points for the trunk and neck.

    In an oblique view the shoulders sit further from the midline than the hips,
    so one side's hip→shoulder line picks up a lateral tilt; the left–right
    midpoints cancel it. In a side view the near side is the better estimate.
    """
    pts = []
    for a, b in (
        (L.LEFT_HIP, L.RIGHT_HIP),
        (L.LEFT_SHOULDER, L.RIGHT_SHOULDER),
        (L.LEFT_EAR, L.RIGHT_EAR),
    ):
        near = a if s.name == "left" else b
        if oblique and ok_vis[int(a)] and ok_vis[int(b)]:
            pts.append(midpoint(x[a], x[b]))
        else:
            pts.append(x[near])
    return pts[0], pts[1], pts[2]


def _sagittal(
    put: Callable[[str, tuple[L, ...], Callable[[], float | FloatArray]], None],
    x: FloatArray,
    s: Side,
    ok_vis: np.ndarray,
    height: float,
    oblique: bool,
    fwd: float,
    offsets: LandmarkOffsets,
) -> None:
    x = correct_landmark_offsets(x, fwd, offsets)
    hip, shoulder, ear = _axial_points(x, s, ok_vis, oblique)
    knee, ankle = x[s.knee], x[s.ankle]
    leg_hip = x[s.hip]
    trunk_lean = signed_inclination(hip, shoulder, fwd)
    neck_lean = signed_inclination(shoulder, ear, fwd)
    shin_lean = signed_inclination(ankle, knee, fwd)
    put("trunk_inclination_deg", (s.hip, s.shoulder), lambda: inclination(hip, shoulder))
    put("neck_inclination_deg", (s.shoulder, s.ear), lambda: inclination(shoulder, ear))
    put(
        "hip_angle_deg",
        (s.shoulder, s.hip, s.knee),
        lambda: angle_between(shoulder - hip, knee - leg_hip),
    )
    put("knee_angle_deg", (s.hip, s.knee, s.ankle), lambda: joint_angle(leg_hip, knee, ankle))
    put("trunk_lean_deg", (s.hip, s.shoulder), lambda: trunk_lean)
    put("neck_lean_deg", (s.shoulder, s.ear), lambda: neck_lean)
    put("neck_flexion_deg", (s.hip, s.shoulder, s.ear), lambda: neck_lean - trunk_lean)
    put("shin_lean_deg", (s.ankle, s.knee), lambda: shin_lean)
    put("thigh_inclination_deg", (s.knee, s.hip), lambda: inclination(knee, leg_hip))
    put(
        "trunk_minus_shin_deg", (s.hip, s.shoulder, s.ankle, s.knee), lambda: trunk_lean - shin_lean
    )

    def hyperextension() -> float:
        straightness = 180.0 - float(joint_angle(leg_hip, knee, ankle))
        # Knee behind (opposite the facing direction of) the hip–ankle line = recurvatum.
        frac = (knee[1] - leg_hip[1]) / (ankle[1] - leg_hip[1]) if ankle[1] != leg_hip[1] else 0.5
        line_x = leg_hip[0] + frac * (ankle[0] - leg_hip[0])
        behind = (knee[0] - line_x) * fwd < 0
        return straightness if behind else -straightness

    put("knee_hyperextension_deg", (s.hip, s.knee, s.ankle), hyperextension)
    put(
        "squat_depth_ratio",
        (s.hip, s.knee),
        lambda: (leg_hip[1] - knee[1]) / max(float(distance(leg_hip, knee)), 1e-6),
    )

    def heel_rise() -> float:
        # Heel higher than the toe (smaller y) reads positive, whichever way the person faces.
        dx = abs(x[s.foot_index, 0] - x[s.heel, 0])
        return float(np.degrees(np.arctan2(x[s.foot_index, 1] - x[s.heel, 1], dx)))

    put("heel_rise_deg", (s.heel, s.foot_index), heel_rise)
    if np.isfinite(height) and height > 0:
        put(
            "load_distance_ratio",
            (s.wrist, s.ankle),
            lambda: abs(x[s.wrist, 0] - ankle[0]) / height,
        )
        put("wrist_height_ratio", (s.wrist, s.ankle), lambda: (ankle[1] - x[s.wrist, 1]) / height)
    put(
        "upper_arm_flexion_deg",
        (s.hip, s.shoulder, s.elbow),
        lambda: angle_between(x[s.hip] - x[s.shoulder], x[s.elbow] - x[s.shoulder]),
    )
    put(
        "elbow_angle_deg",
        (s.shoulder, s.elbow, s.wrist),
        lambda: joint_angle(x[s.shoulder], x[s.elbow], x[s.wrist]),
    )


def line_deviation(top: FloatArray, hip: FloatArray, end: FloatArray, fwd: float) -> float:
    """180 − angle(top, hip, end), + when the hip lies above the top–end line (world up).

    For a line near vertical "above" is undefined; the hip then counts as above when
    it is behind the line (a pike seen from standing), so the sign never flips on noise.
    """
    dev = 180.0 - float(joint_angle(top, hip, end))
    line = end - top
    n = np.array([line[1], -line[0]])  # a normal of the line
    up = -n[1]  # its image-up component (y grows downwards)
    if abs(up) < 1e-9 * max(float(np.hypot(*line)), 1.0):
        up = -n[0] * fwd  # vertical line: "above" = behind
    if up < 0:
        n = -n
    return dev if float(np.dot(hip - top, n)) >= 0 else -dev


def raise_angle(a: FloatArray, b: FloatArray) -> float:
    """Segment a→b vs horizontal, + when b is higher (world up), in [−90, 90]."""
    return float(np.degrees(np.arctan2(a[1] - b[1], abs(b[0] - a[0]))))


def _exercise(
    out: FloatArray,
    x: FloatArray,
    s: Side,
    ok_vis: np.ndarray,
    fwd: float,
    height: float,
    limbs: bool = True,
) -> None:
    """The home-exercise metrics (issue #11) of a sagittal view, on upright joint points.

    Body and bridge lines use the left–right midpoints when both sides are seen (a
    plank's far side is often hidden), else the near side; limb raises and the
    front knee pick a limb, so they need both limbs seen to know which one it is.
    """
    ok = ok_vis.tolist()
    near = (s.shoulder, s.hip, s.knee, s.ankle)
    far_side = RIGHT if s.name == "left" else LEFT
    far = (far_side.shoulder, far_side.hip, far_side.knee, far_side.ankle)

    def point(i: int) -> FloatArray | None:
        a, b = near[i], far[i]
        if ok[a] and ok[b]:
            return midpoint(x[a], x[b])
        return x[a] if ok[a] else None

    sh, hip, knee, ankle = (point(i) for i in range(4))
    if sh is not None and hip is not None:
        if ankle is not None:
            out[METRIC_INDEX["body_line_deg"]] = line_deviation(sh, hip, ankle, fwd)
        if knee is not None:
            out[METRIC_INDEX["bridge_line_deg"]] = line_deviation(sh, hip, knee, fwd)
    if not limbs:
        return
    for metric, side_metric, upper, lower in (
        ("leg_raise_deg", "raised_leg_side", "hip", "ankle"),
        ("arm_raise_deg", "raised_arm_side", "shoulder", "wrist"),
    ):
        a, b = getattr(LEFT, upper), getattr(LEFT, lower)
        c, d = getattr(RIGHT, upper), getattr(RIGHT, lower)
        if ok[a] and ok[b] and ok[c] and ok[d]:
            left, right = raise_angle(x[a], x[b]), raise_angle(x[c], x[d])
            higher = left if left >= right else right
            if np.isfinite(left + right):  # NaN in either: NaN out
                out[METRIC_INDEX[metric]] = higher
                out[METRIC_INDEX[side_metric]] = 1.0 if left >= right else -1.0
    if ok[L.LEFT_ANKLE] and ok[L.RIGHT_ANKLE]:
        ahead = (x[L.LEFT_ANKLE, 0] - x[L.RIGHT_ANKLE, 0]) * fwd
        if np.isfinite(height) and height > 0:
            out[METRIC_INDEX["stance_length_ratio"]] = abs(ahead) / height
        front, sign = (LEFT, 1.0) if ahead >= 0 else (RIGHT, -1.0)
        if ok[front.hip] and ok[front.knee] and np.isfinite(ahead):
            out[METRIC_INDEX["front_knee_angle_deg"]] = float(
                joint_angle(x[front.hip], x[front.knee], x[front.ankle]))
            out[METRIC_INDEX["front_leg_side"]] = sign
            out[METRIC_INDEX["front_shin_lean_deg"]] = float(
                signed_inclination(x[front.ankle], x[front.knee], fwd))


def _frontal(
    put: Callable[[str, tuple[L, ...], Callable[[], float | FloatArray]], None], x: FloatArray
) -> None:
    put(
        "shoulder_tilt_deg",
        (L.LEFT_SHOULDER, L.RIGHT_SHOULDER),
        lambda: line_tilt(x[L.LEFT_SHOULDER], x[L.RIGHT_SHOULDER]),
    )
    put("hip_tilt_deg", (L.LEFT_HIP, L.RIGHT_HIP), lambda: line_tilt(x[L.LEFT_HIP], x[L.RIGHT_HIP]))
    put(
        "head_tilt_deg", (L.LEFT_EAR, L.RIGHT_EAR), lambda: line_tilt(x[L.LEFT_EAR], x[L.RIGHT_EAR])
    )

    def lateral() -> float:
        hip = midpoint(x[L.LEFT_HIP], x[L.RIGHT_HIP])
        sh = midpoint(x[L.LEFT_SHOULDER], x[L.RIGHT_SHOULDER])
        towards_left = np.sign(x[L.LEFT_HIP, 0] - x[L.RIGHT_HIP, 0]) or 1.0
        return float(signed_inclination(hip, sh, towards_left))

    put(
        "trunk_lateral_tilt_deg",
        (L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP),
        lateral,
    )
    # The body midline lies towards the other hip: that is the medial direction.
    for side, other, name in (
        (LEFT, RIGHT, "knee_valgus_left_deg"),
        (RIGHT, LEFT, "knee_valgus_right_deg"),
    ):
        medial = 1.0 if x[other.hip, 0] > x[side.hip, 0] else -1.0
        put(
            name,
            (side.hip, side.knee, side.ankle),
            partial(frontal_knee_projection, x[side.hip], x[side.knee], x[side.ankle], medial),
        )


def trunk_twist(world: FloatArray) -> float:
    """Angle between the shoulder and hip lines about the trunk axis (world landmarks)."""
    sh_l, sh_r = world[L.LEFT_SHOULDER], world[L.RIGHT_SHOULDER]
    hp_l, hp_r = world[L.LEFT_HIP], world[L.RIGHT_HIP]
    axis = midpoint(sh_l, sh_r) - midpoint(hp_l, hp_r)
    norm = float(np.linalg.norm(axis))
    if norm == 0:
        return float("nan")
    axis = axis / norm
    sh = (sh_l - sh_r) - np.dot(sh_l - sh_r, axis) * axis
    hp = (hp_l - hp_r) - np.dot(hp_l - hp_r, axis) * axis
    return float(angle_between(sh, hp))


def finalize(values: FloatArray) -> FloatArray:
    """Derived values that must follow smoothing (e.g. the worse knee)."""
    out = values.copy()
    left = out[..., METRIC_INDEX["knee_valgus_left_deg"]]
    right = out[..., METRIC_INDEX["knee_valgus_right_deg"]]
    out[..., METRIC_INDEX["knee_valgus_deg"]] = np.fmax(left, right)  # NaN-aware, no warning
    return out
