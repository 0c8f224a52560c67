"""The webcam component (streamlit-webrtc), configured once for every live page."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

import streamlit as st
from streamlit_webrtc import Translations, WebRtcMode, webrtc_streamer

from posture_app.services import rtc_configuration

# Words shown inside the component, including the camera-problem sentences.
TRANSLATIONS: Translations = {
    "start": "Start",
    "stop": "Stop",
    "select_device": "Choose camera",
    "select_camera": "Camera",
    "media_api_not_available": (
        "This browser cannot use a camera on this page. Open the app at "
        "http://127.0.0.1:8501 (or over https) in Chrome, Edge or Firefox."),
    "device_ask_permission": "Please allow the app to use your camera when the browser asks.",
    "device_not_available": (
        "No camera was found. Plug in a webcam, close other apps that use it, "
        "then press Start again."),
    "device_access_denied": (
        "Camera access was refused. Click the camera icon in the address bar, choose "
        "“Allow”, then press Start again."),
    "turn_camera_on": "Turn camera on",
    "turn_camera_off": "Turn camera off",
}

VIDEO_CONSTRAINTS: dict[str, Any] = {
    "video": {"width": {"ideal": 640}, "height": {"ideal": 480},
              "frameRate": {"ideal": 15, "max": 30}},
    "audio": False,
}

CAMERA_HELP = """
**If the video does not start**

- **The browser asked for the camera and you refused:** click the camera icon at the
  right of the address bar, choose *Allow*, then press **Start** again.
- **“No camera was found”:** plug in a webcam, close other programs that use it
  (video calls), then press **Start**.
- **Several cameras:** choose one with **Choose camera** under the video.
- **Nothing happens on another computer:** open the app on the same computer as the
  camera at `http://127.0.0.1:8501`, or ask whoever set it up to add a STUN/TURN
  server in **Settings**.

Your video is analysed on this computer and is never recorded or sent anywhere.
"""


def camera_stream(key: str, callback: Callable[[Any], Any],
                  settings: Mapping[str, Any]) -> Any:
    """The webcam with the overlay: SENDRECV, video only, newest-frame processing."""
    return webrtc_streamer(
        key=key,
        mode=WebRtcMode.SENDRECV,
        rtc_configuration=rtc_configuration(settings),
        media_stream_constraints=VIDEO_CONSTRAINTS,
        video_frame_callback=cast(Any, callback),
        async_processing=True,
        translations=TRANSLATIONS,
        video_html_attrs={"autoPlay": True, "controls": False, "muted": True,
                          "playsInline": True,
                          "style": {"width": "100%", "borderRadius": "12px"}},
    )


def camera_help() -> None:
    with st.expander("Camera not working?", icon=":material/help:"):
        st.markdown(CAMERA_HELP)
