"""A home exercise programme: what the therapist prescribes, as one file the patient keeps.

The file is TOML (a therapist may write it by hand) or JSON (what the app exports);
both have the same flat shape::

    title = "Low back — week 1"
    times_per_week = 3

    [[exercises]]
    exercise = "glute_bridge"
    sets = 3
    reps = 10
    rest_s = 30

:func:`load_programme` reads either, checks every value and raises
:class:`ProgrammeError` whose ``str()`` is one sentence naming the exercise (by its
position, as the therapist counts them) and the field in quotes — the Programme page
places the sentence next to that field. Exercise keys are checked against the
exercise library (injected as ``known``: key → "reps" | "hold"), so a hold given
``reps`` (or a rep exercise given ``hold_s``) is caught here and not at the camera.

TOML is written by :func:`dumps_programme` itself: the shape is flat (strings,
numbers, one array of tables), and the only TOML writer in the lock file is the
unmaintained ``toml`` package pulled in by Streamlit.
"""

from __future__ import annotations

import json
import math
import tomllib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from posture.errors import PostureError

#: The exercise library's keys and kinds (the fixed contract of issue #11), used when the
#: library itself cannot be imported.
CONTRACT_KINDS: Mapping[str, str] = {
    "glute_bridge": "reps", "bird_dog": "reps", "sit_to_stand": "reps", "hip_hinge": "reps",
    "standing_back_extension": "reps", "prone_press_up": "reps", "wall_sit": "hold",
    "front_plank": "hold", "side_plank": "hold", "hamstring_stretch": "hold",
    "knee_to_chest": "hold", "split_squat": "reps", "heel_raise": "reps",
}
SIDES = ("both", "left", "right", "each")
FORMATS = ("toml", "json")
FILE_FORMAT = "posture-programme"
FILE_VERSION = 1

# Sanity bounds that catch typing slips (100 sets, a 3000 s hold); they are not doses.
# All: default to calibrate.
MAX_SETS = 20
MAX_REPS = 200
MAX_HOLD_S = 600.0
MAX_REST_S = 900.0
MAX_TIMES_PER_WEEK = 21  # three times a day
#: Rest between sets when the file says none: a starting value for the therapist to
#: change, not a dose (default to calibrate).
DEFAULT_REST_S = 30.0

_TOP_FIELDS = ("format", "version", "id", "title", "patient", "therapist", "created",
               "updated", "times_per_week", "notes", "exercises")
_ITEM_FIELDS = ("exercise", "sets", "reps", "hold_s", "rest_s", "rom_target_deg", "side",
                "notes")


class ProgrammeError(PostureError, ValueError):
    """A programme file or value that cannot be used; ``str()`` is the first problem.

    ``problems`` lists every problem found, one sentence each, in file order.
    """

    def __init__(self, problems: list[str] | tuple[str, ...], *, detail: str | None = None
                 ) -> None:
        self.problems = tuple(problems) or ("The programme could not be read.",)
        super().__init__(self.problems[0], detail=detail)


@dataclass(frozen=True)
class Prescription:
    """One prescribed exercise: how many sets of how many reps (or seconds held), and rest."""

    exercise: str  # a key of the exercise library
    sets: int
    reps: int | None = None  # rep exercises
    hold_s: float | None = None  # hold exercises
    rest_s: float = DEFAULT_REST_S
    rom_target_deg: float | None = None  # overrides the exercise's own target
    side: str = "both"
    notes: str = ""

    @property
    def key(self) -> str:
        return self.exercise

    @property
    def kind(self) -> str:
        return "hold" if self.hold_s is not None else "reps"

    @property
    def set_count(self) -> int:
        """Sets to do in one workout: done on "each" side, every set is done twice."""
        return self.sets * (2 if self.side == "each" else 1)

    @property
    def target(self) -> float:
        """Reps per set, or seconds per hold."""
        return float(self.hold_s if self.hold_s is not None else self.reps or 0)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"exercise": self.exercise, "sets": self.sets}
        if self.reps is not None:
            out["reps"] = self.reps
        if self.hold_s is not None:
            out["hold_s"] = _plain(self.hold_s)
        out["rest_s"] = _plain(self.rest_s)
        if self.rom_target_deg is not None:
            out["rom_target_deg"] = _plain(self.rom_target_deg)
        out["side"] = self.side
        if self.notes:
            out["notes"] = self.notes
        return out


@dataclass(frozen=True)
class Programme:
    """A therapist's home exercise programme (the file's content, checked)."""

    title: str
    prescriptions: tuple[Prescription, ...]
    times_per_week: int
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    patient: str | None = None
    therapist: str | None = None
    created: str = ""  # ISO date (YYYY-MM-DD)
    updated: str = ""  # ISO date
    notes: str = ""

    @property
    def exercises(self) -> tuple[Prescription, ...]:
        return self.prescriptions

    def sets_per_session(self) -> int:
        """Sets to do in one workout (a set done on "each" side counts once per side)."""
        return sum(p.set_count for p in self.prescriptions)

    def prescription(self, key: str) -> Prescription | None:
        return next((p for p in self.prescriptions if p.exercise == key), None)

    def to_dict(self) -> dict[str, Any]:
        """The file's content (what :func:`load_programme` reads back)."""
        out: dict[str, Any] = {"format": FILE_FORMAT, "version": FILE_VERSION, "id": self.id,
                               "title": self.title}
        for name in ("patient", "therapist"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        for name in ("created", "updated"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        out["times_per_week"] = self.times_per_week
        if self.notes:
            out["notes"] = self.notes
        out["exercises"] = [p.to_dict() for p in self.prescriptions]
        return out


# ---------------------------------------------------------------------------- the library
def exercise_kinds(known: Mapping[str, str] | None = None) -> Mapping[str, str]:
    """key → "reps" | "hold": ``known`` when given, else the exercise library's own.

    Falls back to the fixed contract list when the library cannot be read, so a
    programme can still be checked (and a broken library file is not blamed on it).
    """
    if known is not None:
        return known
    try:
        from posture.exercises import load_library

        return {k: str(ex.kind) for k, ex in load_library().items()}
    except Exception:
        return CONTRACT_KINDS


def exercise_titles() -> dict[str, str]:
    """key → display name from the exercise library ("Glute bridge" from the key otherwise)."""
    out = {k: _title_from_key(k) for k in CONTRACT_KINDS}
    try:
        from posture.exercises import load_library

        out.update({k: str(ex.title) for k, ex in load_library().items()})
    except Exception:
        pass
    return out


def _title_from_key(key: str) -> str:
    return key.replace("_", " ").capitalize()


# ---------------------------------------------------------------------------- reading
def load_programme(source: str | bytes | Path | Mapping[str, Any],
                   known: Mapping[str, str] | None = None) -> Programme:
    """A checked :class:`Programme` from a file path, its bytes or text, or its parsed dict.

    TOML and JSON are both accepted (JSON when the text starts with ``{``). A ``str``
    names a file when such a file exists, otherwise it is the file's text.
    """
    if isinstance(source, Mapping):
        return programme_from_dict(source, known)
    name = "The programme file"
    if isinstance(source, Path) or (isinstance(source, str) and _is_path(source)):
        path = Path(source)
        name = f"The programme file {path.name}"
        try:
            raw: str | bytes = path.read_bytes()
        except OSError as exc:
            raise ProgrammeError([f"{name} could not be opened; check that it exists and "
                                  "that you may read it."], detail=str(exc)) from None
    else:
        raw = source
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ProgrammeError([f"{name} is not a text file (TOML or JSON); please send "
                                  "the .toml file made by the Programme page."],
                                 detail=str(exc)) from None
    else:
        text = raw.lstrip("\ufeff")
    return programme_from_dict(_parse(text, name), known)


def _is_path(text: str) -> bool:
    if "\n" in text or len(text) > 1024 or text.lstrip().startswith("{"):
        return False
    try:
        return Path(text).expanduser().is_file()
    except OSError:
        return False


def _parse(text: str, name: str) -> dict[str, Any]:
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ProgrammeError([f"{name} looks like JSON but cannot be read: {exc}."],
                                 detail=str(exc)) from None
        if not isinstance(data, dict):
            raise ProgrammeError([f"{name} must hold one programme (a JSON object)."])
        return data
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProgrammeError([f"{name} cannot be read as TOML: {exc}."],
                             detail=str(exc)) from None


def programme_from_dict(data: Mapping[str, Any], known: Mapping[str, str] | None = None
                        ) -> Programme:
    """Check a parsed programme file; :class:`ProgrammeError` lists every problem."""
    kinds = exercise_kinds(known)
    problems: list[str] = []
    if not isinstance(data, Mapping):
        raise ProgrammeError(["The programme must be a table of fields (title, "
                              "times_per_week, exercises)."])
    for k in data:
        if k not in _TOP_FIELDS:
            problems.append(f"The programme: '{k}' is not a programme field; use "
                            f"{', '.join(_TOP_FIELDS[2:])}.")
    fmt = data.get("format", FILE_FORMAT)
    if fmt != FILE_FORMAT:
        problems.append(f"The programme: 'format' must be \"{FILE_FORMAT}\" — got {fmt!r}.")
    version = data.get("version", FILE_VERSION)
    if isinstance(version, int) and not isinstance(version, bool) and version > FILE_VERSION:
        problems.append(f"The programme: 'version' {version} was written by a newer posture "
                        f"(this one reads up to {FILE_VERSION}); please update posture.")
    title = _string(data.get("title"))
    if not title:
        problems.append("The programme: 'title' is missing; give the programme a name "
                        "(for example \"Low back — week 1\").")
    tpw = _whole(data.get("times_per_week"))
    if "times_per_week" not in data:
        problems.append("The programme: 'times_per_week' is missing; say how many times a "
                        "week the patient does it (a whole number from 1 to "
                        f"{MAX_TIMES_PER_WEEK}).")
    elif tpw is None or not 1 <= tpw <= MAX_TIMES_PER_WEEK:
        problems.append("The programme: 'times_per_week' must be a whole number from 1 to "
                        f"{MAX_TIMES_PER_WEEK} — got {_shown(data.get('times_per_week'))}.")
    texts = {}
    for name in ("id", "patient", "therapist", "notes"):
        v = data.get(name)
        if v is not None and not isinstance(v, str):
            problems.append(f"The programme: '{name}' must be text — got {_shown(v)}.")
        texts[name] = v.strip() if isinstance(v, str) else ""
    dates = {}
    for name in ("created", "updated"):
        v = data.get(name)
        d = _iso_date(v)
        if v is not None and d is None:
            problems.append(f"The programme: '{name}' must be a date like 2026-03-01 — got "
                            f"{_shown(v)}.")
        dates[name] = d or ""
    items = data.get("exercises")
    prescriptions: list[Prescription] = []
    if items is None or (isinstance(items, list) and not items):
        problems.append("The programme: 'exercises' is empty; add at least one exercise "
                        "([[exercises]] with exercise, sets and reps or hold_s).")
    elif not isinstance(items, list):
        problems.append("The programme: 'exercises' must be a list of exercises "
                        "([[exercises]] tables in TOML).")
    else:
        for i, item in enumerate(items, start=1):
            p = _prescription(i, item, kinds, problems)
            if p is not None:
                prescriptions.append(p)
    if problems:
        raise ProgrammeError(problems)
    return Programme(title=title, prescriptions=tuple(prescriptions), times_per_week=int(tpw or 1),
                     id=texts["id"] or uuid.uuid4().hex, patient=texts["patient"] or None,
                     therapist=texts["therapist"] or None, created=dates["created"],
                     updated=dates["updated"], notes=texts["notes"])


def _prescription(i: int, item: Any, kinds: Mapping[str, str], problems: list[str]
                  ) -> Prescription | None:
    if not isinstance(item, Mapping):
        problems.append(f"Exercise {i}: must be a table of fields ({', '.join(_ITEM_FIELDS)}).")
        return None
    key = item.get("exercise")
    where = f"Exercise {i}" + (f" ({key})" if isinstance(key, str) and key else "")
    n_before = len(problems)
    for k in item:
        if k not in _ITEM_FIELDS:
            problems.append(f"{where}: '{k}' is not an exercise field; use "
                            f"{', '.join(_ITEM_FIELDS)}.")
    kind = None
    if not isinstance(key, str) or not key.strip():
        problems.append(f"{where}: 'exercise' is missing; name one of {_known(kinds)}.")
    elif key not in kinds:
        problems.append(f"{where}: 'exercise' {key!r} is not in the exercise library; known "
                        f"exercises are {_known(kinds)}.")
    else:
        kind = kinds[key]
    sets = _whole(item.get("sets"))
    if "sets" not in item:
        problems.append(f"{where}: 'sets' is missing; give a whole number from 1 to "
                        f"{MAX_SETS}.")
    elif sets is None or not 1 <= sets <= MAX_SETS:
        problems.append(f"{where}: 'sets' must be a whole number from 1 to {MAX_SETS} — got "
                        f"{_shown(item.get('sets'))}.")
    reps = hold = None
    has_reps, has_hold = "reps" in item, "hold_s" in item
    if kind == "hold" and has_reps:
        problems.append(f"{where}: 'reps' does not apply — {key} is a hold; give 'hold_s' "
                        "(seconds per hold) instead.")
    elif kind == "reps" and has_hold:
        problems.append(f"{where}: 'hold_s' does not apply — {key} is counted in reps; give "
                        "'reps' (reps per set) instead.")
    elif kind == "reps" and not has_reps:
        problems.append(f"{where}: 'reps' is missing; give the reps per set (a whole number "
                        f"from 1 to {MAX_REPS}).")
    elif kind == "hold" and not has_hold:
        problems.append(f"{where}: 'hold_s' is missing; give the seconds per hold (more than "
                        f"0, at most {MAX_HOLD_S:g}).")
    if has_reps and kind != "hold":
        reps = _whole(item.get("reps"))
        if reps is None or not 1 <= reps <= MAX_REPS:
            problems.append(f"{where}: 'reps' must be a whole number from 1 to {MAX_REPS} — "
                            f"got {_shown(item.get('reps'))}.")
    if has_hold and kind != "reps":
        hold = _number(item.get("hold_s"))
        if hold is None or not 0 < hold <= MAX_HOLD_S:
            problems.append(f"{where}: 'hold_s' must be a number of seconds above 0 and at "
                            f"most {MAX_HOLD_S:g} — got {_shown(item.get('hold_s'))}.")
    if kind is None and has_reps and has_hold:
        problems.append(f"{where}: give either 'reps' or 'hold_s', not both.")
    rest = DEFAULT_REST_S
    if "rest_s" in item:
        r = _number(item.get("rest_s"))
        if r is None or not 0 <= r <= MAX_REST_S:
            problems.append(f"{where}: 'rest_s' must be a number of seconds from 0 to "
                            f"{MAX_REST_S:g} — got {_shown(item.get('rest_s'))}.")
        else:
            rest = r
    rom = None
    if item.get("rom_target_deg") is not None:
        rom = _number(item.get("rom_target_deg"))
        if rom is None or not -180 <= rom <= 180:  # some targets are signed (lean back −20°)
            problems.append(f"{where}: 'rom_target_deg' must be a number of degrees from -180 "
                            f"to 180 — got {_shown(item.get('rom_target_deg'))}.")
    side = item.get("side", "both")
    if side not in SIDES:
        problems.append(f"{where}: 'side' must be one of {', '.join(SIDES)} — got "
                        f"{_shown(side)}.")
    notes = item.get("notes", "")
    if not isinstance(notes, str):
        problems.append(f"{where}: 'notes' must be text — got {_shown(notes)}.")
    if len(problems) > n_before:
        return None
    return Prescription(exercise=str(key), sets=int(sets or 1), reps=reps, hold_s=hold,
                        rest_s=float(rest), rom_target_deg=rom, side=str(side),
                        notes=str(notes).strip())


def _known(kinds: Mapping[str, str]) -> str:
    return ", ".join(sorted(kinds))


def _whole(v: Any) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, float) and math.isfinite(v) and v.is_integer():
        return int(v)
    return None


def _number(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    f = float(v)
    return f if math.isfinite(f) else None


def _string(v: Any) -> str:
    return v.strip() if isinstance(v, str) else ""


def _iso_date(v: Any) -> str | None:
    if isinstance(v, date):
        return v.isoformat()[:10]
    if isinstance(v, str):
        try:
            return date.fromisoformat(v.strip()[:10]).isoformat()
        except ValueError:
            return None
    return None


def _shown(v: Any) -> str:
    if v is None:
        return "nothing"
    text = repr(v) if isinstance(v, str) else str(v)
    return text if len(text) <= 40 else text[:37] + "…"


def _plain(v: float) -> int | float:
    """30.0 → 30 in the file (a therapist writes 30, not 30.0)."""
    return int(v) if float(v).is_integer() else float(v)


# ---------------------------------------------------------------------------- writing
def dumps_programme(p: Programme, fmt: str = "toml") -> str:
    """The programme file's text, TOML (to read and edit by hand) or JSON."""
    if fmt not in FORMATS:
        raise ValueError(f"The programme can be written as {' or '.join(FORMATS)}, not {fmt!r}.")
    data = p.to_dict()
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    lines = ["# Home exercise programme — open with posture (Today's programme page)."]
    for k, v in data.items():
        if k != "exercises":
            lines.append(f"{k} = {_toml_value(v)}")
    for item in data["exercises"]:
        lines.append("")
        lines.append("[[exercises]]")
        lines.extend(f"{k} = {_toml_value(v)}" for k, v in item.items())
    return "\n".join(lines) + "\n"


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    # A JSON string is a valid TOML basic string once non-BMP escapes are avoided.
    return json.dumps(str(v), ensure_ascii=False).replace("\x7f", "\\u007f")


__all__ = [
    "CONTRACT_KINDS",
    "DEFAULT_REST_S",
    "FILE_FORMAT",
    "FILE_VERSION",
    "SIDES",
    "Prescription",
    "Programme",
    "ProgrammeError",
    "dumps_programme",
    "exercise_kinds",
    "exercise_titles",
    "load_programme",
    "programme_from_dict",
]
