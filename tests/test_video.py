"""posture.video: recognition by content, upright RGB frames, real timestamps,
and plain-sentence errors for every kind of bad input.

All media is generated in tmp_path at test time (see media_factory.py).
"""

from __future__ import annotations

import itertools
import os
import pickle
import re
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from media_factory import (
    FFMPEG,
    H264,
    corner_colours,
    ffmpeg,
    ffmpeg_first_frame,
    jpeg_with_orientation,
    marker_image,
    noise_frames,
    numbered_frames,
    write_audio,
    write_image,
    write_video,
)

from posture.errors import (
    EmptyFileError,
    MediaError,
    MediaNotFoundError,
    NotAVideoError,
    PostureError,
    UnreadableImageError,
    UnreadableVideoError,
    UnsupportedMediaError,
)
from posture.video import (
    Frame,
    MediaInfo,
    _declared_image_size,
    _orientation_from_display_matrix,
    _plausible_fps,
    iter_frames,
    open_media,
)

needs_ffmpeg = pytest.mark.skipif(FFMPEG is None, reason="ffmpeg CLI not installed "
                                  "(apt-get install ffmpeg); phone-style rotation check skipped")


def read_all(path: Path, **kw: object) -> tuple[MediaInfo, list[Frame], list[str], bool]:
    with open_media(path, **kw) as source:  # type: ignore[arg-type]
        frames = list(source)
        return source.info, frames, list(source.warnings), source.truncated


def assert_plain_sentence(err: BaseException, path: Path) -> None:
    """One readable sentence that names the file and hides the technical cause."""
    text = str(err)
    assert path.name in text
    assert "\n" not in text
    assert text.endswith(".")
    outside_name = text.replace(f"'{path.name}'", "NAME")
    assert not re.search(r"[.!?]\s", outside_name), text  # exactly one sentence
    for jargon in ("Errno", "Traceback", "av.", "FFmpeg", "cv2", "moov", "avcodec", "None"):
        assert jargon not in outside_name, text
    assert isinstance(err, MediaError)
    assert err.path == os.fspath(path)


def assert_good_frames(frames: list[Frame], width: int, height: int) -> None:
    assert [f.index for f in frames] == list(range(len(frames)))
    for f in frames:
        assert f.image.shape == (height, width, 3)
        assert f.image.dtype == np.uint8
        assert f.image.flags.c_contiguous
    times = [f.t for f in frames]
    assert times[0] == 0.0
    assert all(b > a for a, b in itertools.pairwise(times)), times


# --------------------------------------------------------------------------- videos


def test_constant_rate_mp4(tmp_path: Path) -> None:
    path = write_video(tmp_path / "clip.mp4", numbered_frames(15), fps=10)
    info, frames, warnings, truncated = read_all(path)
    assert info.kind == "video"
    assert (info.width, info.height) == (64, 48)
    assert info.fps == pytest.approx(10.0)
    assert not info.fps_estimated
    assert info.frames == 15
    assert info.duration_s == pytest.approx(1.5, abs=0.11)
    assert info.rotation == 0 and not info.mirrored
    assert len(frames) == 15
    assert_good_frames(frames, 64, 48)
    assert [f.t for f in frames] == pytest.approx([i / 10 for i in range(15)], abs=1e-3)
    # presentation order kept (B-frames reordered back): brightness rises frame by frame
    means = [float(f.image.mean()) for f in frames]
    assert means == pytest.approx([10 + 10 * i for i in range(15)], abs=4)
    assert warnings == [] and not truncated


def test_rgb_channel_order(tmp_path: Path) -> None:
    red = np.zeros((48, 64, 3), np.uint8)
    red[:, :] = (255, 0, 0)
    path = write_video(tmp_path / "red.mp4", [red] * 10)
    _, frames, _, _ = read_all(path)
    r, g, b = frames[0].image.reshape(-1, 3).mean(axis=0)
    assert r > 230 and g < 30 and b < 30


def test_cv2_videowriter_mjpeg_avi(tmp_path: Path) -> None:
    """OpenCV-written MJPEG AVI (full-range JPEG colour) decodes with the right colours."""
    path = tmp_path / "cam.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 12, (64, 48))
    assert writer.isOpened()
    for _ in range(12):
        writer.write(np.full((48, 64, 3), (0, 0, 255), np.uint8))  # BGR red
    writer.release()
    info, frames, _, _ = read_all(path)
    assert info.fps == pytest.approx(12.0)
    assert len(frames) == 12
    assert_good_frames(frames, 64, 48)
    r, g, b = frames[5].image.reshape(-1, 3).mean(axis=0)
    assert r > 230 and g < 30 and b < 30
    assert frames[-1].t == pytest.approx(11 / 12, abs=1e-3)


def test_variable_frame_rate_uses_real_timestamps(tmp_path: Path) -> None:
    pts = [0, 40, 70, 150, 160, 300, 333, 400, 500, 520, 610, 700]
    path = write_video(tmp_path / "vfr.mp4", numbered_frames(len(pts)), fps=25, pts_ms=pts)
    info, frames, _, _ = read_all(path)
    assert len(frames) == len(pts)
    assert_good_frames(frames, 64, 48)
    assert [f.t for f in frames] == pytest.approx([p / 1000 for p in pts], abs=2e-3)
    assert 5 < info.fps < 40 and not info.fps_estimated


def test_phone_rotation_via_pyav_display_matrix(tmp_path: Path) -> None:
    """Portrait phone clip stored landscape + display matrix comes out upright."""
    upright = marker_image(48, 64)  # portrait: 48 wide, 64 tall
    stored = np.rot90(upright, k=-1)  # sensor is landscape: stored turned clockwise
    path = write_video(tmp_path / "phone.mp4", [stored] * 10, rotation=(90, False, False))
    info, frames, _, _ = read_all(path)
    assert (info.width, info.height) == (48, 64)
    assert info.rotation == 270  # stored pixels were turned 90° counter-clockwise
    assert_good_frames(frames, 48, 64)
    assert corner_colours(frames[0].image) == {
        "tl": "red", "tr": "green", "bl": "grey", "br": "grey"}


@pytest.mark.parametrize(("ccw", "hflip", "vflip"), [
    (90, False, False), (-90, False, False), (180, False, False),
    (0, True, False), (0, False, True), (90, True, False), (-90, True, False),
])
def test_display_matrix_variants(tmp_path: Path, ccw: int, hflip: bool, vflip: bool) -> None:
    """Every display matrix PyAV can write is undone exactly as PyAV documents it:
    the player turns the stored picture ``ccw`` degrees counter-clockwise, then mirrors."""
    stored = marker_image(64, 48)
    expected = np.rot90(stored, k=ccw // 90)
    if hflip:
        expected = expected[:, ::-1]
    if vflip:
        expected = expected[::-1]
    path = write_video(tmp_path / "m.mp4", [stored] * 4, rotation=(ccw, hflip, vflip))
    info, frames, _, _ = read_all(path)
    assert frames[0].image.shape == expected.shape
    assert corner_colours(frames[0].image) == corner_colours(expected)
    assert info.mirrored == (hflip != vflip)


@needs_ffmpeg
def test_phone_rotation_written_by_ffmpeg_matches_ffmpeg_playback(tmp_path: Path) -> None:
    """A rotation tag written by the ffmpeg CLI; FFmpeg's own autorotated playback
    is the reference for what a person sees."""
    upright = marker_image(48, 64)
    base = write_video(tmp_path / "landscape.mp4", [np.rot90(upright, k=-1)] * 10)
    rotated = tmp_path / "phone ffmpeg.mp4"
    try:  # FFmpeg >= 6
        ffmpeg("-display_rotation", "90", "-i", str(base), "-c", "copy", str(rotated))
    except Exception:  # FFmpeg 5.x: the legacy rotate tag
        ffmpeg("-i", str(base), "-c", "copy", "-metadata:s:v:0", "rotate=90", str(rotated))
    reference = ffmpeg_first_frame(rotated, tmp_path / "ref.png")
    if reference.shape[:2] == (48, 64):
        pytest.skip("this ffmpeg build did not record the rotation")
    info, frames, _, _ = read_all(rotated)
    assert frames[0].image.shape == reference.shape == (64, 48, 3)
    assert (info.width, info.height) == (48, 64)
    assert corner_colours(frames[0].image) == corner_colours(reference)
    assert np.abs(frames[0].image.astype(int) - reference.astype(int)).mean() < 8
    assert corner_colours(frames[0].image)["tl"] == "red"


@needs_ffmpeg
def test_audio_with_cover_art_is_not_a_video(tmp_path: Path) -> None:
    """An MP3 with album art has an (attached picture) video stream: still just sound."""
    cover = write_image(tmp_path / "cover.png", np.zeros((32, 32, 3), np.uint8))
    sound = write_audio(tmp_path / "tone.wav", codec="pcm_s16le")
    path = tmp_path / "song.mp3"
    ffmpeg("-i", str(sound), "-i", str(cover), "-map", "0", "-map", "1", "-c:a", "libmp3lame",
           "-c:v", "png", "-disposition:v", "attached_pic", str(path))
    with pytest.raises(NotAVideoError) as caught:
        open_media(path)
    assert "does not contain a video stream" in str(caught.value)
    assert_plain_sentence(caught.value, path)


def test_max_side_downscales_keeping_aspect(tmp_path: Path) -> None:
    path = write_video(tmp_path / "big.mp4", numbered_frames(6, 160, 120))
    info, frames, _, _ = read_all(path, max_side=80)
    assert (info.width, info.height) == (80, 60)
    assert_good_frames(frames, 80, 60)
    info, frames, _, _ = read_all(path, max_side=1000)  # never enlarges
    assert (info.width, info.height) == (160, 120)


def test_max_side_applies_after_rotation(tmp_path: Path) -> None:
    stored = marker_image(160, 120)
    path = write_video(tmp_path / "rot.mp4", [stored] * 3, rotation=(90, False, False))
    info, frames, _, _ = read_all(path, max_side=80)
    assert (info.width, info.height) == (60, 80)
    assert_good_frames(frames, 60, 80)


def test_non_square_pixels_are_stretched_to_display_shape(tmp_path: Path) -> None:
    """Anamorphic clips (sample aspect ratio 2:1) come out as a player shows them,
    so angles measured on the picture are not distorted."""
    path = tmp_path / "anamorphic.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream(H264, rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.codec_context.sample_aspect_ratio = Fraction(2, 1)
        for image in numbered_frames(3):
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    info, frames, _, _ = read_all(path)
    assert (info.width, info.height) == (128, 48)
    assert_good_frames(frames, 128, 48)


def test_implausible_frame_rates_are_rejected() -> None:
    assert _plausible_fps(Fraction(30000, 1001)) == pytest.approx(29.97, abs=0.01)
    for nonsense in (None, 0, Fraction(90000, 1), float("nan"), float("inf"), 0.01):
        assert _plausible_fps(nonsense) is None


def test_frame_rate_fallbacks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_video(tmp_path / "rate.mp4", numbered_frames(12), fps=10)
    with open_media(path) as source:  # from packet timestamps when the header has no rate
        assert source._fps_from_timestamps() == pytest.approx(10.0)
    monkeypatch.setattr("posture.video._plausible_fps", lambda rate: None)
    info, frames, warnings, _ = read_all(path)  # nothing usable at all: assume 30, say so
    assert info.fps == 30.0 and info.fps_estimated
    assert any("frames per second" in w for w in warnings)
    assert [f.t for f in frames] == pytest.approx([i / 10 for i in range(12)], abs=1e-3)


def test_unicode_and_spaces_in_name(tmp_path: Path) -> None:
    path = write_video(tmp_path / "clip ü 名.mp4", numbered_frames(10))
    info, frames, _, _ = read_all(path)
    assert info.path == str(path)
    assert len(frames) == 10
    empty = tmp_path / "leer ü 名.mp4"
    empty.touch()
    with pytest.raises(EmptyFileError) as caught:
        open_media(empty)
    assert_plain_sentence(caught.value, empty)


def test_content_decides_not_extension(tmp_path: Path) -> None:
    video = write_video(tmp_path / "clip.mp4", numbered_frames(5)).rename(
        tmp_path / "actually_video.png")
    photo = write_image(tmp_path / "actually_photo.mp4", np.zeros((30, 40, 3), np.uint8))
    with open_media(video) as source:
        assert source.info.kind == "video"
    with open_media(photo) as source:
        assert source.info.kind == "image"
        assert source.info.width == 40


def test_iterating_twice_restarts_and_close_is_safe(tmp_path: Path) -> None:
    path = write_video(tmp_path / "twice.mp4", numbered_frames(8))
    with open_media(path) as source:
        first = [f.t for f in source]
        second = [f.t for f in source]
        assert first == second and len(first) == 8
        partial = iter(source)
        next(partial)  # abandon a pass half-way
    source.close()
    assert [f.index for f in iter_frames(path)] == list(range(8))


# --------------------------------------------------------------------------- photos


def test_grayscale_png(tmp_path: Path) -> None:
    grey = np.tile(np.arange(64, dtype=np.uint8) * 4, (48, 1))
    path = write_image(tmp_path / "grey.png", grey)
    info, frames, _, _ = read_all(path)
    assert info.kind == "image" and info.frames == 1 and info.fps == 0.0
    assert (info.width, info.height) == (64, 48)
    assert len(frames) == 1 and frames[0].t == 0.0
    img = frames[0].image
    assert img.shape == (48, 64, 3) and img.dtype == np.uint8
    assert np.array_equal(img[:, :, 0], grey) and np.array_equal(img[:, :, 2], grey)


def test_rgba_png_composited_over_white(tmp_path: Path) -> None:
    bgra = np.zeros((48, 64, 4), np.uint8)
    bgra[:, :32] = (0, 0, 255, 255)  # opaque red (BGRA) on the left
    bgra[:, 32:] = (0, 0, 0, 0)  # fully transparent (black underneath) on the right
    path = write_image(tmp_path / "alpha.png", bgra)
    _, frames, _, _ = read_all(path)
    img = frames[0].image
    assert img.shape == (48, 64, 3)
    assert tuple(img[10, 5]) == (255, 0, 0)
    assert tuple(img[10, 50]) == (255, 255, 255)


def test_16bit_png(tmp_path: Path) -> None:
    deep = np.full((20, 30), 0x8000, np.uint16)
    path = write_image(tmp_path / "deep.png", deep)
    _, frames, _, _ = read_all(path)
    assert frames[0].image.dtype == np.uint8
    assert int(frames[0].image[0, 0, 0]) == 0x80


def test_jpeg_colour_and_max_side(tmp_path: Path) -> None:
    bgr = np.zeros((120, 160, 3), np.uint8)
    bgr[:] = (0, 0, 255)
    path = write_image(tmp_path / "photo.jpg", bgr, ".jpg", [cv2.IMWRITE_JPEG_QUALITY, 95])
    info, frames, _, _ = read_all(path, max_side=40)
    assert (info.width, info.height) == (40, 30)
    r, g, b = frames[0].image.reshape(-1, 3).mean(axis=0)
    assert r > 240 and g < 15 and b < 15


@pytest.mark.parametrize("orientation", range(1, 9))
def test_jpeg_exif_orientation_matches_viewer(tmp_path: Path, orientation: int) -> None:
    """Phone photos store EXIF orientation; the result matches OpenCV's own
    EXIF-aware imread (what any photo viewer shows)."""
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(marker_image(64, 48), cv2.COLOR_RGB2BGR))
    assert ok
    path = tmp_path / f"exif{orientation}.jpg"
    path.write_bytes(jpeg_with_orientation(buf.tobytes(), orientation))
    viewer = cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    info, frames, _, _ = read_all(path)
    assert np.array_equal(frames[0].image, viewer)
    assert (info.width, info.height) == (viewer.shape[1], viewer.shape[0])
    assert info.mirrored == (orientation in (2, 4, 5, 7))


def test_truncated_png_is_unreadable_image(tmp_path: Path) -> None:
    full = write_image(tmp_path / "full.png", np.random.default_rng(1).integers(
        0, 256, (64, 64, 3), dtype=np.uint8))
    path = tmp_path / "cut.png"
    path.write_bytes(full.read_bytes()[:200])
    with pytest.raises(UnreadableImageError) as caught:
        open_media(path)
    assert_plain_sentence(caught.value, path)


# --------------------------------------------------------------------------- bad input


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.mp4"
    with pytest.raises(MediaNotFoundError) as caught:
        open_media(path)
    assert_plain_sentence(caught.value, path)


def test_folder_is_not_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "videos"
    folder.mkdir()
    with pytest.raises(MediaNotFoundError) as caught:
        open_media(folder)
    assert_plain_sentence(caught.value, folder)


def test_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.mp4"
    path.touch()
    with pytest.raises(EmptyFileError) as caught:
        open_media(path)
    assert_plain_sentence(caught.value, path)


@pytest.mark.parametrize("name", ["notes.txt", "notes.mp4", "notes.nfo"])
def test_text_file(tmp_path: Path, name: str) -> None:
    """Including .nfo, which FFmpeg would otherwise render as ANSI-art 'video'."""
    path = tmp_path / name
    path.write_text("Squat 3x8 at 60 kg.\nKnees felt fine.\n" * 20)
    with pytest.raises(NotAVideoError) as caught:
        open_media(path)
    assert_plain_sentence(caught.value, path)


def test_random_bytes_named_mp4(tmp_path: Path) -> None:
    path = tmp_path / "random.mp4"
    path.write_bytes(np.random.default_rng(7).integers(0, 256, 20_000, dtype=np.uint8).tobytes())
    with pytest.raises(NotAVideoError) as caught:
        open_media(path)
    assert_plain_sentence(caught.value, path)


@pytest.mark.parametrize(("name", "codec"), [("voice.m4a", "aac"), ("voice.mp4", "aac"),
                                             ("voice as wav.mp4", "pcm_s16le")])
def test_audio_only(tmp_path: Path, name: str, codec: str) -> None:
    path = write_audio(tmp_path / name, codec=codec)
    with pytest.raises(NotAVideoError) as caught:
        open_media(path)
    assert "does not contain a video stream" in str(caught.value)
    assert_plain_sentence(caught.value, path)


def test_truncated_mp4_without_index_is_unreadable(tmp_path: Path) -> None:
    """Index (moov) at the end, file cut at 40%: no frame can be found."""
    full = write_video(tmp_path / "full.mp4", noise_frames(20)).read_bytes()
    path = tmp_path / "cut40.mp4"
    path.write_bytes(full[: int(len(full) * 0.4)])
    with pytest.raises(UnreadableVideoError) as caught:
        open_media(path)
    assert_plain_sentence(caught.value, path)


def test_truncated_mp4_to_1kb_is_unreadable(tmp_path: Path) -> None:
    for faststart in (False, True):
        full = write_video(tmp_path / "full.mp4", noise_frames(20), faststart=faststart)
        path = tmp_path / f"cut1k {faststart}.mp4"
        path.write_bytes(full.read_bytes()[:1024])
        with pytest.raises(UnreadableVideoError) as caught:
            open_media(path)
        assert_plain_sentence(caught.value, path)


def test_truncated_mp4_yields_what_decodes(tmp_path: Path) -> None:
    """Index in front (faststart), data cut at 40%: the first frames come out, then a
    clean stop with a warning instead of an exception."""
    full = write_video(tmp_path / "full.mp4", noise_frames(20), faststart=True)
    path = tmp_path / "partial.mp4"
    path.write_bytes(full.read_bytes()[: int(full.stat().st_size * 0.4)])
    info, frames, warnings, truncated = read_all(path)
    assert info.frames == 20
    assert 1 <= len(frames) < 20
    assert_good_frames(frames, 160, 120)
    assert [f.t for f in frames] == pytest.approx([i / 10 for i in range(len(frames))], abs=1e-3)
    assert truncated
    assert len(warnings) == 1 and "partial.mp4" in warnings[0] and "ended early" in warnings[0]


def test_placeholder_frames_are_not_mistaken_for_truncation() -> None:
    """The shipped OpenCV-written AVI counts 444 frames in its header but stores 68
    pictures plus "repeat the previous one" placeholders over its full 29.6 s."""
    path = Path(__file__).resolve().parents[1] / "sample_videos" / "noperson_tree_opencv.avi"
    if not path.exists():
        pytest.skip("sample_videos/noperson_tree_opencv.avi is not in this checkout")
    info, frames, warnings, truncated = read_all(path)
    assert len(frames) == 68
    assert frames[-1].t == pytest.approx(info.duration_s, abs=0.1)
    assert not truncated and warnings == []


# --------------------------------------------------------------------------- errors


def test_error_hierarchy_and_pickling(tmp_path: Path) -> None:
    err = EmptyFileError(tmp_path / "a b.mp4", detail="st_size == 0")
    assert isinstance(err, MediaError) and isinstance(err, PostureError)
    clone = pickle.loads(pickle.dumps(err))
    assert type(clone) is EmptyFileError
    assert str(clone) == str(err) and clone.path == err.path and clone.detail == "st_size == 0"

    class NoPersonError(MediaError):  # how later modules extend the family
        template = "No person could be seen in '{name}'."

    assert str(NoPersonError("/x/clip.mp4")) == "No person could be seen in 'clip.mp4'."
    assert str(MediaError("/x/y.mp4", "Custom sentence.")) == "Custom sentence."


def test_display_matrix_decoding_matches_ffmpeg_conventions() -> None:
    def matrix(a: float, b: float, c: float, d: float) -> np.ndarray:
        m = np.zeros(9, np.int32)
        m[[0, 1, 3, 4]] = np.array([a, b, c, d]) * 65536
        m[8] = 1 << 30
        return m

    ccw90 = _orientation_from_display_matrix(matrix(0, -1, 1, 0))
    assert ccw90 is not None and ccw90.clockwise_degrees == 270 and not ccw90.mirrored
    cw90 = _orientation_from_display_matrix(matrix(0, 1, -1, 0))
    assert cw90 is not None and cw90.clockwise_degrees == 90
    identity = _orientation_from_display_matrix(matrix(1, 0, 0, 1))
    assert identity is not None and identity.clockwise_degrees == 0 and not identity.mirrored
    s = np.sin(np.radians(30)), np.cos(np.radians(30))
    assert _orientation_from_display_matrix(matrix(s[1], -s[0], s[0], s[1])) is None


# --------------------------------------------------------------------------- fuzzing


@pytest.fixture(scope="module")
def small_mp4(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    folder = tmp_path_factory.mktemp("fuzz")
    frames = [marker_image(64, 48), *noise_frames(9, 64, 48, seed=3)]
    return write_video(folder / "seed.mp4", frames, faststart=True).read_bytes()


@pytest.mark.timeout(300)
@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_mp4_never_escapes(small_mp4: bytes, tmp_path: Path, data: st.DataObject) -> None:
    """Corrupt bytes anywhere (header, index, picture data), optionally cut the file:
    opening and iterating either yields sane frames or raises a MediaError."""
    blob = bytearray(small_mp4)
    n = len(blob)
    # bias half the edits to the first 2 KB, where the container structure lives
    edits = data.draw(st.lists(st.tuples(
        st.one_of(st.integers(0, min(2047, n - 1)), st.integers(0, n - 1)),
        st.integers(0, 255)), min_size=1, max_size=12))
    for pos, value in edits:
        blob[pos] = value
    cut = data.draw(st.one_of(st.none(), st.integers(1, n)))
    if cut is not None:
        del blob[cut:]
    path = tmp_path / "mutant.mp4"
    path.write_bytes(bytes(blob))
    try:
        with open_media(path) as source:
            frames = list(source)
            info = source.info
    except MediaError as err:
        assert str(err).endswith(".") and "\n" not in str(err)
        return
    assert frames, "open_media succeeded, so at least one frame must come out"
    assert_good_frames(frames, info.width, info.height)


# ------------------------------------------------------------------------ found by the CLI matrix


def test_name_that_is_not_utf8_does_not_crash(tmp_path: Path) -> None:
    """Linux file names are bytes; OpenCV's file check killed the process (segfault)
    on names that are not valid UTF-8. Videos and photos under such names open."""
    video = write_video(tmp_path / os.fsdecode(b"clip \xff.mp4"), numbered_frames(4))
    info, frames, _, _ = read_all(video)
    assert info.kind == "video" and len(frames) == 4
    photo = write_image(tmp_path / os.fsdecode(b"photo \xfe.jpg"),
                        np.zeros((30, 40, 3), np.uint8), ".jpg")
    info, frames, _, _ = read_all(photo)
    assert info.kind == "image" and (info.width, info.height) == (40, 30)
    empty = tmp_path / os.fsdecode(b"empty \xff.png")
    empty.touch()
    with pytest.raises(EmptyFileError):
        open_media(empty)


def test_decompression_bomb_is_refused_before_decoding(tmp_path: Path) -> None:
    """48 KB of PNG that decodes to 400 million pixels (1.6 GB resident before the
    check moved in front of the decoder)."""
    import tracemalloc

    from media_factory import png_bomb

    path = png_bomb(tmp_path / "bomb.png", 20_000, 20_000)
    assert path.stat().st_size < 100_000
    tracemalloc.start()
    try:
        with pytest.raises(UnsupportedMediaError) as caught:
            open_media(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "too large to analyse" in str(caught.value)
    assert_plain_sentence(caught.value, path)
    assert peak < 20 * 2**20


@pytest.mark.parametrize("ext", [".png", ".jpg", ".bmp", ".webp"])
def test_declared_image_size_matches_the_picture(tmp_path: Path, ext: str) -> None:
    ok, buf = cv2.imencode(ext, np.zeros((37, 53, 3), np.uint8))
    assert ok
    assert _declared_image_size(buf.tobytes()) == (53, 37)
    assert _declared_image_size(b"GIF89a" + bytes(20)) is None
    assert _declared_image_size(b"\xff\xd8\xff") is None


@pytest.mark.parametrize(("scale", "rate"), [(1, 1_000_000), (1_000_000, 1)])
def test_impossible_frame_rate_spaces_frames_evenly(tmp_path: Path, scale: int, rate: int
                                                    ) -> None:
    """An AVI stating a million frames a second (or one per 11 days) has time stamps
    from the same nonsense clock: frames are spaced at 30 fps, and it says so."""
    from media_factory import mjpeg_avi, patch_avi_rate

    path = patch_avi_rate(mjpeg_avi(tmp_path / "odd.avi", numbered_frames(12)), scale, rate)
    info, frames, warnings, truncated = read_all(path)
    assert info.fps == 30.0 and info.fps_estimated
    assert info.duration_s == pytest.approx(12 / 30)
    assert [f.t for f in frames] == pytest.approx([i / 30 for i in range(12)])
    assert len(warnings) == 1 and "impossible frame rate" in warnings[0]
    assert not truncated
