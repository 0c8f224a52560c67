"""Is there really a person? A gate between the pose model and everything else.

MediaPipe Pose happily returns a full skeleton on footage of a hand or a cup
(in one of our no-person clips on 59 % of frames). Those skeletons are
collapsed: limbs far too short for the torso, legs under 0.45 m in the model's
own metric estimate (or under 0.68 m together with short, barely visible
arms), and their shape jumps from frame to frame. The gate checks anatomical
proportions each frame and asks for a short run of consistent frames before
trusting a person. Only lower bounds are used: foreshortening can shorten any
segment of a real person, so upper bounds on ratios reject real people. The
bounds are loose anthropometric values (defaults to calibrate).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from posture.geometry import FloatArray
from posture.landmarks import FramePose
from posture.landmarks import PoseLandmark as L
from posture.view import image_trunk_lean_deg

# Segments whose 2-D lengths must stay consistent between consecutive frames.
_SEGMENTS = (
    (L.LEFT_SHOULDER, L.RIGHT_SHOULDER),
    (L.LEFT_HIP, L.RIGHT_HIP),
    (L.LEFT_SHOULDER, L.LEFT_HIP),
    (L.RIGHT_SHOULDER, L.RIGHT_HIP),
    (L.LEFT_SHOULDER, L.LEFT_ELBOW),
    (L.LEFT_ELBOW, L.LEFT_WRIST),
    (L.RIGHT_SHOULDER, L.RIGHT_ELBOW),
    (L.RIGHT_ELBOW, L.RIGHT_WRIST),
    (L.LEFT_HIP, L.LEFT_KNEE),
    (L.LEFT_KNEE, L.LEFT_ANKLE),
    (L.RIGHT_HIP, L.RIGHT_KNEE),
    (L.RIGHT_KNEE, L.RIGHT_ANKLE),
    (L.NOSE, L.LEFT_SHOULDER),
    (L.NOSE, L.RIGHT_SHOULDER),
)
_SEG_A = np.array([a for a, _ in _SEGMENTS])
_SEG_B = np.array([b for _, b in _SEGMENTS])
_CORE = (L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP)
_ARMS = (L.LEFT_ELBOW, L.RIGHT_ELBOW, L.LEFT_WRIST, L.RIGHT_WRIST)


@dataclass(frozen=True)
class GateConfig:
    """Bounds of a plausible human body (defaults to calibrate; see module doc)."""

    min_core_visibility: float = 0.5  # shoulders and hips
    min_limb_to_torso: float = 1.0  # longest arm or leg (2 segments) vs torso
    min_world_leg_m: float = 0.45  # hip→knee→ankle in MediaPipe's metres: always implausible
    # Short legs (e.g. hidden under a desk) are fine if the arms are a real person's
    # arms; a hand's skeleton has short legs *and* short, barely visible arms.
    weak_world_leg_m: float = 0.68
    weak_world_arm_m: float = 0.45  # shoulder→elbow→wrist
    weak_arm_visibility: float = 0.6
    max_shape_change: float = 0.2  # median relative segment-length change per frame
    # ... at this frame rate or faster. A real body's shape changes with time, so frames
    # further apart may change more: measured on a stooped lift (fake camera), the 99th
    # percentile change was 0.06 at 15 frames/s, 0.20 at 7.5 and 0.36 at 5, which lost
    # the person mid-lift on a slow machine. The allowance grows with the time between
    # frames, up to max_shape_scale times. Defaults to calibrate.
    shape_change_fps: float = 15.0
    max_shape_scale: float = 3.0
    frames_to_confirm: int = 2  # consistent plausible frames before trusting
    max_gap_s: float = 0.5  # after a longer gap the person must be confirmed anew
    # Primary-person lock: MediaPipe follows one person and may hop to a bystander
    # when it loses track. A torso that appears farther from the locked one than a
    # person can move is someone else until the primary has been gone release_s.
    max_jump_torso: float = 0.75  # torso lengths, plus the allowance below
    max_speed_torso_per_s: float = 4.0
    release_s: float = 2.0


@dataclass(frozen=True)
class GateResult:
    detected: bool
    plausible: bool  # this frame's skeleton, on its own, looks human
    reason: str  # "" when detected; otherwise why not (for debugging and tests)


# _SEGMENTS[4:12] are the limbs in chain order (upper, lower) per limb, so one
# vectorised norm per frame serves the proportions and the consistency check.
_LIMB_SLICE = slice(4, 12)
assert _SEGMENTS[_LIMB_SLICE] == (
    (L.LEFT_SHOULDER, L.LEFT_ELBOW), (L.LEFT_ELBOW, L.LEFT_WRIST),
    (L.RIGHT_SHOULDER, L.RIGHT_ELBOW), (L.RIGHT_ELBOW, L.RIGHT_WRIST),
    (L.LEFT_HIP, L.LEFT_KNEE), (L.LEFT_KNEE, L.LEFT_ANKLE),
    (L.RIGHT_HIP, L.RIGHT_KNEE), (L.RIGHT_KNEE, L.RIGHT_ANKLE),
)  # fmt: skip
_CORE_IDX = np.array(_CORE)
_ARMS_IDX = np.array(_ARMS)


def _lengths(points: FloatArray) -> FloatArray:
    """Lengths of every _SEGMENTS pair (NaN where a point is NaN; callers silence inf − inf)."""
    d = points[_SEG_A] - points[_SEG_B]
    return np.asarray(np.sqrt(np.sum(d * d, axis=1)))


def _two_segment_chains(lengths: FloatArray) -> tuple[float, float]:
    """(longest arm, longest leg): shoulder→elbow→wrist and hip→knee→ankle, either side."""
    limb = lengths[_LIMB_SLICE].tolist()
    arms = (limb[0] + limb[1], limb[2] + limb[3])
    legs = (limb[4] + limb[5], limb[6] + limb[7])
    # NaN-propagating max, as np.max: a missing point makes the chain unknown.
    return _nanmax(arms), _nanmax(legs)


def _nanmax(pair: tuple[float, float]) -> float:
    a, b = pair
    return a if (a != a or a >= b) else b  # a != a: NaN


def _torso(x: FloatArray) -> tuple[float, float, float]:
    """Mid-shoulder→mid-hip length and the trunk centre (x, y), in plain floats."""
    ls, rs = x[L.LEFT_SHOULDER].tolist(), x[L.RIGHT_SHOULDER].tolist()
    lh, rh = x[L.LEFT_HIP].tolist(), x[L.RIGHT_HIP].tolist()
    sx, sy = (ls[0] + rs[0]) / 2, (ls[1] + rs[1]) / 2
    hx, hy = (lh[0] + rh[0]) / 2, (lh[1] + rh[1]) / 2
    # hypot, not ** 2: a huge coordinate (1e308) gives inf instead of raising OverflowError.
    return math.hypot(sx - hx, sy - hy), (sx + hx) / 2, (sy + hy) / 2


# No activity we judge (sitting, standing, lifting, the floor exercises) puts the shoulders
# straight below the hips: a stoop's bottom or a floor posture reads 90–130° from upright.
# A trunk pointing this far down the picture, and seen at length (at least this share of
# the longest leg in the picture; a standing body shows ~0.6), is a skeleton fitted upside
# down — seen through a cross-fade between two camera angles (trunk 172–175°, 0.67–0.99 of
# the leg) and on close-ups of the legs alone. A toe touch filmed from the front also points
# the trunk down the picture, but foreshortened (≤ 0.4 of the leg at 130°). Defaults to
# calibrate.
UPSIDE_DOWN_DEG = 150.0
UPSIDE_DOWN_MIN_TRUNK_TO_LEG = 0.45


def upside_down(pose: FramePose) -> bool:
    """Is this skeleton fitted upside down? Its angles then describe no real posture."""
    if not image_trunk_lean_deg(pose) > UPSIDE_DOWN_DEG:
        return False
    with np.errstate(invalid="ignore", over="ignore"):
        x = pose.image[:, :2]
        leg = _two_segment_chains(_lengths(x))[1]
        return _torso(x)[0] >= UPSIDE_DOWN_MIN_TRUNK_TO_LEG * leg


def _torso3(w: FloatArray) -> float:
    """Mid-shoulder→mid-hip length in 3-D (world landmarks)."""
    d = (w[L.LEFT_SHOULDER] + w[L.RIGHT_SHOULDER] - w[L.LEFT_HIP] - w[L.RIGHT_HIP])[:3] / 2
    return math.hypot(*d.tolist())


def implausibility(pose: FramePose, config: GateConfig = GateConfig(),
                   lengths: FloatArray | None = None) -> str:
    """Why this skeleton is not a human body ("" when it is plausible).

    ``lengths`` are the pose's 2-D ``segment_lengths`` if the caller has them.
    """
    with np.errstate(invalid="ignore", over="ignore"):
        x = pose.image[:, :2]
        v = pose.visibility
        if float(np.mean(v[_CORE_IDX])) < config.min_core_visibility:
            return "shoulders and hips not visible"
        torso = _torso(x)[0]
        if not math.isfinite(torso) or torso < 1.0:
            return "no torso"
        seg = _lengths(x) if lengths is None else lengths
        short_2d = max(_two_segment_chains(seg)) < config.min_limb_to_torso * torso
        if pose.world is None:
            return "limbs too short for the torso" if short_2d else ""
        arm, leg = _two_segment_chains(_lengths(pose.world))
        if leg < config.min_world_leg_m:
            return "legs too short in the metric estimate"
        if (
            leg < config.weak_world_leg_m
            and arm < config.weak_world_arm_m
            and float(np.mean(v[_ARMS_IDX])) < config.weak_arm_visibility
        ):
            return "limbs too short in the metric estimate"
        # Short 2-D limbs may be foreshortening: a camera looking down on a crouched
        # person (legs towards the lens), or a deep squat seen from the front. The 3-D
        # estimate, which no view foreshortens, then decides: a real person's legs
        # there are long (≥ weak_world_leg_m) and longer than the torso.
        if short_2d and not (
            leg >= config.weak_world_leg_m
            and max(arm, leg) >= config.min_limb_to_torso * _torso3(pose.world)
        ):
            return "limbs too short for the torso"
    return ""


# Proportions a tracked person can show for a moment (a deep squat seen from the
# front foreshortens the legs; folded arms shorten them): tolerated while a
# confirmed person is followed smoothly, never enough to confirm a new one.
SOFT_REASONS = frozenset(
    {"limbs too short for the torso", "limbs too short in the metric estimate"}
)


def segment_lengths(pose: FramePose) -> FloatArray:
    with np.errstate(invalid="ignore", over="ignore"):
        return _lengths(pose.image[:, :2])


def _shape_change(lengths: FloatArray, previous: FloatArray) -> float:
    """Median relative change of the finite segment lengths (inf when none compare).

    Plain floats: on 14 numbers ``np.median`` costs more than the sort.
    """
    ratios = sorted(
        abs(a / b - 1.0)
        for a, b in zip(lengths.tolist(), previous.tolist(), strict=True)
        if b != 0.0 and math.isfinite(a) and math.isfinite(b)
    )
    n = len(ratios)
    if n == 0:
        return math.inf
    return ratios[n // 2] if n % 2 else (ratios[n // 2 - 1] + ratios[n // 2]) / 2


class PersonGate:
    """Stateful gate: a person is detected after a short run of plausible, consistent frames."""

    def __init__(self, config: GateConfig = GateConfig()) -> None:
        self.config = config
        self._evidence = 0
        self._prev_lengths: FloatArray | None = None
        self._prev_t = -np.inf
        self._lock: tuple[tuple[float, float], float, float] | None = None  # centre, torso, t

    def reset(self) -> None:
        self._evidence = 0
        self._prev_lengths = None
        self._prev_t = -np.inf
        self._lock = None

    def _is_someone_else(self, pose: FramePose, t: float) -> bool:
        """True if this torso cannot be the locked person's (too far, too soon)."""
        torso, cx, cy = _torso(pose.image)
        if self._lock is not None:
            (x0, y0), l0, t0 = self._lock
            dt = t - t0
            reach = l0 * (self.config.max_jump_torso + self.config.max_speed_torso_per_s * dt)
            if dt < self.config.release_s and math.hypot(cx - x0, cy - y0) > reach:
                return True
        self._lock = ((cx, cy), torso, t)
        return False

    def update(self, pose: FramePose | None, t: float) -> GateResult:
        cfg = self.config
        if pose is None:
            self._evidence = max(self._evidence - 1, 0)
            self._prev_lengths = None
            return GateResult(False, False, "no pose found")
        prev_t = self._prev_t
        if t - prev_t > cfg.max_gap_s:
            self._evidence = 0
            self._prev_lengths = None
        self._prev_t = t
        lengths = segment_lengths(pose)
        reason = implausibility(pose, cfg, lengths)
        consistent = False
        if self._prev_lengths is not None:
            scale = min(max((t - prev_t) * cfg.shape_change_fps, 1.0), cfg.max_shape_scale)
            consistent = (_shape_change(lengths, self._prev_lengths)
                          < cfg.max_shape_change * scale)
        self._prev_lengths = lengths
        tracking = self._evidence >= cfg.frames_to_confirm > 0
        if reason in SOFT_REASONS and tracking and consistent:
            reason = ""
        if not reason and self._is_someone_else(pose, t):
            reason = "another person"
        cap = cfg.frames_to_confirm + 4
        if reason:
            self._evidence = max(self._evidence - 3, -cap)
            return GateResult(False, False, reason)
        if consistent:
            self._evidence = min(self._evidence + 1, cap)
        else:
            self._evidence = min(self._evidence, cfg.frames_to_confirm - 1)
        if self._evidence >= cfg.frames_to_confirm or cfg.frames_to_confirm == 0:
            return GateResult(True, True, "")
        return GateResult(False, True, "confirming person")
