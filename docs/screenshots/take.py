"""Re-take the screenshots in docs/screenshots/ (issue #13): every page at 1400 and 1920 px.

    nice -n 10 .venv/bin/python docs/screenshots/take.py              # all of them
    nice -n 10 .venv/bin/python docs/screenshots/take.py --keep-tmp   # keep data and log
    nice -n 10 .venv/bin/python docs/screenshots/take.py --out /tmp/x # somewhere else

Takes about four minutes. Starts ``streamlit run app.py`` on a free port with a temporary
data folder (as the browser tests do, ``tests/e2e_helpers.py``), and drives Debian's
``/usr/bin/chromium`` with Playwright (never ``playwright install``); needs ffmpeg. The
webcam is a fake one: Chromium plays a synthetic clip, converted to Y4M, in a loop —
``23_lift_stoop_side_right.mp4`` for the lifting pages, ``01_sit_slouch_cycle_side_left.mp4``
for a sitting session (a second browser, after the first is closed: one at a time). The
tour: Live coach (before Start, lifting, the therapist's angles, summary, its printable
report with a name and notes), Review (the stoop clip as "Lifting / squats"), Lift lab
(10 kg load; live, Big screen, after Stop), Live coach sitting, History (all four
sessions), Settings. Each state is shot at 1400x900 and at 1920x1080 (the window is
resized; a live session keeps running). Live states differ a little from run to run.

Writes ``docs/screenshots/<page>-<state>-<width>.png`` (palette PNGs, optimised),
``console.json`` (browser console errors, page errors and Vega warnings per page, with
Streamlit's own deep-URL start-up probes listed apart) and ``panel-text.json`` (the text
of the cue, checks, lift card and tables at the moment of each live screenshot, to check
that they agree).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))  # the benchmarks' server helpers
from _common import free_port, healthy  # noqa: E402

OUT = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
LIFT_CLIP = REPO / "sample_videos" / "synthetic" / "23_lift_stoop_side_right.mp4"
SIT_CLIP = REPO / "sample_videos" / "synthetic" / "01_sit_slouch_cycle_side_left.mp4"
SIT_SECONDS = 25  # a sitting session long enough for a slouch cue and a summary
REVIEW_CLIP = REPO / "sample_videos" / "synthetic" / "23_lift_stoop_side_right.mp4"
SIZES = {1400: 900, 1920: 1080}
LOAD_MS = 90_000
FLAGS = ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
# Opening a page by a deep URL (/history), Streamlit's frontend first probes
# /history/_stcore/health and /history/_stcore/host-config (404): Streamlit's start-up, not
# this app (tests/test_e2e_pages.py allows them for the same reason). Listed apart.
BASE_PATH_PROBE = re.compile(r"/[\w-]+/_stcore/(health|host-config)$")


# ------------------------------------------------------------------------------ server
@contextlib.contextmanager
def app_server(work: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "POSTURE_DATA_DIR": str(work / "data"), "PYTHONUNBUFFERED": "1",
           "GLOG_minloglevel": "2", "TF_CPP_MIN_LOG_LEVEL": "2"}
    log_path = work / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.address", "127.0.0.1", "--server.port", str(port),
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while not healthy(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the app did not start:\n" + log_path.read_text()[-3000:])
            time.sleep(0.3)
        yield f"http://127.0.0.1:{port}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def fake_camera(clip: Path, out: Path) -> Path:
    ffmpeg = shutil.which("ffmpeg") or sys.exit("ffmpeg is needed (apt-get install ffmpeg)")
    subprocess.run([ffmpeg, "-nostdin", "-loglevel", "error", "-y", "-i", str(clip), "-vf",
                    "scale=640:480,fps=15,format=yuv420p", str(out)], check=True, timeout=120)
    return out


# ------------------------------------------------------------------------------ browser
class Console:
    """Console errors / page errors / Vega warnings, filed under the current page name."""

    def __init__(self) -> None:
        self.page = "start"
        self.seen: dict[str, dict[str, list[str]]] = {}

    def _add(self, kind: str, text: str) -> None:
        self.seen.setdefault(self.page, {"errors": [], "streamlit_probes": []})[kind].append(
            text)

    def on_console(self, msg: Any) -> None:
        url = str((msg.location or {}).get("url") or "")
        text = f"{msg.type}: {msg.text} ({url})"
        if msg.type == "error":
            probe = msg.text.startswith("Failed to load resource") and \
                BASE_PATH_PROBE.search(url)
            self._add("streamlit_probes" if probe else "errors", text)
        elif msg.type == "warning" and msg.text.startswith("WARN "):  # Vega's logger
            self._add("errors", text)

    def on_page_error(self, err: Any) -> None:
        self._add("errors", f"pageerror: {err}")


def settle(page: Any, ms: int = 1_500) -> None:
    """Wait for the script run to finish (Streamlit's running indicator gone)."""
    from playwright.sync_api import expect

    with contextlib.suppress(Exception):
        expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=60_000)
    page.wait_for_timeout(ms)


def optimise(path: Path) -> None:
    """A palette PNG (256 colours) — UI screenshots stay sharp and shrink 3–4×."""
    from PIL import Image

    with Image.open(path) as im:
        pal = im.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                                         dither=Image.Dither.NONE)
    pal.save(path, optimize=True)


MAX_HEIGHT = 6_000
CONTENT_HEIGHT = """() => Math.max(document.documentElement.scrollHeight, ...[
  '[data-testid="stMain"]', '[data-testid="stAppViewContainer"]', '[data-testid="stSidebar"]'
].map(s => { const e = document.querySelector(s); return e ? e.scrollHeight : 0; }))"""


def shoot(page: Any, name: str, width: int, full: bool = True) -> None:
    """One screenshot at ``width``. Streamlit scrolls inside its own container (the document
    is one screen high), so a "full page" is taken by growing the window to the content."""
    page.set_viewport_size({"width": width, "height": SIZES[width]})
    page.wait_for_timeout(1_200)  # let the layout follow the new width
    if full:
        for _ in range(3):  # the layout may change with the height (e.g. the video)
            h = min(max(int(page.evaluate(CONTENT_HEIGHT)), SIZES[width]), MAX_HEIGHT)
            if h == page.viewport_size["height"]:
                break
            page.set_viewport_size({"width": width, "height": h})
            page.wait_for_timeout(1_000)
    path = OUT / f"{name}-{width}.png"
    page.screenshot(path=str(path), animations="disabled")
    optimise(path)
    shown = path.relative_to(REPO) if path.is_relative_to(REPO) else path
    print(f"  wrote {shown} ({path.stat().st_size // 1024} kB)", flush=True)


def shoot_both(page: Any, name: str, full: bool = True, first: int = 1400) -> None:
    for w in (first, 3320 - first):  # 1400 and 1920, either order
        shoot(page, name, w, full)


def open_page(page: Any, console: Console, url: str, name: str, title: str) -> None:
    from playwright.sync_api import expect

    console.page = name
    console.seen.setdefault(name, {"errors": [], "streamlit_probes": []})
    page.goto(url, timeout=LOAD_MS)
    expect(page.get_by_role("heading", name=title, exact=True).first).to_be_visible(
        timeout=LOAD_MS)
    settle(page)


def choose(page: Any, label: str, option: str) -> None:
    page.get_by_test_id("stSelectbox").filter(has_text=label).first.click()
    page.get_by_role("option", name=option).click()
    settle(page, 800)


def webrtc_button(page: Any, name: str) -> Any:
    frame = page.frame_locator('iframe[title*="webrtc_streamer"]').first
    return frame.get_by_role("button", name=re.compile(f"^{name}$", re.I))


def stat_value(page: Any, label: str) -> str:
    with contextlib.suppress(Exception):
        box = page.locator(".posture-stat", has=page.locator(".label", has_text=re.compile(
            f"^{label}$"))).first
        return str(box.locator(".value").inner_text(timeout=2_000)).strip()
    return ""


def wait_until(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    print(f"  (gave up waiting for {what} after {timeout_s:.0f} s)", flush=True)


def lifts_at_least(page: Any, n: int) -> Callable[[], bool]:
    def check() -> bool:
        v = stat_value(page, "Lifts")
        return v.isdigit() and int(v) >= n
    return check


def panel_text(page: Any) -> dict[str, Any]:
    """What the panel says right now: cue, checks, lift card, tables (innerText)."""
    return page.evaluate("""() => {
      const t = s => Array.from(document.querySelectorAll(s)).map(e => e.innerText.trim());
      return {cue: t('.posture-cue'), checks: t('.posture-angles'),
              lift_card: t('.posture-lift'), stats: t('.posture-stat'),
              expanders: t('[data-testid="stExpander"] details[open]')};
    }""")


# ------------------------------------------------------------------------------ the tour
def launch(p: Any, camera: Path, console: Console) -> tuple[Any, Any]:
    """(browser, page): headless Debian Chromium with ``camera`` as an allowed webcam."""
    browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
        *FLAGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={camera}"])
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.on("console", console.on_console)
    page.on("pageerror", console.on_page_error)
    return browser, page


def tour(url: str, camera: Path, sit_camera: Path, console: Console,
         panels: dict[str, Any], work: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser, page = launch(p, camera, console)  # the lifting camera
        try:

            # --- Live coach: before Start, live lifting, after Stop
            print("Live coach", flush=True)
            open_page(page, console, url + "/live", "live", "Live coach")
            choose(page, "Activity", "Lifting / squats")
            panels["setup-picture"] = page.evaluate("""() => ({
              picture_in_dom: document.querySelectorAll('.posture-setup img').length,
              setup_html_chars: (document.querySelector('.posture-setup') || {innerHTML: ''})
                .innerHTML.length})""")
            shoot_both(page, "live-before-start")
            page.set_viewport_size({"width": 1400, "height": 900})
            webrtc_button(page, "start").click(timeout=LOAD_MS)
            wait_until(lifts_at_least(page, 2), 150, "two lifts on the Live coach")
            panels["live-lifting-1400"] = panel_text(page)
            shoot(page, "live-lifting", 1400, full=True)
            panels["live-lifting-1920"] = panel_text(page)
            shoot(page, "live-lifting", 1920, full=True)
            panels["live-lifting-1920-after"] = panel_text(page)
            # The therapist's angle table: open the expander, shoot the screen at once, and
            # note whether it is still open a moment later (the panel redraws twice a second).
            page.set_viewport_size({"width": 1920, "height": 1080})
            page.get_by_text("Angles for your therapist").first.click(timeout=10_000)
            page.wait_for_timeout(150)
            panels["live-therapist-1920"] = panel_text(page)
            page.screenshot(path=str(OUT / "live-therapist-1920.png"), animations="disabled")
            optimise(OUT / "live-therapist-1920.png")
            page.wait_for_timeout(2_000)
            panels["therapist-expander-open-after-2s"] = page.evaluate(
                """() => Array.from(document.querySelectorAll('[data-testid="stExpander"]'))
                .filter(e => e.innerText.includes('Angles for your therapist'))
                .map(e => e.querySelector('details') && e.querySelector('details').open)""")
            webrtc_button(page, "stop").click()
            expect(page.get_by_role("heading", name="Session summary")).to_be_visible(
                timeout=60_000)
            settle(page, 2_500)
            shoot_both(page, "live-summary", first=1920)

            # --- This session's printable report, with a patient name and notes
            page.set_viewport_size({"width": 1400, "height": 900})
            page.get_by_text("Add a name and notes to the report").last.click()
            page.get_by_role("textbox", name="Patient name (optional)").last.fill("A. Patient")
            page.get_by_role("textbox", name="Notes for the therapist (optional)").last.fill(
                "Box lifts from the floor, 5 repetitions. Practise the hip hinge with the "
                "chest up before adding load.")
            page.get_by_role("button", name="Add to the report").last.click()
            settle(page, 1_500)
            with page.expect_download(timeout=60_000) as download:
                page.get_by_role("button", name="Download printable report").last.click()
            report = work / "live-report.html"
            download.value.save_as(report)
            report_page = browser.new_page(viewport={"width": 1400, "height": 900})
            report_page.goto(report.as_uri())
            report_page.wait_for_timeout(1_000)
            shoot(report_page, "report-live", 1400)
            report_page.close()

            # --- Review a recording: the stoop lift clip as "Lifting / squats"
            print("Review a recording", flush=True)
            page.set_viewport_size({"width": 1400, "height": 900})
            open_page(page, console, url + "/review", "review", "Review a recording")
            shoot_both(page, "review-empty")
            page.set_viewport_size({"width": 1400, "height": 900})
            choose(page, "What does the recording show?", "Lifting / squats")
            page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
                str(REVIEW_CLIP))
            expect(page.get_by_text("Key moments")).to_be_visible(timeout=240_000)
            settle(page, 3_000)
            shoot_both(page, "review-result")

            # --- Lift lab: normal and Big screen, during a live run
            print("Lift lab", flush=True)
            page.set_viewport_size({"width": 1400, "height": 900})
            open_page(page, console, url + "/lift-lab", "lift-lab", "Lift lab")
            page.get_by_text("Lifting task (NIOSH lifting equation)").click()
            page.wait_for_timeout(800)
            load = page.get_by_role("spinbutton", name="Load (kg)")
            load.fill("10")
            load.press("Enter")
            settle(page, 1_000)
            shoot_both(page, "lift-lab-before-start")
            page.set_viewport_size({"width": 1400, "height": 900})
            webrtc_button(page, "start").click(timeout=LOAD_MS)
            wait_until(lifts_at_least(page, 2), 150, "two lifts in the Lift lab")
            panels["lift-lab-live-1400"] = panel_text(page)
            shoot(page, "lift-lab-live", 1400)
            shoot(page, "lift-lab-live", 1920)
            page.get_by_text("Lifting task (NIOSH lifting equation)").click()  # fold it
            page.wait_for_timeout(500)
            page.get_by_text("Big screen", exact=True).click()  # the toggle's label
            page.wait_for_timeout(4_000)
            wait_until(lifts_at_least(page, 3), 60, "a third lift on the big screen")
            panels["lift-lab-big-1920"] = panel_text(page)
            shoot(page, "lift-lab-big", 1920, full=False)  # a screen, not a page
            shoot(page, "lift-lab-big", 1400, full=False)
            page.set_viewport_size({"width": 1920, "height": 1080})
            page.get_by_text("Big screen", exact=True).click()
            settle(page, 1_500)
            webrtc_button(page, "stop").click()
            expect(page.get_by_role("heading", name="Session summary")).to_be_visible(
                timeout=60_000)
            settle(page, 4_000)  # the replays are drawn after Stop
            shoot_both(page, "lift-lab-summary", first=1920)

        finally:
            browser.close()

        # --- Live coach while sitting: a second browser, the sitting clip as the camera
        browser, page = launch(p, sit_camera, console)
        try:
            print("Live coach, sitting", flush=True)
            open_page(page, console, url + "/live", "live-sitting", "Live coach")
            choose(page, "Activity", "Sitting")
            webrtc_button(page, "start").click(timeout=LOAD_MS)
            time.sleep(SIT_SECONDS)
            panels["live-sitting-1400"] = panel_text(page)
            shoot(page, "live-sitting", 1400)
            webrtc_button(page, "stop").click()
            expect(page.get_by_role("heading", name="Session summary")).to_be_visible(
                timeout=60_000)
            settle(page, 2_500)
            shoot_both(page, "live-sitting-summary")

            # --- History: the four sessions
            print("History", flush=True)
            page.set_viewport_size({"width": 1400, "height": 900})
            open_page(page, console, url + "/history", "history", "History")
            with contextlib.suppress(Exception):
                expect(page.locator(".vega-embed").first).to_be_visible(timeout=20_000)
            settle(page, 2_000)
            shoot_both(page, "history")

            # --- Settings
            print("Settings", flush=True)
            page.set_viewport_size({"width": 1400, "height": 900})
            open_page(page, console, url + "/settings", "settings", "Settings")
            shoot_both(page, "settings")

            # --- "/" forwards to the Live coach (its own URL)
            open_page(page, console, url + "/", "root", "Live coach")
            panels["root-url"] = page.url
        finally:
            browser.close()


def main() -> None:
    global OUT
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--keep-tmp", action="store_true", help="keep the data folder and log")
    ap.add_argument("--out", type=Path, default=OUT,
                    help="where to write the screenshots (default: docs/screenshots)")
    args = ap.parse_args()
    OUT = args.out.resolve()
    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="posture-shots-"))
    console: Console = Console()
    panels: dict[str, Any] = {}
    try:
        camera = fake_camera(LIFT_CLIP, work / "cam.y4m")
        sit_camera = fake_camera(SIT_CLIP, work / "sit.y4m")
        with app_server(work) as url:
            print(f"app at {url}, data in {work / 'data'}", flush=True)
            tour(url, camera, sit_camera, console, panels, work)
        log = (work / "server.log").read_text(errors="replace")
    finally:
        (OUT / "console.json").write_text(json.dumps(console.seen, indent=1) + "\n")
        (OUT / "panel-text.json").write_text(json.dumps(panels, indent=1, ensure_ascii=False)
                                             + "\n")
        if not args.keep_tmp:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")
    errors = {k: v["errors"] for k, v in console.seen.items() if v["errors"]}
    print("browser console errors:", json.dumps(errors, indent=1) if errors else "none")
    bad = [ln for ln in log.splitlines() if re.search(r"Traceback|will be removed|deprecat", ln,
                                                         re.I)]
    print("server log problems:", "\n".join(bad) if bad else "none")
    total = sum(p.stat().st_size for p in OUT.glob("*.png"))
    print(f"{len(list(OUT.glob('*.png')))} screenshots, {total / 1e6:.1f} MB in {OUT}")


if __name__ == "__main__":
    main()
