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
    encoder_options: dict[str, str] | None = None,
) -> Path:
    """Encode RGB frames with PyAV.

    ``pts_ms`` gives each frame's presentation time in milliseconds (variable
    frame rate); ``rotation`` is ``(ccw_degrees, hflip, vflip)`` written as a
    container display matrix, like a phone; ``faststart`` puts the index in
    front so a cut-off copy still opens; ``encoder_options`` go to the encoder
    (e.g. ``{"preset": "ultrafast"}`` for big frames).
    """
    options = {"movflags": "faststart"} if faststart else {}
    with av.open(str(path), "w", options=options) as container:
        stream = container.add_stream(codec, rate=fps)
        stream.pix_fmt = "yuv420p"
        if encoder_options:
            stream.options = dict(encoder_options)
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


def frames_of(path: Path, n: int, size: tuple[int, int] | None = None) -> list[np.ndarray]:
    """The first ``n`` frames of a clip as RGB, resized to ``size`` (w, h) if given."""
    out = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            image = frame.to_ndarray(format="rgb24")
            if size is not None:
                interp = cv2.INTER_AREA if size[0] < image.shape[1] else cv2.INTER_LINEAR
                image = cv2.resize(image, size, interpolation=interp)
            out.append(np.ascontiguousarray(image))
            if len(out) == n:
                break
    return out


def mjpeg_avi(path: Path, frames: Sequence[np.ndarray], fps: int = 15) -> Path:
    """An OpenCV-written Motion-JPEG AVI (what many webcam tools produce)."""
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    assert writer.isOpened()
    for image in frames:
        writer.write(cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def patch_avi_rate(path: Path, scale: int, rate: int, usec_per_frame: int = 0) -> Path:
    """Overwrite an AVI's stated frame rate (``rate / scale``) in place, like a broken writer."""
    data = bytearray(path.read_bytes())
    strh = data.find(b"strh")
    avih = data.find(b"avih")
    assert strh > 0 and avih > 0 and data[strh + 8:strh + 12] == b"vids"
    # strh: fccType, fccHandler, dwFlags, wPriority, wLanguage, dwInitialFrames, dwScale, dwRate
    data[strh + 28:strh + 36] = scale.to_bytes(4, "little") + rate.to_bytes(4, "little")
    data[avih + 8:avih + 12] = usec_per_frame.to_bytes(4, "little")
    path.write_bytes(bytes(data))
    return path


def scramble_video_packets(src: Path, dst: Path, seed: int = 0) -> Path:
    """A valid container whose every video packet is noise: nothing decodes.

    The container structure (index, timestamps, stream headers) stays intact;
    only the compressed picture data of each packet is overwritten.
    """
    with av.open(str(src)) as container:
        spans = [(p.pos, p.size) for p in container.demux(video=0)
                 if p.size and p.pos is not None and p.pos >= 0]
    rng = np.random.default_rng(seed)
    data = bytearray(src.read_bytes())
    for pos, size in spans:
        data[pos:pos + size] = rng.integers(0, 256, size, dtype=np.uint8).tobytes()
    dst.write_bytes(bytes(data))
    return dst


def png_bomb(path: Path, width: int, height: int) -> Path:
    """A valid 1-bit black PNG: tens of kilobytes on disk, width×height pixels decoded."""
    import struct
    import zlib

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (struct.pack(">I", len(payload)) + kind + payload
                + struct.pack(">I", zlib.crc32(kind + payload)))

    packer = zlib.compressobj(9)
    row = bytes(1 + (width + 7) // 8)
    body = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", body)
                     + chunk(b"IEND", b""))
    return path


def long_clip(path: Path, seconds: float, fps: int = 15, width: int = 64,
              height: int = 48) -> Path:
    """A long but cheap clip: tiny frames, a moving bar, fast encoder settings.

    Ten minutes at 15 fps (9000 frames) encode in under a second.
    """
    with av.open(str(path), "w") as container:
        stream = container.add_stream(H264, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        if H264 == "libx264":
            stream.options = {"preset": "ultrafast", "g": "300"}
        base = np.full((height, width, 3), 100, np.uint8)
        for i in range(round(seconds * fps)):
            image = base.copy()
            image[:, i % width] = 255
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
