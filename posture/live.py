"""The live coach's per-session engine: the offline chain with a causal filter.

One ``LiveSession`` per camera stream (MediaPipe tracks state per stream and is
not thread-safe). ``process`` is called from the video thread with the frame's
capture time; results go to the page through whatever queue the front end
owns. Smoothing is the One Euro filter: it never looks ahead, so a cue never
waits for future frames.

Each analysed frame also gets one :class:`LiveMoment`: the cue to show (with
where it comes from — a rule judged on this frame, or a finished lift, by
number), the values and statuses of the checks, the last lift and the overlay's
words. The overlay is drawn from it and the page's panel reads it, so the cue,
the angles, the overlay and the lift card always tell the same story.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from posture.filters import OneEuroFilter
from posture.frame_analyzer import FrameAnalyzer, FrameRecord
from posture.metrics import FrameMetrics, finalize
from posture.pipeline import FrameResult
from posture.pose import PoseBackend
from posture.render import (
    OVERLAY_METRICS,
    OverlayText,
    annotate_frame,
    overlay_header,
    overlay_labels,
)
from posture.rules.model import SEVERITY_RANK as SEVERITY

if TYPE_CHECKING:
    from posture.assess import Assessor, FrameAssessment, SessionResult


@dataclass(frozen=True)
class LiveCue:
    """The one cue on screen, and what it is about."""

    text: str  # as shown; a lift's cue starts with its number ("Lift 3: chest up — …")
    status: str  # "caution" | "poor"
    source: str  # "rule" (this frame) | "lift" (a finished lift) | "framing" | "break" | "other"
    rule: str | None = None  # the rule id for source "rule"
    lift: int | None = None  # the lift's number for source "lift"
    new: bool = False  # first frame of this cue (speak it once)


@dataclass(frozen=True)
class CheckLine:
    """One rule of the current activity on this frame."""

    rule: str
    category: str
    metric: str
    label: str
    status: str  # ok | caution | poor | n/a
    views: frozenset[str] = frozenset()  # the camera views the rule is judged in
    applies: bool = True  # False: its guard does not hold now (e.g. not in a squat)
    # The reading is already past the good band but has not lasted long enough to be
    # flagged (persistence): the screen must not call it "good" meanwhile.
    beyond: bool = False


@dataclass(frozen=True)
class LiftNote:
    """The last finished lift, as its card shows it."""

    index: int
    verdict: str  # good | faulty | partly_judged | not_judged
    score: float | None
    faults: tuple[tuple[str, str], ...]  # (category, severity)


@dataclass(frozen=True)
class LiveMoment:
    """Everything the screen says about one analysed frame — one record for all of it."""

    t: float
    detected: bool
    view: str
    activity: str | None
    worst: str
    cue: LiveCue | None
    checks: tuple[CheckLine, ...]
    values: Mapping[str, float | None]  # metric → value of this frame (NaN → None)
    rep_count: int
    last_lift: LiftNote | None
    overlay: OverlayText
    framing: str | None = None

    def check_status(self, metric: str) -> str:
        """The worst status of the rules judging ``metric`` on this frame."""
        sts = [c.status for c in self.checks if c.metric == metric and c.applies]
        return max(sts, key=lambda x: SEVERITY.get(x, -1)) if sts else "n/a"


@dataclass(frozen=True, eq=False)
class LiveResult:
    """One processed camera frame, ready for the page and the overlay."""

    frame: FrameResult
    record: FrameRecord
    analysed: bool = True  # False: a low-power skip; ``frame`` is the last analysed one
    moment: LiveMoment | None = None

    @property
    def assessment(self) -> FrameAssessment | None:
        return self.frame.assessment


class LiveSession:
    """pose → gate → view → metrics → One Euro → rules, frame by frame, time passed in."""

    def __init__(
        self,
        activity: str = "auto",
        profile: str | Path | None = None,
        user_height_cm: float | None = None,
        model_complexity: int = 1,
        backend: PoseBackend | None = None,
        min_cutoff: float = 1.0,
        beta: float = 0.05,
        assessor_factory: Callable[..., Any] | None = None,
        sitting_rate_hz: float | None = None,
        **assessor_kwargs: Any,
    ) -> None:
        """``sitting_rate_hz``: the low-power setting. While the activity is sitting,
        analyse at most this many frames a second (sitting rules persist for seconds;
        lifting and standing always run at the camera's rate)."""
        self.analyzer = FrameAnalyzer(backend=backend, model_complexity=model_complexity)
        self.filter = OneEuroFilter(min_cutoff=min_cutoff, beta=beta)
        if assessor_factory is None:
            from posture.assess import Assessor

            assessor_factory = Assessor
        self.assessor: Assessor = assessor_factory(
            activity=activity, profile=profile, user_height_cm=user_height_cm, **assessor_kwargs
        )
        self.frames_processed = 0
        self.frames_skipped = 0
        self.sitting_rate_hz = sitting_rate_hz
        self._last: LiveResult | None = None
        self._cue_lift: tuple[str, int, str] | None = None  # (cue, lift number, severity)

    def process(self, image_rgb: np.ndarray, t: float) -> LiveResult:
        """Analyse the frame captured at ``t`` — or, in low-power sitting, maybe reuse the last."""
        last = self._last
        if (
            last is not None
            and self.sitting_rate_hz
            and self.assessor.activity == "sitting"
            and 0.0 <= t - last.frame.t < 1.0 / self.sitting_rate_hz - 1e-6
        ):
            self.frames_skipped += 1
            return LiveResult(last.frame, last.record, analysed=False, moment=last.moment)
        record = self.analyzer.update(image_rgb, t)
        self._last = self._assess(record)
        return self._last

    def process_pose(self, record: FrameRecord) -> LiveResult:
        """Assess an already analysed frame (replays and tests)."""
        return self._assess(record)

    def _assess(self, record: FrameRecord) -> LiveResult:
        if record.detected:
            smoothed = finalize(self.filter.update(record.raw, record.t))
        else:
            self.filter.reset()  # a gap: never carry the last posture across it
            smoothed = record.raw
        metrics = FrameMetrics(record.t, record.detected, record.view, smoothed, record.framing)
        assessment = self.assessor.update(metrics, quality=record.quality)
        self.frames_processed += 1
        frame = FrameResult(
            record.index, record.t, record.detected, record.view, metrics, assessment, record.pose,
            record.quality,
        )
        return LiveResult(frame, record, moment=self.moment(frame))

    # ------------------------------------------------------------------ the one record
    def moment(self, frame: FrameResult) -> LiveMoment | None:
        """The screen's record of an assessed frame (None without an assessment)."""
        a = frame.assessment
        if a is None:
            return None
        from posture.rules.model import POPULATION_STATURE_CM, frame_value

        assessor: Any = self.assessor
        activity = getattr(a, "activity", None)
        status = dict(getattr(a, "status", {}) or {})
        checks: list[CheckLine] = []
        profile = getattr(assessor, "profile", None)
        engine: Any = getattr(assessor, "engines", {}).get(activity)
        for rule in getattr(engine, "rules", ()) if engine is not None else ():
            if rule.id in status:
                applies, beyond = True, False
                if hasattr(engine, "value"):
                    try:
                        value, applies = engine.value(rule, frame.metrics)
                        state = getattr(engine, "states", {}).get(rule.id)
                        bands = getattr(getattr(state, "rule", rule), "bands", rule.bands)
                        beyond = (applies and status[rule.id] == "ok" and value == value
                                  and bands.level(value) != "ok")
                    except (KeyError, ValueError, IndexError):
                        applies = True
                checks.append(CheckLine(rule.id, rule.category, rule.metric,
                                        rule.label or rule.category, str(status[rule.id]),
                                        frozenset(rule.views), bool(applies), bool(beyond)))
        stature = getattr(assessor, "stature_cm", None) or POPULATION_STATURE_CM
        wanted = {c.metric for c in checks}
        wanted.update(m for _, m in OVERLAY_METRICS.get(activity or "", ()))
        values: dict[str, float | None] = {}
        for name in sorted(wanted):
            try:
                v = float(frame_value(frame.metrics, name, stature))
            except (KeyError, ValueError, IndexError, TypeError):
                v = math.nan
            values[name] = v if math.isfinite(v) and frame.detected else None
        lifts = list(getattr(assessor, "reps", ()) or ())
        last = _lift_note(lifts[-1]) if lifts else None
        cue = self._cue(a, checks, last, len(lifts), profile)
        rep_count = int(getattr(a, "rep_count", 0) or 0)
        overlay = OverlayText(
            header=overlay_header(frame.t, frame.detected, frame.view.view, rep_count,
                                  activity or "", str(getattr(a, "rep_phase", "") or ""),
                                  seen=frame.pose is not None),
            labels=overlay_labels(values, activity) if frame.detected else (),
            cue=cue.text if cue is not None else None,
            cue_status=cue.status if cue is not None else "n/a")
        return LiveMoment(
            t=frame.t, detected=bool(frame.detected), view=frame.view.view, activity=activity,
            worst=str(getattr(a, "worst", None) or "n/a"), cue=cue, checks=tuple(checks),
            values=values, rep_count=rep_count, last_lift=last, overlay=overlay,
            framing=getattr(a, "framing", None))

    def _cue(self, a: Any, checks: list[CheckLine], last: LiftNote | None, n_lifts: int,
             profile: Any) -> LiveCue | None:
        """The assessment's cue, said for what it is about: a rule's cue only while that
        rule is still off on this frame; a lift's cue as that lift's, by number."""
        text = getattr(a, "cue", None)
        if not text:
            self._cue_lift = None
            return None
        new = bool(getattr(a, "cue_new", False))
        history = getattr(getattr(self.assessor, "cues", None), "history", None) or ()
        key = history[-1][1] if history and history[-1][2] == text else None
        by_rule = {c.rule: c for c in checks}
        if key == "rep":
            if new or self._cue_lift is None or self._cue_lift[0] != text:
                sev = "caution"
                if last is not None and last.index == n_lifts and last.faults:
                    sev = max((s for _, s in last.faults), key=lambda x: SEVERITY.get(x, -1))
                self._cue_lift = (text, n_lifts, sev if sev in ("caution", "poor") else "caution")
            _, number, sev = self._cue_lift
            # An exercise's rep cue already starts with its count ("3 — hips higher").
            shown = (text if getattr(a, "activity", "") == "exercise"
                     else f"Lift {number}: {text[:1].lower()}{text[1:]}")
            return LiveCue(shown, sev, "lift", lift=number, new=new)
        self._cue_lift = None
        if key in by_rule:
            line = by_rule[key]
            if line.status == "ok":
                return None  # put right already: no tip beside a "good" reading
            sev = line.status if line.status in ("caution", "poor") else "caution"
            return LiveCue(text, sev, "rule", rule=key, new=new)
        if key == "framing":
            if not getattr(a, "framing", None):
                return None  # the framing is fine again
            return LiveCue(text, "caution", "framing", new=new)
        if key == "break":
            return LiveCue(text, "caution", "break", new=new)
        worst = str(getattr(a, "worst", None) or "caution")
        return LiveCue(text, worst if worst in ("caution", "poor") else "caution", "other",
                       new=new)

    @staticmethod
    def annotate(image_rgb: np.ndarray, result: LiveResult) -> np.ndarray:
        """The overlay, written from the frame's :class:`LiveMoment` (what the panel shows)."""
        moment = result.moment
        return annotate_frame(image_rgb, result.frame,
                              moment.overlay if moment is not None else None)

    def finish(self) -> SessionResult:
        return self.assessor.finish()

    def close(self) -> None:
        self.analyzer.close()


def _lift_note(rep: Any) -> LiftNote:
    faults = tuple((str(f.get("category", "")), str(f.get("severity", "")))
                   for f in getattr(rep, "faults", ()) or ())
    score = getattr(rep, "score", None)
    return LiftNote(int(getattr(rep, "index", 0) or 0), str(getattr(rep, "verdict", "") or ""),
                    None if score is None else float(score), faults)
