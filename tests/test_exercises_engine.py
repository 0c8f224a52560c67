"""The exercise engine on scripted metric sequences: reps, holds, start posture, faults."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pytest
from scripted import Value, script

from posture.exercises.assess import ExerciseAssessor
from posture.exercises.counter import HoldTimer, RepCounter
from posture.exercises.model import Phases
from posture.exercises.report import exercise_lines
from posture.metrics import FrameMetrics

Step = tuple[float, Mapping[str, Value]]
LYING_BENT: Mapping[str, Value] = {
    "trunk_inclination_deg": 85.0, "knee_angle_deg": 90.0, "hip_angle_deg": 135.0,
    "bridge_line_deg": -45.0, "trunk_lean_deg": 85.0, "body_height_px": 300.0,
}
PLANK: Mapping[str, Value] = {
    "trunk_inclination_deg": 78.0, "knee_angle_deg": 175.0, "hip_angle_deg": 175.0,
    "body_line_deg": 0.0, "trunk_lean_deg": 78.0, "body_height_px": 300.0,
}
SEATED: Mapping[str, Value] = {
    "trunk_inclination_deg": 10.0, "trunk_lean_deg": 10.0, "knee_angle_deg": 90.0,
    "hip_angle_deg": 95.0, "wrist_height_ratio": 0.48, "body_height_px": 300.0,
    "thigh_inclination_deg": 85.0, "neck_inclination_deg": 15.0, "shin_lean_deg": 5.0,
}


def bridge(top_line: float = -2.0, top_hip: float = 176.0, hold_s: float = 0.4
           ) -> list[tuple[float, Mapping[str, Value]]]:
    return [
        (1.0, {"bridge_line_deg": (-45.0, top_line), "hip_angle_deg": (135.0, top_hip)}),
        (hold_s, {"bridge_line_deg": top_line, "hip_angle_deg": top_hip}),
        (1.0, {"bridge_line_deg": (top_line, -45.0), "hip_angle_deg": (top_hip, 135.0)}),
        (0.5, {}),
    ]


def run(key: str, frames: Sequence[FrameMetrics]) -> tuple[ExerciseAssessor, dict]:
    a = ExerciseAssessor(key)
    for m in frames:
        a.update(m)
    return a, a.finish().to_dict()


def test_glute_bridge_counts_full_reps_after_the_start_posture() -> None:
    steps: list[Step] = [(1.0, {}), *bridge() * 3]
    _, res = run("glute_bridge", script(steps, base=LYING_BENT))
    ex = res["exercise"]
    assert res["activity"] == "exercise"
    assert [r["index"] for r in ex["reps"]] == [1, 2, 3]
    assert all(r["rom_reached"] for r in ex["reps"])
    assert ex["rom"]["best"] == pytest.approx(176.0, abs=0.5)
    assert ex["faults"] == {}
    assert res["summary"]["rep_count"] == 3
    assert res["summary"]["score"] == 100
    r1 = ex["reps"][0]
    assert r1["start_s"] < r1["peak_s"] < r1["end_s"]
    assert all(r["verdict"] == "good" for r in ex["reps"])


def test_no_count_before_the_start_posture_is_recognised() -> None:
    # Standing up (trunk upright): the same bridge-line swings are no glute bridge.
    standing = {**LYING_BENT, "trunk_inclination_deg": 5.0}
    _, res = run("glute_bridge", script([(1.0, {})] + bridge() * 2, base=standing))
    assert res["exercise"]["reps"] == []
    assert res["exercise"]["started_s"] is None
    assert any(n["rule"] == "glute_bridge.start" for n in res["summary"]["not_judged"])


def test_start_posture_must_hold_half_a_second() -> None:
    # Lying for 0.3 s only, then straight into a rep: it cannot count.
    frames = script([(0.3, {}), *bridge()], base=LYING_BENT)
    _, res = run("glute_bridge", frames)
    assert res["exercise"]["reps"] == []


def test_jitter_inside_the_hysteresis_never_counts() -> None:
    wobble: list[Step] = [(0.2, {"bridge_line_deg": (-30.0, -20.0)}),
                          (0.2, {"bridge_line_deg": (-20.0, -30.0)})]
    _, res = run("glute_bridge", script([(1.0, {})] + wobble * 10, base=LYING_BENT))
    assert res["exercise"]["reps"] == []
    # Across both thresholds but faster than a real movement: not a rep either.
    flick: list[Step] = [(0.1, {"bridge_line_deg": -40.0}), (0.1, {"bridge_line_deg": -10.0})]
    _, res = run("glute_bridge", script([(1.0, {})] + flick * 5 + [(0.5, {})],
                                        base=LYING_BENT, fps=30))
    assert res["exercise"]["reps"] == []


def test_half_rep_is_partial_and_short_rom_is_a_fault() -> None:
    half: list[Step] = [(0.8, {"bridge_line_deg": (-45.0, -25.0)}),
                        (0.8, {"bridge_line_deg": (-25.0, -45.0)}), (0.3, {})]
    steps = [(1.0, {}), *half, *bridge(top_line=-12.0, top_hip=160.0)]
    _, res = run("glute_bridge", script(steps, base=LYING_BENT))
    ex = res["exercise"]
    assert ex["partial_reps"] == 1
    assert len(ex["reps"]) == 1
    rep = ex["reps"][0]
    assert rep["rom_reached"] is False and rep["rom_deg"] == pytest.approx(160.0, abs=0.5)
    assert rep["faults"] == [{"category": "hips_sag", "severity": "caution"}]
    assert ex["faults"] == {"hips_sag": 1}
    assert res["summary"]["score"] == 90


def test_overextension_is_a_fault_of_that_rep_with_its_cue() -> None:
    steps = [(1.0, {}), *bridge(), *bridge(top_line=18.0, top_hip=179.0, hold_s=1.0)]
    _, res = run("glute_bridge", script(steps, base=LYING_BENT))
    reps = res["exercise"]["reps"]
    assert [r["faults"] for r in reps] == [[], [{"category": "lumbar_overextension",
                                                 "severity": "caution"}]]
    check = next(c for c in reps[1]["checks"] if c["category"] == "lumbar_overextension")
    assert check["status"] == "caution" and check["value"] == pytest.approx(18.0, abs=0.5)
    cues = [c["cue"] for c in res["summary"]["cues"]]
    assert "1" in cues
    assert any(c.startswith("2 — ") and "arch" in c for c in cues)


def test_front_view_checks_are_not_judged_from_the_side_with_a_reason() -> None:
    rise: list[Step] = [(1.2, {"knee_angle_deg": (90.0, 172.0), "trunk_lean_deg": (10.0, 40.0)}),
            (0.5, {"knee_angle_deg": 172.0, "trunk_lean_deg": 3.0}),
            (1.2, {"knee_angle_deg": (172.0, 90.0)}), (0.5, {})]
    _, res = run("sit_to_stand", script([(1.0, {})] + rise * 2, base=SEATED))
    reps = res["exercise"]["reps"]
    assert len(reps) == 2
    caving = next(c for c in reps[0]["checks"] if c["category"] == "knees_caving")
    assert caving["status"] == "n/a" and caving["reason_code"] == "view"
    assert "from the front" in caving["reason"]
    assert any(n["category"] == "knees_caving" and n["reps"] == 2
               for n in res["summary"]["not_judged"])


def test_hands_pushing_off_the_knees_is_caught() -> None:
    def rise(elbow: float) -> list[Step]:
        return [(0.8, {"wrist_height_ratio": 0.29, "elbow_angle_deg": elbow}),
                (1.2, {"knee_angle_deg": (90.0, 172.0), "wrist_height_ratio": (0.29, 0.5)}),
                (0.5, {"knee_angle_deg": 172.0}), (1.2, {"knee_angle_deg": (172.0, 90.0)}),
                (0.5, {})]

    _, res = run("sit_to_stand", script([(1.0, {}), *rise(165.0)], base=SEATED))
    faults = res["exercise"]["reps"][0]["faults"]
    assert {"category": "hands_push_off", "severity": "poor"} in faults
    # Crossed arms in the seat-off lean bring the wrists as low, with the elbows bent.
    _, res = run("sit_to_stand", script([(1.0, {}), *rise(60.0)], base=SEATED))
    assert not [f for f in res["exercise"]["reps"][0]["faults"]
                if f["category"] == "hands_push_off"]


def test_front_plank_hold_pauses_on_sag_and_out_of_view() -> None:
    steps: list[Step] = [(0.6, {}), (10.0, {}), (2.0, {"body_line_deg": -25.0}), (5.0, {}),
             (1.0, {"detected": 0}), (4.0, {})]
    _, res = run("front_plank", script(steps, base=PLANK))
    hold = res["exercise"]["hold"]
    # 10 + 5 + 4 s in good form, less the frame steps at the edges.
    assert hold["held_s"] == pytest.approx(19.0, abs=0.6)
    assert hold["longest_s"] == pytest.approx(10.0, abs=0.6)
    reasons = [p["reason"] for p in hold["pauses"]]
    assert len(reasons) == 2
    assert "Hips sagging" in reasons[0]
    assert "view" in reasons[1].lower()
    assert res["exercise"]["faults"]["body_sag"] >= 1
    assert res["summary"]["hold_s"] == hold["held_s"]
    assert res["summary"]["score"] == round(100 * hold["held_s"] / 30.0)
    assert any(c["cue"].startswith("Hold — ") for c in res["summary"]["cues"])


def test_hold_reaching_the_target_says_well_done() -> None:
    _, res = run("front_plank", script([(0.6, {}), (31.0, {})], base=PLANK))
    hold = res["exercise"]["hold"]
    assert hold["target_reached"] and hold["held_s"] >= 30.0
    assert res["summary"]["score"] == 100
    assert any(c["cue"].startswith("Well done") for c in res["summary"]["cues"])


def test_one_cue_at_a_time() -> None:
    a = ExerciseAssessor("glute_bridge")
    shown = [a.update(m).cue for m in script([(1.0, {})] + bridge() * 3, base=LYING_BENT)]
    changes = [c for prev, c in zip([None, *shown], shown, strict=False) if c and c != prev]
    assert changes  # set-up cue and counts
    assert all(isinstance(c, str) for c in changes)


def test_rep_counter_phases_and_nan_gap() -> None:
    c = RepCounter(Phases("x", rest=0.0, work=10.0, min_rep_s=0.2))
    seq = [(-5, 0.0), (5, 0.1), (12, 0.3), (8, 0.4), (-1, 0.6)]
    out = [c.update(v, t) for v, t in seq]
    assert [o is not None for o in out] == [False, False, False, False, True]
    w = out[-1]
    assert w is not None and w.complete and w.peak_value == 12 and w.peak_s == 0.3
    # A long gap mid-movement drops it: back at rest it is no rep.
    c.update(5, 1.0)
    c.update(12, 1.1)
    c.update(math.nan, 2.5)
    assert c.update(-3, 2.6) is None


def test_hold_timer_grace_keeps_the_streak() -> None:
    h = HoldTimer(grace_s=0.3)
    t = 0.0
    for _ in range(11):
        h.update(True, None, t)
        t += 0.1
    h.update(False, "wobble", t)  # 0.1 s out: inside the grace
    t += 0.1
    for _ in range(10):
        h.update(True, None, t)
        t += 0.1
    assert h.pauses == []
    # 1.0 s, then 0.9 s: the 0.2 s around the wobble is not held, but the streak goes on.
    assert h.held_s == pytest.approx(1.9, abs=0.01)
    assert h.longest_s == pytest.approx(1.9, abs=0.01)
    h.update(False, "sagging", t)
    h.update(False, "sagging", t + 0.5)
    h.update(True, None, t + 0.6)
    assert [(p.reason, round(p.end_s - p.start_s, 2)) for p in h.pauses] == [("sagging", 0.6)]
    assert h.streak_s == 0.0


def test_built_like_any_assessor_factory() -> None:
    """posture.live calls its factory with activity/profile/height keywords."""
    from functools import partial

    factory = partial(ExerciseAssessor, "front_plank")
    a = factory(activity="auto", profile=None, user_height_cm=None)
    assert a.activity == "exercise" and a.exercise.key == "front_plank"
    fa = a.update(script([(0.1, {})], base=PLANK)[0])
    assert fa.activity == "exercise" and fa.rep_phase == "setup"


SPLIT: Mapping[str, Value] = {
    "front_knee_angle_deg": 170.0, "trunk_inclination_deg": 5.0, "trunk_lean_deg": 5.0,
    "stance_length_ratio": 0.35, "front_leg_side": 1.0, "front_shin_lean_deg": 5.0,
    "knee_angle_deg": 170.0, "body_height_px": 300.0,
}
ALL_FOURS: Mapping[str, Value] = {
    "trunk_inclination_deg": 85.0, "hip_angle_deg": 90.0, "knee_angle_deg": 90.0,
    "leg_raise_deg": -45.0, "arm_raise_deg": -80.0, "raised_leg_side": 1.0,
    "raised_arm_side": -1.0, "body_height_px": 300.0,
}


def test_split_squat_records_the_front_leg_per_rep() -> None:
    def rep(side: float) -> list[Step]:
        return [(1.0, {"front_knee_angle_deg": (170.0, 95.0), "front_leg_side": side}),
                (1.0, {"front_knee_angle_deg": (95.0, 170.0), "front_leg_side": side}),
                (0.4, {"front_leg_side": side})]

    steps: list[Step] = [(1.0, {}), *rep(1.0), *rep(1.0), (0.6, {"front_leg_side": -1.0}),
                         *rep(-1.0)]
    _, res = run("split_squat", script(steps, base=SPLIT))
    ex = res["exercise"]
    assert [r["side"] for r in ex["reps"]] == ["left", "left", "right"]
    assert ex["reps_by_side"] == {"left": 2, "right": 1}
    assert all(r["rom_reached"] for r in ex["reps"])


def test_bird_dog_alternates_sides_and_flags_a_low_arm() -> None:
    def rep(side: float, arm_top: float) -> list[Step]:
        return [(1.0, {"leg_raise_deg": (-45.0, -2.0), "arm_raise_deg": (-80.0, arm_top),
                       "raised_leg_side": side}),
                (1.0, {"leg_raise_deg": -2.0, "arm_raise_deg": arm_top, "raised_leg_side": side}),
                (1.0, {"leg_raise_deg": (-2.0, -45.0), "arm_raise_deg": (arm_top, -80.0),
                       "raised_leg_side": side}), (0.5, {})]

    steps: list[Step] = [(1.0, {}), *rep(1.0, -3.0), *rep(-1.0, -40.0)]
    _, res = run("bird_dog", script(steps, base=ALL_FOURS))
    reps = res["exercise"]["reps"]
    assert [r["side"] for r in reps] == ["left", "right"]
    assert reps[0]["faults"] == []
    assert reps[1]["faults"] == [{"category": "reach_low", "severity": "poor"}]
    # Trunk rotation needs a front or oblique camera: not judged, with the reason.
    rot = next(c for c in reps[0]["checks"] if c["category"] == "trunk_rotation")
    assert rot["status"] == "n/a" and rot["reason_code"] == "view"


def test_side_plank_side_is_the_one_down() -> None:
    base: Mapping[str, Value] = {"hip_tilt_deg": 80.0, "body_line_deg": 0.0,
                                 "body_height_px": 300.0, "view": "front"}
    _, res = run("side_plank", script([(0.6, {}), (5.0, {})], base=base, view="front"))
    hold = res["exercise"]["hold"]
    assert hold["held_s"] == pytest.approx(5.0, abs=0.2)
    assert hold["side"] == "right"  # left hip up: lying on the right side
    # Filmed side-on instead, nothing starts and the report says so.
    _, res = run("side_plank", script([(0.6, {}), (5.0, {})], base=PLANK))
    assert res["exercise"]["started_s"] is None
    assert "from the front" in res["summary"]["not_judged"][0]["reason"]


def test_hamstring_stretch_reports_rom_against_its_target() -> None:
    base: Mapping[str, Value] = {"trunk_inclination_deg": 85.0, "leg_raise_deg": 5.0,
                                 "raised_leg_side": -1.0, "knee_angle_deg": 175.0,
                                 "body_height_px": 300.0}
    steps: list[Step] = [(1.0, {}), (1.0, {"leg_raise_deg": (5.0, 70.0)}),
                         (10.0, {"leg_raise_deg": 70.0})]
    _, res = run("hamstring_stretch", script(steps, base=base))
    ex = res["exercise"]
    assert ex["hold"]["held_s"] == pytest.approx(10.5, abs=0.6)
    assert ex["hold"]["side"] == "right"
    assert ex["rom"]["best"] == pytest.approx(70.0, abs=0.5) and ex["rom"]["reached"] is False


def test_a_rule_outside_the_exercises_views_never_fires() -> None:
    """Knees caving needs the camera in front; the sit-to-stand is counted side-on or at
    an angle. Filmed from the front (or read so), the set is not judged, and neither is
    the caving: no cue, no time in a fault band."""
    rise: list[Step] = [(1.2, {"knee_angle_deg": (90.0, 172.0), "knee_valgus_deg": 25.0}),
                        (0.5, {"knee_angle_deg": 172.0}),
                        (1.2, {"knee_angle_deg": (172.0, 90.0)}), (0.5, {})]
    a = ExerciseAssessor("sit_to_stand")
    cues = []
    for m in script([(1.0, {"view": "side_left"})] + rise * 2, base=SEATED, view="front"):
        f = a.update(m)
        assert f.status["sit_to_stand.knees_caving"] == "n/a"
        cues.append(f.cue)
    res = a.finish().to_dict()
    assert not any(c and "knees" in c.lower() for c in cues)
    assert res["summary"]["time_s_by_severity"]["poor"] == 0.0
    assert res["summary"]["time_s_by_severity"]["caution"] == 0.0
    assert any("side-on" in str(c) for c in cues)  # the set-up cue names the view it needs
    # Started seated, nothing counted: the report says why instead of a silent 0.
    why = [n["reason"] for n in res["summary"]["not_judged"] if n["rule"].endswith(".count")]
    assert why and "no rep counted" in why[0] and "side-on" in why[0]
    line = exercise_lines(res["exercise"])[-1]
    assert line.startswith("Sit-to-stand: 0 reps") and "place the camera" in line


def test_a_range_reached_within_the_views_margin_says_so() -> None:
    """163° against a 165° target is "reached" at an angle (±8°); the words say why, so
    "best 163°, target 165°, no faults" does not read as a contradiction."""
    from posture.exercises.report import reached_words

    rep = {"rom_deg": 163.0, "rom_target_deg": 165.0, "rom_reached": True,
           "rom_margin_deg": 8.3}
    assert reached_words(rep) == "yes (within ±8°)"
    assert reached_words({**rep, "rom_deg": 170.0}) == "yes"
    assert reached_words({**rep, "rom_margin_deg": 0.0, "rom_deg": 166.0}) == "yes"
    assert reached_words({**rep, "rom_reached": False}) == "no"
    assert reached_words({**rep, "rom_reached": None}) == "–"
    # Less is more (a wall sit's knee): 97° against 95° is short of it, within ±5°.
    wall = {"rom_deg": 97.0, "rom_target_deg": 95.0, "rom_reached": True, "rom_margin_deg": 5.0}
    assert reached_words(wall, "min") == "yes (within ±5°)"
    section = {"title": "Sit-to-stand", "kind": "reps", "started_s": 1.0,
               "reps": [rep], "rom": {"best": 163.0, "target": 165.0}, "faults": {}}
    assert "±8° measuring margin" in exercise_lines(section)[0]


def test_movements_short_of_the_counting_range_say_how_far_they_got() -> None:
    """Three half bridges and no full one: the sentence gives the best reading and what a
    rep needs, not just a framing cue (a knee read short of straight at an angle once
    said "step into view of the camera" with the person in full view)."""
    half: list[Step] = [(0.8, {"bridge_line_deg": (-45.0, -25.0)}),
                        (0.8, {"bridge_line_deg": (-25.0, -45.0)}), (0.3, {})]
    deeper: list[Step] = [(0.8, {"bridge_line_deg": (-45.0, -21.0)}),
                          (0.8, {"bridge_line_deg": (-21.0, -45.0)}), (0.3, {})]
    _, res = run("glute_bridge", script([(1.0, {}), *half, *deeper, *half], base=LYING_BENT))
    ex = res["exercise"]
    assert ex["reps"] == [] and ex["partial_reps"] == 3
    (why,) = [n["reason"] for n in res["summary"]["not_judged"]
              if n["rule"] == "glute_bridge.count"]
    work = ExerciseAssessor("glute_bridge").exercise.phases.work  # type: ignore[union-attr]
    assert "3 movement(s) did not reach the counting range" in why
    assert f"bridge line at best -21°; a rep needs {work:g}°" in why
    (line,) = exercise_lines(res["exercise"])
    assert line.startswith("Glute bridge: 0 reps — 3 movement(s)") and "partial" not in line
