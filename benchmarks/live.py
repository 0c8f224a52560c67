"""Live benchmark: the live coach against bare MediaPipe, in headless Chromium with a fake camera.

Run:  .venv/bin/python benchmarks/live.py [--rounds 2] [--duration 20] [--fps 15]
                                          [--out benchmarks/results/live.json]

In one run it serves, in turn and alternating over ``--rounds``:

* ``benchmarks/bare_webrtc_app.py`` — streamlit-webrtc with a callback that
  only runs ``pose.process`` and returns the frame (the yardstick), and
* ``app.py`` — the real app's Live coach page (the default page),

each to a fresh headless Chromium (Debian's /usr/bin/chromium driven by
Playwright; never ``playwright install``) whose webcam is a Y4M file made
from a sample clip (640×480, ``--fps``). Both servers run through
``benchmarks/live_probe.py``, which times every frame callback without
touching the apps, so both are measured the same way:

* processed fps = callbacks completed per second over the measurement window
  (after ``--warmup`` seconds);
* capture → cue latency, per processed frame = callback exit − (capture time +
  the smallest transport delay seen in that stream). The capture time is the
  frame's RTP timestamp from the browser; the offset to the server clock is
  taken from the fastest frame, so the figure counts waiting (frames queue
  while the previous one is analysed) and analysis, not the constant
  encode/network/decode path (~a few ms on localhost). The cue is drawn into
  the returned frame, so callback exit is when the cue exists;
* where the two cores went during the window (from /proc): the callback
  thread, the server's other threads (Streamlit reruns, WebRTC coding), the
  browser, and everything else on the machine (someone else's work).

The app page's own read-out ("… frames/s · capture → cue … ms") is scraped
too, as a cross-check. Prints whether live fps ≥ 90 % of bare and median
latency ≤ 100 ms; never fails on a slow machine.

``--lab-replays`` measures something else: the real app's Lift lab page
(``/lift-lab``) in two conditions, alternating over ``--rounds``, with a lifting
clip as the camera (``--lab-clip``, looped to ≥ 20 s; the default clip is a lift and a
lowering, two reps every 5.2 s):

* ``lab-no-replay`` — a live run, no replay ever shown;
* ``lab-replays`` — the same, but every ``--replay-every`` s of the window the
  benchmark presses the panel's **Replay lift N in slow motion** button (key
  ``lab_replay``), so the newest lift's slow-motion replay plays most of the time.

Both wait for the first counted lift before warming up, and both sample the
page's ``<video>`` elements and the CPU split twice a second (the same overhead on
both sides), so each run also reports the share of the window in which a replay
was playing, the processed fps and latency in the first second after each press
against the rest of the window (``press_effect``), and the cores used in that
second against the rest (``cpu_after_press``). The browser's viewport is tall
(``--lab-viewport``, 1400×2200): Chromium starts a muted autoplay only on screen,
and at 1400×1000 the replay sits below the fold. Results go to
``benchmarks/results/live_lab_replays.json`` unless ``--out`` is given.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import itertools
import json
import math
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from _common import free_port, healthy, loadavg, log, status_mb

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "benchmarks"
SAMPLE = REPO / "sample_videos" / "squat_side_barbell_back_squat_gym_vertical.mp4"
CHROMIUM = "/usr/bin/chromium"
QUIET_FLAGS = ["--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update",
               "--disable-sync"]
FPS_FRACTION_TARGET = 0.90
LATENCY_TARGET_MS = 100.0
SAMPLE_DIR: Path | None = None  # --sample DIR: where the servers write sampling profiles
SWITCH_S: float | None = None  # --switch-interval: sys.setswitchinterval in the servers
BARE_PANEL_S = 0.0  # --bare-panel: the bare app also refreshes a trivial panel this often
APP_READOUT = re.compile(r"Frames analysed:\s*(\d+)\s*·\s*([\d.]+)\s*frames/s[^·]*·\s*"
                         r"capture → cue\s*(\d+)\s*ms")


LAB_CLIP = REPO / "sample_videos" / "synthetic" / "23_lift_stoop_side_right.mp4"
LAB_PATH = "lift-lab"
LAB_RUN_KEYS = ("fps", "latency_median_ms", "latency_p90_ms", "callback_median_ms")
# The replays (st.video, muted autoplay). Chromium starts a muted autoplay only once the
# video is on screen, so the Lift lab runs in a viewport tall enough to show the replay
# section under the live video without scrolling (``--lab-viewport``; both conditions).
VIDEO_STATE_JS = """() => [...document.querySelectorAll('video')].map(v => ({
  src: v.currentSrc || v.src, playing: !v.paused && !v.ended, ended: v.ended,
  t: v.currentTime, d: v.duration, top: Math.round(v.getBoundingClientRect().top),
  in_view: v.getBoundingClientRect().bottom <= window.innerHeight}))"""


def make_camera(out: Path, fps: float, seconds: float, source: Path | None = None,
                loops: int = 0) -> Path:
    """A Y4M webcam file: the sample clip scaled and padded to 640×480 (person undistorted);
    ``loops`` extra plays of a short clip (``-stream_loop``) make it long enough."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise SystemExit("ffmpeg is needed to make the fake camera (apt-get install ffmpeg)")
    loop = ["-stream_loop", str(loops)] if loops else []
    subprocess.run([ffmpeg, "-nostdin", "-loglevel", "error", "-y", *loop, "-i",
                    str(source or SAMPLE), "-vf",
                    f"scale=-2:480,pad=640:480:(ow-iw)/2:(oh-ih)/2,fps={fps:g},format=yuv420p",
                    "-t", f"{seconds:g}", str(out)], check=True, timeout=120)
    return out


@contextlib.contextmanager
def serve(app: Path, stats: Path, workdir: Path) -> Iterator[tuple[str, int]]:
    """The app under the probe, in its own process group; stopped with SIGTERM (then KILL)."""
    port = free_port()
    env = {**os.environ, "POSTURE_DATA_DIR": str(workdir / "data"), "PYTHONUNBUFFERED": "1",
           "GLOG_minloglevel": "2", "TF_CPP_MIN_LOG_LEVEL": "2"}
    if SWITCH_S is not None:
        env["POSTURE_PROBE_SWITCH_S"] = str(SWITCH_S)
    if BARE_PANEL_S:
        env["BARE_PANEL_S"] = str(BARE_PANEL_S)
    if SAMPLE_DIR is not None:
        env["POSTURE_PROBE_SAMPLE"] = str(SAMPLE_DIR / f"samples-{app.stem}-{port}.json")
    log_path = workdir / f"server-{app.stem}-{port}.log"
    with open(log_path, "wb") as server_log:
        proc = subprocess.Popen(
            [sys.executable, str(BENCH / "live_probe.py"), str(stats), str(app),
             "--server.headless", "true", "--server.address", "127.0.0.1",
             "--server.port", str(port), "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],
            cwd=REPO, env=env, stdout=server_log, stderr=subprocess.STDOUT,
            start_new_session=True)
        try:
            deadline = time.monotonic() + 90
            while not healthy(port):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{app.name} did not start:\n"
                                       + log_path.read_text(errors="replace")[-2000:])
                time.sleep(0.3)
            yield f"http://127.0.0.1:{port}", proc.pid
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


# --------------------------------------------------------------------------- CPU accounting
CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_cpu(path: str) -> float:
    """utime + stime in seconds from a /proc …/stat file (0 if it is gone)."""
    try:
        with open(path) as fh:
            stat = fh.read()
    except OSError:
        return 0.0
    fields = stat[stat.rfind(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    stat = fh.read()
            except OSError:
                continue
            ppid = int(stat[stat.rfind(")") + 2:].split()[1])
            tree.setdefault(ppid, []).append(int(entry))
    return tree


def _tree(root: int, tree: dict[int, list[int]]) -> list[int]:
    out, todo = [root], [root]
    while todo:
        for child in tree.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def cpu_snapshot(server_pid: int, callback_tid: int | None) -> dict[str, float]:
    """CPU seconds so far: callback thread, whole server, browser (our other children), machine."""
    tree = _children()
    server = _tree(server_pid, tree)
    ours = _tree(os.getpid(), tree)
    browser = [p for p in ours if p not in server and p != os.getpid()]
    with open("/proc/stat") as fh:
        cpu = [int(x) for x in fh.readline().split()[1:]]
    idle = (cpu[3] + cpu[4]) / CLK_TCK  # idle + iowait
    busy = (sum(cpu[:8]) - cpu[3] - cpu[4]) / CLK_TCK
    snap = {
        "server": sum(_proc_cpu(f"/proc/{p}/stat") for p in server),
        "browser": sum(_proc_cpu(f"/proc/{p}/stat") for p in browser),
        "machine_busy": busy, "machine_idle": idle,
        "callback_thread": 0.0,
    }
    if callback_tid is not None:
        snap["callback_thread"] = _proc_cpu(f"/proc/{server_pid}/task/{callback_tid}/stat")
    return snap


def cpu_usage(before: dict[str, float], after: dict[str, float], seconds: float
              ) -> dict[str, float]:
    """Cores used over the window by: the callback thread, the rest of the server, the
    browser, everything else on the machine (other users' work), and left idle."""
    d = {k: (after[k] - before[k]) / seconds for k in before}
    return {
        "callback_thread": round(d["callback_thread"], 3),
        "server_other_threads": round(d["server"] - d["callback_thread"], 3),
        "browser": round(d["browser"], 3),
        "rest_of_machine": round(d["machine_busy"] - d["server"] - d["browser"], 3),
        "idle": round(d["machine_idle"], 3),
    }


def read_stats(path: Path) -> list[dict[str, Any]]:
    rows = []
    with contextlib.suppress(OSError), open(path) as fh:
        for line in fh:
            with contextlib.suppress(ValueError):
                rows.append(json.loads(line))
    return rows


def _lab_first_lift(page: Any, timeout: float) -> float:
    """Wait until the Lift lab has counted a lift (its Replay button is enabled)."""
    button = page.locator(".st-key-lab_replay button")
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        with contextlib.suppress(Exception):
            if button.count() and button.first.is_enabled(timeout=1_000):
                return time.monotonic() - t0
        time.sleep(0.25)
    raise RuntimeError(f"the Lift lab counted no lift within {timeout:g} s")


def _lab_window(page: Any, end: float, replay_every: float | None,
                snapshot: Callable[[], dict[str, float]]) -> dict[str, Any]:
    """The measurement window on the Lift lab: sample the page's videos and the CPU split
    (``snapshot``) every 0.5 s and, if ``replay_every``, press "Replay lift N in slow
    motion" that often."""
    presses: list[dict[str, Any]] = []
    samples: list[list[Any]] = []  # [t, videos, playing]
    cpu: list[tuple[float, dict[str, float]]] = [(time.monotonic(), snapshot())]
    srcs_seen: set[str] = set()
    last_videos: list[dict[str, Any]] = []
    next_press = time.monotonic() if replay_every else math.inf
    while True:
        now = time.monotonic()
        if now >= end:
            break
        if now >= next_press:
            next_press = now + (replay_every or math.inf)
            press: dict[str, Any] = {"t": now}
            try:
                button = page.locator(".st-key-lab_replay button").first
                press["label"] = button.inner_text(timeout=2_000).split("\n")[-1].strip()
                button.click(timeout=2_000)
                press["click_ms"] = round(1000 * (time.monotonic() - now), 1)
            except Exception as exc:  # the fragment redrew it mid-click: next time
                press["error"] = f"{type(exc).__name__}: {exc}"[:200]
            presses.append(press)
        videos: list[dict[str, Any]] = []
        with contextlib.suppress(Exception):
            videos = page.evaluate(VIDEO_STATE_JS)
        new = [v["src"] for v in videos if v.get("src") and v["src"] not in srcs_seen]
        srcs_seen.update(v["src"] for v in videos if v.get("src"))
        if new and presses and "new_video_after_s" not in presses[-1]:
            presses[-1]["new_video_after_s"] = round(time.monotonic() - presses[-1]["t"], 2)
        samples.append([now, len(videos), sum(bool(v.get("playing")) for v in videos)])
        if videos:
            last_videos = videos
        time.sleep(max(0.0, min(0.5 - (time.monotonic() - now), end - time.monotonic())))
        cpu.append((time.monotonic(), snapshot()))
    playing = [s for s in samples if s[2] > 0]
    return {"presses": presses, "video_samples": len(samples),
            "cpu_after_press": cpu_after_press(cpu, [p["t"] for p in presses]),
            "replay_playing_share": round(len(playing) / len(samples), 3) if samples else None,
            "distinct_replay_clips": len(srcs_seen), "last_videos": last_videos}


def cpu_after_press(cpu: list[tuple[float, dict[str, float]]], presses: list[float],
                    first_s: float = 1.0) -> dict[str, Any]:
    """Cores used (as ``cpu_usage``) in the first ``first_s`` s after each press — the
    page's full run and the new clip — and in the rest of the window (all of it when
    nothing was pressed), from the ~0.5 s CPU samples (each interval by its midpoint)."""
    bins: dict[str, list[dict[str, float]]] = {}
    for (t0, a), (t1, b) in itertools.pairwise(cpu):
        if t1 - t0 <= 0:
            continue
        mid = (t0 + t1) / 2
        since = min((mid - p for p in presses if mid >= p), default=None)
        name = (f"first_{first_s:g}_s_after_press" if since is not None and since < first_s
                else "rest")
        bins.setdefault(name, []).append({**cpu_usage(a, b, t1 - t0), "seconds": t1 - t0})
    out: dict[str, Any] = {}
    for name, rows in bins.items():
        total = sum(r["seconds"] for r in rows)
        out[name] = {k: round(sum(r[k] * r["seconds"] for r in rows) / total, 3)
                     for k in rows[0] if k != "seconds"}
        out[name]["seconds"] = round(total, 2)
    return out


def press_effect(per_frame: list[list[Any]], press_times: list[float], span: float,
                 after_s: float = 1.0) -> dict[str, Any] | None:
    """Processed fps in the ``after_s`` s after each press (a full page run and, for a new
    lift, its clip's encoding) against the rest of the window."""
    if not press_times or span <= 0:
        return None
    def near(t: float) -> bool:
        return any(0 <= t - p < after_s for p in press_times)
    cover = sum(1 for i in range(int(span * 100)) if near(i / 100)) / 100
    inside = [f for f in per_frame if near(f[0])]
    outside = [f for f in per_frame if not near(f[0])]
    lat_in = sorted(f[2] for f in inside if f[2] is not None)
    lat_out = sorted(f[2] for f in outside if f[2] is not None)
    return {"after_s": after_s, "seconds_after_presses": round(cover, 2),
            "fps_after_presses": round(len(inside) / cover, 2) if cover else None,
            "fps_otherwise": round(len(outside) / (span - cover), 2) if span > cover else None,
            "latency_median_after_presses_ms": statistics.median(lat_in) if lat_in else None,
            "latency_median_otherwise_ms": statistics.median(lat_out) if lat_out else None}


def measure(name: str, app: Path, camera: Path, workdir: Path, warmup: float,
            duration: float, path: str = "", lab: dict[str, Any] | None = None,
            viewport: tuple[int, int] = (1400, 1000)) -> dict[str, Any]:
    """One app, one browser: Start, warm up, count callbacks for ``duration`` s, Stop.

    ``lab`` (the Lift lab at ``path``): wait for the first lift before the warm-up, then
    run the window through ``_lab_window`` (``lab["replay_every"]``: press Replay)."""
    from playwright.sync_api import sync_playwright

    stats = workdir / f"stats-{name}-{time.monotonic_ns()}.jsonl"
    result: dict[str, Any] = {"app": name, "script": str(app.relative_to(REPO)),
                              "loadavg_before": loadavg()}
    with serve(app, stats, workdir) as (url, server_pid), sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=[*QUIET_FLAGS, "--use-fake-ui-for-media-stream",
                  "--use-fake-device-for-media-stream",
                  f"--use-file-for-fake-video-capture={camera}"])
        try:
            page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
            page.goto(f"{url}/{path}" if path else url, timeout=90_000)
            webrtc = page.frame_locator('iframe[title*="webrtc_streamer"]').first
            webrtc.get_by_role("button", name=re.compile("^start$", re.I)).click(timeout=90_000)
            deadline = time.monotonic() + 60
            while not read_stats(stats):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name}: no frame reached the callback within 60 s")
                time.sleep(0.2)
            first = time.monotonic()
            if lab is not None:
                result["first_lift_after_s"] = round(_lab_first_lift(page, 90.0), 2)
            time.sleep(warmup)
            rows = read_stats(stats)
            tid = rows[-1].get("tid") if rows else None
            cpu0 = cpu_snapshot(server_pid, tid)
            window = (time.monotonic(), 0.0)
            if lab is not None:
                result["lab"] = _lab_window(page, window[0] + duration, lab.get("replay_every"),
                                            lambda: cpu_snapshot(server_pid, tid))
            else:
                time.sleep(duration)
            window = (window[0], time.monotonic())
            result["cpu_cores"] = cpu_usage(cpu0, cpu_snapshot(server_pid, tid),
                                            window[1] - window[0])
            result["server_rss_mb"] = status_mb(server_pid, "VmRSS")
            result["server_peak_rss_mb"] = status_mb(server_pid, "VmHWM")
            readout = None
            with contextlib.suppress(Exception):
                text = page.inner_text("body", timeout=5_000)
                m = APP_READOUT.search(text)
                if m:
                    readout = {"frames_analysed": int(m.group(1)),
                               "fps": float(m.group(2)), "latency_ms": float(m.group(3))}
            result["page_readout"] = readout
            with contextlib.suppress(Exception):
                webrtc.get_by_role("button", name=re.compile("^stop$", re.I)).click(
                    timeout=10_000)
                time.sleep(1.0)
        finally:
            browser.close()
    rows = read_stats(stats)
    result.update(analyse(rows, window, first))
    if lab is not None and result.get("per_frame"):
        presses = [p["t"] - window[0] for p in result["lab"]["presses"] if "error" not in p]
        result["lab"]["press_effect"] = press_effect(result["per_frame"], presses,
                                                     window[1] - window[0])
    result["loadavg_after"] = loadavg()
    return result


def analyse(rows: list[dict[str, Any]], window: tuple[float, float],
            first_seen: float) -> dict[str, Any]:
    """Processed fps and capture → cue latency over the measurement window."""
    if not rows:
        return {"frames": 0, "fps": 0.0}
    by_key: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_key.setdefault(r["key"], []).append(r)
    key, stream = max(by_key.items(), key=lambda kv: len(kv[1]))  # the page's one camera
    offsets = [r["t_in"] - r["frame_time"] for r in stream if r["frame_time"] is not None]
    offset = min(offsets) if offsets else None
    inside = [r for r in stream if window[0] <= r["t_out"] < window[1]]
    span = window[1] - window[0]
    lat = sorted(1000 * (r["t_out"] - r["frame_time"] - offset) for r in inside
                 if offset is not None and r["frame_time"] is not None)
    proc = sorted(1000 * (r["t_out"] - r["t_in"]) for r in inside)
    gaps = [b["frame_time"] - a["frame_time"] for a, b in itertools.pairwise(inside)
            if a["frame_time"] is not None and b["frame_time"] is not None]

    def pct(values: list[float], q: float) -> float | None:
        if not values:
            return None
        return values[min(len(values) - 1, round(q * (len(values) - 1)))]

    return {
        "stream_key": key,
        "frames": len(inside),
        "window_s": span,
        "fps": len(inside) / span if span > 0 else 0.0,
        "latency_median_ms": pct(lat, 0.5),
        "latency_p90_ms": pct(lat, 0.9),
        "callback_median_ms": pct(proc, 0.5),
        "callback_p90_ms": pct(proc, 0.9),
        "capture_gap_median_ms": 1000 * statistics.median(gaps) if gaps else None,
        "first_frame_after_start_s": round(stream[0]["t_out"] - first_seen, 3),
        # per processed frame: [s into the window, callback ms, latency ms] (diagnostics)
        "per_frame": [[round(r["t_out"] - window[0], 3), round(1000 * (r["t_out"] - r["t_in"]), 1),
                       None if offset is None or r["frame_time"] is None else
                       round(1000 * (r["t_out"] - r["frame_time"] - offset), 1)]
                      for r in inside],
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--app", type=Path, default=REPO / "app.py", help="the real app's script")
    p.add_argument("--rounds", type=int, default=2, help="bare/app pairs, alternating")
    p.add_argument("--duration", type=float, default=20.0, help="measured seconds per run")
    p.add_argument("--warmup", type=float, default=5.0, help="seconds after the first frame")
    p.add_argument("--fps", type=float, default=15.0, help="fake camera frame rate")
    p.add_argument("--only", choices=["bare", "app"], help="measure one app only")
    p.add_argument("--out", type=Path, help="default benchmarks/results/live.json "
                   "(with --lab-replays: benchmarks/results/live_lab_replays.json)")
    p.add_argument("--sample", type=Path, metavar="DIR",
                   help="also run a sampling profiler in the servers; profiles go to DIR "
                        "(diagnostics: slows the servers a little)")
    p.add_argument("--switch-interval", type=float, metavar="S",
                   help="experiment: sys.setswitchinterval(S) in both servers (default 0.005)")
    p.add_argument("--bare-panel", type=float, default=0.0, metavar="S",
                   help="diagnostic: the bare app also reruns a trivial st.fragment every S s")
    p.add_argument("--lab-replays", action="store_true",
                   help="measure the Lift lab page live, without and with slow-motion "
                        "replays (alternating), instead of bare vs app")
    p.add_argument("--lab-clip", type=Path, default=LAB_CLIP,
                   help="--lab-replays: the lifting clip the fake camera loops")
    p.add_argument("--replay-every", type=float, default=5.0, metavar="S",
                   help="--lab-replays: press Replay every S s of the window")
    p.add_argument("--lab-viewport", default="1400x2200", metavar="WxH",
                   help="--lab-replays: the browser's viewport, tall enough to show the "
                        "replay under the live video (Chromium autoplays only on screen)")
    args = p.parse_args(argv)
    if args.out is None:
        args.out = BENCH / "results" / ("live_lab_replays.json" if args.lab_replays
                                        else "live.json")
    global SAMPLE_DIR, SWITCH_S, BARE_PANEL_S
    SWITCH_S, BARE_PANEL_S = args.switch_interval, args.bare_panel
    if args.sample:
        args.sample.mkdir(parents=True, exist_ok=True)
        SAMPLE_DIR = args.sample.resolve()
    if not Path(CHROMIUM).exists():
        log(f"{CHROMIUM} is absent (apt-get install chromium): nothing measured")
        return 0

    if args.lab_replays:
        return lab_replays(args, argv)
    apps = [("bare", BENCH / "bare_webrtc_app.py"), ("app", args.app.resolve())]
    if args.only:
        apps = [a for a in apps if a[0] == args.only]
    report: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join(["benchmarks/live.py", *(argv or sys.argv[1:])]),
        "camera": {"source": str(SAMPLE.relative_to(REPO)), "size": "640x480",
                   "fps": args.fps, "format": "y4m (Chromium fake capture, looped)"},
        "cores": os.cpu_count(), "loadavg_start": loadavg(), "runs": [],
    }
    log(f"live benchmark · {os.cpu_count()} cores · load {report['loadavg_start']}")
    with tempfile.TemporaryDirectory(prefix="posture-live-bench-") as tmp:
        work = Path(tmp)
        camera = make_camera(work / "cam.y4m", args.fps, 10.0)
        for r in range(args.rounds):
            order = apps if r % 2 == 0 else apps[::-1]
            for name, script in order:
                log(f"round {r + 1}: {name} ({script.name}) …")
                try:
                    res = measure(name, script, camera, work, args.warmup, args.duration)
                except Exception as exc:  # e.g. the app page is not ready: report, go on
                    res = {"app": name, "error": f"{type(exc).__name__}: {exc}"[:2000]}
                    log(f"  failed: {res['error'][:300]}")
                else:
                    lat = res.get("latency_median_ms")
                    log(f"  {res['fps']:.2f} processed fps · latency median "
                        f"{lat if lat is None else round(lat)} ms · callback median "
                        f"{res.get('callback_median_ms') or 0:.1f} ms · page "
                        f"{res.get('page_readout')} · server RSS "
                        f"{res.get('server_rss_mb') or 0:.0f} MB")
                    log(f"  cores used: {res.get('cpu_cores')}")
                report["runs"].append(res)

    def med(app: str, key: str) -> float | None:
        vals = [r[key] for r in report["runs"] if r.get("app") == app and r.get(key) is not None
                and not r.get("error")]
        return float(statistics.median(vals)) if vals else None

    bare_fps, app_fps = med("bare", "fps"), med("app", "fps")
    report.update(
        bare_fps=bare_fps, app_fps=app_fps,
        fps_fraction=(app_fps / bare_fps) if bare_fps and app_fps is not None else None,
        latency_median_ms=med("app", "latency_median_ms"),
        latency_p90_ms=med("app", "latency_p90_ms"),
        bare_latency_median_ms=med("bare", "latency_median_ms"),
        loadavg_end=loadavg(),
    )
    frac, lat = report["fps_fraction"], report["latency_median_ms"]
    def met(ok: bool | None) -> str:
        return "NOT MEASURED" if ok is None else ("MET" if ok else "NOT MET")

    log("\n== live targets ==")
    log(f"processed fps: bare {bare_fps and round(bare_fps, 2)}, app "
        f"{app_fps and round(app_fps, 2)} → app/bare "
        f"{frac if frac is None else round(frac, 3)} (target ≥ {FPS_FRACTION_TARGET}) "
        f"{met(None if frac is None else frac >= FPS_FRACTION_TARGET)}")
    log(f"capture → cue latency, median: app {lat if lat is None else round(lat)} ms (bare "
        f"{report['bare_latency_median_ms'] and round(report['bare_latency_median_ms'])} ms) "
        f"(target ≤ {LATENCY_TARGET_MS:g} ms) "
        f"{met(None if lat is None else lat <= LATENCY_TARGET_MS)}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    log(f"wrote {args.out}")
    return 0


def lab_replays(args: argparse.Namespace, argv: list[str] | None) -> int:
    """``--lab-replays``: the Lift lab live, with no replay vs with replays, alternating."""
    clip = args.lab_clip.resolve()
    if not clip.exists():
        raise SystemExit(f"{clip} is absent")
    clip_s = float(subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
         str(clip)], capture_output=True, text=True, check=True, timeout=60).stdout.strip())
    loops = max(0, math.ceil(20.0 / clip_s) - 1)
    width, height = (int(x) for x in args.lab_viewport.lower().split("x"))
    viewport = (width, height)
    conditions: list[tuple[str, dict[str, Any]]] = [
        ("lab-no-replay", {"replay_every": None}),
        ("lab-replays", {"replay_every": args.replay_every})]
    report: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join(["benchmarks/live.py", *(argv or sys.argv[1:])]),
        "page": f"/{LAB_PATH} of {args.app.resolve().relative_to(REPO)}",
        "camera": {"source": str(clip.relative_to(REPO)), "size": "640x480",
                   "fps": args.fps, "loop_s": round(clip_s * (loops + 1), 2),
                   "format": "y4m (Chromium fake capture, looped)"},
        "replay_every_s": args.replay_every, "viewport": list(viewport),
        "warmup_s": args.warmup,
        "duration_s": args.duration, "cores": os.cpu_count(),
        "loadavg_start": loadavg(), "runs": [],
    }
    log(f"Lift lab replay benchmark · {os.cpu_count()} cores · load {report['loadavg_start']}"
        f" · camera {clip.name} ×{loops + 1}")
    with tempfile.TemporaryDirectory(prefix="posture-live-bench-") as tmp:
        work = Path(tmp)
        camera = make_camera(work / "cam.y4m", args.fps, clip_s * (loops + 1), clip, loops)
        for r in range(args.rounds):
            order = conditions if r % 2 == 0 else conditions[::-1]
            for name, lab in order:
                log(f"round {r + 1}: {name} …")
                try:
                    res = measure(name, args.app.resolve(), camera, work, args.warmup,
                                  args.duration, path=LAB_PATH, lab=lab, viewport=viewport)
                except Exception as exc:
                    res = {"app": name, "error": f"{type(exc).__name__}: {exc}"[:2000]}
                    log(f"  failed: {res['error'][:300]}")
                else:
                    res["round"] = r + 1
                    labinfo = res.get("lab", {})
                    lat = res.get("latency_median_ms")
                    log(f"  {res['fps']:.2f} processed fps · latency median "
                        f"{lat if lat is None else round(lat)} ms · callback median "
                        f"{res.get('callback_median_ms') or 0:.1f} ms · page "
                        f"{res.get('page_readout')}")
                    log(f"  presses {len(labinfo.get('presses', []))} · replay playing "
                        f"{labinfo.get('replay_playing_share')} of the window · "
                        f"effect {labinfo.get('press_effect')}")
                    log(f"  cores used: {res.get('cpu_cores')}")
                    log(f"  cores by time since a press: {labinfo.get('cpu_after_press')}")
                report["runs"].append(res)

    summary: dict[str, Any] = {}
    for name, _ in conditions:
        runs = [r for r in report["runs"] if r.get("app") == name and not r.get("error")]
        if not runs:
            summary[name] = None
            continue
        entry: dict[str, Any] = {
            k: statistics.median(vals) for k in LAB_RUN_KEYS
            if (vals := [r[k] for r in runs if r.get(k) is not None])}
        entry["per_round"] = [{"round": r["round"], **{k: r.get(k) for k in LAB_RUN_KEYS},
                               "page_readout": r.get("page_readout"),
                               "replay_playing_share": r["lab"].get("replay_playing_share"),
                               "press_effect": r["lab"].get("press_effect"),
                               "cpu_after_press": r["lab"].get("cpu_after_press"),
                               "presses": len(r["lab"]["presses"]),
                               "cpu_cores": r.get("cpu_cores")} for r in runs]
        entry["cpu_cores_median"] = {
            k: statistics.median(r["cpu_cores"][k] for r in runs)
            for k in runs[0].get("cpu_cores", {})}
        summary[name] = entry
    report["summary"] = summary
    report["loadavg_end"] = loadavg()
    a, b = summary.get("lab-no-replay"), summary.get("lab-replays")
    log("\n== Lift lab: live rate without and with replays ==")
    for name, e in summary.items():
        if e:
            log(f"{name}: median {e.get('fps', 0):.2f} fps · capture → cue median "
                f"{e.get('latency_median_ms')} ms · cores {e['cpu_cores_median']}")
    if a and b and a.get("fps"):
        report["fps_ratio_replays_vs_none"] = round(b["fps"] / a["fps"], 3)
        log(f"fps with replays / without: {report['fps_ratio_replays_vs_none']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
