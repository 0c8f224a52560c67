"""The parallel offline path (posture.parallel) against the sequential one.

MediaPipe's tracking may differ by a frame or two at chunk edges, so verdicts
are compared (reps, styles, faults, event categories) and per-frame values
within tolerances, while frame numbers and times must match exactly.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from media_factory import H264, noise_frames

import posture.parallel as parallel
from posture.metrics import SCHEMA_ANGLES
from posture.parallel import (
    FrameTable,
    iter_chunk_frames,
    plan_chunks,
    probe_frames,
    select_frames,
)
from posture.pipeline import Analysis, AnalysisOptions, analyze_video
from posture.video import open_media

REPO = Path(__file__).resolve().parents[1]
SQUAT = REPO / "sample_videos" / "squat_side_barbell_back_squat_gym_vertical.mp4"
SHORT = REPO / "sample_videos" / "squat_front_bodyweight_outdoor_vertical_short.mp4"
# Small chunks so a 20 s clip has several chunk edges (4 edges at 5 s).
PARALLEL = AnalysisOptions(workers=2, chunk_s=5.0)


def table_of(path: Path) -> FrameTable:
    with open_media(path) as source:
        stream_index = source._stream.index
    table = probe_frames(str(path), stream_index)
    assert table is not None
    return table


# --------------------------------------------------------------------------- no pose model


def _rotated_vfr_clip(path: Path) -> Path:
    """Phone-like: display-matrix rotation, variable frame rate, a keyframe every 12."""
    frames = noise_frames(60, 96, 64, seed=3)
    pts_ms = np.cumsum([0] + [33 + (i % 3) * 17 for i in range(59)]).tolist()
    with av.open(str(path), "w") as container:
        stream = container.add_stream(H264, rate=30)
        stream.pix_fmt = "yuv420p"
        stream.width, stream.height = 96, 64
        stream.codec_context.time_base = Fraction(1, 1000)
        stream.codec_context.gop_size = 12
        stream.set_display_rotation(90)
        for image, ms in zip(frames, pts_ms, strict=True):
            vf = av.VideoFrame.from_ndarray(image, format="rgb24")
            vf.pts, vf.time_base = int(ms), Fraction(1, 1000)
            container.mux(stream.encode(vf))
        container.mux(stream.encode())
    return path


@pytest.mark.parametrize("clip", ["squat", "rotated_vfr"])
def test_chunk_frames_are_the_sequential_frames(clip: str, tmp_path: Path) -> None:
    """Seeking into a chunk gives the very pictures, indices and times of a full pass."""
    path = SQUAT if clip == "squat" else _rotated_vfr_clip(tmp_path / "phone.mp4")
    with open_media(path) as source:
        reference = [(f.index, f.t, f.image.copy()) for f in source]
    table = table_of(path)
    assert len(table) == len(reference)
    n = len(reference)
    for start, stop in [(0, 5), (1, 4), (n // 3, n // 3 + 7), (n - 9, n), (n // 2, n // 2 + 1)]:
        got = list(iter_chunk_frames(str(path), table, start, stop))
        assert [f.index for f in got] == list(range(start, stop))
        for f in got:
            _index, t, image = reference[f.index]
            assert f.t == t  # bit-identical, not approximately
            assert f.image.shape == image.shape and np.array_equal(f.image, image)


def test_frame_selection_is_the_sequential_rule() -> None:
    times = [i / 30 for i in range(90)]
    assert select_frames(times, None) == list(range(90))
    chosen = select_frames(times, 10.0)
    assert chosen == list(range(0, 90, 3))
    # variable frame rate: never two chosen frames closer than the step (minus 1 µs)
    vfr = list(np.cumsum([0.0] + [0.021, 0.05, 0.034] * 40))
    picked = [vfr[i] for i in select_frames(vfr, 10.0)]
    assert all(b - a >= 0.1 - 1e-6 for a, b in itertools.pairwise(picked))


def test_chunks_cover_every_frame_once_with_warmup() -> None:
    times = [i / 30 for i in range(3000)]
    selected = select_frames(times, None)
    chunks = plan_chunks(times, selected, 7, warmup_s=1.0)
    assert chunks[0].first == 0 and chunks[0].warm == 0
    assert chunks[-1].stop == len(times)
    for a, b in itertools.pairwise(chunks):
        assert a.stop == b.first
        assert b.warm < b.first and times[b.first] - times[b.warm] == pytest.approx(1.0, abs=0.04)
    sizes = [c.stop - c.first for c in chunks]
    assert max(sizes) - min(sizes) <= 1


def test_short_clips_photos_and_one_worker_stay_in_process(monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Path) -> None:
    """No worker processes where they cannot pay off; workers=1 never imports them."""
    def no_workers(*args: object, **kwargs: object) -> None:
        raise AssertionError("worker processes were started")

    monkeypatch.setattr(parallel, "shared_pool", no_workers)
    assert parallel.parallel_records(SHORT, PARALLEL) is None  # 4 s clip
    still = next((REPO / "sample_videos" / "stills").iterdir())
    assert parallel.parallel_records(still, PARALLEL) is None
    assert parallel.parallel_records(SQUAT, AnalysisOptions(workers=1)) is None
    monkeypatch.setattr(parallel, "parallel_records", no_workers)
    assert AnalysisOptions().workers == 1  # the library default stays sequential
    one = analyze_video(SHORT, AnalysisOptions(workers=1))
    assert [f.index for f in one.frames] == list(range(one.info.frames))


@dataclass(frozen=True)
class _Task:
    number: int


def _failing_job(task: _Task, send: object) -> None:
    raise ValueError(f"chunk {task.number} is broken")


def _echo_job(task: _Task, send: Callable[[tuple[object, ...]], None]) -> None:
    send(("done", task.number, os.getpid()))


def test_worker_pool_is_reused_and_reports_worker_errors() -> None:
    """Workers outlive a job (the video is drawn by the processes that analysed it)."""
    parallel.shutdown()
    pool = parallel.shared_pool(2)
    try:
        seen: list[tuple[object, ...]] = []
        assert pool.run(_echo_job, [_Task(0), _Task(1), _Task(2)], seen.append, "test")
        assert sorted(m[1] for m in seen) == [0, 1, 2]
        assert parallel.shared_pool(2) is pool  # reused, not restarted
        with pytest.raises(RuntimeError, match="chunk 1 is broken"):
            pool.run(_failing_job, [_Task(1)], seen.append, "test")
        assert pool.closed  # a failed job never leaves queued work behind
        assert parallel.shared_pool(2) is not pool
    finally:
        parallel.shutdown()


def test_a_busy_pool_sends_the_second_caller_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two app tabs analysing at once: the second never shares the first one's workers."""
    def no_workers(*args: object, **kwargs: object) -> None:
        raise AssertionError("a busy pool was used")

    monkeypatch.setattr(parallel, "shared_pool", no_workers)
    with parallel._pool_lock:  # another analysis holds the pool
        assert parallel.parallel_records(SQUAT, PARALLEL) is None
    assert not parallel._pool_lock.locked()


# --------------------------------------------------------------------------- with the model


@pytest.fixture(scope="module")
def runs() -> Iterator[dict[str, Analysis]]:
    progress: list[tuple[int, int]] = []
    out = {
        "sequential": analyze_video(SQUAT, AnalysisOptions()),
        "parallel": analyze_video(SQUAT, PARALLEL, progress=lambda d, t: progress.append((d, t))),
    }
    out["progress"] = progress  # type: ignore[assignment]
    yield out


@pytest.mark.slow
def test_parallel_frames_keep_order_and_times(runs: dict[str, Analysis]) -> None:
    seq, par = runs["sequential"], runs["parallel"]
    assert [(f.index, f.t) for f in par.frames] == [(f.index, f.t) for f in seq.frames]
    assert par.info == seq.info and par.warnings == seq.warnings


@pytest.mark.slow
def test_parallel_verdicts_match_sequential(runs: dict[str, Analysis]) -> None:
    seq, par = runs["sequential"], runs["parallel"]
    assert seq.session is not None and par.session is not None
    detected = np.mean([a.detected == b.detected for a, b in zip(seq.frames, par.frames,
                                                                 strict=True)])
    assert detected >= 0.98
    assert len(par.session.reps) == len(seq.session.reps) >= 1
    assert [r.style for r in par.session.reps] == [r.style for r in seq.session.reps]
    assert [[dict(f) for f in r.faults] for r in par.session.reps] == [
        [dict(f) for f in r.faults] for r in seq.session.reps]
    assert {(e.rule, e.category) for e in par.session.events} == {
        (e.rule, e.category) for e in seq.session.events}
    assert par.activity == seq.activity


@pytest.mark.slow
def test_parallel_angles_match_sequential(runs: dict[str, Analysis]) -> None:
    seq, par = runs["sequential"], runs["parallel"]
    for name in SCHEMA_ANGLES:
        a = np.array([f.metrics.get(name) for f in seq.frames])
        b = np.array([f.metrics.get(name) for f in par.frames])
        both = ~np.isnan(a) & ~np.isnan(b)
        agree = (np.isnan(a) & np.isnan(b)) | (both & (np.abs(a - b) <= 2.0))
        assert agree.mean() >= 0.95, name


@pytest.mark.slow
def test_parallel_progress_adds_up(runs: dict[str, Analysis]) -> None:
    progress: list[tuple[int, int]] = runs["progress"]  # type: ignore[assignment]
    done = [d for d, _ in progress]
    total = runs["sequential"].info.frames
    assert done == sorted(done) and done[-1] == total
    assert all(t == total for _, t in progress)


@pytest.mark.slow
def test_parallel_reduced_rate_keeps_original_timestamps() -> None:
    par = analyze_video(SQUAT, AnalysisOptions(workers=2, chunk_s=5.0, analysis_fps=10.0))
    with open_media(SQUAT) as source:
        times = [f.t for f in source]
    chosen = select_frames(times, 10.0)
    assert [f.index for f in par.frames] == chosen
    assert [f.t for f in par.frames] == [times[i] for i in chosen]
    gaps = np.diff([f.t for f in par.frames])
    assert np.all(np.abs(gaps - 0.1) < 0.034)  # a 29.97 fps clip: 3 frames apart
    assert par.detected_fraction > 0.9 and par.session is not None


@pytest.mark.slow
def test_parallel_annotated_video_matches_sequential(runs: dict[str, Analysis],
                                                     tmp_path: Path) -> None:
    """Chunks drawn in workers and joined without re-encoding: same frames, same times."""
    from posture.parallel import render_video_parallel
    from posture.render import annotate_frame, render_video

    analysis = runs["parallel"]
    seq = render_video(analysis, tmp_path / "seq.mp4")
    done: list[int] = []
    par = render_video_parallel(analysis, tmp_path / "par.mp4", annotate_frame,
                                lambda d, t: done.append(d), workers=3)
    assert par == tmp_path / "par.mp4" and done[-1] == analysis.info.frames
    assert not list(tmp_path.glob(".posture-render-*")) and not list(tmp_path.glob("*.part.*"))
    with open_media(seq) as a, open_media(par) as b:
        assert (a.info.width, a.info.height, a.info.fps) == (b.info.width, b.info.height,
                                                             b.info.fps)
        pairs = list(zip(a, b, strict=True))
    assert len(pairs) == analysis.info.frames
    for fa, fb in pairs:
        assert fa.index == fb.index and fa.t == pytest.approx(fb.t, abs=1e-6)
        diff = fa.image.astype(np.float64) - fb.image.astype(np.float64)
        psnr = 10 * np.log10(255.0**2 / max(float(np.mean(diff * diff)), 1e-9))
        assert psnr > 30.0  # the same drawing; only the encoder's choices differ
