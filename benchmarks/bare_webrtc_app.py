"""The yardstick for the live coach: bare MediaPipe Pose behind streamlit-webrtc.

The frame callback does the least a pose app can do — picture to RGB,
``pose.process``, return the frame unchanged — with the same component
settings as the live coach (SENDRECV, 640×480 at 15 fps ideal, newest-frame
processing, no ICE servers). ``benchmarks/live.py`` serves it next to the
real app and compares their processed frames per second.

Run alone: ``.venv/bin/python -m streamlit run benchmarks/bare_webrtc_app.py``
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import streamlit as st
from streamlit_webrtc import WebRtcMode, webrtc_streamer

CONSTRAINTS: dict[str, Any] = {
    "video": {"width": {"ideal": 640}, "height": {"ideal": 480},
              "frameRate": {"ideal": 15, "max": 30}},
    "audio": False,
}


class BarePose:
    """One MediaPipe Pose per browser session (it tracks per stream, not thread-safe)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pose: Any = None

    def __call__(self, frame: Any) -> Any:
        with self.lock:
            if self.pose is None:  # created on the first frame, as the live coach does
                import mediapipe as mp

                self.pose = mp.solutions.pose.Pose(
                    static_image_mode=False, model_complexity=1, smooth_landmarks=True,
                    enable_segmentation=False, min_detection_confidence=0.5,
                    min_tracking_confidence=0.5)
            self.pose.process(frame.to_ndarray(format="rgb24"))
        return frame


if "bare_pose" not in st.session_state:
    st.session_state["bare_pose"] = BarePose()

st.title("Bare MediaPipe")
webrtc_streamer(
    key="bare",
    mode=WebRtcMode.SENDRECV,
    rtc_configuration={"iceServers": []},
    media_stream_constraints=CONSTRAINTS,
    video_frame_callback=st.session_state["bare_pose"],
    async_processing=True,
)

# Diagnostic (benchmarks/live.py --bare-panel S): a trivial panel refreshed every S
# seconds, to tell the cost of Streamlit fragment reruns from the live coach's own work.
PANEL_S = float(os.environ.get("BARE_PANEL_S") or 0)
if PANEL_S > 0:

    @st.fragment(run_every=PANEL_S)
    def panel() -> None:
        st.html(f"<div>{time.monotonic():.1f}</div>")

    panel()
