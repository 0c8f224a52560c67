"""What the two webcam pages share: the per-session controller, Start/Stop, saving, the panel."""

from __future__ import annotations

import html
import logging
import time
from collections.abc import Mapping
from typing import Any

import streamlit as st

from posture_app import audio
from posture_app.charts import metric_bands
from posture_app.live_engine import LiveConfig, LiveController, LiveRecord
from posture_app.records import (
    SessionPayload,
    finite,
    payload_from_session,
    shift_times,
    time_by_severity,
)
from posture_app.services import History, now, profile_name
from posture_app.ui import cue_card, fmt_clock, guard, pill, stat_box, status_word

log = logging.getLogger("posture_app")

FLUSH_EVERY_S = 3.0
POSITIVE = {
    "sitting": "Looking good — keep it easy and relaxed",
    "standing": "Nice and tall — keep breathing easy",
    "lifting": "Ready when you are — nice and steady",
}


def controller(key: str) -> LiveController:
    """This browser session's controller (kept in ``st.session_state``, never global)."""
    ctrl = st.session_state.get(key)
    if not isinstance(ctrl, LiveController):
        ctrl = LiveController()
        st.session_state[key] = ctrl
    return ctrl


def prepare(ctrl: LiveController, config: LiveConfig) -> None:
    """Before the component runs: an idle controller takes the page's current choices."""
    if ctrl.state == "idle" and ctrl.config != config:
        ctrl.reset(config)
    if ctrl.state == "idle":
        ctrl.warm_up()  # the pose model loads while the user reads the page


def sync(ctrl: LiveController, ctx: Any, config: LiveConfig, settings: Mapping[str, Any],
         kind_label: str, payload_key: str) -> None:
    """After the component ran: handle Start (new session) and Stop (finish and save)."""
    state = getattr(ctx, "state", None)
    active = bool(getattr(state, "playing", False) or getattr(state, "signalling", False))
    if active and ctrl.state == "finished":
        ctrl.reset(config)
        ctrl.warm_up()
        st.session_state.pop(payload_key, None)
    if not active and ctrl.state == "running":
        st.session_state[payload_key] = finish(ctrl, settings, kind_label)
        st.rerun()  # draw the page again as "stopped" (choices enabled, summary shown)


def _summary_so_far(series: list[dict[str, Any]], reps: list[dict[str, Any]],
                    ctrl: LiveController) -> dict[str, Any]:
    detected = sum(1 for r in series if r.get("detected"))
    scores = [s for s in (finite(r.get("score")) for r in reps) if s is not None]
    return {"time_s_by_severity": time_by_severity(series),
            "detected_fraction": round(detected / len(series), 4) if series else None,
            "score": round(sum(scores) / len(scores)) if scores else None,
            "rep_count": len(reps), "in_progress": True,
            "frames": ctrl.frames_processed}


def flush(ctrl: LiveController, settings: Mapping[str, Any], kind_label: str) -> None:
    """Every few seconds while coaching, save the session so far (a crash loses ≤ 5 s)."""
    if not settings.get("save_history", True) or ctrl.phase != "coaching" or not ctrl.running:
        return
    t = time.monotonic()
    if t - ctrl.last_flush < FLUSH_EVERY_S:
        return
    ctrl.last_flush = t
    events, reps, series = ctrl.snapshot()
    try:
        with History() as h:
            if ctrl.store_id is None:
                ctrl.store_activity = _activity(ctrl)
                ctrl.store_id = h.start("live", ctrl.store_activity,
                                        started_at=ctrl.started_wall or now(), source=kind_label,
                                        settings=_session_settings(ctrl, settings),
                                        profile=profile_name(settings))
            h.progress(ctrl.store_id, summary=_summary_so_far(series, reps, ctrl), events=events,
                       reps=reps, duration_s=ctrl.coaching_seconds())
    except Exception:  # a failed flush must not stop the coaching
        log.exception("progress flush failed")


def _activity(ctrl: LiveController) -> str:
    if ctrl.config.activity != "auto":
        return ctrl.config.activity
    latest = ctrl.latest
    return (latest.activity if latest is not None and latest.activity else "auto")


def _session_settings(ctrl: LiveController, settings: Mapping[str, Any]) -> dict[str, Any]:
    return {"activity": ctrl.config.activity, "calibrated": ctrl.calibration is not None,
            "user_height_cm": ctrl.config.user_height_cm,
            "break_minutes": settings.get("break_minutes")}


def finish(ctrl: LiveController, settings: Mapping[str, Any], kind_label: str
           ) -> SessionPayload | None:
    """On Stop: finish the library session, build the summary at once, and save it."""
    duration = ctrl.coaching_seconds()
    series = list(ctrl.series)
    result = ctrl.finish()
    if ctrl.frames_processed == 0:
        return None
    payload = shift_times(payload_from_session(result, duration, series), ctrl.coach_start_t)
    payload.summary["live"] = {"frames_analysed": ctrl.frames_processed,
                               "processed_fps": round(ctrl.fps, 1),
                               "latency_s": round(ctrl.latency_s, 3)}
    if ctrl.calibration is not None and hasattr(ctrl.calibration, "to_dict"):
        _remember_calibration(ctrl.calibration, settings)
    if settings.get("save_history", True) and ctrl.phase == "coaching":
        with guard("saving the session to your history"), History() as h:
            stale = None
            if ctrl.store_id is not None and ctrl.store_activity != payload.activity:
                # The store keeps the activity given at the start; in automatic mode the
                # session's activity is only known at the end: save anew, drop the draft.
                stale, ctrl.store_id = ctrl.store_id, None
            if ctrl.store_id is None:
                ctrl.store_id = h.start("live", payload.activity,
                                        started_at=ctrl.started_wall or now(), source=kind_label,
                                        settings=_session_settings(ctrl, settings),
                                        profile=profile_name(settings))
                ctrl.store_activity = payload.activity
            h.finish(ctrl.store_id, summary=payload.summary, events=payload.events,
                     reps=payload.reps, duration_s=duration, ended_at=now())
            if stale is not None:
                h.delete(stale)
            st.session_state["_saved_note"] = "Saved to your history."
    return payload


def _remember_calibration(cal: Any, settings: Mapping[str, Any]) -> None:
    from posture_app.services import save_settings

    stored = dict(settings.get("calibration") or {})
    if stored.get(cal.posture) == cal.to_dict():
        return
    stored[cal.posture] = cal.to_dict()
    try:
        save_settings({**settings, "calibration": stored})
    except Exception:
        log.exception("could not remember the calibration")


# ---------------------------------------------------------------------------------- panel
def angle_rows(record: LiveRecord, profile: Any, calibration: Any, activity: str) -> str:
    """HTML table: each banded angle, its value now, its good band, and its status in words."""
    specs = metric_bands(profile, activity, calibration)
    rows = []
    hidden = 0
    rank = {"n/a": -1, "ok": 0, "caution": 1, "poor": 2}
    for spec in specs:
        ids = [rid for rid in spec.rule_ids if rid in record.status]
        if not ids:
            continue  # the rule is not active in this session (e.g. needs a declared load)
        value = finite(record.values.get(spec.metric))
        s = max((record.status[rid] for rid in ids), key=lambda x: rank.get(x, -1))
        if value is None:
            hidden += 1
            continue
        rows.append(f"<tr><td>{html.escape(spec.label)}</td>"
                    f'<td class="value">{value:.0f}{html.escape(spec.unit)}</td>'
                    f'<td class="band">{html.escape(spec.text)}</td>'
                    f"<td>{pill(s)}</td></tr>")
    note = ""
    if hidden:
        what = "check needs" if hidden == 1 else "checks need"
        note = (f'<div class="posture-muted" style="margin-top:.3rem">{hidden} more {what} '
                "another camera angle or a clearer view.</div>")
    if not rows:
        return note
    return f'<table class="posture-angles">{"".join(rows)}</table>{note}'


def cue_for(ctrl: LiveController, record: LiveRecord | None, activity: str) -> tuple[str, str,
                                                                                       str]:
    """(text, status, label) for the one large cue."""
    if ctrl.error:
        return ctrl.error, "poor", "Problem"
    if record is None:
        return "Starting the camera…", "n/a", "Please wait"
    if record.phase == "calibrating":
        if not record.detected:
            return "Step into view, side-on to the camera", "n/a", "Calibration"
        return (f"Hold still in your best upright posture — {record.calibration_left_s:.0f} s",
                "ok", "Calibration")
    if ctrl.cue_text:
        return ctrl.cue_text, ctrl.cue_status, "Try this"
    if not record.detected:
        return "Step into view of the camera", "n/a", "Waiting for you"
    if record.framing:
        return record.framing, "n/a", "Camera position"
    act = record.activity or activity
    if record.worst == "poor":
        return "Time for a small reset", "poor", status_word("poor")
    if record.worst == "caution":
        return "Nearly there — notice your posture", "caution", status_word("caution")
    return POSITIVE.get(act, POSITIVE["sitting"]), "ok", "Good"


def render_live_panel(ctrl: LiveController, settings: Mapping[str, Any], profile: Any,
                      activity: str, *, big: bool = False, show_angles: bool = True) -> None:
    """Cue, angles against their bands, timer, reps, speed — refreshed by a fragment."""
    record = ctrl.drain()
    record = record or ctrl.latest
    text, status, label = cue_for(ctrl, record, activity)
    st.html(cue_card(text, status, label, big=big))
    if ctrl.calibration_message:
        st.info(ctrl.calibration_message, icon=":material/info:")
    if settings.get("audio_enabled") and st.session_state.get("_audio_on", True) and \
            ctrl.cue_text and ctrl.cue_seq:
        audio.play_cue(ctrl.cue_text, ctrl.cue_seq, str(settings.get("audio_mode", "voice")))
    act = (record.activity if record is not None and record.activity else activity)
    if show_angles and record is not None and record.phase == "coaching":
        table = angle_rows(record, profile, ctrl.calibration, act)
        if table:
            st.html(table)
    c1, c2, c3 = st.columns(3)
    c1.html(stat_box("Session time", fmt_clock(ctrl.coaching_seconds())))
    if act == "lifting" or ctrl.reps:
        last = ctrl.reps[-1] if ctrl.reps else None
        c2.html(stat_box("Reps", str(record.rep_count if record else 0)))
        score = f"{last.score:.0f}" if last is not None and last.score is not None else "–"
        c3.html(stat_box("Last rep score", score))
    else:
        c2.html(stat_box("Now", status_word(record.worst) if record else "–"))
        c3.html(stat_box("View", _view_words(record.view) if record else "–", small=True))
    st.html(
        f'<div class="posture-muted">Frames analysed: <b>{ctrl.frames_processed}</b> · '
        f"{ctrl.fps:.1f} frames/s · capture → cue {1000 * ctrl.latency_s:.0f} ms</div>")


def _view_words(view: str) -> str:
    return {"side_left": "Side-on", "side_right": "Side-on", "front": "Facing",
            "oblique": "At an angle", "unknown": "—"}.get(view, view)
