"""How far the camera looks down on the person (camera elevation), and undoing it.

A camera on a shelf or in a ceiling corner looks down at the body. In a side
view that shrinks every vertical extent by about cos(elevation) against the
horizontal ones (``tan θ_image = tan θ_true / cos e`` for a line in the sagittal
plane), so a stooped trunk reads flatter, knees and hips bend differently and
the wrist seems closer to the floor. In an oblique view the forward part of a
sagittal line also leaks into the image's vertical by ``sin e · cos yaw``.

Estimate: MediaPipe's world landmarks are expressed in the camera's axes (y
down the image, z away from the camera), not in gravity's: on our renders a
standing person's hip and shoulder lines — horizontal in the world — tip in
the camera's y–z plane by the angle the camera looks down (side views read
the camera pitch within ~4°; the pitch seen along the line of sight to the
hips). The lines carry the elevation only when they point into the scene, so a
sample is weighted by how far they turn away from the image plane (nothing in
a front view), and the per-stream estimate is a time-weighted running mean
(``ElevationTracker.update(sample, t)``) with its spread, since the camera
rarely moves. Above ``MAX_CORRECTABLE_DEG`` (or while the estimate is too
uncertain) rules should be n/a with the framing cue ``FRAMING_CUE`` rather than
judge a corrected angle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from posture.landmarks import FloatArray
from posture.landmarks import PoseLandmark as L

# Beyond this the side view has collapsed too far for a correction to be trusted. The
# estimate reads 6–14° low for cameras 20–60° up on our renders, so 40° read is ~50° real
# (cos 50° = 0.64); a default to calibrate.
MAX_CORRECTABLE_DEG = 40.0
FRAMING_CUE = "Lower the camera to about hip height"

_LINES = (
    (int(L.LEFT_HIP), int(L.RIGHT_HIP)),
    (int(L.LEFT_SHOULDER), int(L.RIGHT_SHOULDER)),
)
# (upper end, lower end) of sagittal segments; two indices = their midpoint.
_SAGITTAL: tuple[tuple[tuple[int, ...], tuple[int, ...]], ...] = (
    ((int(L.LEFT_SHOULDER), int(L.RIGHT_SHOULDER)), (int(L.LEFT_HIP), int(L.RIGHT_HIP))),
    ((int(L.LEFT_KNEE),), (int(L.LEFT_ANKLE),)),
    ((int(L.RIGHT_KNEE),), (int(L.RIGHT_ANKLE),)),
)
_ALL = tuple(
    sorted({i for a, b in _LINES for i in (a, b)} | {i for u, d in _SAGITTAL for i in (*u, *d)})
)


@dataclass(frozen=True)
class ElevationSample:
    """One frame's reading: degrees the camera looks down (+) or up (−), and its weight."""

    deg: float
    weight: float  # 0 = says nothing (front view, missing landmarks), 1 = a full side view


NO_SAMPLE = ElevationSample(float("nan"), 0.0)


def _mean(pts: dict[int, list[float]], idx: tuple[int, ...], k: int) -> float:
    return sum(pts[i][k] for i in idx) / len(idx)


def on_its_side(world: FloatArray | None) -> bool:
    """A body lying on its side facing the camera or away (a side plank): the trunk runs
    across the picture and the hip line stands upright in it (world landmarks, camera
    axes). Everything that assumes level hip and shoulder lines — the elevation evidence
    below, the body's yaw from the lines' depth — does not hold for such a frame."""
    if world is None:
        return False
    p = {i: world[i].tolist() for i in (L.LEFT_HIP, L.RIGHT_HIP, L.LEFT_SHOULDER,
                                        L.RIGHT_SHOULDER)}
    lh, rh, ls, rs = p[L.LEFT_HIP], p[L.RIGHT_HIP], p[L.LEFT_SHOULDER], p[L.RIGHT_SHOULDER]
    across = abs(ls[0] + rs[0] - lh[0] - rh[0]) > 2 * abs(ls[1] + rs[1] - lh[1] - rh[1])
    hx, hy, hz = (abs(lh[k] - rh[k]) for k in range(3))
    # Twice, not once: a camera 60° above a body bending forward also sees a steep hip
    # line (dy/dz = tan 60° ≈ 1.7) and a trunk across the picture.
    return across and hy > 2 * max(hx, hz)  # False with NaN anywhere


def world_up(elevation_deg: float) -> list[float]:
    """The world's "up" in MediaPipe's world landmarks, which are in the camera's axes
    (y down, z away from the camera): tilted towards the camera by the angle the camera
    looks down."""
    e = math.radians(elevation_deg)
    return [0.0, -math.cos(e), -math.sin(e)]


def elevation_sample(world: FloatArray | None) -> ElevationSample:
    """Camera elevation from MediaPipe's world landmarks (camera axes, y down, z away).

    Two kinds of evidence, each exact for a perfect skeleton seen from the side:

    - the hip and shoulder lines are level in the world, so in camera axes the
      far end rises by the elevation: ``e = atan2(−dy, dz)`` with the line pointed
      away from the camera; weighted by the line's share out of the image's x
      (sin² of the body's yaw), so front views count for nothing;
    - the trunk and shins lie in the sagittal plane: with their forward part
      removed (the body's forward axis from the lines' estimate) what is left is
      the body's vertical, tilted towards the camera by the elevation,
      ``e = atan2(−dz, −dy)`` pointed up; weighted by that part's share.

    On our renders (0–60°) the lines read low (−3° level, −11° from 20–60°) and
    the segments high (+5° level, −4° from 20–60°); their weighted mean errs
    2.8° below 20° and 7.5° (reading low) above.
    """
    if world is None:
        return NO_SAMPLE
    if on_its_side(world):  # a side plank read as a camera 73–90° above
        return NO_SAMPLE
    pts = {i: world[i].tolist() for i in _ALL}
    lat_num = lat_den = 0.0
    side = [0.0, 0.0, 0.0]  # the body's left–right axis, pointing away from the camera
    for a, b in _LINES:
        dx, dy, dz = (pts[a][k] - pts[b][k] for k in range(3))
        n2 = dx * dx + dy * dy + dz * dz
        if not (n2 > 0 and math.isfinite(n2)):
            continue
        if dz < 0:
            dx, dy, dz = -dx, -dy, -dz
        w = (dy * dy + dz * dz) / n2  # the line's share out of the image's x
        if w < 0.15:  # within ~23° of facing the camera: the line's pitch is mostly tilt
            continue
        lat_num += w * math.degrees(math.atan2(-dy, dz))
        lat_den += w
        n = math.sqrt(n2)
        side = [side[0] + dx / n, side[1] + dy / n, side[2] + dz / n]
    if lat_den == 0:
        return NO_SAMPLE
    lat = _unit([side[0], side[1], side[2]])
    up = world_up(lat_num / lat_den)
    if lat is None:
        return NO_SAMPLE
    d = _dot(up, lat)
    fwd = _unit(_cross([up[i] - d * lat[i] for i in range(3)], lat))
    sag_num = sag_den = 0.0
    if fwd is not None:
        for top, bottom in _SAGITTAL:
            v = [_mean(pts, top, k) - _mean(pts, bottom, k) for k in range(3)]
            n2 = _dot(v, v)
            if not (n2 > 0 and math.isfinite(n2)):
                continue
            # Drop the segment's forward part (its lean); what is left lies in the
            # camera's y–z plane for a side view, tilted towards it by the elevation.
            lean = _dot(v, fwd)
            v = [v[i] - lean * fwd[i] for i in range(3)]
            if v[1] > 0:  # point it up (y grows down)
                v = [-c for c in v]
            w = _dot(v, v) / n2
            sag_num += w * math.degrees(math.atan2(-v[2], -v[1]))
            sag_den += w
    lat_w = lat_den / len(_LINES)
    sag_w = sag_den / len(_SAGITTAL)
    deg = (lat_num / len(_LINES) + sag_num / len(_SAGITTAL)) / (lat_w + sag_w)
    return ElevationSample(deg, lat_w)


def _dot(a: list[float], b: list[float]) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _cross(a: list[float], b: list[float]) -> list[float]:
    return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]


def _unit(v: list[float]) -> list[float] | None:
    n = math.sqrt(_dot(v, v))
    return [c / n for c in v] if n > 0 and math.isfinite(n) else None


@dataclass(frozen=True)
class ElevationConfig:
    tau_s: float = 3.0  # time for a full-weight reading to move the estimate by 1 − 1/e
    min_weight_s: float = 0.5  # seconds of full-weight readings before the estimate counts


@dataclass(frozen=True)
class ElevationEstimate:
    deg: float  # NaN until enough evidence
    spread_deg: float  # running standard deviation of the readings
    evidence_s: float  # accumulated full-weight seconds

    @property
    def correctable(self) -> bool:
        """True if sagittal angles may be corrected for this elevation and judged."""
        return (
            math.isfinite(self.deg)
            and abs(self.deg) <= MAX_CORRECTABLE_DEG
        )


class ElevationTracker:
    """Per-stream camera elevation: a time- and weight-aware running mean.

    ``update(sample, t)`` takes one frame's reading and the frame's time in
    seconds; a gap or a front view (weight 0) leaves the estimate as it was.
    """

    def __init__(self, config: ElevationConfig = ElevationConfig()) -> None:
        self.config = config
        self.reset()

    def reset(self) -> None:
        self._mean = float("nan")
        self._var = 0.0
        self._evidence = 0.0
        self._last_t: float | None = None

    @property
    def estimate(self) -> ElevationEstimate:
        c = self.config
        deg = self._mean if self._evidence >= c.min_weight_s else float("nan")
        return ElevationEstimate(deg, math.sqrt(self._var), self._evidence)

    def update(self, sample: ElevationSample, t: float) -> ElevationEstimate:
        dt = 1.0 / 30.0 if self._last_t is None else min(max(t - self._last_t, 0.0), 1.0)
        self._last_t = t
        w = sample.weight
        if not (w > 0 and math.isfinite(sample.deg)):
            return self.estimate
        c = self.config
        self._evidence += w * max(dt, 1e-3)
        if not math.isfinite(self._mean):
            self._mean = sample.deg
            return self.estimate
        # Early on the mean follows fast (a running average), later with time constant tau.
        alpha = min(w * max(dt, 1e-3) / min(self._evidence, c.tau_s), 1.0)
        d = sample.deg - self._mean
        self._mean += alpha * d
        self._var = (1.0 - alpha) * (self._var + alpha * d * d)
        return self.estimate


def sagittal_from_image(
    x: FloatArray,
    yaw_deg: float,
    elevation_deg: float,
    fwd: float,
    towards_camera: bool = True,
    center: tuple[float, float] | None = None,
) -> FloatArray:
    """Map image points (y down) to the body's sagittal plane, in image-like axes.

    Undoes the foreshortening of a turned body (forward extents shrink by
    sin yaw, 90 = side-on) and of a camera looking down by ``elevation_deg``
    (vertical extents shrink by cos e; in an oblique view the forward extent
    also shows up as vertical by ``sin e · cos yaw``), about ``center``
    (default: the mid-hip). Points keep pixel units and the person's facing
    direction ``fwd`` (+1 = image +x). Exact for an orthographic camera and
    lines in the sagittal plane; a NaN yaw or elevation is taken as none, a NaN
    centre gives all NaN.
    The yaw stretch is capped at 2.5× and the elevation at 60° so noise cannot
    blow angles up.
    """
    out = x.copy()
    if center is None:
        cx = (float(x[L.LEFT_HIP, 0]) + float(x[L.RIGHT_HIP, 0])) / 2
        cy = (float(x[L.LEFT_HIP, 1]) + float(x[L.RIGHT_HIP, 1])) / 2
    else:
        cx, cy = center
    if not (math.isfinite(cx) and math.isfinite(cy)):
        out[:] = float("nan")  # nothing to place the points about
        return out
    yaw = math.radians(yaw_deg) if math.isfinite(yaw_deg) else math.pi / 2
    e = math.radians(min(max(elevation_deg, -60.0), 60.0)) if math.isfinite(elevation_deg) else 0.0
    stretch = 1.0 / max(math.sin(yaw), 0.4)
    out[:, 0] = (x[:, 0] - cx) * stretch
    if e != 0.0:
        # Image up = u·cos e − (forward towards the camera)·cos yaw·sin e.
        leak = math.cos(yaw) * math.sin(e) * (1.0 if towards_camera else -1.0)
        forward = out[:, 0] * fwd
        out[:, 1] = cy + ((x[:, 1] - cy) - leak * forward) / math.cos(e)
    out[:, 0] += cx
    return out
