"""Progress on a home exercise programme, from the workouts stored in the history.

Pure functions over :class:`posture.store.ProgrammeSession` rows (no Streamlit, no
clock: "today" is passed in), so the History page, the printable report and the
therapist's export all read the same numbers:

* adherence per ISO week — workouts done vs the programme's ``times_per_week``; a
  partial workout counts as the share of its prescribed sets whose target was met,
  and one calendar day counts at most once (two short goes on one day are one workout);
* reps and hold seconds done vs prescribed, per exercise;
* range of motion per exercise per day (best and mean of the sets) with its target;
* form faults per exercise per day.

:func:`export_csv` writes one row per set; :func:`export_json` writes the programme
and every workout with a format version, which :func:`import_progress` reads back
(checking it, with one sentence per problem) in the clinic. :func:`progress_report_html`
is a self-contained printable page (inline CSS and SVG, nothing fetched).
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from posture.errors import PostureError
from posture.exercises.words import library_rom, rom_words
from posture.printable import REPORT_CSS
from posture.programme import (
    CONTRACT_KINDS,
    Programme,
    ProgrammeError,
    exercise_titles,
    programme_from_dict,
)
from posture.store import RECORDING_SOURCE, ProgrammeSession

EXPORT_FORMAT = "posture-progress"
EXPORT_VERSION = 1
#: A workout whose share of sets met reaches this counts as full (rounding of 1.0).
FULL = 0.999
CSV_COLUMNS = ("day", "iso_week", "programme_id", "programme_title", "workout_id", "exercise",
               "set", "kind", "target", "reps_done", "hold_s_done", "rom_best_deg",
               "rom_mean_deg", "rom_target_deg", "met", "skipped", "faults", "side")
#: The sides of a set done on one side (``side`` of a stored set; None: not one side).
SET_SIDES = ("left", "right")


class ProgressError(PostureError, ValueError):
    """A progress file that cannot be imported; ``str()`` is the first problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems) or ("The progress file could not be read.",)
        super().__init__(self.problems[0])


# ---------------------------------------------------------------------------- records
@dataclass(frozen=True)
class WeekAdherence:
    """One ISO week: workouts done (partial ones as a share) vs prescribed."""

    week: str  # "2026-W09"
    monday: date
    done: float  # workouts, a partial one counted as its share of sets met
    full: int  # days with every prescribed set met
    partial: int  # days with some but not all sets met
    prescribed: int  # times_per_week

    @property
    def adherence(self) -> float:
        """Share of the week's prescribed workouts done (0–1; extra workouts do not count)."""
        return min(self.done / self.prescribed, 1.0) if self.prescribed else 0.0


@dataclass(frozen=True)
class RomDay:
    """An exercise's range of motion on one day: best and mean over its sets."""

    day: date
    best: float | None
    mean: float | None
    target: float | None


@dataclass(frozen=True)
class ExerciseProgress:
    """One exercise over the period: volume done vs prescribed, ROM by day, faults."""

    key: str
    title: str
    kind: str  # "reps" | "hold"
    sets_met: int
    sets_prescribed: int  # sets prescribed in the workouts done
    done: float  # reps, or hold seconds
    prescribed: float  # reps or hold seconds prescribed in the workouts done
    rom_target: float | None
    rom: tuple[RomDay, ...]
    faults: Mapping[str, int]  # category → count over the period
    faults_by_day: tuple[tuple[date, Mapping[str, int]], ...]
    rom_peak: str = "max"  # "min": a smaller range is better (a deeper bend)
    #: (side, sets met, sets prescribed) for a prescription done on one side or each side.
    by_side: tuple[tuple[str, int, int], ...] = ()

    def sets_text(self) -> str:
        """'5 of 6' or '5 of 8 (left 3 of 4, right 2 of 4)'."""
        text = f"{self.sets_met} of {self.sets_prescribed}"
        if self.by_side:
            text += " (" + ", ".join(f"{s} {m} of {n}" for s, m, n in self.by_side) + ")"
        return text

    @property
    def unit(self) -> str:
        return "s" if self.kind == "hold" else "reps"

    @property
    def share_done(self) -> float | None:
        return self.done / self.prescribed if self.prescribed else None


@dataclass(frozen=True)
class ProgressSummary:
    """Everything the progress report shows, computed once."""

    title: str
    programme: Programme | None
    start: date | None
    end: date | None
    days_done: int  # calendar days with a workout
    weeks: tuple[WeekAdherence, ...]
    exercises: tuple[ExerciseProgress, ...]
    times_per_week: int | None
    counted_from: date | None = None  # the day adherence is counted from (see adherence_start)

    @property
    def adherence(self) -> float | None:
        """Over the whole period: workouts done / prescribed (each week capped at 100%)."""
        total = sum(w.prescribed for w in self.weeks)
        if not total:
            return None
        return sum(min(w.done, w.prescribed) for w in self.weeks) / total


@dataclass(frozen=True)
class ProgressImport:
    """A therapist's import of a patient's export."""

    programme: Programme | None
    sessions: tuple[ProgrammeSession, ...]
    exported_at: str = ""
    warnings: tuple[str, ...] = field(default=())


# ---------------------------------------------------------------------------- computing
def iso_week(day: date) -> str:
    y, w, _ = day.isocalendar()
    return f"{y}-W{w:02d}"


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _programme_of(s: ProgrammeSession, fallback: Programme | None) -> Programme | None:
    return s.programme or fallback


def session_share(s: ProgrammeSession, programme: Programme | None = None) -> float:
    """Share (0–1) of the workout's prescribed sets whose target was met.

    Prescribed sets come from the workout's own copy of the programme (else
    ``programme``, else the sets recorded).
    """
    p = _programme_of(s, programme)
    prescribed = p.sets_per_session() if p is not None else len(s.sets)
    if not prescribed:
        return 0.0
    return min(sum(1 for x in s.sets if x.get("met")) / prescribed, 1.0)


def day_credits(sessions: Iterable[ProgrammeSession], programme: Programme | None = None
                ) -> dict[date, float]:
    """Each day's workout credit: the shares of its workouts summed, at most 1."""
    out: dict[date, float] = {}
    for s in sessions:
        out[s.day] = min(out.get(s.day, 0.0) + session_share(s, programme), 1.0)
    return out


def adherence_start(programme: Programme | None, set_up: date | None,
                    sessions: Sequence[ProgrammeSession] = ()) -> date | None:
    """The day adherence is counted from: when the programme was given to this patient here.

    That is the later of the file's ``created`` date (the therapist may have written it
    months ago — the shipped example is dated 2026-03-02) and ``set_up``, the day it was
    first saved on this computer; weeks before it were never prescribed to this patient.
    A workout recorded earlier still counts (a programme deleted and installed again),
    so the start is never after the first workout.
    """
    created = date.fromisoformat(programme.created) if programme and programme.created else None
    given = max((d for d in (created, set_up) if d is not None), default=None)
    first = min((s.day for s in sessions), default=None)
    if given is None:
        return first
    return min(given, first) if first is not None else given


def workouts_words(full: int, part_done: int, prescribed: int | None = None) -> str:
    """'2 of 3' or '0 of 3 (1 part-done)': whole workouts, never a share a patient cannot
    read ("0.1 of 3"); a part-done workout is named, not added as a fraction."""
    text = f"{full}" + (f" of {prescribed}" if prescribed is not None else "")
    return text + (f" ({part_done} part-done)" if part_done else "")


def weekly_adherence(sessions: Sequence[ProgrammeSession], programme: Programme | None = None,
                     *, start: date | None = None, end: date | None = None
                     ) -> tuple[WeekAdherence, ...]:
    """One row per ISO week from ``start`` to ``end`` (weeks with nothing done included).

    ``start`` defaults to the programme's ``created`` date, else the first workout;
    ``end`` to the last workout (pass today to show the weeks missed since).
    """
    credits = day_credits(sessions, programme)
    tpw = programme.times_per_week if programme is not None else _times_per_week(sessions)
    days = sorted(credits)
    if start is None and programme is not None and programme.created:
        start = min([date.fromisoformat(programme.created), *days[:1]])
    start = start or (days[0] if days else None)
    end = end or (days[-1] if days else None)
    if start is None or end is None or end < start or not tpw:
        return ()
    out = []
    monday = _monday(start)
    while monday <= end:
        week_days = [credits[d] for d in days if monday <= d < monday + timedelta(days=7)]
        out.append(WeekAdherence(
            week=iso_week(monday), monday=monday, done=round(sum(week_days), 4),
            full=sum(1 for c in week_days if c >= FULL),
            partial=sum(1 for c in week_days if 0 < c < FULL), prescribed=tpw))
        monday += timedelta(days=7)
    return tuple(out)


def _times_per_week(sessions: Sequence[ProgrammeSession]) -> int | None:
    for s in reversed(sessions):
        if s.programme is not None:
            return s.programme.times_per_week
    return None


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _num(v: Any) -> float | None:
    if v is None or isinstance(v, bool):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


#: Exercises whose range of motion is better when smaller (the library's ``rom.peak =
#: "min"``: a deeper knee bend, a further lean back); used when the library cannot be read.
MIN_ROM_KEYS = frozenset({"knee_to_chest", "prone_press_up", "split_squat",
                          "standing_back_extension", "wall_sit"})


def rom_directions() -> dict[str, str]:
    """key → "max" | "min": which way a better range of motion goes (the library's)."""
    out = {k: "min" if k in MIN_ROM_KEYS else "max" for k in CONTRACT_KINDS}
    return {**out, **library_rom("peak")}


def exercise_progress(sessions: Sequence[ProgrammeSession], programme: Programme | None = None,
                      titles: Mapping[str, str] | None = None,
                      directions: Mapping[str, str] | None = None
                      ) -> tuple[ExerciseProgress, ...]:
    """Per exercise (in the programme's order, then any others met in the workouts).

    A day's best range is the largest of its sets', or the smallest for exercises whose
    ``directions`` entry is "min".
    """
    titles = titles if titles is not None else exercise_titles()
    directions = directions if directions is not None else rom_directions()
    order: list[str] = [p.exercise for p in programme.prescriptions] if programme else []
    for s in sessions:
        for x in s.sets:
            if x.get("exercise") not in order:
                order.append(str(x.get("exercise")))
    out = []
    for key in order:
        rows = [(s, x) for s in sessions for x in s.sets if x.get("exercise") == key]
        presc = programme.prescription(key) if programme else None
        kind = presc.kind if presc else next((str(x.get("kind")) for _, x in rows), "reps")
        done = sum((_num(x.get("hold_s_done")) if kind == "hold" else _num(x.get("reps_done")))
                   or 0.0 for _, x in rows)
        prescribed = 0.0
        sets_prescribed = 0
        side_prescribed: Counter[str] = Counter()
        for s in sessions:
            p = _programme_of(s, programme)
            sp = p.prescription(key) if p else None
            if sp is not None:
                prescribed += sp.set_count * sp.target
                sets_prescribed += sp.set_count
                for side in SET_SIDES:
                    if sp.side in (side, "each"):
                        side_prescribed[side] += sp.sets
            elif p is None:  # no copy of the programme: the sets recorded are the prescription
                mine = [x for x in s.sets if x.get("exercise") == key]
                sets_prescribed += len(mine)
                prescribed += sum(_num(x.get("target")) or 0.0 for x in mine)
        target = presc.rom_target_deg if presc and presc.rom_target_deg is not None else None
        by_day: dict[date, list[Mapping[str, Any]]] = {}
        for s, x in rows:
            by_day.setdefault(s.day, []).append(x)
        better = min if directions.get(key) == "min" else max
        rom = []
        faults_by_day = []
        total: Counter[str] = Counter()
        for d in sorted(by_day):
            xs = by_day[d]
            best = [v for v in (_num(x.get("rom_deg")) for x in xs) if v is not None]
            means = [v for v in (_num(x.get("rom_mean_deg")) for x in xs) if v is not None]
            day_target = next((t for t in (_num(x.get("rom_target_deg")) for x in reversed(xs))
                               if t is not None), target)
            if best or means:
                rom.append(RomDay(day=d, best=better(best) if best else None,
                                  mean=_mean(means or best), target=day_target))
            day_faults: Counter[str] = Counter()
            for row in xs:
                for cat, n in dict(row.get("faults") or {}).items():
                    day_faults[str(cat)] += int(_num(n) or 0)
            day_faults = +day_faults
            total.update(day_faults)
            if day_faults:
                faults_by_day.append((d, dict(day_faults)))
        if target is None:
            target = next((r.target for r in reversed(rom) if r.target is not None), None)
        out.append(ExerciseProgress(
            key=key, title=titles.get(key, key.replace("_", " ").capitalize()), kind=kind,
            sets_met=sum(1 for _, x in rows if x.get("met")), sets_prescribed=sets_prescribed,
            done=float(done), prescribed=float(prescribed), rom_target=target, rom=tuple(rom),
            faults=dict(total.most_common()), faults_by_day=tuple(faults_by_day),
            rom_peak="min" if better is min else "max",
            by_side=_by_side([x for _, x in rows], side_prescribed)))
    return tuple(out)


def _by_side(rows: Sequence[Mapping[str, Any]], prescribed: Mapping[str, int]
             ) -> tuple[tuple[str, int, int], ...]:
    """(side, sets met, sets prescribed) for each side that was prescribed or recorded."""
    out = []
    for side in SET_SIDES:
        mine = [x for x in rows if x.get("side") == side]
        if mine or prescribed.get(side):
            out.append((side, sum(1 for x in mine if x.get("met")),
                        max(prescribed.get(side, 0), len(mine))))
    return tuple(out)


def summarise(sessions: Sequence[ProgrammeSession], programme: Programme | None = None, *,
              start: date | None = None, end: date | None = None,
              titles: Mapping[str, str] | None = None,
              directions: Mapping[str, str] | None = None,
              set_up: date | None = None) -> ProgressSummary:
    """The whole progress picture of one programme's workouts (see module docstring).

    Without ``start``, adherence counts from :func:`adherence_start` (``set_up``: the day
    the programme was first saved on this computer, when known).
    """
    sessions = sorted(sessions, key=lambda s: (s.day, s.started_at, s.id))
    if programme is None:
        programme = next((s.programme for s in reversed(sessions) if s.programme), None)
    if start is None:
        start = adherence_start(programme, set_up, sessions)
    weeks = weekly_adherence(sessions, programme, start=start, end=end)
    title = programme.title if programme else next(
        (s.programme_title for s in sessions if s.programme_title), "Home exercise programme")
    days = sorted({s.day for s in sessions})
    return ProgressSummary(
        title=title, programme=programme,
        start=weeks[0].monday if weeks else (days[0] if days else None),
        end=end or (days[-1] if days else None), days_done=len(days), weeks=weeks,
        exercises=exercise_progress(sessions, programme, titles, directions),
        times_per_week=programme.times_per_week if programme else None,
        counted_from=start if weeks else None)


def set_from_report(report: Mapping[str, Any], *, set_number: int = 1,
                    prescription: Any = None, session_id: int | None = None
                    ) -> dict[str, Any] | None:
    """One programme set (the store's per-set dict) from a report's ``exercise`` section.

    So a reviewed recording (``posture analyze --exercise``) or a live exercise session
    counts towards a workout. ``met`` compares with ``prescription`` (reps per set or
    hold seconds); without one, a hold is met when its own target was reached and reps
    are not judged met. None when the report has no ``exercise`` section.

    For a prescription done on one side or "each" side, the set's ``side`` is the side
    the recording shows (most of its reps, or the hold's), else the prescribed one side;
    only the reps on that side (or of no known side) count.
    """
    ex = report.get("exercise") if isinstance(report, Mapping) else None
    if not isinstance(ex, Mapping) or not ex.get("key"):
        return None
    kind = "hold" if ex.get("kind") == "hold" else "reps"
    raw_rom, raw_hold = ex.get("rom"), ex.get("hold")
    rom: Mapping[str, Any] = raw_rom if isinstance(raw_rom, Mapping) else {}
    hold: Mapping[str, Any] = raw_hold if isinstance(raw_hold, Mapping) else {}
    reps = [r for r in ex.get("reps") or () if isinstance(r, Mapping)]
    side = report_side(ex, prescription)
    if side is not None and kind == "reps":
        reps = [r for r in reps if r.get("side") in (side, None)]
    target = _num(getattr(prescription, "target", None))
    if kind == "hold":
        held = _num(hold.get("held_s")) or 0.0
        target = target if target is not None else _num(hold.get("target_s"))
        met = target is not None and held >= target
    else:
        held = None
        met = target is not None and len(reps) >= target
    rom_target = _num(getattr(prescription, "rom_target_deg", None))
    return {"exercise": str(ex["key"]), "set": set_number, "kind": kind, "target": target,
            "reps_done": len(reps) if kind == "reps" else None, "hold_s_done": held,
            "rom_deg": _num(rom.get("best")), "rom_mean_deg": _num(rom.get("mean")),
            "rom_target_deg": rom_target if rom_target is not None else _num(rom.get("target")),
            "faults": {str(k): int(_num(v) or 0) for k, v in dict(ex.get("faults") or {}).items()
                       if _num(v)},
            "met": bool(met), "skipped": False, "session_id": session_id, "side": side,
            "source": RECORDING_SOURCE}  # a live page saving the same workout keeps it


def report_side(section: Mapping[str, Any], prescription: Any = None) -> str | None:
    """The side a report's ``exercise`` section counts for, when ``prescription`` is done
    on one side or "each" side (None otherwise, or when neither says)."""
    wanted = getattr(prescription, "side", None)
    if wanted not in ("each", *SET_SIDES):
        return None
    by_side = {str(k): int(_num(v) or 0) for k, v in dict(section.get("reps_by_side") or {})
               .items() if k in SET_SIDES}
    hold = section.get("hold")
    seen = max(by_side, key=lambda k: by_side[k]) if by_side and max(by_side.values()) else (
        hold.get("side") if isinstance(hold, Mapping) else None)
    if seen in SET_SIDES:
        return str(seen)
    return str(wanted) if wanted in SET_SIDES else None


# ---------------------------------------------------------------------------- export
def _fault_text(faults: Mapping[str, Any]) -> str:
    return "; ".join(f"{k}:{v}" for k, v in sorted(dict(faults or {}).items()))


def export_csv(sessions: Sequence[ProgrammeSession]) -> str:
    """One row per set (columns :data:`CSV_COLUMNS`); faults as "category:count; …"."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for s in sorted(sessions, key=lambda s: (s.day, s.started_at, s.id)):
        for x in s.sets:
            w.writerow([
                s.day.isoformat(), iso_week(s.day), s.programme_id or "", s.programme_title,
                s.id, x.get("exercise"), x.get("set"), x.get("kind"), _cell(x.get("target")),
                _cell(x.get("reps_done")), _cell(x.get("hold_s_done")), _cell(x.get("rom_deg")),
                _cell(x.get("rom_mean_deg")), _cell(x.get("rom_target_deg")),
                "yes" if x.get("met") else "no", "yes" if x.get("skipped") else "no",
                _fault_text(x.get("faults") or {}), x.get("side") or ""])
    return buf.getvalue()


def _cell(v: Any) -> str:
    f = _num(v)
    if f is None:
        return ""
    return str(int(f)) if f.is_integer() else f"{f:.1f}"


_SET_FIELDS = ("exercise", "set", "kind", "target", "reps_done", "hold_s_done", "rom_deg",
               "rom_mean_deg", "rom_target_deg", "faults", "met", "skipped", "side")


def export_json(sessions: Sequence[ProgrammeSession], programme: Programme | None = None, *,
                exported_at: datetime | None = None) -> str:
    """The programme and every workout as JSON text (what the therapist imports back)."""
    if programme is None:
        programme = next((s.programme for s in reversed(sessions) if s.programme), None)
    data = {
        "format": EXPORT_FORMAT, "format_version": EXPORT_VERSION,
        "exported_at": exported_at.isoformat(timespec="seconds") if exported_at else "",
        "programme": programme.to_dict() if programme else None,
        "workouts": [{
            "day": s.day.isoformat(), "started_at": s.started_at, "duration_s": s.duration_s,
            "programme_id": s.programme_id, "programme_title": s.programme_title,
            "status": s.status, "sets": [{k: x.get(k) for k in _SET_FIELDS} for x in s.sets]}
            for s in sorted(sessions, key=lambda s: (s.day, s.started_at, s.id))],
    }
    return json.dumps(data, ensure_ascii=False, indent=1, allow_nan=False)


def import_progress(data: str | bytes | Mapping[str, Any],
                    known: Mapping[str, str] | None = None) -> ProgressImport:
    """Read an :func:`export_json` file back; :class:`ProgressError` lists every problem."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ProgressError(["The progress file is not a text file; please send the "
                                 ".json file exported from the History page."]) from None
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise ProgressError([f"The progress file is not valid JSON: {exc}."]) from None
    if not isinstance(data, Mapping):
        raise ProgressError(["The progress file must hold one JSON object."])
    if data.get("format") != EXPORT_FORMAT:
        raise ProgressError([f"This is not a posture progress file: 'format' must be "
                             f"\"{EXPORT_FORMAT}\" — got {data.get('format')!r}."])
    version = data.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ProgressError(["The progress file: 'format_version' must be a whole number "
                             f"(1 for this posture) — got {version!r}."])
    if version > EXPORT_VERSION:
        raise ProgressError([f"The progress file was written by a newer posture (format "
                             f"{version}; this one reads up to {EXPORT_VERSION}); please "
                             "update posture."])
    problems: list[str] = []
    programme = None
    if data.get("programme") is not None:
        try:
            programme = programme_from_dict(data["programme"], known)
        except ProgrammeError as err:
            problems.extend(f"The progress file's programme — {p}" for p in err.problems)
    workouts = data.get("workouts")
    sessions: list[ProgrammeSession] = []
    if not isinstance(workouts, list):
        problems.append("The progress file: 'workouts' must be a list of workouts.")
        workouts = []
    for i, w in enumerate(workouts, start=1):
        s = _workout(i, w, programme, problems)
        if s is not None:
            sessions.append(s)
    if problems:
        raise ProgressError(problems)
    return ProgressImport(programme=programme, sessions=tuple(sessions),
                          exported_at=str(data.get("exported_at") or ""))


def _workout(i: int, w: Any, programme: Programme | None, problems: list[str]
             ) -> ProgrammeSession | None:
    if not isinstance(w, Mapping):
        problems.append(f"Workout {i}: must be an object with 'day' and 'sets'.")
        return None
    n = len(problems)
    try:
        day = date.fromisoformat(str(w.get("day")))
    except ValueError:
        problems.append(f"Workout {i}: 'day' must be a date like 2026-03-01 — got "
                        f"{w.get('day')!r}.")
        day = date.min
    where = f"Workout {i} ({day.isoformat()})" if day != date.min else f"Workout {i}"
    started = _num(w.get("started_at"))
    duration = _num(w.get("duration_s"))
    for name, v in (("started_at", started), ("duration_s", duration)):
        if w.get(name) is not None and (v is None or v < 0):
            problems.append(f"{where}: '{name}' must be a number of seconds — got "
                            f"{w.get(name)!r}.")
    status = w.get("status", "finished")
    if status not in ("in_progress", "finished"):
        problems.append(f"{where}: 'status' must be \"in_progress\" or \"finished\" — got "
                        f"{status!r}.")
    sets = w.get("sets")
    if not isinstance(sets, list):
        problems.append(f"{where}: 'sets' must be a list of sets.")
        sets = []
    clean = [x for x in (_set(where, j, x, problems) for j, x in enumerate(sets, start=1))
             if x is not None]
    if len(problems) > n:
        return None
    pid = w.get("programme_id")
    title = w.get("programme_title")
    return ProgrammeSession(
        id=i, programme_id=str(pid) if isinstance(pid, str) and pid else None,
        programme_title=str(title) if isinstance(title, str) else (
            programme.title if programme else ""),
        programme_file=programme.to_dict() if programme else {}, day=day,
        started_at=started if started is not None else datetime.combine(
            day, datetime.min.time()).timestamp(),
        duration_s=duration or 0.0, sets=tuple(clean), status=str(status))


def _set(where: str, j: int, x: Any, problems: list[str]) -> dict[str, Any] | None:
    if not isinstance(x, Mapping):
        problems.append(f"{where}, set {j}: must be an object with 'exercise', 'set' and 'met'.")
        return None
    name = x.get("exercise")
    at = f"{where}, set {j}" + (f" ({name})" if isinstance(name, str) and name else "")
    n = len(problems)
    if not isinstance(x.get("exercise"), str) or not x.get("exercise"):
        problems.append(f"{at}: 'exercise' must name the exercise — got {x.get('exercise')!r}.")
    number = x.get("set")
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        problems.append(f"{at}: 'set' must be a whole number of at least 1 — got {number!r}.")
    if x.get("kind") not in ("reps", "hold"):
        problems.append(f"{at}: 'kind' must be \"reps\" or \"hold\" — got {x.get('kind')!r}.")
    reps = x.get("reps_done")
    if reps is not None and (not isinstance(reps, int) or isinstance(reps, bool) or reps < 0):
        problems.append(f"{at}: 'reps_done' must be a whole number of at least 0 — got "
                        f"{reps!r}.")
    for name in ("target", "hold_s_done"):
        v = x.get(name)
        f = _num(v)
        if v is not None and (f is None or f < 0):
            problems.append(f"{at}: '{name}' must be a number of at least 0 — got {v!r}.")
    for name in ("rom_deg", "rom_mean_deg", "rom_target_deg"):  # signed: a leg below level
        v = x.get(name)
        if v is not None and _num(v) is None:
            problems.append(f"{at}: '{name}' must be a number of degrees — got {v!r}.")
    faults = x.get("faults") or {}
    if not isinstance(faults, Mapping) or not all(
            isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v >= 0
            for k, v in faults.items()):
        problems.append(f"{at}: 'faults' must map each fault to how many times it was seen "
                        f"— got {faults!r}.")
    if x.get("side") is not None and x.get("side") not in SET_SIDES:
        problems.append(f"{at}: 'side' must be \"left\", \"right\" or left out — got "
                        f"{x.get('side')!r}.")
    for name in ("met", "skipped"):
        v = x.get(name, False if name == "skipped" else None)
        if not isinstance(v, bool):
            problems.append(f"{at}: '{name}' must be true or false — got {v!r}.")
    if len(problems) > n:
        return None
    return {k: x.get(k) for k in _SET_FIELDS} | {"skipped": bool(x.get("skipped", False)),
                                                  "faults": dict(faults)}


# ---------------------------------------------------------------------------- the report
CSS = REPORT_CSS + """
h3 { font-size: 15px; color: #134e4a; margin: 18px 0 4px; }
@media print {
  main { padding: 0; max-width: none; }
  h2, h3 { break-after: avoid; }
  .chart, tr, section { break-inside: avoid; }
  .tile, svg { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""
TEAL, LIGHT, TARGET, GRID = "#0f766e", "#5eead4", "#b45309", "#e5eeec"


def _esc(v: Any) -> str:
    return html.escape("" if v is None else str(v))


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{100 * v:.0f}%"


def svg_weekly_adherence(weeks: Sequence[WeekAdherence], width: int = 796, height: int = 170
                         ) -> str:
    """Bars of each week's adherence (0–100%), the 100% line dashed."""
    if not weeks:
        return ""
    left, right, top, bottom = 40, 10, 12, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / len(weeks)

    def y(v: float) -> float:
        return top + plot_h * (1 - v)

    parts = [f'<svg class="chart-adherence" '
             f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
             'aria-label="Weekly adherence">']
    for v in (0.0, 0.5, 1.0):
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
                     f'stroke="{GRID if v < 1 else TARGET}"'
                     + (' stroke-dasharray="5 4"' if v == 1 else "") + "/>")
        parts.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" font-size="10" '
                     f'text-anchor="end" fill="#475569">{100 * v:.0f}%</text>')
    every = max(1, math.ceil(len(weeks) / 12))
    for i, w in enumerate(weeks):
        a = w.adherence
        x = left + i * step + step * 0.15
        bw = step * 0.7
        parts.append(f'<rect class="week" data-week="{_esc(w.week)}" data-adherence="{a:.3f}" '
                     f'x="{x:.1f}" y="{y(a):.1f}" width="{bw:.1f}" height="{plot_h * a:.1f}" '
                     f'fill="{TEAL}"><title>{_esc(w.week)}: '
                     f'{_esc(workouts_words(w.full, w.partial, w.prescribed))} '
                     f'({_pct(a)})</title></rect>')
        if i % every == 0:
            parts.append(f'<text x="{x + bw / 2:.1f}" y="{height - 18}" font-size="10" '
                         f'text-anchor="middle" fill="#475569">{w.monday:%d %b}</text>')
    parts.append(f'<text x="{width - right}" y="{height - 4}" font-size="10" text-anchor="end" '
                 'fill="#475569">week starting (Monday)</text></svg>')
    return "".join(parts)


def svg_rom(ex: ExerciseProgress, start: date | None = None, end: date | None = None,
            width: int = 796, height: int = 190) -> str:
    """Best (solid) and mean (light) ROM per day, the target as a dashed line."""
    pts = [r for r in ex.rom if r.best is not None or r.mean is not None]
    if not pts:
        return ""
    values = [v for r in pts for v in (r.best, r.mean, r.target) if v is not None]
    # A signed angle's ticks are words ("10° below level"), wider than "170°".
    left = 40 if rom_words(ex.key, -1.0) == "-1°" else 96
    right, top, bottom = 10, 12, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    d0 = min(start or pts[0].day, pts[0].day)
    d1 = max(end or pts[-1].day, pts[-1].day)
    span = max((d1 - d0).days, 1)
    if ex.rom_target is not None:
        values.append(ex.rom_target)
    lo = float(math.floor((min(values) - 10) / 10) * 10)
    if min(values) >= 0:  # an unsigned angle's axis starts at 0 at the lowest
        lo = max(0.0, lo)
    hi = float(math.ceil((max(values) + 10) / 10) * 10)
    if hi <= lo:
        hi = lo + 10

    def x(d: date) -> float:
        return left + plot_w * ((d - d0).days / span if (d1 - d0).days else 0.5)

    def y(v: float) -> float:
        return top + plot_h * (1 - (v - lo) / (hi - lo))

    parts = [f'<svg class="chart-rom" data-exercise="{_esc(ex.key)}" '
             f'width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="Range of motion over days: {_esc(ex.title)}">']
    step = 10 if hi - lo <= 60 else 20 if hi - lo <= 120 else 30
    for v in (lo + step * i for i in range(int((hi - lo) // step) + 1)):
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
                     f'stroke="{GRID}"/><text x="{left - 6}" y="{y(v) + 4:.1f}" font-size="10" '
                     f'text-anchor="end" fill="#475569">{_esc(rom_words(ex.key, v))}</text>')
    if ex.rom_target is not None:
        ty = y(ex.rom_target)
        parts.append(f'<line class="target" x1="{left}" x2="{width - right}" y1="{ty:.1f}" '
                     f'y2="{ty:.1f}" stroke="{TARGET}" stroke-width="2" stroke-dasharray="6 4"/>'
                     f'<text x="{width - right - 4}" y="{ty - 4:.1f}" font-size="10" '
                     f'text-anchor="end" fill="{TARGET}">target '
                     f'{_esc(rom_words(ex.key, ex.rom_target))}</text>')
    for attr, colour, radius in (("mean", LIGHT, 2.5), ("best", TEAL, 3.5)):
        line = [(x(r.day), y(v)) for r in pts if (v := getattr(r, attr)) is not None]
        if len(line) > 1:
            parts.append(f'<polyline class="{attr}" fill="none" stroke="{colour}" '
                         'stroke-width="2" points="'
                         + " ".join(f"{a:.1f},{b:.1f}" for a, b in line) + '"/>')
        parts.extend(f'<circle class="{attr}" cx="{a:.1f}" cy="{b:.1f}" r="{radius}" '
                     f'fill="{colour}"/>' for a, b in line)
    parts.append(f'<text x="{left}" y="{height - 8}" font-size="10" fill="#475569">'
                 f'{d0:%d %b %Y}</text><text x="{width - right}" y="{height - 8}" '
                 f'font-size="10" text-anchor="end" fill="#475569">{d1:%d %b %Y}</text></svg>')
    return "".join(parts)


def _tile(label: str, value: str) -> str:
    return (f'<div class="tile"><div class="l">{_esc(label)}</div>'
            f'<div class="v">{_esc(value)}</div></div>')


def _num_text(v: float) -> str:
    return f"{v:.0f}"


def _exercise_section(ex: ExerciseProgress, start: date | None, end: date | None,
                      labels: Mapping[str, str]) -> str:
    target = rom_words(ex.key, ex.rom_target)
    bests = [r.best for r in ex.rom if r.best is not None]
    best = (min if ex.rom_peak == "min" else max)(bests) if bests else None
    rows = [("Sets with the target reached", ex.sets_text()),
            ("Done" if ex.kind == "reps" else "Held",
             f"{_num_text(ex.done)} of {_num_text(ex.prescribed)} {ex.unit} "
             f"({_pct(ex.share_done)})"),
            ("Best range of motion", "–" if best is None else
             f"{rom_words(ex.key, best)} (target {target})")]
    table = "<table>" + "".join(f"<tr><th>{_esc(a)}</th><td>{_esc(b)}</td></tr>"
                                for a, b in rows) + "</table>"
    chart = svg_rom(ex, start, end)
    chart_html = (f'<div class="chart">{chart}<div class="hint">Best range each day (dark), '
                  'mean of the sets (light), target (dashed).</div></div>' if chart else
                  '<p class="hint">No range of motion was measured for this exercise.</p>')
    if ex.faults_by_day:
        cats = list(ex.faults)
        head = "".join(f"<th>{_esc(labels.get(c, c.replace('_', ' ')))}</th>" for c in cats)
        body = "".join(
            f"<tr><td>{d:%d %b}</td>" + "".join(f"<td>{f.get(c, 0) or ''}</td>" for c in cats)
            + "</tr>" for d, f in ex.faults_by_day)
        faults = (f"<table class='faults'><tr><th>Day</th>{head}</tr>{body}</table>")
    else:
        faults = "<p class='hint'>No form faults were seen.</p>"
    return (f'<section class="exercise" data-exercise="{_esc(ex.key)}"><h3>{_esc(ex.title)}'
            f"</h3>{table}{chart_html}<div class='hint'>Form faults per day</div>{faults}"
            "</section>")


def progress_report_html(summary: ProgressSummary, *, patient: str = "", notes: str = "",
                         created: datetime | None = None,
                         fault_labels: Mapping[str, str] | None = None) -> str:
    """A self-contained printable page for the next clinic visit (inline CSS and SVG only)."""
    labels = fault_labels or {}
    when = f"{created:%d %b %Y, %H:%M}" if created else ""
    period = (f"{summary.start:%d %b %Y} – {summary.end:%d %b %Y}"
              if summary.start and summary.end else "no workouts yet")
    tiles = "".join((
        _tile("Adherence", _pct(summary.adherence)),
        _tile("Workouts done (days)", str(summary.days_done)),
        _tile("Prescribed", f"{summary.times_per_week} a week" if summary.times_per_week
              else "–"),
        _tile("Weeks", str(len(summary.weeks)))))
    chart = svg_weekly_adherence(summary.weeks)
    week_rows = "".join(
        f"<tr><td>{_esc(w.week)}</td><td>{w.monday:%d %b %Y}</td><td>"
        f"{_esc(workouts_words(w.full, w.partial, w.prescribed))}</td><td>{w.full}</td>"
        f"<td>{w.partial}</td><td>{_pct(w.adherence)}</td>"
        "</tr>" for w in summary.weeks)
    weeks_html = (f'<div class="chart">{chart}</div><table><tr><th>Week</th><th>From</th>'
                  "<th>Workouts</th><th>Full</th><th>Partial</th><th>Adherence</th></tr>"
                  f"{week_rows}</table><p class='hint'>A partial workout counts as the share "
                  "of its sets whose target was reached; one day counts at most once.</p>"
                  if summary.weeks else "<p>No workouts have been recorded yet.</p>")
    exercises = "".join(_exercise_section(ex, summary.start, summary.end, labels)
                        for ex in summary.exercises)
    who = (f'<p class="patient">Patient: <b>{_esc(patient.strip())}</b></p>'
           if patient.strip() else "")
    prog_notes = (f"<p>{_esc(summary.programme.notes)}</p>"
                  if summary.programme and summary.programme.notes else "")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>Progress — {_esc(summary.title)}</title><style>{CSS}</style></head>
<body><main>
<h1>Progress — {_esc(summary.title)}</h1>
{who}<p class="sub">{_esc(period)}{" · printed " + _esc(when) if when else ""}</p>
<div class="tiles">{tiles}</div>
{prog_notes}
<h2>Weekly adherence</h2>
{weeks_html}
<h2>Each exercise</h2>
{exercises or "<p>The programme has no exercises.</p>"}
<h2>Notes for the therapist</h2>
<div class="notes">{_esc(notes.strip())}</div>
<p class="hint">Made by posture on this computer from the workouts in its history; range of
motion is measured from the camera and is an estimate, not a clinical measurement.</p>
</main></body></html>
"""


__all__ = ["CSV_COLUMNS", "EXPORT_FORMAT", "EXPORT_VERSION", "ExerciseProgress",
           "ProgressError", "ProgressImport", "ProgressSummary", "RomDay", "WeekAdherence",
           "adherence_start", "day_credits", "exercise_progress", "export_csv", "export_json",
           "import_progress",
           "iso_week", "progress_report_html", "report_side", "rom_directions",
           "session_share", "set_from_report", "summarise",
           "svg_rom", "svg_weekly_adherence", "weekly_adherence", "workouts_words"]
