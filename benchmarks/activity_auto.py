"""Automatic activity detection (``posture analyze CLIP`` without ``--activity``) on labelled clips.

For every labelled clip — real footage in ``../shared/videos/real`` (labels:
``benchmarks/labels/real_clips.toml``, the activity a person saw), synthetic renders in
``../shared/videos/synthetic`` and ``sample_videos/synthetic``, and the eval renders in
``sample_videos/eval`` (ground truth JSON beside each clip) — this runs the real analysis
path in Automatic mode and prints a confusion table, true activity × detected activity:

* ``pipeline``: the session activity ``posture analyze`` reports (``report.json``
  ``activity``), i.e. what a user sees; ``(none)`` = never decided (the report then
  says its default, standing);
* ``detector``: ``ActivityDetector`` alone with ``report_other=True`` (the rep counter
  feeding it exactly as the assessor does), so "other" — lying down, on all fours, not
  upright: no sitting / standing / lifting verdict — is measured before the assessor
  can report it. ``(none)`` = the detector never decided (the assessor then falls back
  to standing).

True activities: sitting, standing, lifting (squats, deadlifts, lifts, lunges), ``other``
(labelled "auto": lying down, crowds, close-ups, nobody in view — a clip that should get
no sitting / standing / lifting verdict). Renders with ``activity = none`` are an empty room.

MediaPipe is the slow part, so each clip's poses and picture-quality states are cached in
``benchmarks/results/activity_auto/cache/`` (key: file size and mtime, the MediaPipe
version, the frame size limit and the source of posture/pose.py, video.py, quality.py);
everything after the pose model (person gate, view, metrics, smoothing, rules, reps,
detection) is recomputed from the current code on every run. One process, no pool:

    nice -n 10 .venv/bin/python benchmarks/activity_auto.py               # all sets
    nice -n 10 .venv/bin/python benchmarks/activity_auto.py --set real --only 'squat*'
    .venv/bin/python benchmarks/activity_auto.py --per-clip               # + one line per clip

Writes ``benchmarks/results/activity_auto.json`` and prints the tables.
"""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import hashlib
import json
import pickle
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as ``python benchmarks/activity_auto.py``
    sys.path.insert(0, str(REPO))

from benchmarks import accuracy  # noqa: E402  (the clip lists and label tables)

RESULTS = REPO / "benchmarks" / "results"
CACHE = RESULTS / "activity_auto" / "cache"
CACHE_VERSION = 1
#: Source files whose change alters the cached poses / picture states.
POSE_SOURCES = ("posture/pose.py", "posture/video.py", "posture/quality.py")
MAX_SIDE = 1280  # AnalysisOptions.max_side, as ``posture analyze`` uses it
TRUE_ORDER = ("sitting", "standing", "lifting", "other")
DETECTED_ORDER = ("sitting", "standing", "lifting", "other", "(none)", "error")


# ------------------------------------------------------------------ clips
@dataclass(frozen=True)
class Item:
    key: str  # "<set>/<name>"
    path: Path
    truth: str  # sitting | standing | lifting | other
    note: str = ""


def truth_of(label: str) -> str:
    """The true activity for a label's ``activity`` (``auto`` / ``none`` → other)."""
    a = label.lower()
    if a in ("auto", "none", "other", ""):
        return "other"
    act = accuracy.analysis_activity(a)
    return "other" if act == "auto" else act


def collect(sets: Sequence[str], shared: Path, only: Sequence[str]) -> tuple[list[Item], list[str]]:
    notes: list[str] = []
    items: list[Item] = []
    if "synthetic" in sets:
        seen: set[str] = set()
        for folder in (shared / "videos" / "synthetic", accuracy.SAMPLE_SYNTHETIC):
            for c in accuracy.rendered_clips(folder, "synthetic", seen):
                items.append(Item(f"synthetic/{c.name}", c.path,
                                  truth_of(str(c.gt().get("activity") or "auto"))))
    if "eval" in sets:
        for c in accuracy.rendered_clips(accuracy.EVAL_DIR, "eval", set()):
            items.append(Item(f"eval/{c.name}", c.path,
                              truth_of(str(c.gt().get("activity") or "auto"))))
    if "real" in sets:
        real_dir = shared / "videos" / "real"
        if not real_dir.is_dir():
            notes.append(f"{real_dir} is absent: real clips skipped.")
        else:
            clips, more = accuracy.real_clips(accuracy.REAL_LABELS, real_dir)
            notes += more
            for c in clips:
                lab = c.label
                note = ""
                if lab.get("verdict") == "not_judged" and lab.get("activity") != "auto":
                    note = "labelled not_judged"
                items.append(Item(f"real/{c.name}", c.path,
                                  truth_of(str(lab.get("activity") or "auto")), note))
    if only:
        items = [i for i in items if any(fnmatch.fnmatch(i.path.name, g)
                                         or fnmatch.fnmatch(i.key, g)
                                         or fnmatch.fnmatch(i.path.stem, g) for g in only)]
    return items, notes


# ------------------------------------------------------------------ pose cache
def _cache_key(path: Path) -> str:
    import mediapipe

    st = path.stat()
    h = hashlib.sha1()
    h.update(f"{CACHE_VERSION}|{path.resolve()}|{st.st_size}|{st.st_mtime_ns}|"
             f"{mediapipe.__version__}|{MAX_SIDE}".encode())
    for src in POSE_SOURCES:
        h.update((REPO / src).read_bytes())
    return h.hexdigest()[:16]


class _Replay:
    """A pose backend and picture-quality monitor that hand back cached results in order."""

    def __init__(self, poses: Sequence[Any], quality: Sequence[Any]) -> None:
        self.poses, self.quality = list(poses), list(quality)
        self.i = self.j = 0

    def process(self, image_rgb: Any, t: float) -> Any:
        p = self.poses[self.i]
        self.i += 1
        return p

    def update(self, image_rgb: Any, pose: Any, t: float) -> Any:
        q = self.quality[self.j]
        self.j += 1
        return q

    def close(self) -> None:
        pass


def _quiet() -> contextlib.AbstractContextManager[None]:
    try:
        from posture.cli import _native_logs_silenced

        return _native_logs_silenced()
    except ImportError:  # pragma: no cover - the CLI helper moved
        return contextlib.nullcontext()


def poses_of(path: Path, refresh: bool = False) -> dict[str, Any]:
    """Per frame: index, t, MediaPipe pose, picture-quality state; plus media info (cached)."""
    from posture.frame_analyzer import FrameAnalyzer
    from posture.video import open_media

    CACHE.mkdir(parents=True, exist_ok=True)
    file = CACHE / f"{path.stem}.{_cache_key(path)}.pkl"
    if file.is_file() and not refresh:
        with file.open("rb") as fh:
            return dict(pickle.load(fh))
    frames: list[tuple[int, float, Any, Any]] = []
    with _quiet(), open_media(path, MAX_SIDE) as source:
        info = source.info
        analyzer = FrameAnalyzer(static_image=info.kind == "image")
        try:
            for f in source:
                r = analyzer.update(f.image, f.t)
                frames.append((f.index, f.t, r.pose, r.quality))
        finally:
            analyzer.close()
        warnings = tuple(getattr(source, "warnings", ()))
    data = {"info": info, "frames": frames, "warnings": warnings}
    tmp = file.with_suffix(".tmp")
    with tmp.open("wb") as fh:
        pickle.dump(data, fh, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(file)
    return data


def records_of(data: dict[str, Any]) -> list[Any]:
    """The frame chain after the pose model, run on the cached poses with today's code."""
    from posture.frame_analyzer import FrameAnalyzer

    frames = data["frames"]
    replay = _Replay([p for _, _, p, _ in frames], [q for _, _, _, q in frames])
    analyzer = FrameAnalyzer(backend=replay, static_image=data["info"].kind == "image")
    analyzer.quality = replay  # type: ignore[assignment]
    return [replace(analyzer.update(None, t), index=i)  # type: ignore[arg-type]
            for i, t, _, _ in frames]


# ------------------------------------------------------------------ detection
def detector_alone(metrics: Sequence[Any]) -> dict[str, Any]:
    """``ActivityDetector(report_other=True)`` fed as the assessor feeds it.

    Session activity as the assessor's: lifting when a rep completed while the activity
    was lifting, else the activity held longest; ``(none)`` if it never decided.
    """
    from posture.activities.detect import ActivityDetector
    from posture.activities.reps import DepthSignal, RepCounter

    try:
        det = ActivityDetector(report_other=True)
    except TypeError:  # the detector before this benchmark: no "other"
        det = ActivityDetector()
    depth, counter = DepthSignal(), RepCounter()
    cur: str | None = None
    since = 0.0
    totals: dict[str, float] = {}
    reps = 0
    last_t = 0.0
    for m in metrics:
        tick = counter.update(depth.update(m), m.t)
        act = det.update(m, tick.completed is not None, m.t)
        if act is not None and act != cur:
            if cur is not None:
                totals[cur] = totals.get(cur, 0.0) + m.t - since
            cur, since = act, m.t
        if tick.completed is not None and cur == "lifting":
            reps += 1
        last_t = m.t
    if counter.flush() is not None and cur == "lifting":
        reps += 1
    if cur is not None:
        totals[cur] = totals.get(cur, 0.0) + last_t - since + 1e-9
    if reps:
        session = "lifting"
    elif totals:
        session = max(totals, key=lambda a: totals[a])
    else:
        session = "(none)"
    return {"activity": session, "reps": reps,
            "time_s": {a: round(v, 2) for a, v in totals.items()}}


def run_item(item: Item, refresh: bool) -> dict[str, Any]:
    from posture.parallel import ChunkedRecords
    from posture.pipeline import AnalysisOptions, analyze_video

    t0 = time.perf_counter()
    data = poses_of(item.path, refresh)
    t1 = time.perf_counter()
    records = records_of(data)
    analysis = analyze_video(item.path, AnalysisOptions(activity="auto", max_side=MAX_SIDE),
                             precomputed=ChunkedRecords(data["info"], records, data["warnings"]))
    session = analysis.session
    assert session is not None
    summary = session.summary
    segments = summary.get("activity_segments", [])
    pipeline = {
        # Never decided: the report says its default (standing); shown as "(none)".
        "activity": session.activity if segments else "(none)",
        "report_activity": session.activity, "reps": len(session.reps),
        "score": summary.get("score"),
        "segments": [(s["activity"], s["start_s"], s["end_s"]) for s in segments],
    }
    alone = detector_alone([f.metrics for f in analysis.frames])
    return {"truth": item.truth, "note": item.note, "pipeline": pipeline, "detector": alone,
            "frames": len(records), "pose_s": round(t1 - t0, 2),
            "rest_s": round(time.perf_counter() - t1, 2)}


# ------------------------------------------------------------------ tables
def confusion(rows: dict[str, dict[str, Any]], which: str, keys: Sequence[str]) -> str:
    counts: Counter[tuple[str, str]] = Counter()
    for k, r in rows.items():
        if not any(k.startswith(p + "/") for p in keys):
            continue
        det = "error" if "error" in r else str(r[which]["activity"])
        counts[(r["truth"], det)] += 1
    if not counts:
        return "(no clips)"
    cols = [d for d in DETECTED_ORDER if any(c[1] == d for c in counts)]
    cols += sorted({c[1] for c in counts} - set(cols))
    truths = [t for t in TRUE_ORDER if any(c[0] == t for c in counts)]
    width = max(10, *(len(c) + 1 for c in cols))
    head = "true \\ detected".ljust(16) + "".join(c.rjust(width) for c in cols) + "   correct"
    lines = [head, "-" * len(head)]
    right = total = 0
    for t in truths:
        n = sum(counts[(t, c)] for c in cols)
        ok = counts[(t, t)]
        right, total = right + ok, total + n
        lines.append(t.ljust(16) + "".join(str(counts[(t, c)] or ".").rjust(width) for c in cols)
                     + f"   {ok}/{n}")
    lines.append(f"correct overall: {right}/{total}")
    others = [r for k, r in rows.items() if r["truth"] == "other" and "error" not in r
              and any(k.startswith(p + "/") for p in keys)]
    if others:
        none = sum(r[which]["activity"] in ("other", "(none)") for r in others)
        lines.append(f"true other with no sitting/standing/lifting decided: {none}/{len(others)}")
        if which == "pipeline":
            scored = sum(r["pipeline"]["score"] is not None or r["pipeline"]["reps"] > 0
                         for r in others)
            lines.append(f"true other given a score or reps (a verdict): {scored}/{len(others)}")
    return "\n".join(lines)


def per_clip_lines(rows: dict[str, dict[str, Any]]) -> Iterator[str]:
    for k, r in rows.items():
        if "error" in r:
            yield f"{k:62s} {r['truth']:9s} ERROR {r['error']}"
            continue
        p, d = r["pipeline"], r["detector"]
        mark = "" if d["activity"] == r["truth"] else "  <-- detector"
        if p["activity"] != r["truth"]:
            mark += "  <-- pipeline"
        segs = " ".join(f"{a}@{s:.1f}" for a, s, _ in p["segments"])
        yield (f"{k:62s} {r['truth']:9s} pipeline={p['activity']:9s} reps={p['reps']:<2d} "
               f"score={p['score']!s:4s} "
               f"detector={d['activity']:9s} reps={d['reps']:<2d} [{segs}]"
               f"{' (' + r['note'] + ')' if r['note'] else ''}{mark}")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", choices=("all", *accuracy.SETS), default="all")
    ap.add_argument("--only", action="append", default=[], metavar="GLOB",
                    help="only clips whose file name or set/name matches (repeatable)")
    ap.add_argument("--shared", default=str(accuracy.SHARED_DEFAULT))
    ap.add_argument("--refresh", action="store_true", help="re-run MediaPipe (ignore the cache)")
    ap.add_argument("--poses-only", action="store_true",
                    help="only fill the pose cache (no analysis)")
    ap.add_argument("--per-clip", action="store_true", help="print one line per clip")
    ap.add_argument("--out", default=str(RESULTS / "activity_auto.json"))
    args = ap.parse_args(argv)
    sets = accuracy.SETS if args.set == "all" else (args.set,)
    items, notes = collect(sets, Path(args.shared), args.only)
    for n in notes:
        print(f"note: {n}", file=sys.stderr)
    rows: dict[str, dict[str, Any]] = {}
    for item in items:
        t0 = time.perf_counter()
        try:
            if args.poses_only:
                poses_of(item.path, args.refresh)
                rows[item.key] = {"truth": item.truth}
            else:
                rows[item.key] = run_item(item, args.refresh)
        except Exception as exc:  # one bad clip must not stop the table
            rows[item.key] = {"truth": item.truth, "note": item.note,
                              "error": f"{type(exc).__name__}: {exc}"}
        print(f"  {item.key}: {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    if args.poses_only:
        return 0
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=1, default=str), encoding="utf-8")
    groups = [("real", ("real",)), ("rendered (synthetic + eval)", ("synthetic", "eval"))]
    for title, keys in groups:
        if not any(k.startswith(tuple(p + "/" for p in keys)) for k in rows):
            continue
        for which in ("pipeline", "detector"):
            print(f"\n## {title} — {which}\n")
            print(confusion(rows, which, keys))
    if args.per_clip:
        print()
        for line in per_clip_lines(rows):
            print(line)
    errors = sum("error" in r for r in rows.values())
    return 1 if errors and errors == len(rows) else 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
    sys.exit(130)

