"""Offline analysis: a recording (or photo) in, per-frame results and a session out.

The chain is the live coach's chain (``FrameAnalyzer`` then the ``Assessor``);
the only offline difference is the smoothing, which may look ahead in time
(zero-lag Butterworth) because the whole clip is known.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from posture.analysis import Analysis, AnalysisOptions, FrameResult, ProgressFn
from posture.filters import zero_lag_smooth
from posture.frame_analyzer import FrameAnalyzer, FrameRecord
from posture.metrics import FloatArray, FrameMetrics, finalize
from posture.video import MediaInfo, open_media

if TYPE_CHECKING:
    from posture.assess import Assessor
    from posture.parallel import ChunkedRecords

__all__ = ["Analysis", "AnalysisOptions", "FrameResult", "ProgressFn", "analyze_video",
           "smooth_records"]


def _default_assessor(options: AnalysisOptions) -> Assessor:
    from posture.assess import Assessor

    return Assessor(
        activity=options.activity,
        profile=options.profile,
        user_height_cm=options.user_height_cm,
        **options.assessor_kwargs,
    )


def smooth_records(records: list[FrameRecord], fps: float, cutoff_hz: float) -> FloatArray:
    """Zero-lag smoothing of every metric over each run of detected frames."""
    if not records:
        return np.empty((0, 0))
    raw = np.vstack([r.raw for r in records])
    return finalize(zero_lag_smooth(raw, fps, cutoff_hz))


def analyze_video(
    path: str | Path,
    options: AnalysisOptions = AnalysisOptions(),
    *,
    progress: ProgressFn | None = None,
    assessor_factory: Callable[[AnalysisOptions], Any] | None = None,
    analyzer_factory: Callable[[MediaInfo, AnalysisOptions], FrameAnalyzer] | None = None,
    precomputed: ChunkedRecords | None = None,
) -> Analysis:
    """Analyse a recording or photo. Raises a ``MediaError`` for unreadable input.

    With ``options.workers != 1`` the per-frame chain runs in worker processes
    (``posture.parallel``); smoothing and rules below run here either way, so
    the verdicts come from the same code. ``analyzer_factory`` lets a caller
    supply the in-process ``FrameAnalyzer`` (``posture.batch`` reuses one pose
    estimator per worker process across clips). ``precomputed`` holds per-frame
    records already computed elsewhere (``posture.batch`` runs the chunks of a
    long clip as separate tasks); only smoothing and the rules run here then.
    """
    records: list[FrameRecord] = []
    chunked = precomputed
    if chunked is None and options.workers != 1:
        from posture.parallel import parallel_records

        chunked = parallel_records(path, options, progress=progress, max_side=options.max_side)
    if chunked is not None:
        info, records, warnings = chunked.info, chunked.records, chunked.warnings
    else:
        with open_media(path, options.max_side) as source:
            info = source.info
            if analyzer_factory is not None:
                analyzer = analyzer_factory(info, options)
            else:
                analyzer = FrameAnalyzer(
                    static_image=info.kind == "image", model_complexity=options.model_complexity
                )
            try:
                step = 1.0 / options.analysis_fps if options.analysis_fps else 0.0
                next_t = -np.inf
                for frame in source:
                    if frame.t + 1e-6 < next_t:
                        continue
                    next_t = frame.t + step
                    record = analyzer.update(frame.image, frame.t)
                    # The index of the file, not the analyzer's own count (frames may be skipped).
                    records.append(replace(record, index=frame.index))
                    if progress is not None:
                        progress(frame.index + 1, info.frames)
            finally:
                analyzer.close()
            warnings = tuple(getattr(source, "warnings", ()))
    rate = options.analysis_fps or info.fps or 30.0
    smoothed = smooth_records(records, min(rate, info.fps or rate), options.smoothing_hz)
    judged_as = options
    if info.kind == "image":  # one photo = one moment: judged as it is (Assessor still)
        judged_as = replace(options, assessor_kwargs={**options.assessor_kwargs, "still": True})
    assessor = (assessor_factory or _default_assessor)(judged_as)
    frames: list[FrameResult] = []
    for i, r in enumerate(records):
        metrics = FrameMetrics(r.t, r.detected, r.view, smoothed[i], r.framing)
        assessment = assessor.update(metrics, quality=r.quality)
        frames.append(FrameResult(r.index, r.t, r.detected, r.view, metrics, assessment, r.pose,
                                  r.quality))
    session = assessor.finish()
    if options.max_side is not None and max(info.width, info.height) >= options.max_side:
        # Analysed smaller: the report and the annotated video describe the file itself.
        with open_media(path) as full:
            info = full.info
    return Analysis(info, options, tuple(frames), session, warnings)
