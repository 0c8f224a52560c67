"""The ``posture`` CLI: outputs as documented, bad input as one sentence and exit code 2."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import av
import pytest
from conftest import SAMPLE_VIDEOS

from posture.cli import main
from posture.metrics import METRIC_NAMES, SCHEMA_ANGLES

CLIP = SAMPLE_VIDEOS / "synthetic" / "13_squat_good_side_left.mp4"
PHOTO = SAMPLE_VIDEOS / "stills" / "hunchback.jpg"


def _one_sentence(err: str) -> str:
    lines = [ln for ln in err.strip().splitlines() if ln.startswith("posture:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    text = lines[0].removeprefix("posture:").strip()
    assert text[0].isupper() and text.endswith("."), text
    return text


def _bad_files(tmp: Path) -> dict[str, Path]:
    files = {
        "zero-byte": tmp / "empty.mp4",
        "random bytes": tmp / "random.mp4",
        "text file": tmp / "notes.txt",
        "truncated mp4": tmp / "cut short.mp4",
    }
    files["zero-byte"].write_bytes(b"")
    files["random bytes"].write_bytes(bytes(range(256)) * 40)
    files["text file"].write_text("Patient notes: sit tall, move often.\n" * 20)
    data = CLIP.read_bytes()
    files["truncated mp4"].write_bytes(data[: len(data) // 50])
    return files


@pytest.mark.parametrize("kind", ["zero-byte", "random bytes", "text file", "truncated mp4",
                                  "missing"])
def test_bad_input_gives_exit_2_and_one_sentence(kind, tmp_path, capsys):
    files = _bad_files(tmp_path)
    media = files.get(kind, tmp_path / "no such clip.mp4")
    out = tmp_path / "out"
    code = main(["analyze", str(media), "--out", str(out), "--quiet"])
    assert code == 2
    text = _one_sentence(capsys.readouterr().err)
    assert media.name in text
    assert not (out / "report.json").exists()


def test_analyze_writes_report_csv_and_video(tmp_path, capsys):
    out = tmp_path / "results"
    assert main(["analyze", str(CLIP), "--activity", "lifting", "--out", str(out),
                 "--quiet"]) == 0
    assert "wrote" in capsys.readouterr().out
    report = json.loads((out / "report.json").read_text())
    assert report["schema_version"] == 1
    assert set(report) >= {"tool_version", "video", "activity", "frames", "events", "reps",
                           "summary"}
    assert report["activity"] == "lifting"
    assert report["video"]["frames"] == len(report["frames"]) == 88
    assert report["video"]["fps"] == pytest.approx(15.0)
    frame = report["frames"][40]
    assert set(frame) >= {"t", "detected", "view", "angles", "status"}
    assert set(frame["angles"]) == set(SCHEMA_ANGLES)
    assert frame["detected"] and frame["view"] == "side_left"
    assert all(isinstance(v, float) for v in frame["angles"].values())
    assert all(s in {"ok", "caution", "poor", "n/a"} for s in frame["status"].values())
    assert report["summary"]["detected_fraction"] > 0.95
    assert len(report["reps"]) == 3  # the clip's three labelled squats

    with (out / "frames.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 88
    assert set(METRIC_NAMES) <= set(rows[0])
    assert float(rows[40]["trunk_inclination_deg"]) == pytest.approx(
        frame["angles"]["trunk_inclination_deg"], abs=0.06)

    with av.open(str(out / "annotated.mp4")) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert sum(1 for _ in container.decode(stream)) == 88


def test_photo_gives_annotated_png(tmp_path):
    out = tmp_path / "photo"
    assert main(["analyze", str(PHOTO), "--activity", "sitting", "--out", str(out),
                 "--quiet"]) == 0
    report = json.loads((out / "report.json").read_text())
    assert len(report["frames"]) == 1 and report["frames"][0]["detected"]
    assert (out / "annotated.png").stat().st_size > 10_000


def test_implausible_height_is_a_sentence(tmp_path, capsys):
    assert main(["analyze", str(CLIP), "--height-cm", "1.72", "--out", str(tmp_path)]) == 2
    assert "centimetres" in _one_sentence(capsys.readouterr().err)


@pytest.mark.skipif(shutil.which("posture") is None and not (Path(sys.executable).parent /
                    "posture").exists(), reason="console script not installed")
def test_console_script_entry_point(tmp_path):
    exe = shutil.which("posture") or str(Path(sys.executable).parent / "posture")
    media = tmp_path / "bad.mp4"
    media.write_text("not a video")
    proc = subprocess.run([exe, "analyze", str(media), "--out", str(tmp_path / "o")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    _one_sentence(proc.stderr)
    assert subprocess.run([exe, "--version"], capture_output=True, text=True,
                          timeout=60).stdout.startswith("posture 0.1.0")


@pytest.mark.skipif(shutil.which("posture") is None and not (Path(sys.executable).parent /
                    "posture").exists(), reason="console script not installed")
def test_a_successful_run_prints_no_native_log_lines(tmp_path):
    """MediaPipe's C++ INFO/WARNING lines stay off the terminal; our summary stays on it."""
    exe = shutil.which("posture") or str(Path(sys.executable).parent / "posture")
    proc = subprocess.run([exe, "analyze", str(CLIP), "--out", str(tmp_path / "o"),
                           "--no-video", "--quiet", "--rate", "5"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "person detected" in proc.stdout
    assert proc.stderr == ""  # no "INFO: Created TensorFlow Lite…", no "W0000 …"


def test_a_front_view_squat_says_not_judged_and_why(tmp_path, capsys):
    """Never a silent score: the terminal names what the view could not show."""
    clip = SAMPLE_VIDEOS / "squat_front_bodyweight_outdoor_vertical_short.mp4"
    assert main(["analyze", str(clip), "--activity", "lifting", "--out", str(tmp_path),
                 "--no-video", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "Not judged; events: 0; reps: 1." in out
    assert "Score:" not in out
    assert "Shallow squat" in out and "needs the camera side-on" in out
    summary = json.loads((tmp_path / "report.json").read_text())["summary"]
    assert summary["score"] is None and summary["verdict"] == "not_judged"
