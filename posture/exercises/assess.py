"""The exercise assessor: a home exercise coached and judged rep by rep or as a hold.

Same protocol as ``posture.assess.Assessor`` (``update(m, quality)`` per frame,
``finish()`` once), so ``posture.pipeline.analyze_video(assessor_factory=…)``
and the live coach run it unchanged, with time taken from the frames. The
exercise record (posture/exercises/library/*.toml) holds everything clinical;
this module wires the rule engine, the rep counter or hold timer, framing and
one cue at a time, and reuses the lifting reps' checks and verdicts.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from posture import framing
from posture.activities.lifting import (
    GAPS,
    Check,
    RepSample,
    faults_of,
    rep_checks,
    score_rep,
    verdict_of,
    views_phrase,
)
from posture.assess import STEP_INTO_VIEW, FrameAssessment, SessionResult
from posture.camera import FRAMING_CUE as CAMERA_TOO_HIGH
from posture.exercises.counter import HoldTimer, RepCounter, RepWindow, RestLevel
from posture.exercises.loader import ACTIVITY, get_exercise
from posture.exercises.model import NEAR_SIDE, Exercise
from posture.metrics import FrameMetrics
from posture.quality import QualityState
from posture.rules.cues import CueRequest, CueScheduler
from posture.rules.engine import RuleEngine
from posture.rules.model import SEGMENTS, SEVERITY_RANK, Bands, Level, Rule, Status, worst
from posture.view import most_seen_view

MAX_FRAME_DT_S = 1.0  # as posture.assess: a longer gap between frames is not counted
BUFFER_S = 30.0  # frames kept for the rep being done (a slow rep takes a few seconds)
HOLD_CUE_EVERY_S = 5.0  # "Hold — 10 s" this often (default to calibrate)
# Cues are short and reps come every 2–3 s: a count must fit between them.
CUE_DISPLAY_S, CUE_GAP_S = 1.5, 0.3
HELD_FRAMES_KEPT = 4000  # holds: frames kept for the ROM and side (thinned beyond)


def _words(metric: str) -> str:
    """'body_line_deg' → 'body line' for sentences."""
    return metric.removesuffix("_deg").removesuffix("_ratio").replace("_", " ")


def _num(x: float, digits: int = 1) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), digits)


@dataclass(frozen=True)
class ExerciseRep:
    """exercise.reps[] of report.json: one counted rep and its judgement."""

    index: int
    start_s: float
    peak_s: float
    end_s: float
    side: str | None
    rom_deg: float
    rom_target_deg: float
    rom_reached: bool | None  # None: the ROM metric was never measured in this rep
    faults: tuple[Mapping[str, str], ...]
    checks: tuple[Check, ...]
    verdict: str
    score: int | None
    # How far short of the target still counts as reached: the metric's measured error in
    # the rep's view (posture.exercises.model.Rom.margin_in).
    rom_margin_deg: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "start_s": round(self.start_s, 3),
                "peak_s": round(self.peak_s, 3), "end_s": round(self.end_s, 3),
                "side": self.side, "rom_deg": _num(self.rom_deg),
                "rom_target_deg": self.rom_target_deg, "rom_reached": self.rom_reached,
                "rom_margin_deg": round(self.rom_margin_deg, 1),
                "faults": [dict(f) for f in self.faults],
                "checks": [c.to_dict() for c in self.checks],
                "verdict": self.verdict, "score": self.score}


class ExerciseAssessor:
    """Per-stream exercise coaching; ``update(metrics)`` per frame, ``finish()`` at the end."""

    def __init__(self, exercise: Exercise | str, **_ignored: Any) -> None:
        """``exercise``: a library key or a loaded record. Other keywords (``activity``,
        ``profile``, ``user_height_cm``, ``still`` — what ``posture.live`` and the
        pipeline pass any assessor factory) do not apply to an exercise and are ignored."""
        self.exercise = ex = get_exercise(exercise) if isinstance(exercise, str) else exercise
        self.activity = ACTIVITY  # what posture.live reads of an assessor
        # A form rule runs only in a view the exercise itself is judged in. A bird-dog's
        # hip drop needs the camera in front, but the bird-dog is counted side-on: left to
        # its own views, that rule would fire only while the set is filmed wrongly (seen as
        # a false "knees caving" cue on an oblique sit-to-stand read as a front view). Such
        # a rule stays n/a, and every rep says why (rep_checks reads the file's views).
        self.engine = RuleEngine(tuple(replace(r, views=r.views & ex.views) for r in ex.rules))
        self.counter = RepCounter(ex.phases) if ex.phases is not None else None
        self.rest_level = (RestLevel(ex.phases) if ex.phases is not None
                           and ex.phases.relative_to else None)
        self.timer = HoldTimer(ex.hold.grace_s) if ex.hold is not None else None
        self.cues = CueScheduler(CUE_DISPLAY_S, CUE_GAP_S)
        # The ROM as a rule, so a short rep is a fault like any other (category rom_short).
        self.rom_rule: Rule | None = None
        if ex.rom is not None:
            bands = Bands("low" if ex.rom.peak == "max" else "high", ex.rom.limit)
            self.rom_rule = Rule(id=f"{ex.key}.rom", activity=ACTIVITY,
                                 category=ex.rom.category, metric=ex.rom.metric, bands=bands,
                                 cue=ex.rom.cue, source=ex.rom.source,
                                 views=ex.views, label="Range of motion", essential=True)
        metrics = [ex.drive, *(c.metric for c in ex.start)]
        if ex.rom is not None:
            metrics.append(ex.rom.metric)
        if ex.hold is not None:
            metrics += [c.metric for c in ex.hold.band]
        self.required = tuple(dict.fromkeys(metrics))
        self.regions = framing.regions_needed(self.required)
        self._memory = framing.FramingMemory()
        self.reps: list[ExerciseRep] = []
        self.partial_reps = 0
        self._partial_best = math.nan  # the partial movements' reading nearest to work
        self._buffer: deque[RepSample] = deque()
        self._start_since: float | None = None
        self.started_at: float | None = None
        self._last_t: float | None = None
        self._last_worst: Status = "n/a"
        self._time: dict[str, float] = {"ok": 0.0, "caution": 0.0, "poor": 0.0, "n/a": 0.0}
        self._frames = 0
        self._judged: set[str] = set()
        self._framing_seen: Counter[str] = Counter()
        self._hold_cues = 0
        self._hold_done = False
        self._faults_frames: Counter[str] = Counter()  # holds: categories seen poor/caution
        self._fault_open: dict[str, bool] = {}
        self._held_frames: list[FrameMetrics] = []  # holds: frames in position (ROM, side)
        self._start_misses: Counter[str] = Counter()  # start conditions failed, per metric
        self._start_seen: dict[str, float] = {}  # ... and the last value they had

    # ----------------------------------------------------------------- framing
    def _framing_problem(self, m: FrameMetrics, quality: QualityState | None
                         ) -> tuple[str | None, bool]:
        """(sentence, cut_off): what stops judging this frame, and whether the body is cut off."""
        ex = self.exercise
        if quality is not None and not quality.ok:
            return quality.cue, False
        if not m.detected:
            return STEP_INTO_VIEW, False
        if m.view.view not in ex.views:
            return (f"Place the camera so it sees you {views_phrase(ex.views)}: "
                    f"{ex.setup_cue[0].lower()}{ex.setup_cue[1:]}"), False
        if m.view.camera_too_high:
            return CAMERA_TOO_HIGH, True
        now = any(math.isnan(m.get(x)) for x in self.required)
        seen = m.framing if m.framing is not None else framing.from_metrics(m.get)
        merged = self._memory.update(m.t, now, seen)
        if merged is None:
            return None, False
        return framing.sentence(merged, self.regions) or \
            "Step back so your whole body is in view", True

    # ----------------------------------------------------------------- start posture
    def _start_posture(self, m: FrameMetrics, t: float) -> bool:
        """True once the start posture has held ``start_s`` (then for good)."""
        if self.started_at is not None:
            return True
        in_view = m.detected and m.view.view in self.exercise.views
        failed = [c for c in self.exercise.start if not c.holds(m.get(c.metric))] \
            if in_view else []
        for c in failed:
            self._start_misses[c.metric] += 1
            self._start_seen[c.metric] = m.get(c.metric)
        if in_view and not failed:
            if self._start_since is None:
                self._start_since = t
            if t - self._start_since >= self.exercise.start_s - 1e-9:
                self.started_at = t
                return True
        else:
            self._start_since = None
        return False

    # ----------------------------------------------------------------- reps
    def _side_reading(self, m: FrameMetrics) -> float:
        """The side metric of a frame (+ = left), NaN when unknown."""
        name = self.exercise.side_metric
        if name is None or not m.detected:
            return math.nan
        if name == NEAR_SIDE:
            return 1.0 if m.view.near_side == "left" else -1.0
        return m.get(name)

    def _side(self, frames: Sequence[FrameMetrics], peak_s: float | None = None) -> str | None:
        """The side worked over ``frames`` (around ``peak_s`` when given): the median reading."""
        near = [m for m in frames if peak_s is None or abs(m.t - peak_s) <= 0.5]
        vals = [v for v in map(self._side_reading, near) if math.isfinite(v)] or [
            v for v in map(self._side_reading, frames) if math.isfinite(v)]
        return self.exercise.side_of(float(np.median(vals))) if vals else None

    def _make_rep(self, w: RepWindow) -> ExerciseRep:
        ex = self.exercise
        assert ex.rom is not None and self.rom_rule is not None
        samples = [s for s in self._buffer if w.start_s - 1e-6 <= s.m.t <= w.end_s + 1e-6]
        views = [s.m.view.view for s in samples if s.m.detected]
        view = most_seen_view(views)
        checks = rep_checks(ex.rules, samples, {}, view, self.engine.value)
        rom_vals = [s.m.get(ex.rom.metric) for s in samples
                    if s.m.detected and s.m.view.view in ex.views]
        rom_vals = [v for v in rom_vals if math.isfinite(v)]
        rom = (max(rom_vals) if ex.rom.peak == "max" else min(rom_vals)) if rom_vals else math.nan
        if self.rest_level is not None and ex.phases is not None \
                and ex.rom.metric == ex.phases.metric:
            rom = w.peak_value  # from the person's own rest position, as counted
        reached: bool | None = None
        rr = self.rom_rule
        cut = any(c.code == "framing" for c in checks)
        if cut:
            rom = math.nan  # the pose model guesses what the frame cuts off: no ROM from it
        if math.isfinite(rom) and not cut:
            reached = ex.rom.reached_in(rom, view)
            rom_check = Check(rr.id, rr.category, rr.label, "ok" if reached else "caution",
                              True, rom)
        else:
            reason = next((c.reason.partition(" — ")[2] for c in checks if c.code == "framing"),
                          "the body parts it needs were not seen clearly enough")
            rom_check = Check(rr.id, rr.category, rr.label, "n/a", True, math.nan,
                              "framing" if cut else "not_measured",
                              f"{rr.label}: not judged — {reason}")
        checks = [rom_check, *checks]
        levels: dict[str, Level] = {c.rule: c.status for c in checks  # type: ignore[misc]
                                    if c.judged}
        rules = {rr.id: rr, **{r.id: r for r in ex.rules}}
        faults = faults_of(levels, rules)
        verdict = verdict_of(checks)
        score: int | None = score_rep(faults)[0] if verdict != "not_judged" else None
        return ExerciseRep(len(self.reps) + 1, w.start_s, w.peak_s, w.end_s,
                           self._side([s.m for s in samples], w.peak_s), rom, ex.rom.target,
                           reached,
                           tuple(faults), tuple(checks), verdict, score,
                           ex.rom.margin_in(view))

    def _rep_cue(self, rep: ExerciseRep) -> CueRequest:
        """The count, with the rep's worst fault's cue when it had one ("3 — Hips up")."""
        text = str(rep.index)
        severity = "ok"
        if rep.faults:
            f = max(rep.faults, key=lambda f: SEVERITY_RANK[f["severity"]])
            rules = ([self.rom_rule] if self.rom_rule else []) + list(self.exercise.rules)
            cue = next((r.cue for r in rules if r.category == f["category"]), None)
            if cue:
                text, severity = f"{text} — {cue}", f["severity"]
        return CueRequest("rep", text, severity, -1, 0.0, CUE_DISPLAY_S)

    # ----------------------------------------------------------------- holds
    def _hold_state(self, m: FrameMetrics, status: Mapping[str, Status], problem: str | None
                    ) -> tuple[bool, str | None]:
        """(in the target position with no poor fault, why not)."""
        ex = self.exercise
        assert ex.hold is not None
        if problem is not None:
            return False, problem
        for c in ex.hold.band:
            v = m.get(c.metric)
            if math.isnan(v):
                return False, f"the {_words(c.metric)} could not be measured"
            if not c.holds(v):
                return False, f"out of the target position ({_words(c.metric)} {v:.0f}°)"
        for r in ex.rules:
            if status.get(r.id) == "poor":
                return False, f"form lost: {r.label or r.category.replace('_', ' ')}"
        return True, None

    # ----------------------------------------------------------------- update
    def update(self, m: FrameMetrics, quality: QualityState | None = None) -> FrameAssessment:
        """One frame; ``quality`` as for ``posture.assess.Assessor.update``."""
        ex = self.exercise
        t = m.t
        self._frames += 1
        if self._last_t is not None:
            self._time[self._last_worst] += min(max(t - self._last_t, 0.0), MAX_FRAME_DT_S)
        self._last_t = t
        u = self.engine.update(m)
        problem, cut_off = self._framing_problem(m, quality)
        status: dict[str, Status] = dict(u.status)
        if problem is not None:
            self._framing_seen[problem] += 1
        started = self._start_posture(m, t)
        requests: list[CueRequest] = []
        if not started:
            requests.append(CueRequest("setup", problem or ex.setup_cue, "caution", 900, 8.0))
        elif problem is not None:
            requests.append(CueRequest("framing", problem, "caution", 999, 8.0))
        for i, r in enumerate(self.engine.rules):
            st = self.engine.states[r.id]
            if started and st.event is not None and st.shown != "ok" and \
                    status[r.id] != "n/a" and t - st.event.start_s >= r.cue_after_s:
                requests.append(CueRequest(r.id, r.cue, st.shown, i, r.cue_cooldown_s))
            if ex.kind == "hold" and started:
                open_now = status[r.id] in ("caution", "poor")
                if open_now and not self._fault_open.get(r.id):
                    self._faults_frames[r.category] += 1  # one per deviation
                self._fault_open[r.id] = open_now

        phase = "setup"
        if started and self.counter is not None:
            self._buffer.append(RepSample(m, math.nan, u.status, problem, cut_off))
            while self._buffer and t - self._buffer[0].m.t > BUFFER_S:
                self._buffer.popleft()
            value = m.get(ex.phases.metric) if ex.phases and m.detected and \
                m.view.view in ex.views else math.nan
            if self.rest_level is not None:
                value = self.rest_level.update(value, t)
            w = self.counter.update(value, t)
            if w is not None and w.complete:
                rep = self._make_rep(w)
                self.reps.append(rep)
                requests.append(self._rep_cue(rep))
            elif w is not None:
                self.partial_reps += 1
                if ex.phases is not None and not math.isnan(w.peak_value) and (
                        math.isnan(self._partial_best)
                        or (w.peak_value > self._partial_best) == ex.phases.rising):
                    self._partial_best = w.peak_value
            phase = self.counter.phase or "setup"
        elif started and self.timer is not None and ex.hold is not None:
            in_band, why = self._hold_state(m, status, problem)
            tick = self.timer.update(in_band, why, t)
            phase = "hold" if tick.holding else "paused"
            if tick.holding:
                self._held_frames.append(m)
                if len(self._held_frames) > HELD_FRAMES_KEPT:
                    self._held_frames = self._held_frames[::2]  # thin out, keep the span
            if tick.holding and tick.held_s >= ex.hold.target_s and not self._hold_done:
                self._hold_done = True
                requests.append(CueRequest("hold", f"Well done — {ex.hold.target_s:.0f} s held",
                                           "ok", -1, 0.0, CUE_DISPLAY_S))
            elif tick.holding and tick.held_s >= HOLD_CUE_EVERY_S * (self._hold_cues + 1):
                self._hold_cues = int(tick.held_s // HOLD_CUE_EVERY_S)
                # Waits at most half a second for the screen: a later "Hold — 10 s" is stale.
                requests.append(CueRequest("hold", f"Hold — {tick.held_s:.0f} s", "ok", 1000,
                                           0.0, 0.5))
        shown = self.cues.update(requests, t)
        w_status = worst(status.values())
        self._last_worst = w_status
        self._judged.update(rid for rid, s in status.items() if s != "n/a")
        return FrameAssessment(
            t=t, activity=ACTIVITY, status=status, worst=w_status,
            cue=shown.text if shown else None,
            segment_status=dict(u.segment_status) if status else dict.fromkeys(SEGMENTS, "n/a"),
            rep_count=len(self.reps), rep_phase=phase, scores={},
            cue_new=bool(shown and shown.new), framing=problem,
            view=m.view.view if m.detected else "unknown")

    def _held_view(self) -> str:
        """The view most frames held in position were seen from."""
        return most_seen_view(m.view.view for m in self._held_frames)

    @property
    def held_rom(self) -> float | None:
        """The ROM metric on the last frame held in position (None outside a hold)."""
        rom = self.exercise.rom
        if rom is None or not self._held_frames:
            return None
        v = self._held_frames[-1].get(rom.metric)
        return v if math.isfinite(v) else None

    # ----------------------------------------------------------------- finish
    def finish(self) -> SessionResult:
        """Close the hold's last pause and build the exercise section and the summary."""
        t = self._last_t if self._last_t is not None else 0.0
        if self.timer is not None:
            self.timer.finish(t)
        self.engine.close_all(t)
        section = self._section()
        return SessionResult(ACTIVITY, (), (), self._summary(section), exercise=section)

    def _not_judged(self) -> list[dict[str, Any]]:
        ex = self.exercise
        out: list[dict[str, Any]] = []
        if self.started_at is None:
            why = self._why_not_started()
            start = ", ".join(f"{_words(c.metric)}" for c in ex.start)
            out.append({"rule": f"{ex.key}.start", "category": "framing",
                        "reason": f"{ex.title}: not judged — the start position ({start}) was "
                                  f"never recognised; {why[0].lower()}{why[1:]}"})
        if ex.kind == "reps" and self.started_at is not None and not self.reps:
            # Started, yet nothing counted: say what stood in the way, never a silent 0.
            problem = max(self._framing_seen, key=lambda k: self._framing_seen[k],
                          default=None)
            if self.partial_reps:
                # The movements were seen: say how far they got, not only a framing cue
                # that may have shown for a moment (a knee read short of straight at an
                # angle is not "step into view").
                why = f"{self.partial_reps} movement(s) did not reach the counting range"
                ph = ex.phases
                if ph is not None and not math.isnan(self._partial_best):
                    unit = "°" if ph.metric.endswith("_deg") else ""
                    base = " from your rest position" if ph.relative_to else ""
                    why += (f" ({_words(ph.metric)} at best {self._partial_best:.0f}{unit}"
                             f"{base}; a rep needs {ph.work:g}{unit})")
                if problem:
                    why += f"; also seen: {problem[0].lower()}{problem[1:]}"
            else:
                why = problem or "no rep was seen"
            out.append({"rule": f"{ex.key}.count", "category": "framing",
                        "reason": f"{ex.title}: no rep counted — {why[0].lower()}{why[1:]}"})
        if ex.kind == "reps":
            seen: dict[tuple[str, str], dict[str, Any]] = {}
            for rep in self.reps:
                for c in rep.checks:
                    if not c.judged and c.code in GAPS:
                        row = seen.setdefault((c.rule, c.reason), {
                            "rule": c.rule, "category": c.category, "reason": c.reason,
                            "reps": 0})
                        row["reps"] += 1
            return out + list(seen.values())
        for r in ex.rules:
            if r.id not in self._judged:
                out.append({"rule": r.id, "category": r.category,
                            "reason": f"{r.label or r.category.replace('_', ' ')}: not judged — "
                                      f"needs the camera {views_phrase(r.views)} with the body "
                                      "in view"})
        return out

    def _why_not_started(self) -> str:
        """The commonest reason the start position was missed: the framing, or the
        start condition that failed most often (with its last reading)."""
        framing_n = max(self._framing_seen.values(), default=0)
        miss_n = max(self._start_misses.values(), default=0)
        if framing_n == 0 and miss_n == 0:
            return "nobody was seen in position"
        if miss_n > framing_n:
            metric = max(self._start_misses, key=lambda k: self._start_misses[k])
            c = next(c for c in self.exercise.start if c.metric == metric)
            v = self._start_seen.get(metric, math.nan)
            unit = "°" if metric.endswith("_deg") else ""
            need = (f"between {c.min:g}{unit} and {c.max:g}{unit}"
                    if math.isfinite(c.min) and math.isfinite(c.max) else
                    f"at least {c.min:g}{unit}" if math.isfinite(c.min) else
                    f"at most {c.max:g}{unit}")
            if getattr(c, "absolute", False):
                need += " either way"
            seen = f"{v:.2g}{unit}" if abs(v) < 10 else f"{v:.0f}{unit}"
            return f"the {_words(metric)} was {seen}, it needs to be {need}"
        return max(self._framing_seen, key=lambda k: self._framing_seen[k])

    def _section(self) -> dict[str, Any]:
        ex = self.exercise
        faults: Counter[str] = Counter()
        for rep in self.reps:
            faults.update(f["category"] for f in rep.faults)
        faults.update(self._faults_frames)
        rom = None
        if ex.rom is not None:
            vals = [r.rom_deg for r in self.reps if math.isfinite(r.rom_deg)]
            if ex.kind == "hold":
                vals = [v for v in (m.get(ex.rom.metric) for m in self._held_frames)
                        if math.isfinite(v)]
            best = (max(vals) if ex.rom.peak == "max" else min(vals)) if vals else math.nan
            rom = {"metric": ex.rom.metric, "peak": ex.rom.peak, "best": _num(best),
                   "mean": _num(float(np.mean(vals))) if vals else None,
                   "target": ex.rom.target,
                   "reached": (sum(1 for r in self.reps if r.rom_reached) if ex.kind == "reps"
                               else bool(vals) and ex.rom.reached_in(best, self._held_view()))}
        hold = None
        if ex.hold is not None and self.timer is not None:
            hold = {"held_s": round(self.timer.held_s, 2), "target_s": ex.hold.target_s,
                    "longest_s": round(self.timer.longest_s, 2),
                    "target_reached": self.timer.held_s >= ex.hold.target_s,
                    "side": self._side(self._held_frames),
                    "pauses": [{"start_s": round(p.start_s, 3), "end_s": round(p.end_s, 3),
                                "reason": p.reason} for p in self.timer.pauses]}
        sides = Counter(r.side for r in self.reps if r.side)
        return {"key": ex.key, "title": ex.title, "kind": ex.kind, "sides_mode": ex.sides,
                "started_s": _num(self.started_at, 3) if self.started_at is not None else None,
                "reps": [r.to_dict() for r in self.reps], "partial_reps": self.partial_reps,
                "reps_by_side": dict(sides), "hold": hold, "rom": rom,
                "faults": dict(faults), "not_judged": self._not_judged()}

    def _summary(self, section: Mapping[str, Any]) -> dict[str, Any]:
        ex = self.exercise
        tm = self._time
        score: int | None
        verdict: str | None = None
        if ex.kind == "reps":
            judged = [r.score for r in self.reps if r.score is not None]
            score = round(float(np.mean(judged))) if judged else None
            basis = (f"mean form score of the {len(judged)} judged rep(s) of {len(self.reps)}"
                     if judged else "no rep could be judged (see not_judged)")
            verdicts = [r.verdict for r in self.reps]
            if verdicts:
                verdict = ("faulty" if "faulty" in verdicts else
                           "not_judged" if all(v == "not_judged" for v in verdicts) else
                           "good" if all(v == "good" for v in verdicts) else "partly_judged")
        else:
            hold = section["hold"]
            held, target = hold["held_s"], hold["target_s"]
            score = round(100.0 * min(held / target, 1.0)) if self.started_at is not None \
                else None
            basis = ("share of the target hold time held in good form" if score is not None
                     else "the start position was never recognised (see not_judged)")
        return {
            "score": score, "score_basis": basis, "verdict": verdict,
            "not_judged": section["not_judged"],
            "time_s_by_severity": {k: round(tm[k], 3) for k in ("ok", "caution", "poor")},
            "time_s_not_measurable": round(tm["n/a"], 3),
            "activity_mode": ACTIVITY, "exercise": ex.key,
            "activity_segments": [],
            "rep_count": len(self.reps),
            "hold_s": section["hold"]["held_s"] if section["hold"] else None,
            "cues": [{"t": round(ct, 3), "cue": text} for ct, _, text in self.cues.history],
            "frames": self._frames,
        }


def exercise_assessor_factory(key: str) -> Any:
    """An ``assessor_factory`` for ``posture.pipeline.analyze_video`` (options unused)."""
    exercise = get_exercise(key)  # an unknown key fails now, before any video work

    def make(_options: Any) -> ExerciseAssessor:
        return ExerciseAssessor(exercise)

    return make
