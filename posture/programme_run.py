"""Today's programme, step by step: set-up check → set k of n → rest → next exercise → done.

The patient's page feeds :class:`ProgrammeRunner` one :class:`ExerciseSample` per
analysed frame with the frame's time (the runner never reads the clock), so a
scripted sequence of samples always gives the same sets, words and results. The
runner decides when the camera sees what the exercise needs, when a set is
complete (reps reached, or hold seconds reached — a hold only counts while the
person is in view and in position), when a rest is over, and what to say. It
records one :class:`SetResult` per prescribed set (skipped and unreached sets
included), which is what adherence is computed from.

A prescription done on "each" side (``side = "each"``: "8 bird-dogs a side") is
walked as a left set then a right set for every prescribed set, each recorded with
its side. When the exercise assessor knows which side a rep was done on (the
``*_side`` metrics, e.g. the reaching leg of a bird-dog), a rep on the other side
is not counted: the runner says so instead.

Counting reps and timing holds is the exercise assessor's job
(``posture.exercises``); the runner only takes the increase of its counters
during a set, so an assessor that is replaced between exercises (counters back
at 0) is handled the same as one that keeps counting.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

SETUP_READY_S = 2.0  # in view and framed this long before set 1 starts (default to calibrate)
WRONG_SIDE_SHOWN_S = 3.0  # the wrong-side sentence stays on screen this long (default to calibrate)
MAX_HOLD_STEP_S = 1.0  # a longer gap between frames never adds to a hold (a stalled camera)
STEP_INTO_VIEW = "Step into view of the camera"
VIEW_WORDS = {"front": "Face the camera", "side_left": "Turn side-on to the camera",
              "side_right": "Turn side-on to the camera"}
#: The sides a prescription's ``side`` walks, in order (None: not one side).
SIDE_SLOTS: Mapping[str, tuple[str | None, ...]] = {
    "each": ("left", "right"), "left": ("left",), "right": ("right",)}
WRONG_SIDE = "That was your {done} side — this set is for your {wanted} side"


@dataclass(frozen=True)
class PlannedExercise:
    """One prescribed exercise as the runner walks it (from a programme's prescription)."""

    key: str
    title: str
    kind: str  # "reps" | "hold"
    sets: int
    target: float  # reps per set, or seconds per hold
    rest_s: float = 30.0
    rom_target_deg: float | None = None
    side: str | None = None
    setup_cue: str = ""
    views: frozenset[str] = frozenset()  # camera views the exercise is judged in (empty: any)
    notes: str = ""
    rom_peak: str = "max"  # "min": a smaller value is more range (wall sit, split squat, …)
    rom_fault: str = ""  # the library's fault category for a range short of its own target
    rom_margin: float = 0.0  # the library's measuring margin (``Rom.margin``)

    def short_of_target(self, rom: float, margin: float | None = None) -> bool:
        """A rep's range fell short of this prescription's target (its ``rom_peak`` way) by
        more than the metric's measuring margin, as the assessor judges it: ``margin`` is
        the rep's own (its view's, ``Rom.margin_in``), else the library's side-on one."""
        if self.rom_target_deg is None:
            return False
        m = self.rom_margin if margin is None else margin
        if self.rom_peak == "min":
            return rom > self.rom_target_deg + m
        return rom < self.rom_target_deg - m

    @property
    def sides(self) -> tuple[str | None, ...]:
        """The side of each set within one prescribed set: (left, right) for "each"."""
        return SIDE_SLOTS.get(self.side or "", (None,))

    @property
    def slots(self) -> int:
        """Sets to do in all: every prescribed set once per side."""
        return self.sets * len(self.sides)

    def slot(self, k: int) -> tuple[int, str | None]:
        """(set number, side) of the ``k``-th set done (1-based)."""
        n = len(self.sides)
        return (k - 1) // n + 1, self.sides[(k - 1) % n]

    def set_words(self, k: int) -> str:
        """'Set 1 of 2' or 'Set 1 of 2, left side' for the ``k``-th set done."""
        number, side = self.slot(k)
        return f"Set {number} of {self.sets}" + (f", {side} side" if side else "")

    def better(self, a: float | None, b: float | None) -> float | None:
        """The better of two ROM readings for this exercise (None when neither exists)."""
        if a is None or b is None:
            return b if a is None else a
        return min(a, b) if self.rom_peak == "min" else max(a, b)

    @property
    def is_hold(self) -> bool:
        return self.kind == "hold"

    def target_text(self) -> str:
        """'10 reps' or 'hold 30 s' (the words a patient reads for one set)."""
        if self.is_hold:
            return f"hold {self.target:g} s"
        n = int(self.target)
        return f"{n} rep" if n == 1 else f"{n} reps"


@dataclass(frozen=True)
class ExerciseSample:
    """What the runner needs from one analysed frame (the exercise assessor's reading)."""

    detected: bool = False
    view: str = "unknown"
    framing: str | None = None  # what to change in the camera or body position; None: fine
    reps: int = 0  # reps finished since this exercise's assessor started
    hold_s: float = 0.0  # seconds held in position since it started (its timer)
    holding: bool = False  # in the target position now
    rom_deg: float | None = None  # ROM of the last rep (reps) / reached now (holds)
    rom_margin: float | None = None  # that rep's measuring margin in its view (None: the file's)
    cue: str | None = None  # the one form cue to show now
    # Form faults: of the last finished rep (reps, counted once per rep) or present now
    # (holds, counted each time one appears).
    faults: tuple[str, ...] = ()
    rep_side: str | None = None  # the side of the last finished rep, when the assessor knows


@dataclass(frozen=True)
class SetResult:
    """One prescribed set: what was done (the store's per-set row)."""

    exercise: str
    set_number: int
    kind: str
    target: float
    reps_done: int | None  # None for holds
    hold_s_done: float | None  # None for reps
    rom_deg: float | None  # best ROM in the set
    rom_target_deg: float | None
    faults: Mapping[str, int]  # fault → times it appeared
    met: bool  # the reps / hold target was reached
    skipped: bool = False  # ended by the patient (skip, next exercise, finish) or never begun
    started_s: float | None = None
    ended_s: float | None = None
    rom_peak: str = "max"  # which way is more range ("min" for wall sit, split squat, …)
    side: str | None = None  # "left" / "right" for a set of one side; None: not one side
    wrong_side_reps: int = 0  # reps done on the other side (not counted)
    rom_reps: int = 0  # reps whose range was measured
    rom_short: int = 0  # of those, reps short of the prescribed range target

    @property
    def rom_met(self) -> bool | None:
        if self.rom_target_deg is None or self.rom_deg is None:
            return None
        if self.rom_peak == "min":
            return self.rom_deg <= self.rom_target_deg
        return self.rom_deg >= self.rom_target_deg

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "exercise": self.exercise, "set": self.set_number, "kind": self.kind,
            "target": self.target, "reps_done": self.reps_done,
            "hold_s_done": None if self.hold_s_done is None else round(self.hold_s_done, 1),
            "rom_deg": None if self.rom_deg is None else round(self.rom_deg, 1),
            "rom_target_deg": self.rom_target_deg, "rom_met": self.rom_met,
            "faults": dict(self.faults), "met": self.met, "skipped": self.skipped,
            "started_s": None if self.started_s is None else round(self.started_s, 2),
            "ended_s": None if self.ended_s is None else round(self.ended_s, 2),
            "side": self.side}
        if self.wrong_side_reps:
            out["wrong_side_reps"] = self.wrong_side_reps
        return out


@dataclass(frozen=True)
class ExerciseSummary:
    """The end-of-day line for one exercise."""

    key: str
    title: str
    kind: str
    sets_done: int  # sets whose target was reached
    sets: int  # sets to do (every prescribed set once per side)
    done: float  # reps, or hold seconds, over all sets
    prescribed: float  # sets (per side) × target
    rom_best_deg: float | None
    rom_target_deg: float | None
    tips: tuple[str, ...]  # the most frequent form faults, most frequent first
    by_side: tuple[tuple[str, int, int], ...] = ()  # (side, sets met, sets) per side
    rom_fault: str = ""  # the fault category of a range short of the target (the library's)
    rom_reps: int = 0  # reps whose range was measured
    rom_short: int = 0  # of those, reps short of the prescribed range target

    def rom_short_text(self) -> str:
        """'4 of 8 reps short of the target range' ('' when none was measured)."""
        if not self.rom_reps or self.kind == "hold":
            return ""
        if not self.rom_short:
            return f"all {self.rom_reps} reps reached the target range"
        return f"{self.rom_short} of {self.rom_reps} reps short of the target range"

    def tip_keys(self) -> tuple[str, ...]:
        """The tips to show: the range fault only when a rep fell short of *this* target.

        The library flags a short range against its own target; the prescription may set
        another, so the count of short reps decides (a best range above the target next
        to "Not quite far enough" would read as a contradiction).
        """
        if self.kind == "hold" or not self.rom_fault or not self.rom_reps:
            return self.tips
        return tuple(t for t in self.tips if t != self.rom_fault or self.rom_short)

    def sets_text(self) -> str:
        """'3 of 4' or '3 of 4 (left 2 of 2, right 1 of 2)'."""
        text = f"{self.sets_done} of {self.sets}"
        if self.by_side:
            text += " (" + ", ".join(f"{s} {m} of {n}" for s, m, n in self.by_side) + ")"
        return text


@dataclass(frozen=True)
class RunnerState:
    """Everything the page shows and says about the runner now."""

    phase: str  # "setup" | "set" | "rest" | "done"
    exercise: PlannedExercise | None
    exercise_index: int
    set_number: int  # 1-based; 0 when done
    done: float  # reps or hold seconds in this set
    headline: str  # the one large line
    say: str | None  # the newest thing to say out loud
    say_seq: int  # changes with every new thing to say (speak once)
    cue: str | None = None  # the form cue now (sets only)
    camera: str | None = None  # what to change so the camera sees the exercise
    paused: bool = False  # a hold whose timer is paused (out of view or out of position)
    rest_left_s: float = 0.0
    next_title: str | None = None  # the next exercise, during the rest before it
    side: str | None = None  # the side of this set (a prescription done on each side)


@dataclass
class _SetTally:
    started_s: float
    reps: int = 0
    hold_s: float = 0.0
    rom: float | None = None
    faults: Counter[str] = field(default_factory=Counter)
    wrong_side: int = 0
    rom_reps: int = 0
    rom_short: int = 0


class ProgrammeRunner:
    """The day's steps as a small state machine; see the module docstring."""

    def __init__(self, plan: Sequence[PlannedExercise], setup_ready_s: float = SETUP_READY_S
                 ) -> None:
        self.plan = tuple(p for p in plan if p.sets > 0)
        self.setup_ready_s = setup_ready_s
        self.results: list[SetResult] = []
        self.phase = "setup" if self.plan else "done"
        self.index = 0
        self.slot = 1  # the set being done within the exercise, sides counted apart
        self.t = 0.0
        self._say: str | None = None
        self._say_seq = 0
        self._fresh_words = True
        self._ready_since: float | None = None
        self._rest_end = 0.0
        self._tally: _SetTally | None = None
        self._last: ExerciseSample | None = None
        self._last_t: float | None = None
        self._paused = False
        self._cue: str | None = None
        self._side_note: tuple[str, float] | None = None  # (sentence, shown until t)
        self._camera: str | None = None
        if self.plan:
            self._announce(self._setup_words())
        else:
            self._announce("Nothing is prescribed for today")

    # ------------------------------------------------------------------ reading
    @property
    def exercise(self) -> PlannedExercise | None:
        return self.plan[self.index] if self.phase != "done" else None

    @property
    def finished(self) -> bool:
        return self.phase == "done"

    @property
    def set_number(self) -> int:
        """The prescribed set being done (1-based; both sides of "each" share it)."""
        return self.plan[self.index].slot(self.slot)[0] if self.plan else 0

    @property
    def side(self) -> str | None:
        """The side of the set being done (None: not a set of one side)."""
        ex = self.exercise
        return ex.slot(self.slot)[1] if ex is not None else None

    def state(self) -> RunnerState:
        ex = self.exercise
        done = 0.0
        if self._tally is not None and ex is not None:
            done = self._tally.hold_s if ex.is_hold else float(self._tally.reps)
        rest_left = max(self._rest_end - self.t, 0.0) if self.phase == "rest" else 0.0
        nxt = None
        if self.phase == "rest" and self._rest_leads_to_next():
            nxt = self.plan[self.index + 1].title
        return RunnerState(
            phase=self.phase, exercise=ex, exercise_index=self.index,
            set_number=self.set_number if ex is not None else 0, done=done,
            headline=self._headline(ex, done, rest_left, nxt), say=self._say,
            say_seq=self._say_seq, cue=self._cue if self.phase == "set" else None,
            camera=self._camera if self.phase in ("setup", "set") else None,
            paused=self._paused and self.phase == "set", rest_left_s=rest_left, next_title=nxt,
            side=self.side)

    def _headline(self, ex: PlannedExercise | None, done: float, rest_left: float,
                  nxt: str | None) -> str:
        if ex is None:
            return "Well done — today's programme is finished"
        if self.phase == "setup":
            return ex.setup_cue or f"Get ready for {ex.title.lower()}"
        if self.phase == "rest":
            tail = (f" · Next: {nxt}" if nxt else
                    f" · then {ex.set_words(self.slot + 1)[:1].lower()}"
                    f"{ex.set_words(self.slot + 1)[1:]}")
            return f"Rest {math.ceil(rest_left - 1e-6):.0f} s{tail}"
        head = ex.set_words(self.slot)
        if ex.is_hold:
            return f"{head} — {done:.0f} of {ex.target:g} s"
        return f"{head} — {int(done)} of {int(ex.target)} reps"

    # ------------------------------------------------------------------ feeding
    def update(self, sample: ExerciseSample, t: float) -> RunnerState:
        """One analysed frame at session time ``t`` (seconds, increasing)."""
        prev, prev_t = self._last, self._last_t
        self._last, self._last_t, self.t = sample, t, max(t, self.t)
        self._fresh_words = True
        if self.phase == "done":
            return self.state()
        reps_up, hold_up = self._increments(prev, prev_t, sample, t)
        self._camera = self._camera_problem(sample)
        if self.phase == "setup":
            self._setup_step(t)
        elif self.phase == "rest":
            if t >= self._rest_end - 1e-6:
                self._end_rest(t)
        elif self.phase == "set":
            self._set_step(sample, t, reps_up, hold_up, prev)
        return self.state()

    def _increments(self, prev: ExerciseSample | None, prev_t: float | None,
                    s: ExerciseSample, t: float) -> tuple[int, float]:
        """How much the assessor's counters rose since the last frame (a reset counts from 0)."""
        if prev is None:
            return 0, 0.0
        reps = s.reps - prev.reps if s.reps >= prev.reps else s.reps
        hold = s.hold_s - prev.hold_s if s.hold_s >= prev.hold_s else s.hold_s
        step = t - prev_t if prev_t is not None else 0.0
        # Leaving the view or the position pauses the hold, whatever the timer says.
        if not (s.detected and s.holding) or step > MAX_HOLD_STEP_S:
            hold = 0.0
        return max(reps, 0), max(min(hold, max(step, 0.0)), 0.0)

    def _camera_problem(self, s: ExerciseSample) -> str | None:
        ex = self.exercise
        if not s.detected:
            return STEP_INTO_VIEW
        if s.framing:
            return s.framing
        if ex is not None and ex.views and s.view not in ex.views:
            wanted = sorted(ex.views)
            return VIEW_WORDS.get(wanted[0], "Turn so the camera sees you side-on")
        return None

    def _setup_step(self, t: float) -> None:
        if self._camera is not None:
            self._ready_since = None
            return
        if self._ready_since is None:
            self._ready_since = t
        if t - self._ready_since >= self.setup_ready_s - 1e-6:
            self._begin_set(t)

    def _set_step(self, s: ExerciseSample, t: float, reps_up: int, hold_up: float,
                  prev: ExerciseSample | None) -> None:
        ex, tally = self.plan[self.index], self._tally
        assert tally is not None
        if ex.is_hold and (s.holding or (prev is not None and prev.holding)):
            # A hold's fault counts each time it appears in (or breaks) the hold; out of
            # position (standing up before a plank) nothing is judged.
            for fault in s.faults:
                if prev is None or fault not in prev.faults:
                    tally.faults[fault] += 1
        self._cue = s.cue
        if not s.cue and self._side_note is not None and t < self._side_note[1]:
            self._cue = self._side_note[0]  # a wrong-side rep stays said for a moment
        said = False
        if ex.is_hold:
            paused = self._camera is not None or not s.holding
            if s.holding and s.rom_deg is not None and self._camera is None:
                tally.rom = ex.better(tally.rom, s.rom_deg)
            if paused != self._paused and tally.hold_s > 0:
                why = self._camera or "Get back into position"
                self._announce(f"Timer paused — {why[:1].lower()}{why[1:]}" if paused
                               else "Hold")
                said = True
            self._paused = paused
            tally.hold_s += hold_up
        elif reps_up and self._wrong_side(s):
            tally.wrong_side += reps_up
            self._cue = WRONG_SIDE.format(done=s.rep_side, wanted=self.side)
            self._side_note = (self._cue, t + WRONG_SIDE_SHOWN_S)
            self._announce(self._cue)
            said = True
        elif reps_up:
            tally.reps += reps_up
            tally.faults.update(self._rep_faults(ex, s))
            if s.rom_deg is not None:
                tally.rom = ex.better(tally.rom, s.rom_deg)
                tally.rom_reps += reps_up
                tally.rom_short += reps_up if ex.short_of_target(s.rom_deg, s.rom_margin) else 0
            self._announce(str(min(tally.reps, int(ex.target))))
            said = True
        if self._target_reached(ex, tally):
            self._complete_set(t, met=True)
        elif not said and s.cue and s.cue != (prev.cue if prev is not None else None):
            self._announce(s.cue)

    def _wrong_side(self, s: ExerciseSample) -> bool:
        """The rep just finished was on the other side than this set's (when both are known)."""
        return self.side is not None and s.rep_side is not None and s.rep_side != self.side

    @staticmethod
    def _target_reached(ex: PlannedExercise, tally: _SetTally) -> bool:
        if ex.is_hold:
            return tally.hold_s >= ex.target - 1e-6
        return tally.reps >= int(ex.target)

    # ------------------------------------------------------------------ the patient's buttons
    def skip_set(self, t: float) -> RunnerState:
        """End the set now (recorded as skipped) or, during a rest, end the rest."""
        self.t = max(t, self.t)
        self._fresh_words = True
        if self.phase == "rest":
            self._end_rest(t)
        elif self.phase == "setup":
            self._record(t, met=False, skipped=True, tally=_SetTally(t))
            self._advance(t, rest=False)
        elif self.phase == "set":
            self._complete_set(t, met=False, skipped=True)
        return self.state()

    def next_exercise(self, t: float) -> RunnerState:
        """Leave this exercise: its remaining sets are recorded as skipped."""
        self.t = max(t, self.t)
        self._fresh_words = True
        if self.phase == "done":
            return self.state()
        if self.phase == "rest" and self._rest_leads_to_next():
            self._end_rest(t)
            return self.state()
        self._skip_rest_of_exercise(t)
        self._next_exercise_setup(t)
        return self.state()

    def finish(self, t: float) -> RunnerState:
        """Finish early: every set not done is recorded as skipped."""
        self.t = max(t, self.t)
        self._fresh_words = True
        while self.phase != "done":
            if self.phase == "rest" and self._rest_leads_to_next():
                self.index += 1
                self.slot = 1
                self.phase = "setup"
                continue
            self._skip_rest_of_exercise(t)
            if self.index + 1 >= len(self.plan):
                break
            self.index += 1
            self.slot = 1
            self.phase = "setup"
        self._done()
        return self.state()

    # ------------------------------------------------------------------ steps
    def _begin_set(self, t: float) -> None:
        ex = self.plan[self.index]
        self.phase = "set"
        self._tally = _SetTally(started_s=t)
        self._paused = False
        self._cue = None
        self._side_note = None
        self._announce(f"{ex.set_words(self.slot)} — {ex.target_text()}")

    @staticmethod
    def _rep_faults(ex: PlannedExercise, s: ExerciseSample) -> list[str]:
        """A rep's faults, once per rep. A short range is judged against the therapist's
        target, not the library's, so a rep that met the prescription is not saved (and
        shown in History) as short."""
        faults = [f for f in s.faults if not ex.rom_fault or f != ex.rom_fault]
        if ex.rom_fault and s.rom_deg is not None and ex.short_of_target(s.rom_deg,
                                                                           s.rom_margin):
            faults.append(ex.rom_fault)
        elif ex.rom_fault and s.rom_deg is None and ex.rom_fault in s.faults:
            faults.append(ex.rom_fault)  # no range measured: keep the assessor's word
        return faults

    def _complete_set(self, t: float, met: bool, skipped: bool = False) -> None:
        self._record(t, met=met, skipped=skipped)
        self._advance(t, rest=not skipped)

    def _record(self, t: float, met: bool, skipped: bool, tally: _SetTally | None = None
                ) -> None:
        ex = self.plan[self.index]
        tally = tally or self._tally or _SetTally(t)
        number, side = ex.slot(self.slot)
        self.results.append(SetResult(
            exercise=ex.key, set_number=number, kind=ex.kind, target=ex.target,
            reps_done=None if ex.is_hold else tally.reps,
            hold_s_done=tally.hold_s if ex.is_hold else None, rom_deg=tally.rom,
            rom_target_deg=ex.rom_target_deg, faults=dict(tally.faults), met=met,
            skipped=skipped, started_s=tally.started_s if self._tally is tally else None,
            ended_s=t, rom_peak=ex.rom_peak, side=side, wrong_side_reps=tally.wrong_side,
            rom_reps=tally.rom_reps, rom_short=tally.rom_short))
        self._tally = None

    def _advance(self, t: float, rest: bool) -> None:
        """After set k: rest then set k+1, rest then the next exercise, or done."""
        ex = self.plan[self.index]
        last_set = self.slot >= ex.slots
        last_exercise = self.index + 1 >= len(self.plan)
        if last_set and last_exercise:
            self._done()
            return
        if rest and ex.rest_s > 0:
            self.phase = "rest"
            self._rest_end = t + ex.rest_s
            self._paused = False
            words = f"Rest {ex.rest_s:g} s"
            if last_set:
                words += f". Next: {self.plan[self.index + 1].title}"
            self._announce(words)
            return
        self._leave_rest(t, was_setup=self.phase == "setup")

    def _rest_leads_to_next(self) -> bool:
        return self.slot >= self.plan[self.index].slots

    def _end_rest(self, t: float) -> None:
        self._leave_rest(t, was_setup=False)

    def _leave_rest(self, t: float, was_setup: bool) -> None:
        if self._rest_leads_to_next():
            self._next_exercise_setup(t)
            return
        self.slot += 1
        if was_setup:  # the camera check is still to pass
            self.phase = "setup"
            self._ready_since = None
            self._announce(self._setup_words())
        else:
            self._begin_set(t)

    def _skip_rest_of_exercise(self, t: float) -> None:
        ex = self.plan[self.index]
        if self.phase in ("setup", "set"):
            self._record(t, met=False, skipped=True)
        elif self.phase == "rest":
            pass  # the set before the rest is recorded already
        for n in range(self.slot + 1, ex.slots + 1):
            self.slot = n
            self._record(t, met=False, skipped=True, tally=_SetTally(t))

    def _next_exercise_setup(self, t: float) -> None:
        if self.index + 1 >= len(self.plan):
            self._done()
            return
        self.index += 1
        self.slot = 1
        self.phase = "setup"
        self._ready_since = None
        self._tally = None
        self._announce(self._setup_words())

    def _done(self) -> None:
        self.phase = "done"
        self._tally = None
        self._announce("Well done — today's programme is finished")

    def _setup_words(self) -> str:
        ex = self.plan[self.index]
        side = ex.slot(self.slot)[1]
        words = f"{ex.title}" + (f", {side} side" if side else "")
        if ex.setup_cue:
            words += f". {ex.setup_cue}"
        return words

    def _announce(self, text: str) -> None:
        """Say ``text`` next; a second thing in the same frame joins the first ("10. Rest")."""
        if not self._fresh_words and self._say:
            self._say = f"{self._say}. {text}"
            return
        self._fresh_words = False
        self._say = text
        self._say_seq += 1

    # ------------------------------------------------------------------ the day's results
    def summary(self) -> tuple[ExerciseSummary, ...]:
        out = []
        for ex in self.plan:
            rows = [r for r in self.results if r.exercise == ex.key]
            done = sum((r.hold_s_done or 0.0) if ex.is_hold else (r.reps_done or 0)
                       for r in rows)
            roms = [r.rom_deg for r in rows if r.rom_deg is not None]
            faults: Counter[str] = Counter()
            for r in rows:
                faults.update(r.faults)
            by_side = tuple((side, sum(r.met for r in rows if r.side == side), ex.sets)
                            for side in ex.sides if side is not None)
            out.append(ExerciseSummary(
                key=ex.key, title=ex.title, kind=ex.kind, sets_done=sum(r.met for r in rows),
                sets=ex.slots, done=float(done), prescribed=float(ex.slots * ex.target),
                rom_best_deg=(min(roms) if ex.rom_peak == "min" else max(roms)) if roms else None,
                rom_target_deg=ex.rom_target_deg,
                tips=tuple(f for f, _ in faults.most_common(3)), by_side=by_side,
                rom_fault=ex.rom_fault, rom_reps=sum(r.rom_reps for r in rows),
                rom_short=sum(r.rom_short for r in rows)))
        return tuple(out)

    def adherence(self) -> float:
        """Share of prescribed sets whose target was reached (0–1); each side is a set."""
        total = sum(ex.slots for ex in self.plan)
        return sum(r.met for r in self.results) / total if total else 0.0


def plan_from(prescriptions: Sequence[Any], library: Mapping[str, Any]) -> tuple[
        PlannedExercise, ...]:
    """The runner's plan from a programme's prescriptions and the exercise library.

    Reads the records by attribute (``exercise`` or ``key``, ``sets``, ``reps`` or
    ``hold_s``, ``rest_s``, ``rom_target_deg``, ``side``, ``notes``) and the exercise's
    title, kind, set-up cue, views and default ROM target from the library.
    """
    out = []
    for p in prescriptions:
        key = str(_attr(p, "exercise", "key", "exercise_key"))
        ex = library.get(key)
        kind = str(_attr(ex, "kind", default=None) or
                   ("hold" if _attr(p, "hold_s", default=None) else "reps"))
        target = _attr(p, "hold_s", default=None) if kind == "hold" else _attr(
            p, "reps", default=None)
        if target is None:
            target = _attr(ex, "default_hold_s" if kind == "hold" else "default_reps",
                           default=30 if kind == "hold" else 10)
        views = _attr(ex, "views", default=()) or ()
        out.append(PlannedExercise(
            key=key, title=str(_attr(ex, "title", default=None) or key.replace("_", " ")
                               .capitalize()),
            kind=kind, sets=int(_attr(p, "sets", default=1) or 1), target=float(target),
            rest_s=float(_attr(p, "rest_s", default=30.0) or 0.0),
            rom_target_deg=_prescribed_or(
                _float_or_none(_attr(p, "rom_target_deg", default=None)),
                _float_or_none(_attr(_attr(ex, "rom", default=None), "target", default=None))),
            side=_attr(p, "side", default=None),
            setup_cue=str(_attr(ex, "setup_cue", "setup", "set_up_cue", default="") or ""),
            views=frozenset(str(v) for v in views), notes=str(_attr(p, "notes", default="")
                                                               or ""),
            rom_peak=str(_attr(_attr(ex, "rom", default=None), "peak", default="max") or "max"),
            rom_fault=str(_attr(_attr(ex, "rom", default=None), "category", default="") or ""),
            rom_margin=_float_or_none(_attr(_attr(ex, "rom", default=None), "margin",
                                            default=None)) or 0.0))
    return tuple(out)


def _attr(obj: Any, *names: str, default: Any = ...) -> Any:
    for name in names:
        if obj is None:
            break
        if isinstance(obj, Mapping) and name in obj:
            return obj[name]
        if hasattr(obj, name):
            return getattr(obj, name)
    if default is ...:
        raise AttributeError(f"no {' / '.join(names)} on {obj!r}")
    return default


def _prescribed_or(prescribed: float | None, default: float | None) -> float | None:
    """The therapist's value where given (0° is a real target: "level"), else the library's."""
    return default if prescribed is None else prescribed


def _float_or_none(value: Any) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def sample_from_assessor(assessor: Any, a: Any) -> ExerciseSample:
    """The runner's reading of one frame from a ``posture.exercises`` exercise assessor.

    Called right after ``assessor.update`` (on the frame's thread), so the rep count,
    the hold timer and the last rep are this frame's. Counts, "Hold — 10 s" and set-up
    lines are the runner's to say; only form cues pass on as ``cue``.
    """
    reps = list(getattr(assessor, "reps", ()) or ())
    last = reps[-1] if reps else None
    ex = getattr(assessor, "exercise", None)
    rules = tuple(getattr(ex, "rules", ()) or ())
    status = dict(getattr(a, "status", {}) or {})
    timer = getattr(assessor, "timer", None)
    rep_side = None
    rom_margin: float | None = None
    if getattr(ex, "kind", "reps") == "hold":
        faults = tuple(r.category for r in rules if status.get(r.id) in ("caution", "poor"))
        rom = (_float_or_none(getattr(assessor, "held_rom", None))
               if getattr(a, "rep_phase", "") == "hold" else None)
    else:
        faults = tuple(str(f.get("category", "")) for f in getattr(last, "faults", ()) or ())
        rom = _float_or_none(getattr(last, "rom_deg", None))
        rom_margin = _float_or_none(getattr(last, "rom_margin_deg", None))
        side = getattr(last, "side", None)
        rep_side = str(side) if side in ("left", "right") else None
    view = str(getattr(a, "view", "unknown") or "unknown")
    return ExerciseSample(
        detected=view != "unknown", view=view, framing=getattr(a, "framing", None),
        reps=len(reps), hold_s=float(getattr(timer, "held_s", 0.0) or 0.0),
        holding=getattr(a, "rep_phase", "") == "hold", rom_deg=rom, rom_margin=rom_margin,
        cue=_form_cue(assessor, a, {r.id for r in rules}), faults=faults,
        rep_side=rep_side)


def _form_cue(assessor: Any, a: Any, rule_ids: set[str]) -> str | None:
    """The assessor's cue when it is about form: a rule's cue, or a rep's ("3 — Hips up")."""
    text = getattr(a, "cue", None)
    history = getattr(getattr(assessor, "cues", None), "history", None) or ()
    if not text or not history or history[-1][2] != text:
        return None
    key = history[-1][1]
    if key in rule_ids:
        return str(text)
    if key == "rep" and " — " in text:
        return str(text).split(" — ", 1)[1]
    return None
