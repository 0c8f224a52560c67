"""The per-stream chain shared by offline analysis and the live coach.

pose → picture quality → person gate → view → raw metrics. One ``FrameAnalyzer``
per stream: MediaPipe tracks state per stream and is not thread-safe.

A frame whose picture is too poor to trust (``posture.quality``) keeps its
pose, gate and view but gets an all-NaN metric row: every later stage
(smoothing, rules, reps, calibration, frames.csv) already reads NaN as "not
measurable", so no verdict is ever given on it, offline or live, and the
assessor turns ``FrameRecord.quality`` into a framing cue.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from posture.framing import REGIONS, Framing
from posture.framing import check as check_framing
from posture.landmarks import FramePose
from posture.metrics import FloatArray, MetricsConfig, compute_metrics, empty_values
from posture.person import GateConfig, GateResult, PersonGate, upside_down
from posture.pose import MediaPipePose, PoseBackend
from posture.quality import QualityConfig, QualityMonitor, QualityState
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
    raw: FloatArray  # metric vector, NaN where not measurable (all NaN on a poor picture)
    quality: QualityState  # is the picture good enough to judge?
    framing: Framing | None = None  # body regions cut off or hidden (detected frames only)


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
        quality: QualityConfig = QualityConfig(),
    ) -> None:
        self.backend: PoseBackend = backend or MediaPipePose(
            model_complexity=model_complexity, static_image=static_image
        )
        self.gate = PersonGate(gate)
        if static_image:
            # A photo is one frame: no run of frames can confirm the person.
            self.gate = PersonGate(GateConfig(**{**gate.__dict__, "frames_to_confirm": 0}))
            quality = replace(quality, enter_s=0.0)  # nor can a poor picture persist
        self.quality = QualityMonitor(quality)
        self.view = ViewTracker(view)
        self.metrics_config = metrics
        self._index = 0

    def update(self, image_rgb: np.ndarray, t: float) -> FrameRecord:
        pose = self.backend.process(image_rgb, t)
        return self.update_pose(pose, t, image_rgb)

    def update_pose(self, pose: FramePose | None, t: float,
                    image_rgb: np.ndarray | None = None) -> FrameRecord:
        """Run the chain on an already estimated pose (tests, replays).

        Without ``image_rgb`` the picture is not checked (the last sample, if any, stands).
        """
        quality = self.quality.update(image_rgb, pose, t)
        gate = self.gate.update(pose, t)
        view = self.view.update(pose if gate.plausible else None, t)
        # A skeleton fitted upside down (a cross-fade, a close-up of the legs) is the person
        # still, but none of its parts can be read: no angles, and the body counts as hidden
        # so a rep through it is not judged.
        unreadable = gate.detected and pose is not None and upside_down(pose)
        if gate.detected and quality.ok and not unreadable:
            raw = compute_metrics(pose, view, self.metrics_config)
        else:
            raw = empty_values()
        if not gate.detected:
            view = ViewState("unknown", view.near_side, float("nan"), view.facing_away)
        cut = check_framing(pose) if gate.detected and pose is not None else None
        if unreadable:
            cut = Framing(hidden=frozenset(REGIONS))
        record = FrameRecord(self._index, t, gate.detected, gate, view, pose, raw, quality, cut)
        self._index += 1
        return record

    def close(self) -> None:
        self.backend.close()
