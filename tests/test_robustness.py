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
from posture.metrics import METRIC_NAMES
from posture.pipeline import AnalysisOptions, analyze_video

wild = st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=32),
                 st.floats(-1e6, 1e6))
# What a broken model or a bit flip can put into one coordinate or visibility:
# NaN, ±inf, float64 extremes (squares overflow), far off-frame, and visibility
# outside [0, 1].
extreme = st.sampled_from([np.nan, np.inf, -np.inf, 1e308, -1e308, 5e-324, 1e154, -1e6,
                           1e6, 0.0, -1.0, 2.0, 7.5, -0.0])


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
@given(values=arrays(np.float64, (60, len(METRIC_NAMES)), elements=wild))
def test_assessor_survives_arbitrary_metric_values(values):
    from posture.metrics import FrameMetrics
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


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(
    st.tuples(st.integers(0, 29),  # frame
              st.sampled_from(["image", "visibility", "world"]),
              st.integers(0, NUM_LANDMARKS - 1),  # landmark
              st.integers(0, 2),  # coordinate
              st.one_of(extreme, wild)),
    min_size=1, max_size=40),
       drop_world=st.booleans(),
       activity=st.sampled_from(["auto", "sitting", "standing", "lifting"]))
def test_corrupted_landmarks_through_the_offline_chain_to_the_report(edits, drop_world, activity):
    """A plausible person whose landmarks are corrupted in places (the realistic case:
    a fully random skeleton is simply rejected by the gate) goes through the whole
    offline chain - gate, view, metrics, zero-lag smoothing, rules - and into
    report.json and frames.csv: no exception, and the report stays strict JSON."""
    import json

    from posture.metrics import FrameMetrics
    from posture.pipeline import Analysis, FrameResult, smooth_records
    from posture.report import build_report, csv_rows
    from posture.video import MediaInfo

    fps = 15.0
    poses = []
    for i in range(30):
        base = make_pose(t=i / fps, trunk_lean=10.0 + 2.0 * i)
        poses.append({"image": base.image.copy(), "visibility": base.visibility.copy(),
                      "world": None if base.world is None else base.world.copy()})
    for frame, field, landmark, coord, value in edits:
        target = poses[frame][field]
        if target is None:
            continue
        if field == "visibility":
            target[landmark] = value
        else:
            target[landmark, coord] = value
    analyzer = FrameAnalyzer(backend=_Replay())
    records = []
    with np.errstate(all="ignore"):  # overflow warnings are fine; exceptions are not
        for i, p in enumerate(poses):
            world = None if drop_world and i % 2 else p["world"]
            pose = FramePose(t=i / fps, width=640, height=480, image=p["image"],
                             visibility=p["visibility"], world=world)
            records.append(analyzer.update_pose(pose, i / fps))
        smoothed = smooth_records(records, fps, 6.0)
        assessor = Assessor(activity)
        results = []
        for i, r in enumerate(records):
            metrics = FrameMetrics(r.t, r.detected, r.view, smoothed[i])
            assessment = assessor.update(metrics)
            assert assessment.worst in {"ok", "caution", "poor", "n/a"}
            results.append(FrameResult(r.index, r.t, r.detected, r.view, metrics, assessment,
                                       r.pose))
        session = assessor.finish()
        info = MediaInfo("fuzz.mp4", "video", fps, 30, 640, 480, 2.0)
        analysis = Analysis(info, AnalysisOptions(activity=activity), tuple(results), session)
        json.dumps(build_report(analysis, "fuzz.mp4"), allow_nan=False)
        header, rows = csv_rows(analysis)
    assert len(rows) == 30 and all(len(row) == len(header) for row in rows)
