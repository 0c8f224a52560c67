"""End to end in a real browser: Debian's Chromium, a fake webcam playing a sample clip.

The server runs in its own process group on a free port with a temporary data
folder; Playwright drives /usr/bin/chromium (never ``playwright install``). The
test presses Start in the webrtc component, waits for the overlay and the live
read-outs, presses Stop, and checks the summary and the saved session.
Skipped where Chromium is absent (tests/conftest.py) or ffmpeg is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from app_stubs import REPO, SQUAT_CLIP

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(150)]

CHROMIUM = "/usr/bin/chromium"
QUIET_FLAGS = ["--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update",
               "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


@pytest.fixture
def fake_camera(tmp_path: Path) -> Path:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        pytest.skip("ffmpeg is absent (apt-get install ffmpeg): cannot make a fake webcam")
    cam = tmp_path / "cam.y4m"
    subprocess.run([ffmpeg, "-loglevel", "error", "-y", "-i", str(SQUAT_CLIP), "-vf",
                    "scale=640:480,fps=15,format=yuv420p", "-t", "10", str(cam)],
                   check=True, timeout=60)
    return cam


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port = _free_port()
    data = tmp_path / "data"
    env = {**os.environ, "POSTURE_DATA_DIR": str(data), "PYTHONUNBUFFERED": "1"}
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port),
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not _healthy(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail("the app did not start:\n"
                            + (tmp_path / "server.log").read_text(errors="replace")[-3000:])
            time.sleep(0.3)
        yield f"http://127.0.0.1:{port}", data
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()


def test_live_coach_in_chromium_with_a_fake_camera(server, fake_camera, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    from posture.store import HistoryStore

    url, data = server
    started = time.monotonic()
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=[*QUIET_FLAGS, "--use-fake-ui-for-media-stream",
                  "--use-fake-device-for-media-stream",
                  f"--use-file-for-fake-video-capture={fake_camera}"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url, timeout=60_000)
            expect(page.get_by_role("heading", name="Live coach")).to_be_visible(timeout=60_000)
            webrtc = page.frame_locator('iframe[title*="webrtc_streamer"]').first
            webrtc.get_by_role("button", name=re.compile("^start$", re.I)).click(timeout=60_000)

            # The overlay comes back from the server and the panel reads out the frames.
            counter = page.get_by_text(re.compile(r"Frames analysed: \d+"))
            deadline = time.monotonic() + 60
            frames = 0
            while time.monotonic() < deadline:
                if counter.count():
                    m = re.search(r"Frames analysed: (\d+)", counter.first.inner_text())
                    frames = int(m.group(1)) if m else 0
                    if frames > 30:
                        break
                time.sleep(0.5)
            page.screenshot(path=str(tmp_path / "live.png"))
            assert frames > 30, f"only {frames} frames analysed"
            video = webrtc.locator("video").first
            assert video.evaluate("v => v.videoWidth") > 0  # the annotated stream plays
            expect(page.locator(".posture-cue .cue-text").first).not_to_be_empty()
            readout = page.locator(".posture-angles td.value")
            assert readout.count() > 0
            assert any("°" in t for t in readout.all_inner_texts())  # live angles

            webrtc.get_by_role("button", name=re.compile("^stop$", re.I)).click()
            expect(page.get_by_role("heading", name="Session summary")).to_be_visible(
                timeout=30_000)
            expect(page.get_by_text("Time in each band").first).to_be_visible()
            page.screenshot(path=str(tmp_path / "summary.png"), full_page=True)
        finally:
            browser.close()

    with HistoryStore(data / "history.sqlite3") as store:
        rows = store.list_sessions()
    assert len(rows) == 1
    assert rows[0].kind == "live" and rows[0].status == "complete"
    assert rows[0].summary["live"]["frames_analysed"] > 30
    assert time.monotonic() - started < 90
