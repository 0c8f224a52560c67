"""Overlay drawing and the annotated video.

The skeleton is coloured per body segment by the worst status of the rules
that judge it (green / amber / red; grey where no rule applies or nobody is
detected), with the angles the activity's rules judge written beside their
joints. Every word drawn comes from one :class:`OverlayText`, built by
:func:`overlay_text` from the frame's assessment (or handed in by the live coach,
whose side panel shows the same record), so the overlay and the page never
disagree.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from posture.analysis import Analysis, FrameResult
from posture.landmarks import SEGMENT_EDGES, SIDES, FramePose
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
    """One line of text on a dark box. A degree sign is drawn as a small ring (the
    Hershey fonts have none), never spelt "deg"."""
    parts = [ascii_text(p) for p in text.split("\u00b0")]
    font = cv2.FONT_HERSHEY_SIMPLEX
    fs = 0.5 * scale
    th = max(1, round(1.2 * scale))
    (_, h), base = cv2.getTextSize("Ag", font, fs, th)
    ring = max(2, round(0.16 * h))  # radius of the degree ring
    ring_w = 2 * ring + max(2, round(0.12 * h))
    widths = [cv2.getTextSize(p, font, fs, th)[0][0] if p else 0 for p in parts]
    w = sum(widths) + ring_w * (len(parts) - 1)
    x, y = org
    x = int(min(max(x, 0), image.shape[1] - w - 4))
    y = int(min(max(y, h + 4), image.shape[0] - base - 2))
    cv2.rectangle(image, (x - 3, y - h - 4), (x + w + 3, y + base + 2), TEXT_BG, -1)
    for i, (part, pw) in enumerate(zip(parts, widths, strict=True)):
        if part:
            cv2.putText(image, part, (x, y), font, fs, colour, th, cv2.LINE_AA)
        x += pw
        if i < len(parts) - 1:
            cv2.circle(image, (x + ring + 1, y - h + ring), ring, colour, max(1, th - 1),
                       cv2.LINE_AA)
            x += ring_w


# --------------------------------------------------------------------------- what is drawn
# Words for the camera view on the overlay (never a code such as "side_right").
VIEW_WORDS: Mapping[str, str] = {
    "side_left": "side view", "side_right": "side view", "front": "front view",
    "oblique": "camera at an angle", "unknown": "",
}
# The angles written beside the joints, per activity: the metrics the activity's rules
# (and the rep counter) judge, so the numbers on the video are the numbers in the panel.
OVERLAY_METRICS: Mapping[str, tuple[tuple[str, str], ...]] = {
    "sitting": (("neck", "neck_inclination_deg"), ("trunk", "trunk_lean_deg")),
    "standing": (("neck", "neck_inclination_deg"), ("trunk", "trunk_lean_deg"),
                 ("knee", "knee_hyperextension_deg")),
    "lifting": (("trunk", "trunk_inclination_deg"), ("hip", "hip_angle_deg"),
                ("knee", "knee_angle_deg")),
}
# The word written before each joint's angle: the body part the live panel names too.
JOINT_WORDS: Mapping[str, str] = {"neck": "head", "trunk": "back", "hip": "hip", "knee": "knee"}
DEFAULT_OVERLAY: tuple[tuple[str, str], ...] = (
    ("neck", "neck_inclination_deg"), ("trunk", "trunk_inclination_deg"),
    ("hip", "hip_angle_deg"), ("knee", "knee_angle_deg"))


def angle_text(metric: str, value: float | None) -> str | None:
    """An angle as a patient reads it: a magnitude with °, and a word where the sign
    carries the meaning ("12° back", "7° bent") — never a bare negative number.
    None when the value is missing. The live panel shows exactly this text too."""
    if value is None or not math.isfinite(value):
        return None
    v = float(value)
    if metric in ("trunk_lean_deg", "neck_flexion_deg"):
        return f"{abs(v):.0f}° back" if round(v) < 0 else f"{v:.0f}°"
    if metric == "knee_hyperextension_deg":
        if round(v) > 0:
            return f"{v:.0f}° past straight"
        return "straight" if round(v) == 0 else f"{-v:.0f}° bent"
    if metric in ("trunk_lateral_tilt_deg", "head_tilt_deg", "trunk_twist_deg"):
        return f"{abs(v):.0f}°"
    return f"{v:.0f}°"


@dataclass(frozen=True)
class OverlayText:
    """Every word the overlay draws on one frame."""

    header: str
    labels: tuple[tuple[str, str, str], ...] = ()  # (joint, metric, text) e.g. trunk "45°"
    cue: str | None = None
    cue_status: str = "n/a"

    def label(self, joint: str) -> str | None:
        return next((text for j, _, text in self.labels if j == joint), None)


def overlay_labels(values: Mapping[str, float | None], activity: str | None
                   ) -> tuple[tuple[str, str, str], ...]:
    """(joint, metric, text) for the angles written beside the joints."""
    out = []
    for joint, metric in OVERLAY_METRICS.get(activity or "", DEFAULT_OVERLAY):
        text = angle_text(metric, values.get(metric))
        if text is not None:
            out.append((joint, metric, text))
    return tuple(out)


def overlay_header(t: float, detected: bool, view: str, rep_count: int = 0,
                   activity: str = "", phase: str = "", seen: bool = False) -> str:
    """Clock, view and the count: lifts, or an exercise's reps / hold state.

    ``seen``: a skeleton was found but the person gate has not confirmed it yet (its
    first frames, or a skeleton it doubts) — "No one in view" would be false there.
    """
    if not detected:
        return f"{clock_text(t)}  {'Finding the person' if seen else 'No one in view'}"
    words = VIEW_WORDS.get(view, "")
    header = f"{clock_text(t)}  {words}" if words else clock_text(t)
    if activity == "exercise":
        if phase in ("hold", "paused"):
            header += "  Holding" if phase == "hold" else "  Hold paused"
        elif rep_count:
            header += f"  Reps: {rep_count}"
    elif rep_count:
        header += f"  Lifts: {rep_count}"
    return header


def clock_text(t: float) -> str:
    """The session clock on the overlay ("01:02.5"); the live panel dates its readings so."""
    s = max(float(t), 0.0) if math.isfinite(t) else 0.0
    return f"{int(s) // 60:02d}:{s % 60:04.1f}"


def overlay_text(result: FrameResult) -> OverlayText:
    """What the overlay says about an analysed frame (Review and the CLI video)."""
    a = result.assessment
    activity = a.activity if a is not None else None
    values = {m: result.metrics.get(m) for pairs in (*OVERLAY_METRICS.values(), DEFAULT_OVERLAY)
              for _, m in pairs}
    return OverlayText(
        header=overlay_header(result.t, result.detected, result.view.view,
                              a.rep_count if a is not None else 0,
                              a.activity if a is not None else "",
                              a.rep_phase if a is not None else "",
                              seen=result.pose is not None),
        labels=overlay_labels(values, activity) if result.detected else (),
        cue=a.cue if a is not None else None,
        cue_status=(a.worst if a is not None else "n/a"))


def draw_pose(
    image: np.ndarray,
    pose: FramePose,
    segment_status: Mapping[str, str],
    labels: Sequence[tuple[str, str, str]] = (),
    near_side: str = "left",
    min_visibility: float = 0.5,
) -> np.ndarray:
    """Draw the skeleton and the (joint, metric, text) labels onto ``image`` (RGB, in place)."""
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
    if labels:
        side = SIDES[near_side]
        hip, shoulder, knee = pts[side.hip], pts[side.shoulder], pts[side.knee]
        # Labels beside their joints; the trunk's beside the middle of the trunk.
        anchors = {
            "neck": (shoulder, (14, -14), vis[side.shoulder]),
            "trunk": ((hip + shoulder) / 2, (14, 0), vis[side.hip] and vis[side.shoulder]),
            "hip": (hip, (14, 18), vis[side.hip]),
            "knee": (knee, (14, 6), vis[side.knee]),
        }
        for joint, _, text in labels:
            if joint not in anchors:
                continue
            anchor, (dx, dy), visible = anchors[joint]
            if not visible:
                continue
            org = (int(anchor[0] + dx * s), int(anchor[1] + dy * s))
            draw_label(image, f"{JOINT_WORDS.get(joint, joint)} {text}", org, (255, 255, 255),
                       s)
    return image


def annotate_frame(image: np.ndarray, result: FrameResult,
                   text: OverlayText | None = None) -> np.ndarray:
    """The annotated look of one analysed frame (used for the video and thumbnails).

    ``text``: what to write (the live coach hands in the record its panel shows);
    by default :func:`overlay_text` of the frame.
    """
    out = image.copy()
    a = result.assessment
    text = text if text is not None else overlay_text(result)
    s = _scale(out)
    if result.pose is not None and result.detected:
        seg = dict(a.segment_status) if a is not None else {}
        draw_pose(out, result.pose, seg, text.labels, result.view.near_side)
    draw_label(out, text.header, (8, int(24 * s)), (255, 255, 255), s)
    if text.cue:
        colour = COLOURS.get(text.cue_status, (255, 255, 255))
        draw_label(out, text.cue, (8, out.shape[0] - int(14 * s)), colour, s * 1.2)
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

        done = render_video_parallel(analysis, out_path, annotate_frame, progress,
                                     workers=workers)
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
