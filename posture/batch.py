"""``posture batch``: many recordings analysed on every core of a machine, or on a Ray cluster.

How it is built, and why:

* **Engine.** Ray. By default the command starts a local Ray runtime itself
  (one worker process per core, bound to 127.0.0.1, no dashboard, no usage
  statistics) and stops it at the end; ``--cluster ADDRESS`` joins a cluster
  someone started with ``ray start``. Every node needs the same ``posture``
  installed (the same lock file).
* **One task per recording.** A task is the whole per-clip pipeline, exactly
  ``posture analyze``'s: ``analyze_video`` (sequential, one process), then the
  report, ``frames.csv`` and the annotated video. A clip of at least
  2 × ``CHUNK_S`` (60 s) is cut into ~30 s chunks by ``posture.parallel``'s
  plan, each chunk a task that starts 1 s early (the warm-up overlap) and
  returns per-frame records; the clip's task then only smooths, applies the
  rules and writes, so one long recording does not keep a single core busy
  while the others idle at the end of a batch. Ray reuses its worker
  processes between tasks, and each keeps **one pose estimator** per kind (video
  or photo) in a module-level cache: a new clip resets the estimator's graph
  (MediaPipe's ``reset()``, ~5 ms) instead of building one, and the worker's
  ~2 s of imports are paid once per worker, not once per clip.
* **Who writes.** A task returns its outputs as bytes; only the command (the
  driver) writes them, first into ``DIR/.partial-<name>-<random>/``, then one
  ``rename`` to ``DIR/<name>/``. A task that Ray retries after a worker or node
  died therefore never writes twice, and an interruption leaves either a whole
  result folder or none. ``DIR/<name>/clip.json`` (written last, inside the
  renamed folder) marks a recording as finished: a rerun skips it.
* **What travels.** On the embedded runtime the task gets the file's path (same
  machine). With ``--cluster`` the driver puts the file's bytes in Ray's object
  store, so worker machines need no shared folder; at most two tasks per CPU of
  the cluster are in flight, which bounds the driver's memory.
* **Errors.** A recording that cannot be analysed gets its one-sentence reason
  in the index (``status`` failed) and the batch goes on; a rerun tries failed
  recordings again.
"""

from __future__ import annotations

import contextlib
import csv
import glob
import hashlib
import io
import json
import logging
import math
import os
import shutil
import sys
import tempfile
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from posture import __version__
from posture.errors import PostureError, display_name
from posture.pipeline import AnalysisOptions

if TYPE_CHECKING:
    from posture.frame_analyzer import FrameAnalyzer
    from posture.pose import MediaPipePose
    from posture.video import MediaInfo

#: Suffixes picked up when a folder is given (a file named explicitly is always tried).
MEDIA_SUFFIXES = frozenset({
    ".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv", ".3gp", ".ts",
    ".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff",
})
INDEX_CSV = "index.csv"
CLIP_FILE = "clip.json"  # inside each result folder: its index row; written last
SETTINGS_FILE = "batch.json"  # the options the folder's results were made with
PARTIAL_PREFIX = ".partial-"
INDEX_COLUMNS = ("file", "name", "status", "duration_s", "activity", "reps", "score",
                 "verdict", "faults", "rep_faults", "frames", "detected_fraction", "error",
                 "source")
#: Ray retries a task this often when its worker process or node dies.
TASK_RETRIES = 3
#: Tasks in flight per cluster CPU when media bytes are shipped (bounds driver memory).
IN_FLIGHT_PER_CPU = 2
POLL_S = 0.25
#: Clips at least twice this long are analysed in chunks of about this many seconds,
#: each a task of its own (1 s warm-up overlap, as ``posture.parallel``), so one long
#: recording does not leave the other cores idle at the end of a batch.
CHUNK_S = 30.0
PROGRESS_EVERY = 8  # frames between progress reports from a worker

ProgressFn = Callable[["BatchProgress"], None]


class BatchError(PostureError):
    """The batch as a whole cannot run (no inputs, a busy output folder, no cluster)."""


# --------------------------------------------------------------------------- inputs


def collect_inputs(inputs: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """Files, folders (their recordings, recursively) and glob patterns → absolute paths.

    A path that is neither an existing file nor a folder nor a pattern with
    matches is kept: it becomes a failed row ("could not be found") in the index.
    """
    found: list[Path] = []
    for item in inputs:
        text = os.fspath(item)
        path = Path(text).expanduser()
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*")
                                if p.is_file() and p.suffix.lower() in MEDIA_SUFFIXES
                                and not any(part.startswith(".") for part in
                                            p.relative_to(path).parts)))
        elif path.exists() or not glob.has_magic(text):
            found.append(path)
        else:
            found.extend(sorted(Path(m) for m in glob.glob(os.path.expanduser(text),
                                                           recursive=True)
                                if os.path.isfile(m)))
    seen: set[Path] = set()
    unique = []
    for p in found:
        key = p.absolute()
        if key not in seen:
            seen.add(key)
            unique.append(key)
    if not unique:
        shown = ", ".join(os.fspath(i) for i in inputs) or "nothing"
        raise BatchError(f"No recordings were found in {shown}; give video files, folders "
                         "or patterns such as 'clinic/*.mp4'.")
    return unique


def plan_names(paths: Sequence[Path]) -> dict[Path, str]:
    """Each recording's results folder name: its file name without the suffix, made unique."""
    def base(p: Path) -> str:
        stem = p.stem.lstrip(".") or "recording"
        return stem if stem not in (INDEX_CSV, SETTINGS_FILE) else stem + "-clip"

    counts = Counter(base(p) for p in paths)
    names = {}
    for p in paths:
        name = base(p)
        if counts[name] > 1:  # two "session1.mp4" in different folders
            name += "-" + hashlib.sha1(os.fsencode(p)).hexdigest()[:8]
        names[p] = name
    return names


def _settings_record(options: AnalysisOptions, no_video: bool) -> dict[str, Any]:
    """What makes two runs' results comparable (a rerun must use the same)."""
    profile_digest = None
    if options.profile is not None:
        with contextlib.suppress(OSError):
            profile_digest = hashlib.sha256(Path(options.profile).read_bytes()).hexdigest()
    return {
        "format": "posture-batch",
        "tool_version": __version__,
        "activity": options.activity,
        "profile": os.fspath(options.profile) if options.profile is not None else None,
        "profile_sha256": profile_digest,
        "height_cm": options.user_height_cm,
        "rate": options.analysis_fps,
        "model_complexity": options.model_complexity,
        "video": not no_video,
    }


# --------------------------------------------------------------------------- worker side


class _ReusablePose:
    """This worker's pose estimator for one kind of input, reset between clips."""

    def __init__(self, model_complexity: int, static_image: bool) -> None:
        from posture.pose import MediaPipePose

        self.pose: MediaPipePose = MediaPipePose(model_complexity=model_complexity,
                                                 static_image=static_image)
        self.clips = 0

    def start_clip(self) -> None:
        if self.clips:
            # A fresh graph run: no tracking state or timestamps from the last clip,
            # so results equal a new estimator's (tests/test_batch.py checks this).
            self.pose.reset()
        self.clips += 1


class _KeptBackend:
    """The ``PoseBackend`` a clip's ``FrameAnalyzer`` gets: closing it keeps the estimator."""

    def __init__(self, reusable: _ReusablePose) -> None:
        self._reusable = reusable

    def process(self, image_rgb: Any, t: float) -> Any:
        return self._reusable.pose.process(image_rgb, t)

    def close(self) -> None:
        pass  # kept for the next clip of this worker


#: (model_complexity, static_image) → this worker process's estimator.
_ESTIMATORS: dict[tuple[int, bool], _ReusablePose] = {}


def _reused_analyzer(model_complexity: int, static_image: bool) -> FrameAnalyzer:
    """A fresh per-stream chain around this worker's (reset) estimator."""
    from posture.frame_analyzer import FrameAnalyzer

    key = (model_complexity, static_image)
    reusable = _ESTIMATORS.get(key)
    if reusable is None:
        reusable = _ESTIMATORS[key] = _ReusablePose(*key)
    reusable.start_clip()
    return FrameAnalyzer(backend=_KeptBackend(reusable), static_image=static_image,
                         model_complexity=model_complexity)


def _worker_analyzer(info: MediaInfo, options: AnalysisOptions) -> FrameAnalyzer:
    return _reused_analyzer(options.model_complexity, info.kind == "image")


@contextlib.contextmanager
def _local_media(source: str, media: bytes | None) -> Iterator[str]:
    """The recording as a path on this machine: ``source``, or ``media`` written to a
    private temporary folder under the original file name (so sentences name it)."""
    if media is None:
        yield source
        return
    tmp = Path(tempfile.mkdtemp(prefix="posture-media-"))
    try:
        local = tmp / display_name(source)
        local.write_bytes(media)
        yield os.fspath(local)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@dataclass
class ClipOutcome:
    """What one task sends back: the index row and the output files' bytes."""

    name: str
    source: str
    row: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    report: dict[str, Any] | None = None  # without frames: for the History store
    seconds: float = 0.0
    pid: int = 0
    node: str = ""
    estimator_clips: int = 0  # clips this worker's estimator has served, this one included
    maxrss_mb: float | None = None
    chunks: int = 0  # a long clip's chunks analysed as tasks of their own (0: one task)
    cpu_seconds: float = 0.0  # this process's CPU time for the task (all its threads)

    @property
    def ok(self) -> bool:
        return self.row.get("status") == "done"


def _count(items: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    return dict(sorted(Counter(str(i.get("category")) for i in items
                               if i.get("category") and i.get("severity") != "ok").items()))


def index_row(name: str, source: str, report: Mapping[str, Any] | None = None,
              error: str | None = None) -> dict[str, Any]:
    """One line of ``index.csv`` (and of the store's ``batch_items``)."""
    row: dict[str, Any] = dict.fromkeys(INDEX_COLUMNS)
    row.update(file=display_name(source), name=name, source=source,
               status="done" if error is None else "failed", error=error)
    if report is not None:
        summary = report.get("summary") or {}
        video = report.get("video") or {}
        reps = report.get("reps") or []
        row.update(
            duration_s=video.get("duration_s"),
            activity=report.get("activity"),
            reps=len(reps),
            score=summary.get("score"),
            verdict=summary.get("verdict"),
            faults=_count(report.get("events") or []),
            rep_faults=_count([f for r in reps for f in (r.get("faults") or [])]),
            frames=len(report.get("frames") or []),
            detected_fraction=summary.get("detected_fraction"),
        )
    return row


class _Progress:
    """Throttled per-frame progress from a worker to the driver's progress actor."""

    def __init__(self, actor: Any, name: str) -> None:
        self.actor, self.name, self.sent = actor, name, -PROGRESS_EVERY

    def __call__(self, done: int, total: int) -> None:
        if self.actor is not None and done - self.sent >= PROGRESS_EVERY:
            self.sent = done
            self.actor.update.remote(self.name, done, total)


def analyze_chunk(name: str, source: str, media: bytes | None, options: AnalysisOptions,
                  table: Any, selected: Sequence[int], chunk: Any,
                  progress_actor: Any = None) -> list[Any] | None:
    """Per-frame records of one chunk of a long clip (``posture.parallel``'s plan and
    warm-up), with this worker's estimator; None if the chunk cannot be cut exactly
    (the clip is then analysed whole, which also reports any problem in words)."""
    from posture import parallel

    keep = frozenset(selected)
    report = _Progress(progress_actor, f"{name}#{chunk.number}")
    records = []
    try:
        with _local_media(source, media) as path:
            analyzer = _reused_analyzer(options.model_complexity, False)
            for frame in parallel.iter_chunk_frames(path, table, chunk.warm, chunk.stop,
                                                    options.max_side):
                if frame.index not in keep:
                    continue
                record = analyzer.update(frame.image, frame.t)
                if frame.index < chunk.first:
                    continue  # warm-up: tracking, gate and view settle before the chunk
                records.append(replace(record, index=frame.index, t=frame.t))
                report(frame.index + 1 - chunk.first, chunk.stop - chunk.first)
    except Exception:
        return None
    return records


def plan_clip_chunks(path: Path, options: AnalysisOptions,
                     chunk_s: float) -> tuple[Any, list[int], list[Any]] | None:
    """(frame table, analysed frames, chunks) for a clip of at least two chunks, else None."""
    from posture import parallel
    from posture.video import open_media

    try:
        with open_media(path, options.max_side) as source:
            info = source.info
            if info.kind != "video" or info.duration_s < 2 * chunk_s:
                return None
            stream_index, _ = parallel._decoder_setup(source)
    except Exception:  # the clip's own task reports what is wrong with it
        return None
    table = parallel.probe_frames(os.fspath(path), stream_index)
    if table is None or not parallel._looks_complete(info, table):
        return None
    selected = parallel.select_frames(table.times, options.analysis_fps)
    n_chunks = max(1, math.ceil(table.times[-1] / chunk_s))
    chunks = parallel.plan_chunks(table.times, selected, n_chunks, parallel.WARMUP_S)
    return (table, selected, chunks) if len(chunks) >= 2 else None


def _merged_chunks(path: str, options: AnalysisOptions, selected: Sequence[int] | None,
                   parts: Sequence[list[Any] | None]) -> Any:
    """The chunks' records as ``ChunkedRecords``; None (analyse whole) if any is missing."""
    if selected is None or not parts or any(p is None for p in parts):
        return None
    from posture.parallel import ChunkedRecords
    from posture.video import open_media

    records = [r for part in parts if part is not None for r in part]
    if [r.index for r in records] != list(selected):
        return None
    with open_media(path, options.max_side) as source:
        return ChunkedRecords(source.info, records, tuple(source.warnings))


def _analyze_into(outcome: ClipOutcome, path: str, out: Path, options: AnalysisOptions,
                  no_video: bool, progress_actor: Any, selected: Sequence[int] | None,
                  parts: Sequence[list[Any] | None]) -> None:
    """``posture analyze``'s work for one recording, its outputs read back into ``outcome``."""
    from posture.pipeline import analyze_video
    from posture.render import render_image, render_video
    from posture.report import build_report, write_csv, write_report

    name, source = outcome.name, outcome.source
    precomputed = _merged_chunks(path, options, selected, parts)
    analysis = analyze_video(path, options, progress=_Progress(progress_actor, name),
                             analyzer_factory=_worker_analyzer, precomputed=precomputed)
    report = build_report(analysis, source)
    write_report(analysis, out, source)
    write_csv(analysis, out)
    if not no_video:
        if analysis.info.kind == "image":
            render_image(analysis, out / "annotated.png")
        else:
            render_video(analysis, out / "annotated.mp4")
    outcome.files = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    outcome.row = index_row(name, source, report)
    outcome.report = {k: v for k, v in report.items() if k != "frames"}


def analyze_clip(name: str, source: str, media: bytes | None, options: AnalysisOptions,
                 no_video: bool, progress_actor: Any = None,
                 selected: Sequence[int] | None = None,
                 *parts: list[Any] | None) -> ClipOutcome:
    """One recording, start to finish, in this (worker) process; never raises for bad input.

    ``media`` holds the file's bytes when the driver's disk is not this
    machine's (``--cluster``); they are written to a private temporary folder
    under the original file name, so error sentences name the right file.
    ``parts`` are the records of a long clip's chunks (``analyze_chunk``), in order.
    """
    started, cpu_started = time.perf_counter(), time.process_time()
    options = AnalysisOptions(**{**asdict(options), "workers": 1})  # no pool inside a task
    tmp = Path(tempfile.mkdtemp(prefix="posture-batch-"))
    outcome = ClipOutcome(name, source, {}, pid=os.getpid(), chunks=len(parts))
    try:
        with _local_media(source, media) as path:
            _analyze_into(outcome, path, tmp / "out", options, no_video, progress_actor,
                          selected, parts)
    except PostureError as exc:
        outcome.row = index_row(name, source, error=str(exc))
    except MemoryError:
        outcome.row = index_row(name, source, error=(
            f"The recording '{display_name(source)}' needs more memory than this "
            "worker has; try --rate 10 or a machine with more memory."))
    except Exception as exc:  # a bug: one sentence in the index, the details in the log
        logging.getLogger(__name__).error("analysing %s failed:\n%s", source,
                                          traceback.format_exc())
        outcome.row = index_row(name, source, error=(
            f"Something went wrong inside the program ({type(exc).__name__}) while "
            f"analysing '{display_name(source)}'; please report it."))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for reusable in _ESTIMATORS.values():
        outcome.estimator_clips = max(outcome.estimator_clips, reusable.clips)
    outcome.seconds = time.perf_counter() - started
    outcome.cpu_seconds = time.process_time() - cpu_started
    from posture.parallel import maxrss_mb

    outcome.maxrss_mb = maxrss_mb()
    with contextlib.suppress(Exception):
        import ray

        if ray.is_initialized():
            outcome.node = ray.get_runtime_context().get_node_id()
    if progress_actor is not None and not parts:  # a chunked clip's chunks counted its frames
        frames = outcome.row.get("frames") or 0
        progress_actor.update.remote(name, frames, frames, True)
    return outcome


# --------------------------------------------------------------------------- driver side


def _write_bytes(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def commit_outcome(out_dir: Path, outcome: ClipOutcome) -> Path:
    """Write one recording's results as a whole folder: temp folder, then one rename."""
    final = out_dir / outcome.name
    tmp = out_dir / f"{PARTIAL_PREFIX}{outcome.name}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        for file_name, data in outcome.files.items():
            _write_bytes(tmp / file_name, data)
        row = {**outcome.row, "seconds": round(outcome.seconds, 3)}
        _write_bytes(tmp / CLIP_FILE, json.dumps(row, indent=1).encode())
        old = None
        if final.exists():  # a failed earlier attempt, or a folder from an older run
            old = out_dir / f"{PARTIAL_PREFIX}old-{outcome.name}-{uuid.uuid4().hex[:8]}"
            final.rename(old)
        tmp.rename(final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def read_clip_row(folder: Path) -> dict[str, Any] | None:
    try:
        row = json.loads((folder / CLIP_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return row if isinstance(row, dict) else None


def _csv_value(value: Any) -> Any:
    if isinstance(value, dict):
        return ";".join(f"{k}={v}" for k, v in value.items())
    return "" if value is None else value


def write_index(out_dir: Path) -> Path:
    """``index.csv`` from every finished or failed result folder in ``out_dir`` (atomic)."""
    rows = []
    for folder in sorted(p for p in out_dir.iterdir()
                         if p.is_dir() and not p.name.startswith(".")):
        row = read_clip_row(folder)
        if row is not None:
            rows.append(row)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(INDEX_COLUMNS)
    for row in rows:
        writer.writerow([_csv_value(row.get(c)) for c in INDEX_COLUMNS])
    path = out_dir / INDEX_CSV
    tmp = out_dir / (INDEX_CSV + ".tmp")
    _write_bytes(tmp, buf.getvalue().encode("utf-8"))
    tmp.replace(path)
    return path


@dataclass
class BatchProgress:
    files_done: int
    files_total: int
    frames_done: int
    frames_total: int
    last: ClipOutcome | None = None


@dataclass
class BatchResult:
    out_dir: Path
    index: Path
    done: list[dict[str, Any]]  # rows finished in this run
    failed: list[dict[str, Any]]  # rows failed in this run
    skipped: list[str]  # names finished by an earlier run
    outcomes: list[ClipOutcome]  # this run's, in completion order (without file bytes)
    seconds: float
    notes: list[str] = field(default_factory=list)
    engine: dict[str, Any] = field(default_factory=dict)


class RayEngine:
    """The embedded local Ray runtime, or a connection to a cluster (``address``)."""

    def __init__(self, address: str | None = None, workers: int = 0) -> None:
        os.environ["RAY_USAGE_STATS_ENABLED"] = "0"  # never phone home (also for workers)
        os.environ.setdefault("RAY_DISABLE_IMPORT_WARNING", "1")
        local = address is None or _is_loopback(address)
        self._saved_env = {k: os.environ.get(k) for k in ("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER",)}
        if local:
            # Ray swaps 127.0.0.1 for the machine's network address unless it is told
            # this is not a multi-machine cluster: the embedded runtime (and a test
            # cluster on loopback) then listens and talks on 127.0.0.1 only.
            os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
        import ray
        import ray._private.ray_constants as ray_constants

        if local:  # also when ray was imported before the variable was set
            ray_constants.ENABLE_RAY_CLUSTER = False

        self.ray = ray
        self.address = address
        self.started_here = False
        logging.getLogger("ray").setLevel(logging.ERROR)
        common: dict[str, Any] = {
            "log_to_driver": False,
            "configure_logging": False,
            "namespace": "posture",
            "runtime_env": {"env_vars": {"RAY_USAGE_STATS_ENABLED": "0",
                                         "GLOG_minloglevel": "2",
                                         "TF_CPP_MIN_LOG_LEVEL": "3"}},
        }
        started = time.perf_counter()
        try:
            if ray.is_initialized():
                pass
            elif address:
                ray.init(address=address, **common)
            else:
                from posture.parallel import resolve_workers

                ray.init(num_cpus=resolve_workers(workers), include_dashboard=False,
                         **common)
                self.started_here = True
        except Exception as exc:
            where = (f"the Ray cluster at {address}" if address
                     else "a local Ray runtime on this computer")
            hint = ("check the address and that `ray start --head` is running there"
                    if address else "check that there is free memory and disk space in /tmp")
            raise BatchError(f"Could not start or reach {where}; {hint}.",
                             detail=f"{type(exc).__name__}: {exc}") from None
        self.startup_s = time.perf_counter() - started
        self.task = ray.remote(analyze_clip).options(num_cpus=1, max_retries=TASK_RETRIES,
                                                     retry_exceptions=False)
        self.chunk_task = ray.remote(analyze_chunk).options(
            num_cpus=1, max_retries=TASK_RETRIES, retry_exceptions=False)
        self.ship_media = bool(address)

    def cpus(self) -> int:
        with contextlib.suppress(Exception):
            return max(int(self.ray.cluster_resources().get("CPU", 1)), 1)
        return 1

    def progress_actor(self) -> Any:
        @self.ray.remote(num_cpus=0)
        class FrameProgress:
            def __init__(self) -> None:
                self.clips: dict[str, tuple[int, int, bool]] = {}

            def update(self, name: str, done: int, total: int, final: bool = False) -> None:
                if self.clips.get(name, (0, 0, False))[2] and not final:
                    return
                self.clips[name] = (done, total, final)

            def snapshot(self) -> tuple[int, int]:
                return (sum(c[0] for c in self.clips.values()),
                        sum(c[1] for c in self.clips.values()))

        # On the driver's node: a lost worker node must not take the progress with it.
        node = self.ray.get_runtime_context().get_node_id()
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        return FrameProgress.options(  # type: ignore[attr-defined]
            scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=True)).remote()

    def close(self) -> None:
        if self.started_here or self.address:
            with contextlib.suppress(Exception):
                self.ray.shutdown()
        for key, value in self._saved_env.items():  # leave the environment as we found it
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _is_loopback(address: str) -> bool:
    import ipaddress

    host = address.removeprefix("ray://").rsplit(":", 1)[0].strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _lost_task_sentence(source: str, exc: BaseException) -> str:
    name = display_name(source)
    return (f"The worker analysing '{name}' stopped {TASK_RETRIES + 1} times "
            f"({type(exc).__name__}); run the batch again to retry it.")


def run_batch(
    inputs: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    options: AnalysisOptions = AnalysisOptions(),
    *,
    no_video: bool = False,
    cluster: str | None = None,
    workers: int = 0,
    history: bool = True,
    progress: ProgressFn | None = None,
    engine: RayEngine | None = None,
    chunk_s: float | None = CHUNK_S,
) -> BatchResult:
    """Analyse every recording of ``inputs`` into ``out_dir``; see the module docstring."""
    started = time.perf_counter()
    paths = collect_inputs(inputs)
    out = Path(out_dir).expanduser().absolute()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BatchError(f"The output folder '{display_name(out)}' could not be created "
                         f"({(exc.strerror or str(exc)).rstrip('.')}).") from None
    settings = _settings_record(options, no_video)
    settings_path = out / SETTINGS_FILE
    if settings_path.exists():
        try:
            previous = json.loads(settings_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            previous = None
        if previous != settings:
            raise BatchError(
                f"The folder '{display_name(out)}' holds results made with other options "
                "or another version of posture; give a new --out folder, or the same "
                "options to resume.")
    else:
        _write_bytes(settings_path, json.dumps(settings, indent=1).encode())
    for stale in out.glob(PARTIAL_PREFIX + "*"):  # left by an interrupted run
        shutil.rmtree(stale, ignore_errors=True)

    names = plan_names(paths)
    pending: list[tuple[str, Path]] = []
    skipped: list[str] = []
    for path in paths:
        name = names[path]
        row = read_clip_row(out / name)
        if row is not None and row.get("status") == "done" and row.get("source") == str(path):
            skipped.append(name)
        else:
            pending.append((name, path))

    result = BatchResult(out, out / INDEX_CSV, [], [], skipped, [], 0.0)
    store = None
    if history and pending:
        from posture.store import HistoryStore, StoreError

        try:
            store = HistoryStore()
        except StoreError as exc:
            result.notes.append(f"{exc} The batch goes on without saving to History.")
    own_engine = engine is None and bool(pending)
    try:
        if pending:
            eng = engine or RayEngine(cluster, workers)
            result.engine = {"startup_s": eng.startup_s, "cpus": eng.cpus(),
                             "address": cluster}
            try:
                _run_pending(eng, pending, out, options, no_video, store, result, progress,
                             len(paths), len(skipped), chunk_s)
            finally:
                if own_engine:
                    eng.close()
    finally:
        write_index(out)
        if store is not None:
            store.close()
    result.seconds = time.perf_counter() - started
    return result


def _run_pending(eng: RayEngine, pending: list[tuple[str, Path]], out: Path,
                 options: AnalysisOptions, no_video: bool, store: Any, result: BatchResult,
                 progress: ProgressFn | None, files_total: int, files_done: int,
                 chunk_s: float | None) -> None:
    ray = eng.ray
    actor = eng.progress_actor() if progress is not None else None
    limit = eng.cpus() * IN_FLIGHT_PER_CPU if eng.ship_media else len(pending)
    queue = list(pending)
    in_flight: dict[Any, tuple[str, Path]] = {}
    frames = (0, 0)

    def submit() -> None:
        while queue and len(in_flight) < limit:
            name, path = queue.pop(0)
            media = None
            if eng.ship_media:
                try:
                    media = path.read_bytes()
                except OSError:
                    media = None  # the worker reports "could not be found"/"refused"
            plan = plan_clip_chunks(path, options, chunk_s) if chunk_s else None
            if plan is None:
                ref = eng.task.remote(name, str(path), media, options, no_video, actor)
            else:  # a long clip: its chunks in parallel, then smoothing, rules and outputs
                table, selected, chunks = plan
                shared = ray.put(media) if media is not None else None  # shipped once
                parts = [eng.chunk_task.remote(name, str(path), shared, options, table,
                                               selected, chunk, actor) for chunk in chunks]
                ref = eng.task.remote(name, str(path), shared, options, no_video, actor,
                                      selected, *parts)
            in_flight[ref] = (name, path)

    def report(last: ClipOutcome | None) -> None:
        if progress is not None:
            progress(BatchProgress(files_done, files_total, frames[0], frames[1], last))

    submit()
    report(None)
    try:
        while in_flight:
            ready, _ = ray.wait(list(in_flight), num_returns=1, timeout=POLL_S)
            if actor is not None:
                with contextlib.suppress(Exception):
                    frames = ray.get(actor.snapshot.remote(), timeout=5)
            if not ready:
                report(None)
                continue
            ref = ready[0]
            name, path = in_flight.pop(ref)
            try:
                outcome: ClipOutcome = ray.get(ref)
            except (KeyboardInterrupt, SystemExit):
                raise
            except Exception as exc:  # the task's worker died more than TASK_RETRIES times
                outcome = ClipOutcome(name, str(path),
                                      index_row(name, str(path),
                                                error=_lost_task_sentence(str(path), exc)))
            commit_outcome(out, outcome)
            if store is not None:
                _save_to_history(store, out, outcome, result)
            files_done += 1
            (result.done if outcome.ok else result.failed).append(outcome.row)
            outcome.files = {k: b"" for k in outcome.files}  # keep names, free the bytes
            outcome.report = None
            result.outcomes.append(outcome)
            write_index(out)
            submit()
            report(outcome)
    except BaseException:
        for ref in in_flight:
            with contextlib.suppress(Exception):
                ray.cancel(ref, force=True)
        raise


def _save_to_history(store: Any, out: Path, outcome: ClipOutcome, result: BatchResult) -> None:
    from posture.store import StoreError

    try:
        session_id = None
        if outcome.ok and outcome.report is not None:
            session_id = store.save_report(outcome.report, kind="review",
                                           source=display_name(outcome.source))
        store.save_batch_item(str(out), outcome.row, session_id=session_id)
    except StoreError as exc:
        note = f"{exc} The batch goes on without saving to History."
        if note not in result.notes:
            result.notes.append(note)


@contextlib.contextmanager
def progress_bars(quiet: bool) -> Iterator[ProgressFn]:
    """Two tqdm bars on stderr: recordings, and frames of the recordings in progress."""
    from tqdm import tqdm

    files = tqdm(desc="Recordings", unit="file", disable=quiet, file=sys.stderr, position=0)
    frames = tqdm(desc="Frames", unit="frame", disable=quiet, file=sys.stderr, position=1)

    def update(p: BatchProgress) -> None:
        files.total = p.files_total
        files.update(p.files_done - files.n)
        if p.frames_total and frames.total != p.frames_total:
            frames.total = p.frames_total
        frames.update(p.frames_done - frames.n)

    try:
        yield update
    finally:
        frames.close()
        files.close()


__all__ = [
    "CLIP_FILE",
    "INDEX_COLUMNS",
    "INDEX_CSV",
    "BatchError",
    "BatchProgress",
    "BatchResult",
    "ClipOutcome",
    "RayEngine",
    "analyze_clip",
    "collect_inputs",
    "commit_outcome",
    "index_row",
    "plan_names",
    "run_batch",
    "write_index",
]
