"""Two or more people in view: the analysis stays on one person and never hops to a bystander.

MediaPipe's legacy Pose follows one person and may hop to another when it loses
track; the person gate's primary-person lock (posture/person.py) rejects a torso
that appears farther from the locked one than a person can move, until the
locked person has been gone ``release_s``. Real footage from ../shared/videos.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from posture.landmarks import PoseLandmark as L
from posture.person import GateConfig, PersonGate
from posture.pipeline import Analysis, AnalysisOptions, FrameResult, analyze_video

pytestmark = [pytest.mark.shared, pytest.mark.slow]


def _centre_and_torso(f: FrameResult) -> tuple[float, float, float]:
    assert f.pose is not None
    x = f.pose.image[:, :2]
    sh = (x[L.LEFT_SHOULDER] + x[L.RIGHT_SHOULDER]) / 2
    hp = (x[L.LEFT_HIP] + x[L.RIGHT_HIP]) / 2
    c = (sh + hp) / 2
    return float(c[0]), float(c[1]), float(np.linalg.norm(sh - hp))


def _analyse(shared_videos: Path, name: str) -> Analysis:
    return analyze_video(shared_videos / "real" / name, AnalysisOptions(activity="standing"))


def test_athlete_kept_and_the_partial_person_at_the_edge_never_taken(shared_videos: Path) -> None:
    a = _analyse(shared_videos, "multiperson_basketball_second_person_at_edge.mp4")
    detected = [f for f in a.frames if f.detected]
    assert len(detected) >= 0.9 * len(a.frames)
    width = a.info.width
    track = [_centre_and_torso(f) for f in detected]
    # The athlete is central; the second person is only at the left edge.
    assert all(0.25 * width < cx < 0.75 * width for cx, _, _ in track)
    for (x0, y0, l0), (x1, y1, _) in itertools.pairwise(track):
        assert math.hypot(x1 - x0, y1 - y0) < l0  # no hop between consecutive frames


def test_many_walkers_no_hop_while_the_tracked_person_is_still_around(
        shared_videos: Path) -> None:
    """MediaPipe hops between pedestrians; a verdict is only given on one continuous track."""
    a = _analyse(shared_videos, "multiperson_pedestrians_far_opencv_vtest.avi")
    cfg = GateConfig()
    assert _hops([f for f in a.frames if f.detected], cfg) == 0
    assert a.detected_fraction > 0.2  # someone is followed

    # The clip does exercise the lock: the same skeletons through a gate without it hop.
    loose = PersonGate(replace(cfg, release_s=0.0))
    unlocked = [f for f in a.frames if f.pose is not None and loose.update(f.pose, f.t).detected]
    assert _hops(unlocked, cfg) > 0


def _hops(detected: list[FrameResult], cfg: GateConfig) -> int:
    """Moves between consecutive followed frames too far for one person, while the lock holds."""
    hops = 0
    for prev, cur in itertools.pairwise(detected):
        x0, y0, l0 = _centre_and_torso(prev)
        x1, y1, _ = _centre_and_torso(cur)
        dt = cur.t - prev.t
        if dt >= cfg.release_s:
            continue  # the tracked person was gone long enough: a new lock is allowed
        reach = l0 * (cfg.max_jump_torso + cfg.max_speed_torso_per_s * dt)
        hops += math.hypot(x1 - x0, y1 - y0) > reach
    return hops
