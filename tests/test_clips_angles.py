"""The engine on real and synthetic clips: angle accuracy, view, person gating."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from clip_cache import ground_truth, run_clip
from conftest import SAMPLE_VIDEOS, SHARED_VIDEOS

SAGITTAL = ("trunk_inclination_deg", "neck_inclination_deg", "hip_angle_deg", "knee_angle_deg")


def _synthetic(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.mp4") if "empty_room" not in p.name)


def _abs_errors(mp4: Path, name: str) -> np.ndarray:
    """Absolute errors of one schema angle over frames where the person is visible."""
    gt = ground_truth(mp4)
    run = run_clip(mp4)
    assert len(run.records) == len(gt["frames_gt"])
    est = run.series(name)
    ref = np.array(
        [f["angles"].get(name, np.nan) if f["person_visible"] else np.nan for f in gt["frames_gt"]],
        dtype=float,
    )
    both = np.isfinite(est) & np.isfinite(ref)
    # Frames with the whole body in view (walk-in/walk-out clips cut it at the edge).
    whole = np.array([f.get("in_frame_fraction", 1.0) >= 0.99 for f in gt["frames_gt"]])
    coverage = (both & whole).sum() / max((np.isfinite(ref) & whole).sum(), 1)
    assert coverage >= 0.9, f"{mp4.name}: {name} measured on only {coverage:.0%} of frames"
    return np.abs(est[both] - ref[both])


def _check_set(clips: list[Path]) -> dict[str, float]:
    """The issue's accuracy targets, pooled over every frame of the clips of each view.

    Targets: trunk inclination MAE ≤ 5° in side views and ≤ 8° in oblique views,
    hip and knee within 15° (MediaPipe's hip sits above the joint); sagittal angles
    null in front views. Per clip, a looser ceiling guards against regressions:
    MediaPipe itself errs 6–12° on the trunk in deep forward bends (videos README).
    """
    pooled: dict[str, list[float]] = {}
    for mp4 in clips:
        view = ground_truth(mp4)["view"]
        if view == "front":
            run = run_clip(mp4)
            for name in SAGITTAL:
                assert np.isnan(run.series(name)).all(), f"{name} must be null in a front view"
            continue
        kind = "side" if view.startswith("side") else "oblique"
        for name in SAGITTAL:
            err = _abs_errors(mp4, name)
            pooled.setdefault(f"{kind}:{name}", []).extend(err.tolist())
        trunk = float(_abs_errors(mp4, "trunk_inclination_deg").mean())
        assert trunk <= (9.0 if kind == "side" else 12.5), (mp4.name, trunk)
    mae = {k: float(np.mean(v)) for k, v in pooled.items()}
    if "side:trunk_inclination_deg" in mae:
        assert mae["side:trunk_inclination_deg"] <= 5.0, mae
        assert mae["side:hip_angle_deg"] <= 15.0, mae
        assert mae["side:knee_angle_deg"] <= 15.0, mae
    if "oblique:trunk_inclination_deg" in mae:
        assert mae["oblique:trunk_inclination_deg"] <= 8.0, mae
    return mae


def test_sample_synthetic_angles() -> None:
    mae = _check_set(_synthetic(SAMPLE_VIDEOS / "synthetic"))
    assert "side:trunk_inclination_deg" in mae and "oblique:trunk_inclination_deg" in mae


@pytest.mark.shared
def test_shared_synthetic_angles() -> None:
    mae = _check_set(_synthetic(SHARED_VIDEOS / "synthetic"))
    assert len(mae) == 8


@pytest.mark.parametrize("mp4", _synthetic(SAMPLE_VIDEOS / "synthetic"), ids=lambda p: p.stem)
def test_view_matches_the_camera(mp4: Path) -> None:
    gt = ground_truth(mp4)
    run = run_clip(mp4)
    views = [r.view.view for r in run.records if r.detected]
    expected = {
        "side_left": "side_left",
        "side_right": "side_right",
        "front": "front",
        "oblique_left": "oblique",
        "oblique_right": "oblique",
    }[gt["view"]]
    share = views.count(expected) / len(views)
    assert share >= 0.9, (gt["view"], {v: views.count(v) for v in set(views)})


def test_no_person_clips_are_not_detected() -> None:
    for name in (
        "noperson_hand_cup_opencv_false_positives.mp4",
        "noperson_tree_opencv.avi",
        "synthetic/29_empty_room_oblique_left.mp4",
    ):
        run = run_clip(SAMPLE_VIDEOS / name)
        assert run.detected / len(run.records) <= 0.05, (name, run.detected, run.raw_detected)


def test_person_clips_keep_raw_detections() -> None:
    for name in (
        "squat_side_barbell_back_squat_gym_vertical.mp4",
        "squat_front_bodyweight_outdoor_vertical_short.mp4",
        "synthetic/13_squat_good_side_left.mp4",
        "synthetic/11_stand_tilt_cycle_front.mp4",
    ):
        run = run_clip(SAMPLE_VIDEOS / name)
        assert run.raw_detected > 0
        assert run.detected >= 0.95 * run.raw_detected, (name, run.detected, run.raw_detected)


@pytest.mark.shared
def test_shared_no_person_and_person_clips() -> None:
    real = SHARED_VIDEOS / "real"
    for p in sorted(real.glob("noperson_*")):
        run = run_clip(p)
        assert run.detected / len(run.records) <= 0.05, p.name
    for name in (
        "sit_side_chair_upright_slouch_alternating_a.mp4",
        "deadlift_side_demo_woman_text.mp4",
        "stand_side_biceps_curl_gym.mp4",
        "sit_side_then_front_physio_seated_table.mp4",
        "squat_front_bodyweight_woman_whitebg.mp4",
        "other_lying_supine_physio_knee.mp4",
    ):
        run = run_clip(real / name)
        assert run.detected >= 0.95 * run.raw_detected, (name, run.detected, run.raw_detected)
