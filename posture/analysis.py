"""The records of an offline analysis: what a user chose, and what came out per frame.

Their own module so that the stages that use them (the parallel workers, the
annotated video, the report) need not import the analysis itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from posture.landmarks import FramePose
from posture.metrics import FrameMetrics
from posture.quality import QUALITY_OK, QualityState
from posture.video import MediaInfo
from posture.view import ViewState

if TYPE_CHECKING:
    from posture.assess import FrameAssessment, SessionResult

ProgressFn = Callable[[int, int], None]  # (frames done, frames expected; 0 if unknown)


@dataclass(frozen=True)
class AnalysisOptions:
    """What a user may choose for an offline analysis."""

    activity: str = "auto"
    profile: str | Path | None = None
    user_height_cm: float | None = None
    model_complexity: int = 1
    analysis_fps: float | None = None  # None = every frame; e.g. 10 for sitting
    smoothing_hz: float = 6.0  # zero-lag Butterworth cut-off (criteria doc §7)
    assessor_kwargs: dict[str, Any] = field(default_factory=dict)
    # Worker processes for the per-frame chain (posture.parallel): 1 = this process
    # only, 0 = one per CPU core. Photos and clips under ~10 s always run in-process.
    workers: int = 1
    chunk_s: float | None = None  # parallel chunk length; None = one chunk per worker
    # Frames with a longer side are shrunk before the pose model. MediaPipe crops the
    # person to 256×256 anyway, so a 4K phone clip only costs ~3× the decode and
    # conversion time for the same landmarks. The report and the annotated video
    # keep the original size.
    max_side: int | None = 1280


@dataclass(frozen=True, eq=False)
class FrameResult:
    index: int
    t: float
    detected: bool
    view: ViewState
    metrics: FrameMetrics
    assessment: FrameAssessment | None
    pose: FramePose | None
    quality: QualityState = QUALITY_OK  # was the picture good enough to judge?


@dataclass(frozen=True, eq=False)
class Analysis:
    info: MediaInfo
    options: AnalysisOptions
    frames: tuple[FrameResult, ...]
    session: SessionResult | None
    warnings: tuple[str, ...] = ()

    @property
    def activity(self) -> str:
        if self.session is not None:
            return self.session.activity
        return self.options.activity

    @property
    def detected_fraction(self) -> float:
        if not self.frames:
            return 0.0
        return sum(f.detected for f in self.frames) / len(self.frames)
