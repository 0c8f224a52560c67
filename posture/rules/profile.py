"""Load rule profiles from TOML into frozen, validated records.

A profile is data, so a clinician can make the rules stricter (post-op) or
looser (athletes) without code: a user file says ``extends = "default"`` and
then overrides rules by id (only the fields it names), adds new rules, or
lists ids under ``disable``. Errors name the file, the rule and the field.
"""

from __future__ import annotations

import math
import os
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any, cast

from posture.errors import PostureError
from posture.rules.model import (
    ACTIVITIES,
    ALL_VIEWS,
    CATEGORIES,
    FRAME_METRICS,
    REP_METRICS,
    SEGMENTS,
    ActivitySettings,
    Bands,
    Condition,
    Direction,
    Profile,
    Rule,
    Scope,
)

PROFILE_DIR = Path(__file__).resolve().parent.parent / "profiles"
DEFAULT_PROFILE = "default"
#: A rule profile is a few kilobytes of text; anything far bigger is the wrong file.
MAX_PROFILE_BYTES = 1 << 20


class ProfileError(PostureError, ValueError):
    """A profile file that cannot be turned into rules (bad TOML, unknown names, bad bands).

    The message names the file, the rule and the field, so a clinician editing
    a profile can fix it without reading code.
    """


_RULE_KEYS = {"id", "category", "metric", "direction", "caution", "poor", "cue", "source",
              "scope", "views", "hysteresis", "enter_s", "clear_s", "cue_after_s",
              "cue_cooldown_s", "max_gap_s", "segment", "when", "calibrated",
              "requires_load", "enabled", "label", "essential"}
_ACTIVITY_KEYS = {f.name for f in fields(ActivitySettings)} | {"defaults"}
_TOP_KEYS = {"profile", "extends", "activities", "rules", "disable"}


def builtin_profiles() -> tuple[str, ...]:
    """Names of the profiles shipped in posture/profiles."""
    return tuple(sorted(p.stem for p in PROFILE_DIR.glob("*.toml")))


def _resolve(ref: str | Path, base_dir: Path | None) -> Path:
    p = Path(ref)
    if p.suffix == ".toml" or p.is_absolute() or len(p.parts) > 1:
        if not p.is_absolute() and base_dir is not None and not p.exists():
            p = base_dir / p
        return p
    return PROFILE_DIR / f"{ref}.toml"


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            st = os.fstat(f.fileno())
            # a folder, a pipe or a device (/dev/zero) would fail late or never end
            if not stat.S_ISREG(st.st_mode):
                what = "a folder" if stat.S_ISDIR(st.st_mode) else "a device or pipe"
                raise ProfileError(f"{path}: this is {what}, not a TOML profile file")
            if st.st_size > MAX_PROFILE_BYTES:
                raise ProfileError(f"{path}: too large for a rule profile "
                                   f"({st.st_size // 1024} KB; a profile is a few KB of text)")
            data = f.read(MAX_PROFILE_BYTES + 1)
    except FileNotFoundError:
        known = ", ".join(builtin_profiles())
        raise ProfileError(f"profile {path} not found (built-in profiles: {known})") from None
    except IsADirectoryError:
        raise ProfileError(f"{path}: this is a folder, not a TOML profile file") from None
    except PermissionError:
        raise ProfileError(f"{path}: permission to read it was refused") from None
    except OSError as e:
        raise ProfileError(f"{path}: could not be read ({e.strerror or e})") from None
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise ProfileError(f"{path}: not valid TOML: not UTF-8 text (byte {e.start})") from None
    except tomllib.TOMLDecodeError as e:
        raise ProfileError(f"{path}: not valid TOML: {e}") from None
    except RecursionError:
        raise ProfileError(f"{path}: not valid TOML: nested too deeply") from None


def _raw_chain(ref: str | Path, base_dir: Path | None, seen: tuple[Path, ...]
               ) -> list[tuple[Path, dict[str, Any]]]:
    path = _resolve(ref, base_dir).resolve()
    if path in seen:
        raise ProfileError(f"{path}: 'extends' loops back to itself")
    data = _read(path)
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise ProfileError(f"{path}: unknown top-level key(s) {sorted(unknown)}; "
                           f"expected {sorted(_TOP_KEYS)}")
    for key in ("profile", "activities"):
        if not isinstance(data.get(key, {}), dict):
            raise ProfileError(f"{path}: '{key}' must be a table ([{key}])")
    disable = data.get("disable", [])
    if not isinstance(disable, list) or not all(isinstance(x, str) for x in disable):
        raise ProfileError(f"{path}: 'disable' must be a list of rule ids, "
                           'e.g. disable = ["lifting.heel_lift"]')
    parent = data.get("extends")
    chain: list[tuple[Path, dict[str, Any]]] = []
    if parent is not None:
        if not isinstance(parent, str):
            raise ProfileError(f"{path}: 'extends' must be a profile name or path")
        chain = _raw_chain(parent, path.parent, (*seen, path))
    return [*chain, (path, data)]


def _merge(chain: list[tuple[Path, dict[str, Any]]]) -> tuple[dict[str, Any], dict[str, Any],
                                                             dict[str, dict[str, Any]]]:
    """Fold the chain: rules by id (field-wise override), activities key-wise."""
    meta: dict[str, Any] = {}
    activities: dict[str, Any] = {}
    rules: dict[str, dict[str, Any]] = {}
    for path, data in chain:
        meta.update(data.get("profile", {}))
        for act, settings in data.get("activities", {}).items():
            if not isinstance(settings, dict):
                raise ProfileError(f"{path}: [activities.{act}] must be a table")
            merged = dict(activities.get(act, {}))
            for k, v in settings.items():
                if k == "defaults" and isinstance(v, dict):
                    merged["defaults"] = {**merged.get("defaults", {}), **v}
                else:
                    merged[k] = v
            activities[act] = merged
        raw_rules = data.get("rules", [])
        if not isinstance(raw_rules, list):
            raise ProfileError(f"{path}: 'rules' must be an array of tables ([[rules]])")
        for i, r in enumerate(raw_rules):
            if not isinstance(r, dict) or not isinstance(r.get("id"), str):
                raise ProfileError(f"{path}: rules[{i}] needs a string 'id'")
            unknown = set(r) - _RULE_KEYS
            if unknown:
                raise ProfileError(f"{path}: rule {r['id']!r}: unknown field(s) {sorted(unknown)}")
            base = rules.get(r["id"], {})
            rules[r["id"]] = {**base, **r, "_file": str(path)}
        for rid in data.get("disable", []):
            if rid not in rules:
                raise ProfileError(f"{path}: cannot disable unknown rule {rid!r}")
            rules[rid] = {**rules[rid], "enabled": False}
    return meta, activities, rules


def _num(where: str, name: str, v: Any, *, lo: float = -math.inf, allow_none: bool = False,
         allow_inf: bool = False) -> float | None:
    if v is None and allow_none:
        return None
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ProfileError(f"{where}: {name!r} must be a number, got {_short(v)}")
    try:
        f = float(v)
    except OverflowError:
        f = math.copysign(math.inf, v)
    if math.isnan(f) or (math.isinf(f) and not allow_inf):
        raise ProfileError(f"{where}: {name!r} must be a finite number, got {_short(v)}")
    if f < lo:
        raise ProfileError(f"{where}: {name!r} must be >= {lo}, got {_short(v)}")
    return f


def _short(v: Any) -> str:
    """repr() for messages, cut short: a fuzzed or pasted value can be enormous."""
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def _name(where: str, v: Any, known: Any, what: str) -> str:
    """A string that must be one of ``known`` (category, metric, segment …)."""
    if not isinstance(v, str) or v not in known:
        raise ProfileError(f"{where}: unknown {what} {_short(v)}; "
                           f"expected one of {sorted(known)}")
    return v


def _bands(where: str, direction: Any, caution: Any, poor: Any) -> Bands:
    if direction not in ("high", "low", "abs"):
        raise ProfileError(
            f"{where}: 'direction' must be 'high', 'low' or 'abs', got {direction!r}")
    c = _num(where, "caution", caution)
    p = _num(where, "poor", poor, allow_none=True)
    assert c is not None
    bands = Bands(cast(Direction, direction), c, p)
    bc, bp = bands.thresholds()
    if direction == "abs" and c < 0:
        raise ProfileError(f"{where}: 'abs' bands need caution >= 0, got {c}")
    if bp <= bc:
        order = "poor > caution" if direction != "low" else "poor < caution"
        raise ProfileError(f"{where}: bands out of order: direction {direction!r} needs {order} "
                           f"(got caution={c}, poor={p})")
    return bands


def _views(where: str, v: Any) -> frozenset[str]:
    if not isinstance(v, list) or not v or not all(isinstance(x, str) for x in v):
        raise ProfileError(f"{where}: 'views' must be a non-empty list of view names")
    bad = set(v) - ALL_VIEWS
    if bad:
        raise ProfileError(f"{where}: unknown view(s) {sorted(bad)}; expected {sorted(ALL_VIEWS)}")
    return frozenset(v)


def _rule(rid: str, raw: Mapping[str, Any], defaults: Mapping[str, Any]) -> Rule:
    where = f"{raw.get('_file', '?')}: rule {rid!r}"
    r = {**defaults, **{k: v for k, v in raw.items() if k != "_file"}}
    activity, _, name = rid.partition(".")
    if activity not in ACTIVITIES or not name:
        raise ProfileError(f"{where}: id must be '<activity>.<name>' with activity one of "
                           f"{list(ACTIVITIES)}")
    for key in ("category", "metric", "direction", "caution", "cue", "source"):
        if key not in r:
            raise ProfileError(f"{where}: missing required field {key!r}")
    _name(where, r["category"], CATEGORIES, "category")
    scope = r.get("scope", "frame")
    if not isinstance(scope, str) or scope not in ("frame", "rep"):
        raise ProfileError(f"{where}: 'scope' must be 'frame' or 'rep', got {_short(scope)}")
    known = FRAME_METRICS if scope == "frame" else REP_METRICS
    _name(where, r["metric"], known, f"{scope} metric")
    segment = r.get("segment", "trunk")
    if not isinstance(segment, str) or segment not in SEGMENTS:
        raise ProfileError(f"{where}: unknown segment {_short(segment)}; "
                           f"expected one of {SEGMENTS}")
    for key in ("cue", "source"):
        if not isinstance(r[key], str) or not r[key].strip():
            raise ProfileError(f"{where}: {key!r} must be a non-empty string")
    bands = _bands(where, r["direction"], r["caution"], r.get("poor"))
    calibrated = None
    if "calibrated" in r:
        cal = r["calibrated"]
        if not isinstance(cal, dict):
            raise ProfileError(f"{where}: 'calibrated' must be a table {{caution=…, poor=…}}")
        calibrated = _bands(f"{where} (calibrated)", cal.get("direction", r["direction"]),
                            cal.get("caution"), cal.get("poor"))
    when = []
    raw_when = r.get("when", [])
    if not isinstance(raw_when, list):
        raise ProfileError(f"{where}: 'when' must be a list of {{metric=…, min=…, max=…}}")
    for c in raw_when:
        if not isinstance(c, dict) or "metric" not in c or not set(c) <= {"metric", "min", "max"}:
            raise ProfileError(f"{where}: each 'when' entry is {{metric=…, min=…, max=…}}")
        if not isinstance(c["metric"], str) or c["metric"] not in known:
            raise ProfileError(f"{where}: 'when' names unknown metric {_short(c['metric'])}")
        when.append(Condition(c["metric"],
                              cast(float, _num(where, "when.min", c.get("min", -math.inf),
                                               allow_inf=True)),
                              cast(float, _num(where, "when.max", c.get("max", math.inf),
                                               allow_inf=True))))
    timing = {k: cast(float, _num(where, k, r[k], lo=0.0))
              for k in ("hysteresis", "enter_s", "clear_s", "cue_after_s", "cue_cooldown_s",
                        "max_gap_s") if k in r}
    views = _views(where, r["views"]) if "views" in r else frozenset({"side_left", "side_right"})
    for flag in ("requires_load", "enabled", "essential"):
        if flag in r and not isinstance(r[flag], bool):
            raise ProfileError(f"{where}: {flag!r} must be true or false")
    return Rule(id=rid, activity=activity, category=r["category"], metric=r["metric"],
                bands=bands, cue=r["cue"].strip(), source=r["source"].strip(),
                scope=cast(Scope, scope),
                views=views, segment=segment, when=tuple(when), calibrated=calibrated,
                requires_load=bool(r.get("requires_load", False)),
                enabled=bool(r.get("enabled", True)), label=str(r.get("label", "")),
                essential=bool(r.get("essential", False)), **timing)


def _settings(act: str, raw: Mapping[str, Any], path: str) -> ActivitySettings:
    where = f"{path}: [activities.{act}]"
    unknown = set(raw) - _ACTIVITY_KEYS
    if unknown:
        raise ProfileError(f"{where}: unknown key(s) {sorted(unknown)}")
    kw: dict[str, Any] = {}
    for k, v in raw.items():
        if k == "defaults":
            continue
        if k == "primary_views":
            kw[k] = _views(where, v)
        elif k == "required_metrics":
            if not isinstance(v, list) or not all(
                    isinstance(x, str) and x in FRAME_METRICS for x in v):
                raise ProfileError(f"{where}: 'required_metrics' must list known metrics")
            kw[k] = tuple(v)
        elif isinstance(getattr(ActivitySettings(), k), str):
            if not isinstance(v, str):
                raise ProfileError(f"{where}: {k!r} must be text, got {_short(v)}")
            kw[k] = v
        else:
            kw[k] = _num(where, k, v, lo=0.0)
    return ActivitySettings(**kw)


def load_profile(ref: str | Path | None = None) -> Profile:
    """Load a built-in profile by name ("default") or a TOML file (which may ``extends``).

    Raises :class:`ProfileError` (naming the file) for anything wrong with it;
    never another exception, whatever the file holds.
    """
    try:
        return _load(ref)
    except ProfileError:
        raise
    except RecursionError:  # an 'extends' chain thousands of files long
        raise ProfileError(f"{_resolve(ref or DEFAULT_PROFILE, None)}: 'extends' goes "
                           "too deep") from None
    except Exception as e:  # belt and braces: a value of a type no check foresaw
        raise ProfileError(f"{_resolve(ref or DEFAULT_PROFILE, None)}: a value has the "
                           f"wrong type ({type(e).__name__}: {_short(str(e))})") from None


def _load(ref: str | Path | None) -> Profile:
    chain = _raw_chain(ref if ref is not None else DEFAULT_PROFILE, None, ())
    meta, activities, raw_rules = _merge(chain)
    unknown_acts = set(activities) - set(ACTIVITIES)
    if unknown_acts:
        raise ProfileError(f"{chain[-1][0]}: unknown activity section(s) {sorted(unknown_acts)}")
    rules = []
    for rid, raw in raw_rules.items():
        act = rid.partition(".")[0]
        defaults = activities.get(act, {}).get("defaults", {})
        if not isinstance(defaults, dict):
            raise ProfileError(f"{chain[-1][0]}: [activities.{act}.defaults] must be a table")
        rules.append(_rule(rid, raw, defaults))
    settings = {a: _settings(a, activities.get(a, {}), str(chain[-1][0])) for a in ACTIVITIES}
    name = str(meta.get("name", chain[-1][0].stem))
    return Profile(name=name, description=str(meta.get("description", "")),
                   rules=tuple(rules), activities=settings,
                   sources=tuple(str(p) for p, _ in chain))


def as_profile(profile: Profile | str | Path | None) -> Profile:
    """Accept a loaded profile, a built-in name, a path, or None (the default)."""
    return profile if isinstance(profile, Profile) else load_profile(profile)
