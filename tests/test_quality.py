"""The picture check: dim or noisy light gives a framing cue instead of verdicts.

Pure tests on tiny synthetic pictures and scripted times, then the whole chain
on a real clip darkened and drowned in noise at test time (the original stays
unwarned), and a dark but clean gym clip that must keep its verdicts.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import cv2
import numpy as np
import pytest
from media_factory import write_video
from synthetic_pose import make_pose

from posture.assess import Assessor
from posture.frame_analyzer import FrameAnalyzer
from posture.landmarks import FramePose
from posture.live import LiveSession
from posture.metrics import FrameMetrics
from posture.pipeline import AnalysisOptions, analyze_video
from posture.quality import (
    QualityConfig,
    QualityMonitor,
    QualityState,
    landmark_confidence,
    picture_stats,
)
from posture.report import build_report, csv_rows
from posture.rules.model import CATEGORIES
from posture.video import open_media

W, H = 64, 48
CFG = QualityConfig()
DARK_CUE = CFG.dark_cue


def uniform(level: float) -> np.ndarray:
    return np.full((H, W, 3), level, np.uint8)


def scene(level: float = 120.0) -> np.ndarray:
    """A clean picture with structure: a gradient wall and two hard-edged blocks."""
    x = np.linspace(-30, 30, W)[None, :, None]
    img = np.broadcast_to(level + x, (H, W, 3)).copy()
    img[8:30, 10:25] = level + 60
    img[20:44, 40:56] = level - 60
    return np.clip(img, 0, 255).astype(np.uint8)


def noisy(level: float, sigma: float, seed: int = 0) -> np.ndarray:
    """Grey picture plus the same Gaussian noise in R, G and B (so luma noise is sigma)."""
    rng = np.random.default_rng(seed)
    grey = level + rng.normal(0.0, sigma, (H, W, 1))
    return np.clip(np.repeat(grey, 3, axis=2), 0, 255).astype(np.uint8)


def pose(t: float, visibility: float = 0.99) -> FramePose:
    return make_pose(t=t, yaw=0, visibility=visibility)


def run(monitor: QualityMonitor, frames: list[tuple[float, np.ndarray | None, FramePose | None]]
        ) -> list[QualityState]:
    return [monitor.update(img, p, t) for t, img, p in frames]


def times(start: float, stop: float, fps: float = 10.0) -> list[float]:
    return [round(start + i / fps, 6) for i in range(round((stop - start) * fps))]


# --------------------------------------------------------------------------- picture statistics


def test_picture_stats_of_uniform_scene_and_noisy_pictures():
    luma, noise = picture_stats(uniform(12))
    assert luma == pytest.approx(12, abs=0.5) and noise == 0.0
    luma, noise = picture_stats(scene(120))
    assert luma == pytest.approx(120, abs=8) and noise < 0.5  # edges are not noise
    for sigma in (5.0, 20.0):
        luma, noise = picture_stats(noisy(128, sigma))
        assert luma == pytest.approx(128, abs=2)
        assert noise == pytest.approx(sigma, rel=0.15)


def test_noise_estimate_ignores_hard_edges():
    img = scene(120).astype(float) + np.random.default_rng(1).normal(0, 5, (H, W, 1))
    _, noise = picture_stats(np.clip(img, 0, 255).astype(np.uint8))
    assert noise == pytest.approx(5.0, rel=0.25)


def test_picture_stats_on_grey_and_tiny_pictures():
    assert picture_stats(np.full((H, W), 30, np.uint8))[0] == pytest.approx(30)
    assert all(math.isnan(v) for v in picture_stats(np.zeros((2, 2, 3), np.uint8)))


def test_landmark_confidence_takes_the_better_seen_side():
    assert landmark_confidence(None) == 0.0
    assert landmark_confidence(pose(0.0, 0.9)) == pytest.approx(0.9)
    p = pose(0.0, 0.9)
    vis = p.visibility.copy()
    vis[[12, 24]] = 0.1  # the far side (right shoulder and hip) hidden in a side view
    assert landmark_confidence(FramePose(0.0, p.width, p.height, p.image, vis)) == (
        pytest.approx(0.9))


# --------------------------------------------------------------------------- the monitor


def test_dark_picture_without_a_pose_warns_after_persistence_only():
    states = run(QualityMonitor(), [(t, uniform(10), None) for t in times(0, 3)])
    first_bad = next(i for i, s in enumerate(states) if not s.ok)
    assert 0.95 <= first_bad / 10 <= 1.05  # enter_s = 1 s of poor picture and no landmarks
    assert all(not s.ok for s in states[first_bad:])
    s = states[-1]
    assert (s.problem, s.cue) == ("dark", DARK_CUE)
    assert s.luma == pytest.approx(10, abs=0.5) and s.landmark_confidence < 0.01


def test_noisy_picture_without_a_pose_is_noisy():
    states = run(QualityMonitor(), [(t, noisy(110, 20, seed=int(t * 10)), None)
                                    for t in times(0, 2)])
    assert (states[-1].problem, states[-1].cue) == ("noisy", CFG.noisy_cue)
    assert states[-1].noise == pytest.approx(20, rel=0.15)


def test_dark_picture_with_confident_landmarks_keeps_its_verdicts():
    """The dark gym: MediaPipe is sure of the person, so the frames are judged."""
    states = run(QualityMonitor(), [(t, noisy(20, 10, seed=int(t * 10)), pose(t))
                                    for t in times(0, 5)])
    assert all(s.ok for s in states)


def test_good_picture_without_a_pose_is_not_a_picture_problem():
    """Nobody in a well lit room is "step into view", not "turn on a light"."""
    states = run(QualityMonitor(), [(t, scene(), None) for t in times(0, 4)])
    assert all(s.ok and s.problem is None and s.cue is None for s in states)


def test_warning_clears_after_persistence_and_holds_in_the_hysteresis_band():
    m = QualityMonitor()
    run(m, [(t, uniform(10), None) for t in times(0, 2)])
    # Luma 45 sits between the enter (41) and clear (50) thresholds: still dark.
    held = run(m, [(t, uniform(45), None) for t in times(2, 4)])
    assert not any(s.ok for s in held)
    # Light on: clears only after the landmarks are trusted again and clear_s has passed.
    back = run(m, [(t, scene(), pose(t)) for t in times(4, 6)])
    first_ok = next(i for i, s in enumerate(back) if s.ok)
    assert 0.95 <= first_ok / 10 <= 1.35  # clear_s, plus the sampling step of the picture
    assert all(s.ok for s in back[first_ok:])
    assert back[0].problem == "dark"  # while clearing it still names the cause


def test_flickering_light_does_not_flicker_the_warning():
    """Half a second dark, half a second bright, never a full second of poor picture."""
    frames = [(t, uniform(10) if int(t * 2) % 2 == 0 else scene(), None) for t in times(0, 6)]
    assert all(s.ok for s in run(QualityMonitor(), frames))


def test_picture_is_sampled_on_stream_time_only():
    m = QualityMonitor()
    assert m.update(uniform(10), None, 0.0).luma == pytest.approx(10, abs=0.5)
    assert m.update(uniform(200), None, 0.1).luma == pytest.approx(10, abs=0.5)  # reused
    assert m.update(None, None, 0.3).luma == pytest.approx(10, abs=0.5)  # no picture: kept
    assert m.update(uniform(200), None, 0.35).luma == pytest.approx(200, abs=0.5)
    # Same inputs, same times: same answers (no clock is read).
    a = run(QualityMonitor(), [(t, uniform(10), None) for t in times(0, 2)])
    b = run(QualityMonitor(), [(t, uniform(10), None) for t in times(0, 2)])
    assert a == b


def test_time_going_backwards_starts_afresh():
    m = QualityMonitor()
    run(m, [(t, uniform(10), None) for t in times(0, 2)])
    assert not m.update(uniform(10), None, 2.0).ok
    assert m.update(uniform(10), None, 0.0).ok  # a new stream: persistence starts again


def test_intermittent_poses_in_a_dark_picture_are_not_trusted():
    """A skeleton found on one frame in five in the dark is the garbage case."""
    frames = [(t, noisy(18, 8, seed=i), pose(t) if i % 5 == 0 else None)
              for i, t in enumerate(times(0, 4))]
    states = run(QualityMonitor(), frames)
    assert all(not s.ok for s in states[20:])


# --------------------------------------------------------------------------- in the chain


class _Backend:
    """Replays poses instead of running the model."""

    def __init__(self, poses: list[FramePose | None]) -> None:
        self.poses = poses
        self.i = 0

    def process(self, image_rgb: np.ndarray, t: float) -> FramePose | None:
        p = self.poses[min(self.i, len(self.poses) - 1)]
        self.i += 1
        return p

    def close(self) -> None:
        pass


def test_chain_blanks_metrics_and_the_assessor_gives_one_framing_cue():
    """Dark and empty for 2 s, then a skeleton appears: distrusted until the picture clears."""
    ts = times(0, 6, fps=15)
    poses = [None if t < 2 else pose(t) for t in ts]
    chain = FrameAnalyzer(backend=_Backend(poses))
    assessor = Assessor(activity="sitting")
    records, fas = [], []
    for t in ts:
        r = chain.update(noisy(15, 12, seed=int(t * 15)), t)
        records.append(r)
        fas.append(assessor.update(FrameMetrics(r.t, r.detected, r.view, r.raw),
                                   quality=r.quality))
    res = assessor.finish()
    poor = [(r, a) for r, a in zip(records, fas, strict=True) if not r.quality.ok]
    assert poor and any(r.detected for r, _ in poor)  # the gate alone would have judged these
    for r, a in poor:
        assert np.isnan(r.raw).all()
        assert set(a.status.values()) == {"n/a"} and a.framing == DARK_CUE
    # Once the landmarks are trusted again the frames are judged, dark or not.
    assert records[-1].quality.ok and np.isfinite(records[-1].raw).any()
    framing = [e for e in res.events if e.category == "framing"]
    assert [e.cue for e in framing] == [DARK_CUE]
    assert {e.category for e in res.events} == {"framing"}
    assert DARK_CUE in [c["cue"] for c in res.summary["cues"]]


def test_a_photo_is_judged_on_its_only_frame():
    chain = FrameAnalyzer(backend=_Backend([None]), static_image=True)
    r = chain.update(uniform(8), 0.0)
    assert not r.quality.ok and r.quality.problem == "dark"


def test_replays_without_pictures_are_never_warned():
    chain = FrameAnalyzer(backend=_Backend([None]))
    assert all(chain.update_pose(None, t).quality.ok for t in times(0, 3))


# --------------------------------------------------------------------------- real footage

CLEAN_S = 2.0  # the mixed clip: this much original footage, then the degraded rest
DEGRADED_S = 3.0
FPS = 15


def _degraded_clip(src: Path, out: Path, seed: int = 0) -> tuple[Path, list[np.ndarray]]:
    """The first seconds of ``src`` at half size and 15 fps; darkened ×0.08 plus σ 25
    noise after ``CLEAN_S``. Returns the file and its frames (for the live path)."""
    rng = np.random.default_rng(seed)
    frames: list[np.ndarray] = []
    with open_media(src) as source:
        for f in source:
            if len(frames) >= (CLEAN_S + DEGRADED_S) * FPS:
                break
            if f.t + 1e-6 < len(frames) / FPS:
                continue  # keep one source frame per output frame
            small = cv2.resize(f.image, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
            small = small[: small.shape[0] // 2 * 2, : small.shape[1] // 2 * 2]  # even for H.264
            if len(frames) >= CLEAN_S * FPS:
                dark = small * 0.08 + rng.normal(0.0, 25.0, small.shape)
                small = np.clip(dark, 0, 255).astype(np.uint8)
            frames.append(small)
    return write_video(out, frames, fps=FPS), frames


@pytest.mark.slow
def test_darkened_noisy_clip_gets_a_framing_cue_and_no_verdicts(sample_videos, tmp_path):
    clip, images = _degraded_clip(
        sample_videos / "squat_side_barbell_back_squat_gym_vertical.mp4", tmp_path / "dim.mp4")
    analysis = analyze_video(clip, AnalysisOptions(activity="lifting"))
    frames = analysis.frames
    clean = [f for f in frames if f.t < CLEAN_S]
    degraded = [f for f in frames if f.t >= CLEAN_S]
    assert len(clean) >= 25 and len(degraded) >= 40

    # The original footage: judged, never warned.
    assert all(f.quality.ok for f in clean)
    assert sum(f.detected for f in clean) >= 0.9 * len(clean)
    assert any(s in {"ok", "caution", "poor"} for f in clean for s in f.assessment.status.values())

    # The degraded span: warned within the persistence, and no verdict at all.
    settle = CLEAN_S + CFG.enter_s + 0.5
    late = [f for f in degraded if f.t >= settle]
    assert all(not f.quality.ok and f.quality.problem == "dark" for f in late)
    for f in degraded:
        assert set(f.assessment.status.values()) <= {"n/a"}, f.t
        assert np.isnan(f.metrics.values).all() or f.quality.ok, f.t
    assert late[-1].assessment.framing == DARK_CUE
    events = analysis.session.events
    framing = [e for e in events if e.category == "framing"]
    assert any(e.cue == DARK_CUE and e.start_s <= settle and e.end_s >= late[-1].t - 0.1
               for e in framing), framing
    assert not [e for e in events if e.category != "framing" and e.end_s > CLEAN_S + 0.2]

    # report.json stays within the contract: framing is one of the schema's categories.
    report = json.loads(json.dumps(build_report(analysis), allow_nan=False))
    assert {e["category"] for e in report["events"]} <= CATEGORIES
    assert any(e["category"] == "framing" and e["cue"] == DARK_CUE for e in report["events"])
    assert all(v is None for fr in report["frames"] if fr["t"] >= settle
               for v in fr["angles"].values())

    # frames.csv says why.
    header, rows = csv_rows(analysis)
    col = header.index("picture")
    assert {row[col] for row, f in zip(rows, frames, strict=True) if f.t >= settle} == {"dark"}
    assert {row[col] for row, f in zip(rows, frames, strict=True) if f.t < CLEAN_S} == {"ok"}

    # The live coach, on the same pictures and the poses the model found in them
    # (replayed: the model's time is spent once), says the same.
    live = LiveSession(activity="lifting", backend=_Backend([f.pose for f in frames]))
    results = [live.process(img, f.t) for img, f in zip(images, frames, strict=True)]
    assert all(r.frame.quality.ok for r in results if r.frame.t < CLEAN_S)
    assert all(not r.frame.quality.ok for r in results if r.frame.t >= settle)
    assert DARK_CUE in {r.assessment.cue for r in results if r.assessment is not None}


@pytest.mark.shared
@pytest.mark.slow
@pytest.mark.parametrize("name", [
    "squat_front_bodyweight_woman_darkgym_long.mp4",  # mean luma ≈ 41 for its first 20 s
    "squat_front_barbell_back_squat_gym.mp4",  # ≈ 31
])
def test_dark_but_clean_gym_clip_keeps_its_verdicts(shared_videos, name):
    """Below the dark threshold, yet MediaPipe is confident: no warning (live chain)."""
    clip = shared_videos / "real" / name
    live = LiveSession(activity="auto")
    results = []
    try:
        with open_media(clip) as source:
            for f in source:
                if f.t > 20.0:  # the dark part; cut-aways to brighter shots follow
                    break
                if f.t + 1e-6 >= len(results) / 4.0:  # 4 frames a second is plenty
                    results.append(live.process(f.image, f.t))
    finally:
        live.close()
    frames = [r.frame for r in results]
    dark = [f for f in frames if f.quality.luma < CFG.dark_luma]
    assert len(dark) >= 0.5 * len(frames)  # it really is dark
    assert sum(f.detected for f in frames) >= 0.9 * len(frames)  # and the model sees her
    assert all(f.quality.ok for f in frames)
    judged = [f for f in frames if f.assessment is not None
              and set(f.assessment.status.values()) - {"n/a"}]
    assert len(judged) >= 0.8 * len(frames)
    session = live.finish()
    assert not any(e.cue in (CFG.dark_cue, CFG.noisy_cue) for e in session.events)


# --------------------------------------------------------------------------- a person too far

def far_pose(t: float, px_per_m: float) -> FramePose:
    return make_pose(t=t, yaw=0, px_per_m=px_per_m)


def test_person_size_is_the_share_of_the_picture_spanned():
    from posture.quality import person_size

    near, far = person_size(far_pose(0, 220)), person_size(far_pose(0, 40))
    assert 0.6 < near < 0.95 and 0.1 < far < 0.2
    assert math.isnan(person_size(None))
    assert math.isnan(person_size(make_pose(visibility=0.1)))


def test_a_person_too_far_away_is_not_judged_and_told_to_come_closer():
    m = QualityMonitor()
    states = run(m, [(t, scene(), far_pose(t, 40)) for t in times(0, 3)])
    first_bad = next(i for i, s in enumerate(states) if not s.ok)
    assert 0.95 <= first_bad / 10 <= 1.35  # persistence, as for a dark picture
    assert (states[-1].problem, states[-1].cue) == ("far", CFG.far_cue)
    # Between the enter (0.20) and clear (0.25) shares: still too far.
    held = run(m, [(t, scene(), far_pose(t, 62)) for t in times(3, 5)])
    assert 0.2 < held[-1].size < 0.25 and not any(s.ok for s in held)
    back = run(m, [(t, scene(), far_pose(t, 220)) for t in times(5, 8)])
    assert back[-1].ok and back[-1].problem is None


def test_the_chain_gives_no_verdict_on_a_far_person():
    analyzer = FrameAnalyzer(backend=_Backend([far_pose(t, 40) for t in times(0, 3)]))
    records = [analyzer.update(scene(), t) for t in times(0, 3)]
    last = records[-1]
    assert last.detected and not last.quality.ok and last.quality.problem == "far"
    assert np.isnan(last.raw).all()  # nothing measured, so nothing judged
