"""Offline analysis on every core: the video in time chunks, one worker process per core.

Why it is built this way:

* The pose model is ~90 % of the cost and runs on one core per stream, so the
  only way to use a second core offline is a second stream. Each worker
  process owns its own ``FrameAnalyzer`` (MediaPipe is neither thread-safe nor
  fork-safe once initialised: workers are *spawned*).
* A worker starts ``WARMUP_S`` before its chunk and throws those records away,
  so MediaPipe's tracking, the person gate and the view tracker are already
  settled at the chunk edge; merged results then match a sequential run
  (``tests/test_parallel.py`` checks how closely).
* Smoothing (zero-lag, needs the whole series) and the rules (stateful, in
  time order) stay sequential in the parent, in ``analyze_video``: only the
  per-frame chain runs in the workers, so verdicts come from the same code.
* Frame numbers and times must be exactly those a sequential pass gives, or
  the annotated video and ``frames.csv`` would drift. One demux pass (no
  decoding, milliseconds) lists every frame's presentation timestamp; a frame's
  index is its rank there and its time is computed the way ``posture.video``
  computes it. Anything unusual (missing or duplicate timestamps, a damaged or
  cut-off file, a decoder that does not deliver exactly those frames) falls
  back to the sequential path, which knows how to warn about it.
* Streaming: a worker holds one decoded frame at a time; the parent holds only
  ``FrameRecord`` objects (landmarks and metrics, no pictures).
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import functools
import itertools
import math
import os
import queue
import shutil
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

import av

from posture.frame_analyzer import FrameAnalyzer, FrameRecord
from posture.video import Frame, MediaInfo, MediaSource, open_media

if TYPE_CHECKING:
    from posture.analysis import Analysis, AnalysisOptions, FrameResult

#: Seconds decoded and analysed before a chunk's first kept frame (then discarded).
WARMUP_S = 1.0
#: Clips shorter than this are analysed sequentially: start-up would eat the gain.
MIN_PARALLEL_S = 10.0
#: Records sent from a worker to the parent per message.
BATCH = 16
#: Seconds between checks that the workers are still alive.
POLL_S = 0.5
#: Idle workers exit after this long; a pool this close to it is replaced, not reused.
IDLE_S = 60.0
IDLE_MARGIN_S = 15.0

ProgressFn = Callable[[int, int], None]


class ChunkMismatch(Exception):
    """A worker's decoder did not deliver exactly the frames the demux pass listed."""


def available_cores() -> int:
    """CPU cores this process may use (honours affinity masks and container limits)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # macOS, Windows
        return max(os.cpu_count() or 1, 1)


def resolve_workers(workers: int) -> int:
    """``workers`` ≤ 0 means one per available core."""
    return workers if workers > 0 else available_cores()


# --------------------------------------------------------------------------- frame table


@dataclass(frozen=True)
class FrameTable:
    """Every frame's presentation timestamp (sorted), from one demux pass.

    ``times[i]`` is frame ``i``'s time in seconds since the first frame, computed
    exactly as ``posture.video`` computes ``Frame.t`` (PyAV's ``frame.time``
    minus the first frame's), so parallel and sequential times are bit-identical.
    """

    stream_index: int
    time_base: Fraction
    pts: tuple[int, ...]
    times: tuple[float, ...] = field(repr=False)

    def __len__(self) -> int:
        return len(self.pts)


def _stamp(pts: int, time_base: Fraction) -> float:
    # The expression PyAV's ``Frame.time`` uses (float first, then num, then den).
    return float(pts) * time_base.numerator / time_base.denominator


def probe_frames(path: str, stream_index: int) -> FrameTable | None:
    """List the frames of a video stream without decoding; None if the list is unreliable."""
    pts: list[int] = []
    try:
        with av.open(path, "r", metadata_errors="replace",
                     options={"protocol_whitelist": "file"}) as container:
            stream = container.streams[stream_index]
            time_base = stream.time_base
            for packet in container.demux(stream):
                if packet.size == 0:  # the flush packet at the end
                    continue
                if packet.pts is None or packet.is_discard or packet.is_corrupt:
                    return None
                pts.append(int(packet.pts))
    except Exception:  # the sequential path reports whatever is wrong, in words
        return None
    if not pts or time_base is None:
        return None
    pts.sort()
    if any(b <= a for a, b in itertools.pairwise(pts)):
        return None  # duplicate timestamps: the sequential path repairs those
    t0 = _stamp(pts[0], time_base)
    return FrameTable(stream_index, time_base, tuple(pts),
                      tuple(_stamp(p, time_base) - t0 for p in pts))


def select_frames(times: Sequence[float], analysis_fps: float | None) -> list[int]:
    """Indices of the frames ``analyze_video`` analyses at ``analysis_fps`` (same rule)."""
    step = 1.0 / analysis_fps if analysis_fps else 0.0
    next_t = -math.inf
    chosen = []
    for i, t in enumerate(times):
        if t + 1e-6 < next_t:
            continue
        next_t = t + step
        chosen.append(i)
    return chosen


@dataclass(frozen=True)
class Chunk:
    """Frames ``[first, stop)`` kept; decoding and analysis start at ``warm`` (≤ first)."""

    number: int
    warm: int
    first: int
    stop: int


def plan_chunks(times: Sequence[float], selected: Sequence[int], n_chunks: int,
                warmup_s: float = WARMUP_S) -> list[Chunk]:
    """Contiguous chunks holding near-equal numbers of analysed frames."""
    n_chunks = max(1, min(n_chunks, len(selected)))
    bounds = [selected[round(k * len(selected) / n_chunks)] for k in range(n_chunks)]
    bounds.append(len(times))
    chunks = []
    for k in range(n_chunks):
        first, stop = bounds[k], bounds[k + 1]
        warm = first
        while warm > 0 and times[first] - times[warm - 1] <= warmup_s + 1e-9:
            warm -= 1
        chunks.append(Chunk(k, warm, first, stop))
    return chunks


# --------------------------------------------------------------------------- chunk decoding


def _decoder_setup(source: MediaSource) -> tuple[int, Callable[[av.VideoFrame], Any]]:
    """The stream a sequential pass decodes, and its exact picture conversion.

    ``MediaSource`` has no public seek; its conversion (display-matrix
    rotation, square pixels, colour range, ``max_side``) is reused as is so a
    chunk's pictures are the sequential pass's pictures.
    """
    stream = source._stream  # private: see docstring
    if stream is None:
        raise ChunkMismatch("no video stream")
    return int(stream.index), source._convert


def iter_chunk_frames(path: str, table: FrameTable, start: int, stop: int,
                      max_side: int | None = None) -> Iterator[Frame]:
    """Frames ``start``..``stop - 1`` exactly as ``open_media(path)`` yields them, by seeking.

    Seeks to the keyframe at or before frame ``start`` and decodes forward,
    dropping earlier frames. Raises :class:`ChunkMismatch` if the decoder does
    not produce exactly the listed frames.
    """
    if not 0 <= start < stop <= len(table):
        raise ValueError(f"bad frame range {start}..{stop} of {len(table)}")
    with open_media(path, max_side) as source:
        stream_index, convert = _decoder_setup(source)
    if stream_index != table.stream_index:
        raise ChunkMismatch("a different video stream was chosen")
    t0 = _stamp(table.pts[0], table.time_base)
    for seek in ((True, False) if start > 0 else (False,)):
        decoded = _decode_from(path, stream_index, table, start, seek)
        expected = start
        for vf in decoded:
            if expected == start and seek and vf.pts != table.pts[start]:
                break  # the seek landed after the frame we need: decode from the start
            if vf.pts != table.pts[expected]:
                raise ChunkMismatch(f"frame {expected}: pts {vf.pts}, "
                                    f"expected {table.pts[expected]}")
            try:
                image = convert(vf)
            except Exception as exc:  # the sequential path skips such a frame
                raise ChunkMismatch(repr(exc)) from None
            stamp = vf.time
            yield Frame(expected, (stamp if stamp is not None else 0.0) - t0, image)
            expected += 1
            if expected >= stop:
                decoded.close()
                return
        else:
            raise ChunkMismatch(f"the stream ended at frame {expected}, expected {stop}")
        decoded.close()
    raise ChunkMismatch("could not reach the chunk's first frame")


def _decode_from(path: str, stream_index: int, table: FrameTable, start: int,
                 seek: bool) -> Generator[Any, None, None]:
    """Decoded frames from frame ``start`` on (and maybe a few before a seek lands)."""
    with av.open(path, "r", metadata_errors="replace",
                 options={"protocol_whitelist": "file"}) as container:
        stream: Any = container.streams[stream_index]
        with contextlib.suppress(Exception):
            stream.thread_type = "AUTO"  # as posture.video does
        if seek:
            container.seek(table.pts[start], stream=stream, backward=True)
        packets = container.demux(stream)
        while True:
            try:
                packet = next(packets)
                frames: list[Any] = packet.decode()
            except StopIteration:
                return
            except Exception as exc:  # a damaged packet: the sequential path copes
                raise ChunkMismatch(repr(exc)) from None
            for vf in frames:
                if vf.pts is None:
                    raise ChunkMismatch("a frame without a timestamp")
                if vf.pts >= table.pts[start]:
                    yield vf


# --------------------------------------------------------------------------- workers


@dataclass(frozen=True)
class WorkerStats:
    """What one chunk cost (for benchmarks)."""

    chunk: int
    frames: int  # records kept
    warmup_frames: int  # analysed, then discarded
    seconds: float
    maxrss_mb: float | None  # this worker process's peak resident memory so far


def maxrss_mb() -> float | None:
    """This process's peak resident memory in MB (None where the OS cannot say)."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def _run_chunk(path: str, table: FrameTable, selected: frozenset[int], model_complexity: int,
               max_side: int | None, chunk: Chunk,
               send: Callable[[tuple[Any, ...]], None]) -> None:
    """Worker job: analyse one chunk, warm-up first, and send its records in batches."""
    started = time.perf_counter()
    analyzer = FrameAnalyzer(model_complexity=model_complexity)
    batch: list[FrameRecord] = []
    kept = warm = 0
    try:
        for frame in iter_chunk_frames(path, table, chunk.warm, chunk.stop, max_side):
            if frame.index not in selected:
                continue
            record = analyzer.update(frame.image, frame.t)
            if frame.index < chunk.first:
                warm += 1
                continue
            # The index and time of the file, not the analyzer's own count.
            batch.append(dataclasses.replace(record, index=frame.index, t=frame.t))
            kept += 1
            if len(batch) >= BATCH:
                send(("records", chunk.number, batch, frame.index + 1 - chunk.first))
                batch = []
    finally:
        analyzer.close()
    stats = WorkerStats(chunk.number, kept, warm, time.perf_counter() - started, maxrss_mb())
    send(("done", chunk.number, batch, chunk.stop - chunk.first, stats))


def _worker(tasks: Any, results: Any, idle_s: float) -> None:
    """Worker process: run ``(job, task)`` items until the ``None`` sentinel or ``idle_s`` idle.

    Workers outlive one job so the annotated video can be drawn by the processes
    that just analysed the clip, without a second start-up (~2-3 s each).
    """
    try:
        while True:
            try:
                item = tasks.get(timeout=idle_s)
            except queue.Empty:
                return  # nobody needs us: give the memory back
            if item is None:
                return
            job, task = item
            try:
                job(task, results.put)
            except ChunkMismatch as exc:
                results.put(("mismatch", task.number, str(exc)))
            except Exception:
                results.put(("error", task.number, traceback.format_exc()))
    except KeyboardInterrupt:  # Ctrl+C reaches the whole process group; the parent reports
        return


# --------------------------------------------------------------------------- parent


@dataclass(frozen=True, eq=False)
class ChunkedRecords:
    """The merged per-frame records of a parallel pass, as a sequential pass gives them."""

    info: MediaInfo
    records: list[FrameRecord]
    warnings: tuple[str, ...]
    stats: tuple[WorkerStats, ...] = ()


def _looks_complete(info: MediaInfo, table: FrameTable) -> bool:
    """False where a sequential pass might warn that the file ended early (it can say so)."""
    if info.duration_s <= 0 or info.fps <= 0:
        return False
    step = 1.0 / info.fps
    end = table.times[-1] + step
    return end >= info.duration_s * 0.97 - step


def parallel_records(
    path: str | Path,
    options: AnalysisOptions,
    *,
    progress: ProgressFn | None = None,
    max_side: int | None = None,
) -> ChunkedRecords | None:
    """Per-frame records of ``path`` computed in worker processes.

    Returns None where a parallel pass would not help or could differ from a
    sequential one (photos, short clips, one worker, unusual files); the caller
    then analyses sequentially. Raises a ``MediaError`` for unreadable input.
    """
    workers = resolve_workers(options.workers)
    if workers <= 1:
        return None
    path = os.fspath(path)
    with open_media(path, max_side) as source:
        info = source.info
        warnings = tuple(source.warnings)
        if info.kind != "video":
            return None
        stream_index, _ = _decoder_setup(source)
    if info.duration_s < MIN_PARALLEL_S:
        return None
    table = probe_frames(path, stream_index)
    if table is None or not _looks_complete(info, table):
        return None
    selected = select_frames(table.times, options.analysis_fps)
    span = table.times[-1] if table.times else 0.0
    if options.chunk_s:
        n_chunks = max(1, math.ceil(span / options.chunk_s))
    else:
        n_chunks = workers
    chunks = plan_chunks(table.times, selected, n_chunks, WARMUP_S)
    if len(chunks) < 2:
        return None
    per_chunk: dict[int, list[FrameRecord]] = {c.number: [] for c in chunks}
    done_frames = {c.number: 0 for c in chunks}
    stats: list[WorkerStats] = []

    def on_message(msg: tuple[Any, ...]) -> None:
        number = msg[1]
        per_chunk[number].extend(msg[2])
        done_frames[number] = msg[3]
        if msg[0] == "done":
            stats.append(msg[4])
        if progress is not None:
            progress(sum(done_frames.values()), info.frames)

    job = functools.partial(_run_chunk, path, table, frozenset(selected),
                            options.model_complexity, max_side)
    if not _run_on_pool(workers, job, chunks, on_message, "analysis"):
        return None
    records = [r for c in chunks for r in per_chunk[c.number]]
    if [r.index for r in records] != selected:
        return None  # belt and braces: never return a different frame set
    return ChunkedRecords(info, records, warnings, tuple(sorted(stats, key=lambda x: x.chunk)))


class WorkerPool:
    """Spawned worker processes, kept between jobs (the analysis, then the annotated video).

    One job runs at a time. After a worker error, a mismatch or an interrupt
    the pool is closed (queued tasks of the failed job must not leak into the
    next one); idle workers exit by themselves after ``idle_s``.
    """

    def __init__(self, n_workers: int, idle_s: float = IDLE_S) -> None:
        import multiprocessing as mp

        ctx = mp.get_context("spawn")  # MediaPipe is not fork-safe once initialised
        self.size = n_workers
        self.idle_s = idle_s
        self.last_used = time.monotonic()
        self._tasks: Any = ctx.Queue()
        self._results: Any = ctx.Queue()
        self._procs = [ctx.Process(target=_worker, name=f"posture-worker-{k}", daemon=True,
                                   args=(self._tasks, self._results, idle_s))
                       for k in range(n_workers)]
        self.closed = False
        try:
            with _main_module_hidden():
                for proc in self._procs:
                    proc.start()
        except BaseException:
            self.close()
            raise

    @property
    def usable(self) -> bool:
        """Open, every worker alive, and not about to time out."""
        return (not self.closed and all(p.is_alive() for p in self._procs)
                and time.monotonic() - self.last_used < self.idle_s - IDLE_MARGIN_S)

    def run(self, job: Callable[..., None], tasks: Sequence[Any],
            on_message: Callable[[tuple[Any, ...]], None], what: str) -> bool:
        """Run ``job(task, send)`` for every task, feeding worker messages to ``on_message``.

        True once every task reported "done"; False (and the pool closed) if a
        worker met a :class:`ChunkMismatch`: the caller then works sequentially.
        A worker's exception is re-raised here with its traceback.
        """
        if self.closed:
            raise RuntimeError("the worker pool is closed")
        for task in tasks:
            self._tasks.put((job, task))
        finished: set[int] = set()
        ok = False
        try:
            while len(finished) < len(tasks):
                try:
                    msg = self._results.get(timeout=POLL_S)
                except queue.Empty:
                    if all(p.is_alive() for p in self._procs):
                        continue
                    try:  # a worker has gone: take what is left, then give up
                        msg = self._results.get(timeout=POLL_S)
                    except queue.Empty:
                        raise RuntimeError(
                            f"a {what} worker process stopped unexpectedly") from None
                kind = msg[0]
                if kind == "mismatch":
                    return False
                if kind == "error":
                    raise RuntimeError(f"a {what} worker failed on chunk {msg[1]}:\n{msg[2]}")
                on_message(msg)
                if kind == "done":
                    finished.add(msg[1])
            ok = True
            return True
        finally:
            self.last_used = time.monotonic()
            if not ok:
                self.close(graceful=False)

    def close(self, graceful: bool = True) -> None:
        """Stop the workers (politely, or at once after an error or Ctrl+C)."""
        if self.closed:
            return
        self.closed = True
        if graceful:
            for _ in self._procs:
                with contextlib.suppress(Exception):
                    self._tasks.put(None)
        for proc in self._procs:
            if proc.pid is None:
                continue
            if not graceful and proc.is_alive():
                proc.terminate()
            proc.join(timeout=10.0 if graceful else 2.0)
            if proc.is_alive():
                proc.kill()
                proc.join(timeout=2.0)
        for q in (self._tasks, self._results):
            q.cancel_join_thread()
            q.close()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(graceful=exc[0] is None)


_shared: WorkerPool | None = None


def shared_pool(n_workers: int) -> WorkerPool:
    """This process's pool of ``n_workers`` workers, started if needed (see :func:`shutdown`)."""
    global _shared
    if _shared is not None and (_shared.size != n_workers or not _shared.usable):
        _shared.close()
        _shared = None
    if _shared is None:
        _shared = WorkerPool(n_workers)
    return _shared


# The shared pool runs one job at a time; a second caller (another browser tab of
# the app, another thread) works in its own process instead of waiting.
_pool_lock = threading.Lock()


def _run_on_pool(n_workers: int, job: Callable[..., None], tasks: Sequence[Any],
                 on_message: Callable[[tuple[Any, ...]], None], what: str) -> bool:
    """``shared_pool(n).run(...)``; False at once if the pool is busy with another job."""
    if not _pool_lock.acquire(blocking=False):
        return False
    try:
        return shared_pool(n_workers).run(job, tasks, on_message, what)
    finally:
        _pool_lock.release()


def shutdown() -> None:
    """Stop the shared worker pool (the CLI calls this when done; also runs at exit)."""
    global _shared
    if _shared is not None:
        _shared.close()
        _shared = None


atexit.register(shutdown)


# --------------------------------------------------------------------------- annotated video


@dataclass(frozen=True, eq=False)
class _RenderTask:
    """Draw and encode source frames ``[start, stop)`` into ``segment``."""

    number: int
    start: int
    stop: int
    results: tuple[FrameResult, ...]  # this chunk's analysed frames
    carry: FrameResult | None  # the last analysed frame before ``start`` (reduced rates)
    segment: str


# Encoder settings of posture.render.render_video (kept equal; see render_video_parallel),
# but one encoder thread: every core already runs a worker.
_CODEC, _PIX_FMT = "libx264", "yuv420p"
_CODEC_OPTIONS = {"crf": "23", "preset": "veryfast", "threads": "1"}


def _video_rate(info: MediaInfo) -> Fraction:
    fps = info.fps if info.fps and info.fps > 0 else 30.0
    return Fraction(fps).limit_denominator(1001)


Draw = Callable[[Any, "FrameResult"], Any]  # (RGB image, analysed frame) → drawn image


def _render_chunk(path: str, table: FrameTable, info: MediaInfo, draw: Draw, task: _RenderTask,
                  send: Callable[[tuple[Any, ...]], None]) -> None:
    """Worker job: one chunk of the annotated video, as its own small mp4 (local timestamps)."""
    import numpy as np

    by_index = {r.index: r for r in task.results}
    last = task.carry
    w, h = info.width - info.width % 2, info.height - info.height % 2
    done = 0
    with av.open(task.segment, "w") as container:
        stream: Any = container.add_stream(_CODEC, rate=_video_rate(info))
        stream.width, stream.height, stream.pix_fmt = w, h, _PIX_FMT
        stream.options = dict(_CODEC_OPTIONS)
        for frame in iter_chunk_frames(path, table, task.start, task.stop):
            result = by_index.get(frame.index, last)  # frames skipped by a reduced rate
            last = result
            image = frame.image[:h, :w]
            if result is not None:
                image = draw(image, result)
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
            container.mux(stream.encode(vf))
            done += 1
            if done % BATCH == 0:
                send(("progress", task.number, done))
        container.mux(stream.encode())
    send(("done", task.number, done))


def _concat_segments(segments: Sequence[Path], starts: Sequence[int], rate: Fraction,
                     out_path: Path) -> None:
    """Join H.264 mp4 segments without re-encoding, shifting each to its first frame's time.

    Each segment starts with a keyframe and was encoded with the same settings,
    so packets can follow one another; decode timestamps stay increasing
    because every segment has the same B-frame delay.
    """
    with av.open(str(out_path), "w") as dst:
        ostream: Any = None
        for segment, start in zip(segments, starts, strict=True):
            with av.open(str(segment)) as src:
                istream = src.streams.video[0]
                if ostream is None:
                    ostream = dst.add_stream_from_template(istream)
                tb = istream.time_base
                if tb is None:
                    raise ValueError("segment without a time base")
                shift = round(Fraction(start) / rate / tb)
                for packet in src.demux(istream):
                    if packet.size == 0:
                        continue
                    if packet.pts is not None:
                        packet.pts += shift
                    if packet.dts is not None:
                        packet.dts += shift
                    packet.stream = ostream
                    dst.mux(packet)


def render_video_parallel(analysis: Analysis, out_path: Path, draw: Draw,
                          progress: ProgressFn | None = None, *, workers: int = 0) -> Path | None:
    """``posture.render.render_video`` on every core: the same annotated mp4, drawn in chunks.

    Each worker decodes its chunk by seeking, draws with ``draw`` (render_video passes
    ``posture.render.annotate_frame``: a module-level function, so it reaches the
    workers by name) and encodes with render_video's settings; the segments are then
    joined without re-encoding. Returns None (the caller renders sequentially) for
    photos, short clips, one worker or an unusual file.
    """
    info = analysis.info
    workers = resolve_workers(workers)
    if workers <= 1 or info.kind != "video" or info.duration_s < MIN_PARALLEL_S:
        return None
    path = info.path
    with open_media(path) as source:
        stream_index, _ = _decoder_setup(source)
        same = source.info == info
    table = probe_frames(path, stream_index) if same else None
    if table is None or not _looks_complete(info, table):
        return None
    if analysis.frames and analysis.frames[-1].index >= len(table):
        return None
    n = len(table)
    bounds = [round(k * n / workers) for k in range(workers + 1)]
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp_dir = Path(tempfile.mkdtemp(prefix=".posture-render-", dir=out_path.parent))
    try:
        tasks = []
        frames = analysis.frames
        cursor = 0
        for k in range(workers):
            start, stop = bounds[k], bounds[k + 1]
            first = cursor
            while cursor < len(frames) and frames[cursor].index < stop:
                cursor += 1
            carry = frames[first - 1] if first > 0 else None
            tasks.append(_RenderTask(k, start, stop, tuple(frames[first:cursor]), carry,
                                     str(tmp_dir / f"part{k:03d}.mp4")))
        done = dict.fromkeys(range(workers), 0)

        def on_message(msg: tuple[Any, ...]) -> None:
            done[msg[1]] = msg[2]
            if progress is not None:
                progress(sum(done.values()), max(info.frames, 1))

        job = functools.partial(_render_chunk, path, table, info, draw)
        if not _run_on_pool(workers, job, tasks, on_message, "render"):
            return None
        tmp = out_path.with_name(out_path.stem + ".part.mp4")
        _concat_segments([Path(t.segment) for t in tasks], [t.start for t in tasks],
                         _video_rate(info), tmp)
        tmp.replace(out_path)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)
    return out_path


@contextlib.contextmanager
def _main_module_hidden() -> Iterator[None]:
    """Start spawned workers without re-running the caller's main script.

    ``spawn`` normally re-imports ``__main__`` in every child so functions
    defined there can be unpickled. The workers need nothing from it (their
    code lives here), and re-running it is slow (Streamlit, pytest) or wrong (a
    script without an ``if __name__ == "__main__"`` guard would analyse again).
    Multiprocessing decides from ``__main__.__spec__`` and ``__file__`` while
    ``Process.start()`` runs, so they are hidden just for that moment.
    """
    main = sys.modules.get("__main__")
    if main is None:
        yield
        return
    missing = object()
    saved = {name: getattr(main, name, missing) for name in ("__spec__", "__file__")}
    try:
        main.__spec__ = None
        if saved["__file__"] is not missing:
            del main.__file__
        yield
    finally:
        for name, value in saved.items():
            if value is not missing:
                setattr(main, name, value)


__all__ = [
    "MIN_PARALLEL_S",
    "WARMUP_S",
    "Chunk",
    "ChunkMismatch",
    "ChunkedRecords",
    "FrameTable",
    "WorkerPool",
    "WorkerStats",
    "available_cores",
    "iter_chunk_frames",
    "parallel_records",
    "plan_chunks",
    "probe_frames",
    "render_video_parallel",
    "resolve_workers",
    "select_frames",
    "shared_pool",
    "shutdown",
]
