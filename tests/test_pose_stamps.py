"""MediaPipe is given each frame's own time, so its landmark smoothing does not lag.

The legacy API stamps every frame 33 ms after the last; on a 15 fps clip its One Euro
filters then saw half the real time pass and trailed fast movement by 1–2 frames.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from clip_cache import ground_truth, run_clip
from conftest import SAMPLE_VIDEOS

from posture.pose import MediaPipePose

STOOP = SAMPLE_VIDEOS / "synthetic" / "23_lift_stoop_side_right.mp4"


def _blank() -> np.ndarray:
    return np.full((96, 96, 3), 127, dtype=np.uint8)


def test_the_graph_gets_the_frame_time_and_stamps_always_rise() -> None:
    with MediaPipePose() as pose:
        seen = []
        for t in (0.0, 0.0667, 0.0667000001, 0.2, 5.0):
            pose.process(_blank(), t)
            seen.append(pose._pose._simulated_timestamp)
        assert seen[0] == 0 and seen[1] == 66700 and seen[-2:] == [200000, 5000000]
        assert seen[2] == 66701  # closer than 1 µs to the last: still after it
        pose.reset()  # a new run of the graph may start its clock again
        pose.process(_blank(), 0.0)
        assert pose._pose._simulated_timestamp == 0


def test_photos_keep_mediapipe_stamps() -> None:
    with MediaPipePose(static_image=True) as pose:
        pose.process(_blank(), 7.0)
        assert pose._pose._simulated_timestamp < 7_000_000


def _lag_frames(mp4: Path, name: str) -> int:
    """The shift (in frames) of the measured angle that best matches the truth."""
    gt = ground_truth(mp4)
    run = run_clip(mp4)
    t_est = np.array([r.t for r in run.records])
    est = run.series(name)
    t_gt = np.array([g["t"] for g in gt["frames_gt"]])
    ref = np.array([np.nan if g["angles"].get(name) is None else g["angles"][name]
                    for g in gt["frames_gt"]], dtype=float)
    fps = float(gt["fps"])
    errs = {}
    for k in range(-4, 5):
        truth = np.interp(t_est - k / fps, t_gt, ref)
        ok = np.isfinite(est) & np.isfinite(truth)
        errs[k] = float(np.mean(np.abs(est[ok] - truth[ok])))
    return min(errs, key=errs.__getitem__)


@pytest.mark.parametrize("name", ["hip_angle_deg", "trunk_inclination_deg"])
def test_fast_stoop_angles_do_not_trail_the_truth(name: str) -> None:
    """A stoop lift at 15 fps (the renders' rate): with the old 33 ms stamps the hip
    angle trailed by 2 frames (133 ms); a lag of one frame is left (zero-lag smoothing
    cannot undo MediaPipe's own)."""
    assert _lag_frames(STOOP, name) <= 1
