"""Home exercises on rendered clips with exact ground truth (sample_videos/exercises).

Each clip runs through MediaPipe and the exercise assessor, exactly as ``posture analyze
CLIP --exercise KEY`` does, and is compared with the same assessor fed the clip's exact
joints (``benchmarks/exercise_eval.py``: a perfect side-on camera through the library's
own metric code) — so the reps, hold seconds and faults asserted here are what the
scripted movement truly shows, not numbers copied from a run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CLIPS = ROOT / "sample_videos" / "exercises"
sys.path.insert(0, str(ROOT / "benchmarks"))

pytestmark = pytest.mark.slow


def _clip(stem_part: str) -> Path:
    found = sorted(CLIPS.glob(f"*{stem_part}*.json"))
    if not found:
        pytest.skip(f"no rendered clip matching {stem_part!r} in {CLIPS}")
    return found[0]


def _both(js: Path) -> tuple[dict, dict]:
    from exercise_eval import coach, run_assessor, true_metrics

    gt = json.loads(js.read_text())
    key = gt["exercise"]["key"]
    truth = run_assessor(key, true_metrics(gt))
    est, _ = coach(js.with_suffix(".mp4"), key)
    return truth, est


@pytest.mark.parametrize("part", ["glute_bridge_good_side", "bird_dog_good",
                                  "hip_hinge_good", "prone_press_up_good"])
def test_reps_counted_as_the_true_movement(part: str) -> None:
    truth, est = _both(_clip(part))
    assert len(truth["reps"]) >= 3  # the recipe's reps are really there
    assert len(est["reps"]) == len(truth["reps"])
    for t, e in zip(truth["reps"], est["reps"], strict=True):
        assert abs(e["peak_s"] - t["peak_s"]) < 1.0
        assert abs(e["rom_deg"] - t["rom_deg"]) <= 6.0


@pytest.mark.parametrize("part", ["bird_dog_good", "hip_hinge_good", "prone_press_up_good",
                                  "sit_to_stand_good"])
def test_good_reps_stay_good(part: str) -> None:
    _, est = _both(_clip(part))
    assert est["reps"] and not any(e["faults"] for e in est["reps"])


def test_an_oblique_camera_is_not_judged_and_says_why() -> None:
    """Lying bodies' lines are not valid off the side view: nothing counted, and why."""
    _, est = _both(_clip("glute_bridge_good_oblique"))
    assert not est["reps"]
    assert any("side-on" in str(n.get("reason")) for n in est["not_judged"])


def test_arched_bridge_is_flagged_on_the_arched_reps() -> None:
    js = _clip("glute_bridge_arched")
    truth, est = _both(js)
    assert truth["faults"].get("lumbar_overextension")
    assert est["faults"].get("lumbar_overextension")


def test_plank_sag_pauses_the_timer_as_the_true_angles_do() -> None:
    truth, est = _both(_clip("front_plank_sag"))
    assert truth["hold"]["pauses"] and est["hold"]["pauses"]
    assert est["faults"].get("body_sag")
    assert abs(est["hold"]["held_s"] - truth["hold"]["held_s"]) <= 1.0


def test_a_good_hold_is_timed_within_half_a_second() -> None:
    truth, est = _both(_clip("hamstring_stretch_good"))
    assert truth["hold"]["held_s"] > 8.0
    assert abs(est["hold"]["held_s"] - truth["hold"]["held_s"]) <= 0.5


@pytest.mark.parametrize(("part", "category"), [("heel_raise_knees_bent", "knee_bent"),
                                                ("bird_dog_leg_high", "lumbar_overextension"),
                                                ("sit_to_stand_hands_push_off", "hands_push_off"),
                                                ("sit_to_stand_trunk_collapse", "trunk_collapse")])
def test_a_scripted_fault_is_flagged_on_its_own_reps(part: str, category: str) -> None:
    """The fault on the reps that were scripted with it (2 and 3), not on the clean ones."""
    js = _clip(part)
    scripted = json.loads(js.read_text())["exercise"]["reps"]
    truth, est = _both(js)
    assert truth["faults"].get(category)  # the true angles show it
    for rep in scripted:
        match = min(est["reps"], key=lambda e: abs(e["peak_s"] - rep["peak_s"]))
        if abs(match["peak_s"] - rep["peak_s"]) > 1.0:
            continue  # a rep the start-posture check did not count (the truth neither)
        cats = {f["category"] for f in match["faults"]}
        assert (category in cats) == bool(rep["fault"]), (rep, match["faults"])


@pytest.mark.parametrize("part", ["sit_to_stand_good", "sit_to_stand_hands_push_off",
                                  "sit_to_stand_trunk_collapse"])
def test_sit_to_stand_counts_each_rise_from_the_chair(part: str) -> None:
    """Feet planted, hips travelling from the seat to standing: each scripted rise is one
    rep at the true time, and each reached a full stand in the truth and the coach."""
    js = _clip(part)
    scripted = json.loads(js.read_text())["exercise"]["reps"]
    truth, est = _both(js)
    assert len(truth["reps"]) == len(scripted) == 3
    assert len(est["reps"]) == len(truth["reps"])
    for t, e in zip(truth["reps"], est["reps"], strict=True):
        assert abs(e["peak_s"] - t["peak_s"]) < 1.0
        assert t["rom_reached"] and e["rom_reached"]


def _held_scripted(js: Path) -> float:
    """Seconds the clip was scripted in good side-plank form, less the start check's wait."""
    from posture.exercises import get_exercise

    ex = json.loads(js.read_text())["exercise"]
    good = sum(s["end_s"] - s["start_s"] for s in ex["hold_segments"]
               if s["label"] == "side_plank_good")
    return good - get_exercise("side_plank").start_s


def test_side_plank_good_hold_is_timed_head_on() -> None:
    js = _clip("side_plank_good_front")
    _, est = _both(js)
    assert not est["faults"]
    assert abs(est["hold"]["held_s"] - _held_scripted(js)) <= 0.5


def test_side_plank_sag_pauses_the_timer_while_the_hips_sag() -> None:
    js = _clip("side_plank_sag_front")
    sag = next(s for s in json.loads(js.read_text())["exercise"]["hold_segments"]
               if s["label"] == "side_plank_sag")
    _, est = _both(js)
    assert est["faults"].get("body_sag")
    (pause,) = est["hold"]["pauses"]
    assert pause["start_s"] < sag["start_s"] + 0.5 and pause["end_s"] > sag["end_s"] - 0.5
    assert pause["end_s"] < sag["end_s"] + 1.0  # the timer runs again once the line is back


@pytest.mark.xfail(strict=True, reason=(
    "known limit (README 'Legs seen at an angle'): ~30° off the front the oblique knee, "
    "read in 3-D from the image landmarks, puts the standing knee at ~145° (truth 171°), "
    "short of the 155° that counts a stand; the world landmarks read 157° but bent legs "
    "17–22° too straight at every oblique angle"))
def test_sit_to_stand_at_an_angle_counts_good_rises_as_full() -> None:
    """Filmed ~30° off the front (an accepted oblique view), each rise is counted at its
    true time and reaches a full stand, within that view's measured-error margin
    (Rom.margin_in), so no good rep is called short."""
    js = _clip("sit_to_stand_good_oblique")
    truth, est = _both(js)
    assert len(est["reps"]) == len(truth["reps"]) == 3
    for t, e in zip(truth["reps"], est["reps"], strict=True):
        assert abs(e["peak_s"] - t["peak_s"]) < 1.0
        assert e["rom_reached"] and not e["faults"]


def test_sit_to_stand_at_an_angle_that_reads_short_says_how_far_it_got() -> None:
    """What the patient is told meanwhile for the set above: the rises were seen and fell
    short of the counting range, with the reading — never a silent 0."""
    js = _clip("sit_to_stand_good_oblique")
    _, est = _both(js)
    if est["reps"]:
        pytest.skip("the rises are counted: nothing short to explain")
    why = " ".join(n["reason"] for n in est["not_judged"] if n["rule"].endswith(".count"))
    assert "did not reach the counting range (knee angle at best" in why


def test_a_set_read_from_the_front_counts_nothing_and_says_why() -> None:
    """The pose model reads this oblique sit-to-stand as a front view for most of the
    set: nothing is counted, the report says the camera must be side-on or at an angle,
    and the front-only "knees caving" check does not fire on a set it cannot judge."""
    truth, est = _both(_clip("sit_to_stand_trunk_collapse_oblique"))
    assert not est["faults"].get("knees_caving")
    if est["reps"]:  # once the view is read right: every rise counted, none invented
        assert len(est["reps"]) == len(truth["reps"])
        return
    why = " ".join(str(n.get("reason")) for n in est["not_judged"])
    assert "no rep counted" in why and "side-on" in why
