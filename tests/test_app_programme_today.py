"""The patient's "Today's programme" page under AppTest, with scripted frames.

The exercise library and the store are replaced by small fakes (this tests the page's
wiring: frames from the controller's queue into the runner, the assessor switched
between exercises without a new stream, the buttons, the end of the day, the save and
the summary). The controller's queue is filled with records as its worker thread would.
"""

from __future__ import annotations

import gc
import html
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from app_stubs import app_test, install_webrtc, page_text

pytestmark = pytest.mark.slow

CTRL_KEY = "programme_today_ctrl"


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    monkeypatch.setenv("POSTURE_DATA_DIR", str(folder))
    yield folder
    from posture_app.live_engine import LiveController

    for obj in gc.get_objects():
        if isinstance(obj, LiveController) and obj.running:
            obj.finish()


def shown(at: Any) -> str:
    """The page's text, HTML entities read as the browser shows them."""
    return html.unescape(page_text(at))


def no_exception(at: Any) -> None:
    assert not at.exception, [e.value for e in at.exception]


@dataclass
class Fakes:
    """The library, the store and the assessors the page sees."""

    switched: list[str] = field(default_factory=list)  # exercises given to the controller
    saved: list[dict[str, Any]] = field(default_factory=list)  # every write, in order
    workouts: dict[int, dict[str, Any]] = field(default_factory=dict)  # the rows, by id
    programme: Any = None

    @property
    def finished(self) -> list[dict[str, Any]]:
        return [w for w in self.workouts.values() if w["finished"]]


class FakeLive:
    """Stands in for ``posture.live.LiveSession`` (no pose model)."""

    def __init__(self, assessor_factory: Any = None, **kw: Any) -> None:
        self.assessor = assessor_factory(**kw) if assessor_factory else None

    def finish(self) -> None:
        return None

    def close(self) -> None:
        pass


def install(monkeypatch: Any, with_programme: bool = True) -> Fakes:
    from posture_app.pages import programme_today as page

    fakes = Fakes()
    library = {
        "glute_bridge": SimpleNamespace(key="glute_bridge", title="Glute bridge", kind="reps",
                                        setup_cue="Lie on your back, knees bent",
                                        views=("side_left", "side_right")),
        "front_plank": SimpleNamespace(key="front_plank", title="Front plank", kind="hold",
                                       setup_cue="Forearms under your shoulders",
                                       views=("side_left", "side_right")),
    }
    fakes.programme = SimpleNamespace(title="Low back — week 1", id="p1", prescriptions=[
        {"exercise": "glute_bridge", "sets": 2, "reps": 2, "rest_s": 3, "rom_target_deg": 20},
        {"exercise": "front_plank", "sets": 1, "hold_s": 1, "rest_s": 0,
         "notes": "Breathe out as you lift"},
    ])

    def factory(ex: Any) -> Any:
        def make(**kw: Any) -> str:
            return f"assessor for {ex.key}"

        fakes.switched.append(ex.key)
        return make

    def record(programme: Any, sets: list[dict[str, Any]], started_at: float,
               duration_s: float, *, workout_id: int | None = None,
               finished: bool = True) -> int:
        wid = workout_id if workout_id is not None else len(fakes.workouts) + 1
        row = {"programme_id": programme.id, "sets": sets, "duration_s": duration_s,
               "finished": finished, "id": wid}
        fakes.saved.append(row)
        fakes.workouts[wid] = row
        return wid

    monkeypatch.setattr(page, "_library", lambda: library)
    monkeypatch.setattr(page, "_active_programme",
                        lambda: fakes.programme if with_programme else None)
    monkeypatch.setattr(page, "_assessor_factory", factory)
    monkeypatch.setattr(page, "_record_session", record)
    return fakes


class Camera:
    """Pushes records into the controller's queue as its worker thread would."""

    def __init__(self, ctrl: Any) -> None:
        self.ctrl = ctrl
        self.t = 0.0
        self.seq = 0
        self.reps = 0
        self.hold_s = 0.0

    def frames(self, seconds: float, *, holding: bool = False, rep: bool = False,
               detected: bool = True, rom: float | None = None,
               side: str | None = None) -> None:
        import time

        from posture.programme_run import ExerciseSample
        from posture_app.live_engine import LiveRecord

        for i in range(round(seconds / 0.1)):
            self.t = round(self.t + 0.1, 3)
            self.seq += 1
            if rep and i == 0:
                self.reps += 1
            if holding:
                self.hold_s += 0.1
            extra = ExerciseSample(reps=self.reps, hold_s=self.hold_s, holding=holding,
                                   rom_deg=rom, faults=("hips_low",) if rep else (),
                                   rep_side=side)
            self.ctrl._push(LiveRecord(
                seq=self.seq, t=self.t, wall=time.monotonic(), latency_s=0.05,
                detected=detected, view="side_left", phase="coaching", activity="exercise",
                worst="ok", cue=None, status={}, rep_count=self.reps, rep_phase=None,
                scores={}, values={}, extra=extra))
            self.ctrl.frames_processed += 1
            self.ctrl.last_t = self.t

    def new_assessor(self) -> None:
        self.reps, self.hold_s = 0, 0.0


def start(at: Any, fake: Any) -> Camera:
    """The stream starts: the controller runs and the component plays."""
    import time

    ctrl = at.session_state[CTRL_KEY]
    with ctrl.lock:
        ctrl.state = "running"
        ctrl.started_wall = time.time()
    fake.playing = True
    return Camera(ctrl)


def seeded_controller() -> Any:
    from posture_app.live_engine import LiveController

    return LiveController(session_factory=FakeLive, queue_size=1000)


def test_a_day_of_two_exercises_is_walked_set_by_set_and_saved(monkeypatch) -> None:
    fakes = install(monkeypatch)
    fake = install_webrtc(monkeypatch, playing=False)
    at = app_test("programme_today")
    at.session_state[CTRL_KEY] = seeded_controller()
    at.run()
    no_exception(at)
    text = shown(at)
    assert "Today's programme" in text and "How it works" in text
    assert "Low back — week 1" in text
    table = at.dataframe[0].value
    assert list(table["Exercise"]) == ["Glute bridge", "Front plank"]
    assert list(table["Each set"]) == ["2 reps", "hold 1 s"]
    assert fake.calls[-1]["key"] == "programme-today"
    assert fakes.switched[-1] == "glute_bridge"  # the first exercise, before Start

    cam = start(at, fake)
    cam.frames(2.2)  # in view and side-on for 2 s: set 1 begins
    at.run()
    no_exception(at)
    text = shown(at)
    assert 'data-phase="set"' in text and "Set 1 of 2" in text
    assert "Frames analysed: <b>22</b>" in text

    cam.frames(0.2, rep=True, rom=18.0)
    cam.frames(0.2, rep=True, rom=24.0)
    at.run()
    no_exception(at)
    assert 'data-phase="rest"' in shown(at)

    at.button(key="today_skip").click().run()  # end the rest now
    no_exception(at)
    assert "Set 2 of 2" in shown(at)
    cam.frames(0.2, rep=True, rom=22.0)
    cam.frames(0.2, rep=True, rom=21.0)
    at.run()
    no_exception(at)
    text = shown(at)
    assert 'data-phase="rest"' in text and "Next: Front plank" in text

    at.button(key="today_next").click().run()  # leave the rest: the plank's set-up
    no_exception(at)
    text = shown(at)
    assert 'data-phase="setup"' in text and "Forearms under your shoulders" in text
    assert fakes.switched[-1] == "front_plank"  # the assessor changed, not the stream
    assert at.session_state[CTRL_KEY].running
    cam.new_assessor()

    cam.frames(2.2)
    cam.frames(1.3, holding=True)
    at.run()  # the last hold ends the day: saved, and the camera is asked to stop
    no_exception(at)
    ctrl = at.session_state[CTRL_KEY]
    assert ctrl.state == "finished" and ctrl.stop_requested
    fake.playing = False  # the browser stops the stream
    at.run()
    no_exception(at)
    text = shown(at)
    assert "Today's summary" in text and "3 of 3 (100%)" in text
    assert "Saved to your history" in text
    summary = at.dataframe[0].value  # the summary comes first, the programme below
    # The best range, and how many reps of the same set fell short of the target (20°).
    assert list(summary["Best range"]) == ["24° (1 of 4 reps short of the target range)", "–"]
    assert list(summary["Done"]) == ["4 of 4 reps", "1 of 1 s"]

    # Saved as it went (after each set, one row updated in place), then finished.
    assert list(fakes.workouts) == [1]
    assert [(len(w["sets"]), w["finished"], w["id"]) for w in fakes.saved] == [
        (1, False, 1), (2, False, 1), (3, True, 1)]
    sets = fakes.saved[-1]["sets"]
    assert fakes.saved[-1]["programme_id"] == "p1"
    assert [(s["exercise"], s["set"], s["met"]) for s in sets] == [
        ("glute_bridge", 1, True), ("glute_bridge", 2, True), ("front_plank", 1, True)]
    assert sets[0]["faults"] == {"hips_low": 2} and sets[0]["rom_deg"] == 24.0


def test_stop_part_way_saves_the_sets_done_and_the_rest_as_skipped(monkeypatch) -> None:
    fakes = install(monkeypatch)
    fake = install_webrtc(monkeypatch, playing=False)
    at = app_test("programme_today")
    at.session_state[CTRL_KEY] = seeded_controller()
    at.run()
    cam = start(at, fake)
    cam.frames(2.2)
    cam.frames(0.2, rep=True)
    at.run()
    no_exception(at)
    fake.playing = False  # Stop in the component
    at.run()
    no_exception(at)
    assert "Today's summary" in shown(at)
    (workout,) = fakes.finished
    sets = workout["sets"]
    assert [(s["set"], s["reps_done"], s["met"], s["skipped"]) for s in sets[:2]] == [
        (1, 1, False, True), (2, 0, False, True)]
    assert len(sets) == 3


def test_nothing_is_saved_when_history_is_off(monkeypatch) -> None:
    from posture.store import HistoryStore

    with HistoryStore() as s:
        s.save_settings({"save_history": False})
    fakes = install(monkeypatch)
    fake = install_webrtc(monkeypatch, playing=False)
    at = app_test("programme_today")
    at.session_state[CTRL_KEY] = seeded_controller()
    at.run()
    cam = start(at, fake)
    cam.frames(2.2)
    at.run()
    at.button(key="today_finish").click().run()
    no_exception(at)
    fake.playing = False
    at.run()
    no_exception(at)
    text = shown(at)
    assert "Today's summary" in text and "0 of 3 (0%)" in text
    assert "Saving history is off" in text
    assert fakes.saved == []


def test_without_a_programme_the_page_says_how_to_get_one(monkeypatch) -> None:
    install(monkeypatch, with_programme=False)
    install_webrtc(monkeypatch, playing=False)
    at = app_test("programme_today")
    at.run()
    no_exception(at)
    assert "You have no programme yet" in shown(at)
    assert at.get("file_uploader")


PROGRAMME_TOML = """title = "Low back — week 1"
times_per_week = 3

[[exercises]]
exercise = "glute_bridge"
sets = 1
reps = 2
rest_s = 0

[[exercises]]
exercise = "front_plank"
sets = 1
hold_s = 20
"""


def test_install_a_programme_file_then_a_day_is_saved_in_the_history(monkeypatch) -> None:
    """The real programme file, library and store; only the camera is scripted."""
    from posture.store import HistoryStore

    fake = install_webrtc(monkeypatch, playing=False)
    at = app_test("programme_today")
    at.session_state[CTRL_KEY] = seeded_controller()
    at.run()
    no_exception(at)
    at.get("file_uploader")[0].upload("low-back.toml", PROGRAMME_TOML.encode(),
                                      "application/toml")
    at.run()
    no_exception(at)
    text = shown(at)
    assert "Installed “Low back — week 1”" in text
    assert list(at.dataframe[0].value["Exercise"]) == ["Glute bridge", "Front plank"]
    ctrl = at.session_state[CTRL_KEY]
    assert ctrl.record_extra is not None  # the assessor's readings reach the page

    cam = start(at, fake)
    cam.frames(2.2)
    cam.frames(0.3, rep=True, rom=172.0)
    cam.frames(0.3, rep=True, rom=175.0)
    at.run()
    no_exception(at)
    assert 'data-exercise="front_plank"' in shown(at)
    fake.playing = False  # Stop before the plank
    at.run()
    no_exception(at)
    text = shown(at)
    assert "Today's summary" in text and "1 of 2 (50%)" in text
    with HistoryStore() as store:
        days = store.programme_sessions()
        programme = store.active_programme()
    assert len(days) == 1 and programme is not None
    assert days[0].programme_id == programme.id
    assert [(s["exercise"], s["reps_done"], s["met"]) for s in days[0].sets] == [
        ("glute_bridge", 2, True), ("front_plank", None, False)]
    assert days[0].sets[0]["rom_deg"] == 175.0 and days[0].sets[1]["skipped"]


def test_each_side_is_walked_left_then_right_and_summed_per_side(monkeypatch) -> None:
    fakes = install(monkeypatch)
    fakes.programme.prescriptions = [
        {"exercise": "glute_bridge", "sets": 1, "reps": 1, "rest_s": 0, "side": "each"}]
    fake = install_webrtc(monkeypatch, playing=False)
    at = app_test("programme_today")
    at.session_state[CTRL_KEY] = seeded_controller()
    at.run()
    no_exception(at)
    assert list(at.dataframe[0].value["Side"]) == ["Each side: a left set, then a right set"]
    cam = start(at, fake)
    cam.frames(2.2)
    at.run()
    text = shown(at)
    assert 'data-side="left"' in text and "Set 1 of 1, left side" in text
    cam.frames(0.2, rep=True, side="right")  # the wrong side: said, not counted
    at.run()
    no_exception(at)
    text = shown(at)
    assert "That was your right side — this set is for your left side" in text
    assert 'data-done="0.0"' in text
    cam.frames(0.2, rep=True, side="left")
    at.run()
    no_exception(at)
    assert 'data-side="right"' in shown(at)
    assert [(s["side"], s["met"]) for s in fakes.saved[-1]["sets"]] == [("left", True)]
    assert not fakes.saved[-1]["finished"]
    cam.frames(0.2, rep=True, side="right")
    at.run()
    fake.playing = False
    at.run()
    no_exception(at)
    text = shown(at)
    assert "Today's summary" in text and "2 of 2 (100%)" in text
    summary = at.dataframe[0].value
    assert list(summary["Sets done"]) == ["2 of 2 (left 1 of 1, right 1 of 1)"]
    (workout,) = fakes.finished
    assert [(s["set"], s["side"]) for s in workout["sets"]] == [(1, "left"), (1, "right")]
    assert workout["sets"][0]["wrong_side_reps"] == 1


def test_a_workout_left_part_way_stays_in_the_history_as_in_progress(monkeypatch) -> None:
    """The real store: sets are saved as they are done; the page is then never seen again
    (the tab closed, the server killed) — the workout stays, in progress, partly counted."""
    from posture.progress import session_share
    from posture.store import HistoryStore

    fake = install_webrtc(monkeypatch, playing=False)
    at = app_test("programme_today")
    at.session_state[CTRL_KEY] = seeded_controller()
    at.run()
    at.get("file_uploader")[0].upload("low-back.toml", PROGRAMME_TOML.encode(),
                                      "application/toml")
    at.run()
    no_exception(at)
    cam = start(at, fake)
    cam.frames(2.2)
    at.run()
    with HistoryStore() as store:
        assert store.programme_sessions() == []  # nothing done yet, nothing saved
    cam.frames(0.3, rep=True, rom=172.0)
    cam.frames(0.3, rep=True, rom=175.0)
    at.run()
    no_exception(at)
    assert 'data-exercise="front_plank"' in shown(at)
    with HistoryStore() as store:
        (day,) = store.programme_sessions()
    assert day.in_progress and [(s["exercise"], s["met"]) for s in day.sets] == [
        ("glute_bridge", True)]
    assert session_share(day) == pytest.approx(1 / 2)
    at.button(key="today_skip").click().run()  # the plank skipped: the day is over
    no_exception(at)
    with HistoryStore() as store:
        (day,) = store.programme_sessions()  # the same row, now finished
    assert [s["skipped"] for s in day.sets] == [False, True] and not day.in_progress


def test_signed_range_targets_are_shown_in_words(monkeypatch) -> None:
    """Issue #13: the bird-dog's leg target is "8° below level", never "-8°"."""
    fakes = install(monkeypatch)
    fakes.programme.prescriptions.append(
        {"exercise": "bird_dog", "sets": 1, "reps": 8, "rom_target_deg": -8, "side": "each"})
    fakes.programme.prescriptions.append(
        {"exercise": "standing_back_extension", "sets": 1, "reps": 5, "rom_target_deg": -20})
    install_webrtc(monkeypatch, playing=False)
    at = app_test("programme_today")
    at.session_state[CTRL_KEY] = seeded_controller()
    at.run()
    no_exception(at)
    table = at.dataframe[0].value
    assert list(table["Range target"]) == ["20°", "–", "8° below level", "20° back"]
