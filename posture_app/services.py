"""Glue between the pages and the library: settings, history store, rule profile.

Everything the pages need from ``posture.store`` goes through :class:`History`
so that one place adapts to the store's API, and so the app keeps working (with
a clear note) where the store is not available.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import streamlit as st

log = logging.getLogger("posture_app")

DATA_DIR_ENV = "POSTURE_DATA_DIR"
ACTIVITIES = ("auto", "sitting", "standing", "lifting")
ACTIVITY_LABELS = {
    "auto": "Automatic (detect it)",
    "sitting": "Sitting",
    "standing": "Standing",
    "lifting": "Lifting / squats",
    "exercise": "A home exercise (from the library)",
}
# Review also accepts a home exercise (issue #11); the live coach has its own page for them.
REVIEW_ACTIVITIES = (*ACTIVITIES, "exercise")
KIND_GROUPS = {"reps": "Movements (counted in reps)", "hold": "Holds and stretches (timed)"}


def exercise_choices() -> dict[str, Any]:
    """The exercise library by key, movements first then holds, each group by title."""
    from posture.exercises import load_library

    lib = load_library()
    order = sorted(lib.values(), key=lambda e: (e.kind != "reps", e.title.lower()))
    return {e.key: e for e in order}


DEFAULT_SETTINGS: dict[str, Any] = {
    "profile": "default",  # "default" | "custom"
    "custom_profile_toml": "",  # the uploaded file's text (validated before saving)
    "custom_profile_name": "",
    "user_height_cm": None,  # not given: the population stature is used
    "audio_enabled": True,
    "audio_mode": "voice",  # "voice" (browser speech) | "chime"
    "break_minutes": 30,
    "low_power": False,  # sitting analysed LOW_POWER_SITTING_HZ times a second
    "ice_servers": "",  # one STUN/TURN URL per line; empty = local network only
    "ice_username": "",
    "ice_credential": "",
    "save_history": True,  # summaries, events and reps only — never video
    "keep_frames": False,  # opt-in: keep key-frame pictures with reviewed sessions
    "calibration": {},  # posture ("sit_tall"/"stand_tall") -> Calibration.to_dict()
}


# Low-power setting: sitting rules persist for seconds, so 5 analysed frames a second
# lose nothing a patient would notice while using about a third of the processor.
LOW_POWER_SITTING_HZ = 5.0


def sitting_rate(settings: Mapping[str, Any]) -> float | None:
    """The live coach's sitting analysis rate: reduced in low-power mode, else every frame."""
    return LOW_POWER_SITTING_HZ if settings.get("low_power") else None


def now() -> float:
    """Wall-clock time in unix seconds (the store's time format)."""
    return time.time()


def data_dir() -> Path:
    """The per-user data folder: ``$POSTURE_DATA_DIR`` or the platform default."""
    from posture.store import default_data_dir

    return Path(default_data_dir())


def as_dict(obj: Any) -> dict[str, Any]:
    """A plain dict view of a store row / library record."""
    if obj is None:
        return {}
    if isinstance(obj, Mapping):
        return dict(obj)
    for meth in ("to_dict", "as_dict", "_asdict"):
        fn = getattr(obj, meth, None)
        if callable(fn):
            out = fn()
            if isinstance(out, Mapping):
                return dict(out)
    if hasattr(obj, "__dataclass_fields__"):
        return {k: getattr(obj, k) for k in obj.__dataclass_fields__}
    return dict(getattr(obj, "__dict__", {}))


class History:
    """The app's view of ``posture.store.HistoryStore``: a short-lived store per use.

    The store honours ``$POSTURE_DATA_DIR`` itself; every failure it raises is a
    ``StoreError`` whose text is one sentence (shown with ``ui.guard``).
    """

    def __init__(self) -> None:
        from posture.store import HistoryStore

        self.store = HistoryStore()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def location(self) -> str:
        return str(self.store.path)

    # sessions -------------------------------------------------------------------------
    def start(self, kind: str, activity: str, *, started_at: float, source: str | None = None,
              settings: Mapping[str, Any] | None = None, profile: str | None = None) -> int:
        return int(self.store.start_session(kind, activity, started_at=started_at,
                                            source=source, settings=dict(settings or {}),
                                            profile=profile))

    def progress(self, session_id: int, *, summary: Mapping[str, Any],
                 events: list[dict[str, Any]], reps: list[dict[str, Any]],
                 duration_s: float) -> None:
        self.store.record_progress(session_id, summary=dict(summary), events=events, reps=reps,
                                   duration_s=duration_s)

    def finish(self, session_id: int, *, summary: Mapping[str, Any],
               events: list[dict[str, Any]], reps: list[dict[str, Any]], duration_s: float,
               ended_at: float, status: str = "complete") -> None:
        self.store.finish_session(session_id, summary=dict(summary), events=events, reps=reps,
                                  duration_s=duration_s, ended_at=ended_at, status=status)

    def save_report(self, report: Mapping[str, Any], *, source: str,
                    started_at: float) -> int:
        return int(self.store.save_report(dict(report), kind="review", source=source,
                                          started_at=started_at))

    def mark_interrupted(self, idle_s: float = 30.0) -> int:
        return int(self.store.mark_interrupted(idle_s=idle_s))

    def sessions(self) -> list[Any]:
        return list(self.store.list_sessions())

    def session(self, session_id: int) -> Any:
        """A ``SessionDetail`` (``.session``, ``.events``, ``.reps``, ``.to_report()``) or None."""
        return self.store.get_session(session_id)

    def trends(self) -> list[Any]:
        return list(self.store.trends())

    def export_json(self, session_id: int | None = None) -> str:
        return json.dumps(self.store.export_json(session_id), indent=1, ensure_ascii=False)

    def delete(self, session_id: int) -> bool:
        return bool(self.store.delete_session(session_id))

    def delete_all(self) -> int:
        return int(self.store.delete_all())

    # settings -------------------------------------------------------------------------
    def get_settings(self) -> dict[str, Any]:
        return dict(self.store.get_settings())

    def save_settings(self, values: Mapping[str, Any]) -> None:
        self.store.save_settings(dict(values))

    def close(self) -> None:
        self.store.close()


def open_history() -> History | None:
    """A store for this call, or None when it cannot be opened (the reason is logged)."""
    try:
        return History()
    except ImportError:
        return None
    except Exception:  # callers that need the reason use History() in ui.guard
        log.exception("could not open the history store")
        return None


# ------------------------------------------------------------------------------ settings
def load_settings(refresh: bool = False) -> dict[str, Any]:
    """Settings for this browser session: defaults, overlaid by the stored ones."""
    cached = st.session_state.get("_settings")
    if cached is not None and not refresh:
        return dict(cached)
    values = dict(DEFAULT_SETTINGS)
    history = open_history()
    if history is not None:
        try:
            stored = history.get_settings()
            values.update({k: v for k, v in stored.items() if k in DEFAULT_SETTINGS})
        except Exception:
            log.exception("could not read settings")
        finally:
            history.close()
    st.session_state["_settings"] = dict(values)
    return values


def save_settings(values: Mapping[str, Any]) -> bool:
    """Persist settings; True when they were written to the store."""
    merged = {**DEFAULT_SETTINGS, **{k: v for k, v in values.items() if k in DEFAULT_SETTINGS}}
    st.session_state["_settings"] = dict(merged)
    history = open_history()
    if history is None:
        return False
    try:
        history.save_settings(merged)
        return True
    finally:
        history.close()


def user_height(settings: Mapping[str, Any]) -> float | None:
    try:
        h = float(settings.get("user_height_cm") or 0.0)
    except (TypeError, ValueError):
        return None
    return h if 100.0 <= h <= 230.0 else None


def rtc_configuration(settings: Mapping[str, Any]) -> dict[str, Any]:
    """ICE servers: none by default (localhost / LAN); STUN/TURN URLs from Settings."""
    urls = [u.strip() for u in str(settings.get("ice_servers") or "").splitlines() if u.strip()]
    if not urls:
        return {"iceServers": []}
    server: dict[str, Any] = {"urls": urls}
    if settings.get("ice_username"):
        server["username"] = str(settings["ice_username"])
        server["credential"] = str(settings.get("ice_credential") or "")
    return {"iceServers": [server]}


# ------------------------------------------------------------------------------ profiles
_fallback_profile_dir: list[Path] = []


def _profile_dir() -> Path:
    """A private temporary folder for rule-profile files (checked: the files in it are
    trusted as written, so nobody else may be able to write there)."""
    uid = os.getuid() if hasattr(os, "getuid") else 0  # Windows: the temp dir is per user
    d = Path(tempfile.gettempdir()) / f"posture-app-profiles-{uid}"
    d.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = d.stat()
    if (hasattr(os, "getuid") and info.st_uid != uid) or info.st_mode & 0o022:
        log.warning("%s is not private; using a folder of this process instead", d)
        if not _fallback_profile_dir or not _fallback_profile_dir[0].is_dir():
            _fallback_profile_dir[:] = [Path(tempfile.mkdtemp(prefix="posture-app-profiles-"))]
        return _fallback_profile_dir[0]
    return d


def friendly_profile_error(err: Exception, path: Path | None = None) -> str:
    """The loader's message without file paths, as one sentence."""
    text = str(err)
    if path is not None:
        for p in (str(path.resolve()), str(path)):
            text = text.replace(p + ": ", "").replace(p, "your file")
    text = re.sub(r"/\S+\.toml:?\s*", "", text).strip()
    text = text.rstrip(".") if text else "it could not be read"
    return f"This rule profile cannot be used: {text}."


def validate_profile_text(text: str) -> tuple[bool, str]:
    """(ok, message) for an uploaded TOML profile, using the library's loader."""
    from posture.rules.profile import ProfileError, load_profile

    fd, name = tempfile.mkstemp(prefix="check-", suffix=".toml", dir=_profile_dir())
    path = Path(name)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    try:
        profile = load_profile(path)
    except ProfileError as err:
        return False, friendly_profile_error(err, path)
    except (UnicodeDecodeError, ValueError, OSError) as err:
        return False, friendly_profile_error(err, path)
    finally:
        path.unlink(missing_ok=True)
    n = sum(1 for r in profile.rules if r.enabled)
    return True, f"The rule file is valid: {n} active rules."


def effective_profile(settings: Mapping[str, Any]) -> str:
    """The profile reference to hand the library: built-in, custom, plus the break interval.

    A small TOML file that ``extends`` the chosen profile carries the break-reminder
    interval from Settings; it lives in a temporary folder, not in the data folder.
    """
    base: str = "default"
    custom = str(settings.get("custom_profile_toml") or "")
    if settings.get("profile") == "custom" and custom.strip():
        digest = hashlib.sha1(custom.encode("utf-8")).hexdigest()[:12]
        custom_path = _profile_dir() / f"custom-{digest}.toml"
        _write_once(custom_path, custom)
        base = str(custom_path)
    minutes = float(settings.get("break_minutes") or 30)
    if base == "default" and minutes == 30:
        return "default"
    body = (f"extends = {json.dumps(base)}\n\n"
            f"[activities.sitting]\nbreak_after_s = {minutes * 60.0:.1f}\n\n"
            f"[activities.standing]\nbreak_after_s = {minutes * 60.0:.1f}\n")
    digest = hashlib.sha1(body.encode("utf-8")).hexdigest()[:12]
    path = _profile_dir() / f"effective-{digest}.toml"
    _write_once(path, body)
    return str(path)


def _write_once(path: Path, text: str) -> None:
    """Write a content-addressed file atomically (other sessions may read it meanwhile)."""
    if path.exists():
        return
    fd, tmp = tempfile.mkstemp(prefix=path.stem, suffix=".part", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def profile_name(settings: Mapping[str, Any]) -> str:
    if settings.get("profile") == "custom" and settings.get("custom_profile_toml"):
        return str(settings.get("custom_profile_name") or "custom")
    return "default"


def load_rules(profile_ref: str) -> Any:
    """The loaded ``Profile`` (for labels and bands), or None if it cannot be read."""
    try:
        from posture.rules.profile import load_profile

        return _cached_profile(profile_ref)
    except Exception:
        log.exception("could not load profile %s", profile_ref)
        try:
            return load_profile("default")
        except Exception:
            return None


@st.cache_resource(show_spinner=False)
def _cached_profile(profile_ref: str) -> Any:
    from posture.rules.profile import load_profile

    return load_profile(profile_ref)


def calibration_from_settings(settings: Mapping[str, Any], posture: str) -> Any:
    raw = (settings.get("calibration") or {}).get(posture)
    if not raw:
        return None
    try:
        from posture.rules.calibration import Calibration

        return Calibration(posture=raw["posture"], neutral=dict(raw["neutral"]),
                           frames=int(raw.get("frames", 0)), view=str(raw.get("view", "")),
                           spread=dict(raw.get("spread", {})))
    except Exception:
        return None
