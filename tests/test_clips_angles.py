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


# Pooled MAE ceilings per view and angle: what the geometry achieves, with a little
# margin (issue #10; see posture.metrics.LandmarkOffsets, posture.camera and the frame
# stamps in posture.pose; oblique legs in 3-D from the image landmarks: posture.metrics).
# Shared set (29 renders): side trunk 2.9, neck 4.1, hip 6.7, knee 4.8; oblique trunk
# 3.6, neck 5.3, hip 9.1, knee 11.1 (world landmarks before: 13.0 / 15.0). Sample
# subset (12 renders): side 2.4 / 3.7 / 5.5 / 4.6; oblique 2.3 / 5.9 / 6.8 / 7.6 (two
# obliques, one a bent-leg squat; world landmarks before: 16.9 / 18.1).
SHARED_LIMITS = {
    "side:trunk_inclination_deg": 3.4,
    "side:neck_inclination_deg": 4.6,
    "side:hip_angle_deg": 7.5,
    "side:knee_angle_deg": 5.5,
    "oblique:trunk_inclination_deg": 4.4,
    "oblique:neck_inclination_deg": 5.8,
    "oblique:hip_angle_deg": 10.0,
    "oblique:knee_angle_deg": 12.0,
}
SAMPLE_LIMITS = {
    **SHARED_LIMITS,
    "oblique:neck_inclination_deg": 6.5,
    "oblique:hip_angle_deg": 7.8,
    "oblique:knee_angle_deg": 8.6,
}


def _check_set(clips: list[Path], limits: dict[str, float]) -> dict[str, float]:
    """Angle accuracy pooled over every frame of the clips of each view.

    Issue #10 targets: trunk ≤ 3° side / ≤ 5° oblique, neck ≤ 5° side, hip and knee
    ≤ 7° side / ≤ 10° oblique; ``limits`` assert what is achieved (the shared
    set's oblique knee, 11°, is above target: its standing and leaning obliques read
    straight knees as bent).
    Sagittal angles are null in front views. Per clip, a looser ceiling on
    the trunk guards against regressions (deep forward bends err most).
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
        assert trunk <= (9.0 if kind == "side" else 11.5), (mp4.name, trunk)
    mae = {k: float(np.mean(v)) for k, v in pooled.items()}
    for key, value in mae.items():
        assert value <= limits[key], (key, value, mae)
    return mae


def test_sample_synthetic_angles() -> None:
    mae = _check_set(_synthetic(SAMPLE_VIDEOS / "synthetic"), SAMPLE_LIMITS)
    assert "side:trunk_inclination_deg" in mae and "oblique:trunk_inclination_deg" in mae


@pytest.mark.shared
def test_shared_synthetic_angles() -> None:
    mae = _check_set(_synthetic(SHARED_VIDEOS / "synthetic"), SHARED_LIMITS)
    assert len(mae) == 8


def _elevated_renders() -> list[Path]:
    folder = SAMPLE_VIDEOS / "eval"
    return sorted(p for p in folder.glob("*_elev_*.mp4") if p.with_suffix(".json").exists())


@pytest.mark.skipif(not _elevated_renders(), reason="no elevated-camera renders in sample_videos")
def test_camera_elevation_is_estimated_and_corrected() -> None:
    """Cameras looking down 0–60°: the elevation on ViewState, and side-view trunk accuracy.

    Measured on 15 renders (floor lifts, stoops, squats; side and 40° oblique): the
    estimate reads low by 6–14° from 20–60° (MediaPipe's world landmarks under-report
    steep pitches; 18–21° on deep stoops) and within 7° on a level camera, 10.4° off
    on average up to 50°; side-view trunk MAE 3.8° below 15°, 4.3° at 15–40°, 8.5°
    at 40–60° (uncorrected: 3.1 / 5.0 / 10.4).
    """
    side_trunk: dict[str, list[float]] = {}
    offsets: list[float] = []
    for mp4 in _elevated_renders():
        gt = ground_truth(mp4)
        if gt["view"] == "front":
            continue
        truth = float(gt["camera"]["elevation_deg"])
        run = run_clip(mp4)
        est = np.array([r.view.elevation_deg for r in run.records if r.detected])
        est = est[np.isfinite(est)]
        assert len(est), mp4.name
        if truth <= 50:
            off = abs(float(np.median(est)) - truth)
            assert off <= 25.0, (mp4.name, float(np.median(est)), truth)
            offsets.append(off)
        if gt["view"].startswith("side"):
            band = "low" if truth < 15 else ("mid" if truth < 40 else "high")
            name = "trunk_inclination_deg"
            ref = np.array(
                [f["angles"].get(name, np.nan) if f["person_visible"] else np.nan
                 for f in gt["frames_gt"]]
            )
            err = np.abs(run.series(name) - ref)
            side_trunk.setdefault(band, []).extend(err[np.isfinite(err)].tolist())
    assert float(np.mean(offsets)) <= 12.0, offsets
    ceilings = {"low": 4.5, "mid": 6.0, "high": 11.0}
    for band, errs in side_trunk.items():
        assert float(np.mean(errs)) <= ceilings[band], (band, float(np.mean(errs)))


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
