"""The per-stream chain shared by offline analysis and the live coach.

pose → person gate → view → raw metrics. One ``FrameAnalyzer`` per stream:
MediaPipe tracks state per stream and is not thread-safe.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posture.landmarks import FramePose
from posture.metrics import FloatArray, MetricsConfig, compute_metrics, empty_values
from posture.person import GateConfig, GateResult, PersonGate
from posture.pose import MediaPipePose, PoseBackend
from posture.view import ViewConfig, ViewState, ViewTracker


@dataclass(frozen=True, eq=False)
class FrameRecord:
    """What the chain knows about one frame before smoothing and rules."""

    index: int
    t: float
    detected: bool
    gate: GateResult
    view: ViewState
    pose: FramePose | None  # kept even when the gate rejects it, for debugging overlays
    raw: FloatArray  # metric vector, NaN where not measurable


class FrameAnalyzer:
    """Stateful per-stream chain; ``update(image, t)`` returns a ``FrameRecord``."""

    def __init__(
        self,
        backend: PoseBackend | None = None,
        static_image: bool = False,
        model_complexity: int = 1,
        gate: GateConfig = GateConfig(),
        view: ViewConfig = ViewConfig(),
        metrics: MetricsConfig = MetricsConfig(),
    ) -> None:
        self.backend: PoseBackend = backend or MediaPipePose(
            model_complexity=model_complexity, static_image=static_image
        )
        self.gate = PersonGate(gate)
        if static_image:
            # A photo is one frame: no run of frames can confirm the person.
            self.gate = PersonGate(GateConfig(**{**gate.__dict__, "frames_to_confirm": 0}))
        self.view = ViewTracker(view)
        self.metrics_config = metrics
        self._index = 0

    def update(self, image_rgb: np.ndarray, t: float) -> FrameRecord:
        pose = self.backend.process(image_rgb, t)
        return self.update_pose(pose, t)

    def update_pose(self, pose: FramePose | None, t: float) -> FrameRecord:
        """Run the chain on an already estimated pose (tests, replays)."""
        gate = self.gate.update(pose, t)
        view = self.view.update(pose if gate.plausible else None, t)
        raw = compute_metrics(pose, view, self.metrics_config) if gate.detected else empty_values()
        if not gate.detected:
            view = ViewState("unknown", view.near_side, float("nan"), view.facing_away)
        record = FrameRecord(self._index, t, gate.detected, gate, view, pose, raw)
        self._index += 1
        return record

    def close(self) -> None:
        self.backend.close()
