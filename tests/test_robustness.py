"""Robustness: hostile landmark arrays never crash the chain; analysis never touches the network."""

from __future__ import annotations

import socket

import numpy as np
import pytest
from conftest import SAMPLE_VIDEOS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from synthetic_pose import make_pose

from posture.assess import Assessor
from posture.frame_analyzer import FrameAnalyzer
from posture.landmarks import NUM_LANDMARKS, FramePose
from posture.live import LiveSession
from posture.pipeline import AnalysisOptions, analyze_video

wild = st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=32),
                 st.floats(-1e6, 1e6))


class _Replay:
    """A pose backend that returns whatever pose the test hands it."""

    def __init__(self) -> None:
        self.next: FramePose | None = None

    def process(self, image_rgb: np.ndarray, t: float) -> FramePose | None:
        return self.next

    def close(self) -> None:
        pass


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(image=arrays(np.float64, (NUM_LANDMARKS, 3), elements=wild),
       vis=arrays(np.float64, (NUM_LANDMARKS,), elements=wild),
       world=st.one_of(st.none(), arrays(np.float64, (NUM_LANDMARKS, 3), elements=wild)),
       activity=st.sampled_from(["auto", "sitting", "standing", "lifting"]))
def test_garbage_landmarks_never_crash_the_chain(image, vis, world, activity):
    backend = _Replay()
    session = LiveSession(activity=activity, backend=backend)
    frame = np.zeros((4, 4, 3), np.uint8)
    statuses = set()
    # A valid person first, so every stage has state when the garbage arrives.
    for i in range(4):
        backend.next = make_pose(t=i / 30, trunk_lean=10)
        session.process(frame, i / 30)
    backend.next = FramePose(t=0.2, width=640, height=480, image=image, visibility=vis,
                             world=world)
    for i in range(3):
        result = session.process(frame, 0.2 + i / 30)
        if result.assessment is not None:
            statuses |= set(result.assessment.status.values())
    assert statuses <= {"ok", "caution", "poor", "n/a"}
    summary = session.finish().summary
    assert summary["time_s_by_severity"].keys() >= {"ok", "caution", "poor"}


@settings(max_examples=60, deadline=None)
@given(values=arrays(np.float64, (60, 26), elements=wild))
def test_assessor_survives_arbitrary_metric_values(values):
    from posture.metrics import METRIC_NAMES, FrameMetrics
    from posture.view import ViewState

    assert values.shape[1] == len(METRIC_NAMES)
    assessor = Assessor("auto")
    view = ViewState("side_left", "left", 85.0, False)
    for i, row in enumerate(values):
        a = assessor.update(FrameMetrics(i / 15, True, view, row))
        assert a.worst in {"ok", "caution", "poor", "n/a"}
    assessor.finish()


def test_analysis_opens_no_network_connection(monkeypatch):
    """Video never leaves the machine: any connection attempt fails this test."""
    attempts: list[object] = []

    def refuse(self: socket.socket, address: object) -> None:
        attempts.append(address)
        raise OSError("network access attempted during analysis")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection",
                        lambda *a, **k: refuse(None, a[0]))  # type: ignore[arg-type]
    analysis = analyze_video(SAMPLE_VIDEOS / "synthetic" / "09_stand_lean_cycle_side_left.mp4",
                             AnalysisOptions(activity="standing"))
    assert analysis.detected_fraction > 0.9
    assert attempts == []


@pytest.mark.parametrize("static", [False, True])
def test_frame_analyzer_on_blank_and_tiny_frames(static):
    analyzer = FrameAnalyzer(static_image=static)
    try:
        for shape in ((480, 640, 3), (8, 8, 3), (1, 1, 3)):
            record = analyzer.update(np.zeros(shape, np.uint8), 0.1 * shape[0])
            assert not record.detected and np.isnan(record.raw).all()
    finally:
        analyzer.close()
