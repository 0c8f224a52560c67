"""The therapist's Programme page, progress in History and an exercise in Review (AppTest).

Every test gets its own data folder (``POSTURE_DATA_DIR`` → tmp_path), so programmes,
sessions and settings start empty and nothing touches the user's own data.
"""

from __future__ import annotations

import json

import pytest
from app_stubs import SQUAT_CLIP, app_test, page_text

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    monkeypatch.setenv("POSTURE_DATA_DIR", str(folder))
    return folder


def no_exception(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


# ------------------------------------------------------------------------------ review
def _review(exercise: str):
    at = app_test("review")
    at.run()
    at.selectbox(key="review_activity").select("exercise")
    at.run()
    no_exception(at)
    at.selectbox(key="review_exercise").select(exercise)
    at.file_uploader[0].upload(SQUAT_CLIP.name, SQUAT_CLIP.read_bytes(), "video/mp4")
    at.run()
    no_exception(at)
    assert not at.error, [e.value for e in at.error]
    return at


def test_review_counts_the_reps_of_a_chosen_exercise():
    # The synthetic squat (stand → squat → stand, twice) is two sit-to-stand movements.
    at = _review("sit_to_stand")
    result = at.session_state["review_result"]
    report = json.loads(result.report_json)
    section = report["exercise"]
    assert section["key"] == "sit_to_stand" and len(section["reps"]) == 2
    assert result.exercise == section
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Reps counted"] == "2"
    text = page_text(at)
    assert "Range of movement:** best" in text and "target 165°" in text
    # The side-on clip cannot show the knees caving in: said, not hidden.
    assert "Not judged" in text and "Knees caving in: not judged" in text
    labels = [b.label for b in at.get("download_button")]
    assert "Download report.json" in labels and "Download printable report" in labels
    # Saved to the history as an exercise session: no posture or lift score is claimed.
    from posture_app.pages.history import score_cells

    rows = store().list_sessions()
    assert [r.activity for r in rows] == ["exercise"] and score_cells(rows[0]) == ("", "")
    assert not _add_button(at)  # no active programme: nothing to add the clip to


def test_review_of_the_wrong_exercise_says_the_start_position_was_not_seen():
    at = _review("glute_bridge")
    section = at.session_state["review_result"].exercise
    assert section["started_s"] is None and section["reps"] == []
    infos = [i.value for i in at.info]
    assert any(i.startswith("Nothing was counted: the start position was not seen")
               and "Lie on your back" in i for i in infos), infos
    assert not [m for m in at.metric if m.label == "Reps counted"]


# ------------------------------------------------------------------------------ programme
@pytest.fixture
def downloads(monkeypatch):
    """Every download button's file, by its file name (AppTest keeps them in memory only)."""
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    files: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def spy(self, path_or_data, mimetype, kind, filename=None):
        if filename is not None:
            files[filename] = (path_or_data.encode() if isinstance(path_or_data, str)
                               else bytes(path_or_data))
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", spy)
    return files


def store():
    from posture.store import HistoryStore

    return HistoryStore()


def _add(at, key: str) -> None:
    at.selectbox(key="programme_add_pick").select(key)
    at.button(key="programme_add").click()
    at.run()
    no_exception(at)


def _build_two(at) -> None:
    """A two-exercise programme: a rep exercise and a hold, with a title and a patient."""
    at.run()
    no_exception(at)
    _add(at, "glute_bridge")
    _add(at, "front_plank")
    at.text_input(key="prog_title").input("Low back — week 1")
    at.text_input(key="prog_patient").input("Sam")
    at.run()
    no_exception(at)


def test_programme_is_built_from_the_library_and_saved():
    at = app_test("programme")
    _build_two(at)
    assert not at.error, [e.value for e in at.error]
    text = page_text(at)
    # Each line shows the exercise's set-up cue and the camera view it needs.
    assert "Lie on your back, side-on to the camera" in text and "Camera: " in text
    inputs = {n.key: n.value for n in at.number_input}
    uids = sorted({k.split("_")[1] for k in inputs if k.split("_")[1].isdigit()}, key=int)
    first, second = (f"prog_{u}_" for u in uids)
    assert inputs[first + "reps"] == 10 and inputs[first + "rom_target_deg"] == 170.0
    assert first + "hold_s" not in inputs and second + "reps" not in inputs
    assert inputs[second + "hold_s"] > 0  # the library's hold target, prefilled
    at.number_input(key=first + "sets").set_value(2)
    at.number_input(key=first + "reps").set_value(12)
    at.run()
    at.button(key="programme_save").click()
    at.run()
    no_exception(at)
    assert any("Saved “Low back — week 1”" in s.value for s in at.success)
    rows = store().list_programmes()
    assert len(rows) == 1
    p = rows[0]
    assert (p.title, p.patient, p.times_per_week) == ("Low back — week 1", "Sam", 3)
    assert [x.exercise for x in p.prescriptions] == ["glute_bridge", "front_plank"]
    assert (p.prescriptions[0].sets, p.prescriptions[0].reps) == (2, 12)
    assert p.prescriptions[1].reps is None and p.prescriptions[1].hold_s
    assert store().active_programme() is None  # saving alone does not make it active

    # Reorder, then save again: the same programme (same id), the new order.
    at.button(key=second + "up").click()
    at.run()
    at.button(key="programme_save").click()
    at.run()
    rows = store().list_programmes()
    assert len(rows) == 1 and rows[0].id == p.id
    assert [x.exercise for x in rows[0].prescriptions] == ["front_plank", "glute_bridge"]

    at.button(key=first + "remove").click()
    at.run()
    no_exception(at)
    assert [n.key for n in at.number_input if n.key.startswith(first)] == []
    assert [i["exercise"] for i in at.session_state["programme_draft"]["items"]] == \
        ["front_plank"]


def test_an_invalid_value_shows_the_library_sentence_next_to_it():
    at = app_test("programme")
    _build_two(at)
    first = sorted(n.key for n in at.number_input if n.key.endswith("_sets"))[0]
    at.number_input(key=first).set_value(0)
    at.run()
    no_exception(at)
    errors = [e.value for e in at.error]
    assert errors == ["Exercise 1 (glute_bridge): 'sets' must be a whole number from 1 to "
                      "20 — got 0."], errors
    assert not [b for b in at.button if b.key == "programme_save"]  # nothing to save yet
    assert not at.get("download_button")
    assert store().list_programmes() == []
    at.number_input(key=first).set_value(3)
    at.run()
    assert not at.error and [b for b in at.button if b.key == "programme_save"]


def test_export_then_import_round_trip_and_install_as_active(downloads):
    from dataclasses import replace

    from posture.programme import load_programme

    at = app_test("programme")
    _build_two(at)
    toml_name = next(n for n in downloads if n.endswith(".toml"))
    text = downloads[toml_name].decode()
    assert 'title = "Low back — week 1"' in text and "[[exercises]]" in text
    assert any(n.endswith(".json") for n in downloads)
    exported = load_programme(downloads[toml_name])

    fresh = app_test("programme")  # the patient's computer: nothing saved yet
    fresh.run()
    fresh.file_uploader(key="programme_upload").upload(toml_name, downloads[toml_name],
                                                       "application/toml")
    fresh.run()
    no_exception(fresh)
    assert any("Low back — week 1" in i.value and "2 exercises" in i.value for i in fresh.info)
    fresh.button(key="programme_import_edit").click()
    fresh.run()
    no_exception(fresh)
    assert fresh.text_input(key="prog_title").value == "Low back — week 1"
    assert len([n for n in fresh.number_input if n.key.endswith("_sets")]) == 2
    fresh.button(key="programme_import_install").click()
    fresh.run()
    no_exception(fresh)
    active = store().active_programme()
    assert active is not None  # the same programme, id included (saving dates it)
    assert replace(active, created="", updated="") == exported


def test_a_broken_programme_file_gives_sentences():
    at = app_test("programme")
    at.run()
    bad = b'title = "x"\ntimes_per_week = 3\n[[exercises]]\nexercise = "cartwheel"\nsets = 2\n'
    at.file_uploader(key="programme_upload").upload("bad.toml", bad, "application/toml")
    at.run()
    no_exception(at)
    errors = [e.value for e in at.error]
    assert errors and errors[0].startswith("Exercise 1 (cartwheel): 'exercise' 'cartwheel' is "
                                           "not in the exercise library")
    assert not [b for b in at.button if b.key == "programme_import_install"]


def test_saved_programme_is_made_active_opened_and_deleted_with_confirmation():
    at = app_test("programme")
    _build_two(at)
    at.button(key="programme_save").click()
    at.run()
    pid = store().list_programmes()[0].id
    at.button(key="programme_activate").click()
    at.run()
    no_exception(at)
    assert store().active_programme().id == pid
    assert any("is now the active programme" in s.value for s in at.success)
    at.button(key="programme_new").click()
    at.run()
    assert at.text_input(key="prog_title").value == ""
    at.button(key="programme_open").click()
    at.run()
    assert at.text_input(key="prog_title").value == "Low back — week 1"
    at.button(key="programme_delete").click()
    at.run()
    assert any("for good" in w.value for w in at.warning)
    assert store().get_programme(pid) is not None  # asked, not deleted yet
    at.button(key="programme_delete_yes").click()
    at.run()
    no_exception(at)
    assert store().list_programmes() == []


# ------------------------------------------------------------------------------ history
def _scripted_workouts():
    """A saved, active programme begun on the Monday two weeks ago, and three workouts:
    two in full that week, one partly done (1 of 3 sets met) the next, none this week."""
    from datetime import date, datetime, timedelta

    from posture.programme import load_programme

    monday = date.today() - timedelta(days=date.today().weekday() + 14)
    programme = load_programme({
        "title": "Low back — week 1", "patient": "Sam", "times_per_week": 3,
        "created": monday.isoformat(),
        "exercises": [{"exercise": "glute_bridge", "sets": 2, "reps": 10},
                      {"exercise": "front_plank", "sets": 1, "hold_s": 30}]})
    s = store()
    saved = s.save_programme(programme, active=True)

    def bridge(n, reps, rom, met, faults=None):
        return {"exercise": "glute_bridge", "set": n, "kind": "reps", "target": 10,
                "reps_done": reps, "rom_deg": rom, "rom_target_deg": 170.0,
                "faults": faults or {}, "met": met}

    def plank(held, met):
        return {"exercise": "front_plank", "set": 1, "kind": "hold", "target": 30,
                "hold_s_done": held, "met": met, "skipped": not held}

    workouts = [
        (monday, [bridge(1, 10, 160.0, True, {"hips_sag": 1}), bridge(2, 10, 165.0, True),
                  plank(30.0, True)]),
        (monday + timedelta(days=2), [bridge(1, 10, 168.0, True), bridge(2, 10, 166.0, True),
                                      plank(31.0, True)]),
        (monday + timedelta(days=7), [bridge(1, 10, 171.0, True),
                                      bridge(2, 4, 150.0, False, {"hips_sag": 1}),
                                      plank(0.0, False)]),
    ]
    for day, sets in workouts:
        started = datetime.combine(day, datetime.min.time()).timestamp() + 9 * 3600
        s.record_programme_session(saved.id, sets=sets, day=day, started_at=started,
                                   duration_s=600.0)
    return saved


def _charts(at):
    return at.get("vega_lite_chart")


def _open_history():
    """History run with no exception or error box; (the AppTest, its metrics by label)."""
    at = app_test("history")
    at.run()
    no_exception(at)
    assert not at.error, [e.value for e in at.error]
    return at, {m.label: m.value for m in at.metric}


def test_history_shows_adherence_rom_and_faults_of_stored_workouts(downloads):
    _scripted_workouts()
    at, metrics = _open_history()
    assert metrics["Workouts this week"] == "0 of 3"
    # (2 + 1/3) workouts of 3 × 3 prescribed over three weeks = 26 %.
    assert metrics["Workouts done overall"] == "26 %"
    assert metrics["Days with a workout"] == "3"
    tables = {tuple(df.value.columns): df.value for df in at.dataframe}
    work = tables[("Exercise", "Sets done", "Done", "Prescribed", "Share")]
    rows = {r["Exercise"]: r for r in work.to_dict("records")}
    assert rows["Glute bridge"]["Sets done"] == "5 of 6"
    assert rows["Glute bridge"]["Done"] == "54 reps"
    assert rows["Front plank"]["Done"] == "61 s held"
    faults = tables[("Exercise", "What to work on", "Times")].to_dict("records")
    assert faults == [{"Exercise": "Glute bridge", "What to work on": "Not quite far enough",
                       "Times": 2}]
    charts = _charts(at)
    specs = [json.loads(c.proto.spec) for c in charts]
    assert len(specs) == 2  # the weeks, and the bridge's range (the plank measured none)
    # Every scale has its domain: Vega never meets an empty or infinite extent.
    text = json.dumps(specs)
    assert "Infinity" not in text and "NaN" not in text
    rom = specs[1]
    assert [layer["encoding"]["y"]["field"] for layer in rom["layer"]] == ["best", "best",
                                                                            "target"]
    assert all(layer["encoding"]["x"]["scale"]["domain"] for layer in rom["layer"][:2])
    assert "x" not in rom["layer"][2]["encoding"]  # the target: a rule across the chart
    # Downloads: the printable report, CSV (one row per set) and JSON.
    html = next(v for k, v in downloads.items() if k.endswith("-progress.html")).decode()
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html and "Sam" in html
    csv_text = next(v for k, v in downloads.items() if k.endswith("-progress.csv")).decode()
    assert csv_text.startswith("day,iso_week") and len(csv_text.strip().splitlines()) == 10
    exported = next(v for k, v in downloads.items() if k.endswith("-progress.json"))
    assert json.loads(exported)["format"] == "posture-progress"


def test_history_one_day_after_installing_the_example(downloads):
    """Issue #13: the example (created 2026-03-02) installed today counts from today, a
    part-done workout is named, and the target of one day's range is drawn."""
    from datetime import date, datetime, timedelta

    from app_stubs import REPO

    from posture.programme import load_programme

    example = load_programme(REPO / "docs" / "examples" / "low-back-programme.toml")
    assert example.created == "2026-03-02"
    s = store()
    saved = s.save_programme(example, active=True)
    today = date.today()
    s.record_programme_session(saved.id, sets=[{
        "exercise": "bird_dog", "set": 1, "kind": "reps", "target": 8, "reps_done": 8,
        "rom_deg": -10.0, "rom_target_deg": -8.0, "met": True, "side": "left"}], day=today,
        started_at=datetime.now().timestamp(), finished=False)
    at, metrics = _open_history()
    assert metrics["Workouts this week"] == "0 of 3 (1 part-done)"
    assert metrics["Workouts done overall"] == "2 %"  # 1 of 16 sets of 3 workouts
    text = page_text(at)
    assert f"Counted from {today:%d %b %Y}, the day this programme was set up here." in text
    specs = [json.loads(c.proto.spec) for c in _charts(at)]
    assert len(specs) == 2
    weeks = specs[0]["layer"][0]["encoding"]["x"]["scale"]["domain"]
    monday = today - timedelta(days=today.weekday())
    assert weeks == [f"Week of {monday:%d %b}"]  # not the ~40 weeks since 2 March
    rom = specs[1]
    target = rom["layer"][2]
    assert target["mark"]["type"] == "rule" and "x" not in target["encoding"]
    assert target["encoding"]["y"]["field"] == "target"
    assert "below level" in rom["layer"][0]["encoding"]["y"]["axis"]["labelExpr"]
    tips = [t["field"] for t in rom["layer"][0]["encoding"]["tooltip"]]
    assert tips == ["day", "best_words", "target_words"]  # "10° below level", not -10


def test_history_imports_a_patients_progress_file(tmp_path, monkeypatch, downloads):
    _scripted_workouts()
    at = app_test("history")
    at.run()
    exported = next(v for k, v in downloads.items() if k.endswith("-progress.json"))
    monkeypatch.setenv("POSTURE_DATA_DIR", str(tmp_path / "clinic"))  # the therapist's PC
    clinic = app_test("history")
    clinic.run()
    no_exception(clinic)
    assert any("No home programme yet" in i.value for i in clinic.info)
    clinic.file_uploader(key="progress_upload").upload("sam.json", exported,
                                                       "application/json")
    clinic.run()
    no_exception(clinic)
    assert not clinic.error, [e.value for e in clinic.error]
    metrics = {m.label: m.value for m in clinic.metric}
    assert metrics["Days with a workout"] == "3"
    assert "Low back — week 1 — Sam" in page_text(clinic)
    clinic.file_uploader(key="progress_upload").upload("notes.json", b'{"format": "x"}',
                                                       "application/json")
    clinic.run()
    no_exception(clinic)
    assert [e.value for e in clinic.error] == [
        "This is not a posture progress file: 'format' must be \"posture-progress\" — got 'x'."]


def test_history_without_a_programme_says_how_to_get_one():
    at = app_test("history")
    at.run()
    no_exception(at)
    assert any("No home programme yet" in i.value for i in at.info)
    assert not _charts(at)


def test_the_worked_example_programme_opens_for_editing():
    from app_stubs import REPO

    from posture.programme import load_programme

    example = REPO / "docs" / "examples" / "low-back-programme.toml"
    expected = load_programme(example)
    at = app_test("programme")
    at.run()
    at.file_uploader(key="programme_upload").upload(example.name, example.read_bytes(),
                                                    "application/toml")
    at.run()
    at.button(key="programme_import_edit").click()
    at.run()
    no_exception(at)
    assert not at.error, [e.value for e in at.error]
    assert at.text_input(key="prog_title").value == expected.title
    sets = sorted((n.key, n.value) for n in at.number_input if n.key.endswith("_sets"))
    assert [v for _, v in sets] == [p.sets for p in expected.prescriptions]
    # The bird-dog's signed target (-8) says what it means (issue #13).
    assert "Target: 8° below level" in [c.value for c in at.caption]
    # Saved from the editor unchanged, it is the same programme (its own id kept).
    at.button(key="programme_save").click()
    at.run()
    saved = store().get_programme(expected.id)
    assert saved is not None
    assert [(p.exercise, p.sets, p.reps, p.hold_s) for p in saved.prescriptions] == \
        [(p.exercise, p.sets, p.reps, p.hold_s) for p in expected.prescriptions]


def test_history_shows_sides_and_a_workout_left_part_way():
    """A bird-dog done on each side, and a workout saved part-way (the tab was closed)."""
    from datetime import date, datetime, timedelta

    from posture.programme import load_programme

    monday = date.today() - timedelta(days=date.today().weekday())
    programme = load_programme({
        "title": "Bird-dogs a side", "times_per_week": 2, "created": monday.isoformat(),
        "exercises": [{"exercise": "bird_dog", "sets": 1, "reps": 8, "side": "each"},
                      {"exercise": "front_plank", "sets": 1, "hold_s": 30}]})
    s = store()
    saved = s.save_programme(programme, active=True)

    def dog(side, met):
        return {"exercise": "bird_dog", "set": 1, "kind": "reps", "target": 8,
                "reps_done": 8 if met else 3, "met": met, "side": side}

    start = datetime.combine(monday, datetime.min.time()).timestamp() + 9 * 3600
    s.record_programme_session(saved.id, sets=[dog("left", True), dog("right", True), {
        "exercise": "front_plank", "set": 1, "kind": "hold", "target": 30, "hold_s_done": 30,
        "met": True}], day=monday, started_at=start)
    s.record_programme_session(saved.id, sets=[dog("left", True), dog("right", False)],
                               day=monday, started_at=start + 3600, finished=False)
    at = app_test("history")
    at.run()
    no_exception(at)
    tables = {tuple(df.value.columns): df.value for df in at.dataframe}
    work = tables[("Exercise", "Sets done", "Done", "Prescribed", "Share")]
    rows = {r["Exercise"]: r for r in work.to_dict("records")}
    assert rows["Bird-dog"]["Sets done"] == "3 of 4 (left 2 of 2, right 1 of 2)"
    workouts = tables[("Day", "Sets done", "Counts as", "Status")].to_dict("records")
    assert [(w["Sets done"], w["Counts as"], w["Status"]) for w in workouts] == [
        ("1 of 3", "33 % of a workout", "Not finished — saved part-way"),
        ("3 of 3", "100 % of a workout", "Finished")]
    # A workout ended with "Finish early" is not called finished beside its missing sets.
    s.record_programme_session(saved.id, sets=[dog("left", True)], day=monday,
                               started_at=start + 7200)
    at.run()
    tables = {tuple(df.value.columns): df.value for df in at.dataframe}
    newest = tables[("Day", "Sets done", "Counts as", "Status")].to_dict("records")[0]
    assert (newest["Sets done"], newest["Status"]) == ("1 of 3", "Ended early")
    assert "saved after every set" in page_text(at)


# ------------------------------------------------------------------------------ review → set
def _active_sit_to_stand():
    from posture.programme import load_programme

    return store().save_programme(load_programme({
        "title": "Legs", "times_per_week": 3,
        "exercises": [{"exercise": "sit_to_stand", "sets": 2, "reps": 2},
                      {"exercise": "front_plank", "sets": 1, "hold_s": 20}]}), active=True)


def _add_button(at):
    return [b for b in at.button if b.key == "review_add_set"]


def test_a_reviewed_clip_is_added_as_a_set_of_a_new_workout_of_today():
    from datetime import date

    from posture.progress import session_share

    programme = _active_sit_to_stand()
    at = _review("sit_to_stand")
    (button,) = _add_button(at)
    assert button.label == "Add to today's workout as set 1 of Sit-to-stand"
    assert store().programme_sessions() == []  # nothing is added before the button
    button.click().run()
    no_exception(at)
    said = [s.value for s in at.success]
    assert "Added to today's workout as set 1 of Sit-to-stand: 2 of 2 reps." in said
    (workout,) = store().programme_sessions(programme.id)
    assert workout.day == date.today() and workout.programme == programme
    (row,) = workout.sets
    assert (row["exercise"], row["set"], row["reps_done"], row["met"]) == (
        "sit_to_stand", 1, 2, True)
    assert row["session_id"] == at.session_state["review_result"].saved_id
    assert session_share(workout) == pytest.approx(1 / 3)
    at.run()  # the page again: said, and not offered twice
    no_exception(at)
    assert not _add_button(at)
    assert any(s.value.startswith("Added to today's workout") for s in at.success)
    assert len(store().programme_sessions()[0].sets) == 1


def test_a_reviewed_clip_joins_todays_workout_as_the_next_set():
    from datetime import date, datetime

    programme = _active_sit_to_stand()
    s = store()
    wid = s.record_programme_session(programme.id, sets=[
        {"exercise": "sit_to_stand", "set": 1, "kind": "reps", "target": 2, "reps_done": 2,
         "met": True}], started_at=datetime.now().timestamp(), finished=False)
    at = _review("sit_to_stand")
    (button,) = _add_button(at)
    assert button.label == "Add to today's workout as set 2 of Sit-to-stand"
    button.click().run()
    no_exception(at)
    (workout,) = store().programme_sessions()
    assert workout.id == wid and workout.day == date.today()
    assert [(x["set"], x["met"]) for x in workout.sets] == [(1, True), (2, True)]


def test_no_offer_when_the_programme_does_not_prescribe_the_exercise():
    from posture.programme import load_programme

    store().save_programme(load_programme({
        "title": "Plank only", "times_per_week": 3,
        "exercises": [{"exercise": "front_plank", "sets": 1, "hold_s": 20}]}), active=True)
    at = _review("sit_to_stand")
    assert not _add_button(at)
