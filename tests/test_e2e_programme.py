"""Today's programme end to end in Chromium, with a fake webcam.

1. A rep exercise, then a hold (a glute bridge and a plank, or the first pair with
   renders): the patient installs a two-exercise programme file on /today (the page's
   upload), presses Start, and the coach counts the reps, rests, moves on to the hold,
   times it and shows the day's summary; the day is saved as a programme session and
   History shows its adherence and range of motion. The fake camera is two rendered
   clips of ``sample_videos/exercises/`` (side view, good form) joined into one Y4M,
   which Chromium loops. Skipped without them.
2. The patient's buttons, with the shipped squat clip as the camera (no exercise is
   done in it): the camera check passes side-on, a set is skipped, the rest of the day
   is finished early, and the partial day is saved and shown in History.

Skipped without Chromium or ffmpeg. Shared start-up helpers: ``tests/e2e_helpers.py``.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from app_stubs import REPO, SQUAT_CLIP
from e2e_helpers import (
    PAGE_LOAD_MS,
    AppServer,
    app_server,
    launch_chromium,
    make_fake_camera,
    no_traceback,
    wait_for_frames,
    webrtc_button,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(420)]

CLIPS = REPO / "sample_videos" / "exercises"
DAY_TIMEOUT_S = 240.0  # Start → summary on a busy 2-core machine (two clip loops at 5 fps)
# A rep exercise and a hold, each with a rendered good side-view clip: the first of each
# list that has one (the renders are made in priority order; some may be missing).
REPS_CHOICES = ("glute_bridge", "bird_dog", "sit_to_stand", "hip_hinge", "heel_raise")
HOLD_CHOICES = ("front_plank", "wall_sit", "knee_to_chest", "hamstring_stretch")
PROGRAMME = """title = "Low back — week 1"
times_per_week = 3

[[exercises]]
exercise = "{reps}"
sets = 1
reps = 2
rest_s = 3

[[exercises]]
exercise = "{hold}"
sets = 1
hold_s = 3
rest_s = 0
"""


def good_side_clips(keys: tuple[str, ...]) -> tuple[str, Path]:
    """(key, clip): the first of ``keys`` with a rendered good-form side-view clip.

    A clip's JSON names its exercise (``exercise.key``), its intent (``exercise.intent``
    "good", or ``exercise.expect.good``) and its camera view (``view``).
    """
    for key in keys:
        for meta in sorted(CLIPS.glob("*.json")):
            if meta.name == "manifest.json":
                continue
            try:
                gt = json.loads(meta.read_text())
            except (OSError, ValueError):
                continue
            ex = gt.get("exercise") or {}
            good = ex.get("intent") == "good" or bool((ex.get("expect") or {}).get("good"))
            view = str(gt.get("view") or meta.stem)
            clip = meta.with_suffix(".mp4")
            if ex.get("key") == key and good and "side" in view and clip.exists():
                return key, clip
    pytest.skip(f"no rendered good side-view clip of any of {', '.join(keys)} in {CLIPS}")


def joined_camera(out: Path, clips: list[Path]) -> Path:
    """The clips one after the other as a 640×480, 15 fps Y4M (aspect kept, padded)."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        pytest.skip("ffmpeg is absent (apt-get install ffmpeg): cannot make a fake webcam")
    fit = ("scale=640:480:force_original_aspect_ratio=decrease,"
           "pad=640:480:(ow-iw)/2:(oh-ih)/2,fps=15,format=yuv420p,setsar=1")
    inputs = [a for c in clips for a in ("-i", str(c))]
    chains = ";".join(f"[{i}:v]{fit}[v{i}]" for i in range(len(clips)))
    joined = "".join(f"[v{i}]" for i in range(len(clips)))
    subprocess.run([ffmpeg, "-nostdin", "-loglevel", "error", "-y", *inputs,
                    "-filter_complex", f"{chains};{joined}concat=n={len(clips)}:v=1:a=0[out]",
                    "-map", "[out]", str(out)], check=True, timeout=120)
    return out


@pytest.fixture
def server(tmp_path: Path) -> Iterator[AppServer]:
    with app_server(tmp_path) as srv:
        yield srv


STEP_JS = """() => {
  const el = document.querySelector('.programme-step');
  return el ? {phase: el.dataset.phase, exercise: el.dataset.exercise,
               set: el.dataset.set, done: el.dataset.done} : null;
}"""


def walk_the_day(page: Any, timeout_s: float) -> list[dict[str, Any]]:
    """Poll the step read-out until the summary shows; returns the steps seen, in order."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout_s
    summary = page.get_by_role("heading", name="Today's summary")
    while time.monotonic() < deadline:
        if summary.count():
            return seen
        step = page.evaluate(STEP_JS)
        if step and (not seen or step != seen[-1]):
            seen.append(step)
        time.sleep(0.5)
    raise AssertionError(f"the day did not finish in {timeout_s:.0f} s; steps seen: {seen}")


def install_programme(page: Any, server: AppServer, text: str, tmp_path: Path) -> None:
    """Open /today with no programme, upload the file, see it listed."""
    from playwright.sync_api import expect

    programme_file = tmp_path / "low-back.toml"
    programme_file.write_text(text, encoding="utf-8")
    page.goto(server.url + "/today", timeout=PAGE_LOAD_MS)
    expect(page.get_by_role("heading", name="Today's programme")).to_be_visible(
        timeout=PAGE_LOAD_MS)
    # No programme yet: the page says how to get one and takes the file.
    expect(page.get_by_text("You have no programme yet")).to_be_visible(timeout=PAGE_LOAD_MS)
    page.locator('input[type="file"]').set_input_files(str(programme_file))
    expect(page.get_by_text("It is now today's programme")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Low back — week 1").first).to_be_visible()


def _settled(page: Any) -> None:
    """Wait until Streamlit has finished its run: a Start pressed mid-run (the upload's
    rerun) is the likeliest way to lose the click."""
    with contextlib.suppress(Exception):
        page.get_by_test_id("stStatusWidget").wait_for(state="detached", timeout=30_000)


def start_camera(page: Any, server: AppServer) -> Any:
    """Press Start; if no frame arrives, reload the page and press Start once more, as a
    patient would.

    In two CI runs the connection delivered no frame (90 s, then 105 s over two Starts)
    and the server logged nothing; the component still showed "Start", as if the click
    was lost. Start is now pressed once the page's run has finished, and the second try
    starts from a reloaded page (the programme is on disk). Both attempts failing is a
    failure, with what the page, the component, the browser console and the server showed
    (a CI run is not replayable)."""
    console: list[str] = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"[:300]))
    seen = []
    frames = 0
    for attempt, wait_s in enumerate((45, 60)):
        if attempt:
            page.reload(timeout=PAGE_LOAD_MS)
        _settled(page)
        webrtc = page.frame_locator('iframe[title*="webrtc_streamer"]').first
        webrtc_button(webrtc, "start").click(timeout=PAGE_LOAD_MS)
        frames = wait_for_frames(page, 10, timeout_s=wait_s)
        if frames > 10:
            return webrtc
        shown = "(the component could not be read)"
        with contextlib.suppress(Exception):
            shown = webrtc.locator("body").inner_text(timeout=5_000)[-500:]
        seen.append(shown)
        with contextlib.suppress(Exception):
            webrtc_button(webrtc, "stop").click(timeout=5_000)
    raise AssertionError(f"{frames} frames analysed after two Starts.\nComponent:\n"
                         + "\n---\n".join(seen)
                         + f"\nPage:\n{page.inner_text('body')[-3000:]}\nConsole:\n"
                         + "\n".join(console[-30:])
                         + f"\nServer log:\n{server.log_text()[-3000:]}")


def wait_for_step(page: Any, phase: str, exercise: str, timeout_s: float = 90.0
                  ) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    step = None
    while time.monotonic() < deadline:
        step = page.evaluate(STEP_JS)
        if step and step["phase"] == phase and step["exercise"] == exercise:
            return dict(step)
        time.sleep(0.5)
    raise AssertionError(f"never reached {phase} of {exercise}; last step: {step}")


def open_progress(page: Any, server: AppServer) -> str:
    """History's "Home programme" tab (the programme's progress); returns its text."""
    from playwright.sync_api import expect

    page.goto(server.url + "/history", timeout=PAGE_LOAD_MS)
    expect(page.get_by_role("heading", name="History").first).to_be_visible(
        timeout=PAGE_LOAD_MS)
    page.get_by_role("tab", name="Home programme").click(timeout=60_000)
    panel = page.get_by_role("tabpanel", name="Home programme")
    expect(panel.get_by_role("heading", name="Low back — week 1")).to_be_visible(
        timeout=60_000)
    # The metrics are drawn a moment after the heading (their code loads lazily).
    expect(panel.get_by_test_id("stMetric").first).to_be_visible(timeout=60_000)
    no_traceback(page)
    return str(panel.inner_text())


def test_todays_programme_in_chromium_with_a_fake_camera(server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    reps_key, reps_clip = good_side_clips(REPS_CHOICES)
    hold_key, hold_clip = good_side_clips(HOLD_CHOICES)
    camera = joined_camera(tmp_path / "cam.y4m", [reps_clip, hold_clip])
    with sync_playwright() as p:
        browser = launch_chromium(p, camera=camera)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            install_programme(page, server, PROGRAMME.format(reps=reps_key, hold=hold_key),
                              tmp_path)
            start_camera(page, server)
            try:
                steps = walk_the_day(page, DAY_TIMEOUT_S)
            finally:
                page.screenshot(path=str(tmp_path / "today.png"), full_page=True)
            phases = [(s["exercise"], s["phase"]) for s in steps]
            assert (reps_key, "set") in phases and (hold_key, "set") in phases
            assert (reps_key, "rest") in phases  # the rest before the hold
            summary = page.locator(".programme-summary").first
            expect(summary).to_be_visible()
            assert float(summary.get_attribute("data-adherence") or 0) == 1.0
            main = page.get_by_test_id("stMain").inner_text()
            assert "2 of 2 (100%)" in main and "Saved to your history" in main
            no_traceback(page)
            progress = open_progress(page, server)
            # This week: one workout of the three prescribed, and the reps' range.
            assert re.search(r"\b1 of 3\b", progress), progress
            assert "Range of movement" in progress
        finally:
            browser.close()

    saved = programme_sessions(server.data / "history.sqlite3")
    assert len(saved) == 1
    sets = saved[0]
    assert [(s["exercise"], s["met"]) for s in sets] == [(reps_key, True), (hold_key, True)]
    assert sets[0]["reps_done"] == 2 and sets[0]["rom_deg"] is not None


BUTTONS_PROGRAMME = """title = "Low back — week 1"
times_per_week = 3

[[exercises]]
exercise = "sit_to_stand"
sets = 2
reps = 10
rest_s = 30

[[exercises]]
exercise = "front_plank"
sets = 1
hold_s = 20
"""


def test_skip_a_set_and_finish_early_in_chromium(server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    camera = make_fake_camera(tmp_path / "cam.y4m", clip=SQUAT_CLIP)
    with sync_playwright() as p:
        browser = launch_chromium(p, camera=camera)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            install_programme(page, server, BUTTONS_PROGRAMME, tmp_path)
            start_camera(page, server)
            # Side-on and in view: the camera check passes and set 1 begins.
            step = wait_for_step(page, "set", "sit_to_stand")
            assert step["set"] == "1"
            page.get_by_role("button", name="Skip set").click()
            step = wait_for_step(page, "set", "sit_to_stand")
            deadline = time.monotonic() + 30
            while step["set"] != "2" and time.monotonic() < deadline:
                time.sleep(0.5)
                step = page.evaluate(STEP_JS) or step
            assert step["set"] == "2"
            page.get_by_role("button", name="Finish early").click()
            expect(page.get_by_role("heading", name="Today's summary")).to_be_visible(
                timeout=60_000)
            summary = page.locator(".programme-summary").first
            assert float(summary.get_attribute("data-adherence") or 1) == 0.0
            main = page.get_by_test_id("stMain").inner_text()
            assert "0 of 3 (0%)" in main and "Saved to your history" in main
            # The camera stops by itself once the day is over.
            webrtc = page.frame_locator('iframe[title*="webrtc_streamer"]').first
            expect(webrtc_button(webrtc, "start")).to_be_visible(timeout=30_000)
            no_traceback(page)
            progress = open_progress(page, server)
            # This week: none of the three prescribed workouts done in full.
            assert re.search(r"\b0 of 3\b", progress), progress
        finally:
            browser.close()

    saved = programme_sessions(server.data / "history.sqlite3")
    assert len(saved) == 1
    assert [(s["exercise"], s["set"], s["met"], s["skipped"]) for s in saved[0]] == [
        ("sit_to_stand", 1, False, True), ("sit_to_stand", 2, False, True),
        ("front_plank", 1, False, True)]


def programme_sessions(db: Path) -> list[list[dict[str, Any]]]:
    """Each saved programme session's sets (as the page recorded them)."""
    from posture.store import HistoryStore

    with HistoryStore(db) as store:
        return [list(s.sets) for s in store.programme_sessions()]
