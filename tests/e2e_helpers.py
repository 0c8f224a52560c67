"""Shared pieces of the browser tests: the app server, the fake webcam, Chromium, the live page.

Debian's ``/usr/bin/chromium`` driven by Playwright (never ``playwright install``);
the app runs under ``streamlit run`` in its own process group, on a free port,
with a temporary data folder. See ``../shared/docs/live-video-notes.md`` for why
each flag is there.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from app_stubs import REPO, SQUAT_CLIP

CHROMIUM = "/usr/bin/chromium"
QUIET_FLAGS = ["--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update",
               "--disable-sync"]
PAGE_LOAD_MS = 60_000  # first page load: imports and model set-up take seconds on CI
FRAMES_READOUT = re.compile(r"Frames analysed: (\d+)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
            return bool(r.status == 200)
    except OSError:
        return False


def make_fake_camera(out: Path, seconds: float = 10.0, clip: Path = SQUAT_CLIP) -> Path:
    """A Y4M file Chromium plays as its webcam (it loops); skips the test without ffmpeg."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        pytest.skip("ffmpeg is absent (apt-get install ffmpeg): cannot make a fake webcam")
    subprocess.run([ffmpeg, "-nostdin", "-loglevel", "error", "-y", "-i", str(clip), "-vf",
                    "scale=640:480,fps=15,format=yuv420p", "-t", f"{seconds:g}", str(out)],
                   check=True, timeout=60)
    return out


@dataclass
class AppServer:
    """A running ``streamlit run app.py``."""

    proc: subprocess.Popen[bytes]
    port: int
    data: Path  # POSTURE_DATA_DIR
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def db(self) -> Path:
        return self.data / "history.sqlite3"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the whole process group: no clean-up code runs (a crash, a power cut)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM the process group (about 1.5 s), SIGKILL after a timeout."""
        if self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            self.kill()


@contextlib.contextmanager
def app_server(workdir: Path, *extra_args: str) -> Iterator[AppServer]:
    """Serve the app from the repository root (so ``.streamlit/config.toml`` applies)."""
    port = free_port()
    data = workdir / "data"
    log_path = workdir / f"server-{port}.log"
    env = {**os.environ, "POSTURE_DATA_DIR": str(data), "PYTHONUNBUFFERED": "1",
           "GLOG_minloglevel": "2", "TF_CPP_MIN_LOG_LEVEL": "2"}
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.address", "127.0.0.1", "--server.port", str(port),
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
             *extra_args],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        server = AppServer(proc, port, data, log_path)
        try:
            deadline = time.monotonic() + 60
            while not healthy(port):
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail("the app did not start:\n" + server.log_text()[-3000:])
                time.sleep(0.3)
            yield server
        finally:
            server.stop()


def launch_chromium(playwright: Any, camera: Path | None = None,
                    extra_args: Sequence[str] = ()) -> Any:
    """Headless Debian Chromium; with ``camera`` a Y4M file plays as an allowed webcam."""
    args = [*QUIET_FLAGS, *extra_args]
    if camera is not None:
        args += ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                 f"--use-file-for-fake-video-capture={camera}"]
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)


def open_live_coach(browser: Any, url: str, init_script: str | None = None) -> tuple[Any, Any]:
    """(page, webrtc frame) with the Live coach page loaded."""
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    if init_script:
        page.add_init_script(init_script)  # runs in every frame, the webrtc iframe included
    page.goto(url, timeout=PAGE_LOAD_MS)
    expect(page.get_by_role("heading", name="Live coach")).to_be_visible(timeout=PAGE_LOAD_MS)
    return page, page.frame_locator('iframe[title*="webrtc_streamer"]').first


def webrtc_button(webrtc: Any, name: str) -> Any:
    """The component's Start / Stop button (CSS shows capitals: match case-insensitively)."""
    return webrtc.get_by_role("button", name=re.compile(f"^{name}$", re.I))


def frames_analysed(page: Any) -> int:
    counter = page.get_by_text(FRAMES_READOUT)
    if not counter.count():
        return 0
    with contextlib.suppress(Exception):  # the fragment may redraw between the two calls
        m = FRAMES_READOUT.search(counter.first.inner_text(timeout=2_000))
        return int(m.group(1)) if m else 0
    return 0


def wait_for_frames(page: Any, n: int, timeout_s: float = 60.0) -> int:
    """Poll the panel's read-out until more than ``n`` frames were analysed."""
    deadline = time.monotonic() + timeout_s
    frames = 0
    while time.monotonic() < deadline:
        frames = frames_analysed(page)
        if frames > n:
            return frames
        time.sleep(0.5)
    return frames


def start_streaming(page: Any, webrtc: Any, frames: int = 30) -> int:
    """Press Start and wait until the panel has read out more than ``frames`` frames."""
    webrtc_button(webrtc, "start").click(timeout=PAGE_LOAD_MS)
    seen = wait_for_frames(page, frames)
    assert seen > frames, f"only {seen} frames analysed"
    return seen


def sessions(db: Path) -> list[Any]:
    """The saved sessions (``posture.store.SessionRow``), or [] when nothing was saved."""
    from posture.store import HistoryStore

    if not db.exists():
        return []
    with HistoryStore(db) as store:
        return list(store.list_sessions())


def no_traceback(page: Any) -> None:
    """No Python exception box or traceback anywhere on the page."""
    assert page.locator('[data-testid="stException"]').count() == 0
    assert "Traceback (most recent call last)" not in page.content()
