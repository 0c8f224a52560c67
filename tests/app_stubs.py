"""Helpers for the app tests: a ``webrtc_streamer`` stub, AppTest factories, frames.

``webrtc_streamer`` cannot run under AppTest (no WebRTC session manager), so
the tests replace ``posture_app.camera.webrtc_streamer`` with :class:`FakeWebrtc`,
which records its arguments and returns a context whose ``state.playing`` the
test controls; the captured ``video_frame_callback`` is then called directly
on ``av.VideoFrame``s, as streamlit-webrtc's worker thread would.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # the app package lives at the repo root (not installed)
    sys.path.insert(0, str(REPO))

SQUAT_CLIP = REPO / "sample_videos" / "synthetic" / "13_squat_good_side_left.mp4"
SIT_CLIP = REPO / "sample_videos" / "synthetic" / "01_sit_slouch_cycle_side_left.mp4"
TIMEOUT = 120  # AppTest default_timeout: model set-up takes seconds on a loaded CI machine


@dataclass
class FakeState:
    playing: bool = False
    signalling: bool = False


@dataclass
class FakeContext:
    state: FakeState
    video_processor: Any = None


@dataclass
class FakeWebrtc:
    """Stands in for ``streamlit_webrtc.webrtc_streamer``; one per test."""

    playing: bool = False
    calls: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, **kwargs: Any) -> FakeContext:
        self.calls.append(kwargs)
        return FakeContext(FakeState(playing=self.playing))

    @property
    def callback(self) -> Callable[[Any], Any]:
        assert self.calls, "webrtc_streamer was never called"
        cb = self.calls[-1]["video_frame_callback"]
        assert callable(cb)
        return cb


def install_webrtc(monkeypatch: Any, playing: bool = False) -> FakeWebrtc:
    import posture_app.camera as camera

    fake = FakeWebrtc(playing=playing)
    monkeypatch.setattr(camera, "webrtc_streamer", fake)
    return fake


def page_script(module: str) -> str:
    """An AppTest script that renders one page the way the app shell does."""
    return f"""
import sys
sys.path.insert(0, {str(REPO)!r})
from posture_app import ui
from posture_app.pages import {module} as page_module

ui.inject_css()
page_module.page()
"""


def app_test(module: str) -> Any:
    from streamlit.testing.v1 import AppTest

    return AppTest.from_string(page_script(module), default_timeout=TIMEOUT)


def video_frames(path: Path = SQUAT_CLIP, limit: int | None = None) -> Iterator[Any]:
    """``av.VideoFrame``s of a clip (what the browser would send)."""
    import av

    with av.open(str(path)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if limit is not None and i >= limit:
                return
            yield frame


def page_text(at: Any) -> str:
    """Everything the page shows as text: markdown, captions, HTML blocks, alerts, metrics."""
    parts: list[str] = []
    for node in at.main.children.values() if hasattr(at.main, "children") else []:
        parts.append(_walk(node))
    return "\n".join(parts)


def _walk(node: Any) -> str:
    out: list[str] = []
    proto = getattr(node, "proto", None)
    for attr in ("value", "body", "label"):
        try:
            v = getattr(node, attr, None)
        except (KeyError, AttributeError, ValueError):  # widgets without a value yet
            v = None
        if isinstance(v, str):
            out.append(v)
    if proto is not None:
        html = getattr(getattr(proto, "html", None), "body", None)
        if isinstance(html, str) and html:
            out.append(html)
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            out.append(_walk(child))
    return "\n".join(x for x in out if x)
