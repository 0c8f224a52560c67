"""Is the picture good enough to judge? Dim or noisy light → a warning, not verdicts.

In a dim room a webcam either shows a dark picture or raises its gain and
shows a grainy one; past a point the pose model then loses the person or
guesses. A verdict on such landmarks would be noise presented as advice, so
this stage flags the picture and the assessor turns the frame's verdicts into
"n/a" with one framing cue ("turn on a light").

The warning needs both halves at once:

* the picture is poor — mean luma far below a normal exposure, or strong
  sensor noise — and
* the landmarks are unreliable — MediaPipe's visibility of the core landmarks
  (shoulders, hips: the ones every rule and the person gate rely on) is low or
  there is no pose at all.

A dark but clean gym video on which MediaPipe stays confident keeps its
verdicts; a well lit scene the model cannot read is a framing matter for the
other cues ("step into view"). What we measured on the sample clips (MediaPipe
0.10.21, full model): the model keeps confident poses down to a mean luma of
~17 without noise and with luma noise σ≈26 at normal exposure, and loses the
person entirely when darkness and noise come together (luma 35 + σ 15, luma
17 + σ 6); its visibility scores stay high until then. So the failure shows
as missing or low-visibility poses, not as jittering ones, and landmark jitter
is not used.

A person too far away (``far_size``: spanning under a fifth of the picture) is
the third case: there the landmarks are too coarse whatever the light, so it needs
no second half — the frames are not judged and the cue asks to come closer.

Cost: the picture is sampled only every ``sample_every_s`` of stream time (time
is passed in), on a few full-resolution row strips — ~0.1 ms per sample on a
640×480 frame, a few µs a frame on average. A heavily downscaled picture
(INTER_AREA to 80×60) would be cheaper to hold but averages the noise away
(σ/8), so it cannot tell a grainy picture from a clean one; systematic rows
give the mean luma as well as the downscale does (within ~1 level on the
sample clips).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from posture.landmarks import FramePose
from posture.landmarks import PoseLandmark as L

Problem = Literal["dark", "noisy", "far"]

#: Standard deviation of the Immerkær mask's response to unit white noise:
#: the mask's coefficients (1 −2 1 / −2 4 −2 / 1 −2 1) have a sum of squares of 36.
_MASK_GAIN = 6.0
#: median(|x|) of a zero-mean Gaussian is 0.6745 σ.
_MAD_TO_SIGMA = 0.6745
_SHOULDERS = (int(L.LEFT_SHOULDER), int(L.RIGHT_SHOULDER))
_HIPS = (int(L.LEFT_HIP), int(L.RIGHT_HIP))


@dataclass(frozen=True)
class QualityConfig:
    """Thresholds of a poor picture. Defaults to calibrate: there is no clinical source.

    Luma is BT.601 luma of 8-bit RGB (0–255); noise is the luma noise's standard
    deviation in the same units. Each threshold has an enter and a looser clear
    value (hysteresis), and the verdict must hold ``enter_s`` / ``clear_s``
    (persistence), as the criteria's feedback design asks for every alert
    (clinical-criteria.md §7: persistence with hysteresis, 0.5–2 s for exercise).
    """

    sample_every_s: float = 0.25  # picture statistics at most this often (stream time)
    strips: int = 16  # rows of 3 full-resolution lines sampled, evenly spaced
    # Dark: mean luma ~3 stops below a mid-grey exposure (18 % grey ≈ 118 in sRGB;
    # 18 %/8 ≈ 41). Clear at ~2.5 stops below (≈ 50).
    dark_luma: float = 41.0
    dark_luma_clear: float = 50.0
    # Noisy: luma σ of 8 levels is plainly visible grain; clean and compressed
    # sample clips read 0–1. Noise alone rarely defeats the model (σ≈26 did not),
    # which is why it only counts together with unreliable landmarks.
    noise_sigma: float = 8.0
    noise_sigma_clear: float = 6.0
    # Landmarks: mean over shoulders and hips of the better-seen side's visibility
    # (0 without a pose), smoothed over ``confidence_tau_s`` so a pose found on one
    # frame in ten does not reset the timers. The gate asks 0.5 of the same core.
    min_confidence: float = 0.5
    confidence_clear: float = 0.65
    confidence_tau_s: float = 0.5
    enter_s: float = 1.0  # poor for this long before the warning (0 for a photo)
    clear_s: float = 1.0  # good for this long before it clears
    dark_cue: str = "The picture is too dark — turn on a light or face a window"
    noisy_cue: str = "The picture is too grainy — add light so the camera sees you clearly"
    # Far: the person spans less than this share of the picture (the larger of the
    # height and width shares of the box round the visible landmarks), smoothed like
    # the confidence. The set-up asks for 2–3 m, where a standing adult fills about
    # half of a webcam's picture height; below a fifth (≈ 7 m and more) the pose
    # model's crop holds too few pixels per joint for angles worth a verdict. Seen on
    # the labelled clips: every analysable subject spans 0.22 or more (median), the
    # far pedestrians of OpenCV's vtest 0.15. Defaults to calibrate.
    far_size: float = 0.2
    far_size_clear: float = 0.25
    far_cue: str = ("You are too far from the camera to be measured — come closer "
                    "(about 2–3 m away)")


@dataclass(frozen=True)
class QualityState:
    """One frame's picture verdict; ``ok`` False means: do not judge this frame."""

    ok: bool
    problem: Problem | None  # why not ok; None when ok
    cue: str | None  # what to tell the user; None when ok
    luma: float  # mean luma 0–255 of the last picture sample (NaN before the first)
    noise: float  # luma noise σ of the last picture sample (NaN before the first)
    landmark_confidence: float  # smoothed core-landmark visibility, 0–1
    size: float = math.nan  # smoothed share of the picture the person spans (NaN: unseen)


QUALITY_OK = QualityState(True, None, None, math.nan, math.nan, math.nan)


def picture_stats(image_rgb: np.ndarray, strips: int = 16) -> tuple[float, float]:
    """(mean luma, luma noise σ) of an RGB (or grey) 8-bit picture, from row strips.

    Noise: Immerkær's fast noise variance estimator (J. Immerkær, "Fast Noise
    Variance Estimation", CVIU 64(2):300–302, 1996) — the 3×3 mask that is the
    difference of two Laplacians, which cancels image structure up to second
    order — with the mean of |response| replaced by its median, the robust MAD
    scale of Donoho & Johnstone (1994), so the edges and texture that survive
    the mask do not count as noise: σ = median|I∗N| / (6 · 0.6745). The mask is
    separable, (1 −2 1)ᵀ(1 −2 1), so it is applied to strips of three
    consecutive full-resolution rows.
    """
    h, w = image_rgb.shape[:2]
    if h < 3 or w < 3:
        return math.nan, math.nan
    n = max(1, min(strips, h // 3))
    starts = np.linspace(0, h - 3, n).astype(np.intp)
    rows = image_rgb[(starts[:, None] + np.arange(3)).ravel()]
    if rows.ndim == 3:
        grey = cv2.cvtColor(np.ascontiguousarray(rows), cv2.COLOR_RGB2GRAY)
    else:
        grey = rows
    g = grey.astype(np.float32).reshape(n, 3, w)
    v = g[:, 0] - 2.0 * g[:, 1] + g[:, 2]
    response = np.abs(v[:, :-2] - 2.0 * v[:, 1:-1] + v[:, 2:])
    noise = float(np.median(response)) / (_MASK_GAIN * _MAD_TO_SIGMA)
    return float(g.mean()), noise


def person_size(pose: FramePose | None, min_visibility: float = 0.5) -> float:
    """Share of the picture the visible landmarks span: the larger of the box's height
    and width shares (a person lying down spans the width). NaN without a pose."""
    if pose is None or not (pose.width > 0 and pose.height > 0):
        return math.nan
    seen = pose.visibility >= min_visibility
    if int(seen.sum()) < 4:
        return math.nan
    x, y = pose.image[seen, 0], pose.image[seen, 1]
    with np.errstate(invalid="ignore"):
        share = max(float(np.nanmax(y) - np.nanmin(y)) / pose.height,
                    float(np.nanmax(x) - np.nanmin(x)) / pose.width)
    return share if math.isfinite(share) else math.nan


def landmark_confidence(pose: FramePose | None) -> float:
    """Visibility of the core landmarks on their better-seen side (0 without a pose)."""
    if pose is None:
        return 0.0
    v = pose.visibility
    s = max(v[_SHOULDERS[0]], v[_SHOULDERS[1]])
    h = max(v[_HIPS[0]], v[_HIPS[1]])
    return float(s + h) / 2.0


class QualityMonitor:
    """Per-stream picture check; ``update(image, pose, t)`` once per frame, time passed in."""

    def __init__(self, config: QualityConfig = QualityConfig()) -> None:
        self.config = config
        self.reset()

    def reset(self) -> None:
        self._last_t: float | None = None
        self._sampled_t = -math.inf
        self._luma = math.nan
        self._noise = math.nan
        self._confidence = math.nan
        self._size = math.nan
        self._bad = False
        self._problem: Problem | None = None
        self._pending_since: float | None = None  # when the opposite verdict began

    def _picture_problem(self) -> Problem | None:
        c = self.config
        dark = c.dark_luma_clear if self._bad else c.dark_luma
        noisy = c.noise_sigma_clear if self._bad else c.noise_sigma
        if self._luma < dark:  # NaN (never sampled) compares False: not a problem
            return "dark"
        if self._noise > noisy:
            return "noisy"
        return None

    def update(self, image_rgb: np.ndarray | None, pose: FramePose | None,
               t: float) -> QualityState:
        """``image_rgb`` None (replays without pictures) keeps the last picture sample."""
        c = self.config
        if self._last_t is not None and t < self._last_t:
            self.reset()  # time went backwards: a new stream
        if image_rgb is not None and t - self._sampled_t >= c.sample_every_s:
            self._luma, self._noise = picture_stats(image_rgb, c.strips)
            self._sampled_t = t
        conf = landmark_confidence(pose)
        size = person_size(pose)
        if self._last_t is None or math.isnan(self._confidence):
            self._confidence = conf
            alpha = 1.0
        else:
            dt = t - self._last_t
            alpha = 1.0 - math.exp(-dt / c.confidence_tau_s) if c.confidence_tau_s > 0 else 1.0
            self._confidence += alpha * (conf - self._confidence)
        if not math.isnan(size):  # nobody seen: the size stands
            self._size = size if math.isnan(self._size) else self._size + alpha * (
                size - self._size)
        self._last_t = t

        problem = self._picture_problem()
        unreliable = self._confidence < (c.confidence_clear if self._bad else c.min_confidence)
        far = self._size < (c.far_size_clear if self._bad and self._problem == "far"
                            else c.far_size)  # NaN compares False
        picture_bad = problem is not None and unreliable
        bad_now = picture_bad or far
        if bad_now:
            # While clearing, keep naming the last cause.
            self._problem = problem if picture_bad else "far"
        if bad_now == self._bad:
            self._pending_since = None
        else:
            if self._pending_since is None:
                self._pending_since = t
            if t - self._pending_since >= (c.clear_s if self._bad else c.enter_s):
                self._bad = bad_now
                self._pending_since = None
        if not self._bad:
            return QualityState(True, None, None, self._luma, self._noise, self._confidence,
                                self._size)
        cause = self._problem or "dark"  # set on entering: bad_now held then
        cue = {"dark": c.dark_cue, "noisy": c.noisy_cue, "far": c.far_cue}[cause]
        return QualityState(False, cause, cue, self._luma, self._noise, self._confidence,
                            self._size)
