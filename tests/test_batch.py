"""``posture batch``: inputs, the index, error sentences, resume, History, and Ray.

Three layers:

* pure functions (no Ray): inputs, names, the atomic result folders, the index,
  the store's batch table and its migration;
* the embedded runtime (a local Ray started in this process, once per module):
  verdicts equal to sequential ``analyze``, one pose estimator per worker reused
  across clips, a failing file's sentence, resume after an interruption;
* a real cluster on 127.0.0.1 (``ray start --head`` plus a second ``ray start
  --address``), the ``posture batch --cluster`` command run as a user would,
  the extra node killed mid-batch: every clip finishes exactly once, with
  results equal to sequential ``analyze``.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLE_VIDEOS

from posture.batch import (
    CLIP_FILE,
    INDEX_CSV,
    BatchError,
    BatchProgress,
    ClipOutcome,
    RayEngine,
    collect_inputs,
    commit_outcome,
    index_row,
    plan_names,
    run_batch,
    write_index,
)
from posture.cli import main
from posture.pipeline import AnalysisOptions, analyze_video
from posture.report import build_report
from posture.store import MIGRATIONS, HistoryStore

REPO = Path(__file__).resolve().parents[1]
SYN = SAMPLE_VIDEOS / "synthetic"
CLIPS = [SYN / "13_squat_good_side_left.mp4", SYN / "23_lift_stoop_side_right.mp4",
         SYN / "19_squat_knee_valgus_front.mp4"]
PHOTO = SAMPLE_VIDEOS / "stills" / "hunchback.jpg"
OPTIONS = AnalysisOptions(activity="lifting")


def _sequential(path: Path, options: AnalysisOptions = OPTIONS) -> dict[str, Any]:
    report = build_report(analyze_video(path, options), str(path))
    report["video"].pop("path")
    return report


def _batch_report(folder: Path) -> dict[str, Any]:
    report = json.loads((folder / "report.json").read_text())
    report["video"].pop("path")
    return report


def _assert_same_as_sequential(batch: dict[str, Any], seq: dict[str, Any]) -> None:
    # verdicts, reps and angles named explicitly, then everything else
    assert batch["summary"].get("verdict") == seq["summary"].get("verdict")
    assert batch["summary"].get("score") == seq["summary"].get("score")
    assert [(r["index"], r["verdict"], r["score"], r["style"]) for r in batch["reps"]] == \
        [(r["index"], r["verdict"], r["score"], r["style"]) for r in seq["reps"]]
    assert [f["angles"] for f in batch["frames"]] == [f["angles"] for f in seq["frames"]]
    assert [f["status"] for f in batch["frames"]] == [f["status"] for f in seq["frames"]]
    assert batch == seq


def _index(out: Path) -> list[dict[str, str]]:
    with open(out / INDEX_CSV, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# --------------------------------------------------------------------------- no Ray


def test_inputs_from_files_folders_and_patterns(tmp_path: Path) -> None:
    folder = tmp_path / "clinic"
    (folder / "week 2").mkdir(parents=True)
    (folder / ".hidden").mkdir()
    for rel in ("a.mp4", "week 2/b.MOV", "notes.txt", ".hidden/c.mp4", "d.jpg"):
        (folder / rel).write_bytes(b"x")
    found = collect_inputs([folder])
    assert [p.relative_to(folder).as_posix() for p in found] == ["a.mp4", "d.jpg", "week 2/b.MOV"]
    assert collect_inputs([str(folder / "*.mp4")]) == [folder / "a.mp4"]
    # an explicit file is tried whatever its suffix; a missing one becomes a failed row
    assert collect_inputs([folder / "notes.txt", folder / "gone.mp4", folder / "a.mp4",
                           folder]) == [folder / "notes.txt", folder / "gone.mp4",
                                        folder / "a.mp4", folder / "d.jpg",
                                        folder / "week 2" / "b.MOV"]
    with pytest.raises(BatchError, match=r"^No recordings were found in .*\.$"):
        collect_inputs([str(tmp_path / "nothing" / "*.mp4")])


def test_names_are_unique_and_stable(tmp_path: Path) -> None:
    a, b, c = tmp_path / "x" / "s1.mp4", tmp_path / "y" / "s1.mp4", tmp_path / "index.csv.mp4"
    names = plan_names([a, b, c])
    assert names[a] != names[b] and names[a].startswith("s1-") and names[b].startswith("s1-")
    assert names == plan_names([a, b, c])
    assert names[c] == "index.csv-clip"
    assert plan_names([a])[a] == "s1"


def test_result_folder_is_written_whole_and_replaced_whole(tmp_path: Path) -> None:
    row = index_row("clip", "/data/clip.mp4", error="The file 'clip.mp4' could not be used.")
    commit_outcome(tmp_path, ClipOutcome("clip", "/data/clip.mp4", row))
    assert sorted(p.name for p in (tmp_path / "clip").iterdir()) == [CLIP_FILE]
    done = index_row("clip", "/data/clip.mp4", {"activity": "sitting", "reps": [],
                                                 "summary": {"score": 80}, "events": [
                                                     {"category": "slouch",
                                                      "severity": "poor"}]})
    commit_outcome(tmp_path, ClipOutcome("clip", "/data/clip.mp4", done,
                                         {"report.json": b"{}"}))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip"]  # no temp folders left
    assert sorted(p.name for p in (tmp_path / "clip").iterdir()) == [CLIP_FILE, "report.json"]
    write_index(tmp_path)
    (row_back,) = _index(tmp_path)
    assert row_back["status"] == "done" and row_back["faults"] == "slouch=1"
    assert row_back["score"] == "80" and row_back["error"] == ""


def test_store_migrates_v1_to_batch_table_and_keeps_sessions(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"

    class V1(HistoryStore):
        migrations = MIGRATIONS[:1]

    with V1(db) as old:
        sid = old.start_session("live", "sitting", started_at=1.0)
    with HistoryStore(db) as store:
        assert store.get_session(sid) is not None
        row = index_row("a", "/x/a.mp4", error="The file 'a.mp4' could not be found.")
        store.save_batch_item("/out", row)
        store.save_batch_item("/out", {**row, "status": "done", "error": None, "reps": 3,
                                       "faults": {"rounded_back": 2}}, session_id=sid)
        (item,) = store.list_batch_items("/out")
        assert item["status"] == "done" and item["reps"] == 3 and item["session_id"] == sid
        assert item["faults"] == {"rounded_back": 2} and item["file"] == "a.mp4"
        store.delete_all()
        assert store.list_batch_items() == []
    from posture.store import SCHEMA_VERSION

    con = sqlite3.connect(db)
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION  # migrated on
    con.close()


def test_cli_batch_with_nothing_to_do_is_one_sentence(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["batch", str(tmp_path / "*.mp4"), "--out", str(tmp_path / "out"), "--quiet"])
    assert code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.startswith("posture: No recordings were found")
    code = main(["batch", str(CLIPS[0]), "--out", str(tmp_path / "o"), "--rate", "0"])
    assert code == 2 and "--rate 0 is not possible" in capsys.readouterr().err


# --------------------------------------------------------------------------- embedded Ray


@pytest.fixture(scope="module")
def engine() -> Iterator[RayEngine]:
    try:
        eng = RayEngine(None, workers=2)
    except BatchError as exc:
        pytest.skip(f"a local Ray runtime could not start here: {exc.detail}")
    try:
        yield eng
    finally:
        eng.close()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("history")
    old = os.environ.get("POSTURE_DATA_DIR")
    os.environ["POSTURE_DATA_DIR"] = str(folder)
    yield folder
    if old is None:
        os.environ.pop("POSTURE_DATA_DIR", None)
    else:
        os.environ["POSTURE_DATA_DIR"] = old


@pytest.mark.slow
def test_embedded_batch_equals_sequential_with_errors_resume_and_history(
        engine: RayEngine, data_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken clip.mp4"
    broken.write_bytes(bytes(range(256)) * 40)
    inputs = [*CLIPS, PHOTO, broken, tmp_path / "missing.mp4"]
    out = tmp_path / "out"
    seen: list[BatchProgress] = []

    def interrupt_after_first_analysis(p: BatchProgress) -> None:
        seen.append(p)
        if p.last is not None and p.last.ok:
            raise KeyboardInterrupt  # Ctrl+C once one recording is finished

    with pytest.raises(KeyboardInterrupt):
        run_batch(inputs, out, OPTIONS, no_video=True, engine=engine,
                  progress=interrupt_after_first_analysis)
    written = [p for p in out.iterdir() if (p / CLIP_FILE).exists()]
    first = {p.name for p in written
             if json.loads((p / CLIP_FILE).read_text())["status"] == "done"}
    assert len(first) == 1 and not list(out.glob(".partial-*"))
    assert len(_index(out)) == len(written)  # what finished is in the index at once
    stamps = {n: (out / n / "report.json").stat().st_mtime_ns for n in first}

    result = run_batch(inputs, out, OPTIONS, no_video=True, engine=engine)
    assert set(result.skipped) == first  # resumed: nothing finished is recomputed
    assert {n: (out / n / "report.json").stat().st_mtime_ns for n in first} == stamps
    rows = {r["name"]: r for r in _index(out)}
    assert len(rows) == len(inputs)
    assert rows["broken clip"]["status"] == "failed"
    assert rows["broken clip"]["error"] == \
        "The file 'broken clip.mp4' is not a video or photo that this program can read."
    assert rows["missing"]["status"] == "failed" and "missing.mp4" in rows["missing"]["error"]
    for r in rows.values():
        assert r["error"] == "" or (r["error"][0].isupper() and r["error"].endswith(".")
                                    and "\n" not in r["error"])
    assert rows["hunchback"]["status"] == "done" and rows["hunchback"]["frames"] == "1"

    # the same verdicts, reps and angles as `posture analyze`, clip by clip
    for clip in CLIPS:
        assert rows[clip.stem]["status"] == "done"
        _assert_same_as_sequential(_batch_report(out / clip.stem), _sequential(clip))
    assert rows["23_lift_stoop_side_right"]["rep_faults"].startswith("rounded_back=2")

    # History: each finished recording is a review session; the batch table links it
    with HistoryStore() as store:
        items = {i["name"]: i for i in store.list_batch_items(str(out))}
        assert items["broken clip"]["status"] == "failed" and items["broken clip"]["error"]
        for clip in CLIPS:
            session = store.get_session(items[clip.stem]["session_id"])
            assert session is not None and len(session.reps) == int(rows[clip.stem]["reps"])

    # a third run recomputes nothing that finished; the failed files are tried again
    again = run_batch(inputs, out, OPTIONS, no_video=True, engine=engine)
    assert sorted(again.skipped) == sorted(n for n, r in rows.items() if r["status"] == "done")
    assert len(again.failed) == 2 and not again.done

    with pytest.raises(BatchError, match="other options"):
        run_batch(inputs, out, AnalysisOptions(activity="sitting"), no_video=True,
                  engine=engine)


@pytest.mark.slow
def test_one_estimator_per_worker_reused_across_clips(engine: RayEngine, tmp_path: Path) -> None:
    clip = SYN / "03_sit_slouch_cycle_oblique_left.mp4"
    copies = []
    for k in range(5):
        copies.append(tmp_path / f"copy{k}.mp4")
        copies[-1].symlink_to(clip)
    result = run_batch(copies, tmp_path / "out", AnalysisOptions(), no_video=True,
                       engine=engine, history=False)
    assert len(result.done) == 5
    by_pid: dict[int, list[int]] = {}
    for o in result.outcomes:
        by_pid.setdefault(o.pid, []).append(o.estimator_clips)
    assert len(by_pid) <= 2  # Ray's worker processes are reused, one per core
    for served in by_pid.values():  # each clip of a worker reused its one estimator
        assert served == list(range(served[0], served[0] + len(served)))
    assert max(len(s) for s in by_pid.values()) >= 3 or len(by_pid) == 2
    # a reset estimator gives exactly what a new one gives
    reports = [_batch_report(tmp_path / "out" / c.stem) for c in copies]
    assert all(r == reports[0] for r in reports)
    assert reports[0] == _sequential(clip, AnalysisOptions())


@pytest.mark.slow
def test_long_clip_is_analysed_in_chunks_like_analyze_workers(engine: RayEngine,
                                                              tmp_path: Path) -> None:
    """Chunks of a long clip are tasks of their own, with posture.parallel's plan and
    warm-up overlap: the result is exactly `analyze --workers` with the same chunks
    (which tests/test_parallel.py holds against the sequential run)."""
    squat = SAMPLE_VIDEOS / "squat_side_barbell_back_squat_gym_vertical.mp4"
    result = run_batch([squat], tmp_path / "out", AnalysisOptions(), no_video=True,
                       engine=engine, history=False, chunk_s=5.0)
    (outcome,) = result.outcomes
    assert outcome.ok and outcome.chunks >= 4
    reference = build_report(analyze_video(squat, AnalysisOptions(workers=2, chunk_s=5.0)),
                             str(squat))
    reference["video"].pop("path")
    assert _batch_report(tmp_path / "out" / squat.stem) == reference


@pytest.mark.slow
def test_cli_batch_writes_videos_and_reports_failures(engine: RayEngine, data_dir: Path,
                                                      tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video\n")
    out = tmp_path / "out"
    code = main(["batch", str(CLIPS[0]), str(PHOTO), str(bad), "--out", str(out),
                 "--activity", "lifting", "--quiet"])
    captured = capsys.readouterr()
    assert code == 2, captured.err
    assert "Traceback" not in captured.err
    assert "failed: notes.mp4: The file 'notes.mp4'" in captured.err
    assert "Analysed 2 of 3 recordings" in captured.out
    assert (out / CLIPS[0].stem / "annotated.mp4").stat().st_size > 0
    assert (out / PHOTO.stem / "annotated.png").stat().st_size > 0
    # finished files are skipped on a rerun: only the failed one is tried again
    assert main(["batch", str(CLIPS[0]), str(PHOTO), str(bad), "--out", str(out),
                 "--activity", "lifting", "--quiet"]) == 2
    assert "2 already done" in capsys.readouterr().out


# --------------------------------------------------------------------------- a real cluster


def _start_node(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(REPO / "tests" / "ray_loopback.py"), "start", *args,
         "--node-ip-address=127.0.0.1", "--num-cpus=1", "--disable-usage-stats", "--block"],
        env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT,
        start_new_session=True)


def _wait_for(predicate: Any, timeout: float, step: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def _session_procs(sid: int) -> list[tuple[int, str, bytes]]:
    """(pid, state, cmdline) of the processes in session ``sid``.

    A node started with ``start_new_session`` has its own session; Ray gives each
    worker process its own process group inside it, so the session is what
    holds a node's processes together.
    """
    procs = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmd = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[3]) == sid:
            procs.append((int(entry.name), fields[0], cmd))
    return procs


def _kill_node(proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
    """Signal every process of a node we started (its session), by process id."""
    for pid, state, _ in _session_procs(proc.pid):
        if state != "Z":
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)


def _stop_node(proc: subprocess.Popen[bytes]) -> None:
    """End a node: its `ray start --block` and everything it started."""
    for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        _kill_node(proc, sig)
        if _wait_for(lambda: all(st == "Z" for _, st, _ in _session_procs(proc.pid)), wait):
            break
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


def _busy_task_on_node(proc: subprocess.Popen[bytes]) -> bool:
    """Is a worker of this node analysing right now (its title is ray::analyze_clip)?"""
    return any(cmd.startswith(b"ray::analyze_clip") for _, _, cmd in _session_procs(proc.pid))


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc and process groups")
def test_cluster_batch_survives_a_killed_worker_node(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ray_dir = Path(tempfile.mkdtemp(prefix="pr", dir="/tmp"))  # unix socket paths stay short
    token = ray_dir / "token"
    token.write_text(uuid.uuid4().hex + uuid.uuid4().hex)
    token.chmod(0o600)
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "token",
           "RAY_AUTH_TOKEN_PATH": str(token), "POSTURE_DATA_DIR": str(tmp_path / "data"),
           # nodes of a multi-node cluster (the embedded engine of this process sets 0)
           "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "1"}
    head = _start_node(["--head", f"--port={port}", "--include-dashboard=false",
                        f"--temp-dir={ray_dir}"], env, tmp_path / "head.log")
    nodes = [head]
    try:
        if not _wait_for(lambda: b"Ray runtime started" in (tmp_path / "head.log").read_bytes()
                         or head.poll() is not None, 90):
            pytest.skip("the Ray head node did not start within 90 s")
        if head.poll() is not None:
            pytest.skip("the Ray head node could not start: "
                        + (tmp_path / "head.log").read_text()[-400:])
        worker = _start_node([f"--address=127.0.0.1:{port}"], env, tmp_path / "worker.log")
        nodes.append(worker)
        if not _wait_for(lambda: b"Ray runtime started" in (tmp_path / "worker.log")
                         .read_bytes() or worker.poll() is not None, 90) or worker.poll():
            pytest.skip("the second Ray node could not join: "
                        + (tmp_path / "worker.log").read_text()[-400:])

        clips = [*CLIPS, SYN / "09_stand_lean_cycle_side_left.mp4",
                 SYN / "04_sit_forward_head_cycle_side_right.mp4",
                 SYN / "21_lift_squat_style_side_left.mp4"]
        out = tmp_path / "out"
        batch = subprocess.Popen(
            [sys.executable, "-m", "posture.cli", "batch", *map(str, clips), "--out", str(out),
             "--activity", "lifting", "--no-video", "--quiet", "--no-history",
             "--cluster", f"127.0.0.1:{port}"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)
        try:
            busy = _wait_for(lambda: _busy_task_on_node(worker) or batch.poll() is not None,
                             120, step=0.1)
            assert busy and batch.poll() is None, "the extra node never ran an analysis"
            _kill_node(worker)  # mid-clip: the node and its workers are lost
            stdout, stderr = batch.communicate(timeout=180)
        finally:
            if batch.poll() is None:
                batch.kill()
        assert batch.returncode == 0, stderr.decode()[-2000:]
        assert b"Traceback" not in stderr
        assert f"Analysed {len(clips)} of {len(clips)} recordings".encode() in stdout

        # every clip exactly once: one folder, one index row, nothing half-written
        rows = _index(out)
        assert sorted(r["name"] for r in rows) == sorted(c.stem for c in clips)
        assert all(r["status"] == "done" for r in rows)
        assert sorted(p.name for p in out.iterdir()) == sorted(
            [c.stem for c in clips] + ["batch.json", INDEX_CSV])
        for clip in clips:
            _assert_same_as_sequential(_batch_report(out / clip.stem), _sequential(clip))
    finally:
        for proc in reversed(nodes):
            _stop_node(proc)
        shutil.rmtree(ray_dir, ignore_errors=True)
