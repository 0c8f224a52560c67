"""The live engine's low-power setting: sitting analysed at a reduced rate, nothing else."""

from __future__ import annotations

import numpy as np
import pytest
from synthetic_pose import make_pose

from posture.landmarks import FramePose
from posture.live import LiveSession

IMAGE = np.zeros((48, 64, 3), np.uint8)


class CountingBackend:
    """A pose model stand-in that counts how often it is asked (time is passed in)."""

    def __init__(self, **pose_kw: float) -> None:
        self.calls = 0
        self.pose_kw = pose_kw

    def process(self, image_rgb: np.ndarray, t: float) -> FramePose | None:
        self.calls += 1
        return make_pose(t=t, yaw=90.0, **self.pose_kw)

    def close(self) -> None:
        pass


def _stream(live: LiveSession, seconds: float, fps: float = 30.0) -> list:
    return [live.process(IMAGE, i / fps) for i in range(round(seconds * fps))]


def test_low_power_sitting_analyses_at_the_set_rate_and_reuses_the_last_result() -> None:
    backend = CountingBackend(thigh=90.0, shin=0.0)  # seated side view
    live = LiveSession(activity="sitting", backend=backend, sitting_rate_hz=5.0)
    results = _stream(live, 4.0)
    # 4 s at 5 Hz: 20 analysed frames (the first included), the other 100 reused.
    assert backend.calls == 20
    assert live.frames_processed == 20
    assert live.frames_skipped == 100
    analysed = [r for r in results if r.analysed]
    assert len(analysed) == 20
    times = [r.frame.t for r in analysed]
    assert np.allclose(np.diff(times), 0.2)
    for r in results:
        if not r.analysed:
            # A skipped frame carries the newest analysed result, never a stale older one.
            assert r.frame.t == max(t for t in times if t <= r.frame.t + 1e-9)
    # The session still assesses: statuses exist for the analysed frames.
    assert analysed[-1].assessment is not None and analysed[-1].assessment.status


@pytest.mark.parametrize("activity", ["lifting", "standing"])
def test_low_power_never_slows_lifting_or_standing(activity: str) -> None:
    backend = CountingBackend()
    live = LiveSession(activity=activity, backend=backend, sitting_rate_hz=5.0)
    results = _stream(live, 2.0)
    assert backend.calls == len(results) == 60
    assert all(r.analysed for r in results)
    assert live.frames_skipped == 0


def test_full_rate_by_default() -> None:
    backend = CountingBackend(thigh=90.0)
    live = LiveSession(activity="sitting", backend=backend)
    _stream(live, 1.0)
    assert backend.calls == 30
