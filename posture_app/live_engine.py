"""The per-browser-session live engine behind the webcam pages (no Streamlit here).

``streamlit-webrtc`` calls :meth:`LiveController.on_frame` on a worker thread
for the newest camera frame (frames that arrive while it is busy are dropped).
It runs this session's ``posture.live.LiveSession`` on the frame, draws the
overlay, appends a chart row, keeps annotated JPEGs of the last seconds for
replays, and hands a small :class:`LiveRecord` to the page through a bounded
``queue.Queue``. The page (script thread) drains the queue, shows the cue and
angles, and finishes the session on Stop. The record carries the frame's
``posture.live.LiveMoment``: the overlay on that frame was drawn from it and the
panel shows it, so the cue, the angles, the overlay and the lift card agree. One
controller per browser session, kept in ``st.session_state`` — never a module global.
"""

from __future__ import annotations

import contextlib
import logging
import math
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from posture_app.media import to_jpeg
from posture_app.records import finite, series_row

log = logging.getLogger("posture_app")

CALIBRATION_POSTURES = {"sitting": "sit_tall", "standing": "stand_tall"}
MAX_SERIES_ROWS = 20_000  # beyond this, every other row is dropped (charts stay light)


@dataclass(frozen=True)
class LiveConfig:
    activity: str = "auto"
    profile: str | None = None
    user_height_cm: float | None = None
    calibrate_s: float = 0.0  # > 0: hold a neutral posture this long before coaching
    calibration_posture: str = "sit_tall"
    calibration: Any = None  # a saved ``Calibration`` to coach with
    replay_s: float = 0.0  # > 0: keep annotated frames of the last seconds (lift lab)
    replay_width: int = 480
    # Low-power setting: while sitting, analyse at most this many frames a second
    # (None = every frame). Lifting and standing always run at the camera's rate.
    sitting_rate_hz: float | None = None
    assessor_kwargs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LiveRecord:
    """What the side panel needs about one processed frame."""

    seq: int
    t: float  # session time of the frame (s)
    wall: float  # time.monotonic() when the result was ready
    latency_s: float  # capture (estimated) → result ready
    detected: bool
    view: str
    phase: str  # "calibrating" | "coaching"
    activity: str | None
    worst: str
    cue: str | None
    status: Mapping[str, str]
    rep_count: int
    rep_phase: str | None
    scores: Mapping[str, float]
    values: Mapping[str, Any]  # the chart row (metric values)
    calibration_left_s: float = 0.0
    cue_new: bool = False  # first frame of this cue (speak it once)
    framing: str | None = None  # what to change in the framing, if anything
    # posture.live.LiveMoment: the one record the overlay of this frame was drawn from
    moment: Any = None
    cue_status: str = "caution"  # how the cue is coloured
    cue_source: str | None = None  # "rule" | "lift" | "framing" | "break" | "other"
    # What ``LiveController.record_extra`` read from the assessor on this frame (today's
    # programme: the exercise's reps, hold timer and form cue), on the worker thread
    extra: Any = None


@dataclass
class LiveRep:
    """A rep seen live (app-side record for the lift lab: frames kept for replay)."""

    index: int
    start_s: float
    end_s: float
    bottom_s: float
    metrics: dict[str, float | None]
    score: float | None = None
    faults: list[dict[str, Any]] = field(default_factory=list)
    style: str | None = None
    niosh: dict[str, Any] | None = None
    verdict: str | None = None  # good | faulty | partly_judged | not_judged (report-schema)
    not_judged: list[dict[str, Any]] = field(default_factory=list)
    confidence: float | None = None  # chance the verdict is right (posture.confidence)
    frames: list[tuple[float, bytes]] = field(default_factory=list)
    trace: list[dict[str, Any]] = field(default_factory=list)  # chart rows of the rep


def rep_metrics(trace: list[dict[str, Any]]) -> dict[str, float | None]:
    """Per-rep aggregates from chart rows (report-schema names), for live tables."""
    def col(name: str) -> list[float]:
        return [v for v in (finite(r.get(name)) for r in trace) if v is not None]

    trunk, knee, hip = col("trunk_inclination_deg"), col("knee_angle_deg"), col("hip_angle_deg")
    out: dict[str, float | None] = {
        "peak_trunk_inclination_deg": max(trunk) if trunk else None,
        "min_knee_angle_deg": min(knee) if knee else None,
        "min_hip_angle_deg": min(hip) if hip else None,
    }
    ssi = col("stoop_squat_index")
    if trunk and ssi:
        # SSI where the trunk leans most (the main phase of the lift).
        best = max((r for r in trace if finite(r.get("trunk_inclination_deg")) is not None
                    and finite(r.get("stoop_squat_index")) is not None),
                   key=lambda r: float(r["trunk_inclination_deg"]), default=None)
        out["stoop_squat_index"] = finite(best["stoop_squat_index"]) if best else None
    twist = col("trunk_twist_deg")
    if twist:
        out["max_trunk_twist_deg"] = max(abs(v) for v in twist)
    load = col("load_distance_cm")
    if load:
        out["load_distance_cm"] = max(load)
    return out


class LiveController:
    """One live stream's engine; see the module docstring for the threading contract."""

    def __init__(self, config: LiveConfig = LiveConfig(),
                 session_factory: Callable[..., Any] | None = None,
                 assessor_factory: Callable[..., Any] | None = None,
                 queue_size: int = 32, max_wait_s: float = 5.0) -> None:
        self.max_wait_s = max_wait_s
        self._factory = session_factory
        self._assessor_factory = assessor_factory
        self._built_with = assessor_factory  # the factory of the session being built
        self.lock = threading.RLock()
        self._ready = threading.Event()  # set when a warm-up attempt has finished
        self._gen = 0  # bumped by reset(): a late warm-up for an old stream is discarded
        self._warming = False
        self.queue: queue.Queue[LiveRecord] = queue.Queue(maxsize=queue_size)
        # Finishing and saving a stream happens once, on the page (Stop) or on a worker
        # thread (the stream ended without the page: tab closed, connection lost).
        self.save_lock = threading.RLock()
        # Page-side (script thread): was the component active at the last run, and has
        # the page asked the browser to stop the stream (the camera stopped sending)?
        self.page_active = False
        self.stop_requested = False
        # Called (on a watchdog thread) when a running stream sent no frame for
        # ``stall_after_s``: the camera stopped or the browser went away without a word.
        self.stall_handler: Callable[[], None] | None = None
        self.stall_after_s = 8.0
        # Called once with the ``live_common.Outcome`` when the stream is finished, on any
        # thread (a page that keeps its own record, such as today's programme, saves it).
        self.on_finished: Callable[[Any], None] | None = None
        # Called on the worker thread for each assessed frame with (assessor, assessment);
        # what it returns reaches the page as ``LiveRecord.extra``.
        self.record_extra: Callable[[Any, Any], Any] | None = None
        self.reset(config)

    # ------------------------------------------------------------------ lifecycle
    def reset(self, config: LiveConfig | None = None) -> None:
        """Forget the last stream; the next frame starts a new session."""
        with self.lock:
            if config is not None:
                self.config = config
            self._close_session()
            self._gen += 1
            self._warming = False
            self._ready.clear()
            self.state = "idle"  # idle → running → finished
            self.error: str | None = None
            self.started_wall: float | None = None  # time.time() of the first frame
            self._t_origin: float | None = None
            self._last_t = -math.inf
            self._dt = 1.0 / 15.0
            self._clock_offset = math.inf
            self.coach_start_t = 0.0
            self.last_t = 0.0
            self.frames_processed = 0
            self.frames_detected = 0
            self._seq = 0
            self.series: list[dict[str, Any]] = []
            self._series_stride = 1
            self._series_skip = 0
            self.ring: deque[tuple[float, bytes]] = deque()
            self.reps: list[LiveRep] = []
            self._rep_count = 0
            self._rep_start: float | None = None
            self._rep_bottom: tuple[float, float] = (0.0, -math.inf)
            self.phase = "calibrating" if self.config.calibrate_s > 0 else "coaching"
            self._calib_frames: list[Any] = []
            self._calib_first_t: float | None = None
            self._calib_left = self.config.calibrate_s
            self.calibration: Any = self.config.calibration
            self.calibration_message: str | None = None
            self.session_result: Any = None
            self.last_frame_wall: float | None = None  # time.monotonic() of the last frame
            self.outcome: Any = None  # set once the stream is finished (and saved)
            self.ended_by: str | None = None  # why it finished: "stop", "camera_stopped", …
            # Page-side state (script thread only) --------------------------------
            self.store_id: Any = None
            self.store_activity: str | None = None
            self.last_flush = 0.0
            self.latest: LiveRecord | None = None
            self.fps = 0.0
            self.latency_s = 0.0
            self._fps_window: deque[float] = deque(maxlen=30)
            self.cue_seq = 0
            self.cue_text: str | None = None
            self.cue_status = "ok"
            self.cue_source: str | None = None
            self.cue_since = 0.0
            while True:
                try:
                    self.queue.get_nowait()
                except queue.Empty:
                    break

    def _close_session(self) -> None:
        live = getattr(self, "live", None)
        self.live: Any = None
        if live is not None:
            try:
                live.close()
            except Exception:
                log.debug("closing the live session failed", exc_info=True)

    def _new_assessor_kwargs(self) -> dict[str, Any]:
        kw = dict(self.config.assessor_kwargs)
        if self.calibration is not None and self.phase == "coaching":
            kw["calibration"] = self.calibration
        return kw

    def _make_session(self, config: LiveConfig) -> Any:
        from posture.live import LiveSession

        factory = self._factory or LiveSession
        kw = dict(config.assessor_kwargs)
        if config.calibration is not None and config.calibrate_s <= 0:
            kw["calibration"] = config.calibration
        self._built_with = self._assessor_factory
        if self._assessor_factory is not None:
            kw["assessor_factory"] = self._assessor_factory
        if config.sitting_rate_hz:
            kw["sitting_rate_hz"] = config.sitting_rate_hz
        return factory(activity=config.activity, profile=config.profile,
                       user_height_cm=config.user_height_cm, **kw)

    def warm_up(self) -> None:
        """Build the pose model and rule session on a background thread, ahead of Start.

        Building takes a second or two (much longer on a busy machine); doing it inside
        the frame callback would stall the stream, and streamlit-webrtc gives up on a
        callback that takes over 10 s.
        """
        with self.lock:
            if self.live is not None or self._warming or self.state == "finished":
                return
            self._warming = True
            self._ready.clear()
            gen, config = self._gen, self.config
        threading.Thread(target=self._build, args=(gen, config), daemon=True,
                         name="posture-live-warm-up").start()

    def _build(self, gen: int, config: LiveConfig) -> None:
        live, error = None, None
        try:
            live = self._make_session(config)
        except Exception as err:
            log.exception("could not start the live analysis")
            from posture.errors import PostureError

            error = str(err) if isinstance(err, PostureError) else (
                "The live analysis could not start; reload the page and try again.")
        with self.lock:
            current = gen == self._gen and self.state != "finished"
            if current:
                self.live, self._warming = live, False
                if live is not None and self._built_with is not self._assessor_factory:
                    self._fresh_assessor()  # switched while the model was loading
                if error is not None:
                    self.error = error
        if not current and live is not None:
            live.close()
        self._ready.set()

    def _fresh_assessor(self) -> None:
        """Start coaching with a clean assessor (after calibration), keeping the pose model."""
        factory = self._assessor_factory
        if factory is None:
            from posture.assess import Assessor

            factory = Assessor
        kw = self._new_assessor_kwargs()
        self.live.assessor = factory(activity=self.config.activity, profile=self.config.profile,
                                      user_height_cm=self.config.user_height_cm, **kw)

    def set_assessor_factory(self, factory: Callable[..., Any] | None) -> None:
        """Assess with another assessor from the next frame on, keeping the camera stream
        and the pose model (a programme's next exercise)."""
        with self.lock:
            self._assessor_factory = factory
            self._rep_count, self._rep_start = 0, None
            if self.live is not None and self.phase == "coaching":
                self._fresh_assessor()

    @property
    def running(self) -> bool:
        return self.state == "running"

    @property
    def generation(self) -> int:
        """Changes with every :meth:`reset` (a new stream)."""
        return self._gen

    # ------------------------------------------------------------------ worker thread
    def _session_time(self, frame_time: float | None) -> float:
        """Session time of a frame: its capture timestamp, strictly increasing (MediaPipe)."""
        now = time.monotonic()
        if frame_time is None or not math.isfinite(frame_time):
            frame_time = now
        if self._t_origin is None:
            self._t_origin = frame_time
        t = frame_time - self._t_origin
        if t <= self._last_t:
            # The source restarted its clock (a new track, a looping file): continue the
            # session one typical frame interval after the last frame.
            t = self._last_t + self._dt
            self._t_origin = frame_time - t
        elif math.isfinite(self._last_t):
            self._dt = min(max(0.8 * self._dt + 0.2 * (t - self._last_t), 1e-3), 0.5)
        self._clock_offset = min(self._clock_offset, now - t)
        self._last_t = t
        return t

    def on_frame(self, frame: Any) -> Any:
        """streamlit-webrtc ``video_frame_callback``: av.VideoFrame in, annotated frame out."""
        import av

        image = frame.to_ndarray(format="rgb24")
        out = self.process_image(image, getattr(frame, "time", None))
        new = av.VideoFrame.from_ndarray(out, format="rgb24")
        new.pts = frame.pts
        new.time_base = frame.time_base
        return new

    def process_image(self, image_rgb: np.ndarray, frame_time: float | None = None) -> np.ndarray:
        """Analyse one frame and return the annotated picture (the raw one on failure)."""
        if self.state == "finished":
            return image_rgb
        self.last_frame_wall = time.monotonic()
        if self.live is None:
            self.warm_up()
            self._ready.wait(self.max_wait_s)  # never near streamlit-webrtc's 10 s limit
        with self.lock:
            if self.state == "finished":
                return image_rgb
            if self.live is None:
                return self._waiting(image_rgb)
            if self.state == "idle":
                self.state = "running"
                self.started_wall = time.time()
                self._watch(self._gen)
            try:
                t = self._session_time(frame_time)
                result = self.live.process(image_rgb, t)
                out = self._after(image_rgb, result, t)
            except Exception as err:  # the stream must keep running
                log.exception("live frame failed")
                from posture.errors import PostureError

                self.error = str(err) if isinstance(err, PostureError) else (
                    "The live analysis stopped working; press Stop, then Start again.")
                return image_rgb
            return out

    def _watch(self, gen: int) -> None:
        """Start the stall watchdog for this stream (only if someone listens)."""
        if self.stall_handler is None:
            return
        threading.Thread(target=self._watchdog, args=(gen,), daemon=True,
                         name="posture-live-watchdog").start()

    def _watchdog(self, gen: int) -> None:
        while True:
            time.sleep(0.5)
            if gen != self._gen or self.state != "running":
                return  # stopped, finished or reset: nothing to watch
            age = self.frame_age()
            handler = self.stall_handler
            if age is not None and age > self.stall_after_s and handler is not None:
                try:
                    handler()
                except Exception:
                    log.exception("the stall handler failed")
                return

    def _waiting(self, image_rgb: np.ndarray) -> np.ndarray:
        from posture.render import draw_label

        out = image_rgb.copy()
        s = max(out.shape[0], out.shape[1]) / 720.0
        text = "Getting ready..." if self.error is None else "Please press Stop and try again"
        draw_label(out, text, (8, int(30 * s)), (255, 255, 255), s * 1.3)
        return out

    def _after(self, image: np.ndarray, result: Any, t: float) -> np.ndarray:

        frame = result.frame
        if not getattr(result, "analysed", True):
            # Low-power skip: the last analysis drawn on the new picture; nothing to record.
            out = self.live.annotate(image, result)
            if self.phase == "calibrating":
                self._calibration_label(out, frame.detected)
            return out
        a = result.assessment
        self.frames_processed += 1
        self.frames_detected += int(bool(frame.detected))
        self.last_t = t
        row = series_row(frame, self.config.user_height_cm)
        calib_left = 0.0
        if self.phase == "calibrating":
            calib_left = self._calibrate_step(frame, t)
            self._calib_left = calib_left
        out = self.live.annotate(image, result) if hasattr(self.live, "annotate") else image
        if self.phase == "calibrating":
            self._calibration_label(out, frame.detected)
        else:
            self._append_series(row)
            self._track_reps(a, t, row)
        if self.config.replay_s > 0:
            self.ring.append((t, to_jpeg(out, self.config.replay_width, 75)))
            while self.ring and t - self.ring[0][0] > self.config.replay_s:
                self.ring.popleft()
        self._push(self._record(frame, a, t, row, calib_left, getattr(result, "moment", None)))
        return out

    def _calibration_label(self, out: np.ndarray, detected: bool) -> None:
        from posture.render import draw_label

        s = max(out.shape[0], out.shape[1]) / 720.0
        text = ("Calibrating: sit tall and hold still" if
                self.config.calibration_posture == "sit_tall"
                else "Calibrating: stand tall and hold still")
        left = f" - {self._calib_left:.0f} s" if detected else " - step into view"
        draw_label(out, text + left, (8, int(60 * s)), (255, 255, 255), s * 1.3)

    def _calibrate_step(self, frame: Any, t: float) -> float:
        if frame.detected:
            if self._calib_first_t is None:
                self._calib_first_t = t
            self._calib_frames.append(frame.metrics)
        if self._calib_first_t is None:
            return self.config.calibrate_s
        left = self.config.calibrate_s - (t - self._calib_first_t)
        if left > 0:
            return left
        from posture.rules.calibration import CalibrationError, calibrate

        try:
            self.calibration = calibrate(self._calib_frames, self.config.calibration_posture)
            self.calibration_message = None
        except CalibrationError as err:
            self.calibration = self.config.calibration
            reason = str(err).split(":")[-1].strip()
            self.calibration_message = (
                f"Calibration did not work this time ({reason}). Coaching continues with the "
                "standard bands; you can calibrate again next session.")
        self.phase = "coaching"
        self.coach_start_t = t
        self._calib_frames = []
        self._fresh_assessor()
        return 0.0

    def _append_series(self, row: dict[str, Any]) -> None:
        self._series_skip += 1
        if self._series_skip < self._series_stride:
            return
        self._series_skip = 0
        self.series.append(row)
        if len(self.series) > MAX_SERIES_ROWS:
            self.series = self.series[::2]
            self._series_stride *= 2

    def _track_reps(self, a: Any, t: float, row: dict[str, Any]) -> None:
        if a is None:
            return
        phase = getattr(a, "rep_phase", None)
        count = int(getattr(a, "rep_count", 0) or 0)
        if phase not in (None, "stand", "") and self._rep_start is None:
            self._rep_start = t
            self._rep_bottom = (t, -math.inf)
        if self._rep_start is not None:
            depth = finite(row.get("trunk_inclination_deg")) or 0.0
            depth += 180.0 - (finite(row.get("knee_angle_deg")) or 180.0)
            if depth > self._rep_bottom[1]:
                self._rep_bottom = (t, depth)
        if count > self._rep_count:
            self._rep_count = count
            start = self._rep_start if self._rep_start is not None else t - 2.0
            self._complete_rep(count, start, t, self._rep_bottom[0], a)
            self._rep_start = None

    def _complete_rep(self, index: int, start: float, end: float, bottom: float, a: Any) -> None:
        lib: dict[str, Any] = {}
        lib_reps = list(getattr(self.live.assessor, "reps", ()) or ())
        if len(lib_reps) >= index and hasattr(lib_reps[index - 1], "to_dict"):
            lib = lib_reps[index - 1].to_dict()
            # The library dates the rep from the last time the person stood still.
            lib_start, lib_bottom = finite(lib.get("start_s")), finite(lib.get("bottom_s"))
            lib_end = finite(lib.get("end_s"))
            start = lib_start if lib_start is not None else start
            bottom = lib_bottom if lib_bottom is not None else bottom
            end = lib_end if lib_end is not None else end
        trace = [r for r in self.series if start - 0.2 <= r["t"] <= end + 0.2]
        frames = [f for f in self.ring if start - 0.4 <= f[0] <= end + 0.4]
        rep = LiveRep(index=index, start_s=float(start), end_s=float(end),
                      bottom_s=float(bottom), metrics=rep_metrics(trace), frames=frames,
                      trace=trace)
        if lib:
            rep.score = finite(lib.get("score"))
            rep.faults = list(lib.get("faults") or [])
            rep.style = lib.get("style")
            rep.niosh = lib.get("niosh")
            rep.verdict = lib.get("verdict")
            rep.not_judged = list(lib.get("not_judged") or [])
            rep.confidence = finite(lib.get("confidence"))
            for k, v in (lib.get("metrics") or {}).items():
                rep.metrics[k] = finite(v)
        self.reps.append(rep)
        for old in self.reps[:-20]:
            old.frames = []  # keep replays of the last 20 reps only

    def _record(self, frame: Any, a: Any, t: float, row: dict[str, Any],
                calib_left: float, moment: Any = None) -> LiveRecord:
        now = time.monotonic()
        latency = max(now - (self._clock_offset + t), 0.0) if math.isfinite(
            self._clock_offset) else 0.0
        self._seq += 1
        cue = getattr(a, "cue", None) if a is not None else None
        cue_new = bool(getattr(a, "cue_new", False)) if a is not None else False
        worst = (getattr(a, "worst", None) or "n/a") if a is not None else "n/a"
        cue_status = worst if worst in ("caution", "poor") else "caution"
        cue_source = None
        if moment is not None:  # the cue as the overlay wrote it
            shown = moment.cue
            cue = shown.text if shown is not None else None
            cue_new = bool(shown.new) if shown is not None else False
            cue_status = shown.status if shown is not None else "ok"
            cue_source = shown.source if shown is not None else None
        return LiveRecord(
            seq=self._seq, t=t, wall=now, latency_s=latency, detected=bool(frame.detected),
            view=frame.view.view, phase=self.phase,
            activity=getattr(a, "activity", None) if a is not None else None,
            worst=worst, cue=cue,
            status=dict(getattr(a, "status", {}) or {}) if a is not None else {},
            rep_count=int(getattr(a, "rep_count", 0) or 0) if a is not None else 0,
            rep_phase=getattr(a, "rep_phase", None) if a is not None else None,
            scores=dict(getattr(a, "scores", {}) or {}) if a is not None else {},
            values=row, calibration_left_s=calib_left, cue_new=cue_new,
            framing=getattr(a, "framing", None) if a is not None else None,
            moment=moment, cue_status=cue_status, cue_source=cue_source,
            extra=self._extra(a))

    def _extra(self, a: Any) -> Any:
        hook = self.record_extra
        if hook is None or a is None or self.live is None:
            return None
        try:
            return hook(self.live.assessor, a)
        except Exception:  # the stream must keep running
            log.exception("reading the assessor for the page failed")
            return None

    def _push(self, record: LiveRecord) -> None:
        while True:
            try:
                self.queue.put_nowait(record)
                return
            except queue.Full:
                with contextlib.suppress(queue.Empty):
                    self.queue.get_nowait()  # drop the oldest: the panel wants the newest

    # ------------------------------------------------------------------ script thread
    def drain(self, each: Callable[[LiveRecord], None] | None = None) -> LiveRecord | None:
        """Take every queued record; update fps, latency and the cue; return the newest.

        ``each`` sees every record in order (a programme counts every frame's reps).
        """
        newest = None
        while True:
            try:
                rec = self.queue.get_nowait()
            except queue.Empty:
                break
            newest = rec
            if each is not None:
                each(rec)
            self._fps_window.append(rec.wall)
            self.latency_s = rec.latency_s if self.latency_s == 0 else (
                0.8 * self.latency_s + 0.2 * rec.latency_s)
            # The cue is always the newest record's (the one whose angles the panel shows
            # and whose overlay was drawn last).
            if rec.cue and (rec.cue_new or rec.cue != self.cue_text):
                self.cue_seq += 1
                self.cue_since = rec.wall
            self.cue_text = rec.cue or None
            self.cue_status = rec.cue_status if rec.cue else "ok"
            self.cue_source = rec.cue_source if rec.cue else None
        if newest is not None:
            self.latest = newest
        w = self._fps_window
        if len(w) >= 2 and w[-1] > w[0]:
            self.fps = (len(w) - 1) / (w[-1] - w[0])
        if w and time.monotonic() - w[-1] > 2.0:
            self.fps = 0.0
        return newest

    def recent_fps(self) -> float:
        """Processed frames per second over the last results (not zeroed by a pause)."""
        w = self._fps_window
        return (len(w) - 1) / (w[-1] - w[0]) if len(w) >= 2 and w[-1] > w[0] else self.fps

    def frame_age(self) -> float | None:
        """Seconds since the camera's last frame reached the analysis (None: no frame yet)."""
        last = self.last_frame_wall
        return None if last is None else time.monotonic() - last

    def coaching_seconds(self) -> float:
        return max(self.last_t - self.coach_start_t, 0.0) if self.phase == "coaching" else 0.0

    def snapshot(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]],
                                list[dict[str, Any]]]:
        """(closed events, reps, chart rows) so far — for the progress flushes to the store."""
        with self.lock:
            assessor = getattr(self.live, "assessor", None) if self.phase == "coaching" else None
            events = [e.to_dict() for e in getattr(assessor, "events", ())]
            reps = [r.to_dict() for r in getattr(assessor, "reps", ())]
            return events, reps, list(self.series)

    def set_niosh(self, task: Any) -> None:
        """New NIOSH inputs apply to the next lifts of a running session."""
        with self.lock:
            assessor = getattr(self.live, "assessor", None)
            if assessor is not None and hasattr(assessor, "niosh"):
                assessor.niosh = task

    def finish(self) -> Any:
        """End the session (on Stop): the library's ``SessionResult`` (None if nothing ran)."""
        with self.lock:
            if self.state == "finished":
                return self.session_result
            result = None
            if self.live is not None and self.phase == "coaching":
                try:
                    result = self.live.finish()
                except Exception:
                    log.exception("finishing the live session failed")
            self._close_session()
            self.state = "finished"
            self.session_result = result
            return result

    def replay_frames(self, rep: LiveRep | None = None) -> list[tuple[float, bytes]]:
        with self.lock:
            if rep is not None:
                return list(rep.frames)
            return list(self.ring)
