"""Small in-memory media helpers: JPEG frames, slow-motion mp4 clips, base64 images."""

from __future__ import annotations

import base64
import io
import itertools
import struct
from collections.abc import Sequence
from fractions import Fraction

import av
import cv2
import numpy as np


def to_jpeg(image_rgb: np.ndarray, max_width: int | None = None, quality: int = 80) -> bytes:
    img = image_rgb
    if max_width is not None and img.shape[1] > max_width:
        scale = max_width / img.shape[1]
        img = cv2.resize(img, (max_width, round(img.shape[0] * scale)),
                         interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(img, cv2.COLOR_RGB2BGR),
                           [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("could not encode a JPEG")
    return bytes(buf)


def from_jpeg(data: bytes) -> np.ndarray:
    arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return cv2.cvtColor(arr, cv2.COLOR_BGR2RGB)


def data_uri(jpeg: bytes, mime: str = "image/jpeg") -> str:
    return f"data:{mime};base64,{base64.b64encode(jpeg).decode('ascii')}"


def clip_mp4(frames: Sequence[tuple[float, bytes]], speed: float = 0.5,
             max_fps: float = 30.0, crf: int = 23, threads: int = 1) -> bytes | None:
    """An H.264 mp4 (in memory) from timestamped JPEG frames, played at ``speed``.

    Frame times are kept (a dropped camera frame shows as a longer frame), so a
    0.5× clip of a 2 s rep lasts 4 s whatever the processing rate was.

    The clip runs at the source's own rate slowed by ``speed`` (15 fps at 0.5× → 7.5
    fps, each picture once), not at ``max_fps`` with every picture repeated: a replay
    is made while the live analysis runs, and encoding a quarter of the frames on one
    thread (``threads``) leaves the cores to the pose model.
    """
    if len(frames) < 2:
        return None
    first = from_jpeg(frames[0][1])
    h, w = first.shape[0] - first.shape[0] % 2, first.shape[1] - first.shape[1] % 2
    out_fps = _clip_fps(frames, speed, max_fps)
    rate = Fraction(out_fps).limit_denominator(1000)
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.options = {"crf": str(crf), "preset": "veryfast", "movflags": "+faststart",
                          "threads": str(max(int(threads), 1))}
        t0 = frames[0][0]
        n_out = 0
        for i, (t, jpg) in enumerate(frames):
            t_next = frames[i + 1][0] if i + 1 < len(frames) else t + (t - frames[i - 1][0])
            # Repeat the frame until the output clock reaches the next frame's slowed time.
            end_out = round((t_next - t0) / speed * out_fps)
            if i == len(frames) - 1:
                end_out = max(end_out, n_out + 1)
            if n_out >= end_out:
                continue  # faster than the output rate: this picture is skipped
            img = first if i == 0 else from_jpeg(jpg)
            if img.shape[:2] != (h, w):
                img = cv2.resize(img, (w, h))
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")
            while n_out < end_out:
                for packet in stream.encode(vf):
                    container.mux(packet)
                n_out += 1
        for packet in stream.encode():
            container.mux(packet)
    return buf.getvalue()


def _clip_fps(frames: Sequence[tuple[float, bytes]], speed: float, max_fps: float) -> float:
    """The output rate that shows every source picture once: source rate × speed."""
    gaps = sorted(b[0] - a[0] for a, b in itertools.pairwise(frames) if b[0] > a[0])
    if not gaps or speed <= 0:
        return max_fps
    src_fps = 1.0 / gaps[len(gaps) // 2]  # the median spacing: dropped frames do not count
    return float(min(max(src_fps * speed, 5.0), max_fps))


def tagged(mp4: bytes, tag: str) -> bytes:
    """The same clip with a trailing ISO-BMFF ``free`` box naming ``tag``: players ignore
    it, but the bytes (and so Streamlit's media URL) differ. Streamlit autoplays a video
    only the first time it sees it, so the same lift shown again (as the reference) needs
    new bytes — this gives them without encoding the clip again."""
    payload = tag.encode("utf-8")
    return mp4 + struct.pack(">I4s", 8 + len(payload), b"free") + payload
