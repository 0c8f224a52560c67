"""Pure, vectorised geometry on landmark arrays.

Every function takes arrays shaped ``(..., 2)`` or ``(..., 3)`` and broadcasts;
NaN in gives NaN out, so a missing landmark never becomes a made-up angle.
Image coordinates are pixels with y pointing down.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
ArrayLike = npt.ArrayLike

UP = np.array([0.0, -1.0])  # image "up" (y grows downwards)


def angle_between(u: ArrayLike, v: ArrayLike) -> FloatArray:
    """Unsigned angle between vectors in degrees, ``atan2(|u×v|, u·v)``.

    atan2 stays accurate near 0° and 180°, where ``arccos`` of a dot product
    loses precision. A zero-length vector yields NaN rather than 0°.
    """
    u = np.asarray(u, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    if u.shape == v.shape == (2,):
        # One pair of 2-D vectors (the per-frame case): plain floats are ~20x
        # faster than numpy on arrays this small. NaN still propagates.
        ux, uy, vx, vy = float(u[0]), float(u[1]), float(v[0]), float(v[1])
        if (ux == 0.0 and uy == 0.0) or (vx == 0.0 and vy == 0.0):
            return np.float64(np.nan)  # type: ignore[return-value]
        return np.float64(  # type: ignore[return-value]
            math.degrees(math.atan2(abs(ux * vy - uy * vx), ux * vx + uy * vy))
        )
    if u.shape != v.shape:
        u, v = np.broadcast_arrays(u, v)
    # Written with plain ufuncs: this runs a dozen times per frame, where numpy's
    # norm/errstate overhead would cost more than the arithmetic.
    if u.shape[-1] == 2:
        cross = np.abs(u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0])
    elif u.shape[-1] == 3:
        c = np.cross(u, v)
        cross = np.sqrt(np.sum(c * c, axis=-1))
    else:
        raise ValueError(f"vectors must have 2 or 3 components, got {u.shape[-1]}")
    dot = np.sum(u * v, axis=-1)
    deg = np.degrees(np.arctan2(cross, dot))
    degenerate = (np.sum(u * u, axis=-1) == 0) | (np.sum(v * v, axis=-1) == 0)
    return np.where(degenerate, np.nan, deg)


def signed_angle_2d(u: ArrayLike, v: ArrayLike) -> FloatArray:
    """Signed angle from ``u`` to ``v`` in degrees, in (-180, 180]."""
    u = np.asarray(u, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    cross = u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]
    dot = u[..., 0] * v[..., 0] + u[..., 1] * v[..., 1]
    deg = np.degrees(np.arctan2(cross, dot))
    degenerate = (np.hypot(u[..., 0], u[..., 1]) == 0) | (np.hypot(v[..., 0], v[..., 1]) == 0)
    return np.where(degenerate, np.nan, deg)


def joint_angle(a: ArrayLike, b: ArrayLike, c: ArrayLike) -> FloatArray:
    """Interior angle at ``b`` of the chain a–b–c (180 = straight)."""
    a, b, c = (np.asarray(x, dtype=np.float64) for x in (a, b, c))
    return angle_between(a - b, c - b)


def inclination(lower: ArrayLike, upper: ArrayLike) -> FloatArray:
    """Angle of the segment lower→upper from image vertical (0 = upright), unsigned."""
    seg = (
        np.asarray(upper, dtype=np.float64)[..., :2] - np.asarray(lower, dtype=np.float64)[..., :2]
    )
    return angle_between(seg, UP if seg.shape == (2,) else np.broadcast_to(UP, seg.shape))


def signed_inclination(lower: ArrayLike, upper: ArrayLike, forward_sign: ArrayLike) -> FloatArray:
    """Inclination from vertical, positive when the upper end is ahead of the lower end.

    ``forward_sign`` is +1 when the person faces image +x and -1 when they face
    -x; the sign turns a mirror-dependent image angle into "forward" vs "back".
    """
    seg = (
        np.asarray(upper, dtype=np.float64)[..., :2] - np.asarray(lower, dtype=np.float64)[..., :2]
    )
    if seg.shape == (2,) and np.ndim(forward_sign) == 0:
        # One segment (the per-frame case): plain floats, as in angle_between.
        unsigned_f = float(angle_between(seg, UP))
        lean = float(seg[0]) * float(forward_sign)  # type: ignore[arg-type]
        return np.float64(-unsigned_f if lean < 0 else unsigned_f)  # type: ignore[return-value]
    unsigned = angle_between(seg, np.broadcast_to(UP, seg.shape))
    direction = np.sign(seg[..., 0] * np.asarray(forward_sign, dtype=np.float64))
    return unsigned * np.where(direction == 0, 1.0, direction)


def line_tilt(p_left: ArrayLike, p_right: ArrayLike) -> FloatArray:
    """Tilt of a left–right line from horizontal in degrees, in [-90, 90].

    Positive when the person's left point is higher in the image. Direction-free,
    so it reads the same whether the person faces the camera or turns away.
    """
    d = (
        np.asarray(p_left, dtype=np.float64)[..., :2]
        - np.asarray(p_right, dtype=np.float64)[..., :2]
    )
    dx = np.abs(d[..., 0])
    # y grows downwards: left higher means d_y < 0.
    deg = np.degrees(np.arctan2(-d[..., 1], dx))
    return np.where((dx == 0) & (d[..., 1] == 0), np.nan, deg)


def midpoint(a: ArrayLike, b: ArrayLike) -> FloatArray:
    return (np.asarray(a, dtype=np.float64) + np.asarray(b, dtype=np.float64)) / 2.0


def distance(a: ArrayLike, b: ArrayLike) -> FloatArray:
    """Euclidean distance along the last axis (inf − inf is NaN, silently)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape == b.shape and a.shape in ((2,), (3,)):
        # One pair of points (the per-frame case): Python floats skip numpy's
        # per-call overhead and never warn; NaN and inf behave as in the array path.
        sq = sum((p - q) * (p - q) for p, q in zip(a.tolist(), b.tolist(), strict=True))
        return np.float64(math.sqrt(sq))  # type: ignore[return-value]
    with np.errstate(invalid="ignore"):
        diff = a - b
    return np.asarray(np.sqrt(np.sum(diff * diff, axis=-1)))


def frontal_knee_projection(
    hip: ArrayLike, knee: ArrayLike, ankle: ArrayLike, medial_sign: ArrayLike
) -> FloatArray:
    """Frontal-plane projection angle (FPPA) deviation in degrees, + = valgus.

    180° minus the hip–knee–ankle angle, signed by whether the knee lies
    medial (towards the body midline, +) or lateral of the hip–ankle line.
    ``medial_sign`` is +1 if the midline is towards image +x from this leg.
    (Gwynne & Curran; Straub & Powers, IJSPT 2022: screening only.)
    """
    hip, knee, ankle = (np.asarray(x, dtype=np.float64)[..., :2] for x in (hip, knee, ankle))
    dev = 180.0 - joint_angle(hip, knee, ankle)
    line = ankle - hip
    rel = knee - hip
    cross = line[..., 0] * rel[..., 1] - line[..., 1] * rel[..., 0]
    # For a line pointing down the image (+y), a point at +x has cross < 0.
    side_x = -np.sign(cross) * np.sign(line[..., 1])
    sign = np.where(side_x == 0, 1.0, side_x * np.asarray(medial_sign, dtype=np.float64))
    return np.asarray(dev * sign)


def rotate_2d(points: ArrayLike, degrees: float, center: ArrayLike = (0.0, 0.0)) -> FloatArray:
    """Rotate points about ``center`` (for tests and for de-rotating frames)."""
    p = np.asarray(points, dtype=np.float64)
    c = np.asarray(center, dtype=np.float64)
    th = np.radians(degrees)
    rot = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    out = p.copy()
    out[..., :2] = (p[..., :2] - c) @ rot.T + c
    return out
