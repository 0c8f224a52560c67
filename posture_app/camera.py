"""The webcam component (streamlit-webrtc), configured once for every live page.

The component shows a browser error on Start as ``<name>: <message>`` (e.g.
"NotAllowedError: Permission denied"). A small script loaded before the
component's own code (``CAMERA_ERRORS_JS``) turns the camera errors a patient
can meet — refused, missing, busy — into the sentences below. It is served from
a copy of the component's frontend folder with that one extra script tag
(:func:`frontend_dir`); if the copy cannot be made, the stock component is used.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, cast

import streamlit as st
import streamlit_webrtc
from streamlit_webrtc import Translations, WebRtcMode, webrtc_streamer

from posture_app.services import rtc_configuration

log = logging.getLogger("posture_app")

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
CAMERA_BUSY = ("The camera could not start: another app may be using it. Close video calls "
               "and other camera apps, then press Start again.")
# Browser error names (getUserMedia) → the sentence shown in the component.
CAMERA_ERRORS: dict[str, str] = {
    "NotAllowedError": TRANSLATIONS["device_access_denied"],
    "PermissionDeniedError": TRANSLATIONS["device_access_denied"],
    "SecurityError": TRANSLATIONS["device_access_denied"],
    "NotFoundError": TRANSLATIONS["device_not_available"],
    "DevicesNotFoundError": TRANSLATIONS["device_not_available"],
    "NotReadableError": CAMERA_BUSY,
    "TrackStartError": CAMERA_BUSY,
    "AbortError": CAMERA_BUSY,
}
ERROR_TITLE = "Camera problem"  # shown before the sentence ("Camera problem: …")

# Runs in the component's iframe before its own code: a camera error keeps its meaning
# but reads as a sentence. OverconstrainedError is left alone (the component retries it).
CAMERA_ERRORS_JS = """(function () {
  var md = navigator.mediaDevices;
  if (!md || typeof md.getUserMedia !== "function") { return; }
  var sentences = %s, title = %s;
  var original = md.getUserMedia.bind(md);
  md.getUserMedia = function (constraints) {
    return original(constraints).catch(function (err) {
      var text = err && sentences[err.name];
      throw text ? new DOMException(text, title) : err;
    });
  };
})();
"""

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


_frontend_lock = threading.Lock()
_frontend: dict[str, Any] = {}


def frontend_dir() -> Path | None:
    """A copy of streamlit-webrtc's frontend that loads ``CAMERA_ERRORS_JS`` first.

    Made once per version in a private temporary folder (rebuilt if it was cleaned
    away); None if it cannot be made.
    """
    src = Path(streamlit_webrtc.__file__).resolve().parent / "frontend" / "dist"
    script = CAMERA_ERRORS_JS % (json.dumps(CAMERA_ERRORS), json.dumps(ERROR_TITLE))
    version = getattr(streamlit_webrtc, "__version__", "")
    digest = hashlib.sha1(f"{version}\n{src}\n{script}".encode()).hexdigest()[:12]
    uid = os.getuid() if hasattr(os, "getuid") else 0
    root = Path(tempfile.gettempdir()) / f"posture-app-webrtc-{uid}"
    dest = root / digest
    if (dest / "index.html").is_file() and _private(root):
        return dest
    try:
        index = (src / "index.html").read_text(encoding="utf-8")
        if "<head>" not in index:
            raise ValueError("unexpected index.html")
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(root):
            raise ValueError(f"{root} is not a private folder of this user")
        work = Path(tempfile.mkdtemp(prefix="build-", dir=root))
        try:
            shutil.copytree(src, work, dirs_exist_ok=True)
            (work / "posture-camera-errors.js").write_text(script, encoding="utf-8")
            (work / "index.html").write_text(
                index.replace("<head>", '<head>\n    <script src="./posture-camera-errors.js">'
                              "</script>", 1), encoding="utf-8")
            try:
                os.replace(work, dest)
            except OSError:  # another session made it meanwhile
                if not (dest / "index.html").is_file():
                    raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
    except (OSError, ValueError):
        log.exception("could not prepare the camera component; using the stock one")
        return None
    return dest


def _private(folder: Path) -> bool:
    """Owned by this user and writable by nobody else (the browser runs what is inside)."""
    info = folder.stat()
    owner_ok = not hasattr(os, "getuid") or info.st_uid == os.getuid()
    return owner_ok and not info.st_mode & 0o022


def _use_friendly_frontend() -> None:
    """Point streamlit-webrtc at :func:`frontend_dir` (declared once per server process)."""
    import streamlit.components.v1 as components
    from streamlit_webrtc import component as webrtc_component

    with _frontend_lock:
        path = frontend_dir()
        if path is None or not hasattr(webrtc_component, "_component_func"):
            return
        if _frontend.get("path") != path:
            _frontend["path"] = path
            _frontend["func"] = components.declare_component("webrtc_streamer", path=str(path))
        webrtc_component._component_func = _frontend["func"]


def camera_stream(key: str, callback: Callable[[Any], Any], settings: Mapping[str, Any],
                  on_ended: Callable[[], None] | None = None,
                  stop: bool = False) -> Any:
    """The webcam with the overlay: SENDRECV, video only, newest-frame processing.

    ``on_ended`` runs (on a worker thread) when the stream ends without the page
    seeing it: the tab was closed, the connection dropped, the user left the page.
    ``stop=True`` asks the browser to stop the stream (the camera stopped sending).
    """
    if webrtc_streamer is _STOCK_STREAMER:
        _use_friendly_frontend()
    return webrtc_streamer(
        key=key,
        mode=WebRtcMode.SENDRECV,
        rtc_configuration=rtc_configuration(settings),
        media_stream_constraints=VIDEO_CONSTRAINTS,
        video_frame_callback=cast(Any, callback),
        async_processing=True,
        on_video_ended=on_ended,
        desired_playing_state=False if stop else None,
        translations=TRANSLATIONS,
        video_html_attrs={"autoPlay": True, "controls": False, "muted": True,
                          "playsInline": True,
                          "style": {"width": "100%", "borderRadius": "12px"}},
    )


_STOCK_STREAMER = webrtc_streamer  # tests replace ``webrtc_streamer`` with a stub


def camera_help() -> None:
    with st.expander("Camera not working?", icon=":material/help:"):
        st.markdown(CAMERA_HELP)
