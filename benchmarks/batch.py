"""Throughput of ``posture batch`` on Ray, and Ray against the hand-made pool (issue 12).

Run:  .venv/bin/python benchmarks/batch.py [--clips N] [--out benchmarks/results/batch.json]

In one run:

(a) clips per minute with the embedded Ray runtime limited to 1 and to 2 worker
    processes (``RayEngine(workers=N)``, started before the clock: start-up is
    reported apart), on the synthetic sample clips (``--no-video``, the
    analysis options of ``posture analyze``); a plain in-process loop over the
    same clips (``analyze_video`` one after another, no engine) is the baseline;
(b) scaling efficiency = (clips/min with 2) / (2 × clips/min with 1);
(c) engine overhead per task: the wall time a worker process spent not inside
    ``analyze_clip`` (busy workers × wall − Σ task seconds, per clip), and the
    round trip of an empty Ray task;
(d) peak resident memory per worker process (``ru_maxrss`` reported by each task);
(e) one long clip with 2 workers: the hand-made pool (``posture.parallel``, what
    ``posture analyze --workers 2`` uses) against the same chunks (1 s warm-up
    overlap, ``parallel._run_chunk``) run as Ray tasks, cold (start-up included)
    and warm (the pool / runtime already running, as in the app's Review page).

The numbers are printed and written to a JSON file. Benchmarks never fail the suite.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import loadavg, log

REPO = Path(__file__).resolve().parents[1]
SYN = REPO / "sample_videos" / "synthetic"
LONG = REPO / "sample_videos" / "squat_side_barbell_back_squat_gym_vertical.mp4"
RESULTS = REPO / "benchmarks" / "results"

sys.path.insert(0, str(REPO))
os.environ["RAY_USAGE_STATS_ENABLED"] = "0"


def batch_pass(clips: list[Path], workers: int) -> dict[str, Any]:
    from posture.batch import RayEngine, run_batch
    from posture.pipeline import AnalysisOptions

    t0 = time.perf_counter()
    engine = RayEngine(None, workers=workers)
    startup = time.perf_counter() - t0
    try:
        # warm the worker processes (imports, estimator) on one clip, as a batch of many would
        with tempfile.TemporaryDirectory() as warm:
            run_batch(clips[:workers], warm, AnalysisOptions(), no_video=True, engine=engine,
                      history=False)
        with tempfile.TemporaryDirectory() as out:
            t1 = time.perf_counter()
            result = run_batch(clips, out, AnalysisOptions(), no_video=True, engine=engine,
                               history=False)
            wall = time.perf_counter() - t1
        ray = engine.ray
        noop = ray.remote(lambda: None)
        ray.get([noop.remote() for _ in range(20)])
        t2 = time.perf_counter()
        ray.get([noop.remote() for _ in range(200)])
        empty_ms = (time.perf_counter() - t2) / 200 * 1000
    finally:
        engine.close()
    outcomes = result.outcomes
    task_s = sum(o.seconds for o in outcomes)
    busy = min(workers, len(clips))
    per_pid: dict[int, float] = {}
    for o in outcomes:
        if o.maxrss_mb is not None:
            per_pid[o.pid] = max(per_pid.get(o.pid, 0.0), o.maxrss_mb)
    return {
        "workers": workers,
        "clips": len(clips),
        "failed": len(result.failed),
        "startup_s": round(startup, 2),
        "wall_s": round(wall, 2),
        "clips_per_min": round(len(clips) / wall * 60, 2),
        "task_s_mean": round(task_s / len(outcomes), 3),
        # CPU time / wall time of the tasks: below 1 when other jobs take the cores
        "task_cpu_share": round(sum(o.cpu_seconds for o in outcomes) / task_s, 2),
        "overhead_s_per_task": round((busy * wall - task_s) / len(outcomes), 3),
        "empty_task_ms": round(empty_ms, 2),
        "peak_rss_mb_per_worker": {str(k): round(v, 1) for k, v in sorted(per_pid.items())},
    }


def sequential_pass(clips: list[Path]) -> dict[str, Any]:
    from posture.pipeline import AnalysisOptions, analyze_video
    from posture.report import build_report, write_csv, write_report

    analyze_video(clips[0], AnalysisOptions())  # imports and model load, like a warm worker
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        for clip in clips:
            analysis = analyze_video(clip, AnalysisOptions())
            build_report(analysis, str(clip))
            write_report(analysis, Path(out) / clip.stem, str(clip))
            write_csv(analysis, Path(out) / clip.stem)
    wall = time.perf_counter() - t0
    return {"wall_s": round(wall, 2), "clips_per_min": round(len(clips) / wall * 60, 2)}


def _ray_chunk(path: str, table: Any, selected: frozenset[int], chunk: Any) -> list[Any]:
    """One chunk of ``posture.parallel``'s plan as a Ray task (same code, same warm-up)."""
    from posture import parallel

    got: list[Any] = []

    def send(msg: tuple[Any, ...]) -> None:
        got.extend(msg[2])

    parallel._run_chunk(path, table, selected, 1, 1280, chunk, send)
    return got


def single_clip(workers: int = 2) -> dict[str, Any]:
    """A long clip: hand-made pool vs Ray tasks over the same chunks, cold and warm."""
    from posture import parallel
    from posture.pipeline import AnalysisOptions, analyze_video
    from posture.video import open_media

    path = str(LONG)
    with open_media(path, 1280) as source:
        info = source.info
        stream_index, _ = parallel._decoder_setup(source)
    table = parallel.probe_frames(path, stream_index)
    assert table is not None
    selected = parallel.select_frames(table.times, None)
    chunks = parallel.plan_chunks(table.times, selected, workers, parallel.WARMUP_S)
    out: dict[str, Any] = {"clip": LONG.name, "duration_s": round(info.duration_s, 2),
                           "frames": len(table), "workers": workers}

    def pool_run() -> float:
        t = time.perf_counter()
        analyze_video(path, AnalysisOptions(workers=workers))
        return time.perf_counter() - t

    import ray

    task = ray.remote(_ray_chunk).options(num_cpus=1)

    def ray_run() -> tuple[float, int]:
        t = time.perf_counter()
        fn = functools.partial(task.remote, path, table, frozenset(selected))
        records = [r for part in ray.get([fn(c) for c in chunks]) for r in part]
        return time.perf_counter() - t, len(records)

    pool_cold, pool_warm, ray_cold, ray_start, ray_warm = [], [], [], [], []
    for _ in range(2):  # alternated, so load from other jobs hits both alike
        parallel.shutdown()
        pool_cold.append(pool_run())
        pool_warm.append(pool_run())
        parallel.shutdown()
        t0 = time.perf_counter()
        ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False,
                 configure_logging=False)
        try:
            started = time.perf_counter() - t0
            first, n = ray_run()
            ray_cold.append(started + first)
            ray_start.append(started)
            ray_warm.append(ray_run()[0])
            out["ray_records_ok"] = n == len(selected)
        finally:
            ray.shutdown()
    for key, values in (("pool_cold_s", pool_cold), ("pool_warm_s", pool_warm),
                        ("ray_cold_s", ray_cold), ("ray_start_s", ray_start),
                        ("ray_warm_s", ray_warm)):
        out[key] = [round(v, 2) for v in values]
        out[key.removesuffix("_s") + "_median_s"] = round(statistics.median(values), 2)
    t = time.perf_counter()
    analyze_video(path, AnalysisOptions(workers=1))
    out["one_process_s"] = round(time.perf_counter() - t, 2)
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clips", type=int, default=12, help="how many sample clips (max 12)")
    p.add_argument("--out", type=Path, default=RESULTS / "batch.json")
    p.add_argument("--skip-single", action="store_true", help="skip (e)")
    args = p.parse_args()
    clips = sorted(SYN.glob("*.mp4"))[: args.clips]
    result: dict[str, Any] = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "loadavg_before": loadavg(),
        "clips": [c.name for c in clips],
    }
    log(f"{len(clips)} clips; load {loadavg()}")
    result["sequential"] = sequential_pass(clips)
    log(f"in-process loop: {result['sequential']}")
    for n in (1, 2):
        result[f"ray_{n}"] = batch_pass(clips, n)
        log(f"Ray, {n} worker(s): {result[f'ray_{n}']}")
    one, two = result["ray_1"]["clips_per_min"], result["ray_2"]["clips_per_min"]
    result["scaling_efficiency"] = round(two / (2 * one), 3)
    log(f"scaling efficiency 1 → 2 workers: {result['scaling_efficiency']:.0%}")
    if not args.skip_single:
        result["single_clip"] = single_clip()
        log(f"one long clip, pool vs Ray: {result['single_clip']}")
    result["loadavg_after"] = loadavg()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, default=str))
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
