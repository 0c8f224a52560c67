"""Small media files made at test time (no binaries in the repo).

Everything here writes with PyAV or OpenCV, which the project depends on
anyway; only :func:`ffmpeg` needs the ``ffmpeg`` command line tool, and the
tests that use it skip when it is missing.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable, Sequence
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

FFMPEG = shutil.which("ffmpeg")
H264 = "libx264" if "libx264" in av.codecs_available else "mpeg4"

RED = (255, 0, 0)
GREEN = (0, 255, 0)
BLUE = (0, 0, 255)


def marker_image(width: int, height: int) -> np.ndarray:
    """Grey RGB picture: red block top-left, green block top-right.

    The pair pins down all eight rotations/mirrorings, so a test can tell
    exactly how a decoded frame was turned.
    """
    img = np.full((height, width, 3), 128, np.uint8)
    b = max(4, min(width, height) // 4)
    img[:b, :b] = RED
    img[:b, -b:] = GREEN
    return img


def corner_colours(image: np.ndarray) -> dict[str, str]:
    """Which marker colour sits in which corner ("tl", "tr", "bl", "br")."""
    h, w = image.shape[:2]
    b = max(2, min(w, h) // 10)
    corners = {
        "tl": image[:b, :b], "tr": image[:b, -b:],
        "bl": image[-b:, :b], "br": image[-b:, -b:],
    }
    out = {}
    for name, patch in corners.items():
        r, g, bl = patch.reshape(-1, 3).mean(axis=0)
        if r > 180 and g < 90 and bl < 90:
            out[name] = "red"
        elif g > 180 and r < 90 and bl < 90:
            out[name] = "green"
        else:
            out[name] = "grey"
    return out


def numbered_frames(n: int, width: int = 64, height: int = 48) -> list[np.ndarray]:
    """Frames whose brightness encodes their number (10, 20, 30 ...), for order checks."""
    return [np.full((height, width, 3), 10 + 10 * i, np.uint8) for i in range(n)]


def noise_frames(n: int, width: int = 160, height: int = 120, seed: int = 0) -> list[np.ndarray]:
    """Incompressible frames, so the media data dominates the file (for truncation tests)."""
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (height, width, 3), dtype=np.uint8) for _ in range(n)]


def write_video(
    path: Path,
    frames: Iterable[np.ndarray],
    fps: int = 10,
    *,
    pts_ms: Sequence[int] | None = None,
    rotation: tuple[float, bool, bool] | None = None,
    faststart: bool = False,
    codec: str = H264,
) -> Path:
    """Encode RGB frames with PyAV.

    ``pts_ms`` gives each frame's presentation time in milliseconds (variable
    frame rate); ``rotation`` is ``(ccw_degrees, hflip, vflip)`` written as a
    container display matrix, like a phone; ``faststart`` puts the index in
    front so a cut-off copy still opens.
    """
    options = {"movflags": "faststart"} if faststart else {}
    with av.open(str(path), "w", options=options) as container:
        stream = container.add_stream(codec, rate=fps)
        stream.pix_fmt = "yuv420p"
        if pts_ms is not None:
            stream.codec_context.time_base = Fraction(1, 1000)
        if rotation is not None:
            stream.set_display_rotation(rotation[0], hflip=rotation[1], vflip=rotation[2])
        started = False
        for i, image in enumerate(frames):
            if not started:
                stream.height, stream.width = image.shape[:2]
                started = True
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
            if pts_ms is not None:
                frame.pts = pts_ms[i]
                frame.time_base = Fraction(1, 1000)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def write_audio(path: Path, codec: str = "aac", seconds: float = 0.5) -> Path:
    """A sound-only file (AAC in MP4/M4A, or PCM in WAV)."""
    rate = 16000
    n = int(rate * seconds)
    tone = np.sin(2 * np.pi * 440 * np.arange(n) / rate).astype(np.float32) * 0.3
    with av.open(str(path), "w", format="wav" if codec.startswith("pcm") else None) as container:
        stream = container.add_stream(codec, rate=rate)
        stream.layout = "mono"
        fmt = stream.codec_context.format.name
        chunk = 1024
        for start in range(0, n, chunk):
            part = tone[start:start + chunk]
            data = (part * 32767).astype(np.int16) if fmt.startswith("s16") else part
            frame = av.AudioFrame.from_ndarray(data.reshape(1, -1), format=fmt, layout="mono")
            frame.sample_rate = rate
            frame.pts = start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def write_image(path: Path, image: np.ndarray, ext: str = ".png",
                params: Sequence[int] = ()) -> Path:
    """Encode with OpenCV (``image`` in OpenCV's BGR/BGRA/grey layout) under any name."""
    ok, buf = cv2.imencode(ext, image, list(params))
    assert ok, ext
    path.write_bytes(buf.tobytes())
    return path


def jpeg_with_orientation(jpeg: bytes, orientation: int) -> bytes:
    """Insert a minimal EXIF APP1 segment carrying ``orientation`` after SOI."""
    tiff = (b"II*\x00" + (8).to_bytes(4, "little") + (1).to_bytes(2, "little")
            + (0x0112).to_bytes(2, "little") + (3).to_bytes(2, "little")
            + (1).to_bytes(4, "little") + orientation.to_bytes(2, "little") + b"\x00\x00"
            + (0).to_bytes(4, "little"))
    payload = b"Exif\x00\x00" + tiff
    app1 = b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload
    assert jpeg[:2] == b"\xff\xd8"
    return jpeg[:2] + app1 + jpeg[2:]


def ffmpeg(*args: str) -> subprocess.CompletedProcess[bytes]:
    """Run the ffmpeg CLI quietly; raises if it fails."""
    assert FFMPEG is not None
    return subprocess.run([FFMPEG, "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
                           *args], check=True, capture_output=True, timeout=120)


def ffmpeg_first_frame(path: Path, out_png: Path) -> np.ndarray:
    """FFmpeg's own (autorotated) rendering of the first frame, as RGB."""
    ffmpeg("-i", str(path), "-frames:v", "1", str(out_png))
    bgr = cv2.imdecode(np.fromfile(str(out_png), np.uint8), cv2.IMREAD_COLOR)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
