"""Page 5 — Settings: rules, height, camera and connection, sound, breaks, data and privacy."""

from __future__ import annotations

from typing import Any

import streamlit as st

from posture_app.services import (
    DATA_DIR_ENV,
    DEFAULT_SETTINGS,
    data_dir,
    load_settings,
    save_settings,
    validate_profile_text,
)
from posture_app.ui import guard, page_header

STAGED = "_settings_staged_profile"
# The heights posture_app.services.user_height accepts; anything else counts as "not set".
HEIGHT_MIN_CM, HEIGHT_MAX_CM = 100.0, 230.0


def stored_height(settings: dict[str, Any]) -> int | None:
    """The saved height in whole cm, or None when not set (older versions saved 0)."""
    try:
        h = float(settings.get("user_height_cm") or 0.0)
    except (TypeError, ValueError):
        return None
    return round(h) if HEIGHT_MIN_CM <= h <= HEIGHT_MAX_CM else None

PRIVACY = """
<div class="posture-privacy">
<b>Your privacy</b>
<ul style="margin:.4rem 0 0 1rem;padding:0">
<li>Your video is analysed on this computer. It never leaves the machine and is never
recorded.</li>
<li>No video or pictures are stored unless you ask for them: key-frame pictures are kept
only if you switch on “Keep key-frame pictures” (off unless you choose it).</li>
<li>With “Keep a history” on (switch it off below), only session summaries, posture events
and rep scores are saved, in the data folder shown below.</li>
<li>You can export or delete everything at any time on the History page.</li>
</ul></div>
"""


def page() -> None:
    page_header("Settings",
                "Choose the posture rules, your height, camera connection, sound, break "
                "reminders and what is kept.")
    settings = load_settings()
    note = st.session_state.pop("_settings_note", None)
    if note:
        st.success(note, icon=":material/check_circle:")
    values: dict[str, Any] = dict(settings)

    left, right = st.columns(2, gap="large")
    with left:
        _profile_section(values)
        st.markdown("#### About you")
        height = st.number_input(
            "Your height (cm)", min_value=int(HEIGHT_MIN_CM), max_value=int(HEIGHT_MAX_CM),
            step=1, value=stored_height(settings), key="set_height", placeholder="Not set",
            help="Turns distances (how far a load is from your body) into centimetres. "
                 "Leave it empty if you prefer not to say: an average height (170 cm) is "
                 "used.")
        values["user_height_cm"] = float(height) if height is not None else None
        if height is None:
            st.caption("Height not set — an average height (170 cm) is used for distances.")
        st.markdown("#### Break reminders")
        values["break_minutes"] = int(st.number_input(
            "Remind me to move after (minutes of sitting or standing still)", min_value=5,
            max_value=120, step=5, value=int(settings.get("break_minutes") or 30),
            key="set_break"))
        st.markdown("#### Sound")
        values["audio_enabled"] = st.toggle("Play a sound with each new tip",
                                            value=bool(settings.get("audio_enabled", True)),
                                            key="set_audio")
        modes = ["voice", "chime"]
        values["audio_mode"] = st.radio(
            "Sound", modes, format_func={"voice": "Speak the tip (browser voice)",
                                         "chime": "A soft chime"}.__getitem__,
            index=modes.index(str(settings.get("audio_mode", "voice"))), horizontal=True,
            key="set_audio_mode", disabled=not values["audio_enabled"],
            label_visibility="collapsed")
        st.markdown("#### Power")
        values["low_power"] = st.toggle(
            "Low-power mode", value=bool(settings.get("low_power", False)), key="set_low_power",
            help="While you sit, the live coach analyses 5 pictures a second instead of "
                 "every one: your laptop stays cooler and its battery lasts longer. Sitting "
                 "tips are just as quick. Standing and lifting always use every picture.")
    with right:
        _camera_section(values, settings)
        _privacy_section(values, settings)

    st.divider()
    if st.button("Save settings", type="primary", icon=":material/save:", key="set_save"):
        staged = st.session_state.get(STAGED)
        if values.get("profile") == "custom" and staged is not None:
            values["custom_profile_name"], values["custom_profile_toml"] = staged
        if values.get("profile") == "custom" and not values.get("custom_profile_toml"):
            st.error("Choose a rule file first, or switch back to the standard rules.")
            return
        with guard("saving your settings"):
            stored = save_settings(values)
            st.session_state.pop(STAGED, None)
            st.session_state["_settings_note"] = (
                "Settings saved." if stored else
                "Settings apply to this visit only (no history folder is available).")
            st.rerun()


def _profile_section(values: dict[str, Any]) -> None:
    from posture.rules.profile import PROFILE_DIR

    st.markdown("#### Posture rules")
    options = ["default", "custom"]
    values["profile"] = st.radio(
        "Rule profile", options, index=options.index(str(values.get("profile", "default"))),
        format_func={"default": "Standard rules (from the clinical guidelines)",
                     "custom": "A custom rule file from your therapist"}.__getitem__,
        key="set_profile")
    if values["profile"] != "custom":
        return
    current = values.get("custom_profile_name")
    if current and values.get("custom_profile_toml"):
        st.caption(f"Current custom rules: **{current}**")
    up = st.file_uploader("Rule file (.toml)", key="set_profile_file",
                          help="A TOML profile, usually starting with extends = \"default\".")
    st.caption('Tip: start the file with `extends = "default"` and list only the rules you '
               "change; the rest stay as in the standard rules.")
    if up is not None:
        try:
            text = up.getvalue().decode("utf-8")
        except UnicodeDecodeError:
            st.error(f"'{up.name}' is not a text rule file (.toml).")
            return
        ok, message = validate_profile_text(text)
        if ok:
            st.session_state[STAGED] = (up.name, text)
            st.success(message + " Press Save settings to use it.", icon=":material/rule:")
        else:
            st.session_state.pop(STAGED, None)
            st.error(message)
    template = PROFILE_DIR / "default.toml"
    if template.exists():
        st.download_button("Download the standard rules as a template",
                           template.read_bytes(), "posture-rules-default.toml",
                           "application/toml", icon=":material/download:",
                           key="set_template")


def _camera_section(values: dict[str, Any], settings: dict[str, Any]) -> None:
    st.markdown("#### Camera")
    st.markdown(
        "Pick your camera with **Choose camera** under the video on the Live coach or "
        "Lift lab page — the browser lists the cameras it may use and remembers your choice. "
        "If the browser asks, allow the camera.")
    with st.expander("Connection for another computer (STUN / TURN)",
                     icon=":material/lan:"):
        st.caption("Not needed on this computer or your home network. To coach from another "
                   "network, enter the STUN/TURN servers your clinic uses, one per line "
                   "(for example turn:turn.example.org:3478).")
        values["ice_servers"] = st.text_area("Servers", value=str(settings.get("ice_servers")
                                                                  or ""), key="set_ice",
                                             height=80)
        c1, c2 = st.columns(2)
        values["ice_username"] = c1.text_input("TURN user name",
                                               value=str(settings.get("ice_username") or ""),
                                               key="set_ice_user")
        values["ice_credential"] = c2.text_input("TURN password", type="password",
                                                 value=str(settings.get("ice_credential")
                                                           or ""), key="set_ice_pass")


def _privacy_section(values: dict[str, Any], settings: dict[str, Any]) -> None:
    st.markdown("#### Privacy and your data")
    st.html(PRIVACY)
    values["save_history"] = st.toggle(
        "Keep a history of my sessions (summaries only)",
        value=bool(settings.get("save_history", DEFAULT_SETTINGS["save_history"])),
        key="set_history")
    values["keep_frames"] = st.toggle(
        "Keep key-frame pictures of reviewed recordings",
        value=bool(settings.get("keep_frames", False)), key="set_frames",
        help="Off unless you switch it on. The pictures show you; they are kept in the data "
             "folder and deleted with the session.")
    folder = data_dir()
    st.markdown("**Data folder**")
    st.code(str(folder), language=None)
    st.caption(f"To keep your data elsewhere (for example an encrypted drive), start the app "
               f"with the environment variable `{DATA_DIR_ENV}` set to that folder.")
    if settings.get("calibration") and st.button("Forget my saved calibration",
                                                 icon=":material/restart_alt:",
                                                 key="set_forget_cal"):
        values["calibration"] = {}
        with guard("saving your settings"):
            save_settings({**settings, "calibration": {}})
            st.session_state["_settings_note"] = "Your calibration was forgotten."
            st.rerun()
