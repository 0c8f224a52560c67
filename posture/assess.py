"""The assessor: smoothed metrics in, per-frame verdicts, events, reps and a summary out.

The same object serves the offline report and the live coach, one frame at a
time (``update``) with time taken from the frame, never from the clock; so a
verdict can never differ between the two. Everything clinical lives in the
profile (posture/profiles/*.toml); this module only wires the pieces:

rules (posture.rules) · reps, lifting, auto activity, break timer, RULA/REBA
(posture.activities) · framing (wrong view, body cut off or a picture too dark
or grainy to judge → "n/a" + cue).
"""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from posture import framing
from posture.activities.detect import OTHER, ActivityDetector
from posture.activities.ergo import REBA_ASSUMPTIONS, RULA_ASSUMPTIONS, ErgoContext, reba, rula
from posture.activities.lifting import (
    GAPS,
    Check,
    NioshTask,
    RepSample,
    faults_of,
    kind_of,
    niosh_for_rep,
    rep_checks,
    rep_metrics,
    score_rep,
    style_of,
    verdict_of,
    views_phrase,
)
from posture.activities.reps import DepthSignal, RepCounter, RepWindow
from posture.activities.static import StaticTimer
from posture.camera import FRAMING_CUE as CAMERA_TOO_HIGH
from posture.confidence import rep_confidence
from posture.metrics import FrameMetrics
from posture.quality import QualityState
from posture.rules.calibration import Calibration
from posture.rules.cues import CueRequest, CueScheduler
from posture.rules.engine import RuleEngine
from posture.rules.model import (
    ACTIVITIES,
    ALL_VIEWS,
    POPULATION_STATURE_CM,
    SEGMENTS,
    SEVERITY_RANK,
    SIDE_VIEWS,
    Bands,
    Level,
    Profile,
    Rule,
    Status,
    worst,
)
from posture.rules.profile import as_profile
from posture.rules.state import ClosedEvent, RuleState
from posture.view import most_seen_view

__all__ = ["Assessor", "Calibration", "Event", "FrameAssessment", "NioshTask", "Rep",
           "SessionResult", "Status"]

STEP_INTO_VIEW = "Step into view of the camera"
# Automatic mode tells sitting from standing by the thighs and knees. Behind a desk
# (sitting, or at a standing desk) they are hidden, and guessing would be coaching
# the wrong posture, so the user is asked to choose.
LEGS_HIDDEN_AUTO = "Your legs are hidden: choose Sitting or Standing as the activity"
# Automatic mode: lying down or on all fours is none of the coached activities.
NOT_AN_ACTIVITY = "not judged: not sitting, standing or lifting (lying down or on all fours)"
MAX_FRAME_DT_S = 1.0  # time accounting: a longer gap between frames is not counted


@dataclass(frozen=True)
class FrameAssessment:
    t: float
    activity: str  # "sitting" | "standing" | "lifting" (resolved when auto)
    status: Mapping[str, Status]  # rule id -> status
    worst: Status
    cue: str | None  # at most one short positive cue to show now
    segment_status: Mapping[str, Status]
    rep_count: int
    rep_phase: str  # "stand" | "descend" | "bottom" | "rise" | ""
    scores: Mapping[str, float]  # {"rula": 4, "reba": 5} where computable
    cue_new: bool = False  # first frame of this cue (speak / notify once)
    framing: str | None = None  # what is wrong with the framing, if anything
    view: str = "unknown"


@dataclass(frozen=True)
class Event:
    """report.json events[]: a rule held outside its good band long enough to matter."""

    rule: str
    category: str
    severity: Level
    start_s: float
    end_s: float
    cue: str
    activity: str = ""
    peak_value: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "category": self.category, "severity": self.severity,
                "start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3),
                "cue": self.cue, "activity": self.activity,
                "peak_value": None if self.peak_value is None else round(self.peak_value, 2)}


@dataclass(frozen=True)
class Rep:
    """report.json reps[]: one lift or squat."""

    index: int
    start_s: float
    bottom_s: float
    end_s: float
    style: str
    metrics: Mapping[str, float | None]
    faults: tuple[Mapping[str, str], ...]
    score: int | None  # None: no essential check could be judged (verdict "not_judged")
    score_breakdown: Mapping[str, int]
    niosh: Mapping[str, Any] | None = None
    view: str = "unknown"
    kind: str = "unknown"  # "lift" (hands reach low) | "squat" (hands stay up) | "unknown"
    checks: tuple[Check, ...] = ()  # every lifting rule: judged, or n/a with the reason
    verdict: str = "good"  # good | faulty | partly_judged | not_judged (lifting.verdict_of)

    @property
    def confidence(self) -> float | None:
        """Chance the verdict is right: its least certain judged essential check."""
        return rep_confidence([(c.essential, c.confidence) for c in self.checks if c.judged])

    @property
    def not_judged(self) -> tuple[Check, ...]:
        """Checks that better filming would have allowed (not the inapplicable ones)."""
        gaps = [c for c in self.checks if not c.judged and c.code in GAPS]
        return tuple(sorted(gaps, key=lambda c: not c.essential))  # the verdict's own first

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "index": self.index, "start_s": round(self.start_s, 3),
            "bottom_s": round(self.bottom_s, 3), "end_s": round(self.end_s, 3),
            "style": self.style, "kind": self.kind, "metrics": dict(self.metrics),
            "faults": [dict(f) for f in self.faults], "score": self.score,
            "score_breakdown": dict(self.score_breakdown), "view": self.view,
            "verdict": self.verdict, "confidence": self.confidence,
            "checks": [c.to_dict() for c in self.checks],
            "judged": [c.category for c in self.checks if c.judged],
            "not_judged": [{"rule": c.rule, "category": c.category, "reason": c.reason}
                           for c in self.not_judged]}
        if self.niosh is not None:
            d["niosh"] = dict(self.niosh)
        return d


@dataclass(frozen=True)
class SessionResult:
    activity: str
    events: tuple[Event, ...]
    reps: tuple[Rep, ...]
    summary: Mapping[str, Any] = field(default_factory=dict)
    # report.json "exercise": a home exercise's reps / hold (posture.exercises.assess).
    exercise: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        d = {"activity": self.activity, "events": [e.to_dict() for e in self.events],
             "reps": [r.to_dict() for r in self.reps], "summary": dict(self.summary)}
        if self.exercise is not None:
            d["exercise"] = dict(self.exercise)
        return d


def _framing_rule(activity: str, enter_s: float) -> Rule:
    return Rule(id=f"{activity}.framing", activity=activity, category="framing",
                metric="framing", bands=Bands("high", 0.5), cue="",
                source="report-schema.md: wrong view or body not fully in view",
                views=ALL_VIEWS, hysteresis=0.0, enter_s=enter_s, clear_s=0.5,
                cue_after_s=enter_s, cue_cooldown_s=20.0, max_gap_s=math.inf)


def _num(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), 2)


def _session_verdict(verdicts: list[str]) -> str:
    """Faulty if any lift was; good only if every lift was judged good."""
    if "faulty" in verdicts:
        return "faulty"
    if all(v == "not_judged" for v in verdicts):
        return "not_judged"
    return "good" if all(v == "good" for v in verdicts) else "partly_judged"


def _score_stats(values: Counter[float]) -> dict[str, Any] | None:
    """Mean, median and max of per-frame scores kept as a tally.

    RULA/REBA scores are small integers, so a tally is exact and an hour of
    frames costs a dozen counters instead of a growing list.
    """
    n = sum(values.values())
    if n == 0:
        return None
    ordered = sorted(values.items())
    mean = sum(v * c for v, c in ordered) / n

    def kth(k: int) -> float:  # the k-th smallest value, 0-based
        seen = 0
        for v, c in ordered:
            seen += c
            if k < seen:
                return float(v)
        return float(ordered[-1][0])

    median = kth(n // 2) if n % 2 else (kth(n // 2 - 1) + kth(n // 2)) / 2
    return {"mean": round(float(mean), 2), "median": float(median),
            "max": int(ordered[-1][0]), "frames": n}


class Assessor:
    """Per-stream posture assessment; ``update(metrics)`` per frame, ``finish()`` at the end."""

    def __init__(self, activity: str = "auto", profile: Profile | str | Path | None = None,
                 calibration: Calibration | None = None, user_height_cm: float | None = None,
                 niosh: NioshTask | None = None, still: bool = False) -> None:
        """``still``: the stream is one photo, a single moment — the rules judge it as it
        is (no persistence to wait for) and the score is that moment's status."""
        if activity != "auto" and activity not in ACTIVITIES:
            raise ValueError(f"activity must be 'auto' or one of {ACTIVITIES}, got {activity!r}")
        if user_height_cm is not None and not 50.0 <= user_height_cm <= 250.0:
            raise ValueError(f"user_height_cm must be 50–250 cm, got {user_height_cm}")
        self.mode = activity
        self.profile = as_profile(profile)
        self.calibration = calibration
        self.niosh = niosh
        self.stature_cm = user_height_cm or POPULATION_STATURE_CM
        self.stature_note = ("stature from the user's height" if user_height_cm else
                             f"stature unknown: population {POPULATION_STATURE_CM:.0f} cm used")
        acts = ACTIVITIES if activity == "auto" else (activity,)
        if activity == "lifting":
            acts = ("lifting",)
        self.still = still

        def rules(a: str) -> tuple[Rule, ...]:
            found = self.profile.frame_rules(a)
            return tuple(replace(r, enter_s=0.0, clear_s=0.0, cue_after_s=0.0)
                         for r in found) if still else found

        self.engines = {a: RuleEngine(rules(a), calibration, self.stature_cm,
                                      load_declared=niosh is not None) for a in acts}
        self.framing = {a: RuleState(_framing_rule(
            a, 0.0 if still else self.profile.settings(a).framing_enter_s)) for a in acts}
        self._framing_text: dict[str, str] = {}
        self.timers = {a: StaticTimer(self.profile.settings(a).break_after_s,
                                      self.profile.settings(a).break_reset_s)
                       for a in acts if self.profile.settings(a).break_after_s > 0}
        self._break_open: dict[str, float] = {}
        self.counting = activity in ("auto", "lifting")
        self.depth = DepthSignal()
        self.counter = RepCounter()
        self.detector = ActivityDetector(report_other=True) if activity == "auto" else None
        self.cues = CueScheduler()
        self.activity: str = "standing" if activity == "auto" else activity
        self._activity_since = -math.inf
        self._decided = activity != "auto"
        self.segments: list[list[Any]] = []
        self.events: list[Event] = []
        self.reps: list[Rep] = []
        self._buffer: deque[RepSample] = deque()
        self._last_t: float | None = None
        self._last_worst: Status = "n/a"
        self._time: dict[str, float] = {"ok": 0.0, "caution": 0.0, "poor": 0.0, "n/a": 0.0}
        self._rula: Counter[float] = Counter()
        self._reba: Counter[float] = Counter()
        self._rep_starts: list[float] = []
        self._frames = 0
        self._judged_rules: set[str] = set()  # rules that had a reading at least once
        self._framing_memory: dict[str, framing.FramingMemory] = {}  # per activity
        self._cut_off = False  # the last frame's framing problem was a body cut off

    # ----------------------------------------------------------------- events
    def _record(self, e: ClosedEvent, activity: str, cue: str | None = None) -> None:
        start = max(e.start_s, self._activity_since) if activity == self.activity else e.start_s
        self.events.append(Event(e.rule.id, e.rule.category, e.severity, start,
                                 max(e.end_s, start), e.rule.cue if cue is None else cue,
                                 activity, None if not math.isfinite(e.peak_value)
                                 else float(e.peak_value)))

    def _switch(self, new: str, t: float) -> None:
        old = self.activity
        if old in self.engines:
            for e in self.engines[old].close_all(t):
                self._record(e, old)
        fr = self.framing.get(old)
        if fr is not None:
            closed = fr.close(t)
            if closed is not None:
                self._record(closed, old, self._framing_text.get(old, ""))
        self.activity = new
        self._activity_since = t
        if self.segments and self.segments[-1][0] == new:
            return
        if self.segments:
            self.segments[-1][2] = t
        self.segments.append([new, t, t])

    # ----------------------------------------------------------------- framing
    def _framing_problem(self, m: FrameMetrics, quality: QualityState | None) -> str | None:
        """What is wrong with the framing now, as the sentence to show; sets ``_cut_off``
        when the problem is the body being cut off or hidden (no rep verdict then)."""
        self._cut_off = False
        if self.activity == OTHER:
            return None  # nothing is judged: no framing to fix
        s = self.profile.settings(self.activity)
        if quality is not None and not quality.ok:
            # First: in a picture this poor, "not detected" or a wrong view is only a symptom.
            return quality.cue
        if not m.detected:
            return STEP_INTO_VIEW
        view = m.view.view
        if (self.mode == "auto" and not self._decided and view in SIDE_VIEWS
                and math.isnan(m.get("knee_angle_deg"))
                and not math.isnan(m.get("trunk_lean_deg"))):
            return LEGS_HIDDEN_AUTO
        if view not in s.primary_views:
            return s.framing_cue_views
        if m.view.camera_too_high:
            # Sagittal angles are withheld (posture.metrics): no verdict, and say why.
            self._cut_off = True
            return CAMERA_TOO_HIGH
        # Body cut off or hidden. A required metric is NaN when a landmark it needs is out
        # of the frame or not visible (posture.framing.usable): that is the problem; the
        # sentence names what was missing over the last seconds (head out when standing
        # up, feet out at the bottom → "Step back so your head and feet are in view").
        memory = self._framing_memory.get(self.activity)
        if memory is None:
            memory = self._framing_memory[self.activity] = framing.FramingMemory()
        needed = framing.regions_needed(s.required_metrics)
        # The pose's own check (edges, free space) from the frame analyzer; without one
        # (scripted metrics, replays), what the side view's metric row shows.
        seen = m.framing
        side = view in SIDE_VIEWS
        if side:
            now = any(math.isnan(m.get(x)) for x in s.required_metrics)
        else:
            now = seen is not None and bool(seen.missing() & needed)
        if seen is None:
            seen = framing.from_metrics(m.get) if side else framing.FRAMING_OK
        merged = memory.update(m.t, now, seen)
        if merged is None:
            return None
        self._cut_off = True
        return framing.sentence(merged, needed) or s.framing_cue_body

    # ----------------------------------------------------------------- reps
    def _make_rep(self, w: RepWindow) -> Rep:
        samples = [s for s in self._buffer if w.start_s - 1e-6 <= s.m.t <= w.end_s + 1e-6]
        if w.started_at_bottom:  # its frames were measured against the crouched start
            samples = [replace(s, depth=self.depth.rescore(s.m)) for s in samples]
        metrics = rep_metrics(samples, self.stature_cm)
        views = [s.m.view.view for s in samples if s.m.detected]
        view = most_seen_view(views)
        eng = self.engines["lifting"]
        rules = {r.id: r for r in eng.rules + self.profile.rep_rules("lifting")}
        checks = rep_checks(tuple(rules.values()), samples, metrics, view, eng.value)
        levels: dict[str, Level] = {c.rule: c.status for c in checks  # type: ignore[misc]
                                    if c.judged}
        faults = faults_of(levels, rules)
        verdict = verdict_of(checks)
        score: int | None
        score, breakdown = score_rep(faults)
        if verdict == "not_judged":
            score = None  # never a silent 100 over checks nobody could judge
        self._rep_starts.append(w.start_s)
        niosh = None
        if self.niosh is not None:
            span_min = (w.end_s - self._rep_starts[0]) / 60.0
            freq = len(self._rep_starts) / span_min if len(self._rep_starts) > 1 else None
            niosh = niosh_for_rep(self.niosh, metrics, metrics["max_trunk_twist_deg"], freq,
                                  self.stature_note)
        report_metrics: dict[str, float | None] = {k: _num(v) for k, v in metrics.items()}
        report_metrics["bottom_observed"] = float(w.bottom_observed)
        report_metrics["started_at_bottom"] = float(w.started_at_bottom)
        return Rep(len(self.reps) + 1, w.start_s, w.bottom_s, w.end_s,
                   style_of(metrics["stoop_squat_index"]), report_metrics, tuple(faults),
                   score, breakdown, niosh, view,
                   kind_of(metrics["min_wrist_height_ratio"]), tuple(checks), verdict)

    def _rep_cue(self, rep: Rep) -> CueRequest | None:
        if not rep.faults:
            return None
        rules = self.profile.frame_rules("lifting") + self.profile.rep_rules("lifting")
        f = rep.faults[0] if len(rep.faults) == 1 else max(
            rep.faults, key=lambda f: SEVERITY_RANK[f["severity"]])
        cue = next((r.cue for r in rules if r.category == f["category"]), None)
        # Shown once the screen is free (up to one cue's display and gap later): lifts
        # come every few seconds, and a lift's tip must not be lost behind another cue.
        wait = self.cues.display_s + self.cues.min_gap_s
        return None if cue is None else CueRequest("rep", cue, f["severity"], -1, 0.0, wait)

    # ----------------------------------------------------------------- update
    def update(self, m: FrameMetrics, quality: QualityState | None = None) -> FrameAssessment:
        """One frame. ``quality``: the picture check of ``posture.frame_analyzer``, whose
        metric row is already all NaN when the picture is poor; here it only names the
        problem (framing status, event and cue)."""
        t = m.t
        self._frames += 1
        if self._last_t is not None:
            self._time[self._last_worst] += min(max(t - self._last_t, 0.0), MAX_FRAME_DT_S)
        self._last_t = t

        completed: RepWindow | None = None
        depth = math.nan
        if self.counting:
            depth = self.depth.update(m)
            tick = self.counter.update(depth, t)
            completed = tick.completed
        if self.detector is not None:
            act = self.detector.update(m, completed is not None, t)
            if act is not None and (act != self.activity or not self._decided):
                if not self._decided:
                    self._decided = True
                    self.activity = act
                    self._activity_since = t
                    self.segments.append([act, t, t])
                else:
                    self._switch(act, t)

        # Every activity's rules follow the frames (in auto mode the next activity's
        # persistence timers are primed before a switch); only the current one reports.
        # The lifting rules' statuses also feed the rep buffer while reps are counted.
        updates = {}
        for a, eng in self.engines.items():
            if a == self.activity or (a == "lifting" and self.counting):
                updates[a] = u = eng.update(m)
                if a == self.activity:
                    for e in u.closed:
                        self._record(e, a)
            else:
                eng.advance(m)
        cur = updates.get(self.activity)
        status: dict[str, Status] = dict(cur.status) if cur else {}
        segs: dict[str, Status] = dict(cur.segment_status) if cur else dict.fromkeys(
            SEGMENTS, "n/a")

        problem = self._framing_problem(m, quality)
        fr = self.framing.get(self.activity)  # None: not an activity of ours (OTHER)
        poor_picture = quality is not None and not quality.ok
        if fr is not None:
            if problem and (fr.event is None or poor_picture):
                # An open framing event takes the poor picture's cue: it is the root cause.
                self._framing_text[self.activity] = problem
            fu = fr.update(1.0 if problem else 0.0, t)
            if fu.closed is not None:
                self._record(fu.closed, self.activity,
                             self._framing_text.get(self.activity, ""))

        requests: list[CueRequest] = []
        if cur is not None:
            eng = self.engines[self.activity]
            for i, r in enumerate(eng.rules):
                st = eng.states[r.id]
                if st.event is not None and st.shown != "ok" and status[r.id] != "n/a" \
                        and t - st.event.start_s >= r.cue_after_s:
                    requests.append(CueRequest(r.id, r.cue, st.shown, i, r.cue_cooldown_s))
        if fr is not None and fr.shown != "ok" and problem:
            requests.append(CueRequest("framing", problem, "caution", 999, 20.0))

        timer = self.timers.get(self.activity)
        held = 0.0
        for a, tm in self.timers.items():
            tick_s = tm.update(m.detected and a == self.activity, t)
            if a == self.activity:
                held = tick_s.held_s
            if tick_s.due and a not in self._break_open and tm.started_at is not None:
                self._break_open[a] = tm.started_at + tm.break_after_s
            if tick_s.ended_at is not None and a in self._break_open:
                self._add_break_event(a, tick_s.ended_at)
        if timer is not None and self.activity in self._break_open:
            s = self.profile.settings(self.activity)
            requests.append(CueRequest("break", s.break_cue, "caution", 500, 600.0))

        if self.counting:
            lift_status = updates["lifting"].status if "lifting" in updates else {}
            self._buffer.append(RepSample(m, depth, lift_status, problem, self._cut_off))
            while self._buffer and t - self._buffer[0].m.t > 15.0:
                self._buffer.popleft()
        if completed is not None and self.activity == "lifting" and "lifting" in self.engines:
            rep = self._make_rep(completed)
            self.reps.append(rep)
            rc = self._rep_cue(rep)
            if rc is not None:
                requests.append(rc)
            else:  # a good lift: an older lift's tip still waiting would name the wrong one
                self.cues.cancel("rep")

        scores = self._scores(m, held) if self.activity != OTHER else {}
        shown = self.cues.update(requests, t)
        w = worst(status.values())
        self._last_worst = w
        if w != "n/a":
            self._judged_rules.update(rid for rid, st in status.items() if st != "n/a")
        return FrameAssessment(
            t=t, activity=self.activity, status=status, worst=w,
            cue=shown.text if shown else None, segment_status=segs,
            rep_count=len(self.reps),
            rep_phase=self.counter.phase if self.counting and self.activity == "lifting" else "",
            scores=scores, cue_new=bool(shown and shown.new), framing=problem,
            view=m.view.view if m.detected else "unknown")

    def _add_break_event(self, activity: str, end: float) -> None:
        start = self._break_open.pop(activity)
        s = self.profile.settings(activity)
        self.events.append(Event(f"{activity}.prolonged_static", "prolonged_static", "caution",
                                  start, max(end, start), s.break_cue, activity))

    def _scores(self, m: FrameMetrics, held_s: float) -> dict[str, float]:
        recent = [x for x in self._rep_starts if m.t - x <= 60.0]
        neck0 = 0.0
        if self.calibration is not None:
            neck0 = self.calibration.neutral_for("neck_flexion_deg") or 0.0
        ctx = ErgoContext(sitting=self.activity == "sitting", static_over_1min=held_s > 60.0,
                          repeated_over_4_per_min=len(recent) > 4,
                          load_kg=self.niosh.load_kg if self.niosh and self.activity == "lifting"
                          else 0.0, neck_neutral_deg=neck0)
        out: dict[str, float] = {}
        r1, r2 = rula(m, ctx), reba(m, ctx)
        if r1 is not None:
            out["rula"] = r1
            self._rula[r1] += 1
        if r2 is not None:
            out["reba"] = r2
            self._reba[r2] += 1
        return out

    # ----------------------------------------------------------------- finish
    def finish(self) -> SessionResult:
        """Close open events and reps at the last frame's time and build the summary."""
        t = self._last_t if self._last_t is not None else 0.0
        if self._last_t is not None:
            self._time[self._last_worst] += 0.0
        if self.counting:
            w = self.counter.flush()
            if w is not None and self.activity == "lifting" and "lifting" in self.engines:
                self.reps.append(self._make_rep(w))
        for a, eng in self.engines.items():
            if a == self.activity:
                for e in eng.close_all(t):
                    self._record(e, a)
        fr = self.framing.get(self.activity)
        if fr is not None:
            closed = fr.close(t)
            if closed is not None:
                self._record(closed, self.activity, self._framing_text.get(self.activity, ""))
        for a in list(self._break_open):
            self._add_break_event(a, t)
        if self.segments:
            self.segments[-1][2] = t
        events = tuple(sorted(self.events, key=lambda e: (e.start_s, e.rule)))
        return SessionResult(self._session_activity(), events, tuple(self.reps),
                             self._summary())

    def _session_activity(self) -> str:
        if self.mode != "auto":
            return self.mode
        if self.reps:
            return "lifting"  # a lifting session stands between its reps
        if not self.segments:
            return self.activity
        totals: dict[str, float] = {}
        for a, s, e in self.segments:
            totals[a] = totals.get(a, 0.0) + (e - s)
        return max(totals, key=lambda a: totals[a])

    def _not_judged(self, lifting: bool) -> list[dict[str, Any]]:
        """What could not be judged and why: per rep check for lifts; for sitting and
        standing, the rules of the session's activities that never had a reading."""
        if lifting:
            seen: dict[tuple[str, str], dict[str, Any]] = {}
            for r in self.reps:
                for c in r.not_judged:
                    row = seen.setdefault((c.rule, c.reason), {
                        "rule": c.rule, "category": c.category, "reason": c.reason, "reps": 0})
                    row["reps"] += 1
            return list(seen.values())
        acts = {a for a, _, _ in self.segments} or {self.activity}
        out = []
        for a in sorted(acts & set(self.engines)):
            for rule in self.engines[a].rules:
                if rule.id not in self._judged_rules:
                    out.append({"rule": rule.id, "category": rule.category,
                                "reason": f"{rule.label or rule.category}: not judged — needs "
                                          f"the camera {views_phrase(rule.views)}"
                                          " with the body in view"})
        return out

    def _essential_unjudged(self) -> list[str]:
        """Essential sitting/standing rules of the session's activities never judged."""
        acts = {a for a, _, _ in self.segments} or {self.activity}
        return [r.label or r.id for a in sorted(acts & set(self.engines)) if a != "lifting"
                for r in self.engines[a].rules
                if r.essential and r.id not in self._judged_rules]

    def _summary(self) -> dict[str, Any]:
        tm = self._time
        measured = tm["ok"] + tm["caution"] + tm["poor"]
        # Auto mode that found a lift but counted no rep: no lift could be judged, and
        # the lifting frames' time is no "time in good posture" either.
        lifting = (bool(self.reps) or self.mode == "auto") \
            and self._session_activity() == "lifting"
        score: int | None
        if self._session_activity() == OTHER:
            # Lying down, on all fours: no sitting / standing / lifting verdict applies.
            score, basis = None, NOT_AN_ACTIVITY
        elif lifting:
            judged = [r.score for r in self.reps if r.score is not None]
            score = round(float(np.mean(judged))) if judged else None
            basis = (f"mean score of the {len(judged)} judged lift(s) of {len(self.reps)}"
                     if judged else "no lift could be judged (see not_judged)")
        elif measured > 0 and self._essential_unjudged():
            # Only side checks (tilts) had a reading: "100 % good" would be a silent 100.
            score = None
            basis = ("not judged: " + ", ".join(self._essential_unjudged())
                     + " need the camera side-on (see not_judged)")
        elif measured > 0:
            # One definition, the one the app shows: time in good posture.
            score = round(100.0 * tm["ok"] / measured)
            basis = "time in good posture: share of the measured time with every check ok"
        elif self.still and self._last_worst != "n/a" and self._essential_unjudged():
            score = None
            basis = ("not judged: " + ", ".join(self._essential_unjudged())
                     + " need the camera side-on (see not_judged)")
        elif self.still and self._last_worst != "n/a":
            # One photo has no time: good posture in the moment it shows, or not.
            score = 100 if self._last_worst == "ok" else 0
            basis = "one photo: 100 if every check is ok (good posture), else 0"
        else:
            score, basis = None, "nothing measurable"
        cal: dict[str, Any] | str = "population defaults"
        if self.calibration is not None:
            cal = {**self.calibration.to_dict(),
                   "rules": sorted(r for e in self.engines.values() for r in e.calibrated_rules)}
        rula_s, reba_s = _score_stats(self._rula), _score_stats(self._reba)
        if rula_s is not None:
            rula_s["assumptions"] = list(RULA_ASSUMPTIONS)
        if reba_s is not None:
            reba_s["assumptions"] = list(REBA_ASSUMPTIONS)
        return {
            "score": score, "score_basis": basis,
            "verdict": _session_verdict([r.verdict for r in self.reps]) if lifting else None,
            "not_judged": self._not_judged(lifting),
            "time_s_by_severity": {k: round(tm[k], 3) for k in ("ok", "caution", "poor")},
            "time_s_not_measurable": round(tm["n/a"], 3),
            "rula": rula_s, "reba": reba_s,
            "calibration": cal,
            "profile": {"name": self.profile.name, "sources": list(self.profile.sources)},
            "activity_mode": self.mode,
            "activity_segments": [{"activity": a, "start_s": round(s, 3), "end_s": round(e, 3)}
                                  for a, s, e in self.segments],
            "rep_count": len(self.reps),
            "stature_cm": self.stature_cm, "stature_source": self.stature_note,
            "cues": [{"t": round(ct, 3), "cue": text} for ct, _, text in self.cues.history],
            "frames": self._frames,
        }
