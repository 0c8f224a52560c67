"""Helpers shared by the benchmark scripts (run as ``python benchmarks/<script>.py``)."""

from __future__ import annotations

import os
import socket
import urllib.request


def log(msg: str) -> None:
    print(msg, flush=True)


def loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def status_mb(pid: int | str, key: str) -> float | None:
    """A memory line of /proc/PID/status (``VmRSS``, ``VmHWM``) in MB (Linux)."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def healthy(port: int) -> bool:
    """Does a Streamlit server answer its health check on this port?"""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
            return bool(r.status == 200)
    except OSError:
        return False


PERTURB_ENV = "POSTURE_BENCH_PERTURB_US"
_perturbed = False


def perturb_frame_times() -> None:
    """In this process, stamp each frame ``$POSTURE_BENCH_PERTURB_US`` µs later than the
    one before it for MediaPipe (a rate change of 0.003 % per µs at 30 fps).

    A null perturbation: no person moves differently, but MediaPipe's tracking feeds each
    frame's landmarks into the next frame's crop, so tiny changes grow. What changes
    between a run with and without it is run-to-run noise, not the coach.
    """
    global _perturbed
    step = int(os.environ.get(PERTURB_ENV, "0") or 0)
    if not step or _perturbed:
        return
    from posture.pose import MediaPipePose

    original = MediaPipePose._stamp

    def stamp(self: MediaPipePose, t: float) -> None:
        extra = getattr(self, "_bench_extra_us", 0) + step
        self._bench_extra_us = extra  # type: ignore[attr-defined]
        original(self, t + extra / 1e6)

    MediaPipePose._stamp = stamp  # type: ignore[method-assign]
    _perturbed = True
