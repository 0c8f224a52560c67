"""Re-take the home-programme screenshots (issues #11 and #13) at 1400 and 1920 px.

    nice -n 10 .venv/bin/python docs/screenshots/take_programme.py              # all of them
    nice -n 10 .venv/bin/python docs/screenshots/take_programme.py --keep-tmp   # keep data, log
    nice -n 10 .venv/bin/python docs/screenshots/take_programme.py --out /tmp/x # elsewhere

Takes about three minutes. The same machinery as ``take.py`` (its helpers are imported, not
copied): ``streamlit run app.py`` on a free port with an empty temporary data folder, Debian's
``/usr/bin/chromium`` driven by Playwright, and a fake webcam — here a rendered exercise clip,
``sample_videos/exercises/01_glute_bridge_good_side_left.mp4`` (a glute bridge filmed
side-on, three good reps in 10 s), played in a loop. The tour, as the therapist and then the
patient: Programme (the worked example ``docs/examples/low-back-programme.toml``, dated
today, opened from its file and saved as the active programme), Today's programme before
Start, mid-set with reps counted, the first set done and then "Finish early" (the example's
five exercises would need five different clips), the day's summary, and History → Home
programme afterwards.

Writes ``docs/screenshots/<name>-<width>.png`` for ``programme``, ``today-before``,
``today-set``, ``today-summary`` and ``progress``, and ``console-programme.json`` (the browser
console per page, in ``console.json``'s format). Exits non-zero with a sentence when a console
error or a Python error box appears, or when the day does not reach the states named above.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # take.py, beside this file
import take  # take.OUT is where take.shoot writes
from take import (
    LOAD_MS,
    REPO,
    Console,
    app_server,
    fake_camera,
    launch,
    open_page,
    settle,
    shoot,
    shoot_both,
    webrtc_button,
)

EXAMPLE = REPO / "docs" / "examples" / "low-back-programme.toml"
TITLE = "Low back — week 1"  # the example's title, as the pages show it
FIRST_EXERCISE = "glute_bridge"  # the example's first exercise, and the camera clip's
CLIP = REPO / "sample_videos" / "exercises" / "01_glute_bridge_good_side_left.mp4"
REPS_SHOWN = 3  # reps counted before the mid-set screenshot
SET_TIMEOUT_S = 240.0  # Start → the first set done, on a busy 2-core machine
SMALL = {"width": 1400, "height": 900}
# The programme runner's step read-out on /today (tests/test_e2e_programme.py reads it too).
STEP_JS = """() => {
  const el = document.querySelector('.programme-step');
  return el ? {phase: el.dataset.phase, exercise: el.dataset.exercise,
               set: el.dataset.set, done: el.dataset.done} : null;
}"""


def no_error_box(page: Any, where: str) -> None:
    """Stop with a sentence if the page shows a Python exception box."""
    box = page.get_by_test_id("stException")
    if box.count():
        raise SystemExit(f"{where} shows a Python error box: {box.first.inner_text()[:800]}")


def wait_for_step(page: Any, want: Any, timeout_s: float, what: str) -> dict[str, Any]:
    """Poll the step read-out until ``want(step)``; stop with a sentence after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    step: dict[str, Any] | None = None
    while time.monotonic() < deadline:
        step = page.evaluate(STEP_JS)
        if step and want(step):
            return dict(step)
        time.sleep(0.5)
    raise SystemExit(f"Today's programme never reached {what} in {timeout_s:.0f} s "
                     f"(last step read-out: {step}).")


def reps_counted(n: int) -> Any:
    def want(step: dict[str, Any]) -> bool:
        return bool(step["phase"] == "set" and step["exercise"] == FIRST_EXERCISE
                    and float(step["done"] or 0) >= n)
    return want


def first_set_done(step: dict[str, Any]) -> bool:
    """Resting after set 1 (or already in set 2): one set of the example met."""
    return step["exercise"] == FIRST_EXERCISE and (
        step["phase"] == "rest" or (step["phase"] == "set" and step["set"] != "1"))


def example_from_today(out: Path) -> Path:
    """The example programme, its ``created`` date set to today.

    History counts a programme's weeks from its ``created`` date: with the example's own
    date (2 March 2026) every week since then would count as missed, and the weekly chart
    would be forty empty weeks. The file keeps its name, so the pages show the same."""
    text = EXAMPLE.read_text(encoding="utf-8")
    dated, n = re.subn(r"(?m)^created = .*$", f"created = {date.today().isoformat()}", text)
    if n != 1:
        raise SystemExit(f"{EXAMPLE.relative_to(REPO)} has no single 'created = ...' line.")
    out.write_text(dated, encoding="utf-8")
    return out


def tour(url: str, camera: Path, programme_file: Path, console: Console,
         steps: list[dict[str, Any]]) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser, page = launch(p, camera, console)
        try:
            # --- Programme (therapist): open the example file, save it as the active one
            print("Programme", flush=True)
            open_page(page, console, url + "/programme", "programme", "Programme")
            page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
                str(programme_file))
            expect(page.get_by_text(f"“{TITLE}”: 5 exercises")).to_be_visible(timeout=60_000)
            page.locator(".st-key-programme_import_edit button").click()
            settle(page)
            expect(page.get_by_role("textbox", name="Programme title")).to_have_value(
                TITLE, timeout=30_000)
            save_active = page.locator(".st-key-programme_save_active button")
            print(f"  'Save and make active': {save_active.count()} button(s), "
                  f"{save_active.filter(visible=True).count()} visible", flush=True)
            save_active.filter(visible=True).first.click()
            settle(page)
            expect(page.get_by_text(f"Saved “{TITLE}” as the active programme.")).to_be_visible(
                timeout=30_000)
            no_error_box(page, "The Programme page")
            shoot_both(page, "programme")

            # --- Today's programme (patient): before Start
            print("Today's programme", flush=True)
            page.set_viewport_size(SMALL)
            open_page(page, console, url + "/today", "today", "Today's programme")
            expect(page.get_by_role("heading", name=TITLE)).to_be_visible(timeout=30_000)
            no_error_box(page, "Today's programme before Start")
            shoot_both(page, "today-before")

            # --- mid-set: the coach counts the glute bridges
            page.set_viewport_size(SMALL)
            webrtc_button(page, "start").click(timeout=LOAD_MS)
            steps.append(wait_for_step(page, reps_counted(REPS_SHOWN), SET_TIMEOUT_S,
                                       f"{REPS_SHOWN} reps of the first set"))
            no_error_box(page, "Today's programme mid-set")
            shoot(page, "today-set", 1400)
            steps.append(page.evaluate(STEP_JS))
            shoot(page, "today-set", 1920)
            steps.append(page.evaluate(STEP_JS))

            # --- the first set done, then Finish early: the day's summary
            steps.append(wait_for_step(page, first_set_done, SET_TIMEOUT_S,
                                       "the end of the first set"))
            page.get_by_role("button", name="Finish early").click(timeout=30_000)
            expect(page.get_by_role("heading", name="Today's summary")).to_be_visible(
                timeout=60_000)
            expect(page.get_by_text("Saved to your history")).to_be_visible(timeout=30_000)
            settle(page, 2_500)
            no_error_box(page, "Today's summary")
            shoot_both(page, "today-summary", first=1920)

            # --- History → Home programme: adherence and range of movement
            print("History → Home programme", flush=True)
            page.set_viewport_size(SMALL)
            open_page(page, console, url + "/history", "history-programme", "History")
            page.get_by_role("tab", name="Home programme").click(timeout=60_000)
            panel = page.get_by_role("tabpanel", name="Home programme")
            expect(panel.get_by_role("heading", name=TITLE)).to_be_visible(timeout=60_000)
            expect(panel.locator(".vega-embed").first).to_be_visible(timeout=60_000)
            settle(page, 2_000)
            no_error_box(page, "History's Home programme tab")
            shoot_both(page, "progress")
        finally:
            browser.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--keep-tmp", action="store_true", help="keep the data folder and log")
    ap.add_argument("--out", type=Path, default=take.OUT,
                    help="where to write the screenshots (default: docs/screenshots)")
    args = ap.parse_args()
    for need in (EXAMPLE, CLIP):
        if not need.exists():
            raise SystemExit(f"{need.relative_to(REPO)} is missing: it is needed for these "
                             "screenshots.")
    take.OUT = out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="posture-shots-programme-"))
    console = Console()
    steps: list[dict[str, Any]] = []
    log = ""
    try:
        camera = fake_camera(CLIP, work / "cam.y4m")
        with app_server(work) as url:
            print(f"app at {url}, data in {work / 'data'}", flush=True)
            tour(url, camera, example_from_today(work / EXAMPLE.name), console, steps)
        log = (work / "server.log").read_text(errors="replace")
    finally:
        (out / "console-programme.json").write_text(json.dumps(console.seen, indent=1) + "\n")
        print("step read-outs at the live screenshots:", json.dumps(steps), flush=True)
        if not args.keep_tmp:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")
    if "Traceback" in log:
        raise SystemExit("The server log has a Python traceback:\n" + log[-3000:])
    errors = {k: v["errors"] for k, v in console.seen.items() if v["errors"]}
    if errors:
        raise SystemExit("The browser console showed errors on "
                         f"{', '.join(errors)}: {json.dumps(errors, indent=1)}")
    print("browser console errors: none")


if __name__ == "__main__":
    main()
