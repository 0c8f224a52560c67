"""Progress from scripted workouts: weekly adherence, volume, ROM per day, exports, the report."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from posture.programme import CONTRACT_KINDS, Programme, programme_from_dict
from posture.progress import (
    CSV_COLUMNS,
    ProgressError,
    adherence_start,
    export_csv,
    export_json,
    import_progress,
    progress_report_html,
    session_share,
    summarise,
    weekly_adherence,
    workouts_words,
)
from posture.store import HistoryStore, ProgrammeSession

KNOWN = dict(CONTRACT_KINDS)
TITLES = {"glute_bridge": "Glute bridge", "front_plank": "Front plank", "wall_sit": "Wall sit"}
DIRECTIONS = {"glute_bridge": "max", "front_plank": "max", "wall_sit": "min"}


def the_programme() -> Programme:
    return programme_from_dict({
        "id": "p1", "title": "Low back — week 1", "created": "2026-03-02", "times_per_week": 3,
        "exercises": [
            {"exercise": "glute_bridge", "sets": 2, "reps": 10, "rom_target_deg": 160},
            {"exercise": "front_plank", "sets": 1, "hold_s": 20}]}, known=KNOWN)


def bridge(n: int, reps: int, rom: float | None = None, mean: float | None = None,
           faults: dict[str, int] | None = None) -> dict[str, Any]:
    return {"exercise": "glute_bridge", "set": n, "kind": "reps", "target": 10,
            "reps_done": reps, "hold_s_done": None, "rom_deg": rom, "rom_mean_deg": mean,
            "rom_target_deg": 160.0, "faults": faults or {}, "met": reps >= 10,
            "skipped": reps == 0}


def plank(held: float) -> dict[str, Any]:
    return {"exercise": "front_plank", "set": 1, "kind": "hold", "target": 20,
            "reps_done": None, "hold_s_done": held, "rom_deg": None, "rom_target_deg": None,
            "faults": {}, "met": held >= 20, "skipped": False}


FULL = [bridge(1, 10, 150, 148, {"hips_low": 1}), bridge(2, 10, 156, 152), plank(20)]
# Wednesday: the second bridge set not done, so 2 of the 3 sets are met.
PARTIAL = [bridge(1, 10, 158, None, {"hips_low": 2, "arching": 1}), bridge(2, 0), plank(25)]


@pytest.fixture
def store(tmp_path: Path) -> Any:
    with HistoryStore(tmp_path / "h.sqlite3") as s:
        s.save_programme(the_programme(), active=True)
        yield s


def record(store: HistoryStore, day: date, sets: list[dict[str, Any]], hour: int = 9) -> None:
    start = datetime(day.year, day.month, day.day, hour).timestamp()
    store.record_programme_session("p1", sets=sets, day=day, started_at=start, duration_s=600)


@pytest.fixture
def workouts(store: HistoryStore) -> list[ProgrammeSession]:
    record(store, date(2026, 3, 2), FULL)  # week 10: Monday full
    record(store, date(2026, 3, 4), PARTIAL)  # Wednesday partial (2 of 3 sets)
    record(store, date(2026, 3, 6), FULL)  # Friday full ...
    record(store, date(2026, 3, 6), FULL, hour=18)  # ... twice: one day counts once
    # week 11: nothing at all
    for d in (16, 17, 18, 19):  # week 12: four full days (more than prescribed)
        record(store, date(2026, 3, d), FULL)
    return store.programme_sessions("p1")


def test_a_partial_workout_counts_its_share_of_sets(workouts: list[ProgrammeSession]) -> None:
    assert session_share(workouts[0]) == 1.0
    assert session_share(workouts[1]) == pytest.approx(2 / 3)


def test_weekly_adherence_with_missed_and_partial_days(
        workouts: list[ProgrammeSession]) -> None:
    weeks = weekly_adherence(workouts, the_programme(), end=date(2026, 3, 24))
    assert [w.week for w in weeks] == ["2026-W10", "2026-W11", "2026-W12", "2026-W13"]
    w10, w11, w12, w13 = weeks
    assert w10.done == pytest.approx(2 + 2 / 3, abs=1e-3)
    assert (w10.full, w10.partial, w10.prescribed) == (2, 1, 3)
    assert w10.adherence == pytest.approx((2 + 2 / 3) / 3, abs=1e-3)
    assert (w11.done, w11.adherence) == (0, 0)  # a missed week is listed, at 0
    assert w12.done == 4 and w12.adherence == 1.0  # extra workouts do not go above 100%
    assert w13.done == 0  # the weeks up to "today" count too


def test_summary_volume_rom_and_faults(workouts: list[ProgrammeSession]) -> None:
    s = summarise(workouts, end=date(2026, 3, 22), titles=TITLES, directions=DIRECTIONS)
    assert s.title == "Low back — week 1" and s.days_done == 7 and s.times_per_week == 3
    assert s.adherence == pytest.approx((2 + 2 / 3 + 0 + 3) / 9, abs=1e-3)
    bridge_p, plank_p = s.exercises
    assert (bridge_p.key, bridge_p.title, bridge_p.kind) == ("glute_bridge", "Glute bridge",
                                                             "reps")
    n = len(workouts)  # 8 workouts, 2 sets of 10 each prescribed
    assert bridge_p.prescribed == n * 20 and bridge_p.sets_prescribed == n * 2
    assert bridge_p.done == (n - 1) * 20 + 10 and bridge_p.sets_met == (n - 1) * 2 + 1
    assert plank_p.unit == "s" and plank_p.done == (n - 1) * 20 + 25
    assert plank_p.prescribed == n * 20

    rom = {r.day: r for r in bridge_p.rom}
    assert (rom[date(2026, 3, 2)].best, rom[date(2026, 3, 2)].mean) == (156, 150)
    assert (rom[date(2026, 3, 4)].best, rom[date(2026, 3, 4)].mean) == (158, 158)
    assert rom[date(2026, 3, 4)].target == 160 and bridge_p.rom_target == 160
    assert plank_p.rom == ()  # nothing measured, no invented points

    faults = dict(bridge_p.faults_by_day)
    assert faults[date(2026, 3, 4)] == {"hips_low": 2, "arching": 1}
    assert bridge_p.faults["hips_low"] == 2 + 7  # Wednesday's two + one per full workout


def test_the_better_rom_is_the_smaller_one_for_a_wall_sit() -> None:
    sets = [{"exercise": "wall_sit", "set": k, "kind": "hold", "target": 30,
             "hold_s_done": 30, "rom_deg": v, "faults": {}, "met": True}
            for k, v in ((1, 100.0), (2, 92.0))]
    w = ProgrammeSession(id=1, programme_id=None, programme_title="", programme_file={},
                         day=date(2026, 3, 2), started_at=0, duration_s=0, sets=tuple(sets))
    [ex] = summarise([w], titles=TITLES, directions=DIRECTIONS).exercises
    assert ex.rom[0].best == 92 and ex.rom_peak == "min"
    assert ex.prescribed == 60 and ex.sets_prescribed == 2  # no programme: the sets recorded


def test_csv_has_one_row_per_set_with_the_columns(workouts: list[ProgrammeSession]) -> None:
    rows = list(csv.DictReader(io.StringIO(export_csv(workouts))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == sum(len(w.sets) for w in workouts) == 24
    first = rows[0]
    assert first["day"] == "2026-03-02" and first["iso_week"] == "2026-W10"
    assert (first["exercise"], first["set"], first["reps_done"], first["rom_best_deg"]) == (
        "glute_bridge", "1", "10", "150")
    assert first["met"] == "yes" and first["faults"] == "hips_low:1"
    wed = [r for r in rows if r["day"] == "2026-03-04"]
    assert [r["met"] for r in wed] == ["yes", "no", "yes"] and wed[2]["hold_s_done"] == "25"


def test_an_export_imports_back_to_the_same_progress(workouts: list[ProgrammeSession]) -> None:
    text = export_json(workouts, exported_at=datetime(2026, 3, 24, 10))
    data = json.loads(text)
    assert data["format"] == "posture-progress" and data["format_version"] == 1
    assert data["programme"]["id"] == "p1" and len(data["workouts"]) == len(workouts)
    back = import_progress(text.encode("utf-8"), known=KNOWN)
    assert back.programme == workouts[-1].programme and back.exported_at == "2026-03-24T10:00:00"
    assert back.programme is not None and back.programme.id == "p1"
    assert [(w.day, [dict(x) for x in w.sets]) for w in back.sessions] == [
        (w.day, [{k: x[k] for k in data["workouts"][0]["sets"][0]} for x in w.sets])
        for w in workouts]
    mine = summarise(workouts, end=date(2026, 3, 22), titles=TITLES, directions=DIRECTIONS)
    theirs = summarise(list(back.sessions), end=date(2026, 3, 22), titles=TITLES,
                       directions=DIRECTIONS)
    assert theirs.weeks == mine.weeks and theirs.exercises == mine.exercises


def _broken(path: str, value: Any) -> dict[str, Any]:
    w = ProgrammeSession(id=1, programme_id="p1", programme_title="T", programme_file={},
                         day=date(2026, 3, 2), started_at=0, duration_s=0, sets=tuple(FULL))
    data = json.loads(export_json([w], the_programme()))
    target: Any = data
    *head, last = path.split(".")
    for part in head:
        target = target[int(part)] if part.isdigit() else target[part]
    if value is KeyError:
        del target[last]
    else:
        target[int(last) if last.isdigit() else last] = value
    return data


@pytest.mark.parametrize(("path", "value", "words"), [
    ("format", "posture-history", "not a posture progress file"),
    ("format_version", 7, "newer posture"),
    ("format_version", "one", "'format_version' must be a whole number"),
    ("workouts", "none", "'workouts' must be a list"),
    ("workouts.0.day", "Monday", "Workout 1: 'day' must be a date"),
    ("workouts.0.sets", None, "Workout 1 (2026-03-02): 'sets' must be a list"),
    ("workouts.0.sets.1.set", 0, "set 2 (glute_bridge): 'set' must be a whole number"),
    ("workouts.0.sets.0.exercise", "", "set 1: 'exercise' must name"),
    ("workouts.0.sets.2.kind", "time", "'kind' must be \"reps\" or \"hold\""),
    ("workouts.0.sets.0.reps_done", -1, "'reps_done' must be a whole number of at least 0"),
    ("workouts.0.sets.2.hold_s_done", "long", "'hold_s_done' must be a number"),
    ("workouts.0.sets.0.faults", {"hips_low": "two"}, "'faults' must map each fault"),
    ("workouts.0.sets.0.met", "yes", "'met' must be true or false"),
    ("workouts.0.duration_s", -3, "'duration_s' must be a number of seconds"),
    ("programme.times_per_week", 0, "The progress file's programme — The programme: "
                                    "'times_per_week'"),
    ("workouts.0.sets.0.met", KeyError, "'met' must be true or false — got None"),
])
def test_every_import_problem_is_a_sentence(path: str, value: Any, words: str) -> None:
    with pytest.raises(ProgressError) as err:
        import_progress(_broken(path, value), known=KNOWN)
    msg = str(err.value)
    assert words in msg, msg
    assert msg.endswith(".") and "\n" not in msg


@pytest.mark.parametrize(("data", "words"), [
    (b"\xff\xfe", "not a text file"), ("{oops", "not valid JSON"), ("[]", "one JSON object")])
def test_unreadable_progress_files(data: Any, words: str) -> None:
    with pytest.raises(ProgressError, match=words):
        import_progress(data)


def test_the_report_has_both_charts_and_nothing_external(
        workouts: list[ProgrammeSession]) -> None:
    s = summarise(workouts, end=date(2026, 3, 22), titles=TITLES, directions=DIRECTIONS)
    page = progress_report_html(s, patient="<Ann> & Co", notes="Knee sore on Wed",
                                created=datetime(2026, 3, 24, 10, 5),
                                fault_labels={"hips_low": "Hips low"})
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page
    assert '<svg class="chart-adherence"' in page
    assert len(re.findall(r'<rect class="week"', page)) == 3
    assert 'data-week="2026-W11" data-adherence="0.000"' in page
    # Week 10: two full days and two thirds of one, in words (never "2.7 of 3").
    assert "<td>2 of 3 (1 part-done)</td>" in page and "2.7" not in page
    assert 'data-week="2026-W12" data-adherence="1.000"' in page
    rom_chart = re.search(r'<svg class="chart-rom" data-exercise="glute_bridge".*?</svg>', page)
    assert rom_chart is not None
    assert 'class="target"' in rom_chart.group(0) and "target 160°" in rom_chart.group(0)
    assert len(re.findall(r'<circle class="best"', rom_chart.group(0))) == 7  # one a day
    assert 'chart-rom" data-exercise="front_plank"' not in page  # no ROM, no chart
    assert "&lt;Ann&gt; &amp; Co" in page and "<Ann>" not in page
    assert "Knee sore on Wed" in page and "Hips low" in page and "24 Mar 2026" in page
    for external in ("http:", "https:", "//", "src=", "<link", "<script", "@import", "url("):
        assert external not in page.replace("<!DOCTYPE html>", ""), external


def test_the_report_of_no_workouts_says_so() -> None:
    page = progress_report_html(summarise([], the_programme(), titles=TITLES,
                                          directions=DIRECTIONS))
    assert "No workouts have been recorded yet" in page and "chart-rom" not in page


def test_cli_exports_and_reports_the_active_programme(
        workouts: list[ProgrammeSession], store: HistoryStore, tmp_path: Path,
        capsys: Any) -> None:
    from posture.cli import main

    db = str(store.path)
    assert main(["progress", "export", "--format", "csv", "--db", db]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 24 and rows[0]["programme_id"] == "p1"
    out = tmp_path / "progress.json"
    assert main(["progress", "export", "--format", "json", "--db", db, "--out", str(out)]) == 0
    assert len(import_progress(out.read_bytes(), known=KNOWN).sessions) == len(workouts)
    page = tmp_path / "report.html"
    assert main(["progress", "report", "--db", db, "--out", str(page), "--patient", "Ann"]) == 0
    assert "chart-rom" in page.read_text(encoding="utf-8")
    assert main(["progress", "export", "--db", db, "--programme", "nope"]) == 2
    assert "No programme with the id 'nope'" in capsys.readouterr().err


def test_cli_checks_a_programme_file(tmp_path: Path, capsys: Any) -> None:
    from posture.cli import main

    good = Path(__file__).resolve().parents[1] / "docs" / "examples" / "low-back-programme.toml"
    assert main(["programme", "check", str(good)]) == 0
    assert "is fine — 5 exercise(s), 3 times a week" in capsys.readouterr().out
    bad = tmp_path / "bad.toml"
    bad.write_text('title = "x"\ntimes_per_week = 2\n[[exercises]]\nexercise = "glute_bridge"\n'
                   'sets = 2\nhold_s = 30\n', encoding="utf-8")
    assert main(["programme", "check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "Exercise 1 (glute_bridge): 'hold_s' does not apply" in err


def test_a_reviewed_recording_becomes_a_set() -> None:
    from posture.progress import set_from_report

    presc = the_programme().prescriptions
    report = {"activity": "exercise", "exercise": {
        "key": "glute_bridge", "kind": "reps", "hold": None,
        "reps": [{"index": i, "rom_deg": 150.0 + i} for i in range(1, 9)],
        "rom": {"metric": "hip_angle_deg", "best": 158.0, "mean": 154.5, "target": 170.0},
        "faults": {"hips_low": 2, "arching": 0}}}
    x = set_from_report(report, set_number=2, prescription=presc[0], session_id=7)
    assert x is not None
    assert (x["reps_done"], x["target"], x["met"], x["set"]) == (8, 10.0, False, 2)
    assert (x["rom_deg"], x["rom_mean_deg"], x["rom_target_deg"]) == (158.0, 154.5, 160.0)
    assert x["faults"] == {"hips_low": 2} and x["session_id"] == 7
    hold: dict[str, Any] = {"exercise": {"key": "front_plank", "kind": "hold", "reps": [],
                         "hold": {"held_s": 24.5, "target_s": 30}, "rom": None, "faults": {}}}
    h = set_from_report(hold)
    assert h is not None and (h["hold_s_done"], h["target"], h["met"]) == (24.5, 30.0, False)
    h = set_from_report(hold, prescription=presc[1])
    assert h is not None and h["met"] is True  # 24.5 s held of the 20 s prescribed
    assert set_from_report({"activity": "lifting"}) is None


def test_weeks_start_at_the_first_workout_if_it_predates_the_programme_date() -> None:
    p = the_programme()  # created Monday 2 March
    w = ProgrammeSession(id=1, programme_id="p1", programme_title="T", programme_file={},
                         day=date(2026, 2, 25), started_at=0, duration_s=0, sets=tuple(FULL))
    weeks = weekly_adherence([w], p, end=date(2026, 3, 3))
    assert [x.week for x in weeks] == ["2026-W09", "2026-W10"] and weeks[0].full == 1


# ---------------------------------------------------------------------------- each side
def each_side_programme() -> Programme:
    return programme_from_dict({
        "id": "p2", "title": "Bird-dogs a side", "created": "2026-03-02", "times_per_week": 2,
        "exercises": [{"exercise": "bird_dog", "sets": 2, "reps": 8, "side": "each"},
                      {"exercise": "front_plank", "sets": 1, "hold_s": 20}]}, known=KNOWN)


def dog(n: int, side: str, reps: int) -> dict[str, Any]:
    return {"exercise": "bird_dog", "set": n, "kind": "reps", "target": 8, "reps_done": reps,
            "faults": {}, "met": reps >= 8, "skipped": False, "side": side}


def test_each_side_sets_count_as_prescribed_work_and_a_workout_left_in_progress_partly(
        tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        p = store.save_programme(each_side_programme(), active=True)
        day = date(2026, 3, 3)
        start = datetime(2026, 3, 3, 9).timestamp()
        # Tuesday: every set done (4 bird-dog sets, 2 a side, and the plank).
        store.record_programme_session("p2", sets=[dog(1, "left", 8), dog(1, "right", 8),
                                                   dog(2, "left", 8), dog(2, "right", 8),
                                                   plank(20)], day=day, started_at=start)
        # Thursday: the tab was closed after two sets — saved as it went, never finished.
        wid = store.record_programme_session("p2", sets=[dog(1, "left", 8)],
                                             day=date(2026, 3, 5), started_at=start + 2 * 86400,
                                             finished=False)
        store.update_programme_session(wid, sets=[dog(1, "left", 8), dog(1, "right", 5)])
        sessions = store.programme_sessions("p2")
    assert [w.in_progress for w in sessions] == [False, True]
    assert session_share(sessions[0]) == 1.0
    assert session_share(sessions[1]) == pytest.approx(1 / 5)  # 1 of 4 + 1 sets met
    s = summarise(sessions, p, end=date(2026, 3, 8), titles={"bird_dog": "Bird-dog"},
                  directions={"bird_dog": "max"})
    (week,) = s.weeks
    assert (week.full, week.partial) == (1, 1) and week.done == pytest.approx(1.2)
    birddog = s.exercises[0]
    assert (birddog.sets_met, birddog.sets_prescribed, birddog.prescribed) == (5, 8, 64.0)
    assert birddog.by_side == (("left", 3, 4), ("right", 2, 4))
    assert birddog.sets_text() == "5 of 8 (left 3 of 4, right 2 of 4)"
    assert s.exercises[1].by_side == () and s.exercises[1].sets_text() == "1 of 2"
    rows = list(csv.DictReader(io.StringIO(export_csv(sessions))))
    assert [r["side"] for r in rows[:2]] == ["left", "right"] and rows[4]["side"] == ""
    back = import_progress(export_json(sessions, p))
    assert [x["side"] for x in back.sessions[1].sets] == ["left", "right"]
    assert [w.status for w in back.sessions] == ["finished", "in_progress"]
    assert "left 3 of 4, right 2 of 4" in progress_report_html(s)
    data = json.loads(export_json(sessions, p))
    data["workouts"][0]["sets"][0]["side"] = "up"
    with pytest.raises(ProgressError, match="'side' must be"):
        import_progress(json.dumps(data))


def test_a_reviewed_recording_of_an_each_side_exercise_counts_for_the_side_it_shows() -> None:
    from posture.progress import report_side, set_from_report

    dog_each = each_side_programme().prescriptions[0]
    report = {"exercise": {"key": "bird_dog", "kind": "reps", "reps_by_side": {
        "left": 8, "right": 1}, "reps": [{"side": "left"}] * 8 + [{"side": "right"}],
        "rom": {}, "faults": {}}}
    row = set_from_report(report, set_number=1, prescription=dog_each)
    assert row is not None and row["side"] == "left"
    assert (row["reps_done"], row["met"]) == (8, True)  # the right rep is not a left rep
    assert report_side(report["exercise"], None) is None  # no side prescribed
    assert report_side({"reps_by_side": {}}, dog_each) is None  # the side not seen
    left_only = programme_from_dict({"title": "x", "times_per_week": 1, "exercises": [
        {"exercise": "side_plank", "sets": 1, "hold_s": 20, "side": "left"}]}, known=KNOWN)
    assert report_side({"hold": {"side": None}}, left_only.prescriptions[0]) == "left"
    assert report_side({"hold": {"side": "right"}}, left_only.prescriptions[0]) == "right"


# ---------------------------------------------------------------------------- issue #13
def test_adherence_counts_from_the_day_the_programme_was_set_up_here() -> None:
    """The example file says created = 2026-03-02; installed on 30 Nov 2026, the weeks
    before were never prescribed to this patient (not ~40 missed weeks, 0 %)."""
    p = the_programme()
    set_up = date(2026, 11, 30)
    assert adherence_start(p, set_up) == set_up
    done = ProgrammeSession(id=1, programme_id="p1", programme_title="T", programme_file={},
                            day=date(2026, 12, 2), started_at=0, duration_s=0,
                            sets=tuple(FULL))
    s = summarise([done], p, end=date(2026, 12, 4), set_up=set_up, titles=TITLES,
                  directions=DIRECTIONS)
    assert [w.week for w in s.weeks] == ["2026-W49"] and s.counted_from == set_up
    assert s.adherence == pytest.approx(1 / 3)
    # A file dated after it was set up counts from its own date; a workout before both
    # (the programme deleted and installed again) is never dropped.
    assert adherence_start(p, date(2026, 2, 1)) == date(2026, 3, 2)
    early = ProgrammeSession(id=2, programme_id="p1", programme_title="T", programme_file={},
                             day=date(2026, 11, 20), started_at=0, duration_s=0,
                             sets=tuple(FULL))
    assert adherence_start(p, set_up, [early, done]) == date(2026, 11, 20)
    assert adherence_start(None, None, [done]) == date(2026, 12, 2)


def test_the_store_keeps_the_day_a_programme_was_first_saved(
        tmp_path: Path, monkeypatch: Any) -> None:
    import posture.store as store_module

    first = datetime(2026, 11, 30, 10).timestamp()
    with HistoryStore(tmp_path / "h.sqlite3") as s:
        assert s.programme_set_up_on("p1") is None
        monkeypatch.setattr(store_module.time, "time", lambda: first)
        s.save_programme(the_programme(), active=True)
        monkeypatch.setattr(store_module.time, "time", lambda: first + 5 * 86400)
        s.save_programme(the_programme())  # edited later: still given on the 30th
        assert s.programme_set_up_on("p1") == date(2026, 11, 30)


def test_workouts_are_whole_numbers_in_words() -> None:
    assert workouts_words(0, 1, 3) == "0 of 3 (1 part-done)"
    assert workouts_words(2, 0, 3) == "2 of 3"
    assert workouts_words(1, 2) == "1 (2 part-done)"


@pytest.mark.parametrize(("exercise", "value", "words"), [
    ("bird_dog", -8.0, "8° below level"), ("bird_dog", 0.4, "level"),
    ("bird_dog", 12.0, "12° above level"), ("hamstring_stretch", 80.0, "80° above level"),
    ("standing_back_extension", -20.0, "20° back"),
    ("standing_back_extension", 5.0, "5° forward"), ("glute_bridge", 174.0, "174°"),
    ("wall_sit", 95.0, "95°"), ("glute_bridge", None, "–"),
])
def test_range_targets_are_said_in_words(exercise: str, value: float | None,
                                         words: str) -> None:
    from posture.exercises.words import rom_words

    assert rom_words(exercise, value) == words


def test_the_report_says_signed_ranges_in_words() -> None:
    p = programme_from_dict({
        "id": "p2", "title": "Back", "times_per_week": 3, "created": "2026-03-02",
        "exercises": [{"exercise": "standing_back_extension", "sets": 1, "reps": 5}]},
        known=KNOWN)
    x = {"exercise": "standing_back_extension", "set": 1, "kind": "reps", "target": 5,
         "reps_done": 5, "rom_deg": -24.0, "rom_target_deg": -20.0, "faults": {},
         "met": True, "skipped": False}
    w = ProgrammeSession(id=1, programme_id="p2", programme_title="Back", programme_file={},
                         day=date(2026, 3, 2), started_at=0, duration_s=0, sets=(x,))
    page = progress_report_html(summarise([w], p, directions={
        "standing_back_extension": "min"}))
    assert "24° back (target 20° back)" in page and "target 20° back</text>" in page
    assert not re.search(r">-\d", page)  # no bare negative angle anywhere
    # A signed range goes to the clinic and back (it was refused as "at least 0").
    back = import_progress(export_json([w], p))
    assert back.sessions[0].sets[0]["rom_target_deg"] == -20.0
