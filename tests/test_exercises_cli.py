"""`posture exercises` and `posture analyze CLIP --exercise KEY` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SAMPLE_VIDEOS

from posture.cli import main
from posture.exercises import load_library

STOOP = SAMPLE_VIDEOS / "synthetic" / "23_lift_stoop_side_right.mp4"
BACK_SQUAT = SAMPLE_VIDEOS / "squat_side_barbell_back_squat_gym_vertical.mp4"
OLD_KEYS = {"schema_version", "tool_version", "video", "activity", "frames", "events", "reps",
            "summary"}


def test_exercises_lists_the_library(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["exercises"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == len(load_library()) == 13
    bridge = next(line for line in lines if line.startswith("glute_bridge "))
    assert " reps " in bridge and "side-on" in bridge and "Lie on your back" in bridge
    assert any(line.startswith("side_plank ") and " hold " in line for line in lines)


def test_unknown_exercise_is_one_sentence_naming_the_known_ones(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["analyze", str(STOOP), "--exercise", "burpee", "--out", str(out),
                 "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "'burpee'" in err and "glute_bridge" in err and err.endswith(".")
    assert not (out / "report.json").exists()


def test_hip_hinge_on_a_stoop_clip_counts_the_rep(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", str(STOOP), "--exercise", "hip_hinge", "--out", str(tmp_path),
                 "--quiet", "--no-video", "--workers", "1"]) == 0
    stdout = capsys.readouterr().out
    assert "Hip hinge: 1 rep (ROM best" in stdout
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert set(report) >= OLD_KEYS
    assert report["activity"] == "exercise"
    ex = report["exercise"]
    assert ex["key"] == "hip_hinge" and ex["kind"] == "reps" and len(ex["reps"]) == 1
    rep = ex["reps"][0]
    assert rep["rom_reached"] is True and rep["rom_deg"] > 45
    assert rep["checks"][0]["rule"] == "hip_hinge.rom"
    assert report["summary"]["rep_count"] == 1
    assert report["frames"] and all("status" in f for f in report["frames"])


@pytest.mark.skipif(not BACK_SQUAT.exists(), reason="sample clip not present")
def test_split_squat_on_a_back_squat_says_what_it_saw(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", str(BACK_SQUAT), "--exercise", "split_squat", "--out",
                 str(tmp_path), "--quiet", "--no-video", "--workers", "1"]) == 0
    stdout = capsys.readouterr().out
    # Feet side by side is no split stance: nothing is counted, and the reason is named.
    assert "Split squat: nothing counted" in stdout and "stance length" in stdout
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["exercise"]["reps"] == [] and report["exercise"]["started_s"] is None
    assert report["summary"]["score"] is None
