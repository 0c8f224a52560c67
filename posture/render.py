"""Overlay drawing and the annotated video.

The skeleton is coloured per body segment by the worst status of the rules
that judge it (green / amber / red; grey where no rule applies or nobody is
detected), with the schema angles written beside their joints.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Mapping
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from posture.landmarks import SEGMENT_EDGES, SIDES, FramePose
from posture.pipeline import Analysis, FrameResult
from posture.video import open_media

# RGB colours; amber and red chosen to stay distinct for red–green colour blindness.
COLOURS: Mapping[str, tuple[int, int, int]] = {
    "ok": (34, 197, 94),
    "caution": (245, 158, 11),
    "poor": (220, 38, 38),
    "n/a": (160, 160, 160),
}
TEXT_BG = (15, 23, 42)


def _scale(image: np.ndarray) -> float:
    return max(image.shape[0], image.shape[1]) / 720.0


_ASCII = str.maketrans(
    {
        "\u2014": "-",
        "\u2013": "-",
        "\u2019": "'",
        "\u2018": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u00b0": " deg",
        "\u2026": "...",
    }
)


def ascii_text(text: str) -> str:
    """OpenCV's Hershey fonts draw only ASCII: map typographic marks, drop the rest."""
    text = text.translate(_ASCII)
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def draw_label(
    image: np.ndarray, text: str, org: tuple[int, int], colour: tuple[int, int, int], scale: float
) -> None:
    text = ascii_text(text)
    font = cv2.FONT_HERSHEY_SIMPLEX
    fs = 0.5 * scale
    th = max(1, round(1.2 * scale))
    (w, h), base = cv2.getTextSize(text, font, fs, th)
    x, y = org
    x = int(min(max(x, 0), image.shape[1] - w - 4))
    y = int(min(max(y, h + 4), image.shape[0] - base - 2))
    cv2.rectangle(image, (x - 3, y - h - 4), (x + w + 3, y + base + 2), TEXT_BG, -1)
    cv2.putText(image, text, (x, y), font, fs, colour, th, cv2.LINE_AA)


def draw_pose(
    image: np.ndarray,
    pose: FramePose,
    segment_status: Mapping[str, str],
    angles: Mapping[str, float] | None = None,
    near_side: str = "left",
    min_visibility: float = 0.5,
) -> np.ndarray:
    """Draw the skeleton and angle labels onto ``image`` (RGB, modified in place)."""
    s = _scale(image)
    sx = image.shape[1] / pose.width
    sy = image.shape[0] / pose.height
    pts = pose.image[:, :2] * np.array([sx, sy])
    vis = pose.visibility >= min_visibility
    thick = max(2, round(3 * s))
    for segment, edges in SEGMENT_EDGES.items():
        colour = COLOURS.get(segment_status.get(segment, "n/a"), COLOURS["n/a"])
        for a, b in edges:
            if vis[a] and vis[b]:
                pa = tuple(int(v) for v in pts[a])
                pb = tuple(int(v) for v in pts[b])
                cv2.line(image, pa, pb, colour, thick, cv2.LINE_AA)
    for i in np.flatnonzero(vis):
        cv2.circle(
            image,
            (int(pts[i, 0]), int(pts[i, 1])),
            max(2, int(3 * s)),
            (255, 255, 255),
            -1,
            cv2.LINE_AA,
        )
    if angles:
        side = SIDES[near_side]
        hip, shoulder, knee = pts[side.hip], pts[side.shoulder], pts[side.knee]
        # Labels beside their joints; the trunk's beside the middle of the trunk.
        anchors = {
            "neck_inclination_deg": ("neck", shoulder, (14, -14), vis[side.shoulder]),
            "trunk_inclination_deg": (
                "trunk",
                (hip + shoulder) / 2,
                (14, 0),
                vis[side.hip] and vis[side.shoulder],
            ),
            "hip_angle_deg": ("hip", hip, (14, 18), vis[side.hip]),
            "knee_angle_deg": ("knee", knee, (14, 6), vis[side.knee]),
        }
        for name, (label, anchor, (dx, dy), visible) in anchors.items():
            v = angles.get(name)
            if v is None or not math.isfinite(v) or not visible:
                continue
            org = (int(anchor[0] + dx * s), int(anchor[1] + dy * s))
            draw_label(image, f"{label} {v:.0f} deg", org, (255, 255, 255), s)
    return image


def annotate_frame(image: np.ndarray, result: FrameResult) -> np.ndarray:
    """The annotated look of one analysed frame (used for the video and thumbnails)."""
    out = image.copy()
    a = result.assessment
    s = _scale(out)
    if result.pose is not None and result.detected:
        seg = dict(a.segment_status) if a is not None else {}
        angles = {
            n: result.metrics.get(n)
            for n in (
                "trunk_inclination_deg",
                "neck_inclination_deg",
                "hip_angle_deg",
                "knee_angle_deg",
            )
        }
        draw_pose(out, result.pose, seg, angles, result.view.near_side)
    header = f"{result.t:6.1f}s  {result.view.view}"
    if not result.detected:
        header += "  no person"
    if a is not None and a.rep_count:
        header += f"  reps {a.rep_count}"
    draw_label(out, header, (8, int(24 * s)), (255, 255, 255), s)
    if a is not None and a.cue:
        colour = COLOURS.get(a.worst, (255, 255, 255))
        draw_label(out, a.cue, (8, out.shape[0] - int(14 * s)), colour, s * 1.2)
    return out


def render_video(
    analysis: Analysis, out_path: Path, progress: Callable[[int, int], None] | None = None,
    *, workers: int = 1,
) -> Path:
    """Re-decode the source and write an H.264 mp4 with the overlay on every frame.

    ``workers`` ≠ 1 draws and encodes chunks on several cores
    (``posture.parallel.render_video_parallel``, 0 = every core) where the clip
    allows it, with the same result; otherwise one pass here.
    """
    if workers != 1:
        from posture.parallel import render_video_parallel

        done = render_video_parallel(analysis, out_path, progress, workers=workers)
        if done is not None:
            return done
    by_index = {f.index: f for f in analysis.frames}
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(out_path.stem + ".part.mp4")
    fps = analysis.info.fps if analysis.info.fps and analysis.info.fps > 0 else 30.0
    rate = Fraction(fps).limit_denominator(1001)
    last: FrameResult | None = None
    with open_media(analysis.info.path) as source, av.open(str(tmp), "w") as container:
        w = source.info.width - source.info.width % 2
        h = source.info.height - source.info.height % 2
        stream = container.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.options = {"crf": "23", "preset": "veryfast"}
        n_frames = 1 if source.info.kind == "image" else max(source.info.frames, 1)
        for frame in source:
            result = by_index.get(frame.index, last)  # frames skipped by a reduced rate
            last = result
            image = frame.image[:h, :w]
            if result is not None:
                image = annotate_frame(image, result)
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
            for packet in stream.encode(vf):
                container.mux(packet)
            if progress is not None:
                progress(frame.index + 1, n_frames)
        for packet in stream.encode():
            container.mux(packet)
    tmp.replace(out_path)
    return out_path


def render_image(analysis: Analysis, out_path: Path) -> Path:
    """The annotated photo (a photo's analysis has exactly one frame)."""
    with open_media(analysis.info.path) as source:
        frame = next(iter(source))
    image = annotate_frame(frame.image, analysis.frames[0]) if analysis.frames else frame.image
    out_path.parent.mkdir(parents=True, exist_ok=True)
    # encode in memory: cv2.imwrite crashes the process on folder names that are
    # not valid UTF-8, and fails silently where Python would raise a clear OSError
    ok, png = cv2.imencode(out_path.suffix or ".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    if not ok:
        raise OSError(f"could not encode {out_path.name}")
    out_path.write_bytes(png.tobytes())
    return out_path
