"""Bad input, one table: every kind of file a person may hand ``posture analyze``.

Each row builds one input at test time (from the shipped sample clip and photo,
see media_factory.py), runs the real CLI in-process and states the outcome:

* exit 2 and exactly one sentence on stderr that names the file and says what
  is wrong (``says``), nothing written; or
* exit 0 and what must hold of the analysis (``check``), e.g. a phone clip
  with 90° rotation metadata is analysed upright: the same views and angles as
  the clip stored upright.

Every row also checks that no traceback is printed, that no temporary file is
left behind (``tempfile``'s folder is a fresh one per test and must be empty
afterwards) and that the output folder holds no half-written file.  One
subprocess run proves the same for the installed entry point, where stray C
library logging would show up on stderr.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import REPO, SAMPLE_VIDEOS
from media_factory import (
    FFMPEG,
    ffmpeg,
    frames_of,
    mjpeg_avi,
    noise_frames,
    patch_avi_rate,
    png_bomb,
    scramble_video_packets,
    write_audio,
    write_image,
    write_video,
)

from posture.cli import main
from posture.errors import display_name

SOURCE = SAMPLE_VIDEOS / "synthetic" / "13_squat_good_side_left.mp4"  # side view, 15 fps
PHOTO = SAMPLE_VIDEOS / "stills" / "hunchback.jpg"  # a person sitting, side view
N = 12  # frames per clip: enough for the person gate (3 frames) and cheap to analyse
VFR_MS = (0, 40, 110, 150, 230, 260, 330, 400, 430, 520, 560, 600)  # irregular, like a phone


@dataclass(frozen=True)
class Assets:
    """Built once per module: the source frames and the clip stored upright."""

    frames: list[np.ndarray]  # N RGB frames, 640×480
    base: Path  # those frames as H.264 at 15 fps
    photo: np.ndarray  # the photo, OpenCV BGR


@dataclass(frozen=True)
class Input:
    media: Path
    args: tuple[str, ...] = ()
    named: str | None = None  # the file the sentence must name (default: media)


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str
    report: dict
    out_dir: Path
    media: Path


@dataclass(frozen=True)
class Row:
    id: str
    build: Callable[[Path, Assets], Input]
    code: int  # 0 analysed, 2 refused with a sentence
    says: str = ""  # exit 2: part of the sentence; exit 0: part of a note on stderr
    check: Callable[[Outcome, dict], None] | None = None  # exit 0: what must hold
    args: tuple[str, ...] = ("--no-video",)
    needs: tuple[str, ...] = field(default=())  # "ffmpeg", "not-root"


# --------------------------------------------------------------------------- builders


def _media(name: str, make: Callable[[Path, Assets], object]) -> Callable[[Path, Assets], Input]:
    def build(folder: Path, a: Assets) -> Input:
        path = folder / name
        make(path, a)
        return Input(path)
    return build


def _copy_base(path: Path, a: Assets) -> None:
    path.write_bytes(a.base.read_bytes())


def _truncated(keep: float, faststart: bool) -> Callable[[Path, Assets], None]:
    def make(path: Path, a: Assets) -> None:
        full = write_video(path.with_name("full.mp4"), a.frames, fps=15, faststart=faststart)
        data = full.read_bytes()
        full.unlink()
        path.write_bytes(data[: int(len(data) * keep)] if keep < 1 else data[:1024])
    return make


def _phone(path: Path, a: Assets) -> None:
    """Stored landscape-turned (sensor orientation) with a display matrix, like a phone."""
    stored = [np.ascontiguousarray(np.rot90(f, k=-1)) for f in a.frames]
    write_video(path, stored, fps=15, rotation=(90, False, False))


def _resized(size: tuple[int, int]) -> Callable[[Path, Assets], None]:
    def make(path: Path, a: Assets) -> None:
        write_video(path, [cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in a.frames],
                    fps=15)
    return make


def _four_k(path: Path, a: Assets) -> None:
    """3840×2160: the 4:3 picture scaled to 2160 rows, grey bars left and right
    (stretching it would change the person's proportions and so the angles)."""
    def pad(f: np.ndarray) -> np.ndarray:
        big = cv2.resize(f, (2880, 2160), interpolation=cv2.INTER_LINEAR)
        return cv2.copyMakeBorder(big, 0, 0, 480, 480, cv2.BORDER_CONSTANT, value=(128,) * 3)
    write_video(path, [pad(f) for f in a.frames], fps=15,
                encoder_options={"preset": "ultrafast"})


def _avi_rate(scale: int, rate: int) -> Callable[[Path, Assets], None]:
    def make(path: Path, a: Assets) -> None:
        small = [cv2.resize(f, (320, 240), interpolation=cv2.INTER_AREA) for f in a.frames]
        patch_avi_rate(mjpeg_avi(path, small, fps=15), scale, rate)
    return make


def _photo_as(ext: str, convert: Callable[[np.ndarray], np.ndarray] = lambda x: x
              ) -> Callable[[Path, Assets], None]:
    def make(path: Path, a: Assets) -> None:
        write_image(path, convert(a.photo), ext)
    return make


def _grey(bgr: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)


def _rgba(bgr: np.ndarray) -> np.ndarray:
    """Opaque picture in a half-transparent frame 20 px wide."""
    bgra = cv2.cvtColor(bgr, cv2.COLOR_BGR2BGRA)
    bgra[:20, :, 3] = bgra[-20:, :, 3] = bgra[:, :20, 3] = bgra[:, -20:, 3] = 90
    return bgra


def _cover_art_mp3(path: Path, a: Assets) -> None:
    cover = write_image(path.with_name("cover.png"), a.photo[:64, :64])
    sound = write_audio(path.with_name("tone.wav"), codec="pcm_s16le")
    ffmpeg("-i", str(sound), "-i", str(cover), "-map", "0", "-map", "1", "-c:a", "libmp3lame",
           "-c:v", "png", "-disposition:v", "attached_pic", str(path))
    cover.unlink()
    sound.unlink()


def _with_profile(text: str | None, name: str = "my rules.toml") -> Callable[[Path, Assets], Input]:
    """The good clip with a rule profile that has a mistake (or is a folder)."""
    def build(folder: Path, a: Assets) -> Input:
        media = folder / "clip.mp4"
        _copy_base(media, a)
        profile = folder / name
        if text is None:
            profile.mkdir()
        else:
            profile.write_text(text, encoding="utf-8")
        return Input(media, ("--profile", str(profile)), named=name)
    return build


def _undecodable_name(folder: Path, a: Assets) -> Input:
    path = folder / os.fsdecode(b"clip \xff\xfe.mp4")  # Linux allows any bytes in a name
    _copy_base(path, a)
    return Input(path)


# --------------------------------------------------------------------------- checks


def _same_analysis_as_upright(tolerance_deg: float) -> Callable[[Outcome, dict], None]:
    """Same frames, views and angles as the clip stored upright (the reference)."""
    def check(o: Outcome, reference: dict) -> None:
        frames, ref = o.report["frames"], reference["frames"]
        assert len(frames) == len(ref) == N
        assert [f["t"] for f in frames] == pytest.approx([f["t"] for f in ref], abs=1e-3)
        both = [(f, r) for f, r in zip(frames, ref, strict=True) if f["detected"] and r["detected"]]
        assert len(both) >= N - 4, [f["detected"] for f in frames]
        for f, r in both:
            assert f["view"] == r["view"]
            for name, value in f["angles"].items():
                if value is not None and r["angles"][name] is not None:
                    assert value == pytest.approx(r["angles"][name], abs=tolerance_deg), name
    return check


def _upright_size(w: int, h: int) -> Callable[[Outcome, dict], None]:
    def check(o: Outcome, reference: dict) -> None:
        video = o.report["video"]
        assert (video["width"], video["height"]) == (w, h)
    return check


def _both(*checks: Callable[[Outcome, dict], None]) -> Callable[[Outcome, dict], None]:
    def check(o: Outcome, reference: dict) -> None:
        for c in checks:
            c(o, reference)
    return check


def _person_or_sentence(o: Outcome, reference: dict) -> None:
    """Analysed; if no person can be found at this size, the CLI says so plainly."""
    detected = [f["detected"] for f in o.report["frames"]]
    assert len(detected) == N
    if not any(detected):
        assert f"No person was found in {o.media.name}" in o.err


def _no_person_sentence(o: Outcome, reference: dict) -> None:
    assert not any(f["detected"] for f in o.report["frames"])
    assert f"No person was found in {o.media.name}: check that the whole body" in o.err


def _photo_with_person(o: Outcome, reference: dict) -> None:
    assert o.report["video"]["frames"] == 1 and len(o.report["frames"]) == 1
    assert o.report["frames"][0]["detected"]


def _times(expected_s: list[float], fps: float | None = None) -> Callable[[Outcome, dict], None]:
    def check(o: Outcome, reference: dict) -> None:
        assert [f["t"] for f in o.report["frames"]] == pytest.approx(expected_s, abs=2e-3)
        if fps is not None:
            assert o.report["video"]["fps"] == pytest.approx(fps)
        assert sum(f["detected"] for f in o.report["frames"]) >= len(expected_s) - 4
    return check


def _analysed_frames(n_min: int, n_max: int) -> Callable[[Outcome, dict], None]:
    def check(o: Outcome, reference: dict) -> None:
        assert n_min <= len(o.report["frames"]) <= n_max
    return check


def _named_in_summary(o: Outcome, reference: dict) -> None:
    assert f"frames of {o.media.name} (" in o.out
    assert o.report["video"]["path"] == str(o.media)
    assert len(o.report["frames"]) == N


def _photo_written(o: Outcome, reference: dict) -> None:
    _photo_with_person(o, reference)
    assert (o.out_dir / "annotated.png").stat().st_size > 10_000
    assert not (o.out_dir / "annotated.mp4").exists()


def _video_written(o: Outcome, reference: dict) -> None:
    assert len(o.report["frames"]) == N
    assert (o.out_dir / "annotated.mp4").stat().st_size > 1_000


def _report_only(o: Outcome, reference: dict) -> None:
    assert o.report["frames"]


# --------------------------------------------------------------------------- the matrix

EVEN_15 = [i / 15 for i in range(N)]
EVEN_25 = [i / 25 for i in range(N)]
EVEN_30 = [i / 30 for i in range(N)]
BAD_RULE = ('extends = "default"\n[[rules]]\nid = "sitting.neck_inclination"\n'
            "caution = 40.0\npoor = 30.0\n")

ROWS: list[Row] = [
    # ---- refused: exit 2, one sentence naming the file
    Row("zero-byte", _media("empty.mp4", lambda p, a: p.touch()), 2, "is empty"),
    Row("random bytes named .mp4",
        _media("random.mp4", lambda p, a: p.write_bytes(
            np.random.default_rng(7).integers(0, 256, 50_000, dtype=np.uint8).tobytes())),
        2, "is not a video or photo"),
    Row("text file", _media("notes.txt", lambda p, a: p.write_text(
        "Squat 3x8 at 60 kg. Knees felt fine.\n" * 40)), 2, "is not a video or photo"),
    Row("text named .mp4", _media("notes.mp4", lambda p, a: p.write_text("hello\n" * 40)),
        2, "is not a video or photo"),
    Row("truncated mp4 (index at end, 40 % kept)", _media("cut short.mp4",
        _truncated(0.4, faststart=False)), 2, "damaged or incomplete"),
    Row("truncated mp4 (first 1 KB)", _media("cut.mp4", _truncated(2, faststart=True)),
        2, "damaged or incomplete"),
    Row("audio only (AAC named .mp4)", _media("voice memo.mp4",
        lambda p, a: write_audio(p, "aac")), 2, "does not contain a video stream, only sound"),
    Row("audio only (WAV named .mp4)", _media("voice.mp4",
        lambda p, a: write_audio(p, "pcm_s16le")), 2, "only sound"),
    Row("audio with cover art (mp3)", _media("song.mp3", _cover_art_mp3), 2, "only sound",
        needs=("ffmpeg",)),
    Row("no readable frames (video packets are noise)", _media("scrambled.mp4",
        lambda p, a: scramble_video_packets(a.base, p)), 2,
        "none of its pictures could be read"),
    Row("truncated photo", _media("cut photo.png", lambda p, a: p.write_bytes(
        write_image(p.with_name("full.png"), a.photo).read_bytes()[:3000])),
        2, "photo 'cut photo.png' seems to be damaged"),
    Row("decompression bomb (48 KB PNG of 20000×20000)", _media("bomb.png",
        lambda p, a: png_bomb(p, 20_000, 20_000)), 2, "too large to analyse"),
    Row("missing file", lambda f, a: Input(f / "no such clip.mp4"), 2, "could not be found"),
    Row("folder instead of a file", _media("videos", lambda p, a: p.mkdir()), 2,
        "is a folder"),
    Row("unreadable (no permission)", _media("locked.mp4", lambda p, a: (
        _copy_base(p, a), p.chmod(0))), 2, "permission to read it was refused",
        needs=("not-root",)),
    Row("non-ASCII name, empty", _media("患者 録画.mp4", lambda p, a: p.touch()), 2, "is empty"),
    Row("profile with bands out of order", _with_profile(BAD_RULE), 2,
        "rule profile 'my rules.toml' cannot be used: rule 'sitting.neck_inclination': "
        "bands out of order"),
    Row("profile that is not TOML", _with_profile("[[rules]\nid = 1\n", "bad.toml"), 2,
        "rule profile 'bad.toml' cannot be used: not valid TOML"),
    Row("profile that is a folder", _with_profile(None, "rules.toml"), 2, "is a folder"),
    # ---- analysed: exit 0, and what must hold
    Row("phone clip, 90° display matrix: analysed upright", _media("phone.mp4", _phone), 0,
        check=_both(_upright_size(640, 480), _same_analysis_as_upright(3.0))),
    Row("4K frames (3840×2160)", _media("4k.mp4", _four_k), 0,
        check=_both(_upright_size(3840, 2160), _same_analysis_as_upright(3.0))),
    Row("tiny frames (160×120)", _media("tiny.mp4", _resized((160, 120))), 0,
        check=_person_or_sentence),
    Row("far too small for a person (16×12)", _media("stamp.mp4", _resized((16, 12))), 0,
        check=_no_person_sentence),
    Row("grayscale PNG", _media("grey.png", _photo_as(".png", _grey)), 0,
        check=_photo_with_person),
    Row("RGBA PNG with transparent edges", _media("alpha.png", _photo_as(".png", _rgba)), 0,
        check=_photo_with_person),
    Row("PNG named .mp4 (recognised by decoding)", _media("photo.mp4", _photo_as(".png")), 0,
        check=_photo_written, args=()),
    Row("video named .png (recognised by decoding)", _media("clip.png", _copy_base), 0,
        check=_video_written, args=()),
    Row("variable frame rate: real timestamps", _media("vfr.mp4", lambda p, a: write_video(
        p, a.frames, fps=25, pts_ms=VFR_MS)), 0, check=_times([t / 1000 for t in VFR_MS])),
    Row("AVI stating 0 fps (FFmpeg's 25 is used)", _media("zero rate.avi", _avi_rate(1, 0)), 0,
        check=_times(EVEN_25, fps=25.0)),
    Row("AVI stating 1 000 000 fps", _media("absurd.avi", _avi_rate(1, 1_000_000)), 0,
        says="gives an impossible frame rate", check=_times(EVEN_30, fps=30.0)),
    Row("AVI stating 1 frame per 11.6 days", _media("glacial.avi", _avi_rate(1_000_000, 1)), 0,
        says="gives an impossible frame rate", check=_times(EVEN_30, fps=30.0)),
    Row("truncated mp4 (index in front): the part before the cut", _media(
        "partial.mp4", _truncated(0.8, faststart=True)), 0, says="ended early",
        check=_analysed_frames(1, N - 1)),
    Row("name with spaces and accents", _media("séance été 1.mp4", _copy_base), 0,
        check=_named_in_summary),
    Row("name in Japanese", _media("患者 録画.mp4", _copy_base), 0, check=_named_in_summary),
    Row("name with bytes that are not UTF-8", _undecodable_name, 0, check=_report_only),
    Row("noise, no person", _media("static.mp4", lambda p, a: write_video(
        p, noise_frames(6, 160, 120), fps=15)), 0, check=_analysed_frames(6, 6)),
]


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def assets(tmp_path_factory: pytest.TempPathFactory) -> Assets:
    folder = tmp_path_factory.mktemp("assets")
    frames = frames_of(SOURCE, N)
    base = write_video(folder / "base.mp4", frames, fps=15)
    photo = cv2.imdecode(np.fromfile(str(PHOTO), np.uint8), cv2.IMREAD_COLOR)
    return Assets(frames, base, photo)


@pytest.fixture(scope="module")
def reference(assets: Assets, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The analysis of the clip stored upright, for the rotated and 4K rows."""
    out = tmp_path_factory.mktemp("reference")
    assert main(["analyze", str(assets.base), "--out", str(out), "--quiet", "--no-video"]) == 0
    report: dict = json.loads((out / "report.json").read_text())
    assert sum(f["detected"] for f in report["frames"]) >= N - 4
    return report


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty temporary folder for everything the run might create there."""
    folder = tmp_path / "tmpdir"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setenv("TMPDIR", str(folder))
    return folder


def one_sentence(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("posture: "), err
    text = lines[0].removeprefix("posture: ")
    assert text[0].isupper() and text.endswith("."), text
    return text


def assert_nothing_left(out: Path, private_tmp: Path) -> None:
    assert sorted(os.listdir(private_tmp)) == [], "temporary files left behind"
    if out.exists():
        partial = [p.name for p in out.iterdir()
                   if p.name.startswith(".") or ".part" in p.name or p.suffix == ".tmp"]
        assert partial == [], "half-written files left in the output folder"


# --------------------------------------------------------------------------- tests


def _skip_reason(row: Row) -> str | None:
    if "ffmpeg" in row.needs and FFMPEG is None:
        return "ffmpeg CLI not installed (apt-get install ffmpeg)"
    if "not-root" in row.needs and hasattr(os, "geteuid") and os.geteuid() == 0:
        return "running as root: file permissions do not apply"
    return None


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_bad_input_matrix(row: Row, assets: Assets, reference: dict, tmp_path: Path,
                          private_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reason = _skip_reason(row)
    if reason:
        pytest.skip(reason)
    folder = tmp_path / "in"
    folder.mkdir()
    given = row.build(folder, assets)
    out = tmp_path / "out"
    try:
        code = main(["analyze", str(given.media), "--out", str(out), "--quiet", *row.args,
                     *given.args])
    finally:
        if given.media.exists():
            given.media.chmod(0o644)
    cap = capsys.readouterr()
    assert "Traceback" not in cap.err + cap.out
    assert code == row.code, cap.err
    if row.code == 2:
        sentence = one_sentence(cap.err)
        assert f"'{given.named or display_name(given.media)}'" in sentence, sentence
        assert row.says in sentence, sentence
        assert cap.out == ""
        assert not out.exists() or list(out.iterdir()) == []
    else:
        assert row.says in cap.err, cap.err
        assert "posture:" not in cap.err, cap.err
        report = json.loads((out / "report.json").read_text(encoding="utf-8"))
        assert (out / "frames.csv").exists()
        assert row.check is not None
        row.check(Outcome(code, cap.out, cap.err, report, out, given.media), reference)
    assert_nothing_left(out, private_tmp)


def test_matrix_covers_the_issue() -> None:
    """Each input the issue lists has a row (the size limit is the app's upload widget)."""
    ids = " | ".join(r.id for r in ROWS)
    for words in ("zero-byte", "random bytes", "text file", "truncated mp4", "audio only",
                  "no readable frames", "0 fps", "1 000 000 fps", "variable frame rate",
                  "90°", "4K", "160×120", "grayscale", "RGBA", "spaces", "Japanese",
                  "recognised by decoding"):
        assert words in ids, words


def test_progress_bar_does_not_precede_the_sentence(tmp_path: Path, private_tmp: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """Without --quiet, a refused file still prints only its sentence (no empty bar)."""
    media = tmp_path / "notes.mp4"
    media.write_text("not a video\n" * 10)
    assert main(["analyze", str(media), "--out", str(tmp_path / "out")]) == 2
    one_sentence(capsys.readouterr().err)
    assert_nothing_left(tmp_path / "out", private_tmp)


def test_output_folder_that_is_a_file_is_one_sentence(assets: Assets, tmp_path: Path,
                                                       private_tmp: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    out = tmp_path / "results"
    out.write_text("I am a file")
    photo = write_image(tmp_path / "photo.png", assets.photo)
    assert main(["analyze", str(photo), "--out", str(out), "--quiet"]) == 1
    text = one_sentence(capsys.readouterr().err)
    assert "Could not write the results" in text and "'results'" in text
    assert_nothing_left(tmp_path / "nowhere", private_tmp)


def test_subprocess_stderr_is_exactly_the_sentence(assets: Assets, tmp_path: Path) -> None:
    """The real entry point in a fresh interpreter: FFmpeg opens the container, every
    packet fails to decode, and stderr still holds only the one sentence (no
    traceback, no decoder log lines); TMPDIR stays empty."""
    media = scramble_video_packets(assets.base, tmp_path / "séance été 1.mp4")
    tmp = tmp_path / "tmpdir"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp), "PYTHONPATH": str(REPO)}
    env.pop("POSTURE_DEBUG", None)
    proc = subprocess.run(
        [sys.executable, "-m", "posture.cli", "analyze", str(media), "--out",
         str(tmp_path / "out")],
        capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    sentence = one_sentence(proc.stderr)
    assert "'séance été 1.mp4'" in sentence and "none of its pictures" in sentence
    assert os.listdir(tmp) == []
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- very long clips


def _rss_bytes() -> int:
    """Resident memory now (not the high-water mark), Linux only."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _deep_size(root: object) -> tuple[int, int]:
    """(bytes, decoded pictures) of everything reachable from ``root``.

    Counts each object once (sys.getsizeof; numpy arrays include the data they
    own); classes, modules and functions are shared code, not data, and skipped.
    A "picture" is any uint8 array of two or more dimensions: nothing of the
    kind may be kept once a frame has been analysed.
    """
    import gc
    import types

    skip = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType,
            types.MethodType, types.CodeType)
    seen: set[int] = set()
    todo = [root]
    total = pictures = 0
    while todo:
        obj = todo.pop()
        if id(obj) in seen or isinstance(obj, skip):
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        if isinstance(obj, np.ndarray) and obj.dtype == np.uint8 and obj.ndim >= 2:
            pictures += 1
        todo.extend(gc.get_referents(obj))
    return total, pictures


@pytest.fixture(scope="module")
def long_clips(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """2.5 and 10 minutes of 64×48 video at 15 fps (2250 and 9000 frames)."""
    from media_factory import long_clip

    folder = tmp_path_factory.mktemp("long")
    return long_clip(folder / "150 s.mp4", 150), long_clip(folder / "600 s.mp4", 600)


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs Linux /proc")
def test_long_clip_streams_in_bounded_memory(long_clips: tuple[Path, Path]) -> None:
    """Ten minutes decode with the memory of one frame: the Python-side peak is the
    same for 2.5 and 10 minutes, and resident memory (FFmpeg's too) does not grow."""
    import tracemalloc

    from posture.video import open_media

    peaks = []
    for clip in long_clips:
        tracemalloc.start()
        try:
            with open_media(clip) as source:
                n = sum(1 for _ in source)
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
        assert n == round(15 * float(clip.stem.split()[0]))
    # one 64×48 RGB frame is 9 KB; keeping them would add 60+ MB to the longer pass
    assert abs(peaks[1] - peaks[0]) < 64 * 1024, peaks
    with open_media(long_clips[1]) as source:
        for frame in source:
            if frame.index == 1000:
                settled = _rss_bytes()
        grown = _rss_bytes() - settled
    assert grown < 16 * 2**20, f"resident memory grew {grown / 2**20:.1f} MB over 8000 frames"


def test_long_clip_analysis_keeps_records_not_pictures(long_clips: tuple[Path, Path],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """analyze_video keeps one small record per analysed frame (landmarks, metrics,
    verdicts) for the report, so its memory is O(frames) by design; this bounds
    the cost of a frame and checks no decoded picture is kept. The pose model is
    replaced by a synthetic pose (the model's cost is not the point here)."""
    from synthetic_pose import make_pose

    from posture.pipeline import AnalysisOptions, analyze_video

    class SyntheticPose:
        def __init__(self, model_complexity: int = 1, static_image: bool = False) -> None:
            pass

        def process(self, image_rgb: np.ndarray, t: float) -> object:
            return make_pose(t=t, trunk_lean=10.0 + 25.0 * float(np.sin(t / 3)))

        def close(self) -> None:
            pass

    monkeypatch.setattr("posture.frame_analyzer.MediaPipePose", SyntheticPose)
    options = AnalysisOptions(activity="sitting", analysis_fps=5.0)  # decodes every frame
    sizes, counts = [], []
    for clip in long_clips:
        analysis = analyze_video(clip, options)
        assert analysis.detected_fraction > 0.99
        size, pictures = _deep_size(analysis)
        assert pictures == 0
        sizes.append(size)
        counts.append(len(analysis.frames))
        del analysis
    assert counts == [750, 3000]
    per_frame = (sizes[1] - sizes[0]) / (counts[1] - counts[0])
    assert per_frame < 8 * 1024, f"{per_frame:.0f} bytes per analysed frame"
