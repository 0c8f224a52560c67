"""The app shell: page config, theme, sidebar navigation, one-time start-up chores."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

import streamlit as st

from posture_app import ui
from posture_app.pages import (
    history,
    lift_lab,
    live_coach,
    programme,
    programme_today,
    review,
    settings,
)
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


# MediaPipe 0.10.21 logs through absl and TensorFlow Lite's own logger, which ignore
# GLOG_minloglevel and TF_CPP_MIN_LOG_LEVEL (posture/pose.py sets both; measured: no effect),
# and it exposes no call to lower its log level. Its start-up chatter ("Created TensorFlow
# Lite XNNPACK delegate", "All log messages before absl::InitializeLog()", and an
# "inference_feedback_manager" warning per model per stream) is written straight to file
# descriptor 2 by native threads. So the server's stderr goes through a small filter process
# that drops native INFO and WARNING lines and passes everything else (Python logs,
# tracebacks, native ERROR and FATAL lines) through unchanged. It is a separate process so
# that nothing written just before a crash is lost. POSTURE_NATIVE_LOGS=1 keeps them all.
_STDERR_FILTER = r"""
import os, re, signal, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)   # the server decides when we stop: at EOF
signal.signal(signal.SIGTERM, signal.SIG_IGN)
noise = re.compile(
    rb"(INFO: Created TensorFlow Lite XNNPACK delegate for CPU\."
    rb"|WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    rb"|[IW]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [\w./+-]+:\d+\] )")
for line in sys.stdin.buffer:
    if not noise.match(line):
        os.write(1, line)
"""
_FILTER_MARK = "POSTURE_STDERR_FILTER_PID"


def _real_server() -> bool:
    """True under ``streamlit run`` (not under AppTest, whose Runtime is a mock)."""
    from streamlit.runtime import Runtime

    return Runtime.exists() and type(Runtime.instance()) is Runtime


def quiet_native_logs() -> None:
    """Once per server process: filter MediaPipe's native start-up lines out of stderr."""
    if (os.name != "posix" or os.environ.get("POSTURE_NATIVE_LOGS")
            or os.environ.get(_FILTER_MARK) == str(os.getpid()) or not _real_server()):
        return
    os.environ[_FILTER_MARK] = str(os.getpid())
    try:
        sys.stderr.flush()
        original = os.dup(2)
        read_end, write_end = os.pipe()
        proc = subprocess.Popen([sys.executable, "-I", "-S", "-c", _STDERR_FILTER],
                                stdin=read_end, stdout=original, stderr=original,
                                close_fds=True)
        os.dup2(write_end, 2)
        os.close(write_end)
        os.close(read_end)
    except OSError:
        log.warning("could not filter native log lines; they stay in the terminal",
                    exc_info=True)
        return

    def restore_if_filter_dies() -> None:
        proc.wait()
        os.dup2(original, 2)  # never leave the server writing into a closed pipe

    threading.Thread(target=restore_if_filter_dies, name="posture-stderr-filter",
                     daemon=True).start()


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
    # Streamlit serves the default page at "/" and ignores its url_path, so the Live coach
    # is an ordinary page (reachable at /live like every other page) and "/" is a hidden
    # default that forwards to it: every page has one URL and the sidebar highlights it.
    live = st.Page(live_coach.page, title="Live coach", icon=":material/videocam:",
                   url_path="live")

    def home() -> None:
        st.switch_page(live)

    pages = {
        "Coach": [
            st.Page(home, title="Posture coach", url_path="home", default=True,
                    visibility="hidden"),
            live,
            st.Page(programme_today.page, title="Today's programme",
                    icon=":material/exercise:", url_path="today"),
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
            st.Page(programme.page, title="Programme", icon=":material/assignment:",
                    url_path="programme"),
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
