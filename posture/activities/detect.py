"""``--activity auto``: sitting, standing or lifting — or none of them — from the landmarks.

Posture. Side and oblique views show it directly: thighs about level with bent
knees and hips is sitting, straight knees and hips with vertical thighs is
standing. Front views cannot show thigh inclination; there MediaPipe's 3-D hip
and knee angles (any view) tell a clearly bent sitter from a clearly straight
stander, with wider margins. A new posture must persist before it replaces the
old one (hysteresis in time). The first decision also waits (``first_dwell_s``)
unless the very first reading is sitting (a photo, a clip that starts seated): a
short clip that begins with a moment of standing, or whose squat bottom looks
seated, must not be "standing" or "sitting" before its lift shows.

Lifting. Two mechanisms, either is enough:

* the rep counter completed a rep (``deep_bend``): a full bend and return;
* a *dip* of the detector's own bend depth (``posture.activities.reps.DepthSignal``,
  the rep counter's signal: hip flexion above the person's standing baseline in
  side views, the 2-D body-length shrink in front/oblique ones, there corroborated
  by MediaPipe's 3-D hip and knee flexion): from upright, down at least as deep as
  a counted rep (or twice within ``shallow_repeat_s`` to ``shallow_dip_depth``, a
  shallow squat), and at least half way back up, within ``dip_max_s``. That catches
  squats in short clips that end before the rep counter's finish line, and reps
  whose end the counter did not see; and, like the rep counter's rep that began
  before its stream, a stream that starts bent (not seated) and comes half way up.
  Sitting down never comes back up; a dip that
  starts seated (leaning forward in the chair) or that held a seated posture for
  ``dwell_s`` (sitting down and getting up again) is not a lift.

A squat's bottom is far too brief to pass for sitting (``dwell_s``).

Not upright (``OTHER``). Lying down or on all fours — the trunk near horizontal
(``flat_trunk_min_deg``) with the thighs or shins far from vertical too (so the
hips are not above the knees by standing height; a stoop has the trunk level but
the legs vertical) — held for ``other_dwell_s`` is none of sitting, standing or
lifting: no verdict of theirs applies. While not upright, a bend and return (a
heel slide on a treatment table) is not a lift. ``ActivityDetector(report_other=
True)`` reports it as ``OTHER``; by default (``report_other=False``, for an
assessor that knows only the three activities) it reports no new decision then,
and never lifting from such a bend.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from posture.activities.reps import Depth, DepthSignal
from posture.metrics import FrameMetrics

OTHER = "other"  # not sitting, standing or lifting: no verdict of theirs applies
POSTURE_VIEWS = frozenset({"side_left", "side_right", "oblique"})


@dataclass(frozen=True)
class DetectConfig:
    sit_thigh_min_deg: float = 55.0  # thigh inclination from vertical (90 = level)
    sit_knee_max_deg: float = 135.0
    sit_hip_max_deg: float = 135.0
    stand_thigh_max_deg: float = 35.0
    stand_knee_min_deg: float = 145.0
    stand_hip_min_deg: float = 140.0
    # Front views: MediaPipe's 3-D hip/knee angles (noisier: wider margins).
    front_sit_max_deg: float = 120.0
    front_stand_hip_min_deg: float = 150.0
    front_stand_knee_min_deg: float = 140.0
    dwell_s: float = 2.0  # a new posture activity must hold this long
    first_dwell_s: float = 1.0  # … and the first decision this long (unless the very
    # first reading is sitting: a photo of a sitter, a clip that starts seated)
    lifting_hold_s: float = 8.0  # lifting stays until this long after the last bend
    # Dips of the bend depth (posture.activities.reps.DepthSignal units: 1 ≈ deep squat).
    dip_upright: float = 0.25  # at most this deep counts as upright (where a dip starts)
    dip_min_depth: float = 0.5  # the rep counter's minimum rep depth (≈45° hip flexion)
    dip_return: float = 0.5  # back up to at most this share of the deepest point
    dip_min_rise: float = 0.25  # … and at least this much depth regained
    dip_max_s: float = 8.0  # from leaving upright to half way back up
    shallow_dip_depth: float = 0.4  # shallower dips count when repeated (a shallow squat;
    # walking reaches ~0.3 on the synthetic walk-outs)
    shallow_repeat_s: float = 12.0  # … twice within this long
    # Front/oblique depth is the 2-D body-length shrink, which a change of estimator
    # (legs leaving the frame) or stepping back can fake: a dip there also needs this
    # much 3-D hip flexion (MediaPipe world landmarks) …
    dip_min_hip3d_flex_deg: float = 30.0
    dip_min_knee3d_flex_deg: float = 50.0  # … with this much knee flexion (or twice the hip)
    dip_bent3d_share: float = 0.3  # … on this share of the dip's frames (a single 3-D
    # reading is easily wrong, e.g. while the knees come into the frame)
    start_s: float = 0.5  # how a stream began (bent in a side view or in 3-D): its first
    # this long
    # Not upright: lying down, on all fours.
    flat_trunk_min_deg: float = 65.0  # hip→shoulder from vertical (90 = horizontal)
    flat_leg_min_deg: float = 60.0  # thigh or shin from vertical
    flat_front_tilt_min_deg: float = 60.0  # front views: mid-hip→mid-shoulder vs vertical
    other_dwell_s: float = 2.0  # not upright this long: not sitting, standing or lifting
    flat_gap_s: float = 0.5  # a run of not-upright frames survives gaps this short


class ActivityDetector:
    """``update(m, bending, t)`` → "sitting" | "standing" | "lifting" (| ``OTHER``), None
    until known."""

    def __init__(self, config: DetectConfig = DetectConfig(), report_other: bool = False) -> None:
        self.config = config
        self.report_other = report_other
        self.activity: str | None = None
        self._candidate: str | None = None
        self._since = 0.0
        self._first_t: float | None = None  # the first frame with a reading
        self._last_bend: float | None = None
        self._depth = DepthSignal()
        # Not upright: the current run of flat frames.
        self._flat_since: float | None = None
        self._flat_last = -math.inf
        self.not_upright = False  # held long enough (whatever report_other says)
        # Dips.
        self._upright_t: float | None = None  # last frame at most dip_upright deep
        self._upright_posture: str | None = None  # the posture seen at that time
        self._posture: str | None = None  # last posture seen (any frame)
        self._peak = -math.inf
        self._sit_since: float | None = None  # seated run inside the current dip
        self._sat = False  # the current dip held a seated posture for dwell_s
        self._dip_n = 0  # frames of the current dip
        self._bent3d_n = 0  # … with hips and knees bent in 3-D
        self._side_depth = False  # the dip's depth came from a side view (hip flexion)
        self._shallow_t: float | None = None  # the last shallow dip
        self._stream_t0 = math.nan  # the depth signal's stream (restarts after a gap)
        self._early_done = False  # the stream's bent start was already taken as a lift
        self._start_n = self._start_bent = 0  # frames at the stream's start, and bent ones

    # ----------------------------------------------------------------- posture
    def _angles(self, m: FrameMetrics) -> tuple[float, float, float] | None:
        if m.view.view in POSTURE_VIEWS:
            v = (m.get("thigh_inclination_deg"), m.get("knee_angle_deg"), m.get("hip_angle_deg"))
            return None if any(math.isnan(x) for x in v) else v
        return None

    def posture_of(self, m: FrameMetrics) -> str | None:
        """"sitting" | "standing" from this frame alone (None: neither, or not visible)."""
        c = self.config
        if not m.detected:
            return None
        a = self._angles(m)
        if a is not None:
            thigh, knee, hip = a
            if thigh >= c.sit_thigh_min_deg and knee <= c.sit_knee_max_deg \
                    and hip <= c.sit_hip_max_deg:
                return "sitting"
            if thigh <= c.stand_thigh_max_deg and knee >= c.stand_knee_min_deg \
                    and hip >= c.stand_hip_min_deg:
                return "standing"
            return None
        if m.view.view == "front":
            hip, knee = m.get("hip_angle_3d_deg"), m.get("knee_angle_3d_deg")
            if math.isnan(hip) or math.isnan(knee):
                return None
            if hip <= c.front_sit_max_deg and knee <= c.front_sit_max_deg:
                return "sitting"
            if hip >= c.front_stand_hip_min_deg and knee >= c.front_stand_knee_min_deg:
                return "standing"
        return None

    def is_flat(self, m: FrameMetrics) -> bool:
        """Lying down or on all fours in this frame: trunk and legs far from vertical."""
        c = self.config
        if not m.detected:
            return False
        if m.view.view in POSTURE_VIEWS:
            trunk = m.get("trunk_inclination_deg")
            thigh, shin = m.get("thigh_inclination_deg"), abs(m.get("shin_lean_deg"))
            return trunk >= c.flat_trunk_min_deg and (
                thigh >= c.flat_leg_min_deg or shin >= c.flat_leg_min_deg)
        if m.view.view == "front":
            return abs(m.get("trunk_lateral_tilt_deg")) >= c.flat_front_tilt_min_deg
        return False

    def _update_flat(self, m: FrameMetrics, t: float) -> None:
        c = self.config
        if self.is_flat(m):
            if self._flat_since is None or t - self._flat_last > c.flat_gap_s:
                self._flat_since = t
            self._flat_last = t
            if t - self._flat_since >= c.other_dwell_s:
                self.not_upright = True
        elif m.detected and t - self._flat_last > c.flat_gap_s:
            upright = self.posture_of(m) is not None or self._upright_now(m)
            if upright:  # clearly up again (a posture or a depth reading near upright)
                self._flat_since = None
                self.not_upright = False

    def _upright_now(self, m: FrameMetrics) -> bool:
        trunk = m.get("trunk_inclination_deg")
        return not math.isnan(trunk) and trunk < self.config.flat_trunk_min_deg - 20.0

    # ----------------------------------------------------------------- dips
    def _bent_3d(self, m: FrameMetrics) -> bool:
        """MediaPipe's 3-D hips and knees both flexed (a squat), or the hips far (a stoop)."""
        c = self.config
        hip_flex = 180.0 - m.get("hip_angle_3d_deg")
        knee_flex = 180.0 - m.get("knee_angle_3d_deg")
        return hip_flex >= c.dip_min_hip3d_flex_deg and (
            knee_flex >= c.dip_min_knee3d_flex_deg or hip_flex >= 2.0 * c.dip_min_hip3d_flex_deg)

    def _dip(self, m: FrameMetrics, t: float, posture: str | None) -> bool:
        """A bend from upright, at least rep-deep, and at least half way back up."""
        c = self.config
        d = self._depth.update(m)
        if math.isnan(d):
            return False
        if isinstance(d, Depth) and d.stream_t0 != self._stream_t0:
            self._stream_t0, self._early_done = d.stream_t0, False
            self._start_n = self._start_bent = 0
        if t - self._stream_t0 <= c.start_s:
            # How the stream began: bent in a side view, or bent in 3-D (front/oblique
            # depth is a 2-D shrink, which a change of estimator can fake).
            self._start_n += 1
            if m.view.view in ("side_left", "side_right") or self._bent_3d(m):
                self._start_bent += 1
        if (isinstance(d, Depth) and not self._early_done and d.sure and not d.seated
                and 2 * self._start_bent >= self._start_n
                and d.first >= c.dip_upright and d.early >= c.dip_min_depth
                and d <= d.early * c.dip_return
                and d.early - d >= c.dip_min_rise and t - d.stream_t0 <= c.dip_max_s):
            # The stream began bent (a cut that starts in a squat, a lift from the floor)
            # and the person has come half way up: the rise of a lift, as the rep
            # counter's rep that began before its stream. A seated start is not one.
            self._early_done = True
            return True
        if self._upright_t is not None and d > self._peak:
            self._side_depth = m.view.view in ("side_left", "side_right")
            self._peak = d
        if self._upright_t is not None and d > c.dip_upright:
            self._dip_n += 1
            if self._bent_3d(m):
                self._bent3d_n += 1
        if self._upright_t is not None and posture == "sitting":
            if self._sit_since is None:
                self._sit_since = t
            if t - self._sit_since >= c.dwell_s:
                self._sat = True
        elif posture is not None:
            self._sit_since = None
        done = None
        if (self._upright_t is not None and self._peak >= c.shallow_dip_depth
                and d <= self._peak * c.dip_return and self._peak - d >= c.dip_min_rise):
            ok = (t - self._upright_t <= c.dip_max_s and not self._sat
                  and self._upright_posture != "sitting"
                  and (self._side_depth or self._bent3d_n >= max(
                      2.0, c.dip_bent3d_share * self._dip_n)))
            done = ok
            if ok and self._peak < c.dip_min_depth:  # a shallow dip: only a repeated one
                again = self._shallow_t is not None and t - self._shallow_t <= c.shallow_repeat_s
                self._shallow_t = t
                done = again
            # Half way up: this dip is over either way; the next needs upright again.
            self._upright_t = None
            self._peak = -math.inf
        if d <= c.dip_upright:
            if self._upright_t is None or self._peak < c.shallow_dip_depth:
                self._upright_posture = self._posture
            self._upright_t = t
            self._peak = d
            self._sit_since, self._sat, self._side_depth = None, False, False
            self._dip_n = self._bent3d_n = 0
        return bool(done)

    # ----------------------------------------------------------------- update
    def update(self, m: FrameMetrics, deep_bend: bool, t: float) -> str | None:
        """``deep_bend``: the rep counter just completed a rep (a full bend and return).

        Waiting for the return keeps sitting down (which never comes back up)
        from flashing "lifting" on the way into the chair.
        """
        c = self.config
        self._update_flat(m, t)
        posture = self.posture_of(m)
        dipped = self._dip(m, t, posture)
        if posture is not None:
            self._posture = posture
        if self.not_upright:
            # Lying or on all fours: no posture of ours, and a bend is not a lift.
            self._last_bend = None
            self._candidate = None
            if self.report_other:
                self.activity = OTHER
            return self.activity
        if deep_bend or dipped:
            self._last_bend = t
        lifting = self._last_bend is not None and t - self._last_bend <= c.lifting_hold_s
        cand = posture
        if lifting and cand != "sitting":
            cand = "lifting"
        if cand is None:
            return self.activity
        if self._first_t is None:
            self._first_t = t
        if cand != self._candidate:
            self._candidate, self._since = cand, t
        if self.activity is None:
            # The very first reading decides at once if it is sitting (a photo of a
            # sitter, a clip that starts seated); otherwise a posture must hold a
            # moment first: a short squat clip starts standing and its bottom looks
            # seated, and either would otherwise outlast its lifting.
            first = self._first_t == t and cand == "sitting"
            if cand != "lifting" and not first and t - self._since < c.first_dwell_s:
                return None
            self.activity = cand
            return cand
        if cand == self.activity:
            return cand
        if cand == "lifting" or t - self._since >= c.dwell_s:
            self.activity = cand
            if cand == "sitting":
                self._last_bend = None
        return self.activity
