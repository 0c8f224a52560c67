"""The live coach's per-session engine: the offline chain with a causal filter.

One ``LiveSession`` per camera stream (MediaPipe tracks state per stream and is
not thread-safe). ``process`` is called from the video thread with the frame's
capture time; results go to the page through whatever queue the front end
owns. Smoothing is the One Euro filter: it never looks ahead, so a cue never
waits for future frames.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from posture.filters import OneEuroFilter
from posture.frame_analyzer import FrameAnalyzer, FrameRecord
from posture.metrics import FrameMetrics, finalize
from posture.pipeline import FrameResult
from posture.pose import PoseBackend
from posture.render import annotate_frame

if TYPE_CHECKING:
    from posture.assess import Assessor, FrameAssessment, SessionResult


@dataclass(frozen=True, eq=False)
class LiveResult:
    """One processed camera frame, ready for the page and the overlay."""

    frame: FrameResult
    record: FrameRecord
    analysed: bool = True  # False: a low-power skip; ``frame`` is the last analysed one

    @property
    def assessment(self) -> FrameAssessment | None:
        return self.frame.assessment


class LiveSession:
    """pose → gate → view → metrics → One Euro → rules, frame by frame, time passed in."""

    def __init__(
        self,
        activity: str = "auto",
        profile: str | Path | None = None,
        user_height_cm: float | None = None,
        model_complexity: int = 1,
        backend: PoseBackend | None = None,
        min_cutoff: float = 1.0,
        beta: float = 0.05,
        assessor_factory: Callable[..., Any] | None = None,
        sitting_rate_hz: float | None = None,
        **assessor_kwargs: Any,
    ) -> None:
        """``sitting_rate_hz``: the low-power setting. While the activity is sitting,
        analyse at most this many frames a second (sitting rules persist for seconds;
        lifting and standing always run at the camera's rate)."""
        self.analyzer = FrameAnalyzer(backend=backend, model_complexity=model_complexity)
        self.filter = OneEuroFilter(min_cutoff=min_cutoff, beta=beta)
        if assessor_factory is None:
            from posture.assess import Assessor

            assessor_factory = Assessor
        self.assessor: Assessor = assessor_factory(
            activity=activity, profile=profile, user_height_cm=user_height_cm, **assessor_kwargs
        )
        self.frames_processed = 0
        self.frames_skipped = 0
        self.sitting_rate_hz = sitting_rate_hz
        self._last: LiveResult | None = None

    def process(self, image_rgb: np.ndarray, t: float) -> LiveResult:
        """Analyse the frame captured at ``t`` — or, in low-power sitting, maybe reuse the last."""
        last = self._last
        if (
            last is not None
            and self.sitting_rate_hz
            and self.assessor.activity == "sitting"
            and 0.0 <= t - last.frame.t < 1.0 / self.sitting_rate_hz - 1e-6
        ):
            self.frames_skipped += 1
            return LiveResult(last.frame, last.record, analysed=False)
        record = self.analyzer.update(image_rgb, t)
        self._last = self._assess(record)
        return self._last

    def process_pose(self, record: FrameRecord) -> LiveResult:
        """Assess an already analysed frame (replays and tests)."""
        return self._assess(record)

    def _assess(self, record: FrameRecord) -> LiveResult:
        if record.detected:
            smoothed = finalize(self.filter.update(record.raw, record.t))
        else:
            self.filter.reset()  # a gap: never carry the last posture across it
            smoothed = record.raw
        metrics = FrameMetrics(record.t, record.detected, record.view, smoothed, record.framing)
        assessment = self.assessor.update(metrics, quality=record.quality)
        self.frames_processed += 1
        frame = FrameResult(
            record.index, record.t, record.detected, record.view, metrics, assessment, record.pose,
            record.quality,
        )
        return LiveResult(frame, record)

    @staticmethod
    def annotate(image_rgb: np.ndarray, result: LiveResult) -> np.ndarray:
        return annotate_frame(image_rgb, result.frame)

    def finish(self) -> SessionResult:
        return self.assessor.finish()

    def close(self) -> None:
        self.analyzer.close()
