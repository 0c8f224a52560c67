"""Faults in a real browser: the camera refused, missing or unplugged; the tab closed
without Stop; the server killed; an upload over the size limit.

Each fault must leave the page saying what happened in a sentence (never a
traceback) and keep the session recorded so far. Debian's Chromium driven by
Playwright, as in ``test_e2e_live.py`` (helpers in ``e2e_helpers.py``); skipped
where Chromium or ffmpeg is absent.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_helpers import (
    PAGE_LOAD_MS,
    AppServer,
    app_server,
    launch_chromium,
    make_fake_camera,
    no_traceback,
    open_live_coach,
    sessions,
    start_streaming,
    wait_for_frames,
    webrtc_button,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(180)]

# Keeps every camera stream the page opens, so a test can "unplug" the camera.
KEEP_STREAMS = """(() => {
  const md = navigator.mediaDevices;
  if (!md || !md.getUserMedia) return;
  const original = md.getUserMedia.bind(md);
  md.getUserMedia = async (constraints) => {
    const stream = await original(constraints);
    (window.__cameraStreams = window.__cameraStreams || []).push(stream);
    return stream;
  };
})();"""
# What the browser sees when a webcam is unplugged: its track ends.
UNPLUG = """() => {
  let n = 0;
  for (const s of window.__cameraStreams || []) {
    for (const t of s.getVideoTracks()) { t.stop(); t.dispatchEvent(new Event("ended")); n++; }
  }
  return n;
}"""
MIN_FRAMES = 20


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AppServer, Path]]:
    """One server (and fake camera) for the tests that do not stop it."""
    work = tmp_path_factory.mktemp("faults")
    camera = make_fake_camera(work / "cam.y4m")
    with app_server(work) as server:
        yield server, camera


@pytest.fixture
def playwright() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


def _webrtc_frame(page):
    return next(f for f in page.frames if "webrtc_streamer" in (f.url or ""))


def _new_rows(server: AppServer, before: set[int]) -> list:
    return [r for r in sessions(server.db) if r.id not in before]


# ------------------------------------------------------------------------------ camera
@pytest.mark.parametrize(("case", "flags", "sentence_key"), [
    # The user refused the permission prompt (Chromium answers it "deny" by itself).
    ("refused", ["--use-fake-device-for-media-stream", "--deny-permission-prompts"],
     "device_access_denied"),
    # Allowed, but there is no camera at all (this machine has none).
    ("missing", ["--use-fake-ui-for-media-stream"], "device_not_available"),
])
def test_camera_problem_on_start_is_a_sentence(case, flags, sentence_key, shared, playwright,
                                               tmp_path):
    from playwright.sync_api import expect

    from posture_app.camera import TRANSLATIONS

    server, _ = shared
    before = {r.id for r in sessions(server.db)}
    browser = launch_chromium(playwright, extra_args=flags)
    try:
        page, webrtc = open_live_coach(browser, server.url)
        webrtc_button(webrtc, "start").click(timeout=PAGE_LOAD_MS)
        sentence = TRANSLATIONS[sentence_key]
        expect(webrtc.get_by_text(sentence)).to_be_visible(timeout=20_000)
        text = webrtc.locator("body").inner_text()
        assert "NotAllowedError" not in text and "NotFoundError" not in text
        expect(webrtc_button(webrtc, "start")).to_be_visible()  # can try again
        page.screenshot(path=str(tmp_path / f"camera-{case}.png"), full_page=True)
        no_traceback(page)
    finally:
        browser.close()
    assert _new_rows(server, before) == []  # nothing ran, nothing saved


def test_review_page_states_the_configured_upload_limit(shared, playwright):
    from playwright.sync_api import expect

    server, _ = shared
    browser = launch_chromium(playwright)
    try:
        page = browser.new_page()
        page.goto(f"{server.url}/review", timeout=PAGE_LOAD_MS)
        # .streamlit/config.toml: server.maxUploadSize = 500
        expect(page.get_by_text("Files up to 500 MB each")).to_be_visible(timeout=PAGE_LOAD_MS)
        # The command-line route is for the therapist: under their details (issue #13).
        page.get_by_test_id("stExpander").get_by_text("Details for your therapist").click()
        expect(page.get_by_text(re.compile("command line, which has no size limit"))
               ).to_be_visible()
    finally:
        browser.close()


def test_camera_unplugged_mid_session_saves_and_says_so(shared, playwright, tmp_path):
    from playwright.sync_api import expect

    from posture_app.live_common import CAMERA_STOPPED

    server, camera = shared
    before = {r.id for r in sessions(server.db)}
    browser = launch_chromium(playwright, camera=camera)
    try:
        page, webrtc = open_live_coach(browser, server.url, KEEP_STREAMS)
        start_streaming(page, webrtc, MIN_FRAMES)
        assert _webrtc_frame(page).evaluate(UNPLUG) == 1
        expect(page.get_by_text(CAMERA_STOPPED)).to_be_visible(timeout=30_000)
        expect(page.get_by_role("heading", name="Session summary")).to_be_visible(
            timeout=10_000)
        # The page stopped the stream itself: Start is offered again.
        expect(webrtc_button(webrtc, "start")).to_be_visible(timeout=20_000)
        page.screenshot(path=str(tmp_path / "unplugged.png"), full_page=True)
        no_traceback(page)
    finally:
        browser.close()
    [row] = _new_rows(server, before)
    assert row.kind == "live" and row.status == "complete"
    # Whoever noticed first finished it: the page ("camera_stopped"), or the server when
    # the stream ended or sent nothing while the page still played. Never a Stop.
    assert row.summary["live"]["ended_by"] in ("camera_stopped", "stream_ended", "no_frames")
    assert row.summary["live"]["frames_analysed"] > MIN_FRAMES


def test_tab_closed_without_stop_keeps_the_session(shared, playwright):
    server, camera = shared
    before = {r.id for r in sessions(server.db)}
    browser = launch_chromium(playwright, camera=camera)
    try:
        page, webrtc = open_live_coach(browser, server.url)
        start_streaming(page, webrtc, MIN_FRAMES)
        closed = time.monotonic()
        page.close()  # no Stop
        deadline = closed + 40
        rows: list = []
        while time.monotonic() < deadline:
            rows = _new_rows(server, before)
            if rows and rows[0].status == "complete":
                break
            time.sleep(0.5)
        finished_after = time.monotonic() - closed
    finally:
        browser.close()
    [row] = rows
    assert row.status == "complete", f"still {row.status!r} {finished_after:.0f} s after closing"
    assert row.summary["live"]["ended_by"] in ("no_frames", "stream_ended")
    assert row.summary["live"]["frames_analysed"] > MIN_FRAMES
    assert row.duration_s > 0 and row.summary.get("time_s_by_severity")


# ------------------------------------------------------------------------------ server
def _session_seconds(page) -> float | None:
    """The panel's 'Session time' (mm:ss) as seconds."""
    box = page.locator(".posture-stat", has_text="Session time").first
    try:
        m = re.search(r"(\d+):(\d\d)", box.inner_text(timeout=2_000))
    except Exception:
        return None
    return 60 * int(m.group(1)) + int(m.group(2)) if m else None


def _draft_frames(server: AppServer) -> int:
    """Frames in the newest saved draft (0 before the first flush)."""
    try:
        rows = sessions(server.db)
    except Exception:  # the page may be writing it right now
        return 0
    return max((int((r.summary or {}).get("frames", 0)) for r in rows), default=0)


def test_server_killed_mid_session_keeps_all_but_the_last_seconds(tmp_path, playwright):
    camera = make_fake_camera(tmp_path / "cam.y4m")
    with app_server(tmp_path) as server:
        browser = launch_chromium(playwright, camera=camera)
        try:
            page, webrtc = open_live_coach(browser, server.url)
            start_streaming(page, webrtc, MIN_FRAMES)
            wait_for_frames(page, MIN_FRAMES + 30, timeout_s=30)
            # The page flushes every few seconds (FLUSH_EVERY_S); on a slow machine 30
            # frames can pass between two flushes, so wait for one that has them.
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not _draft_frames(server) > MIN_FRAMES:
                time.sleep(0.25)
            shown = _session_seconds(page)
            server.kill()  # kill -9: no clean-up runs
            killed_at = time.time()
            page.screenshot(path=str(tmp_path / "killed.png"))
        finally:
            browser.close()
    [row] = sessions(server.db)
    assert row.kind == "live" and row.status == "recording"  # a draft, never finished
    assert killed_at - row.updated_at <= 5.0  # saved ≤ 5 s before the kill
    assert row.summary["in_progress"] and row.summary["frames"] > MIN_FRAMES
    assert shown is not None and row.duration_s >= shown - 5.0


# ------------------------------------------------------------------------------ upload
def test_upload_over_the_size_limit_is_refused_with_a_message(tmp_path, playwright):
    from playwright.sync_api import expect

    big = tmp_path / "two-megabytes.mp4"
    big.write_bytes(b"\0" * (2 * 1024 * 1024))
    with app_server(tmp_path, "--server.maxUploadSize", "1") as server:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{server.url}/review", timeout=PAGE_LOAD_MS)
            expect(page.get_by_text("Files up to 1 MB each")).to_be_visible(
                timeout=PAGE_LOAD_MS)
            page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
                str(big))
            # Streamlit's own refusal, shown at the file (the server never receives it).
            expect(page.get_by_text("File must be 1.0MB or smaller.")).to_be_visible(
                timeout=20_000)
            page.screenshot(path=str(tmp_path / "too-big.png"), full_page=True)
            no_traceback(page)
        finally:
            browser.close()
        assert sessions(server.db) == []
