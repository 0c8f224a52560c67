"""Page 1 — Live coach: webcam → one short cue at a time, angles, reps; summary on Stop."""

from __future__ import annotations

import streamlit as st

from posture_app import camera
from posture_app.live_common import (
    PANEL_REFRESH_S,
    check_camera,
    controller,
    flush,
    prepare,
    render_live_panel,
    show_outcome,
    stream,
)
from posture_app.live_engine import CALIBRATION_POSTURES, LiveConfig
from posture_app.records import SessionPayload
from posture_app.services import (
    ACTIVITIES,
    ACTIVITY_LABELS,
    calibration_from_settings,
    effective_profile,
    load_rules,
    load_settings,
    sitting_rate,
    user_height,
)
from posture_app.summary import render_summary
from posture_app.ui import camera_setup_html, page_header

CTRL_KEY = "live_coach_ctrl"
PAYLOAD_KEY = "live_coach_payload"
SETUP_SEEN_KEY = "live_coach_setup_seen"  # the set-up picture folds away after a first run
SETUP_TIPS = {
    "auto": "Place the camera side-on, 2–3 m away, so your whole body is in view.",
    "sitting": "Sit side-on to the camera so your head, shoulders, hips and knees are in view.",
    "standing": "Stand side-on to the camera, 2–3 m away, with your feet in view.",
    "lifting": "Stand side-on to the camera, 2–3 m away, with your feet and the load in view.",
}


def page() -> None:
    page_header("Live coach",
                "Your webcam coaches you live: one short tip at a time while you sit, stand "
                "or lift.")
    settings = load_settings()
    ctrl = controller(CTRL_KEY)
    busy = ctrl.running

    c1, c2, c3 = st.columns([2, 2, 1.3], vertical_alignment="bottom")
    activity = c1.selectbox("Activity", ACTIVITIES, format_func=ACTIVITY_LABELS.__getitem__,
                            key="live_activity", disabled=busy,
                            help="Automatic tells sitting, standing and lifting apart by itself.")
    posture = CALIBRATION_POSTURES.get(activity)
    saved_cal = calibration_from_settings(settings, posture) if posture else None
    calibrate = c2.checkbox(
        "Start with a 10-second calibration" if posture else "Calibration (sitting or standing)",
        key="live_calibrate", disabled=busy or posture is None,
        help=("Hold your best upright posture for 10 s: the tips then follow *your* neutral "
              "posture instead of population averages."))
    c3.toggle("Sound", key="_audio_on", value=True,
              disabled=not settings.get("audio_enabled", True),
              help="Speak each new tip (or play a chime). Turn sound on or off in Settings.")
    if saved_cal is not None and not calibrate:
        st.caption("Using your saved calibration. Tick the box to calibrate again.")

    profile_ref = effective_profile(settings)
    config = LiveConfig(activity=activity, profile=profile_ref,
                        user_height_cm=user_height(settings),
                        calibrate_s=10.0 if calibrate and posture else 0.0,
                        calibration_posture=posture or "sit_tall",
                        calibration=None if calibrate else saved_cal,
                        sitting_rate_hz=sitting_rate(settings))
    prepare(ctrl, config)
    profile = load_rules(profile_ref)

    video_col, panel_col = st.columns([3, 2], gap="large")
    with video_col:
        ctx = stream(ctrl, "live-coach", config, settings, "Live coach", PAYLOAD_KEY)
        show_outcome(ctrl)
        state = getattr(ctx, "state", None)
        playing = bool(getattr(state, "playing", False))
        if playing or ctrl.running:
            st.session_state[SETUP_SEEN_KEY] = True
        else:
            st.caption(SETUP_TIPS[activity] + " Then press **Start**.")
        camera.camera_help()

    with panel_col:
        run_every = PANEL_REFRESH_S if playing or ctrl.running else None

        @st.fragment(run_every=run_every)
        def panel() -> None:
            if not (playing or ctrl.running):
                _idle_panel(activity)
                return
            render_live_panel(ctrl, settings, profile, activity)
            flush(ctrl, settings, "Live coach")
            check_camera(ctrl)

        panel()

    payload = st.session_state.get(PAYLOAD_KEY)
    if isinstance(payload, SessionPayload) and not ctrl.running:
        st.divider()
        st.subheader("Session summary")
        note = st.session_state.pop("_saved_note", None)
        if note:
            st.toast(note, icon=":material/check_circle:")
        render_summary(payload, series=payload.series, profile=profile,
                       calibration=ctrl.calibration, key="live")


def _idle_panel(activity: str) -> None:
    seen = bool(st.session_state.get(SETUP_SEEN_KEY))
    with st.expander("Where to put the camera", expanded=not seen,
                     icon=":material/photo_camera:"):
        st.html(camera_setup_html())
    st.markdown("#### How it works")
    st.markdown(
        f"1. {SETUP_TIPS[activity]}\n"
        "2. Press **Start** under the video and allow the camera.\n"
        "3. Follow the one tip shown here. It appears only when a posture has lasted a "
        "while, so small movements never nag you.\n"
        "4. Press **Stop** to see your summary.")
    st.caption("Posture is only one part of back health: changing position often and "
               "moving regularly help most.")
