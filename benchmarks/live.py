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
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import itertools
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
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


def make_camera(out: Path, fps: float, seconds: float) -> Path:
    """A Y4M webcam file: the sample clip scaled and padded to 640×480 (person undistorted)."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise SystemExit("ffmpeg is needed to make the fake camera (apt-get install ffmpeg)")
    subprocess.run([ffmpeg, "-nostdin", "-loglevel", "error", "-y", "-i", str(SAMPLE), "-vf",
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


def measure(name: str, app: Path, camera: Path, workdir: Path, warmup: float,
            duration: float) -> dict[str, Any]:
    """One app, one browser: Start, warm up, count callbacks for ``duration`` s, Stop."""
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
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url, timeout=90_000)
            webrtc = page.frame_locator('iframe[title*="webrtc_streamer"]').first
            webrtc.get_by_role("button", name=re.compile("^start$", re.I)).click(timeout=90_000)
            deadline = time.monotonic() + 60
            while not read_stats(stats):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name}: no frame reached the callback within 60 s")
                time.sleep(0.2)
            first = time.monotonic()
            time.sleep(warmup)
            rows = read_stats(stats)
            tid = rows[-1].get("tid") if rows else None
            cpu0 = cpu_snapshot(server_pid, tid)
            window = (time.monotonic(), 0.0)
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
    p.add_argument("--out", type=Path, default=BENCH / "results" / "live.json")
    p.add_argument("--sample", type=Path, metavar="DIR",
                   help="also run a sampling profiler in the servers; profiles go to DIR "
                        "(diagnostics: slows the servers a little)")
    p.add_argument("--switch-interval", type=float, metavar="S",
                   help="experiment: sys.setswitchinterval(S) in both servers (default 0.005)")
    p.add_argument("--bare-panel", type=float, default=0.0, metavar="S",
                   help="diagnostic: the bare app also reruns a trivial st.fragment every S s")
    args = p.parse_args(argv)
    global SAMPLE_DIR, SWITCH_S, BARE_PANEL_S
    SWITCH_S, BARE_PANEL_S = args.switch_interval, args.bare_panel
    if args.sample:
        args.sample.mkdir(parents=True, exist_ok=True)
        SAMPLE_DIR = args.sample.resolve()
    if not Path(CHROMIUM).exists():
        log(f"{CHROMIUM} is absent (apt-get install chromium): nothing measured")
        return 0

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


if __name__ == "__main__":
    sys.exit(main())
