"""End to end in a real browser: Debian's Chromium, a fake webcam playing a sample clip.

The server runs in its own process group on a free port with a temporary data
folder; Playwright drives /usr/bin/chromium (never ``playwright install``). The
test presses Start in the webrtc component, waits for the overlay and the live
read-outs, presses Stop, and checks the summary and the saved session.
Skipped where Chromium is absent (tests/conftest.py) or ffmpeg is missing.
Shared start-up helpers: ``tests/e2e_helpers.py``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_helpers import (
    AppServer,
    app_server,
    launch_chromium,
    make_fake_camera,
    open_live_coach,
    sessions,
    start_streaming,
    webrtc_button,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(150)]


@pytest.fixture
def fake_camera(tmp_path: Path) -> Path:
    return make_fake_camera(tmp_path / "cam.y4m")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[AppServer]:
    with app_server(tmp_path) as srv:
        yield srv


def test_live_coach_in_chromium_with_a_fake_camera(server, fake_camera, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    started = time.monotonic()
    with sync_playwright() as p:
        browser = launch_chromium(p, camera=fake_camera)
        try:
            page, webrtc = open_live_coach(browser, server.url)
            # The overlay comes back from the server and the panel reads out the frames.
            try:
                start_streaming(page, webrtc, 30)
            finally:
                page.screenshot(path=str(tmp_path / "live.png"))
            video = webrtc.locator("video").first
            assert video.evaluate("v => v.videoWidth") > 0  # the annotated stream plays
            expect(page.locator(".posture-cue .cue-text").first).not_to_be_empty()
            readout = page.locator(".posture-angles td.value")
            assert readout.count() > 0
            assert any("°" in t for t in readout.all_inner_texts())  # live angles

            webrtc_button(webrtc, "stop").click()
            expect(page.get_by_role("heading", name="Session summary")).to_be_visible(
                timeout=30_000)
            expect(page.get_by_text("Time in each band").first).to_be_visible()
            page.screenshot(path=str(tmp_path / "summary.png"), full_page=True)
        finally:
            browser.close()

    rows = sessions(server.db)
    assert len(rows) == 1
    assert rows[0].kind == "live" and rows[0].status == "complete"
    assert rows[0].summary["live"]["frames_analysed"] > 30
    assert rows[0].summary["live"]["ended_by"] == "stop"
    assert time.monotonic() - started < 90
