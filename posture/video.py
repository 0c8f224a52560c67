"""Video and photo input: upright RGB frames with real timestamps, streamed.

Why it is built this way:

* Files are recognised by decoding them, never by their extension: people
  rename files, phones write ``.MOV`` that is really MP4, and messaging apps
  drop extensions.  OpenCV's own header check decides whether a file is a
  photo; anything else goes to FFmpeg (through PyAV).
* PyAV rather than ``cv2.VideoCapture`` because it gives the real
  presentation timestamps (phones record at a variable frame rate, and joint
  velocities need true times) and the display matrix that phones write
  instead of rotating pixels, so a portrait clip is analysed upright.
* Frames are decoded one at a time; a long 4K clip never sits in memory.
  ``max_side`` shrinks large frames during the colour conversion (one pass).
* Every decoder failure becomes a :class:`~posture.errors.MediaError` whose
  text a patient can read.  A clip that breaks part-way yields the frames
  that decoded, then stops, and says so in :attr:`MediaSource.warnings`.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import os
import stat
import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from types import TracebackType
from typing import Any, Literal

import av
import cv2
import numpy as np
from av.video.reformatter import VideoReformatter

from posture.errors import (
    EmptyFileError,
    MediaAccessError,
    MediaError,
    MediaNotFoundError,
    NotAVideoError,
    UnreadableImageError,
    UnreadableVideoError,
    UnsupportedMediaError,
    display_name,
)

#: File name endings offered in file pickers and help texts.  They are hints for
#: people only; recognition always decodes the content.
VIDEO_EXTENSIONS: tuple[str, ...] = (
    ".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".3gp", ".mts", ".m2ts", ".ts",
    ".mpg", ".mpeg", ".wmv", ".flv", ".gif",
)
IMAGE_EXTENSIONS: tuple[str, ...] = (
    ".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".jp2", ".pgm", ".ppm",
)

#: Frame rate assumed when neither the container nor the timestamps give one.
DEFAULT_FPS = 30.0
#: Stated rates outside this range are container nonsense (e.g. a time base).
MIN_PLAUSIBLE_FPS = 0.5
MAX_PLAUSIBLE_FPS = 1000.0
#: Time stamps further apart than an hour (or closer than 1/MAX_PLAUSIBLE_FPS) are
#: not a recording's real timing; such frames are spaced evenly at DEFAULT_FPS.
MIN_TIMESTAMP_FPS = 1 / 3600
#: Larger pictures are refused rather than risking memory exhaustion (8K is 33 MP).
MAX_SIDE_PIXELS = 16384
MAX_PIXELS = 80_000_000
#: Give up on a stream after this many consecutive packets fail to decode.
MAX_CONSECUTIVE_BAD_PACKETS = 64
#: Packets read (without decoding) to estimate a frame rate from timestamps.
FPS_PROBE_PACKETS = 240

_ASF_GUID = b"\x30\x26\xb2\x75\x8e\x66\xcf\x11\xa6\xd9\x00\xaa\x00\x62\xce\x6c"
# FFmpeg demuxers that would happily turn text into "video" (ANSI art).
_TEXT_DEMUXERS = frozenset({"tty"})


@dataclass(frozen=True, eq=False)
class Frame:
    """One upright picture and when it was shown.

    ``image`` is H×W×3 ``uint8`` RGB, C-contiguous, already rotated upright and
    downscaled if ``max_side`` asked for it.  ``t`` is seconds since the first
    frame, taken from the file's presentation timestamps, so variable frame
    rate recordings keep their true timing.  Photos have ``t == 0``.
    (``eq=False``: comparing pixel arrays with ``==`` is never what you want.)
    """

    index: int
    t: float
    image: np.ndarray


@dataclass(frozen=True)
class MediaInfo:
    """What is known about a file before decoding all of it.

    * ``kind`` - ``"image"`` for a photo (one frame), else ``"video"``.
    * ``fps`` - frames per second; ``0.0`` for a photo, which has no time axis.
      ``fps_estimated`` is True when the file gave no usable rate at all and
      :data:`DEFAULT_FPS` was assumed.
    * ``frames`` - best estimate of the frame count (0 if unknown); a damaged
      file may deliver fewer.
    * ``width``/``height`` - of the frames you will receive: after rotation,
      square-pixel correction and ``max_side`` downscaling.
    * ``rotation`` - clockwise degrees (0, 90, 180, 270) that were applied to
      the stored pixels to make them upright; ``mirrored`` is True when a
      left-right mirror was applied as well (display matrix or EXIF flip).
    """

    path: str
    kind: Literal["video", "image"]
    fps: float
    frames: int
    width: int
    height: int
    duration_s: float
    rotation: int = 0
    fps_estimated: bool = False
    mirrored: bool = False


# --------------------------------------------------------------------------- orientation


@dataclass(frozen=True)
class _Orientation:
    """A dihedral transform: optional transpose, then left-right / top-bottom flips.

    All eight EXIF orientations and every display-matrix case FFmpeg's own
    autorotation handles are expressible this way.
    """

    transpose: bool = False
    hflip: bool = False
    vflip: bool = False

    def apply(self, image: np.ndarray) -> np.ndarray:
        if self.transpose:
            image = image.swapaxes(0, 1)
        if self.hflip:
            image = image[:, ::-1]
        if self.vflip:
            image = image[::-1]
        return image

    @property
    def clockwise_degrees(self) -> int:
        """Rotation part, clockwise, when written as ``rotate`` then optional mirror."""
        return {
            (False, False, False): 0, (False, True, False): 0,
            (False, True, True): 180, (False, False, True): 180,
            (True, True, False): 90, (True, False, False): 90,
            (True, False, True): 270, (True, True, True): 270,
        }[(self.transpose, self.hflip, self.vflip)]

    @property
    def mirrored(self) -> bool:
        """True when the transform includes a reflection (odd number of flips/transposes)."""
        return (self.transpose + self.hflip + self.vflip) % 2 == 1


_UPRIGHT = _Orientation()
_CW90 = _Orientation(transpose=True, hflip=True)
_CCW90 = _Orientation(transpose=True, vflip=True)
_ROT180 = _Orientation(hflip=True, vflip=True)

# EXIF orientation tag -> what OpenCV's imread (and every photo viewer) applies.
_EXIF_ORIENTATIONS = {
    1: _UPRIGHT,
    2: _Orientation(hflip=True),
    3: _ROT180,
    4: _Orientation(vflip=True),
    5: _Orientation(transpose=True),
    6: _CW90,
    7: _Orientation(transpose=True, hflip=True, vflip=True),
    8: _CCW90,
}


def _orientation_from_display_matrix(matrix: np.ndarray) -> _Orientation | None:
    """Mirror FFmpeg's own autorotation (fftools) for a 3×3 16.16 display matrix.

    Returns None for angles that are not a multiple of 90° (left as stored).
    """
    m = [float(v) / 65536.0 for v in matrix.reshape(-1)[:9]]
    scale0 = math.hypot(m[0], m[3])
    scale1 = math.hypot(m[1], m[4])
    if scale0 == 0.0 or scale1 == 0.0:
        return _UPRIGHT
    # av_display_rotation_get(): counter-clockwise degrees
    ccw = -math.degrees(math.atan2(m[1] / scale1, m[0] / scale0))
    theta = -round(ccw)
    theta -= 360 * math.floor(theta / 360 + 0.9 / 360)
    if abs(theta - 90) < 1.0:
        return _Orientation(transpose=True) if m[3] > 0 else _CW90
    if abs(theta - 180) < 1.0:
        return _Orientation(hflip=m[0] < 0, vflip=m[4] < 0)
    if abs(theta - 270) < 1.0:
        return _Orientation(transpose=True, hflip=True, vflip=True) if m[3] < 0 else _CCW90
    if abs(theta) < 1.0 or abs(theta - 360) < 1.0:
        return _Orientation(vflip=m[4] < 0)
    return None


def _frame_orientation(frame: av.VideoFrame, stream: Any) -> tuple[_Orientation, str | None]:
    """The transform that makes ``frame`` upright, plus a warning if it is unusual.

    FFmpeg ≥ 7 (bundled with PyAV 18) copies the container's display matrix
    onto every decoded frame as ``DISPLAYMATRIX`` side data, so the matrix is
    read from the frame.  ``frame.rotation`` (PyAV ≥ 13) is only a fallback:
    it truncates to whole degrees and cannot express mirroring.  Very old
    FFmpeg builds exposed a ``rotate`` stream tag instead.
    """
    try:
        side_data: Any = frame.side_data  # iterates SideData objects (stub says Mapping)
        for side in side_data:
            if getattr(side.type, "name", "") == "DISPLAYMATRIX":
                raw = np.frombuffer(bytes(side), dtype=np.int32)
                if raw.size >= 9:
                    found = _orientation_from_display_matrix(raw)
                    if found is None:
                        return _UPRIGHT, "unusual-rotation"
                    return found, None
    except Exception:  # side data unreadable: try the simpler routes below
        pass
    degrees_ccw = int(getattr(frame, "rotation", 0) or 0)
    if not degrees_ccw:
        tag = (getattr(stream, "metadata", None) or {}).get("rotate")
        try:
            degrees_ccw = -int(float(tag)) if tag is not None else 0
        except ValueError:
            degrees_ccw = 0
    cw = round(-degrees_ccw / 90.0) * 90 % 360
    if abs((-degrees_ccw - cw + 180) % 360 - 180) > 1:
        return _UPRIGHT, "unusual-rotation"
    return {0: _UPRIGHT, 90: _CW90, 180: _ROT180, 270: _CCW90}[cw], None


def _exif_tiff_block(data: bytes) -> bytes | None:
    """The TIFF-structured EXIF block of a JPEG, PNG or WebP file, if any."""
    if data[:2] == b"\xff\xd8":
        pos = 2
        while pos + 4 <= len(data):
            if data[pos] != 0xFF:
                return None
            marker = data[pos + 1]
            if marker == 0xFF:  # fill byte
                pos += 1
                continue
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                pos += 2
                continue
            if marker in (0xDA, 0xD9):  # image data starts: EXIF always comes before
                return None
            length = int.from_bytes(data[pos + 2:pos + 4], "big")
            if length < 2:
                return None
            if marker == 0xE1 and data[pos + 4:pos + 10] == b"Exif\x00\x00":
                return data[pos + 10:pos + 2 + length]
            pos += 2 + length
        return None
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        pos = 8
        while pos + 8 <= len(data):
            length = int.from_bytes(data[pos:pos + 4], "big")
            kind = data[pos + 4:pos + 8]
            if kind == b"eXIf":
                return data[pos + 8:pos + 8 + length]
            if kind == b"IEND":
                return None
            pos += 12 + length
        return None
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        pos = 12
        while pos + 8 <= len(data):
            kind = data[pos:pos + 4]
            length = int.from_bytes(data[pos + 4:pos + 8], "little")
            if kind == b"EXIF":
                block = data[pos + 8:pos + 8 + length]
                return block[6:] if block.startswith(b"Exif\x00\x00") else block
            pos += 8 + length + (length & 1)
        return None
    return None


def _exif_orientation(data: bytes) -> int:
    """EXIF orientation tag (1-8) of a photo; 1 when absent or unreadable."""
    try:
        tiff = _exif_tiff_block(data)
        if not tiff or len(tiff) < 8:
            return 1
        order: Literal["little", "big"]
        if tiff[:4] == b"II*\x00":
            order = "little"
        elif tiff[:4] == b"MM\x00*":
            order = "big"
        else:
            return 1
        ifd = int.from_bytes(tiff[4:8], order)
        count = int.from_bytes(tiff[ifd:ifd + 2], order)
        for i in range(count):
            entry = ifd + 2 + 12 * i
            if entry + 12 > len(tiff):
                break
            if int.from_bytes(tiff[entry:entry + 2], order) == 0x0112:
                value = int.from_bytes(tiff[entry + 8:entry + 10], order)
                return value if 1 <= value <= 8 else 1
    except Exception:
        return 1
    return 1


# --------------------------------------------------------------------------- helpers


def _to_rgb8(image: np.ndarray) -> np.ndarray:
    """Any OpenCV decode (gray, gray+alpha, BGR, BGRA; 8/16-bit/float) -> RGB uint8.

    Transparent areas are composited over white: their stored colour is
    arbitrary (often black), and white is what a viewer shows behind them.
    """
    if image.dtype == np.uint8:
        img8 = image
    elif image.dtype == np.uint16:
        img8 = (image >> 8).astype(np.uint8)
    elif np.issubdtype(image.dtype, np.floating):
        img8 = np.clip(np.nan_to_num(image) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    else:
        info = np.iinfo(image.dtype)
        scaled = (image.astype(np.float64) - info.min) / (info.max - info.min) * 255.0
        img8 = np.clip(scaled + 0.5, 0, 255).astype(np.uint8)
    if img8.ndim == 3 and img8.shape[2] == 1:
        img8 = img8[:, :, 0]
    if img8.ndim == 2:
        return cv2.cvtColor(img8, cv2.COLOR_GRAY2RGB)
    channels = img8.shape[2]
    if channels == 2:  # gray + alpha
        colour = cv2.cvtColor(np.ascontiguousarray(img8[:, :, 0]), cv2.COLOR_GRAY2RGB)
        alpha = img8[:, :, 1]
    elif channels == 4:
        colour = cv2.cvtColor(np.ascontiguousarray(img8[:, :, :3]), cv2.COLOR_BGR2RGB)
        alpha = img8[:, :, 3]
    else:
        return cv2.cvtColor(np.ascontiguousarray(img8[:, :, :3]), cv2.COLOR_BGR2RGB)
    if alpha.min() == 255:
        return colour
    a = alpha.astype(np.float32)[:, :, None] / 255.0
    return (colour.astype(np.float32) * a + 255.0 * (1.0 - a) + 0.5).astype(np.uint8)


def _fit(width: int, height: int, max_side: int | None) -> tuple[int, int]:
    """Size after shrinking so the longer side is at most ``max_side`` (never enlarges)."""
    if max_side is None or max(width, height) <= max_side:
        return width, height
    k = max_side / max(width, height)
    return max(1, round(width * k)), max(1, round(height * k))


def _plausible_fps(rate: Fraction | float | None) -> float | None:
    try:
        fps = float(rate) if rate else 0.0
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    if math.isfinite(fps) and MIN_PLAUSIBLE_FPS <= fps <= MAX_PLAUSIBLE_FPS:
        return fps
    return None


def _looks_like_video_container(head: bytes) -> bool:
    """Whether the first bytes carry a video container signature.

    Used only to word the error when FFmpeg cannot open a file: a file that
    starts like an MP4/MKV/AVI but will not open is a damaged video, not
    "not a video".
    """
    return (
        head[4:8] in (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip")
        or head[:4] == b"\x1a\x45\xdf\xa3"  # Matroska / WebM
        or (head[:4] == b"RIFF" and head[8:12] in (b"AVI ", b"AVIX"))
        or head[:3] == b"FLV"
        or head[:4] == b"\x00\x00\x01\xba"  # MPEG program stream
        or head[:16] == _ASF_GUID  # WMV
    )


#: First bytes of the photo formats OpenCV decodes, for names OpenCV cannot be given.
_IMAGE_SIGNATURES: tuple[bytes, ...] = (
    b"\xff\xd8\xff",  # JPEG
    b"\x89PNG\r\n\x1a\n",
    b"BM",  # Windows bitmap
    b"II*\x00", b"MM\x00*",  # TIFF
    b"\x00\x00\x00\x0cjP  \r\n\x87\n", b"\xff\x4f\xff\x51",  # JPEG 2000
    b"P1", b"P2", b"P3", b"P4", b"P5", b"P6", b"P7",  # Netpbm
    b"\x59\xa6\x6a\x95",  # Sun raster
)


def _is_image_file(path: str, head: bytes = b"") -> bool:
    """OpenCV's own signature check (reads a few header bytes, not the whole file).

    OpenCV crashes the whole process (segmentation fault) when handed a file
    name that is not valid UTF-8 (Linux allows any bytes), so for such names
    the signature is checked here from ``head`` instead.
    """
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return head.startswith(_IMAGE_SIGNATURES) or (
            head[:4] == b"RIFF" and head[8:12] == b"WEBP")
    try:
        return bool(cv2.haveImageReader(path))
    except Exception:  # cv2.error
        return False


def _png_structure_ok(data: bytes) -> bool:
    """Cheap walk over a PNG's chunk headers before OpenCV sees it.

    A damaged chunk length makes OpenCV 4.11's PNG reader allocate and scan
    gigabytes for seconds before failing; a file whose chunks do not even
    line up is damaged, so it is refused without that cost.
    """
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return True  # not a PNG: nothing to check here
    if data[12:16] != b"IHDR" or int.from_bytes(data[8:12], "big") != 13:
        return False
    pos = 8
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        if not kind.isalpha() or pos + length > len(data):
            return False
        if kind == b"IEND":
            return True
        pos += 12 + length
    return pos >= len(data)  # cut off exactly between chunks: libpng will say so


def _declared_image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) a PNG, JPEG, BMP or WebP header declares, read without decoding.

    A few kilobytes can declare a picture of a billion pixels (a decompression
    bomb); the size is checked before OpenCV allocates it.  None when the
    format is another one or the header is unreadable.
    """
    try:
        if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
            return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        if data[:2] == b"BM" and len(data) >= 26:
            w = int.from_bytes(data[18:22], "little", signed=True)
            h = int.from_bytes(data[22:26], "little", signed=True)
            return abs(w), abs(h)
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            kind = data[12:16]
            if kind == b"VP8X":
                return (int.from_bytes(data[24:27], "little") + 1,
                        int.from_bytes(data[27:30], "little") + 1)
            if kind == b"VP8L":
                bits = int.from_bytes(data[21:25], "little")
                return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
            if kind == b"VP8 ":
                return (int.from_bytes(data[26:28], "little") & 0x3FFF,
                        int.from_bytes(data[28:30], "little") & 0x3FFF)
            return None
        if data[:2] == b"\xff\xd8":
            pos = 2
            while pos + 9 <= len(data):
                if data[pos] != 0xFF:
                    return None
                marker = data[pos + 1]
                if marker == 0xFF:
                    pos += 1
                    continue
                if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                    pos += 2
                    continue
                if marker in (0xDA, 0xD9):
                    return None
                if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # SOFn
                    return (int.from_bytes(data[pos + 7:pos + 9], "big"),
                            int.from_bytes(data[pos + 5:pos + 7], "big"))
                pos += 2 + int.from_bytes(data[pos + 2:pos + 4], "big")
    except (IndexError, ValueError):
        return None
    return None


def _image_too_large(width: int, height: int) -> bool:
    return max(width, height) > MAX_SIDE_PIXELS * 4 or width * height > MAX_PIXELS * 4


# --------------------------------------------------------------------------- the source


class MediaSource:
    """An opened video or photo; iterate it for :class:`Frame` objects.

    Use it as a context manager so the decoder is released promptly::

        with open_media("squat.mp4") as source:
            print(source.info.fps)
            for frame in source:
                ...

    Opening already decodes the first frame, so a file that cannot deliver a
    single picture fails here with a clear :class:`MediaError` rather than
    half-way through an analysis.  Iterating again starts over from the first
    frame (re-opening the file); run one pass at a time.

    After (or during) a pass, ``warnings`` holds plain sentences about
    anything a person should know (file ended early, timestamps repaired),
    ``truncated`` tells whether the clip broke off before its stated end,
    and ``frames_read`` counts the frames delivered in the last pass.
    """

    def __init__(self, path: str | os.PathLike[str], max_side: int | None = None) -> None:
        if max_side is not None and max_side < 1:
            raise ValueError("max_side must be a positive number of pixels")
        self.path = os.fspath(path)
        self.max_side = max_side
        self.warnings: list[str] = []
        self.truncated = False
        self.frames_read = 0
        self._name = display_name(self.path)
        self._image: np.ndarray | None = None
        self._container: Any = None
        self._stream: Any = None
        self._raw: Iterator[av.VideoFrame] | None = None
        self._first: av.VideoFrame | None = None
        self._orientation = _UPRIGHT
        self._target: tuple[int, int] = (0, 0)  # stored-orientation size to convert to
        self._image_demuxer = False
        self._fresh = False
        self._error_detail: str | None = None
        self._broken = False
        self._header_frames = 0
        self._even_times = False  # time stamps are nonsense: frame i is at i / fps
        # One converter for the whole pass: ``VideoFrame.to_ndarray(format=…)`` builds
        # a fresh (threaded) scaler per call, which costs more than decoding small frames.
        self._reformatter = VideoReformatter()
        self.info = self._open()

    # ------------------------------------------------------------------ opening

    def _open(self) -> MediaInfo:
        head = self._check_file()
        if _is_image_file(self.path, head):
            info = self._open_image()
            if info is not None:
                return info
            try:  # OpenCV saw a photo header but could not decode it: FFmpeg may
                return self._open_video(head)
            except MediaError as exc:
                raise UnreadableImageError(self.path, detail=exc.detail) from None
        return self._open_video(head)

    def _check_file(self) -> bytes:
        """Fail early, in plain words, on missing, empty or unreadable paths."""
        try:
            st = os.stat(self.path)
        except PermissionError as exc:
            raise MediaAccessError(self.path, detail=str(exc)) from None
        except (OSError, ValueError) as exc:  # missing, bad component, NUL in name
            raise MediaNotFoundError(self.path, detail=str(exc)) from None
        if stat.S_ISDIR(st.st_mode):
            raise MediaNotFoundError(
                self.path, f"The path '{self._name}' is a folder, not a video or photo file.")
        if not stat.S_ISREG(st.st_mode):
            raise NotAVideoError(self.path, detail="not a regular file")
        if st.st_size == 0:
            raise EmptyFileError(self.path)
        try:
            with open(self.path, "rb") as fh:
                return fh.read(64)
        except PermissionError as exc:
            raise MediaAccessError(self.path, detail=str(exc)) from None
        except OSError as exc:
            raise MediaNotFoundError(self.path, detail=str(exc)) from None

    def _open_image(self) -> MediaInfo | None:
        """Decode a photo with OpenCV; None if OpenCV cannot decode it after all."""
        try:
            data = np.fromfile(self.path, dtype=np.uint8)  # non-ASCII names on every OS
            raw = data.tobytes()
        except Exception:
            return None
        declared = _declared_image_size(raw[:1 << 20])
        if declared is not None and _image_too_large(*declared):
            raise UnsupportedMediaError(
                self.path, f"The photo '{self._name}' is too large to analyse.",
                detail=f"header declares {declared[0]}x{declared[1]} pixels")
        try:
            if not _png_structure_ok(raw):
                return None
            decoded = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
        except Exception:
            return None
        if decoded is None or decoded.size == 0:
            return None
        h, w = decoded.shape[:2]
        if _image_too_large(w, h):
            raise UnsupportedMediaError(
                self.path, f"The photo '{self._name}' is too large to analyse.")
        # IMREAD_UNCHANGED keeps alpha and grey but skips EXIF orientation, so
        # apply it here as every photo viewer (and imread's default) would.
        orientation = _EXIF_ORIENTATIONS[_exif_orientation(raw[:1 << 20])]
        image = orientation.apply(_to_rgb8(decoded))
        height, width = image.shape[:2]
        size = _fit(width, height, self.max_side)
        if size != (width, height):
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        self._image = np.ascontiguousarray(image)
        return MediaInfo(self.path, "image", 0.0, 1, size[0], size[1], 0.0,
                         orientation.clockwise_degrees, False, orientation.mirrored)

    def _open_container(self, head: bytes) -> tuple[Any, Any]:
        """Open with FFmpeg and pick the video stream, mapping failures to MediaErrors."""
        try:
            container = av.open(
                self.path, "r", metadata_errors="replace",
                # plain local files only: a playlist must not make us read URLs
                options={"protocol_whitelist": "file"},
            )
        except FileNotFoundError as exc:
            raise MediaNotFoundError(self.path, detail=str(exc)) from None
        except PermissionError as exc:
            raise MediaAccessError(self.path, detail=str(exc)) from None
        except Exception as exc:
            if _looks_like_video_container(head):
                raise UnreadableVideoError(self.path, detail=repr(exc)) from None
            raise NotAVideoError(self.path, detail=repr(exc)) from None
        try:
            fmt = str(getattr(container.format, "name", "") or "")
            if fmt in _TEXT_DEMUXERS:
                raise NotAVideoError(self.path, detail=f"FFmpeg demuxer {fmt!r} (text)")
            candidates = [
                s for s in container.streams.video
                if not (int(s.disposition) & int(av.stream.Disposition.attached_pic))
            ]
            if not candidates:
                if container.streams.audio:
                    raise NotAVideoError.audio_only(self.path, detail=f"format {fmt!r}")
                raise NotAVideoError(self.path, detail=f"format {fmt!r} has no video stream")
            stream = next((s for s in candidates if s.codec_context is not None), None)
            if stream is None:
                raise UnsupportedMediaError(self.path, detail="no decoder for the video codec")
            self._image_demuxer = fmt == "image2" or fmt.endswith("_pipe")
        except BaseException:
            container.close()
            raise
        return container, stream

    def _start(self, head: bytes = b"") -> None:
        """(Re)open the container and decode the first frame."""
        self._close_container()
        container, stream = self._open_container(head)
        self._container, self._stream = container, stream
        try:
            cc = stream.codec_context
            if (cc.width or 0) > MAX_SIDE_PIXELS or (cc.height or 0) > MAX_SIDE_PIXELS or (
                    (cc.width or 0) * (cc.height or 0) > MAX_PIXELS):
                raise UnsupportedMediaError(
                    self.path, f"The video '{self._name}' has pictures too large to analyse.")
            with contextlib.suppress(Exception):
                stream.thread_type = "AUTO"  # frame + slice threads: much faster on 4K
            self._error_detail = None
            self._broken = False
            self._raw = self._decode_packets()
            self._first = next(self._raw, None)
        except BaseException:
            self._close_container()
            raise
        if self._first is None:
            self._close_container()
            if self._image_demuxer:  # FFmpeg also sees a photo, a broken one
                raise UnreadableImageError(self.path, detail=self._error_detail)
            raise UnreadableVideoError(self.path, detail=self._error_detail)
        self._fresh = True

    def _open_video(self, head: bytes) -> MediaInfo:
        self._start(head)
        stream, container, first = self._stream, self._container, self._first
        assert first is not None
        try:
            info = self._video_info(stream, container, first)
            self._convert(first)  # an unconvertible pixel format should fail now, not later
            return info
        except MediaError:
            self.close()
            raise
        except Exception as exc:
            self.close()
            raise UnsupportedMediaError(self.path, detail=repr(exc)) from None

    def _video_info(self, stream: Any, container: Any, first: av.VideoFrame) -> MediaInfo:
        width, height = int(first.width), int(first.height)
        if width <= 0 or height <= 0 or width > MAX_SIDE_PIXELS or height > MAX_SIDE_PIXELS \
                or width * height > MAX_PIXELS:
            raise UnsupportedMediaError(
                self.path, f"The video '{self._name}' has pictures too large to analyse.")
        self._orientation, note = _frame_orientation(first, stream)
        if note:
            self._warn(f"The video '{self._name}' asks for an unusual rotation, "
                       "so it is analysed as stored.")
        # Non-square pixels (anamorphic recordings): stretch to what a player shows,
        # otherwise joint angles would be distorted.
        display_w = width
        sar = getattr(stream, "sample_aspect_ratio", None) or getattr(
            stream.codec_context, "sample_aspect_ratio", None)
        try:
            sar_f = float(sar) if sar else 1.0
        except (TypeError, ValueError, ZeroDivisionError):
            sar_f = 1.0
        if 0.25 <= sar_f <= 4.0 and abs(sar_f - 1.0) > 0.01:
            display_w = max(1, round(width * sar_f))
        target_w, target_h = _fit(display_w, height, self.max_side)
        self._target = (target_w, target_h)
        out_w, out_h = (target_h, target_w) if self._orientation.transpose else (target_w, target_h)

        if self._image_demuxer:
            return MediaInfo(self.path, "image", 0.0, 1, out_w, out_h, 0.0,
                             self._orientation.clockwise_degrees, False,
                             self._orientation.mirrored)

        fps = _plausible_fps(stream.average_rate) or _plausible_fps(stream.guessed_rate)
        fps_estimated = False
        if fps is None:
            stamped = self._fps_from_timestamps()
            fps = _plausible_fps(stamped)
            if fps is None:
                fps, fps_estimated = DEFAULT_FPS, True
                # No time axis at all, or frames microseconds (or days) apart: the
                # stamps would make every movement absurdly fast (or slow).
                self._even_times = stamped is None or not (
                    MIN_TIMESTAMP_FPS <= stamped <= MAX_PLAUSIBLE_FPS)
                if stamped is not None and self._even_times:
                    self._warn(f"The video '{self._name}' gives an impossible frame rate "
                               f"({stamped:.3g} per second), so {DEFAULT_FPS:g} frames per "
                               "second were assumed.")
                else:
                    self._warn(f"The video '{self._name}' does not say how many frames per "
                               f"second it has, so {DEFAULT_FPS:g} was assumed.")

        duration = 0.0
        if stream.duration and stream.time_base:
            duration = float(stream.duration * stream.time_base)
        elif container.duration:
            duration = container.duration / 1_000_000
        if not math.isfinite(duration) or duration < 0:
            duration = 0.0
        self._header_frames = max(int(stream.frames or 0), 0)
        if self._even_times:  # the stated duration comes from the same nonsense clock
            duration = 0.0
        frames = self._header_frames or (round(duration * fps) if duration else 0)
        if not duration and frames:
            duration = frames / fps
        return MediaInfo(self.path, "video", fps, frames, out_w, out_h, duration,
                         self._orientation.clockwise_degrees, fps_estimated,
                         self._orientation.mirrored)

    def _fps_from_timestamps(self) -> float | None:
        """Frame rate from the median spacing of the first packets' timestamps.

        No decoding, separate handle.  The rate is returned as found (it may be
        implausible); None when the stamps give no spacing at all.
        """
        try:
            with av.open(self.path, "r", metadata_errors="replace",
                         options={"protocol_whitelist": "file"}) as probe:
                stream = probe.streams[self._stream.index]
                base = stream.time_base
                stamps = []
                for packet in probe.demux(stream):
                    if packet.pts is not None:
                        stamps.append(packet.pts)
                    if len(stamps) >= FPS_PROBE_PACKETS:
                        break
        except Exception:
            return None
        stamps.sort()
        deltas = [b - a for a, b in itertools.pairwise(stamps) if b > a]
        if not deltas or not base:
            return None
        try:
            rate = 1.0 / float(statistics.median(deltas) * base)
        except (ZeroDivisionError, OverflowError, ValueError):
            return None
        return rate if math.isfinite(rate) and rate > 0 else None

    # ------------------------------------------------------------------ decoding

    def _decode_packets(self) -> Iterator[av.VideoFrame]:
        """Decoded frames, surviving bad packets and stopping cleanly where the file breaks."""
        container, stream = self._container, self._stream
        packets = container.demux(stream)
        bad_in_a_row = 0
        while True:
            try:
                packet = next(packets)
            except StopIteration:
                break
            except Exception as exc:  # the demuxer gave up: cut-off or corrupt file
                self._error_detail = repr(exc)
                self._broken = True
                break
            try:
                frames = stream.decode(packet)
            except Exception as exc:  # one damaged packet: skip it, the next keyframe heals
                self._error_detail = repr(exc)
                self._broken = True
                bad_in_a_row += 1
                if bad_in_a_row >= MAX_CONSECUTIVE_BAD_PACKETS:
                    break
                continue
            bad_in_a_row = 0
            yield from frames
        # drain frames still inside the decoder (also after an early stop)
        with contextlib.suppress(Exception):
            yield from stream.decode(None)

    def _convert(self, vf: av.VideoFrame) -> np.ndarray:
        """Upright RGB at the fixed output size (also absorbs mid-stream size changes)."""
        kwargs: dict[str, Any] = {"format": "rgb24"}
        tw, th = self._target
        if (vf.width, vf.height) != (tw, th):
            kwargs.update(width=tw, height=th, interpolation="AREA")
        rng = int(getattr(vf, "color_range", 0) or 0)
        if rng in (1, 2):  # MPEG (limited) / JPEG (full): phones often record full range
            kwargs["src_color_range"] = rng
        rgb = self._reformatter.reformat(vf, **kwargs).to_ndarray()
        return np.ascontiguousarray(self._orientation.apply(rgb))

    def __iter__(self) -> Iterator[Frame]:
        if self._image is not None:
            self.frames_read = 1
            yield Frame(0, 0.0, self._image)
            return
        if not self._fresh:
            self._start()
        self._fresh = False
        self.truncated = False
        self.frames_read = 0
        raw, first = self._raw, self._first
        self._first = None
        assert raw is not None and first is not None
        yield from self._frames(first, raw)

    def _frames(self, first: av.VideoFrame, raw: Iterator[av.VideoFrame]) -> Iterator[Frame]:
        fps = self.info.fps or DEFAULT_FPS
        step = 1.0 / fps
        t0: float | None = None
        prev: float | None = None
        repaired = False
        index = 0
        pending: av.VideoFrame | None = first
        while True:
            if pending is not None:
                vf, pending = pending, None
            else:
                try:
                    vf = next(raw)
                except StopIteration:
                    break
                except Exception as exc:  # belt and braces: never leak a decoder error
                    self._error_detail = repr(exc)
                    self._broken = True
                    break
            try:
                image = self._convert(vf)
                stamp = vf.time
            except Exception as exc:
                self._error_detail = repr(exc)
                self._broken = True
                continue
            if self._even_times:
                t = index * step
            elif stamp is None or not math.isfinite(stamp):
                t = 0.0 if prev is None else prev + step
            else:
                if t0 is None:
                    t0 = stamp - (0.0 if prev is None else prev + step)
                t = stamp - t0
                if prev is not None and t <= prev:  # duplicate / out-of-order stamps
                    t, repaired = prev + step, True
            prev = t
            self.frames_read = index + 1
            yield Frame(index, t, image)
            index += 1
            if self._image_demuxer:
                break
        self._close_container()
        if repaired:
            self._warn(f"Some frames in '{self._name}' had out-of-order time stamps, "
                       "so their times were estimated.")
        # Judge completeness by time, not by count: some containers count
        # "repeat previous frame" placeholders (OpenCV-written AVI) as frames.
        expected, duration = self._header_frames, self.info.duration_s
        end = (prev if prev is not None else 0.0) + step
        if duration > 0:
            short = end < duration * 0.95 - step
        else:
            short = bool(expected) and index < expected * 0.95 - 1
        self.truncated = short or self._broken
        if short:
            reached = f"at {end:.1f} s of its {duration:.1f} s" if duration > 0 else (
                f"after {index} of its {expected} frames")
            self._warn(f"The video '{self._name}' ended early ({reached}), probably because "
                       "the file is incomplete, so only the part before that was analysed.")
        elif self._broken:
            self._warn(f"Part of the video '{self._name}' was damaged and was skipped.")

    def _warn(self, sentence: str) -> None:
        if sentence not in self.warnings:
            self.warnings.append(sentence)

    # ------------------------------------------------------------------ lifetime

    def _close_container(self) -> None:
        raw, self._raw = self._raw, None
        if raw is not None and hasattr(raw, "close"):
            with contextlib.suppress(Exception):
                raw.close()
        container, self._container = self._container, None
        self._first = None
        if container is not None:
            with contextlib.suppress(Exception):
                container.close()

    def close(self) -> None:
        """Release the decoder and file handle (safe to call more than once)."""
        self._close_container()
        self._fresh = False

    def __enter__(self) -> MediaSource:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<MediaSource {self.info!r}>"


def open_media(path: str | os.PathLike[str], max_side: int | None = None) -> MediaSource:
    """Open a video or photo for streaming, recognised by content, not extension.

    ``max_side`` shrinks frames whose longer side exceeds it (aspect kept),
    which makes 4K phone clips far cheaper to analyse.  Raises a
    :class:`~posture.errors.MediaError` subclass, with a sentence fit for a
    patient, when the file cannot deliver a single frame.
    """
    return MediaSource(path, max_side)


def iter_frames(path: str | os.PathLike[str], max_side: int | None = None) -> Iterator[Frame]:
    """Frames of ``path``, closing the file when the loop ends or is abandoned."""
    with open_media(path, max_side) as source:
        yield from source


__all__ = [
    "DEFAULT_FPS",
    "IMAGE_EXTENSIONS",
    "VIDEO_EXTENSIONS",
    "Frame",
    "MediaInfo",
    "MediaSource",
    "iter_frames",
    "open_media",
]
