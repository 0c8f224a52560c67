"""The exercise library: the contract's 13 keys, sources for every number, loader errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from posture.exercises import ExerciseError, get_exercise, load_exercise_file, load_library
from posture.exercises.assess import exercise_assessor_factory
from posture.exercises.loader import LIBRARY_DIR
from posture.exercises.model import ALL_CATEGORIES

KEYS = {"glute_bridge", "bird_dog", "sit_to_stand", "hip_hinge", "standing_back_extension",
        "prone_press_up", "wall_sit", "front_plank", "side_plank", "hamstring_stretch",
        "knee_to_chest", "split_squat", "heel_raise"}
HOLDS = {"wall_sit", "front_plank", "side_plank", "hamstring_stretch", "knee_to_chest"}
SCHEMA = Path(__file__).resolve().parent.parent / "docs" / "report-schema.md"
CRITERIA = Path(__file__).resolve().parent.parent / "docs" / "exercise-criteria.md"


def cited(source: str) -> bool:
    """A source names literature (a year) or says the number is a default to calibrate."""
    return "default to calibrate" in source or re.search(r"\b(19|20)\d\d\b", source) is not None


def test_the_contract_keys_and_kinds() -> None:
    lib = load_library()
    assert set(lib) == KEYS
    assert {k for k, e in lib.items() if e.kind == "hold"} == HOLDS
    for key, ex in lib.items():
        assert (ex.phases is not None) == (ex.kind == "reps"), key
        assert (ex.hold is not None) == (ex.kind == "hold"), key
        assert ex.setup_cue and ex.title and ex.start, key


def test_every_number_has_a_source() -> None:
    for key, ex in load_library().items():
        sources = [ex.start_source, *(r.source for r in ex.rules)]
        sources += [x.source for x in (ex.phases, ex.rom, ex.hold) if x is not None]
        for src in sources:
            assert cited(src), f"{key}: {src!r}"


def test_categories_are_documented() -> None:
    schema = SCHEMA.read_text(encoding="utf-8")
    used = {r.category for e in load_library().values() for r in e.rules}
    used |= {e.rom.category for e in load_library().values() if e.rom is not None}
    assert used <= ALL_CATEGORIES
    for cat in used:
        assert f"| `{cat}` |" in schema, cat


def test_criteria_doc_covers_every_exercise() -> None:
    doc = CRITERIA.read_text(encoding="utf-8")
    for key in KEYS:
        assert f"`{key}`" in doc, key


def test_each_side_exercises_know_how_to_tell_the_side() -> None:
    for key, ex in load_library().items():
        assert (ex.side_metric is not None) == (ex.sides != "both"), key


def test_unknown_key_lists_the_library_in_a_sentence() -> None:
    with pytest.raises(ExerciseError) as err:
        get_exercise("plank")
    msg = str(err.value)
    assert "'plank'" in msg and "front_plank" in msg and "side_plank" in msg
    assert msg.endswith(".")
    with pytest.raises(ExerciseError):
        exercise_assessor_factory("squats")


GOOD = (LIBRARY_DIR / "glute_bridge.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize(("old", "new", "words"), [
    ('kind = "reps"', 'kind = "jumps"', ["'kind'", "jumps"]),
    ('metric = "bridge_line_deg"\nrest', 'metric = "bridge_deg"\nrest', ["[phases]", "bridge_deg",
                                                                         "metric"]),
    ('caution = 10.0\npoor = 20.0', 'caution = 20.0\npoor = 10.0',
     ["rule 'lumbar_overextension'", "out of order"]),
    ('category = "lumbar_overextension"', 'category = "sore_back"',
     ["rule 'lumbar_overextension'", "sore_back"]),
    ('rest = -35.0', 'rest = -15.0', ["[phases]", "'rest' and 'work' must differ"]),
    ('views = ["side_left", "side_right"]', 'views = ["top"]', ["'top'"]),
])
def test_loader_errors_name_file_exercise_and_field(tmp_path: Path, old: str, new: str,
                                                    words: list[str]) -> None:
    assert old in GOOD
    f = tmp_path / "glute_bridge.toml"
    f.write_text(GOOD.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ExerciseError) as err:
        load_exercise_file(f)
    msg = str(err.value)
    assert "glute_bridge.toml" in msg and "'glute_bridge'" in msg, msg
    for w in words:
        assert w in msg, msg
    assert msg.endswith("."), msg


def test_loader_rejects_a_rule_without_source_and_bad_toml(tmp_path: Path) -> None:
    f = tmp_path / "x.toml"
    f.write_text(re.sub(r'\nsource = "PROXY[^\n]*', "", GOOD), encoding="utf-8")
    with pytest.raises(ExerciseError, match="missing required field 'source'"):
        load_exercise_file(f)
    f.write_text("[exercise\nkey=", encoding="utf-8")
    with pytest.raises(ExerciseError, match="not valid TOML"):
        load_exercise_file(f)
    with pytest.raises(ExerciseError, match="does not exist"):
        load_exercise_file(tmp_path / "missing.toml")
