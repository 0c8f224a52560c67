"""End to end in a real browser: Debian's Chromium, a fake webcam playing a sample clip.

The server runs in its own process group on a free port with a temporary data
folder; Playwright drives /usr/bin/chromium (never ``playwright install``). The
test presses Start in the webrtc component, waits for the overlay and the live
read-outs, presses Stop, and checks the summary and the saved session.
Skipped where Chromium is absent (tests/conftest.py) or ffmpeg is missing.
Shared start-up helpers: ``tests/e2e_helpers.py``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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

from posture_app.ui import PROBLEM_WORDS

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(150)]


@pytest.fixture
def fake_camera(tmp_path: Path) -> Path:
    return make_fake_camera(tmp_path / "cam.y4m")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[AppServer]:
    with app_server(tmp_path) as srv:
        yield srv


PANEL_JS = """() => {
  const q = (sel) => Array.from(document.querySelectorAll(sel));
  const cue = document.querySelector('.posture-cue');
  const card = document.querySelector('.posture-lift');
  return {
    label: cue ? (cue.querySelector('.cue-label') || {innerText: ''}).innerText : '',
    text: cue ? (cue.querySelector('.cue-text') || {innerText: ''}).innerText : '',
    rows: q('table.posture-angles:not(.posture-therapist) tr').map(tr =>
      Array.from(tr.querySelectorAll('td')).map(td => td.innerText)),
    card: card ? card.innerText : '',
  };
}"""


def sample_panel(page: Any, seconds: float, every_s: float = 0.5) -> list[dict[str, Any]]:
    """The live panel's cue, check rows and lift card, read together at moments."""
    out = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        out.append(page.evaluate(PANEL_JS))
        time.sleep(every_s)
    return out


def panel_agrees(m: dict[str, Any]) -> None:
    """What one moment of the panel must never say at once (issue #13, "one truth")."""
    for row in m["rows"]:
        if len(row) == 4:
            _part, _value, sentence, badge = row
            # A check's badge and its sentence agree: "Good" only with the good sentence.
            if "Good" in badge:
                assert sentence.strip() not in PROBLEM_WORDS.values(), row
    label = m["label"].strip().lower()
    if label == "lift tip":
        tip = re.match(r"Lift (\d+):", m["text"])
        card = re.search(r"Lift (\d+):", m["card"])
        assert tip and card, m
        assert int(tip.group(1)) <= int(card.group(1)), m  # never a lift not yet shown


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
            sampled = sample_panel(page, seconds=6.0)
            assert len(sampled) >= 8
            for moment in sampled:
                panel_agrees(moment)

            webrtc_button(webrtc, "stop").click()
            expect(page.get_by_role("heading", name="Session summary")).to_be_visible(
                timeout=30_000)
            expect(page.get_by_text("Time in each band").first).to_be_visible()
            # One named score with its meaning and what is good, on screen.
            summary = page.locator("section.main, [data-testid='stMain']").first.inner_text()
            assert ("Lift score" in summary) or ("Time in good posture" in summary), summary
            assert "What is good" in summary
            page.screenshot(path=str(tmp_path / "summary.png"), full_page=True)
        finally:
            browser.close()

    rows = sessions(server.db)
    assert len(rows) == 1
    assert rows[0].kind == "live" and rows[0].status == "complete"
    assert rows[0].summary["live"]["frames_analysed"] > 30
    assert rows[0].summary["live"]["ended_by"] == "stop"
    assert time.monotonic() - started < 90
