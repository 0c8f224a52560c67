"""The app shell: page config, theme, sidebar navigation, one-time start-up chores."""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st

from posture_app import ui
from posture_app.pages import history, lift_lab, live_coach, review, settings
from posture_app.services import History, data_dir

log = logging.getLogger("posture_app")
ICON = Path(__file__).resolve().parent / "assets" / "icon.png"


@st.cache_resource(show_spinner=False)
def _startup(folder: str) -> bool:
    """Once per server process and data folder: sessions left 'recording' by a crash are
    marked 'interrupted' (only those idle for 30 s, so a live session in another tab is safe)."""
    try:
        with History() as h:
            h.mark_interrupted(idle_s=30.0)
        return True
    except Exception:
        log.exception("start-up check of the history failed (%s)", folder)
        return False


LOGO_SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="230" height="48"
viewBox="0 0 230 48"><circle cx="24" cy="24" r="22" fill="#0f766e"/>
<g stroke="#fff" stroke-linecap="round" fill="none"><line x1="24" y1="17" x2="24" y2="30"
stroke-width="4"/><line x1="24" y1="20" x2="16" y2="26" stroke-width="3"/>
<line x1="24" y1="20" x2="32" y2="26" stroke-width="3"/><line x1="24" y1="30" x2="19" y2="40"
stroke-width="3.4"/><line x1="24" y1="30" x2="29" y2="40" stroke-width="3.4"/></g>
<circle cx="24" cy="11" r="4.4" fill="#fff"/>
<text x="56" y="23" font-family="Source Sans Pro, DejaVu Sans, sans-serif" font-size="19"
font-weight="700" fill="#134e4a">Posture coach</text>
<text x="56" y="40" font-family="Source Sans Pro, DejaVu Sans, sans-serif" font-size="12"
fill="#64748b">sitting · standing · lifting</text></svg>"""


def _logo_uri() -> str:
    """The sidebar logo as a data URI (no media request, works offline)."""
    import base64

    return "data:image/svg+xml;base64," + base64.b64encode(LOGO_SVG.encode()).decode("ascii")


def run() -> None:
    st.set_page_config(page_title="Posture coach", page_icon=str(ICON),
                       layout="wide", initial_sidebar_state="expanded")
    ui.inject_css()
    _startup(str(data_dir()))
    pages = {
        "Coach": [
            st.Page(live_coach.page, title="Live coach", icon=":material/videocam:",
                    url_path="live", default=True),
            st.Page(review.page, title="Review a recording", icon=":material/movie:",
                    url_path="review"),
        ],
        "Progress": [
            st.Page(history.page, title="History", icon=":material/monitoring:",
                    url_path="history"),
        ],
        "Clinic": [
            st.Page(lift_lab.page, title="Lift lab", icon=":material/fitness_center:",
                    url_path="lift-lab"),
        ],
        "App": [
            st.Page(settings.page, title="Settings", icon=":material/settings:",
                    url_path="settings"),
        ],
    }
    nav = st.navigation(pages, position="sidebar", expanded=True)
    st.logo(_logo_uri(), size="large")
    with st.sidebar:
        st.caption("Everything runs on this computer. Your video is never recorded or sent "
                   "anywhere.")
    with ui.guard("showing this page"):
        nav.run()
