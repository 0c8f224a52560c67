"""Load the exercise library (posture/exercises/library/*.toml) into frozen records.

One file per exercise, so a therapist can read and adjust one without code.
Errors are ``ExerciseError`` sentences naming the file, the exercise and the
field; the number, band, view and name checks are the rule profile's own
(``posture.rules.profile``), so a band means the same thing in both.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, cast

from posture.errors import PostureError
from posture.exercises.model import (
    ALL_CATEGORIES,
    KINDS,
    NEAR_SIDE,
    SIDE_METRICS,
    SIDES_MODES,
    Exercise,
    Hold,
    Kind,
    Peak,
    Phases,
    Position,
    Rom,
    SidesMode,
)
from posture.rules.model import FRAME_METRICS, SEGMENTS, Condition, Rule
from posture.rules.profile import ProfileError, _bands, _name, _num, _read, _short, _views

LIBRARY_DIR = Path(__file__).resolve().parent / "library"
ACTIVITY = "exercise"  # Rule.activity and the session's activity

# Exercise rules are judged within a rep or a hold, so they react within a second,
# not after the minute a sitting rule waits (defaults to calibrate).
RULE_DEFAULTS: Mapping[str, float] = {
    "hysteresis": 3.0, "enter_s": 0.3, "clear_s": 0.3, "cue_after_s": 0.3,
    "cue_cooldown_s": 8.0, "max_gap_s": 1.0,
}

_TOP_KEYS = {"exercise", "start", "phases", "rom", "hold", "rules"}
_EXERCISE_KEYS = {"key", "title", "kind", "trains", "views", "setup_cue", "sides", "drive",
                  "start_s", "start_source", "side_metric", "side_flip"}
_RULE_KEYS = {"id", "category", "metric", "direction", "caution", "poor", "cue", "source",
              "views", "hysteresis", "enter_s", "clear_s", "cue_after_s", "cue_cooldown_s",
              "max_gap_s", "segment", "when", "label", "essential"}


class ExerciseError(PostureError, ValueError):
    """An exercise file that cannot be used, or an exercise the library does not have."""


def _fail(where: str, reason: str) -> ExerciseError:
    reason = reason.rstrip(".")
    return ExerciseError(f"{where}: {reason}.")


def _table(where: str, data: Mapping[str, Any], key: str) -> dict[str, Any]:
    v = data.get(key)
    if not isinstance(v, dict):
        raise _fail(where, f"'{key}' must be a table ([{key}])")
    return v


def _text(where: str, data: Mapping[str, Any], key: str, required: bool = True) -> str:
    v = data.get(key, None if required else "")
    if not isinstance(v, str) or (required and not v.strip()):
        raise _fail(where, f"'{key}' must be a non-empty text")
    return v.strip()


def _unknown(where: str, data: Mapping[str, Any], known: set[str]) -> None:
    extra = set(data) - known
    if extra:
        raise _fail(where, f"unknown field(s) {sorted(extra)}; expected some of {sorted(known)}")


def _metric(where: str, v: Any, field: str) -> str:
    return _name(f"{where}, field '{field}'", v, FRAME_METRICS, "metric")


def _conditions(where: str, raw: Any, field: str, positions: bool = False
                ) -> tuple[Condition, ...]:
    """``when`` guards (rules) or, with ``positions``, start/hold conditions (may be abs)."""
    shape = "{metric=…, min=…, max=…" + (", abs=true|false}" if positions else "}")
    keys = {"metric", "min", "max"} | ({"abs"} if positions else set())
    if not isinstance(raw, list) or not raw:
        raise _fail(where, f"'{field}' must be a non-empty list of {shape}")
    out: list[Condition] = []
    for c in raw:
        if not isinstance(c, dict) or "metric" not in c or not set(c) <= keys:
            raise _fail(where, f"each '{field}' entry is {shape}")
        if not isinstance(c.get("abs", False), bool):
            raise _fail(where, f"'{field}' on {c['metric']!r}: 'abs' must be true or false")
        lo = cast(float, _num(f"{where}, {field}", "min", c.get("min", -math.inf),
                              allow_inf=True))
        hi = cast(float, _num(f"{where}, {field}", "max", c.get("max", math.inf),
                              allow_inf=True))
        if lo > hi:
            raise _fail(where, f"'{field}' on {c['metric']!r} has min {lo:g} above max {hi:g}")
        metric = _metric(where, c["metric"], field)
        out.append(Position(metric, lo, hi, c.get("abs", False)) if positions
                   else Condition(metric, lo, hi))
    return tuple(out)


def _rule(where: str, key: str, raw: Any, i: int) -> Rule:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not raw["id"]:
        raise _fail(where, f"rules[{i}] needs a text 'id'")
    name = raw["id"]
    rw = f"{where}, rule {name!r}"
    _unknown(rw, raw, _RULE_KEYS)
    r = {**RULE_DEFAULTS, **raw}
    for field in ("category", "metric", "direction", "caution", "cue", "source"):
        if field not in r:
            raise _fail(rw, f"missing required field {field!r}")
    _name(rw, r["category"], ALL_CATEGORIES, "category")
    metric = _metric(rw, r["metric"], "metric")
    segment = r.get("segment", "trunk")
    if segment not in SEGMENTS:
        raise _fail(rw, f"unknown segment {_short(segment)}; expected one of {list(SEGMENTS)}")
    cue, source = _text(rw, r, "cue"), _text(rw, r, "source")
    bands = _bands(rw, r["direction"], r["caution"], r.get("poor"))
    when = _conditions(rw, r["when"], "when") if "when" in r else ()
    timing: dict[str, Any] = {k: _num(rw, k, r[k], lo=0.0) for k in RULE_DEFAULTS}
    views = _views(rw, r["views"]) if "views" in r else frozenset({"side_left", "side_right"})
    essential = r.get("essential", False)
    if not isinstance(essential, bool):
        raise _fail(rw, "'essential' must be true or false")
    return Rule(id=f"{key}.{name}", activity=ACTIVITY, category=r["category"], metric=metric,
                bands=bands, cue=cue, source=source, views=views, segment=segment, when=when,
                label=str(r.get("label", "")), essential=essential, **timing)


def _parse(path: Path, data: dict[str, Any]) -> Exercise:
    where = f"{path.name}"
    _unknown(where, data, _TOP_KEYS)
    ex = _table(where, data, "exercise")
    key = ex.get("key")
    if not isinstance(key, str) or not key.isidentifier() or key != key.lower():
        raise _fail(where, f"[exercise] 'key' must be a snake_case name, got {_short(key)}")
    where = f"{path.name}: exercise {key!r}"
    _unknown(where, ex, _EXERCISE_KEYS)
    kind = ex.get("kind")
    if kind not in KINDS:
        raise _fail(where, f"'kind' must be one of {list(KINDS)}, got {_short(kind)}")
    sides = ex.get("sides", "both")
    if sides not in SIDES_MODES:
        raise _fail(where, f"'sides' must be one of {list(SIDES_MODES)}, got {_short(sides)}")
    views = _views(where, ex.get("views"))
    drive = _metric(where, ex.get("drive"), "drive")
    start = _conditions(where, data.get("start"), "start", positions=True)
    start_s = cast(float, _num(where, "start_s", ex.get("start_s", 0.5), lo=0.0))
    start_source = _text(where, ex, "start_source")
    phases = rom = hold = None
    if "rom" in data:
        r = _table(where, data, "rom")
        rw = f"{where}, [rom]"
        _unknown(rw, r, {"metric", "peak", "target", "source", "category", "cue", "margin"})
        if r.get("peak") not in ("max", "min"):
            raise _fail(rw, f"'peak' must be 'max' or 'min', got {_short(r.get('peak'))}")
        rom = Rom(_metric(rw, r.get("metric"), "metric"), cast(Peak, r["peak"]),
                  cast(float, _num(rw, "target", r.get("target"))), _text(rw, r, "source"),
                  _name(rw, r.get("category", "rom_short"), ALL_CATEGORIES, "category"),
                  _text(rw, r, "cue") if "cue" in r else Rom.cue,
                  cast(float, _num(rw, "margin", r.get("margin", 0.0), lo=0.0)))
    if kind == "reps":
        p = _table(where, data, "phases")
        pw = f"{where}, [phases]"
        _unknown(pw, p, {"metric", "rest", "work", "min_rep_s", "source", "relative_to"})
        if p.get("relative_to", "own_rest") != "own_rest":
            raise _fail(pw, "'relative_to' can only be 'own_rest' (the person's own rest "
                        f"position), got {_short(p.get('relative_to'))}")
        rest = cast(float, _num(pw, "rest", p.get("rest")))
        work = cast(float, _num(pw, "work", p.get("work")))
        if rest == work:
            raise _fail(pw, "'rest' and 'work' must differ (their gap is the hysteresis)")
        phases = Phases(_metric(pw, p.get("metric"), "metric"), rest, work,
                        cast(float, _num(pw, "min_rep_s", p.get("min_rep_s", 0.4), lo=0.0)),
                        _text(pw, p, "source"), str(p.get("relative_to", "")))
    else:
        h = _table(where, data, "hold")
        hw = f"{where}, [hold]"
        _unknown(hw, h, {"band", "target_s", "source", "grace_s"})
        hold = Hold(_conditions(hw, h.get("band"), "band", positions=True),
                    cast(float, _num(hw, "target_s", h.get("target_s"), lo=1.0)),
                    _text(hw, h, "source"),
                    cast(float, _num(hw, "grace_s", h.get("grace_s", 0.3), lo=0.0)))
    if kind == "reps" and rom is None:
        raise _fail(where, "a 'reps' exercise needs a [rom] table (metric, peak, target, source)")
    for other in ("phases",) if kind == "hold" else ("hold",):
        if other in data:
            raise _fail(where, f"a {kind!r} exercise has no [{other}]")
    raw_rules = data.get("rules", [])
    if not isinstance(raw_rules, list):
        raise _fail(where, "'rules' must be an array of tables ([[rules]])")
    rules = tuple(_rule(where, key, r, i) for i, r in enumerate(raw_rules))
    ids = [r.id for r in rules]
    if len(set(ids)) != len(ids):
        raise _fail(where, "two rules share an id")
    side_metric = ex.get("side_metric")
    if side_metric is not None:
        if side_metric != NEAR_SIDE:
            side_metric = _metric(where, side_metric, "side_metric")
    elif sides != "both":
        side_metric = SIDE_METRICS.get(drive) or (SIDE_METRICS.get(rom.metric) if rom else None)
    flip = ex.get("side_flip", False)
    if not isinstance(flip, bool):
        raise _fail(where, "'side_flip' must be true or false")
    return Exercise(
        key=key, title=_text(where, ex, "title"), kind=cast(Kind, kind), views=views,
        setup_cue=_text(where, ex, "setup_cue"), sides=cast(SidesMode, sides), start=start,
        drive=drive, rules=rules, trains=_text(where, ex, "trains", required=False),
        start_s=start_s, start_source=start_source, phases=phases, rom=rom, hold=hold,
        side_metric=side_metric, side_flip=flip, source_file=str(path))


def load_exercise_file(path: str | Path) -> Exercise:
    """One exercise from a TOML file; ``ExerciseError`` for anything wrong with it."""
    p = Path(path)
    try:
        if not p.exists():
            raise ExerciseError(f"The exercise file '{p}' does not exist.")
        return _parse(p, _read(p))
    except ExerciseError:
        raise
    except ProfileError as e:  # the shared checks name the file and field already
        raise ExerciseError(str(e).rstrip(".") + ".") from None
    except Exception as e:  # a value of a type no check foresaw
        raise ExerciseError(f"{p.name}: a value has the wrong type "
                            f"({type(e).__name__}: {_short(str(e))}).") from None


@cache
def load_library(folder: Path = LIBRARY_DIR) -> Mapping[str, Exercise]:
    """Every exercise in ``folder``, by key (file name = key)."""
    out: dict[str, Exercise] = {}
    for f in sorted(folder.glob("*.toml")):
        ex = load_exercise_file(f)
        if ex.key != f.stem:
            raise ExerciseError(f"{f.name}: the exercise key {ex.key!r} must match the file "
                                f"name ({f.stem!r}).")
        out[ex.key] = ex
    return out


def exercise_keys() -> tuple[str, ...]:
    return tuple(load_library())


def get_exercise(key: str) -> Exercise:
    """The library's exercise ``key``; an unknown key lists the known ones in a sentence."""
    lib = load_library()
    if key not in lib:
        raise ExerciseError(f"There is no exercise called '{key}'; the library has: "
                            f"{', '.join(lib)}.")
    return lib[key]
