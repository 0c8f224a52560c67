"""Performance benchmark of posture against bare MediaPipe Pose (issue 5).

Run:  .venv/bin/python benchmarks/run.py [--clip PATH] [--seconds 60]
                                         [--out benchmarks/results/latest.json] [--quick]

In one run, on the same decoded frames:

(a) a bare ``mp.solutions.pose.Pose(model_complexity=1)`` loop in video mode,
(b) our per-frame live pipeline without drawing (``LiveSession.process``:
    pose, person gate, view, metrics, One Euro, rules, session state),
(c) the same plus the overlay (``annotate_frame``),
(d) ``posture analyze`` end to end on the clip, sequential and parallel, with and
    without the annotated video,
(e) peak memory per process (from /proc: VmHWM of the analyze parent and of each
    worker), and resident-memory growth of a long live stream, in a child process:
    ``--real-min`` minutes through the real model (frames decoded as streamed,
    nothing buffered) and a full hour (``--replay-min``) through the app's live
    engine with recorded poses replayed (so it runs in ~2 minutes), both at the
    live camera rate (15 fps); growth is measured after a one-minute warm-up.

(a)–(c) are interleaved frame by frame (three estimators, each with its own
tracking state, see every frame in turn, in rotating order) and repeated over
rounds, so machine load and thermal drift hit all three alike; medians over
rounds are reported. A per-stage breakdown times each stage of the chain with
``perf_counter``. Nothing here fails on a slow machine: each target is printed
as MET or NOT MET, and everything is written to a JSON file.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import dataclasses
import datetime as dt
import io
import itertools
import json
import math
import os
import platform
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from _common import loadavg, log, status_mb

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_videos" / "squat_side_barbell_back_squat_gym_vertical.mp4"
RESULTS = REPO / "benchmarks" / "results"
CHECK_FRAMES = 150  # stage breakdown: frames also run through a real LiveSession
LIVE_JSON = RESULTS / "live.json"

TARGETS = {
    "b_over_a": 1.05,
    "c_over_a": 1.15,
    "analyze_realtime_factor": 1.5,
    "live_fps_fraction": 0.90,
    "live_latency_ms": 100.0,
    "rss_growth_mb_per_hour": 50.0,
}

if str(REPO) not in sys.path:  # posture_app (the app's live engine) lives at the repo root
    sys.path.insert(0, str(REPO))
os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


# --------------------------------------------------------------------------- helpers


def rss_mb(pid: int | str = "self") -> float | None:
    """Current resident memory (VmRSS) of a process, from /proc (Linux)."""
    return status_mb(pid, "VmRSS")


def hwm_mb(pid: int | str = "self") -> float | None:
    """Peak resident memory (VmHWM) of a process, from /proc (Linux)."""
    return status_mb(pid, "VmHWM")


def maxrss_self_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def quiet_stderr() -> contextlib.AbstractContextManager[None]:
    """MediaPipe/TFLite print set-up chatter on fd 2; keep the benchmark output readable."""

    @contextlib.contextmanager
    def cm() -> Iterator[None]:
        sys.stderr.flush()
        saved = os.dup(2)
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            try:
                yield
            finally:
                os.dup2(saved, 2)
                os.close(saved)

    return cm()


def verdict(ok: bool | None) -> str:
    return "NOT MEASURED" if ok is None else ("MET" if ok else "NOT MET")


# --------------------------------------------------------------------------- the clip


def build_clip(source: Path, seconds: float, out: Path) -> Path:
    """A ``seconds`` long 640×480 30 fps H.264 clip: ``source`` looped, scaled and padded."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        return _build_clip_pyav(source, seconds, out)
    subprocess.run(
        [ffmpeg, "-nostdin", "-v", "error", "-y", "-stream_loop", "-1", "-i", str(source),
         "-t", f"{seconds:g}", "-an",
         "-vf", "scale=-2:480,pad=640:480:(ow-iw)/2:(oh-ih)/2,fps=30,format=yuv420p",
         "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-g", "60", str(out)],
        check=True,
    )
    return out


def _build_clip_pyav(source: Path, seconds: float, out: Path) -> Path:
    import av
    import cv2
    import numpy as np

    from posture.video import open_media

    n = round(seconds * 30)
    with av.open(str(out), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 640, 480, "yuv420p"
        stream.options = {"crf": "20", "preset": "veryfast", "g": "60"}
        written = 0
        while written < n:
            with open_media(source) as src:
                for frame in src:
                    h, w = frame.image.shape[:2]
                    scale = min(640 / w, 480 / h)
                    img = cv2.resize(frame.image, (round(w * scale), round(h * scale)))
                    canvas = np.zeros((480, 640, 3), np.uint8)
                    y0, x0 = (480 - img.shape[0]) // 2, (640 - img.shape[1]) // 2
                    canvas[y0:y0 + img.shape[0], x0:x0 + img.shape[1]] = img
                    vf = av.VideoFrame.from_ndarray(canvas, format="rgb24")
                    container.mux(stream.encode(vf))
                    written += 1
                    if written >= n:
                        break
        container.mux(stream.encode())
    return out


def decode_frames(path: Path, seconds: float) -> tuple[list[tuple[float, Any]], float]:
    """The first ``seconds`` of the clip as (t, RGB image), decoded once."""
    from posture.video import open_media

    frames = []
    with open_media(path) as source:
        fps = source.info.fps or 30.0
        for frame in source:
            if frame.t >= seconds:
                break
            frames.append((frame.t, frame.image))
    return frames, fps


# --------------------------------------------------------------------------- (a) (b) (c)


def bare_pose() -> Any:
    """MediaPipe Pose configured exactly as ``posture.pose.MediaPipePose`` (video mode)."""
    import mediapipe as mp

    return mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1,
                                  smooth_landmarks=True, enable_segmentation=False,
                                  min_detection_confidence=0.5, min_tracking_confidence=0.5)


def live_session(activity: str, exercise: str | None = None) -> Any:
    """The live chain as the app builds it: the posture assessor, or with ``exercise`` the
    home-exercise assessor that "Today's programme" runs (issue #11's budget)."""
    from posture.live import LiveSession

    if exercise is None:
        return LiveSession(activity=activity)
    from posture.exercises import get_exercise
    from posture.exercises.assess import ExerciseAssessor

    ex = get_exercise(exercise)
    return LiveSession(assessor_factory=lambda **_: ExerciseAssessor(ex))


def exercise_clip(key: str) -> Path:
    """A rendered good-form side-view clip of the exercise (``sample_videos/exercises``)."""
    found = sorted((REPO / "sample_videos" / "exercises").glob(f"*_{key}_good_side_*.mp4"))
    if not found:
        raise SystemExit(f"no good side-view clip of {key!r} in sample_videos/exercises; "
                         "pass --clip")
    return found[0]


def interleaved_round(frames: list[tuple[float, Any]], activity: str,
                      warmup: int, exercise: str | None = None) -> dict[str, Any]:
    """(a), (b), (c) on every frame in rotating order; per-frame wall and CPU seconds."""
    from posture.render import annotate_frame

    with quiet_stderr():
        bare = bare_pose()
        live_b = live_session(activity, exercise)
        live_c = live_session(activity, exercise)

    def run_a(t: float, img: Any) -> None:
        bare.process(img)

    def run_b(t: float, img: Any) -> None:
        live_b.process(img, t)

    def run_c(t: float, img: Any) -> None:
        result = live_c.process(img, t)
        annotate_frame(img, result.frame)

    runs: dict[str, Callable[[float, Any], None]] = {"a": run_a, "b": run_b, "c": run_c}
    order = ["a", "b", "c"]
    wall: dict[str, list[float]] = {k: [] for k in runs}
    cpu: dict[str, list[float]] = {k: [] for k in runs}
    try:
        for i, (t, img) in enumerate(frames):
            rot = order[i % 3:] + order[:i % 3]
            for key in rot:
                c0, w0 = time.process_time(), time.perf_counter()
                runs[key](t, img)
                w1, c1 = time.perf_counter(), time.process_time()
                if i >= warmup:
                    wall[key].append(w1 - w0)
                    cpu[key].append(c1 - c0)
    finally:
        bare.close()
        live_b.close()
        live_c.close()
    return {"wall": wall, "cpu": cpu}


def summarise_rounds(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    per_round = []
    for r in rounds:
        row: dict[str, Any] = {}
        for clock in ("wall", "cpu"):
            ms = {k: 1000 * statistics.fmean(v) for k, v in r[clock].items()}
            med = {k: 1000 * statistics.median(v) for k, v in r[clock].items()}
            row[clock] = {
                "mean_ms": ms, "median_ms": med,
                "b_over_a": ms["b"] / ms["a"], "c_over_a": ms["c"] / ms["a"],
            }
        per_round.append(row)

    def med(clock: str, key: str, sub: str | None = None) -> float:
        vals = [r[clock][key][sub] if sub else r[clock][key] for r in per_round]
        return float(statistics.median(vals))

    out: dict[str, Any] = {"rounds": per_round}
    for clock in ("wall", "cpu"):
        out[clock] = {
            "a_ms": med(clock, "mean_ms", "a"),
            "b_ms": med(clock, "mean_ms", "b"),
            "c_ms": med(clock, "mean_ms", "c"),
            "b_over_a": med(clock, "b_over_a"),
            "c_over_a": med(clock, "c_over_a"),
        }
    return out


# --------------------------------------------------------------------------- stage breakdown


class _TimedModel:
    """Wraps MediaPipe's solution object to time the model apart from our conversion."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.last = 0.0

    def process(self, image: Any) -> Any:
        t0 = time.perf_counter()
        out = self.inner.process(image)
        self.last = time.perf_counter() - t0
        return out

    def close(self) -> None:
        self.inner.close()


def stage_breakdown(frames: list[tuple[float, Any]], activity: str,
                    warmup: int) -> tuple[dict[str, Any], list[Any]]:
    """Time each stage of the live chain, calling the stage objects as ``LiveSession`` does.

    Returns ms/frame per stage and the poses (for the replay stream used later).
    The sequence mirrors ``FrameAnalyzer.update_pose`` and ``LiveSession._assess``;
    the result is checked against a real ``LiveSession`` on the same frames.
    """
    from posture.filters import OneEuroFilter
    from posture.frame_analyzer import FrameAnalyzer
    from posture.live import LiveSession
    from posture.metrics import FrameMetrics, compute_metrics, empty_values, finalize
    from posture.pipeline import FrameResult
    from posture.render import annotate_frame
    from posture.view import ViewState

    with quiet_stderr():
        fa = FrameAnalyzer()
        ref = LiveSession(activity=activity)
        backend: Any = fa.backend
        timed = _TimedModel(backend._pose)
        backend._pose = timed
        from posture.assess import Assessor

        assessor = Assessor(activity=activity)
    one_euro = OneEuroFilter()
    stages = ["pose_model", "pose_convert", "quality", "gate", "view", "metrics", "filter",
              "rules", "draw"]
    acc: dict[str, list[float]] = {s: [] for s in stages}
    poses = []
    mismatches = 0
    pc = time.perf_counter
    try:
        for i, (t, img) in enumerate(frames):
            s0 = pc()
            pose = fa.backend.process(img, t)
            s1 = pc()
            quality = fa.quality.update(img, pose, t)
            sq = pc()
            gate = fa.gate.update(pose, t)
            s2 = pc()
            view = fa.view.update(pose if gate.plausible else None, t)
            s3 = pc()
            raw = compute_metrics(pose, view, fa.metrics_config) \
                if gate.detected and quality.ok else empty_values()
            if not gate.detected:
                view = ViewState("unknown", view.near_side, float("nan"), view.facing_away)
            s4 = pc()
            if gate.detected:
                smoothed = finalize(one_euro.update(raw, t))
            else:
                one_euro.reset()
                smoothed = raw
            metrics = FrameMetrics(t, gate.detected, view, smoothed)
            s5 = pc()
            assessment = assessor.update(metrics, quality=quality)
            s6 = pc()
            annotate_frame(img, FrameResult(i, t, gate.detected, view, metrics, assessment, pose,
                                            quality))
            s7 = pc()
            poses.append(pose)
            if i < CHECK_FRAMES:  # the real chain on the same frames: same answers?
                expected = ref.process(img, t)
                if expected.frame.detected != gate.detected or \
                        expected.frame.view.view != view.view:
                    mismatches += 1
            if i >= warmup:
                model = timed.last
                for name, dur in zip(stages, (model, (s1 - s0) - model, sq - s1, s2 - sq,
                                              s3 - s2, s4 - s3, s5 - s4, s6 - s5, s7 - s6),
                                     strict=True):
                    acc[name].append(dur)
    finally:
        fa.close()
        ref.close()
    ms = {k: 1000 * statistics.fmean(v) for k, v in acc.items()}
    ours = sum(v for k, v in ms.items() if k not in ("pose_model", "draw"))
    return ({"ms_per_frame": ms, "ours_without_model_and_draw_ms": ours,
             "frames": len(acc["gate"]),
             "consistent_with_LiveSession": mismatches == 0,
             "checked_frames": min(CHECK_FRAMES, len(frames)),
             "mismatched_frames": mismatches}, poses)


class ReplayBackend:
    """A pose backend that replays recorded poses in a loop (no model: fast, long streams)."""

    def __init__(self, poses: list[Any]) -> None:
        self.poses = poses
        self.i = 0

    def process(self, image_rgb: Any, t: float) -> Any:
        pose = self.poses[self.i % len(self.poses)]
        self.i += 1
        return None if pose is None else dataclasses.replace(pose, t=t)

    def close(self) -> None:
        pass


def hot_spots(frames: list[tuple[float, Any]], poses: list[Any], activity: str,
              top: int = 15) -> dict[str, Any]:
    """cProfile of our chain (pose replayed, so the model's time does not drown it)."""
    from posture.live import LiveSession

    live = LiveSession(activity=activity, backend=ReplayBackend(poses))
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    for t, img in frames:
        live.process(img, t)
    prof.disable()
    wall = time.perf_counter() - t0
    stats = pstats.Stats(prof, stream=io.StringIO())
    n = len(frames)
    rows = []
    raw: Any = getattr(stats, "stats", {})
    for (file, line, func), (_cc, nc, tt, ct, _callers) in raw.items():
        if "/posture/" not in file:
            continue
        rows.append({"function": f"{Path(file).parent.name}/{Path(file).name}:{line}({func})",
                     "calls_per_frame": round(nc / n, 2),
                     "self_ms_per_frame": round(1000 * tt / n, 4),
                     "cumulative_ms_per_frame": round(1000 * ct / n, 4)})
    rows.sort(key=lambda r: -r["cumulative_ms_per_frame"])
    return {"profiled_ms_per_frame": 1000 * wall / n,
            "note": "under cProfile (inflates Python-heavy code ~2x); pose replayed",
            "top_cumulative": rows[:top]}


# --------------------------------------------------------------------------- (d) analyze


def _role(pid: int) -> str:
    """'worker' for our spawned analysis workers, else the helper's name."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            cmd = fh.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "gone"
    if "resource_tracker" in cmd:
        return "resource_tracker"
    if "spawn_main" in cmd:
        return "worker"
    return "other"


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat[stat.rfind(")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for c in children.get(p, []):
            out.append(c)
            todo.append(c)
    return out


def run_analyze(clip: Path, workers: int, video: bool, duration_s: float) -> dict[str, Any]:
    """``posture analyze`` in a child process: wall time, real-time factor, peak RSS per process."""
    out_dir = Path(tempfile.mkdtemp(prefix="posture-bench-out-"))
    cmd = [sys.executable, "-m", "posture.cli", "analyze", str(clip), "--out", str(out_dir),
           "--quiet", "--workers", str(workers)]
    if not video:
        cmd.append("--no-video")
    load0 = loadavg()
    out_file, err_file = out_dir / "stdout.txt", out_dir / "stderr.txt"
    t0 = time.perf_counter()
    with open(out_file, "w") as so, open(err_file, "w") as se:  # files: a pipe could fill up
        proc = subprocess.Popen(cmd, stdout=so, stderr=se, text=True)
    peaks: dict[int, float] = {}
    roles: dict[int, str] = {proc.pid: "parent"}
    rusage, pid, status = None, 0, 0
    try:
        while True:
            pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            for p in [proc.pid, *_descendants(proc.pid)]:
                peak = hwm_mb(p)
                if peak is not None:
                    peaks[p] = max(peaks.get(p, 0.0), peak)
                    if p not in roles:
                        roles[p] = _role(p)
            time.sleep(0.2)
    finally:
        wall = time.perf_counter() - t0
        stdout = out_file.read_text(errors="replace") if out_file.exists() else ""
        stderr = err_file.read_text(errors="replace") if err_file.exists() else ""
        proc.returncode = os.waitstatus_to_exitcode(status) if pid else None
        shutil.rmtree(out_dir, ignore_errors=True)
    worker_peaks = sorted((v for p, v in peaks.items() if roles.get(p) == "worker"),
                          reverse=True)
    return {
        "command": " ".join(cmd[1:]).replace(str(out_dir), "OUT"),
        "workers": workers, "video": video, "exit_code": proc.returncode,
        "wall_s": wall, "realtime_factor": duration_s / wall if wall > 0 else None,
        "peak_rss_mb_parent": peaks.get(proc.pid),
        "peak_rss_mb_workers": worker_peaks,
        "peak_rss_mb_tree_max": (rusage.ru_maxrss / 1024) if rusage else None,
        "loadavg_before": load0, "loadavg_after": loadavg(),
        "stdout_tail": stdout.strip().splitlines()[-3:],
        "stderr_tail": [ln for ln in stderr.strip().splitlines()
                        if "W0000" not in ln and "I0000" not in ln][-3:],
    }


# --------------------------------------------------------------------------- memory growth


def memory_child(args: argparse.Namespace) -> int:
    """Child process: stream frames through the live engine and sample RSS over stream time."""
    from posture.live import LiveSession
    from posture.render import annotate_frame
    from posture.video import open_media

    result: dict[str, Any] = {}
    clip = Path(args.clip)
    fps = 30.0

    def looped_frames(max_frames: int) -> Iterator[tuple[float, Any]]:
        """Decode the clip again and again (streaming: no frame buffer), times increasing."""
        n, offset = 0, 0.0
        while n < max_frames:
            last = 0.0
            with open_media(clip) as src:
                for f in src:
                    yield offset + f.t, f.image
                    last = f.t
                    n += 1
                    if n >= max_frames:
                        return
            offset += last + 1.0 / (src.info.fps or fps)

    rate = args.stream_fps
    warm = args.mem_warmup_s

    # (1) the real model, with the overlay, as the live page runs it, at the camera's rate
    if args.real_min > 0:
        with quiet_stderr():
            live = LiveSession(activity=args.activity)
        with open_media(clip) as src:
            step = max(1, round((src.info.fps or fps) / rate))  # 30 fps clip → every 2nd
        n_frames = round(args.real_min * 60 * rate)
        samples: list[tuple[float, float | None]] = []
        started = time.perf_counter()
        every = round(rate * 15)
        for i, (_, img) in enumerate(itertools.islice(looped_frames(n_frames * step), 0,
                                                      None, step)):
            t = i / rate
            res = live.process(img, t)
            annotate_frame(img, res.frame)
            if i % every == 0:
                samples.append((t, rss_mb()))
        samples.append((n_frames / rate, rss_mb()))
        live.close()
        result["real_model"] = _growth(samples, "real MediaPipe + overlay (LiveSession + "
                                       "annotate_frame), frames decoded as streamed",
                                       time.perf_counter() - started, warm)
        result["real_model"]["stream_fps"] = rate

    # (2) a full hour (or --replay-min) of stream time with the model replayed
    if args.replay_min > 0:
        poses = []
        with quiet_stderr():
            from posture.pose import MediaPipePose

            mp_pose = MediaPipePose()
        buf = []
        for t, img in looped_frames(150):
            poses.append(mp_pose.process(img, t))
            buf.append(img)
        mp_pose.close()
        engine, label = _replay_engine(args.activity, poses)
        n_frames = round(args.replay_min * 60 * rate)
        samples = []
        started = time.perf_counter()
        every = round(rate * 30)
        for i in range(n_frames):
            t = i / rate
            engine(buf[i % len(buf)], t)
            if i % every == 0:
                samples.append((t, rss_mb()))
        samples.append((n_frames / rate, rss_mb()))
        result["replay"] = _growth(samples, label, time.perf_counter() - started, warm)
        result["replay"]["stream_fps"] = rate
    result["peak_rss_mb"] = hwm_mb()
    Path(args.memory_out).write_text(json.dumps(result))
    return 0


def _replay_engine(activity: str, poses: list[Any]) -> tuple[Callable[[Any, float], Any], str]:
    """The app's live engine if importable (it keeps charts and replays), else LiveSession."""
    from posture.live import LiveSession

    def session(**kw: Any) -> Any:
        return LiveSession(backend=ReplayBackend(poses), **kw)

    try:
        from posture_app.live_engine import LiveConfig, LiveController

        ctrl = LiveController(LiveConfig(activity=activity), session_factory=session)

        def step(img: Any, t: float) -> Any:
            out = ctrl.process_image(img, t)
            ctrl.drain()  # the page drains the queue twice a second; this is as often
            return out

        return step, "posture_app LiveController (overlay, chart rows, queue), pose replayed"
    except Exception:  # the app is optional here
        from posture.render import annotate_frame

        live = session(activity=activity)

        def step2(img: Any, t: float) -> Any:
            return annotate_frame(img, live.process(img, t).frame)

        return step2, "posture.live.LiveSession + overlay, pose replayed"


def _growth(samples: list[tuple[float, float | None]], label: str, wall: float,
            warmup_s: float) -> dict[str, Any]:
    """RSS growth from the end of the warm-up to the end of the stream, and per hour.

    The first ``warmup_s`` of stream are excluded (model set-up, allocator arenas).
    Per hour is a straight-line extrapolation: exact for an hour-long run, an
    upper bound for a shorter one whose memory levels off.
    """
    pts = [(t, r) for t, r in samples if r is not None]
    if len(pts) < 2:
        return {"method": label, "stream_s": 0.0, "wall_s": wall, "growth_mb_per_hour": None}
    base = next(((t, r) for t, r in pts if t >= warmup_s), pts[0])
    end = pts[-1]
    span = end[0] - base[0]
    growth = end[1] - base[1]
    return {
        "method": label,
        "stream_s": end[0] - pts[0][0],
        "wall_s": wall,
        "warmup_s": base[0],
        "rss_start_mb": pts[0][1],
        "rss_after_warmup_mb": base[1],
        "rss_end_mb": end[1],
        "rss_max_mb": max(r for _, r in pts),
        "growth_after_warmup_mb": growth,
        "growth_mb_per_hour": growth * 3600 / span if span > 0 else None,
        # the rate in the second half of the run: a leak keeps its rate, a warm-up slows
        "second_half_mb_per_hour": _half_rate(pts, base[0]),
        "samples": [(round(t, 1), round(r, 1)) for t, r in pts],
    }


def _half_rate(pts: list[tuple[float, float]], start: float) -> float | None:
    mid = start + (pts[-1][0] - start) / 2
    half = [(t, r) for t, r in pts if t >= mid]
    if len(half) < 2 or half[-1][0] <= half[0][0]:
        return None
    return (half[-1][1] - half[0][1]) * 3600 / (half[-1][0] - half[0][0])


def run_memory(clip: Path, args: argparse.Namespace) -> dict[str, Any]:
    out = Path(tempfile.mkstemp(prefix="posture-bench-mem-", suffix=".json")[1])
    cmd = [sys.executable, str(Path(__file__).resolve()), "--memory-child", "--clip", str(clip),
           "--activity", args.activity, "--real-min", str(args.real_min),
           "--replay-min", str(args.replay_min), "--stream-fps", str(args.stream_fps),
           "--mem-warmup-s", str(args.mem_warmup_s), "--memory-out", str(out)]
    try:
        subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL)
        return dict(json.loads(out.read_text()))
    finally:
        out.unlink(missing_ok=True)


# --------------------------------------------------------------------------- main


def environment() -> dict[str, Any]:
    import mediapipe

    cpu = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as fh:
        cpu = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), "")
    commit = None
    with contextlib.suppress(Exception):
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO,
                                capture_output=True, text=True, timeout=5).stdout.strip()
    from posture.parallel import available_cores

    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(), "mediapipe": mediapipe.__version__,
        "platform": platform.platform(), "cpu": cpu, "cores": available_cores(),
        "git_commit": commit, "loadavg_start": loadavg(),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clip", type=Path, help="benchmark this video instead of the built clip")
    p.add_argument("--seconds", type=float, default=60.0, help="length of the built clip")
    p.add_argument("--out", type=Path, default=RESULTS / "latest.json")
    p.add_argument("--frames-seconds", type=float, default=20.0,
                   help="seconds of decoded frames for (a)(b)(c) (kept in memory)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--activity", default="auto")
    p.add_argument("--exercise", help="time the home-exercise chain of this library key "
                   "(e.g. glute_bridge) in (b)(c), on its rendered clip unless --clip; "
                   "the other sections are skipped")
    p.add_argument("--workers", type=int, default=0, help="parallel analyze (0 = all cores)")
    p.add_argument("--real-min", type=float, default=10.0,
                   help="stream minutes through the real model for the memory growth")
    p.add_argument("--replay-min", type=float, default=60.0,
                   help="stream minutes with replayed poses for the memory growth")
    p.add_argument("--stream-fps", type=float, default=15.0,
                   help="camera rate of the memory streams (the live page asks for 15)")
    p.add_argument("--mem-warmup-s", type=float, default=60.0,
                   help="stream seconds excluded from the memory growth (set-up)")
    p.add_argument("--skip", default="", help="comma list of sections to skip: abc,stages,"
                   "analyze,video,memory")
    p.add_argument("--quick", action="store_true",
                   help="short everything (development; numbers are noisier)")
    p.add_argument("--memory-child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--memory-out", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.memory_child:
        return memory_child(args)
    if args.quick:
        args.frames_seconds, args.rounds = min(args.frames_seconds, 8.0), min(args.rounds, 2)
        args.real_min, args.replay_min = min(args.real_min, 1.0), min(args.replay_min, 5.0)
        args.mem_warmup_s = min(args.mem_warmup_s, 15.0)
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    source = SAMPLE
    if args.exercise:  # the budget of issue #11: only (a)(b)(c) mean something here
        skip |= {"stages", "analyze", "video", "memory"}
        source = exercise_clip(args.exercise)

    report: dict[str, Any] = {"environment": environment(), "targets": TARGETS,
                              "command": " ".join(["benchmarks/run.py", *(argv or sys.argv[1:])])}
    env = report["environment"]
    log(f"posture benchmark · {env['cpu']} · {env['cores']} cores · mediapipe "
        f"{env['mediapipe']} · load {env['loadavg_start']}")
    if env["loadavg_start"] and env["loadavg_start"][0] > 0.5 * env["cores"]:
        log("  warning: the machine is busy (load average above half the cores); "
            "timings will be pessimistic and noisy")

    with tempfile.TemporaryDirectory(prefix="posture-bench-") as tmp:
        if args.clip:
            clip = args.clip.resolve()
            report["clip"] = {"path": str(clip), "built": False}
        else:
            clip = Path(tmp) / f"bench_{args.seconds:g}s_640x480_30fps.mp4"
            log(f"building a {args.seconds:g} s 640×480 30 fps clip from {source.name} …")
            build_clip(source, args.seconds, clip)
            report["clip"] = {"source": str(source.relative_to(REPO)), "built": True,
                              "recipe": "loop, scale to 480 high, pad to 640x480, 30 fps, "
                                        "x264 veryfast crf 20 gop 60"}
        from posture.video import open_media

        with open_media(clip) as src:
            info = src.info
        report["clip"].update(width=info.width, height=info.height, fps=info.fps,
                              frames=info.frames, duration_s=info.duration_s)
        log(f"clip: {info.width}×{info.height}, {info.fps:g} fps, {info.frames} frames, "
            f"{info.duration_s:.1f} s")

        frames, fps = decode_frames(clip, args.frames_seconds)
        warmup = min(round(fps), len(frames) // 4)  # first second: model set-up, detection
        report["frames_for_abc"] = {"frames": len(frames), "warmup_excluded": warmup}

        if "abc" not in skip:
            log(f"(a)(b)(c): {len(frames)} frames × {args.rounds} rounds, interleaved …")
            rounds = []
            for r in range(args.rounds):
                with quiet_stderr():  # MediaPipe's first-frame warnings
                    rounds.append(interleaved_round(frames, args.activity, warmup,
                                                    args.exercise))
                one = summarise_rounds([rounds[-1]])["wall"]
                log(f"  round {r + 1}: a {one['a_ms']:.2f} ms · b {one['b_ms']:.2f} ms · "
                    f"c {one['c_ms']:.2f} ms · b/a {one['b_over_a']:.3f} · "
                    f"c/a {one['c_over_a']:.3f}  (load {loadavg()})")
            report["abc"] = summarise_rounds(rounds)
            report["abc"]["peak_rss_mb_benchmark_process"] = maxrss_self_mb()
            report["abc"]["decoded_frames_mb"] = sum(i.nbytes for _, i in frames) / 2**20

        poses: list[Any] = []
        if "stages" not in skip:
            log("per-stage breakdown …")
            with quiet_stderr():
                report["stages"], poses = stage_breakdown(frames, args.activity, warmup)
                report["hot_spots"] = hot_spots(frames, poses, args.activity)

        duration = info.duration_s or len(frames) / fps
        if "analyze" not in skip:
            report["analyze"] = []
            workers = args.workers
            variants = [(1, False), (workers, False)]
            if "video" not in skip:
                variants += [(1, True), (workers, True)]
            for w, video in variants:
                label = f"workers={w or 'all'}{'' if video else ' --no-video'}"
                log(f"(d) posture analyze {label} …")
                res = run_analyze(clip, w, video, duration)
                report["analyze"].append(res)
                log(f"  {res['wall_s']:.1f} s → {res['realtime_factor']:.2f}× real time · peak "
                    f"RSS parent {res['peak_rss_mb_parent'] or 0:.0f} MB, workers "
                    f"{[round(x) for x in res['peak_rss_mb_workers']]} MB"
                    + ("" if res["exit_code"] == 0 else f" · EXIT {res['exit_code']}"))

        if "memory" not in skip:
            log(f"(e) memory: {args.real_min:g} min of stream through the model, then "
                f"{args.replay_min:g} min with poses replayed, at {args.stream_fps:g} fps "
                "(child process) …")
            report["memory"] = run_memory(clip, args)
    report["environment"]["loadavg_end"] = loadavg()
    report["live"] = _live_results()
    report["verdicts"] = verdicts(report)
    print_summary(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1, default=str))
    log(f"\nwrote {args.out}")
    return 0


def _live_results() -> dict[str, Any] | None:
    """The last ``benchmarks/live.py`` run (browser, fake camera), if there is one."""
    try:
        return dict(json.loads(LIVE_JSON.read_text()))
    except (OSError, ValueError):
        return None


def _best_analyze(report: dict[str, Any], video: bool) -> dict[str, Any] | None:
    rows = [r for r in report.get("analyze", []) if r["video"] == video and r["workers"] != 1
            and r["exit_code"] == 0]
    return rows[0] if rows else None


def verdicts(report: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    abc = report.get("abc")
    if abc:
        out["b_over_a"] = {"value": abc["wall"]["b_over_a"], "target": "≤ 1.05",
                           "met": abc["wall"]["b_over_a"] <= TARGETS["b_over_a"]}
        out["c_over_a"] = {"value": abc["wall"]["c_over_a"], "target": "≤ 1.15",
                           "met": abc["wall"]["c_over_a"] <= TARGETS["c_over_a"]}
    for video in (False, True):
        row = _best_analyze(report, video)
        key = "analyze_realtime_factor" + ("_with_video" if video else "")
        if row:
            out[key] = {"value": row["realtime_factor"], "target": "≥ 1.5× real time",
                        "met": row["realtime_factor"] >= TARGETS["analyze_realtime_factor"]}
    mem = report.get("memory") or {}
    for name in ("real_model", "replay"):
        m = mem.get(name)
        if m and m.get("growth_mb_per_hour") is not None:
            out[f"rss_growth_{name}"] = {
                "value": m["growth_mb_per_hour"], "target": "≤ 50 MB per hour",
                "met": m["growth_mb_per_hour"] <= TARGETS["rss_growth_mb_per_hour"]}
    live = report.get("live") or {}
    if live.get("fps_fraction") is not None:
        out["live_fps_fraction"] = {"value": live["fps_fraction"], "target": "≥ 0.90",
                                    "met": live["fps_fraction"] >= TARGETS["live_fps_fraction"],
                                    "from": f"benchmarks/live.py at {live.get('date')}"}
    else:
        out["live_fps_fraction"] = {"value": None, "target": "≥ 0.90", "met": None,
                                    "from": "run benchmarks/live.py"}
    if live.get("latency_median_ms") is not None:
        out["live_latency_ms"] = {
            "value": live["latency_median_ms"], "target": "median ≤ 100 ms",
            "met": live["latency_median_ms"] <= TARGETS["live_latency_ms"],
            "from": f"benchmarks/live.py at {live.get('date')}"}
    else:
        out["live_latency_ms"] = {"value": None, "target": "median ≤ 100 ms", "met": None,
                                  "from": "run benchmarks/live.py"}
    return out


def _fmt(v: Any, digits: int = 2) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.{digits}f}" if math.isfinite(v) else str(v)
    return str(v)


def print_summary(report: dict[str, Any]) -> None:
    log("\n== results ==")
    abc = report.get("abc")
    if abc:
        w, c = abc["wall"], abc["cpu"]
        log(f"(a) bare MediaPipe          {w['a_ms']:7.2f} ms/frame  (cpu {c['a_ms']:.2f})")
        log(f"(b) our pipeline, no draw   {w['b_ms']:7.2f} ms/frame  (cpu {c['b_ms']:.2f})  "
            f"b/a {w['b_over_a']:.3f} (cpu {c['b_over_a']:.3f})")
        log(f"(c) our pipeline + overlay  {w['c_ms']:7.2f} ms/frame  (cpu {c['c_ms']:.2f})  "
            f"c/a {w['c_over_a']:.3f} (cpu {c['c_over_a']:.3f})")
    st = report.get("stages")
    if st:
        log("per-stage ms/frame: " + " · ".join(f"{k} {v:.3f}"
                                                for k, v in st["ms_per_frame"].items()))
        log(f"  ours (everything but the model and drawing): "
            f"{st['ours_without_model_and_draw_ms']:.3f} ms/frame; consistent with LiveSession:"
            f" {st['consistent_with_LiveSession']}")
    hs = report.get("hot_spots")
    if hs:
        log("hot spots (cProfile, pose replayed; cumulative ms/frame):")
        for row in hs["top_cumulative"][:8]:
            log(f"  {row['cumulative_ms_per_frame']:7.3f}  {row['function']}")
    for r in report.get("analyze", []):
        label = r["workers"] if r["workers"] != 0 else "all"
        log(f"(d) analyze workers={label!s:3s}{'' if r['video'] else ' --no-video':12s} "
            f"{r['wall_s']:6.1f} s  {r['realtime_factor']:.2f}× real time  peak RSS parent "
            f"{_fmt(r['peak_rss_mb_parent'], 0)} MB, workers "
            f"{[round(x) for x in r['peak_rss_mb_workers']]} MB")
    mem = report.get("memory") or {}
    for m in mem.values():
        if isinstance(m, dict):
            log(f"(e) {m['method']}: {m['stream_s'] / 60:.1f} min of stream in "
                f"{m['wall_s']:.0f} s; RSS {_fmt(m.get('rss_after_warmup_mb'), 0)} MB after "
                f"{_fmt(m.get('warmup_s'), 0)} s → {_fmt(m.get('rss_end_mb'), 0)} MB at the end "
                f"(max {_fmt(m.get('rss_max_mb'), 0)}): {_fmt(m['growth_mb_per_hour'], 1)} MB "
                f"per hour (second half of the run: "
                f"{_fmt(m.get('second_half_mb_per_hour'), 1)} MB per hour)")
    if "peak_rss_mb" in mem:
        log(f"(e) live stream process peak RSS {_fmt(mem['peak_rss_mb'], 0)} MB")
    log("\n== targets ==")
    for key, v in report["verdicts"].items():
        src = f"  [{v['from']}]" if "from" in v else ""
        log(f"{key:34s} {_fmt(v['value'], 3):>9s}  {v['target']:18s} {verdict(v['met'])}{src}")


if __name__ == "__main__":
    sys.exit(main())
