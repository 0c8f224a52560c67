"""Session history: one embedded SQLite database in the user's data folder.

Why SQLite (stdlib ``sqlite3``, no ORM): the History page, the live coach and a
second browser tab may all write at once, a crash must not lose more than the
last few seconds, and a patient must be able to delete everything.  A single
file in WAL mode with a busy timeout gives all three without a server.

Where: :func:`default_data_dir` (``$POSTURE_DATA_DIR`` wins), file
``history.sqlite3``.  Folders we create are 0o700 and the file is 0o600,
because posture data is health data; SQLite gives its ``-wal``/``-shm`` side
files the same mode as the database.

What is stored: one row per session (a live coaching run or a reviewed video)
with its summary, its posture events and its reps.  Never video frames or
pictures, and not the per-frame angles of ``report.json`` either.  A future
opt-in ``media`` table for clips a user chooses to keep is deliberately not
part of this schema.

Concurrency: each :class:`HistoryStore` owns one connection guarded by a lock,
so threads of one process (the camera callback and the page) can share it;
other processes or tabs open their own store and WAL + ``busy_timeout`` keep
their writes safe.  Every write is one ``BEGIN IMMEDIATE`` transaction.

Schema changes: :data:`MIGRATIONS` is a tuple of SQL scripts; script ``i``
takes ``PRAGMA user_version`` from ``i`` to ``i + 1``.  Append, never edit.
All pending scripts run in one transaction (with foreign keys off, as SQLite's
table-rebuild recipe needs, and a ``foreign_key_check`` before commit), so a
failed upgrade leaves the old database untouched.

Every failure the patient could meet (damaged file, locked file, full disk,
no permission) surfaces as :class:`StoreError` whose ``str()`` is one sentence;
the sqlite3 detail is kept in ``error.detail`` for logs.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from posture.errors import PostureError, display_name
from posture.programme import Programme, ProgrammeError, programme_from_dict

APP_DIR_NAME = "posture"
DB_FILENAME = "history.sqlite3"
ENV_DATA_DIR = "POSTURE_DATA_DIR"

KINDS = ("live", "review")
STATUSES = ("recording", "complete", "interrupted")
#: A workout's status: saved as it goes, then finished (``programme_sessions.status``).
WORKOUT_STATUSES = ("in_progress", "finished")
SET_SIDES = ("left", "right")
SEVERITIES = ("ok", "caution", "poor")

#: Seconds a writer waits for another writer before giving up (``busy_timeout``).
BUSY_TIMEOUT_S = 5.0

_SCHEMA_V1 = """
CREATE TABLE sessions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: a tab may hold an old id
    kind          TEXT    NOT NULL CHECK (kind IN ('live', 'review')),
    activity      TEXT    NOT NULL,
    source        TEXT,                               -- a label (file name), not a full path
    started_at    REAL    NOT NULL,                   -- unix seconds
    ended_at      REAL,                               -- NULL until finish_session
    duration_s    REAL    NOT NULL DEFAULT 0,
    status        TEXT    NOT NULL DEFAULT 'recording'
                          CHECK (status IN ('recording', 'complete', 'interrupted')),
    summary_json  TEXT    NOT NULL DEFAULT '{}',
    settings_json TEXT    NOT NULL DEFAULT '{}',
    profile       TEXT,
    meta_json     TEXT    NOT NULL DEFAULT '{}',      -- rest of report.json: video info, warnings
    updated_at    REAL    NOT NULL                    -- wall clock of the last write
);
CREATE INDEX sessions_by_start ON sessions (started_at);
CREATE INDEX sessions_recording ON sessions (status) WHERE status = 'recording';
CREATE TABLE events (
    id         INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    rule       TEXT,
    category   TEXT,
    severity   TEXT,
    start_s    REAL,
    end_s      REAL,
    cue        TEXT,
    extra_json TEXT                                   -- fields added to events[] later
);
CREATE INDEX events_by_session ON events (session_id);
CREATE TABLE reps (
    id           INTEGER PRIMARY KEY,
    session_id   INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    idx          INTEGER NOT NULL,                    -- reps[].index
    start_s      REAL,
    bottom_s     REAL,
    end_s        REAL,
    style        TEXT,
    score        NUMERIC,
    faults_json  TEXT    NOT NULL DEFAULT '[]',
    metrics_json TEXT    NOT NULL DEFAULT '{}',
    extra_json   TEXT
);
CREATE INDEX reps_by_session ON reps (session_id, idx);
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value_json TEXT NOT NULL
) WITHOUT ROWID;
"""

# v2 (additive): the index of a ``posture batch`` run, one row per recording.  A
# finished recording's report is also a 'review' session (``session_id``), so
# History opens it like any reviewed video; a failed one keeps its sentence.
_SCHEMA_V2_BATCH = """
CREATE TABLE batch_items (
    id              INTEGER PRIMARY KEY,
    batch_dir       TEXT    NOT NULL,                 -- the --out folder of the batch
    name            TEXT    NOT NULL,                 -- its results folder inside batch_dir
    file            TEXT    NOT NULL,                 -- a label (file name), not a full path
    status          TEXT    NOT NULL CHECK (status IN ('done', 'failed')),
    duration_s      REAL,
    activity        TEXT,
    reps            INTEGER,
    score           NUMERIC,
    verdict         TEXT,
    faults_json     TEXT    NOT NULL DEFAULT '{}',    -- posture events by fault category
    rep_faults_json TEXT    NOT NULL DEFAULT '{}',    -- faults of the reps by category
    error           TEXT,                             -- the one-sentence reason it failed
    session_id      INTEGER REFERENCES sessions (id) ON DELETE SET NULL,
    updated_at      REAL    NOT NULL,
    UNIQUE (batch_dir, name)
);
CREATE INDEX batch_items_by_session ON batch_items (session_id);
"""

# v3 (additive): home exercise programmes (issue #11).  A programme is kept as its file
# (``posture.programme``'s JSON) so the app reads it back exactly as the therapist wrote
# it; at most one is active.  A programme session is one day's workout: it keeps a copy
# of the programme as it was that day (the programme may be edited or deleted later and
# the workouts done stay in the history), and one row per prescribed set.
_SCHEMA_V3_PROGRAMMES = """
CREATE TABLE programmes (
    id             TEXT    PRIMARY KEY,               -- the file's id (kept across devices)
    title          TEXT    NOT NULL,
    patient        TEXT,
    programme_json TEXT    NOT NULL,                  -- the programme file (JSON form)
    active         INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1)),
    created_at     REAL    NOT NULL,                  -- unix seconds
    updated_at     REAL    NOT NULL
);
CREATE UNIQUE INDEX programmes_one_active ON programmes (active) WHERE active = 1;
CREATE TABLE programme_sessions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    programme_id    TEXT    REFERENCES programmes (id) ON DELETE SET NULL,
    programme_title TEXT    NOT NULL DEFAULT '',
    programme_json  TEXT    NOT NULL DEFAULT '{}',    -- the programme as it was that day
    day             TEXT    NOT NULL,                 -- local date of the workout, YYYY-MM-DD
    started_at      REAL    NOT NULL,                 -- unix seconds
    duration_s      REAL    NOT NULL DEFAULT 0,
    updated_at      REAL    NOT NULL
);
CREATE INDEX programme_sessions_by_programme ON programme_sessions (programme_id, day);
CREATE TABLE programme_sets (
    id                   INTEGER PRIMARY KEY,
    programme_session_id INTEGER NOT NULL REFERENCES programme_sessions (id) ON DELETE CASCADE,
    position             INTEGER NOT NULL,            -- order within the day
    exercise             TEXT    NOT NULL,
    set_number           INTEGER NOT NULL,
    kind                 TEXT    NOT NULL CHECK (kind IN ('reps', 'hold')),
    target               REAL,                        -- reps per set or seconds per hold
    reps_done            INTEGER,
    hold_s_done          REAL,
    rom_best_deg         REAL,
    rom_mean_deg         REAL,
    rom_target_deg       REAL,
    faults_json          TEXT    NOT NULL DEFAULT '{}',  -- fault category → count
    met                  INTEGER NOT NULL CHECK (met IN (0, 1)),
    skipped              INTEGER NOT NULL DEFAULT 0 CHECK (skipped IN (0, 1)),
    -- the exercise session the set came from, when one was saved
    session_id           INTEGER REFERENCES sessions (id) ON DELETE SET NULL,
    extra_json           TEXT
);
CREATE INDEX programme_sets_by_session ON programme_sets (programme_session_id, position);
CREATE INDEX programme_sets_by_exercise_session ON programme_sets (session_id);
"""

# v4 (additive): a workout is saved as it goes (after every set) as an 'in_progress' row,
# updated in place and marked 'finished' at its end; one left in progress (the tab closed,
# the computer switched off) stays a partial workout of its day.  Workouts saved before
# v4 were saved at their end: 'finished'.  A set done on one side (a prescription done on
# "each" side: a left set and a right set) records its side.
_SCHEMA_V4_WORKOUT_PROGRESS = """
ALTER TABLE programme_sessions ADD COLUMN status TEXT NOT NULL DEFAULT 'finished'
    CHECK (status IN ('in_progress', 'finished'));
ALTER TABLE programme_sets ADD COLUMN side TEXT CHECK (side IS NULL OR side IN ('left', 'right'));
"""

#: Script ``i`` upgrades ``user_version`` ``i`` → ``i + 1``.  Append only.
MIGRATIONS: tuple[str, ...] = (_SCHEMA_V1, _SCHEMA_V2_BATCH, _SCHEMA_V3_PROGRAMMES,
                               _SCHEMA_V4_WORKOUT_PROGRESS)
SCHEMA_VERSION = len(MIGRATIONS)

_EVENT_KEYS = ("rule", "category", "severity", "start_s", "end_s", "cue")
_REP_KEYS = ("index", "start_s", "bottom_s", "end_s", "style", "metrics", "faults", "score")
# report.json parts that get their own columns/tables, or are never kept.
_REPORT_OWN_KEYS = ("activity", "video", "frames", "events", "reps", "summary")


# --------------------------------------------------------------------------- errors


class StoreError(PostureError):
    """The history could not be read or written; ``str()`` says what to do."""

    def __init__(self, message: str, *, detail: str | None = None,
                 path: str | os.PathLike[str] | None = None) -> None:
        super().__init__(message, detail=detail)
        self.path = os.fspath(path) if path is not None else None

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep detail and path when the error crosses a process boundary.
        return (type(self), (self.message,), {"detail": self.detail, "path": self.path})


class SessionNotFoundError(StoreError):
    """The session id is not (or no longer) in the history, e.g. deleted in another tab."""


def _error_detail(exc: BaseException) -> str:
    name = getattr(exc, "sqlite_errorname", None)
    return f"{type(exc).__name__}: {exc}" + (f" [{name}]" if name else "")


def _translate(exc: BaseException, path: Path, fallback: str | None = None) -> StoreError:
    """Turn a sqlite3/OS failure into a sentence a patient can act on."""
    name = str(getattr(exc, "sqlite_errorname", "") or "")
    text = str(exc).lower()
    where = str(path)
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in text \
            or "not a database" in text:
        msg = (f"The history database at {where} is damaged; move that file elsewhere or "
               "delete it, and posture will start a new, empty history.")
    elif name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in text:
        msg = (f"The history database at {where} is busy in another window or program; "
               "please try again in a moment.")
    elif name.startswith("SQLITE_FULL") or "disk is full" in text:
        msg = (f"The history could not be saved because the disk holding {where} is full; "
               "free some space and try again.")
    elif fallback is not None:
        msg = fallback
    elif isinstance(exc, OSError) or name.startswith(
            ("SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_READONLY", "SQLITE_IOERR", "SQLITE_AUTH")) \
            or "unable to open" in text:
        msg = (f"The history database at {where} could not be opened or written; check that "
               "its folder exists and that you are allowed to write there.")
    else:
        msg = (f"The history database at {where} could not be used; if this keeps happening, "
               "move that file elsewhere to start a new history.")
    return StoreError(msg, detail=_error_detail(exc), path=path)


# --------------------------------------------------------------------------- location


def default_data_dir() -> Path:
    """Per-user data folder, as platformdirs would choose it (computed here, no dependency).

    ``$POSTURE_DATA_DIR`` overrides it (tests, portable installs, clinics that
    keep data on an encrypted volume).
    """
    override = os.environ.get(ENV_DATA_DIR)
    if override:
        return Path(override).expanduser().absolute()
    if sys.platform == "win32":
        appdata = os.environ.get("APPDATA")
        root = Path(appdata) if appdata else Path.home() / "AppData" / "Roaming"
    elif sys.platform == "darwin":
        root = Path.home() / "Library" / "Application Support"
    else:
        xdg = os.environ.get("XDG_DATA_HOME")
        # The XDG spec says relative values are invalid and must be ignored.
        root = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".local" / "share"
    return root / APP_DIR_NAME


def _make_private_dirs(folder: Path) -> None:
    """Create ``folder`` and any missing parents with mode 0o700 (whatever the umask)."""
    missing: list[Path] = []
    current = folder
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    for d in reversed(missing):
        try:
            d.mkdir(mode=0o700)
        except FileExistsError:  # another process made it first
            continue
        os.chmod(d, 0o700)
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder} is not a folder")


def _create_private_file(path: Path) -> None:
    """Create an empty database file readable by its owner only; leave an existing one alone."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    except FileExistsError:
        return
    os.close(fd)
    os.chmod(path, 0o600)


# --------------------------------------------------------------------------- values


def _jsonable(value: Any) -> Any:
    """A JSON-safe copy: NaN/inf → None, tuples → lists, numpy scalars/arrays → Python."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "tolist") and callable(value.tolist):  # numpy array or scalar
        return _jsonable(value.tolist())
    if hasattr(value, "item") and callable(value.item):
        return _jsonable(value.item())
    raise TypeError(f"cannot store a {type(value).__name__} in the history (not JSON data)")


def _dumps(value: Any) -> str:
    return json.dumps(_jsonable(value), allow_nan=False, ensure_ascii=False,
                      separators=(",", ":"))


def _loads(text: str | None, default: Any) -> Any:
    """Decode a JSON column; a hand-edited bad value must not break the History page."""
    if text is None:
        return default
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return default


def _num(value: Any) -> float | None:
    """A finite float, or None for missing/non-numeric/NaN values."""
    if value is None or isinstance(value, bool):
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _score(value: Any) -> int | float | None:
    """Rep scores stay ints when they are ints (report.json writes 82, not 82.0)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if hasattr(value, "item") and callable(value.item):
        value = value.item()
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return _num(value)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _required_time(value: Any, name: str) -> float:
    f = _num(value)
    if f is None:
        raise ValueError(f"{name} must be a finite number of seconds, got {value!r}")
    return f


def _duration(value: Any) -> float:
    return max(0.0, _required_time(value, "duration_s"))


def _as_mapping(value: Mapping[str, Any] | None, name: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a mapping, got {type(value).__name__}")
    return value


def _event_row(event: Mapping[str, Any]) -> tuple[Any, ...]:
    event = _as_mapping(event, "each event")
    extra = {k: v for k, v in event.items() if k not in _EVENT_KEYS}
    return (_text(event.get("rule")), _text(event.get("category")),
            _text(event.get("severity")), _num(event.get("start_s")), _num(event.get("end_s")),
            _text(event.get("cue")), _dumps(extra) if extra else None)


def _rep_row(rep: Mapping[str, Any], position: int) -> tuple[Any, ...]:
    rep = _as_mapping(rep, "each rep")
    index = rep.get("index")
    idx = index if isinstance(index, int) and not isinstance(index, bool) else position + 1
    extra = {k: v for k, v in rep.items() if k not in _REP_KEYS}
    faults = rep.get("faults")
    metrics = rep.get("metrics")
    return (idx, _num(rep.get("start_s")), _num(rep.get("bottom_s")), _num(rep.get("end_s")),
            _text(rep.get("style")), _score(rep.get("score")),
            _dumps(faults if faults is not None else []),
            _dumps(metrics if metrics is not None else {}), _dumps(extra) if extra else None)


def _severity_seconds(summary: Mapping[str, Any]) -> tuple[float, float]:
    """(seconds in the ok band, seconds graded at all) from ``summary.time_s_by_severity``."""
    by = summary.get("time_s_by_severity") if isinstance(summary, Mapping) else None
    if not isinstance(by, Mapping):
        return 0.0, 0.0
    secs = {k: max(0.0, _num(by.get(k)) or 0.0) for k in SEVERITIES}
    return secs["ok"], sum(secs.values())


def _statements(script: str) -> Iterator[str]:
    """Split a migration script into single statements (``executescript`` would COMMIT)."""
    buf = ""
    for piece in script.split(";"):
        buf += piece + ";"
        if sqlite3.complete_statement(buf):
            lines = [ln for ln in buf.splitlines()
                     if ln.strip() and not ln.strip().startswith("--")]
            stmt = "\n".join(lines).strip()
            if stmt and stmt != ";":
                yield stmt
            buf = ""
    if buf.strip(" \n\t;"):
        raise ValueError(f"incomplete SQL statement in migration: {buf!r}")


def _enable_wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL (a setting kept in the file), waiting out other openers.

    Changing the journal mode needs an exclusive lock, and SQLite answers
    SQLITE_BUSY at once there instead of calling the busy handler, so when
    several processes open a new database together we retry by hand for up
    to the busy timeout.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    delay = 0.005
    while True:
        try:
            if str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
                return
            conn.execute("PRAGMA journal_mode = WAL").fetchone()
            return
        except sqlite3.OperationalError as exc:
            busy = str(getattr(exc, "sqlite_errorname", "")).startswith("SQLITE_BUSY")
            if not busy or time.monotonic() + delay > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


# --------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class SessionRow:
    """One line of the History list (no events/reps: those are loaded on demand)."""

    id: int
    kind: str
    activity: str
    source: str | None
    started_at: float
    ended_at: float | None
    duration_s: float
    status: str
    profile: str | None
    summary: dict[str, Any]
    settings: dict[str, Any]
    updated_at: float
    event_count: int = 0
    rep_count: int = 0

    @property
    def score(self) -> float | None:
        """``summary.score`` when it is a number."""
        return _num(self.summary.get("score"))

    @property
    def ok_share(self) -> float | None:
        """Share of graded time in the ok band, None when nothing was graded."""
        ok, graded = _severity_seconds(self.summary)
        return ok / graded if graded > 0 else None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SessionDetail:
    """A session with its events and reps, shaped like report.json's ``events[]``/``reps[]``."""

    session: SessionRow
    events: list[dict[str, Any]]
    reps: list[dict[str, Any]]
    #: The rest of a saved report.json (video info without its path, tool version, warnings).
    meta: dict[str, Any]

    def to_report(self) -> dict[str, Any]:
        """A report.json-shaped dict for the report views; ``frames`` are never stored."""
        report: dict[str, Any] = {k: v for k, v in self.meta.items() if k != "video"}
        video = dict(self.meta.get("video") or {})
        video.setdefault("duration_s", self.session.duration_s)
        if self.session.source is not None:
            video["path"] = self.session.source
        report.update(activity=self.session.activity, video=video, events=self.events,
                      reps=self.reps, summary=self.session.summary)
        return report

    def to_dict(self) -> dict[str, Any]:
        out = self.session.to_dict()
        out.pop("event_count", None)
        out.pop("rep_count", None)
        out.update(meta=self.meta, events=self.events, reps=self.reps)
        return out


@dataclass(frozen=True)
class DayTrend:
    """One local calendar day of practice, for the History trend chart."""

    day: date
    sessions: int
    total_s: float
    #: Seconds in the ok band / graded seconds, over all the day's sessions; None if none graded.
    ok_share: float | None
    #: Mean over the day's scored reps (each rep weighs the same); None without scored reps.
    mean_rep_score: float | None
    reps: int


@dataclass(frozen=True)
class ProgrammeSession:
    """One day's workout of a programme: its sets as the runner recorded them.

    ``sets`` are dicts (one per prescribed set, in the order done) with ``exercise``,
    ``set``, ``kind``, ``target``, ``reps_done`` / ``hold_s_done``, ``rom_deg`` (the
    set's best range of motion), ``rom_mean_deg``, ``rom_target_deg``, ``faults``
    (category → count), ``met``, ``skipped``, ``session_id`` (its exercise session,
    if one was saved) and any extra fields the caller gave (``started_s``, …).
    ``programme_file`` is the programme as it was that day ({} if it was unknown).
    ``status`` is "in_progress" while it is being done (saved after every set) and for a
    workout never finished (the tab was closed), else "finished".
    """

    id: int
    programme_id: str | None
    programme_title: str
    programme_file: dict[str, Any]
    day: date
    started_at: float
    duration_s: float
    sets: tuple[dict[str, Any], ...]
    status: str = "finished"

    @property
    def in_progress(self) -> bool:
        return self.status == "in_progress"

    @property
    def programme(self) -> Programme | None:
        """The day's programme as a record, or None when it was not kept."""
        return _programme_or_none(self.programme_file)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "programme_id": self.programme_id,
                "programme_title": self.programme_title, "programme": self.programme_file,
                "day": self.day.isoformat(), "started_at": self.started_at,
                "duration_s": self.duration_s, "status": self.status,
                "sets": [dict(x) for x in self.sets]}


#: A set's ``source`` when it was counted from a reviewed recording (not the live page).
RECORDING_SOURCE = "recording"

_SET_KEYS = ("exercise", "key", "set", "set_number", "kind", "target", "reps_done",
             "hold_s_done", "rom_deg", "rom_best_deg", "rom_mean_deg", "rom_target_deg",
             "faults", "met", "skipped", "session_id", "side")


def _kinds_of(data: Mapping[str, Any]) -> dict[str, str]:
    """key → kind as a stored programme file says (so it reads back whatever the library)."""
    items = data.get("exercises") if isinstance(data, Mapping) else None
    return {str(i.get("exercise")): "hold" if "hold_s" in i else "reps"
            for i in items or () if isinstance(i, Mapping)}


def _programme_or_none(data: Mapping[str, Any]) -> Programme | None:
    if not data:
        return None
    try:
        return programme_from_dict(data, known=_kinds_of(data))
    except ProgrammeError:
        return None


def _whole_count(value: Any) -> int | None:
    f = _num(value)
    return round(f) if f is not None else None


def _faults_map(value: Any) -> dict[str, int]:
    """{category: count} from a mapping or a list of categories (or of fault dicts)."""
    out: dict[str, int] = {}
    if isinstance(value, Mapping):
        for k, v in value.items():
            n = _whole_count(v)
            if n:
                out[str(k)] = out.get(str(k), 0) + n
    elif isinstance(value, list | tuple):
        for f in value:
            cat = f.get("category") if isinstance(f, Mapping) else f
            if cat:
                out[str(cat)] = out.get(str(cat), 0) + 1
    return out


def _set_row(item: Mapping[str, Any], position: int) -> tuple[Any, ...]:
    """One per-set row of a programme session; ``ValueError`` with a sentence if unusable."""
    item = _as_mapping(item, "each set")
    exercise = item.get("exercise", item.get("key"))
    if not isinstance(exercise, str) or not exercise:
        raise ValueError(f"Set {position + 1} of the workout does not name its exercise.")
    number = _whole_count(item.get("set", item.get("set_number")))
    kind = item.get("kind")
    if kind not in ("reps", "hold"):
        kind = "hold" if _num(item.get("hold_s_done")) is not None else "reps"
    rom_best = _num(item.get("rom_best_deg", item.get("rom_deg")))
    extra = {k: v for k, v in item.items() if k not in _SET_KEYS}
    session_id = item.get("session_id")
    side = item.get("side")
    if side is not None and side not in SET_SIDES:
        raise ValueError(f"Set {position + 1} of the workout has the side {side!r}; a set is "
                         "done on the left or the right side, or on no one side.")
    return (position, exercise, number if number is not None else 1, kind,
            _num(item.get("target")), _whole_count(item.get("reps_done")),
            _num(item.get("hold_s_done")), rom_best, _num(item.get("rom_mean_deg")),
            _num(item.get("rom_target_deg")), _dumps(_faults_map(item.get("faults"))),
            int(bool(item.get("met"))), int(bool(item.get("skipped"))),
            session_id if isinstance(session_id, int) and not isinstance(session_id, bool)
            else None, _dumps(extra) if extra else None, side)


def _set_dict(r: sqlite3.Row) -> dict[str, Any]:
    out: dict[str, Any] = {
        "exercise": r["exercise"], "set": r["set_number"], "kind": r["kind"],
        "target": r["target"], "reps_done": r["reps_done"], "hold_s_done": r["hold_s_done"],
        "rom_deg": r["rom_best_deg"], "rom_mean_deg": r["rom_mean_deg"],
        "rom_target_deg": r["rom_target_deg"], "faults": _loads(r["faults_json"], {}),
        "met": bool(r["met"]), "skipped": bool(r["skipped"]), "session_id": r["session_id"],
        "side": r["side"]}
    out.update(_loads(r["extra_json"], {}))
    return out


def _row(r: sqlite3.Row) -> SessionRow:
    keys = r.keys()
    return SessionRow(
        id=r["id"], kind=r["kind"], activity=r["activity"], source=r["source"],
        started_at=r["started_at"], ended_at=r["ended_at"], duration_s=r["duration_s"],
        status=r["status"], profile=r["profile"],
        summary=_loads(r["summary_json"], {}), settings=_loads(r["settings_json"], {}),
        updated_at=r["updated_at"],
        event_count=r["event_count"] if "event_count" in keys else 0,
        rep_count=r["rep_count"] if "rep_count" in keys else 0,
    )


def _event_dict(r: sqlite3.Row) -> dict[str, Any]:
    out = {k: r[k] for k in _EVENT_KEYS}
    out.update(_loads(r["extra_json"], {}))
    return out


def _rep_dict(r: sqlite3.Row) -> dict[str, Any]:
    out: dict[str, Any] = {
        "index": r["idx"], "start_s": r["start_s"], "bottom_s": r["bottom_s"],
        "end_s": r["end_s"], "style": r["style"], "metrics": _loads(r["metrics_json"], {}),
        "faults": _loads(r["faults_json"], []), "score": r["score"],
    }
    out.update(_loads(r["extra_json"], {}))
    return out


_LIST_SQL = """
SELECT s.*,
       (SELECT COUNT(*) FROM events e WHERE e.session_id = s.id) AS event_count,
       (SELECT COUNT(*) FROM reps r WHERE r.session_id = s.id) AS rep_count
FROM sessions s
"""


# --------------------------------------------------------------------------- store


class HistoryStore:
    """The session history: start/record/finish live sessions, save reviews, browse, delete."""

    #: Schema scripts this build knows; a subclass may extend it (tests do).
    migrations: tuple[str, ...] = MIGRATIONS

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = (Path(path).expanduser().absolute() if path is not None
                     else default_data_dir() / DB_FILENAME)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        try:
            _make_private_dirs(self.path.parent)
            _create_private_file(self.path)
        except OSError as exc:
            raise StoreError(
                f"The history folder {self.path.parent} could not be created or used; check "
                f"that it is a folder you are allowed to write to, or set {ENV_DATA_DIR} to "
                "another folder.", detail=_error_detail(exc), path=self.path) from None
        conn: sqlite3.Connection | None = None
        try:
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                                   check_same_thread=False)
            conn.row_factory = sqlite3.Row
            self._configure(conn)
        except sqlite3.Error as exc:
            if conn is not None:
                conn.close()
            if isinstance(exc, sqlite3.ProgrammingError | sqlite3.InterfaceError):
                raise
            raise _translate(exc, self.path) from None
        except BaseException:
            if conn is not None:
                conn.close()
            raise
        self._conn = conn

    # ----------------------------------------------------------------- setup

    def _newer_error(self, version: int) -> StoreError:
        return StoreError(
            f"The history database at {self.path} was written by a newer version of posture "
            f"(history format {version}; this version reads up to {len(self.migrations)}); "
            "please update posture to open it.", path=self.path)

    def _configure(self, conn: sqlite3.Connection) -> None:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        # Read the version before writing anything: a newer file must stay untouched.
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version > len(self.migrations):
            raise self._newer_error(version)
        _enable_wal(conn)
        conn.execute("PRAGMA synchronous = NORMAL")
        # Deleted sessions are overwritten with zeros instead of lingering in free pages.
        conn.execute("PRAGMA secure_delete = ON")
        if version < len(self.migrations):
            self._migrate(conn)
        conn.execute("PRAGMA foreign_keys = ON")

    def _migrate(self, conn: sqlite3.Connection) -> None:
        """Apply pending scripts in one write transaction (another process may race us)."""
        target = len(self.migrations)
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version > target:
                raise self._newer_error(version)
            for script in self.migrations[version:]:
                for stmt in _statements(script):
                    conn.execute(stmt)
            if conn.execute("PRAGMA foreign_key_check").fetchone() is not None:
                raise StoreError(
                    f"The history database at {self.path} could not be upgraded because some "
                    "of its records no longer fit together; move that file elsewhere to start "
                    "a new history.", path=self.path)
            conn.execute(f"PRAGMA user_version = {target:d}")
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                with suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error) and not isinstance(
                    exc, sqlite3.ProgrammingError | sqlite3.InterfaceError):
                raise _translate(exc, self.path, fallback=(
                    f"The history database at {self.path} could not be upgraded to this version "
                    "of posture; it was left as it was. Move that file elsewhere to start a new "
                    "history.")) from None
            raise

    # ----------------------------------------------------------------- plumbing

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[sqlite3.Connection]:
        """Serialise threads, run the block in one transaction, translate sqlite errors."""
        with self._lock:
            conn = self._conn
            if conn is None:
                raise StoreError("The session history has already been closed; please reload "
                                 "the page.", path=self.path)
            try:
                conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                try:
                    yield conn
                except BaseException:
                    if conn.in_transaction:
                        with suppress(sqlite3.Error):
                            conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            except (sqlite3.ProgrammingError, sqlite3.InterfaceError):
                raise
            except sqlite3.Error as exc:
                raise _translate(exc, self.path) from None

    def _not_found(self, session_id: int) -> SessionNotFoundError:
        return SessionNotFoundError(
            f"Session {session_id} is no longer in the history; it may have been deleted.",
            path=self.path)

    @staticmethod
    def _replace_children(conn: sqlite3.Connection, session_id: int,
                          events: list[tuple[Any, ...]], reps: list[tuple[Any, ...]]) -> None:
        conn.execute("DELETE FROM events WHERE session_id = ?", (session_id,))
        conn.execute("DELETE FROM reps WHERE session_id = ?", (session_id,))
        conn.executemany(
            "INSERT INTO events (session_id, rule, category, severity, start_s, end_s, cue, "
            "extra_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(session_id, *e) for e in events])
        conn.executemany(
            "INSERT INTO reps (session_id, idx, start_s, bottom_s, end_s, style, score, "
            "faults_json, metrics_json, extra_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(session_id, *r) for r in reps])

    @staticmethod
    def _children(events: Sequence[Mapping[str, Any]], reps: Sequence[Mapping[str, Any]],
                  ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        # Serialised before taking the lock, so the camera thread waits as little as possible.
        return ([_event_row(e) for e in events or ()],
                [_rep_row(r, i) for i, r in enumerate(reps or ())])

    # ----------------------------------------------------------------- live sessions

    def start_session(self, kind: str, activity: str, *, started_at: float,
                      source: str | None = None, settings: Mapping[str, Any] | None = None,
                      profile: str | None = None) -> int:
        """Open a session in state 'recording' and return its id (for record/finish)."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        start = _required_time(started_at, "started_at")
        settings_json = _dumps(_as_mapping(settings, "settings"))
        with self._transaction(write=True) as conn:
            cur = conn.execute(
                "INSERT INTO sessions (kind, activity, source, started_at, status, "
                "settings_json, profile, updated_at) VALUES (?, ?, ?, ?, 'recording', ?, ?, ?)",
                (kind, str(activity), source, start, settings_json, profile, time.time()))
            return int(cur.lastrowid or 0)

    def record_progress(self, session_id: int, *, summary: Mapping[str, Any],
                        events: Sequence[Mapping[str, Any]], reps: Sequence[Mapping[str, Any]],
                        duration_s: float) -> None:
        """Save the session's state so far, so a crash loses only what came after.

        Idempotent: the summary is overwritten and events/reps are replaced
        wholesale in one transaction (they are small), so calling it every few
        seconds never duplicates rows.  A session marked 'interrupted' by
        another tab is evidently alive and goes back to 'recording'.  Progress
        arriving after :meth:`finish_session` (a late camera callback) is
        ignored.  Raises :class:`SessionNotFoundError` if the session was deleted.
        """
        summary_json = _dumps(_as_mapping(summary, "summary"))
        duration = _duration(duration_s)
        event_rows, rep_rows = self._children(events, reps)
        with self._transaction(write=True) as conn:
            cur = conn.execute(
                "UPDATE sessions SET summary_json = ?, duration_s = ?, status = 'recording', "
                "updated_at = ? WHERE id = ? AND ended_at IS NULL",
                (summary_json, duration, time.time(), session_id))
            if cur.rowcount == 0:
                if conn.execute("SELECT 1 FROM sessions WHERE id = ?",
                                (session_id,)).fetchone() is None:
                    raise self._not_found(session_id)
                return  # already finished
            self._replace_children(conn, session_id, event_rows, rep_rows)

    def finish_session(self, session_id: int, *, summary: Mapping[str, Any],
                       events: Sequence[Mapping[str, Any]], reps: Sequence[Mapping[str, Any]],
                       duration_s: float, ended_at: float, status: str = "complete") -> None:
        """Write the final state and close the session ('complete' or 'interrupted')."""
        if status not in ("complete", "interrupted"):
            raise ValueError(f"a finished session is 'complete' or 'interrupted', not {status!r}")
        summary_json = _dumps(_as_mapping(summary, "summary"))
        duration = _duration(duration_s)
        end = _required_time(ended_at, "ended_at")
        event_rows, rep_rows = self._children(events, reps)
        with self._transaction(write=True) as conn:
            cur = conn.execute(
                "UPDATE sessions SET summary_json = ?, duration_s = ?, ended_at = ?, status = ?, "
                "updated_at = ? WHERE id = ?",
                (summary_json, duration, end, status, time.time(), session_id))
            if cur.rowcount == 0:
                raise self._not_found(session_id)
            self._replace_children(conn, session_id, event_rows, rep_rows)

    def save_report(self, report: Mapping[str, Any], *, kind: str = "review",
                    source: str | None = None, started_at: float | None = None) -> int:
        """Store a whole report.json dict as one complete session, in one transaction.

        ``source`` defaults to the bare file name of ``video.path`` (never the
        full path, which can reveal a patient's name or folders).  ``frames``
        are not kept: the History page needs only the summary, events and reps.
        """
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        report = _as_mapping(report, "report")
        video = report.get("video")
        video = video if isinstance(video, Mapping) else {}
        if source is None and video.get("path"):
            source = display_name(str(video["path"]))
        duration = _num(video.get("duration_s"))
        if duration is None:
            frames = report.get("frames")
            last = frames[-1] if isinstance(frames, Sequence) and frames else None
            duration = (_num(last.get("t")) if isinstance(last, Mapping) else None) or 0.0
        duration = max(0.0, duration)
        start = time.time() if started_at is None else _required_time(started_at, "started_at")
        meta = {k: v for k, v in report.items() if k not in _REPORT_OWN_KEYS}
        meta["video"] = {k: v for k, v in video.items() if k != "path"}
        activity = report.get("activity") or "unknown"
        summary_json = _dumps(_as_mapping(report.get("summary"), "summary"))
        meta_json = _dumps(meta)
        event_rows, rep_rows = self._children(report.get("events") or (),
                                              report.get("reps") or ())
        with self._transaction(write=True) as conn:
            cur = conn.execute(
                "INSERT INTO sessions (kind, activity, source, started_at, ended_at, duration_s, "
                "status, summary_json, meta_json, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, 'complete', ?, ?, ?)",
                (kind, str(activity), source, start, start + duration, duration, summary_json,
                 meta_json, time.time()))
            session_id = int(cur.lastrowid or 0)
            self._replace_children(conn, session_id, event_rows, rep_rows)
            return session_id

    def mark_interrupted(self, *, idle_s: float = 0.0) -> int:
        """Sessions left 'recording' by a crash become 'interrupted'; returns how many.

        Call it at app start.  With several tabs or processes recording, pass
        ``idle_s`` (e.g. 30): only sessions whose last write is older than that
        are marked, so a live session elsewhere is left alone.  (Should one be
        marked anyway, its next :meth:`record_progress` sets it back to 'recording'.)
        """
        with self._transaction(write=True) as conn:
            if idle_s > 0:
                cur = conn.execute(
                    "UPDATE sessions SET status = 'interrupted' "
                    "WHERE status = 'recording' AND updated_at <= ?", (time.time() - idle_s,))
            else:
                cur = conn.execute(
                    "UPDATE sessions SET status = 'interrupted' WHERE status = 'recording'")
            return cur.rowcount

    # ----------------------------------------------------------------- reading

    def list_sessions(self, limit: int | None = None) -> list[SessionRow]:
        """Sessions newest first (by start time), with their event and rep counts."""
        if limit is not None and limit < 0:
            raise ValueError("limit must be >= 0")
        with self._transaction(write=False) as conn:
            rows = conn.execute(_LIST_SQL + " ORDER BY s.started_at DESC, s.id DESC LIMIT ?",
                                (-1 if limit is None else limit,)).fetchall()
        return [_row(r) for r in rows]

    @staticmethod
    def _detail(conn: sqlite3.Connection, session_id: int) -> SessionDetail | None:
        r = conn.execute(_LIST_SQL + " WHERE s.id = ?", (session_id,)).fetchone()
        if r is None:
            return None
        events = conn.execute("SELECT * FROM events WHERE session_id = ? ORDER BY id",
                              (session_id,)).fetchall()
        reps = conn.execute("SELECT * FROM reps WHERE session_id = ? ORDER BY id",
                            (session_id,)).fetchall()
        return SessionDetail(session=_row(r), events=[_event_dict(e) for e in events],
                             reps=[_rep_dict(x) for x in reps], meta=_loads(r["meta_json"], {}))

    def get_session(self, session_id: int) -> SessionDetail | None:
        """One session with its events and reps, or None if there is no such session."""
        with self._transaction(write=False) as conn:
            return self._detail(conn, session_id)

    def trends(self) -> list[DayTrend]:
        """Per local calendar day (of each session's start), oldest first.

        ``ok_share`` weighs sessions by their graded time (a 2-minute session
        does not count as much as an hour); summaries missing
        ``time_s_by_severity`` or some of its keys count those as 0.
        """
        with self._transaction(write=False) as conn:
            sessions = conn.execute(
                "SELECT id, started_at, duration_s, summary_json FROM sessions "
                "ORDER BY started_at").fetchall()
            rep_stats = {r[0]: (int(r[1]), float(r[2] or 0.0), int(r[3])) for r in conn.execute(
                "SELECT session_id, COUNT(*), SUM(score), COUNT(score) FROM reps "
                "GROUP BY session_id")}
        days: dict[date, dict[str, float]] = {}
        for s in sessions:
            d = days.setdefault(date.fromtimestamp(s["started_at"]), dict.fromkeys(
                ("sessions", "total_s", "ok_s", "graded_s", "reps", "score_sum", "scored"), 0.0))
            ok, graded = _severity_seconds(_loads(s["summary_json"], {}))
            n_reps, score_sum, scored = rep_stats.get(s["id"], (0, 0.0, 0))
            d["sessions"] += 1
            d["total_s"] += s["duration_s"] or 0.0
            d["ok_s"] += ok
            d["graded_s"] += graded
            d["reps"] += n_reps
            d["score_sum"] += score_sum
            d["scored"] += scored
        return [DayTrend(day=day, sessions=int(d["sessions"]), total_s=d["total_s"],
                         ok_share=d["ok_s"] / d["graded_s"] if d["graded_s"] > 0 else None,
                         mean_rep_score=d["score_sum"] / d["scored"] if d["scored"] else None,
                         reps=int(d["reps"]))
                for day, d in sorted(days.items())]

    def export_json(self, session_id: int | None = None) -> dict[str, Any]:
        """One session, or the whole history plus settings, as plain JSON data (one snapshot)."""
        with self._transaction(write=False) as conn:
            if session_id is None:
                ids = [r[0] for r in conn.execute(
                    "SELECT id FROM sessions ORDER BY started_at, id")]
            else:
                ids = [session_id]
            details = [self._detail(conn, i) for i in ids]
            settings = self._settings(conn) if session_id is None else None
            programmes = [_loads(r[0], {}) for r in conn.execute(
                "SELECT programme_json FROM programmes ORDER BY created_at, id")] \
                if session_id is None else None
        if session_id is not None and details[0] is None:
            raise self._not_found(session_id)
        out: dict[str, Any] = {
            "format": "posture-history",
            "schema_version": len(self.migrations),
            "exported_at": time.time(),
            "sessions": [d.to_dict() for d in details if d is not None],
        }
        if settings is not None:
            out["settings"] = settings
        if programmes is not None:
            out["programmes"] = programmes
            out["programme_sessions"] = [p.to_dict() for p in self.programme_sessions()]
        return dict(_jsonable(out))

    # ----------------------------------------------------------------- deleting

    def _compact(self, *, vacuum: bool) -> None:
        """Rewrite deleted data out of the file: VACUUM (optional), then empty the WAL.

        ``secure_delete`` already zeroes freed pages, but until a checkpoint the
        WAL still holds copies of the pages as they were written.  The
        TRUNCATE checkpoint copies everything into the main file and empties
        the WAL; if another window is reading at that moment it does what it
        can and the rest goes at the next checkpoint.
        """
        with self._lock:
            conn = self._conn
            if conn is None:
                raise StoreError("The session history has already been closed; please reload "
                                 "the page.", path=self.path)
            try:
                if vacuum:
                    conn.execute("VACUUM")
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            except sqlite3.Error as exc:
                raise _translate(exc, self.path) from None

    def delete_session(self, session_id: int) -> bool:
        """Delete one session with its events and reps; False if it was not there.

        The freed pages are zeroed and the WAL emptied, so the deleted session
        does not stay readable in the files.
        """
        with self._transaction(write=True) as conn:
            deleted = conn.execute("DELETE FROM sessions WHERE id = ?",
                                   (session_id,)).rowcount > 0
        if deleted:
            self._compact(vacuum=False)
        return deleted

    def delete_all(self) -> int:
        """Delete every session and workout (settings and programmes are kept), then compact
        the file; returns the count of sessions.

        VACUUM rebuilds the file without the deleted pages (so it also
        shrinks) and the TRUNCATE checkpoint empties the WAL, so the deleted
        history does not linger on disk (see :meth:`_compact`).
        """
        with self._transaction(write=True) as conn:
            conn.execute("DELETE FROM events")
            conn.execute("DELETE FROM reps")
            tables = self._tables(conn)
            if "batch_items" in tables:
                conn.execute("DELETE FROM batch_items")
            if "programme_sessions" in tables:  # the workouts (programmes themselves stay)
                conn.execute("DELETE FROM programme_sets")
                conn.execute("DELETE FROM programme_sessions")
            count = conn.execute("DELETE FROM sessions").rowcount
        self._compact(vacuum=True)
        return count

    # ----------------------------------------------------------------- batch index

    @staticmethod
    def _tables(conn: sqlite3.Connection) -> set[str]:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def save_batch_item(self, batch_dir: str, item: Mapping[str, Any], *,
                        session_id: int | None = None) -> None:
        """Insert or replace the row of one recording of a batch (keyed by folder and name).

        ``item`` is a row of the batch's ``index.csv`` as ``posture.batch`` makes it
        (``name``, ``file``, ``status``, ``duration_s``, ``activity``, ``reps``,
        ``score``, ``verdict``, ``faults``, ``rep_faults``, ``error``).
        """
        item = _as_mapping(item, "item")
        status = str(item.get("status"))
        if status not in ("done", "failed"):
            raise ValueError(f"status must be 'done' or 'failed', got {status!r}")
        reps = item.get("reps")
        row = (str(batch_dir), str(item["name"]), display_name(str(item.get("file") or "")),
               status, _num(item.get("duration_s")), _text(item.get("activity")),
               int(reps) if isinstance(reps, int | float) and not isinstance(reps, bool) else None,
               _score(item.get("score")), _text(item.get("verdict")),
               _dumps(item.get("faults") or {}), _dumps(item.get("rep_faults") or {}),
               _text(item.get("error")), session_id, time.time())
        with self._transaction(write=True) as conn:
            conn.execute(
                "INSERT INTO batch_items (batch_dir, name, file, status, duration_s, activity, "
                "reps, score, verdict, faults_json, rep_faults_json, error, session_id, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (batch_dir, name) DO UPDATE SET file = excluded.file, "
                "status = excluded.status, duration_s = excluded.duration_s, "
                "activity = excluded.activity, reps = excluded.reps, score = excluded.score, "
                "verdict = excluded.verdict, faults_json = excluded.faults_json, "
                "rep_faults_json = excluded.rep_faults_json, error = excluded.error, "
                "session_id = excluded.session_id, updated_at = excluded.updated_at", row)

    def list_batch_items(self, batch_dir: str | None = None) -> list[dict[str, Any]]:
        """Rows of the batch index (one batch folder, or all), oldest batch first."""
        sql = ("SELECT batch_dir, name, file, status, duration_s, activity, reps, score, "
               "verdict, faults_json, rep_faults_json, error, session_id, updated_at "
               "FROM batch_items")
        args: tuple[Any, ...] = ()
        if batch_dir is not None:
            sql += " WHERE batch_dir = ?"
            args = (str(batch_dir),)
        sql += " ORDER BY batch_dir, name"
        with self._transaction(write=False) as conn:
            rows = conn.execute(sql, args).fetchall()
        out = []
        for r in rows:
            d = {k: r[k] for k in r.keys() if not k.endswith("_json")}  # noqa: SIM118
            d["faults"] = _loads(r["faults_json"], {})
            d["rep_faults"] = _loads(r["rep_faults_json"], {})
            out.append(d)
        return out

    # ----------------------------------------------------------------- programmes

    def _programme_not_found(self, programme_id: str) -> StoreError:
        return StoreError(f"The programme {programme_id!r} is no longer saved on this "
                          "computer; it may have been deleted.", path=self.path)

    @staticmethod
    def _programme(r: sqlite3.Row) -> Programme | None:
        data = _loads(r["programme_json"], {})
        return _programme_or_none(data) if isinstance(data, dict) else None

    def save_programme(self, programme: Programme, *, active: bool = False,
                       today: date | None = None) -> Programme:
        """Insert or update a programme (by its id); returns it with its dates filled in.

        ``created`` is kept from the first save (or the file); ``updated`` becomes
        ``today`` (default: the local date). ``active`` makes it the one "Today's
        programme" runs, in the same transaction.
        """
        if not isinstance(programme, Programme):
            raise TypeError(f"save_programme needs a Programme, got {type(programme).__name__}")
        day = (today or date.today()).isoformat()
        now = time.time()
        with self._transaction(write=True) as conn:
            old = conn.execute("SELECT programme_json FROM programmes WHERE id = ?",
                               (programme.id,)).fetchone()
            created = programme.created
            if old is not None:
                created = str(_loads(old[0], {}).get("created") or created)
            saved = replace(programme, created=created or day, updated=day)
            if active:
                conn.execute("UPDATE programmes SET active = 0 WHERE active = 1")
            conn.execute(
                "INSERT INTO programmes (id, title, patient, programme_json, active, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                "title = excluded.title, patient = excluded.patient, "
                "programme_json = excluded.programme_json, "
                "active = MAX(programmes.active, excluded.active), "
                "updated_at = excluded.updated_at",
                (saved.id, saved.title, saved.patient, _dumps(saved.to_dict()), int(active),
                 now, now))
        return saved

    def programme_set_up_on(self, programme_id: str) -> date | None:
        """The local day the programme was first saved on this computer (None if not saved).

        ``created_at`` is set by the first save and kept by later ones, so this is when
        the programme was given to the patient here (progress counts adherence from it).
        """
        with self._transaction(write=False) as conn:
            r = conn.execute("SELECT created_at FROM programmes WHERE id = ?",
                             (str(programme_id),)).fetchone()
        if r is None or r[0] is None:
            return None
        try:
            return datetime.fromtimestamp(float(r[0])).date()
        except (OverflowError, OSError, ValueError):
            return None

    def list_programmes(self) -> list[Programme]:
        """Saved programmes, the most recently changed first."""
        with self._transaction(write=False) as conn:
            rows = conn.execute("SELECT programme_json FROM programmes "
                                "ORDER BY updated_at DESC, title").fetchall()
        return [p for p in (self._programme(r) for r in rows) if p is not None]

    def get_programme(self, programme_id: str) -> Programme | None:
        """One saved programme, or None."""
        with self._transaction(write=False) as conn:
            r = conn.execute("SELECT programme_json FROM programmes WHERE id = ?",
                             (str(programme_id),)).fetchone()
        return self._programme(r) if r is not None else None

    def active_programme(self) -> Programme | None:
        """The programme "Today's programme" runs, or None."""
        with self._transaction(write=False) as conn:
            r = conn.execute("SELECT programme_json FROM programmes WHERE active = 1").fetchone()
        return self._programme(r) if r is not None else None

    def set_active_programme(self, programme_id: str | None) -> None:
        """Make one saved programme the active one (None: no programme is active)."""
        with self._transaction(write=True) as conn:
            if programme_id is not None and conn.execute(
                    "SELECT 1 FROM programmes WHERE id = ?", (str(programme_id),)
            ).fetchone() is None:
                raise self._programme_not_found(str(programme_id))
            conn.execute("UPDATE programmes SET active = 0 WHERE active = 1")
            if programme_id is not None:
                conn.execute("UPDATE programmes SET active = 1 WHERE id = ?",
                             (str(programme_id),))

    def delete_programme(self, programme_id: str) -> bool:
        """Delete a saved programme; its workouts stay (with their copy of it). False if absent."""
        with self._transaction(write=True) as conn:
            return conn.execute("DELETE FROM programmes WHERE id = ?",
                                (str(programme_id),)).rowcount > 0

    def record_programme_session(self, programme_id: str | None, *,
                                 sets: Sequence[Mapping[str, Any]], day: date | None = None,
                                 started_at: float | None = None, duration_s: float = 0.0,
                                 programme: Programme | None = None,
                                 finished: bool = True) -> int:
        """Store one day's workout (one row per set, in order); returns its id.

        The programme is copied from the saved one (or ``programme``) so progress can be
        read after the programme is edited or deleted; an id no longer saved (deleted in
        another tab during the workout) keeps the sets with no programme link.
        ``day`` defaults to the local date of ``started_at`` (default: now).
        ``finished=False`` saves it "in progress": the page saves the workout after its
        first set and updates it with :meth:`update_programme_session` as it goes.
        """
        start = time.time() if started_at is None else _required_time(started_at, "started_at")
        the_day = (day or date.fromtimestamp(start)).isoformat()
        duration = _duration(duration_s)
        rows = [_set_row(x, i) for i, x in enumerate(sets or ())]
        with self._transaction(write=True) as conn:
            pid: str | None = None if programme_id is None else str(programme_id)
            snapshot: dict[str, Any] = programme.to_dict() if programme is not None else {}
            if pid is not None:
                r = conn.execute("SELECT programme_json FROM programmes WHERE id = ?",
                                 (pid,)).fetchone()
                if r is None:
                    pid = None
                elif programme is None:
                    snapshot = _loads(r[0], {})
            if programme is not None and pid is None and conn.execute(
                    "SELECT 1 FROM programmes WHERE id = ?", (programme.id,)).fetchone():
                pid = programme.id
            cur = conn.execute(
                "INSERT INTO programme_sessions (programme_id, programme_title, programme_json, "
                "day, started_at, duration_s, updated_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (pid, str(snapshot.get("title") or ""), _dumps(snapshot), the_day, start,
                 duration, time.time(), "finished" if finished else "in_progress"))
            ps_id = int(cur.lastrowid or 0)
            self._insert_sets(conn, ps_id, rows)
            return ps_id

    @staticmethod
    def _insert_sets(conn: sqlite3.Connection, ps_id: int, rows: Sequence[tuple[Any, ...]]
                     ) -> None:
        """The per-set rows of a workout; a link to an exercise session no longer kept is
        dropped (the set stays)."""
        known = {x[0] for x in conn.execute("SELECT id FROM sessions")} if any(
            row[13] is not None for row in rows) else set()
        conn.executemany(
            "INSERT INTO programme_sets (programme_session_id, position, exercise, "
            "set_number, kind, target, reps_done, hold_s_done, rom_best_deg, rom_mean_deg, "
            "rom_target_deg, faults_json, met, skipped, session_id, extra_json, side) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(ps_id, *row[:13], row[13] if row[13] in known else None, *row[14:])
             for row in rows])

    def _workout_not_found(self, programme_session_id: int) -> StoreError:
        return StoreError(f"Workout {programme_session_id} is no longer in the history; it may "
                          "have been deleted on the History page.", path=self.path)

    def update_programme_session(self, programme_session_id: int, *,
                                 sets: Sequence[Mapping[str, Any]],
                                 duration_s: float | None = None, finished: bool = False
                                 ) -> None:
        """Replace a workout's sets with ``sets`` (all of them, in order), in place.

        What the page calls after every set (``finished=False``) and at the end
        (``finished=True``); one transaction, so a crash keeps either the old sets or the
        new ones. :class:`StoreError` (a sentence) when the workout was deleted meanwhile.
        Sets added from a reviewed recording (``source = "recording"``, e.g. in another
        tab while this workout runs) are not the live page's to replace: they are kept,
        after its sets.
        """
        with self._transaction(write=True) as conn:
            kept = [d for d in (_set_dict(r) for r in conn.execute(
                "SELECT * FROM programme_sets WHERE programme_session_id = ? "
                "ORDER BY position", (int(programme_session_id),)))
                if d.get("source") == RECORDING_SOURCE]
            new = [x for x in (sets or ()) if _as_mapping(x, "each set").get("source")
                   != RECORDING_SOURCE]
            rows = [_set_row(x, i) for i, x in enumerate([*new, *kept])]
            cur = conn.execute(
                "UPDATE programme_sessions SET duration_s = COALESCE(?, duration_s), "
                "updated_at = ?, status = CASE WHEN ? THEN 'finished' ELSE status END "
                "WHERE id = ?",
                (None if duration_s is None else _duration(duration_s), time.time(),
                 int(finished), int(programme_session_id)))
            if cur.rowcount == 0:
                raise self._workout_not_found(int(programme_session_id))
            conn.execute("DELETE FROM programme_sets WHERE programme_session_id = ?",
                         (int(programme_session_id),))
            self._insert_sets(conn, int(programme_session_id), rows)

    def add_programme_set(self, programme_session_id: int, item: Mapping[str, Any]) -> None:
        """Append one set to a workout (a reviewed recording counted as a set)."""
        with self._transaction(write=True) as conn:
            head = conn.execute("SELECT id FROM programme_sessions WHERE id = ?",
                                (int(programme_session_id),)).fetchone()
            if head is None:
                raise self._workout_not_found(int(programme_session_id))
            position = int(conn.execute(
                "SELECT COALESCE(MAX(position) + 1, 0) FROM programme_sets "
                "WHERE programme_session_id = ?", (int(programme_session_id),)).fetchone()[0])
            self._insert_sets(conn, int(programme_session_id), [_set_row(item, position)])
            conn.execute("UPDATE programme_sessions SET updated_at = ? WHERE id = ?",
                         (time.time(), int(programme_session_id)))

    def programme_sessions(self, programme_id: str | None = None, since: date | None = None
                           ) -> list[ProgrammeSession]:
        """Workouts oldest first: of one programme (by id) or all, from ``since`` on."""
        sql = "SELECT * FROM programme_sessions WHERE 1 = 1"
        args: list[Any] = []
        if programme_id is not None:
            sql += " AND programme_id = ?"
            args.append(str(programme_id))
        if since is not None:
            sql += " AND day >= ?"
            args.append(since.isoformat())
        sql += " ORDER BY day, started_at, id"
        with self._transaction(write=False) as conn:
            heads = conn.execute(sql, args).fetchall()
            sets: dict[int, list[dict[str, Any]]] = {}
            ids = [h["id"] for h in heads]
            for chunk in range(0, len(ids), 500):
                part = ids[chunk:chunk + 500]
                marks = ",".join("?" * len(part))
                for r in conn.execute(
                        f"SELECT * FROM programme_sets WHERE programme_session_id IN ({marks}) "
                        "ORDER BY programme_session_id, position, id", part):
                    sets.setdefault(r["programme_session_id"], []).append(_set_dict(r))
        out = []
        for h in heads:
            try:
                day = date.fromisoformat(h["day"])
            except (TypeError, ValueError):
                day = date.fromtimestamp(h["started_at"])
            snapshot = _loads(h["programme_json"], {})
            out.append(ProgrammeSession(
                id=h["id"], programme_id=h["programme_id"],
                programme_title=h["programme_title"] or "",
                programme_file=snapshot if isinstance(snapshot, dict) else {}, day=day,
                started_at=h["started_at"], duration_s=h["duration_s"],
                sets=tuple(sets.get(h["id"], ())), status=h["status"] or "finished"))
        return out

    def delete_programme_session(self, programme_session_id: int) -> bool:
        """Delete one day's workout and its sets; False if it was not there."""
        with self._transaction(write=True) as conn:
            deleted = conn.execute("DELETE FROM programme_sessions WHERE id = ?",
                                   (programme_session_id,)).rowcount > 0
        if deleted:
            self._compact(vacuum=False)
        return deleted

    # ----------------------------------------------------------------- settings

    @staticmethod
    def _settings(conn: sqlite3.Connection) -> dict[str, Any]:
        return {r["key"]: _loads(r["value_json"], None)
                for r in conn.execute("SELECT key, value_json FROM settings ORDER BY key")}

    def get_settings(self) -> dict[str, Any]:
        """The Settings page's saved values ({} on first run)."""
        with self._transaction(write=False) as conn:
            return self._settings(conn)

    def save_settings(self, values: Mapping[str, Any]) -> None:
        """Upsert the given keys (others are kept), all in one transaction."""
        rows = []
        for key, value in _as_mapping(values, "values").items():
            if not isinstance(key, str):
                raise TypeError(f"setting names must be strings, got {key!r}")
            rows.append((key, _dumps(value)))
        with self._transaction(write=True) as conn:
            conn.executemany(
                "INSERT INTO settings (key, value_json) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value_json = excluded.value_json", rows)

    # ----------------------------------------------------------------- lifetime

    def close(self) -> None:
        """Close the connection (idempotent); SQLite checkpoints and removes the WAL."""
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except sqlite3.Error as exc:
                raise _translate(exc, self.path) from None

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"HistoryStore({str(self.path)!r})"


__all__ = [
    "DB_FILENAME",
    "ENV_DATA_DIR",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "DayTrend",
    "HistoryStore",
    "ProgrammeSession",
    "SessionDetail",
    "SessionNotFoundError",
    "SessionRow",
    "StoreError",
    "default_data_dir",
]
