"""Pose stage: one MediaPipe Pose estimator per stream behind a small interface.

The legacy ``mp.solutions.pose`` solution is used on purpose: mediapipe 0.10.21
bundles its full (complexity 1) model in the wheel, so nothing is downloaded at
run time. The Tasks API and newer releases fetch models and fail offline.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

import numpy as np

from posture.landmarks import NUM_LANDMARKS, FramePose

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"

# MediaPipe 0.10.21 logs its start-up through absl and TFLite's own logger, which these
# variables do not reach (measured: the same lines with and without them); the app's
# server filters those lines instead (posture_app.main.quiet_native_logs). Kept for
# other TensorFlow builds that do read them.
os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


#: The step the legacy ``SolutionBase.process`` adds to its frame stamp (µs, "30 fps").
_MEDIAPIPE_STEP_US = 33333


class PoseBackend(Protocol):
    """Anything that turns an RGB image into a FramePose (or None)."""

    def process(self, image_rgb: np.ndarray, t: float) -> FramePose | None: ...

    def close(self) -> None: ...


class MediaPipePose:
    """MediaPipe legacy Pose. ``static_image`` for photos, video mode otherwise.

    In video mode MediaPipe tracks the person between frames, which needs
    strictly increasing timestamps; the class enforces that so a repeated or
    out-of-order frame cannot corrupt tracking.
    """

    def __init__(
        self,
        model_complexity: int = 1,
        static_image: bool = False,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
    ) -> None:
        import mediapipe as mp  # heavy import, deferred until a pose is needed

        self._pose = mp.solutions.pose.Pose(
            static_image_mode=static_image,
            model_complexity=model_complexity,
            smooth_landmarks=True,
            enable_segmentation=False,
            min_detection_confidence=min_detection_confidence,
            min_tracking_confidence=min_tracking_confidence,
        )
        self.static_image = static_image
        self.model_complexity = model_complexity
        self._last_t = -np.inf
        self._last_us = -1

    def process(self, image_rgb: np.ndarray, t: float) -> FramePose | None:
        if not self.static_image and t <= self._last_t:
            # MediaPipe's graph rejects non-increasing timestamps: skip duplicates.
            return None
        self._last_t = t
        if not self.static_image:
            self._stamp(t)
        image = np.ascontiguousarray(image_rgb)
        image.flags.writeable = False
        result = self._pose.process(image)
        if result.pose_landmarks is None:
            return None
        h, w = image.shape[:2]
        lms = result.pose_landmarks.landmark
        arr = np.empty((NUM_LANDMARKS, 4), dtype=np.float64)
        for i, lm in enumerate(lms):
            arr[i] = (lm.x * w, lm.y * h, lm.z * w, lm.visibility)
        world = None
        if result.pose_world_landmarks is not None:
            world = np.array(
                [(lm.x, lm.y, lm.z) for lm in result.pose_world_landmarks.landmark],
                dtype=np.float64,
            )
        return FramePose(
            t=t, width=w, height=h, image=arr[:, :3], visibility=arr[:, 3], world=world
        )

    def _stamp(self, t: float) -> None:
        """Give MediaPipe the frame's own time.

        The legacy API stamps every frame 33 ms after the last, whatever the real rate,
        and its landmark smoothing (One Euro filters, which read the time between
        frames) then lags fast movement filmed at other rates: on our 15 fps renders the
        angles trailed the truth by 1–2 frames (benchmarks/accuracy.py). ``process``
        adds its 33 ms to the stamp it keeps, so the stamp is set one step back.
        """
        us = max(round(t * 1e6), self._last_us + 1)
        self._last_us = us
        if hasattr(self._pose, "_simulated_timestamp"):  # mediapipe 0.10.21's SolutionBase
            self._pose._simulated_timestamp = us - _MEDIAPIPE_STEP_US

    def reset(self) -> None:
        """A fresh run of the graph: no tracking state, times may start again."""
        self._pose.reset()
        self._last_t = -np.inf
        self._last_us = -1

    def close(self) -> None:
        self._pose.close()

    def __enter__(self) -> MediaPipePose:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def available_models() -> dict[str, int]:
    """Model choices: the bundled full model, plus lite/heavy if dropped into models/."""
    choices = {"full (bundled)": 1}
    if (MODELS_DIR / "pose_landmark_lite.tflite").exists():
        choices["lite"] = 0
    if (MODELS_DIR / "pose_landmark_heavy.tflite").exists():
        choices["heavy"] = 2
    return choices
