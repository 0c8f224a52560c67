"""Named landmarks and the frozen per-frame pose record.

MediaPipe Pose numbers its 33 landmarks; logic must name them instead of
writing bare indices, so the enum below mirrors ``mp.solutions.pose.PoseLandmark``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


class PoseLandmark(IntEnum):
    """The 33 BlazePose landmarks, same numbering as MediaPipe."""

    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


NUM_LANDMARKS = len(PoseLandmark)
L = PoseLandmark


@dataclass(frozen=True)
class Side:
    """The landmarks of one body side, so metrics can be written once for both."""

    name: str  # "left" | "right"
    ear: PoseLandmark
    eye: PoseLandmark
    shoulder: PoseLandmark
    elbow: PoseLandmark
    wrist: PoseLandmark
    hip: PoseLandmark
    knee: PoseLandmark
    ankle: PoseLandmark
    heel: PoseLandmark
    foot_index: PoseLandmark


LEFT = Side(
    "left",
    L.LEFT_EAR,
    L.LEFT_EYE,
    L.LEFT_SHOULDER,
    L.LEFT_ELBOW,
    L.LEFT_WRIST,
    L.LEFT_HIP,
    L.LEFT_KNEE,
    L.LEFT_ANKLE,
    L.LEFT_HEEL,
    L.LEFT_FOOT_INDEX,
)
RIGHT = Side(
    "right",
    L.RIGHT_EAR,
    L.RIGHT_EYE,
    L.RIGHT_SHOULDER,
    L.RIGHT_ELBOW,
    L.RIGHT_WRIST,
    L.RIGHT_HIP,
    L.RIGHT_KNEE,
    L.RIGHT_ANKLE,
    L.RIGHT_HEEL,
    L.RIGHT_FOOT_INDEX,
)
SIDES = {"left": LEFT, "right": RIGHT}

# Skeleton edges for drawing, grouped by the body segment they belong to so the
# overlay can colour a segment by the rule that judges it.
SEGMENT_EDGES: dict[str, tuple[tuple[PoseLandmark, PoseLandmark], ...]] = {
    "head": (
        (L.LEFT_EAR, L.LEFT_EYE),
        (L.RIGHT_EAR, L.RIGHT_EYE),
        (L.LEFT_EYE, L.NOSE),
        (L.RIGHT_EYE, L.NOSE),
    ),
    "neck": ((L.LEFT_SHOULDER, L.LEFT_EAR), (L.RIGHT_SHOULDER, L.RIGHT_EAR)),
    "trunk": (
        (L.LEFT_SHOULDER, L.RIGHT_SHOULDER),
        (L.LEFT_HIP, L.RIGHT_HIP),
        (L.LEFT_SHOULDER, L.LEFT_HIP),
        (L.RIGHT_SHOULDER, L.RIGHT_HIP),
    ),
    "arms": (
        (L.LEFT_SHOULDER, L.LEFT_ELBOW),
        (L.LEFT_ELBOW, L.LEFT_WRIST),
        (L.RIGHT_SHOULDER, L.RIGHT_ELBOW),
        (L.RIGHT_ELBOW, L.RIGHT_WRIST),
    ),
    "thighs": ((L.LEFT_HIP, L.LEFT_KNEE), (L.RIGHT_HIP, L.RIGHT_KNEE)),
    "shins": ((L.LEFT_KNEE, L.LEFT_ANKLE), (L.RIGHT_KNEE, L.RIGHT_ANKLE)),
    "feet": (
        (L.LEFT_ANKLE, L.LEFT_HEEL),
        (L.LEFT_HEEL, L.LEFT_FOOT_INDEX),
        (L.LEFT_ANKLE, L.LEFT_FOOT_INDEX),
        (L.RIGHT_ANKLE, L.RIGHT_HEEL),
        (L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX),
        (L.RIGHT_ANKLE, L.RIGHT_FOOT_INDEX),
    ),
}


def _frozen(a: npt.ArrayLike, shape: tuple[int, ...]) -> FloatArray:
    arr = np.array(a, dtype=np.float64)
    if arr.shape != shape:
        raise ValueError(f"expected an array of shape {shape}, got {arr.shape}")
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class FramePose:
    """One frame's landmarks as the pose model returned them.

    ``image`` holds pixel coordinates (x right, y down) and MediaPipe's relative
    depth scaled like x, so angles are not distorted by the frame's aspect ratio.
    ``world`` is MediaPipe's metric, hip-centred estimate (``None`` if absent).
    """

    t: float
    width: int
    height: int
    image: FloatArray  # (33, 3) pixels
    visibility: FloatArray  # (33,) in [0, 1]
    world: FloatArray | None = None  # (33, 3) metres

    def __post_init__(self) -> None:
        object.__setattr__(self, "image", _frozen(self.image, (NUM_LANDMARKS, 3)))
        object.__setattr__(self, "visibility", _frozen(self.visibility, (NUM_LANDMARKS,)))
        if self.world is not None:
            object.__setattr__(self, "world", _frozen(self.world, (NUM_LANDMARKS, 3)))

    def xy(self, lm: PoseLandmark) -> FloatArray:
        return self.image[int(lm), :2]

    def vis(self, lm: PoseLandmark) -> float:
        return float(self.visibility[int(lm)])

    def normalized(self) -> FloatArray:
        """Image x, y in [0, 1] of the frame (for drawing at another size)."""
        return self.image[:, :2] / np.array([self.width, self.height], dtype=np.float64)
