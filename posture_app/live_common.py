"""What the two webcam pages share: the per-session controller, Start/Stop, saving, the panel.

A live session ends in one of three ways, and each keeps what was recorded:

* **Stop** — the page sees the component stop, finishes the session and saves it.
* **The camera stops** (unplugged, switched off, taken by another app) — the component
  still plays but no frame arrives: after ``CAMERA_STALL_S`` the page finishes and saves
  the session, says what happened, and asks the browser to stop the stream. The browser
  may also stop the component itself (its connection drops) or the server may see the
  stream end first; the page still says the camera stopped when the last frame came
  more than ``CAMERA_GONE_S`` before the stream stopped (a Stop comes while frames
  flow), or when a worker finished the session while the page was still playing.
* **The stream ends without the page** (tab closed, connection lost, another page
  opened) — streamlit-webrtc's ``on_video_ended`` finishes and saves it on a worker
  thread. A closed tab often ends nothing on the server for half a minute (the
  connection times out), so the controller's watchdog also finishes a stream that
  sent no frame for ``CAMERA_STALL_S + PAGE_GRACE_S`` seconds.

While coaching, the session so far is also saved every ``FLUSH_EVERY_S`` seconds, so
a crash of the server loses at most a few seconds (the start-up check marks such a
session "interrupted").
"""

from __future__ import annotations

import functools
import html
import logging
import math
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import streamlit as st

from posture.confidence import typical_error_deg
from posture.render import angle_text, clock_text
from posture_app import audio, camera
from posture_app.charts import metric_bands
from posture_app.live_engine import LiveConfig, LiveController, LiveRecord
from posture_app.records import (
    CATEGORY_LABELS,
    SessionPayload,
    finite,
    payload_from_session,
    shift_times,
    time_by_severity,
)
from posture_app.services import History, load_settings, now, profile_name
from posture_app.ui import (
    CHECK_NAMES,
    VIEW_WORDS,
    WHEN_WORDS,
    check_words,
    cue_card,
    fmt_clock,
    join_words,
    lift_card,
    pill,
    stat_box,
    status_word,
)

log = logging.getLogger("posture_app")
# Seconds between refreshes of the live side panel. A refresh costs ~5 ms of the
# script thread; Streamlit's post-run gc.collect() used to add ~200 ms (the camera
# frames queued meanwhile were dropped), so it is off in .streamlit/config.toml.
PANEL_REFRESH_S = 0.5

FLUSH_EVERY_S = 3.0
CAMERA_STALL_S = 5.0  # no frame for this long while playing: the camera stopped
PAGE_GRACE_S = 3.0  # …and if the page has not noticed this much later, it has gone away
CAMERA_GONE_S = 2.5  # a stream that stopped this long after its last frame lost its camera
POSITIVE = {
    "sitting": "Looking good — keep it easy and relaxed",
    "standing": "Nice and tall — keep breathing easy",
    "lifting": "Ready when you are — nice and steady",
}
CAMERA_STOPPED = (
    "The camera stopped sending pictures — it may have been unplugged, switched off or "
    "taken by another app. Your session up to that moment is saved and shown below. "
    "Check the camera, then press Start again.")
CAMERA_STOPPED_EMPTY = (
    "The camera stopped sending pictures — it may have been unplugged, switched off or "
    "taken by another app. Check the camera, then press Start again.")
SAVE_FAILED = ("Your session could not be saved to your history. The summary below is still "
               "correct; check the data folder in Settings.")


@dataclass
class Outcome:
    """How a live session ended: the summary, and whether it was saved."""

    payload: SessionPayload | None  # None: no frame was analysed
    ended_by: str  # "stop" | "camera_stopped" | "stream_ended"
    saved: bool = False
    error: str | None = None  # a sentence when saving failed
    calibration_saved: bool = False


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


def stream(ctrl: LiveController, key: str, config: LiveConfig, settings: Mapping[str, Any],
           kind_label: str, payload_key: str) -> Any:
    """The webcam component for this page, and the session's life around it (see above)."""
    ended = functools.partial(stream_ended, ctrl, dict(settings), kind_label)
    # Without a page to notice (the tab was closed), a stalled stream is finished here.
    ctrl.stall_handler = functools.partial(stream_ended, ctrl, dict(settings), kind_label,
                                           "no_frames")
    ctrl.stall_after_s = CAMERA_STALL_S + PAGE_GRACE_S
    ctx = camera.camera_stream(key, ctrl.on_frame, settings, on_ended=ended,
                               stop=ctrl.stop_requested)
    sync(ctrl, ctx, config, settings, kind_label, payload_key)
    return ctx


def sync(ctrl: LiveController, ctx: Any, config: LiveConfig, settings: Mapping[str, Any],
         kind_label: str, payload_key: str) -> None:
    """After the component ran: Start (a new session), Stop and faults (finish and save)."""
    state = getattr(ctx, "state", None)
    active = bool(getattr(state, "playing", False) or getattr(state, "signalling", False))
    with ctrl.save_lock:  # a finaliser on a worker thread may be saving: wait for it
        _sync(ctrl, active, config, settings, kind_label, payload_key)


def _sync(ctrl: LiveController, active: bool, config: LiveConfig, settings: Mapping[str, Any],
          kind_label: str, payload_key: str) -> None:
    started = active and not ctrl.page_active  # Start was pressed
    ctrl.page_active = active
    if not active and ctrl.stop_requested:
        ctrl.stop_requested = False  # the browser has stopped: show Start again
        st.rerun()
    if started and ctrl.state == "finished":
        ctrl.reset(config)
        ctrl.warm_up()
        st.session_state.pop(payload_key, None)
    if ctrl.running and not active:
        age = ctrl.frame_age()
        if age is not None and age > CAMERA_GONE_S:  # frames had stopped before the stream
            ctrl.ended_by = "camera_stopped"
        finalise(ctrl, settings, kind_label, ctrl.ended_by or "stop")
    elif active and not ctrl.stop_requested and (
            ctrl.state == "finished" or camera_stalled(ctrl)):
        # Frames stopped (or the stream ended on the server) while the browser plays on.
        ctrl.ended_by = "camera_stopped"
        finalise(ctrl, settings, kind_label, "camera_stopped")
        ctrl.stop_requested = True
    elif not (ctrl.state == "finished" and ctrl.outcome is not None
              and payload_key not in st.session_state):
        return  # nothing ended (a session finished on a worker thread is shown below)
    outcome: Outcome | None = ctrl.outcome
    st.session_state[payload_key] = outcome.payload if outcome is not None else None
    if outcome is not None and outcome.saved:
        st.session_state["_saved_note"] = "Saved to your history."
    if outcome is not None and outcome.calibration_saved:
        load_settings(refresh=True)
    st.rerun()  # draw the page again as "stopped" (choices enabled, summary shown)


def camera_stalled(ctrl: LiveController) -> bool:
    """A running session whose camera has sent nothing for ``CAMERA_STALL_S`` seconds."""
    age = ctrl.frame_age()
    return ctrl.running and age is not None and age > CAMERA_STALL_S


def check_camera(ctrl: LiveController) -> None:
    """From the refreshing panel: a stalled camera, or a session a worker finished while
    the browser plays on, makes the whole page run again (sync) to say so and stop."""
    if ctrl.page_active and not ctrl.stop_requested and (
            camera_stalled(ctrl) or ctrl.state == "finished"):
        st.rerun(scope="app")


def stream_ended(ctrl: LiveController, settings: Mapping[str, Any], kind_label: str,
                 why: str = "stream_ended") -> None:
    """streamlit-webrtc's ``on_video_ended`` and the stall watchdog (worker threads): finish
    and save in the background, so a session whose tab was closed without Stop is kept."""
    if not ctrl.running:
        return  # nothing recorded, or already finished
    threading.Thread(target=_finalise_quietly,
                     args=(ctrl, ctrl.generation, settings, kind_label, why),
                     name="posture-live-finish", daemon=True).start()


def _finalise_quietly(ctrl: LiveController, generation: int, settings: Mapping[str, Any],
                      kind_label: str, why: str) -> None:
    try:
        if why == "stream_ended" and ctrl.page_active:
            # On Stop streamlit-webrtc ends the track too, just before the page runs: let
            # the page finish the session itself (it knows it was Stop).
            deadline = time.monotonic() + PAGE_GRACE_S
            while ctrl.running and time.monotonic() < deadline:
                time.sleep(0.05)
        with ctrl.save_lock:
            if ctrl.generation != generation or not ctrl.running:
                return  # finished by the page (or a new stream began meanwhile)
            log.info("%s: the live stream ended without Stop (%s); saving the session",
                     kind_label, why)
            finalise(ctrl, settings, kind_label, why)
    except Exception:  # a worker thread: log it, never raise into streamlit-webrtc
        log.exception("finishing the live session after its stream ended failed")


def show_outcome(ctrl: LiveController) -> None:
    """After a session ended: say what happened if it was not a plain Stop."""
    outcome: Outcome | None = ctrl.outcome
    if ctrl.running or outcome is None:
        return
    if ctrl.ended_by == "camera_stopped":
        st.warning(CAMERA_STOPPED if outcome.payload is not None else CAMERA_STOPPED_EMPTY,
                   icon=":material/videocam_off:")
    if outcome.error:
        st.error(outcome.error, icon=":material/error:")


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
    with ctrl.save_lock:
        if not ctrl.running:  # finished meanwhile: the final save is (being) written
            return
        events, reps, series = ctrl.snapshot()
        try:
            with History() as h:
                if ctrl.store_id is None:
                    ctrl.store_activity = _activity(ctrl)
                    ctrl.store_id = h.start("live", ctrl.store_activity,
                                            started_at=ctrl.started_wall or now(),
                                            source=kind_label,
                                            settings=_session_settings(ctrl, settings),
                                            profile=profile_name(settings))
                h.progress(ctrl.store_id, summary=_summary_so_far(series, reps, ctrl),
                           events=events, reps=reps, duration_s=ctrl.coaching_seconds())
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


def finalise(ctrl: LiveController, settings: Mapping[str, Any], kind_label: str,
             ended_by: str = "stop") -> Outcome:
    """Finish the session, build its summary and save it — once per stream, on any thread.

    No Streamlit calls here (it also runs on a worker thread); the page shows the
    returned :class:`Outcome` (``ctrl.outcome``).
    """
    from posture.errors import PostureError

    with ctrl.save_lock:
        if isinstance(ctrl.outcome, Outcome):
            return ctrl.outcome
        result = ctrl.finish()  # no frame is analysed after this
        outcome = Outcome(payload=None, ended_by=ended_by)
        if ctrl.frames_processed > 0:
            duration = ctrl.coaching_seconds()
            payload = shift_times(payload_from_session(result, duration, list(ctrl.series)),
                                  ctrl.coach_start_t)
            payload.summary["live"] = {"frames_analysed": ctrl.frames_processed,
                                       "processed_fps": round(ctrl.recent_fps(), 1),
                                       "latency_s": round(ctrl.latency_s, 3),
                                       "ended_by": ended_by}
            outcome.payload = payload
            if ctrl.calibration is not None and hasattr(ctrl.calibration, "to_dict"):
                outcome.calibration_saved = _remember_calibration(ctrl.calibration)
            if settings.get("save_history", True) and ctrl.phase == "coaching":
                try:
                    _save(ctrl, payload, duration, settings, kind_label)
                    outcome.saved = True
                except PostureError as err:
                    outcome.error = str(err)
                except Exception:
                    log.exception("saving the live session failed")
                    outcome.error = SAVE_FAILED
        hook = ctrl.on_finished
        if hook is not None:  # a page's own saving (today's programme): never fatal here
            try:
                hook(outcome)
            except Exception:
                log.exception("finishing the page's own record of the session failed")
                outcome.error = outcome.error or SAVE_FAILED
        ctrl.outcome = outcome
        return outcome


def _save(ctrl: LiveController, payload: SessionPayload, duration: float,
          settings: Mapping[str, Any], kind_label: str) -> None:
    with History() as h:
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


def _remember_calibration(cal: Any) -> bool:
    """Keep a new personal calibration in the settings; True when it was written."""
    try:
        with History() as h:
            stored = dict(h.get_settings().get("calibration") or {})
            if stored.get(cal.posture) == cal.to_dict():
                return False
            stored[cal.posture] = cal.to_dict()
            h.save_settings({"calibration": stored})
        return True
    except Exception:
        log.exception("could not remember the calibration")
        return False


# ---------------------------------------------------------------------------------- panel
# Angles a patient reads as a number (with a word where the sign matters); the others get
# a sentence only, their numbers are in the therapist's table.
PATIENT_NUMBERS = frozenset({
    "neck_inclination_deg", "trunk_lean_deg", "trunk_inclination_deg",
    "knee_hyperextension_deg", "trunk_lateral_tilt_deg", "head_tilt_deg", "trunk_twist_deg",
    "knee_valgus_deg",
})
RANK = {"n/a": -1, "ok": 0, "caution": 1, "poor": 2}
CUE_LABELS = {"rule": "Try this now", "lift": "Lift tip", "framing": "Camera position",
              "break": "Time to move", "other": "Try this"}


def _needs(views: frozenset[str], view: str) -> str:
    """What a check that could not be judged needs, in words."""
    if view in views or not views:
        return "a clearer view of your whole body"
    if views <= {"front"}:
        return "the camera in front of you"
    if views <= {"side_left", "side_right"}:
        return "the camera side-on"
    return "the camera side-on or at an angle"


def check_rows(record: LiveRecord, profile: Any, calibration: Any, activity: str
               ) -> tuple[str, str, str]:
    """(patient table, therapist table, not-judged note) — all from the record's moment.

    The patient reads one plain sentence per check (and the angle, where a number means
    something: the same text the overlay writes beside the joint). The therapist's table
    has the raw angles against their bands and the typical error in this view.
    """
    moment = record.moment
    if moment is None:
        return "", "", ""
    by_metric: dict[str, list[Any]] = {}
    for line in moment.checks:
        by_metric.setdefault(line.metric, []).append(line)
    rows: list[str] = []
    missing: dict[str, list[str]] = {}  # what is needed → check names
    for metric, lines in by_metric.items():
        value = moment.values.get(metric)
        judged = [c for c in lines if c.status != "n/a"]
        if not judged or value is None:
            for c in lines:
                need = _needs(c.views, moment.view)
                name = CHECK_NAMES.get(c.category, c.label.lower())
                if name not in missing.setdefault(need, []):
                    missing[need].append(name)
            continue
        shown = angle_text(metric, value) if metric in PATIENT_NUMBERS else None
        applying = [c for c in judged if c.applies]
        if applying:
            worst = max(applying, key=lambda c: RANK.get(c.status, -1))
            problem = worst.category if worst.status in ("caution", "poor") else None
            early = [c for c in applying if c.beyond] if problem is None else []
            if early:  # past the band, not flagged yet (it must last): never "Good" here
                part, sentence = check_words(metric, early[0].category)
                badge = pill("n/a", "… Watching")
            else:
                part, sentence = check_words(metric, problem)
                badge = pill(worst.status)
        else:  # its guard does not hold now (e.g. the chest-over-shins check outside a squat)
            part, _ = check_words(metric)
            sentence = WHEN_WORDS.get(judged[0].category, "Not checked in this position")
            badge = pill("n/a", "– Not now")
        rows.append(f'<tr data-metric="{html.escape(metric)}"><td class="part">'
                    f"{html.escape(part)}</td>"
                    f'<td class="value">{html.escape(shown or "")}</td>'
                    f'<td class="say">{html.escape(sentence)}</td>'
                    f"<td>{badge}</td></tr>")
    when = (f'<div class="posture-muted">Readings at {clock_text(moment.t)} — the time '
            "written on the video.</div>")
    patient = f'<table class="posture-angles">{"".join(rows)}</table>{when}' if rows else ""
    notes = []
    for need, names in missing.items():
        notes.append(f"Not checked from this camera angle: {join_words(names)} — "
                     f"{'this needs' if len(names) == 1 else 'these need'} {need}.")
    note = "".join(f'<div class="posture-muted" style="margin-top:.3rem">{html.escape(n)}'
                   "</div>" for n in notes)
    return patient, _therapist_rows(moment, profile, calibration, activity), note


def _therapist_rows(moment: Any, profile: Any, calibration: Any, activity: str) -> str:
    """The technical table: each banded angle (and the lift's context angles), its raw
    value, its good band, the typical error in this view and its status."""
    rows = []
    judged = {c.metric for c in moment.checks}
    for spec in metric_bands(profile, activity, calibration):
        if spec.rule_ids and spec.metric not in judged:
            continue  # the rule is not active in this session (e.g. needs a declared load)
        value = finite(moment.values.get(spec.metric))
        if value is None:
            continue
        status = moment.check_status(spec.metric) if spec.rule_ids else "n/a"
        applies = any(c.applies for c in moment.checks if c.metric == spec.metric)
        badge = pill(status) if applies else pill("n/a", "– not in this position")
        if not spec.rule_ids:
            badge = pill("n/a", "–")
        err = typical_error_deg(spec.metric, moment.view) if spec.unit == "°" else math.nan
        plus = (f' <span class="posture-muted" title="typical error of this angle in this '
                f'camera view">±{err:.0f}°</span>' if math.isfinite(err) else "")
        rows.append(f"<tr><td>{html.escape(spec.label)}</td>"
                    f'<td class="num">{value:.0f}{html.escape(spec.unit)}{plus}</td>'
                    f'<td class="band">{html.escape(spec.text)}</td>'
                    f"<td>{badge}</td></tr>")
    if not rows:
        return ""
    return (f'<table class="posture-angles posture-therapist">{"".join(rows)}</table>'
            '<div class="posture-muted">Angles in degrees from upright (trunk, neck) or between '
            "the body segments (hip, knee); signed where the direction matters.</div>")


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
        return ctrl.cue_text, ctrl.cue_status, CUE_LABELS.get(ctrl.cue_source or "other",
                                                              "Try this")
    if not record.detected:
        return "Step into view of the camera", "n/a", "Waiting for you"
    if record.framing:
        return record.framing, "n/a", "Camera position"
    act = record.activity or activity
    if record.worst in ("poor", "caution"):
        # Between cues (they are rationed), name what the table flags, in its words.
        moment = record.moment
        flagged = [c for c in (moment.checks if moment is not None else ())
                   if c.status == record.worst and c.applies]
        if flagged:
            return (check_words(flagged[0].metric, flagged[0].category)[1], record.worst,
                    status_word(record.worst))
        return "Notice your posture", record.worst, status_word(record.worst)
    return POSITIVE.get(act, POSITIVE["sitting"]), "ok", "Good"


def lift_card_html(record: LiveRecord | None) -> str:
    """The last finished lift, from the same record as the cue (so "Lift 3" means one lift)."""
    moment = record.moment if record is not None else None
    last = getattr(moment, "last_lift", None)
    if last is None:
        return ""
    faults = ", ".join(CATEGORY_LABELS.get(c, c.replace("_", " ")) for c, _ in last.faults)
    worst = max((sev for _, sev in last.faults), key=lambda x: RANK.get(x, -1), default=None)
    return lift_card(last.index, last.verdict, last.score, faults, worst)


def render_live_panel(ctrl: LiveController, settings: Mapping[str, Any], profile: Any,
                      activity: str, *, big: bool = False, show_angles: bool = True) -> None:
    """Cue, checks, the last lift, timer, speed — all from the newest record (one frame)."""
    record = ctrl.drain()
    record = record or ctrl.latest
    text, status, label = cue_for(ctrl, record, activity)
    st.html(cue_card(text, status, label, big=big))
    # Elements that come and go (the calibration note, the sound snippet) are drawn last:
    # one appearing above the therapist's expander would shift it and fold it shut on
    # every refresh.
    calibration_note = st.container()
    act = (record.activity if record is not None and record.activity else activity)
    lifting = act == "lifting" or bool(ctrl.reps)
    if show_angles and record is not None and record.phase == "coaching":
        patient, therapist, note = check_rows(record, profile, ctrl.calibration, act)
        if patient or note:
            st.html(patient + note)
        if therapist:
            with st.expander("Angles for your therapist", icon=":material/straighten:",
                             key="live_therapist_angles"):
                st.html(therapist)
    if lifting and show_angles:
        card = lift_card_html(record)
        if card:
            st.html(card)
    c1, c2, c3 = st.columns(3)
    c1.html(stat_box("Session time", fmt_clock(ctrl.coaching_seconds())))
    if lifting:
        last = getattr(getattr(record, "moment", None), "last_lift", None)
        c2.html(stat_box("Lifts", str(record.rep_count if record else 0)))
        score = f"{last.score:.0f}" if last is not None and last.score is not None else "–"
        c3.html(stat_box(f"Lift {last.index} score" if last is not None else "Last lift score",
                         score))
    else:
        c2.html(stat_box("Now", status_word(record.worst) if record else "–"))
        c3.html(stat_box("Camera", VIEW_WORDS.get(record.view, "–") if record else "–",
                         small=True))
    low_power = ctrl.config.sitting_rate_hz is not None and act == "sitting"
    st.html(
        f'<div class="posture-muted">Frames analysed: <b>{ctrl.frames_processed}</b> · '
        f"{ctrl.fps:.1f} frames/s{' (low-power mode)' if low_power else ''} · "
        f"capture → cue {1000 * ctrl.latency_s:.0f} ms</div>")
    if ctrl.calibration_message:
        calibration_note.info(ctrl.calibration_message, icon=":material/info:")
    if settings.get("audio_enabled") and st.session_state.get("_audio_on", True) and \
            ctrl.cue_text and ctrl.cue_seq:
        audio.play_cue(ctrl.cue_text, ctrl.cue_seq, str(settings.get("audio_mode", "voice")))
