"""Serve a Streamlit app with every webrtc frame callback timed (for benchmarks/live.py).

Usage: ``python benchmarks/live_probe.py STATS.jsonl APP.py [streamlit run flags…]``

Before Streamlit starts, ``streamlit_webrtc.webrtc_streamer`` is wrapped so
that any ``video_frame_callback`` an app passes is timed: one JSON line per
processed frame with the callback's entry and exit (``time.monotonic()``,
system-wide on Linux, so the benchmark can compare it with its own clock) and
the frame's capture timestamp (``frame.time``, from the browser's RTP clock).
The callback thread's native id is logged too, so the benchmark can tell
its CPU time from the rest of the server's. The app itself is untouched, so
the bare yardstick and the live coach are measured by the same code.
"""

from __future__ import annotations

import functools
import importlib.abc
import importlib.util
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any


class _Sink:
    """Thread-safe, line-buffered JSON lines (callbacks run on worker threads)."""

    def __init__(self, path: str) -> None:
        self._fh = open(path, "a", buffering=1)  # noqa: SIM115 - lives as long as the server
        self._lock = threading.Lock()

    def write(self, row: dict[str, Any]) -> None:
        line = json.dumps(row)
        with self._lock:
            self._fh.write(line + "\n")


def _timed(callback: Callable[[Any], Any], key: str, sink: _Sink) -> Callable[[Any], Any]:
    @functools.wraps(callback)
    def wrapped(frame: Any) -> Any:
        t_in = time.monotonic()
        try:
            return callback(frame)
        finally:
            t_out = time.monotonic()
            ft = getattr(frame, "time", None)
            sink.write({"key": key, "t_in": t_in, "t_out": t_out,
                        "frame_time": float(ft) if ft is not None else None,
                        "tid": threading.get_native_id()})

    return wrapped


def _patch(module: Any, sink: _Sink) -> None:
    original = module.webrtc_streamer

    @functools.wraps(original)
    def webrtc_streamer(*args: Any, **kwargs: Any) -> Any:
        callback = kwargs.get("video_frame_callback")
        if callback is not None:
            key = str(kwargs.get("key", args[0] if args else ""))
            kwargs["video_frame_callback"] = _timed(callback, key, sink)
        return original(*args, **kwargs)

    module.webrtc_streamer = webrtc_streamer


class _PatchOnImport(importlib.abc.MetaPathFinder):
    """Patch ``streamlit_webrtc`` right after the app first imports it.

    Importing it here, before Streamlit's runtime exists, would register its
    component in the wrong registry (the browser then gets a 404 for it).
    """

    def __init__(self, sink: _Sink) -> None:
        self.sink = sink
        self.busy = False

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        # Streamlit also calls find_spec to locate component packages without
        # importing them, so stay installed until the module is really executed.
        if name != "streamlit_webrtc" or self.busy:
            return None
        self.busy = True
        try:
            spec = importlib.util.find_spec(name)
        finally:
            self.busy = False
        if spec is None or spec.loader is None:
            return spec
        loader: Any = spec.loader
        exec_module = loader.exec_module
        hook = self

        def exec_and_patch(module: Any) -> None:
            exec_module(module)
            _patch(module, hook.sink)
            if hook in sys.meta_path:
                sys.meta_path.remove(hook)

        loader.exec_module = exec_and_patch
        return spec


def install(stats_path: str) -> None:
    """Time every frame callback given to ``webrtc_streamer`` (once the app imports it)."""
    sys.meta_path.insert(0, _PatchOnImport(_Sink(stats_path)))


class _Sampler(threading.Thread):
    """A tiny sampling profiler (py-spy is not installed): every ``interval`` s, the
    innermost posture/streamlit frames of each Python thread are counted; the
    counts are written to ``path`` as JSON every few seconds. Enabled with
    ``POSTURE_PROBE_SAMPLE=path`` (diagnostics for benchmarks/live.py --sample)."""

    def __init__(self, path: str, interval: float = 0.002) -> None:
        super().__init__(name="probe-sampler", daemon=True)
        self.path, self.interval = path, interval
        self.counts: dict[str, int] = {}
        self.samples = 0

    @staticmethod
    def _where(frame: Any) -> str:
        stack = []
        while frame is not None and len(stack) < 60:
            code = frame.f_code
            stack.append(f"{code.co_filename.rsplit('/site-packages/', 1)[-1]}:"
                         f"{code.co_name}:{frame.f_lineno}")
            frame = frame.f_back
        ours = [x for x in stack if "posture" in x and "live_probe" not in x]
        return " <- ".join(stack[:4] + ([f"… {ours[0]}"] if ours and ours[0] not in stack[:4]
                                        else []))

    def run(self) -> None:
        import json as _json

        names = {}
        last_dump = time.monotonic()
        me = threading.get_ident()
        while True:
            time.sleep(self.interval)
            for t in threading.enumerate():
                names[t.ident] = t.name
            for ident, frame in sys._current_frames().items():
                if ident == me:
                    continue
                key = f"{names.get(ident, ident)} | {self._where(frame)}"
                self.counts[key] = self.counts.get(key, 0) + 1
            self.samples += 1
            if time.monotonic() - last_dump > 3.0:
                last_dump = time.monotonic()
                top = sorted(self.counts.items(), key=lambda kv: -kv[1])[:80]
                with open(self.path, "w") as fh:
                    _json.dump({"samples": self.samples, "interval_s": self.interval,
                                "top": top}, fh, indent=0)


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    stats, app, flags = sys.argv[1], sys.argv[2], sys.argv[3:]
    install(stats)
    switch = os.environ.get("POSTURE_PROBE_SWITCH_S")
    if switch:  # experiment: a shorter GIL switch interval for the whole server
        sys.setswitchinterval(float(switch))
    sample = os.environ.get("POSTURE_PROBE_SAMPLE")
    if sample:
        _Sampler(sample).start()
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", app, *flags]
    return int(cli.main() or 0)


if __name__ == "__main__":
    sys.exit(main())
