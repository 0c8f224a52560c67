"""Run the pose chain over a clip once per test session (MediaPipe is the slow part)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from posture.frame_analyzer import FrameAnalyzer, FrameRecord
from posture.metrics import METRIC_INDEX, FloatArray
from posture.pipeline import smooth_records
from posture.video import open_media


@dataclass(frozen=True, eq=False)
class ClipRun:
    records: tuple[FrameRecord, ...]
    smoothed: FloatArray
    fps: float

    def series(self, name: str) -> FloatArray:
        return self.smoothed[:, METRIC_INDEX[name]] if len(self.smoothed) else np.empty(0)

    @property
    def raw_detected(self) -> int:
        return sum(r.pose is not None for r in self.records)

    @property
    def detected(self) -> int:
        return sum(r.detected for r in self.records)


@lru_cache(maxsize=64)
def run_clip(path: Path) -> ClipRun:
    records = []
    with open_media(path) as source:
        analyzer = FrameAnalyzer(static_image=source.info.kind == "image")
        try:
            records = [analyzer.update(f.image, f.t) for f in source]
        finally:
            analyzer.close()
        fps = source.info.fps or 30.0
    return ClipRun(tuple(records), smooth_records(records, fps, 6.0), fps)


def ground_truth(mp4: Path) -> dict:
    return json.loads(mp4.with_suffix(".json").read_text())
