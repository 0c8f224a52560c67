"""The programme file: TOML/JSON round trips, every validation sentence, the history's API."""

from __future__ import annotations

import json
import re
import sqlite3
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from posture.programme import (
    CONTRACT_KINDS,
    Prescription,
    Programme,
    ProgrammeError,
    dumps_programme,
    exercise_kinds,
    load_programme,
    programme_from_dict,
)
from posture.store import MIGRATIONS, RECORDING_SOURCE, HistoryStore, StoreError

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "docs" / "examples" / "low-back-programme.toml"
KNOWN = dict(CONTRACT_KINDS)


def programme(**over: Any) -> Programme:
    base: dict[str, Any] = {
        "id": "p-1", "title": "Low back — week 1", "patient": "A. Patient",
        "therapist": "B. Physio", "created": "2026-03-02", "times_per_week": 3,
        "notes": 'Say "stop" if it hurts\nsecond line',
        "exercises": [
            {"exercise": "glute_bridge", "sets": 3, "reps": 10, "rest_s": 30,
             "rom_target_deg": 165.5, "side": "both", "notes": "Squeeze"},
            {"exercise": "front_plank", "sets": 2, "hold_s": 20, "rest_s": 45},
            {"exercise": "standing_back_extension", "sets": 1, "reps": 5,
             "rom_target_deg": -20, "side": "each"},
        ]}
    base.update(over)
    return programme_from_dict(base, known=KNOWN)


def problem(data: dict[str, Any]) -> str:
    with pytest.raises(ProgrammeError) as err:
        programme_from_dict(data, known=KNOWN)
    msg = str(err.value)
    assert msg.endswith(".") and "\n" not in msg, msg  # one sentence for the page
    return msg


def item_problem(**item: Any) -> str:
    return problem({"title": "T", "times_per_week": 2,
                    "exercises": [{"exercise": "bird_dog", "sets": 2, "reps": 8},
                                  item]})


# ------------------------------------------------------------------------ round trips
def test_toml_round_trip_keeps_every_field() -> None:
    p = programme()
    text = dumps_programme(p, "toml")
    tomllib.loads(text)  # valid TOML
    back = load_programme(text, known=KNOWN)
    assert back == p
    assert back.prescriptions[1].kind == "hold" and back.prescriptions[1].hold_s == 20.0
    assert back.prescriptions[0].reps == 10 and back.prescriptions[0].rom_target_deg == 165.5
    assert back.notes.endswith("second line") and '"stop"' in back.notes
    assert "reps = 10" in text and "hold_s = 20\n" in text  # written as a therapist would


def test_json_round_trip_and_bytes_and_path(tmp_path: Path) -> None:
    p = programme()
    text = dumps_programme(p, "json")
    assert json.loads(text)["format"] == "posture-programme"
    assert load_programme(text.encode("utf-8"), known=KNOWN) == p
    f = tmp_path / "prog.json"
    f.write_text(text, encoding="utf-8")
    assert load_programme(f, known=KNOWN) == p
    assert load_programme(str(f), known=KNOWN) == p


def test_awkward_text_survives_toml() -> None:
    p = programme(title='Back \\ "week" 1\t\x7f ✓', notes="")
    assert load_programme(dumps_programme(p), known=KNOWN).title == p.title


def test_the_worked_example_loads_with_the_library() -> None:
    p = load_programme(EXAMPLE)  # the real exercise library
    assert p.times_per_week == 3 and p.created == "2026-03-02"
    assert [x.exercise for x in p.prescriptions][:2] == ["glute_bridge", "bird_dog"]
    assert {x.kind for x in p.prescriptions} == {"reps", "hold"}
    assert load_programme(dumps_programme(p)) == p


def test_a_missing_id_gets_a_fresh_one_and_defaults_apply() -> None:
    a = programme_from_dict({"title": "T", "times_per_week": 1,
                             "exercises": [{"exercise": "wall_sit", "sets": 1, "hold_s": 30}]},
                            known=KNOWN)
    b = programme_from_dict({"title": "T", "times_per_week": 1,
                             "exercises": [{"exercise": "wall_sit", "sets": 1, "hold_s": 30}]},
                            known=KNOWN)
    assert a.id and a.id != b.id
    assert a.prescriptions[0].side == "both" and a.prescriptions[0].rest_s == 30.0


def test_library_kinds_are_used_when_none_are_injected() -> None:
    kinds = exercise_kinds()
    assert kinds["front_plank"] == "hold" and kinds["glute_bridge"] == "reps"
    assert set(CONTRACT_KINDS) <= set(kinds)


def test_the_contract_list_stands_in_when_the_library_fails(monkeypatch: Any) -> None:
    import posture.exercises as ex

    def broken() -> Any:
        raise RuntimeError("library file damaged")

    monkeypatch.setattr(ex, "load_library", broken)
    assert exercise_kinds() == CONTRACT_KINDS


# ------------------------------------------------------------------------ validation
def test_brief_example_sentence() -> None:
    msg = problem({"title": "T", "times_per_week": 3, "exercises": [
        {"exercise": "bird_dog", "sets": 2, "reps": 8},
        {"exercise": "glute_bridge", "sets": 3, "reps": "ten"}]})
    assert msg == ("Exercise 2 (glute_bridge): 'reps' must be a whole number from 1 to 200 — "
                   "got 'ten'.")


@pytest.mark.parametrize(("item", "field", "words"), [
    ({"exercise": "glute_brige", "sets": 1, "reps": 5}, "exercise", "known exercises are"),
    ({"sets": 1, "reps": 5}, "exercise", "is missing"),
    ({"exercise": "glute_bridge", "reps": 5}, "sets", "is missing"),
    ({"exercise": "glute_bridge", "sets": 0, "reps": 5}, "sets", "whole number from 1"),
    ({"exercise": "glute_bridge", "sets": 2.5, "reps": 5}, "sets", "got 2.5"),
    ({"exercise": "glute_bridge", "sets": True, "reps": 5}, "sets", "got True"),
    ({"exercise": "glute_bridge", "sets": 1}, "reps", "is missing"),
    ({"exercise": "glute_bridge", "sets": 1, "reps": 5, "hold_s": 10}, "hold_s",
     "is counted in reps"),
    ({"exercise": "front_plank", "sets": 1, "reps": 5}, "reps", "is a hold"),
    ({"exercise": "front_plank", "sets": 1}, "hold_s", "is missing"),
    ({"exercise": "front_plank", "sets": 1, "hold_s": 0}, "hold_s", "above 0"),
    ({"exercise": "front_plank", "sets": 1, "hold_s": "long"}, "hold_s", "got 'long'"),
    ({"exercise": "front_plank", "sets": 1, "hold_s": 30, "rest_s": -5}, "rest_s", "from 0"),
    ({"exercise": "glute_bridge", "sets": 1, "reps": 5, "rom_target_deg": 400},
     "rom_target_deg", "from -180 to 180"),
    ({"exercise": "glute_bridge", "sets": 1, "reps": 5, "side": "up"}, "side",
     "both, left, right, each"),
    ({"exercise": "glute_bridge", "sets": 1, "reps": 5, "notes": 3}, "notes", "must be text"),
    ({"exercise": "glute_bridge", "sets": 1, "reps": 5, "rep": 5}, "rep",
     "not an exercise field"),
])
def test_each_item_problem_names_the_item_and_field(item: dict[str, Any], field: str,
                                                    words: str) -> None:
    msg = item_problem(**item)
    assert msg.startswith("Exercise 2")
    # The Programme page places the sentence by the first quoted field name.
    assert re.search(r"'([a-z_]+)'", msg).group(1) == field  # type: ignore[union-attr]
    assert words in msg


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"title": ""}, "title", "is missing"),
    ({"times_per_week": 0}, "times_per_week", "from 1 to 21"),
    ({"times_per_week": "often"}, "times_per_week", "got 'often'"),
    ({"times_per_week": None}, "times_per_week", "got nothing"),
    ({"patient": 12}, "patient", "must be text"),
    ({"created": "yesterday"}, "created", "a date like"),
    ({"exercises": []}, "exercises", "add at least one"),
    ({"exercises": {"a": 1}}, "exercises", "must be a list"),
    ({"colour": "red"}, "colour", "not a programme field"),
    ({"format": "something-else"}, "format", "posture-programme"),
    ({"version": 99}, "version", "newer posture"),
])
def test_each_programme_problem_is_a_sentence(change: dict[str, Any], field: str,
                                              words: str) -> None:
    data: dict[str, Any] = {"title": "T", "times_per_week": 2,
                            "exercises": [{"exercise": "bird_dog", "sets": 2, "reps": 8}]}
    data.update(change)
    msg = problem(data)
    assert f"'{field}'" in msg and words in msg


def test_a_missing_times_per_week_and_all_problems_are_listed() -> None:
    with pytest.raises(ProgrammeError) as err:
        programme_from_dict({"title": "T", "exercises": [
            {"exercise": "nope", "sets": 1, "reps": 1},
            {"exercise": "front_plank", "sets": 1, "reps": 3}]}, known=KNOWN)
    problems = err.value.problems
    assert len(problems) == 3
    assert "'times_per_week' is missing" in problems[0]
    assert problems[1].startswith("Exercise 1 (nope)") and problems[2].startswith("Exercise 2")


@pytest.mark.parametrize(("data", "words"), [
    (b"\xff\xfe\x00bad", "not a text file"),
    ("title = [unclosed", "cannot be read as TOML"),
    ('{"title": ', "looks like JSON"),
    ("[1, 2]", "cannot be read as TOML"),
])
def test_unreadable_files_are_sentences(data: Any, words: str) -> None:
    with pytest.raises(ProgrammeError) as err:
        load_programme(data, known=KNOWN)
    assert words in str(err.value)


def test_a_missing_file_path_reads_as_text_and_says_so(tmp_path: Path) -> None:
    with pytest.raises(ProgrammeError) as err:
        load_programme(tmp_path / "none.toml", known=KNOWN)
    assert "could not be opened" in str(err.value) and "none.toml" in str(err.value)


def test_unknown_writer_format_is_refused() -> None:
    with pytest.raises(ValueError, match="toml or json"):
        dumps_programme(programme(), "yaml")


def test_prescription_target_and_kind() -> None:
    assert Prescription("glute_bridge", 3, reps=10).target == 10.0
    assert Prescription("wall_sit", 2, hold_s=45.0).kind == "hold"


# ------------------------------------------------------------------------ the history
@pytest.fixture
def store(tmp_path: Path) -> Any:
    with HistoryStore(tmp_path / "h.sqlite3") as s:
        yield s


def test_save_list_get_active_delete(store: HistoryStore) -> None:
    a = store.save_programme(programme(id="a", title="A"), today=date(2026, 3, 2))
    assert a.created == "2026-03-02" and a.updated == "2026-03-02"
    store.save_programme(programme(id="b", title="B"), active=True, today=date(2026, 3, 3))
    assert store.active_programme() is not None and store.active_programme().id == "b"  # type: ignore[union-attr]
    assert {p.id for p in store.list_programmes()} == {"a", "b"}
    assert store.get_programme("a") == a and store.get_programme("zzz") is None

    # Saving again keeps the first 'created', updates 'updated' and the content.
    a2 = store.save_programme(programme(id="a", title="A v2", created=None),
                              today=date(2026, 3, 9))
    assert (a2.created, a2.updated, store.get_programme("a").title) == (  # type: ignore[union-attr]
        "2026-03-02", "2026-03-09", "A v2")
    assert store.active_programme().id == "b"  # type: ignore[union-attr] # still the active one

    store.set_active_programme("a")
    assert store.active_programme().id == "a"  # type: ignore[union-attr]
    with pytest.raises(Exception, match="no longer saved"):
        store.set_active_programme("gone")
    assert store.delete_programme("a") and not store.delete_programme("a")
    assert store.active_programme() is None
    store.set_active_programme(None)
    assert store.active_programme() is None


def test_only_one_programme_is_active_in_the_file(store: HistoryStore, tmp_path: Path) -> None:
    store.save_programme(programme(id="a"), active=True)
    store.save_programme(programme(id="b"), active=True)
    con = sqlite3.connect(tmp_path / "h.sqlite3")
    assert con.execute("SELECT id FROM programmes WHERE active = 1").fetchall() == [("b",)]
    with pytest.raises(sqlite3.IntegrityError):
        con.execute("UPDATE programmes SET active = 1")
    con.close()


def test_a_workout_is_kept_with_its_copy_after_the_programme_goes(store: HistoryStore) -> None:
    p = store.save_programme(programme(id="a"), active=True)
    sets = [{"exercise": "glute_bridge", "set": 1, "kind": "reps", "target": 10,
             "reps_done": 10, "hold_s_done": None, "rom_deg": 168.0, "rom_target_deg": 165.5,
             "rom_met": True, "faults": {"hips_low": 2}, "met": True, "skipped": False,
             "started_s": 3.0, "ended_s": 40.0},
            {"exercise": "front_plank", "set": 1, "kind": "hold", "target": 20,
             "reps_done": None, "hold_s_done": 12.5, "rom_deg": None, "faults": ["sag", "sag"],
             "met": False, "skipped": True}]
    wid = store.record_programme_session("a", sets=sets, started_at=1_772_500_000.0,
                                         duration_s=300, day=date(2026, 3, 3))
    [w] = store.programme_sessions("a")
    assert w.id == wid and w.day == date(2026, 3, 3) and w.duration_s == 300
    assert w.programme == p and w.programme_title == p.title
    assert w.sets[0]["reps_done"] == 10 and w.sets[0]["rom_deg"] == 168.0
    assert w.sets[0]["faults"] == {"hips_low": 2} and w.sets[0]["started_s"] == 3.0
    assert w.sets[1]["faults"] == {"sag": 2} and w.sets[1]["skipped"] is True
    assert w.sets[1]["hold_s_done"] == 12.5 and w.sets[1]["met"] is False
    assert store.programme_sessions(since=date(2026, 3, 4)) == []

    assert store.delete_programme("a")
    [kept] = store.programme_sessions()
    assert kept.programme_id is None and kept.programme == p  # the day's copy stays
    assert store.programme_sessions("a") == []


def test_a_workout_of_a_programme_deleted_meanwhile_keeps_its_sets(
        store: HistoryStore) -> None:
    store.record_programme_session("deleted-in-another-tab", sets=[
        {"exercise": "bird_dog", "set": 1, "reps_done": 4, "met": False}], started_at=1e9)
    [w] = store.programme_sessions()
    assert w.programme_id is None and w.programme is None and len(w.sets) == 1
    assert w.day == date.fromtimestamp(1e9)


def test_a_set_without_its_exercise_is_refused(store: HistoryStore) -> None:
    with pytest.raises(ValueError, match="Set 2 of the workout"):
        store.record_programme_session(None, sets=[{"exercise": "bird_dog"}, {"set": 1}])
    assert store.programme_sessions() == []


def test_exercise_session_link_is_kept_or_dropped(store: HistoryStore) -> None:
    sid = store.save_report({"activity": "exercise", "summary": {}}, started_at=1e9)
    store.record_programme_session(None, sets=[
        {"exercise": "bird_dog", "met": True, "session_id": sid},
        {"exercise": "bird_dog", "met": True, "session_id": 99999}])
    [w] = store.programme_sessions()
    assert [x["session_id"] for x in w.sets] == [sid, None]
    store.delete_session(sid)
    assert store.programme_sessions()[0].sets[0]["session_id"] is None


def test_delete_all_removes_workouts_but_keeps_programmes(store: HistoryStore) -> None:
    store.save_programme(programme(id="a"))
    store.record_programme_session("a", sets=[{"exercise": "bird_dog", "met": True}])
    store.delete_all()
    assert store.programme_sessions() == [] and store.get_programme("a") is not None


def test_export_json_of_the_history_includes_programmes(store: HistoryStore) -> None:
    store.save_programme(programme(id="a"))
    store.record_programme_session("a", sets=[{"exercise": "bird_dog", "met": True}])
    out = store.export_json()
    assert out["programmes"][0]["id"] == "a"
    assert out["programme_sessions"][0]["sets"][0]["exercise"] == "bird_dog"
    json.dumps(out)


def test_migration_from_v2_keeps_old_sessions(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite3"

    class V2(HistoryStore):
        migrations = MIGRATIONS[:2]

    with V2(db) as old:
        sid = old.save_report({"activity": "lifting", "summary": {"score": 80},
                               "events": [{"rule": "r", "start_s": 1.0}],
                               "reps": [{"index": 1, "score": 80}]}, started_at=1e9)
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA user_version").fetchone()[0] == 2
    con.close()
    with HistoryStore(db) as new:
        detail = new.get_session(sid)
        assert detail is not None and detail.session.summary == {"score": 80}
        assert len(detail.events) == 1 and len(detail.reps) == 1
        new.save_programme(programme(id="a"), active=True)
        new.record_programme_session("a", sets=[{"exercise": "bird_dog", "met": True,
                                                 "session_id": sid}])
        assert new.programme_sessions("a")[0].sets[0]["session_id"] == sid
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) == 4
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    con.close()


def test_each_side_doubles_the_sets_of_a_workout() -> None:
    p = programme()
    assert [x.set_count for x in p.prescriptions] == [3, 2, 2]  # back extension: each side
    assert p.sets_per_session() == 7


def test_a_workout_saved_as_it_goes_is_updated_in_place_then_finished(
        store: HistoryStore, tmp_path: Path) -> None:
    store.save_programme(programme(id="a"), active=True)
    first = {"exercise": "standing_back_extension", "set": 1, "kind": "reps", "target": 5,
             "reps_done": 5, "met": True, "side": "left"}
    wid = store.record_programme_session("a", sets=[first], started_at=1_772_500_000.0,
                                         duration_s=20, finished=False)
    [w] = store.programme_sessions("a")
    assert w.id == wid and w.in_progress and w.status == "in_progress"
    assert [(x["set"], x["side"]) for x in w.sets] == [(1, "left")]
    second = {**first, "side": "right", "reps_done": 3, "met": False}
    store.update_programme_session(wid, sets=[first, second], duration_s=45)
    [w] = store.programme_sessions("a")
    assert w.in_progress and w.duration_s == 45
    assert [(x["side"], x["reps_done"]) for x in w.sets] == [("left", 5), ("right", 3)]
    store.update_programme_session(wid, sets=[first, second, {**first, "set": 2}],
                                   duration_s=60, finished=True)
    [w] = store.programme_sessions("a")
    assert w.status == "finished" and len(w.sets) == 3 and w.duration_s == 60
    assert w.to_dict()["status"] == "finished"
    con = sqlite3.connect(tmp_path / "h.sqlite3")
    assert con.execute("SELECT COUNT(*) FROM programme_sessions").fetchone()[0] == 1
    assert con.execute("SELECT COUNT(*) FROM programme_sets").fetchone()[0] == 3
    with pytest.raises(sqlite3.IntegrityError):
        con.execute("UPDATE programme_sets SET side = 'middle'")
    con.close()
    # A set appended later (a reviewed recording) goes after the others.
    store.add_programme_set(wid, {"exercise": "glute_bridge", "set": 1, "met": True})
    assert [x["exercise"] for x in store.programme_sessions("a")[0].sets][-1] == "glute_bridge"
    with pytest.raises(ValueError, match="left or the right side"):
        store.update_programme_session(wid, sets=[{**first, "side": "up"}])
    assert store.delete_programme_session(wid)
    with pytest.raises(StoreError, match="no longer in the history"):
        store.update_programme_session(wid, sets=[first])
    with pytest.raises(StoreError, match="no longer in the history"):
        store.add_programme_set(wid, first)


def test_a_set_added_from_a_recording_survives_the_live_pages_next_save(
        store: HistoryStore) -> None:
    """Review (another tab) adds a set while today's workout runs live; the live page then
    saves its own sets, which used to replace the reviewed one."""
    store.save_programme(programme(id="a"), active=True)
    live = {"exercise": "standing_back_extension", "set": 1, "kind": "reps", "target": 5,
            "reps_done": 5, "met": True, "side": "left"}
    wid = store.record_programme_session("a", sets=[live], finished=False)
    reviewed = {"exercise": "glute_bridge", "set": 1, "kind": "reps", "target": 10,
                "reps_done": 10, "met": True, "source": RECORDING_SOURCE}
    store.add_programme_set(wid, reviewed)
    store.update_programme_session(wid, sets=[live, {**live, "side": "right"}], finished=True)
    [w] = store.programme_sessions("a")
    assert [(x["exercise"], x.get("side"), x.get("source")) for x in w.sets] == [
        ("standing_back_extension", "left", None), ("standing_back_extension", "right", None),
        ("glute_bridge", None, RECORDING_SOURCE)]
    # Saving again does not duplicate it, nor does a live list that already carries it.
    store.update_programme_session(wid, sets=[live, reviewed], finished=True)
    [w] = store.programme_sessions("a")
    assert [x["exercise"] for x in w.sets] == ["standing_back_extension", "glute_bridge"]


def test_migration_from_v3_keeps_workouts_as_finished(tmp_path: Path) -> None:
    db = tmp_path / "v3.sqlite3"

    class V3(HistoryStore):
        migrations = MIGRATIONS[:3]

    with V3(db) as old:
        old.save_programme(programme(id="a"), active=True)
    con = sqlite3.connect(db)  # a workout as the v3 build wrote it (no status, no side)
    assert con.execute("PRAGMA user_version").fetchone()[0] == 3
    wid = con.execute("INSERT INTO programme_sessions (programme_id, day, started_at, "
                      "updated_at) VALUES ('a', '2001-09-09', 1e9, 1e9)").lastrowid
    con.execute("INSERT INTO programme_sets (programme_session_id, position, exercise, "
                "set_number, kind, reps_done, met) VALUES (?, 0, 'glute_bridge', 1, 'reps', "
                "10, 1)", (wid,))
    con.commit()
    con.close()
    with HistoryStore(db) as new:
        [w] = new.programme_sessions("a")
        assert w.id == wid and w.status == "finished" and not w.in_progress
        assert w.sets[0]["reps_done"] == 10 and w.sets[0]["side"] is None
        new.update_programme_session(wid, sets=[*w.sets, {"exercise": "bird_dog",
                                                          "side": "right", "met": True}])
        assert new.programme_sessions("a")[0].sets[1]["side"] == "right"
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) == 4
    con.close()
