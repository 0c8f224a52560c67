"""The day's programme runner on scripted frames: sets, rests, holds, skips, what it says."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import pytest
from scripted import Value

from posture.programme_run import (
    STEP_INTO_VIEW,
    ExerciseSample,
    PlannedExercise,
    ProgrammeRunner,
    RunnerState,
    plan_from,
)

DT = 0.1  # 10 frames a second
BRIDGE = PlannedExercise(key="glute_bridge", title="Glute bridge", kind="reps", sets=2,
                         target=3, rest_s=10.0, rom_target_deg=20.0,
                         setup_cue="Lie on your back, knees bent, side-on to the camera",
                         views=frozenset({"side_left", "side_right"}))
PLANK = PlannedExercise(key="front_plank", title="Front plank", kind="hold", sets=1,
                        target=5.0, rest_s=0.0, setup_cue="Forearms under shoulders",
                        views=frozenset({"side_left", "side_right"}))
IN_VIEW = ExerciseSample(detected=True, view="side_left")


class Script:
    """Feeds a runner frames at 10 per second, keeping the assessor's counters."""

    def __init__(self, runner: ProgrammeRunner) -> None:
        self.runner = runner
        self.t = 0.0
        self.sample = IN_VIEW
        self.said: list[str] = []
        self._seq = runner.state().say_seq
        self.said.append(runner.state().say or "")

    def frames(self, seconds: float, **change: object) -> RunnerState:
        self.sample = replace(self.sample, **change)  # type: ignore[arg-type]
        state = self.runner.state()
        for _ in range(round(seconds / DT)):
            self.t += DT
            if self.sample.holding:  # the assessor's hold timer runs while in position
                self.sample = replace(self.sample, hold_s=self.sample.hold_s + DT)
            state = self.runner.update(self.sample, self.t)
            self._heard(state)
        return state

    def rep(self, rom: float | None = 25.0, faults: tuple[str, ...] = (),
            margin: float | None = None) -> RunnerState:
        self.sample = replace(self.sample, reps=self.sample.reps + 1, rom_deg=rom,
                              faults=faults, rom_margin=margin)
        return self.frames(DT)

    def _heard(self, state: RunnerState) -> None:
        if state.say_seq != self._seq:
            self._seq = state.say_seq
            self.said.append(state.say or "")


def test_a_two_exercise_programme_reps_rest_and_a_hold() -> None:
    runner = ProgrammeRunner([BRIDGE, PLANK])
    s = Script(runner)
    assert runner.state().phase == "setup"
    assert runner.state().headline == BRIDGE.setup_cue
    # Set-up: in view and side-on for 2 s starts set 1.
    state = s.frames(1.0)
    assert state.phase == "setup"
    state = s.frames(1.1)
    assert state.phase == "set" and state.set_number == 1
    assert s.said[-1] == "Set 1 of 2 — 3 reps"
    s.rep(22.0)
    state = s.rep(26.0, faults=("hips_low",))
    assert state.done == 2 and state.headline == "Set 1 of 2 — 2 of 3 reps"
    assert s.said[-2:] == ["1", "2"]
    state = s.rep(24.0)
    # The third rep completes the set: counted, then the rest is announced.
    assert state.phase == "rest" and state.rest_left_s == pytest.approx(10.0, abs=0.11)
    assert s.said[-1] == "3. Rest 10 s"
    state = s.frames(5.0)
    assert state.phase == "rest" and state.headline.startswith("Rest 5 s")
    state = s.frames(5.0)
    assert state.phase == "set" and state.set_number == 2  # no second camera check
    assert s.said[-1] == "Set 2 of 2 — 3 reps"
    for _ in range(3):
        state = s.rep(30.0)
    # After the last set of the bridge: rest, naming the next exercise.
    assert state.phase == "rest" and state.next_title == "Front plank"
    assert s.said[-1] == "3. Rest 10 s. Next: Front plank"
    state = s.frames(10.0)
    assert state.phase == "setup" and state.exercise == PLANK
    assert s.said[-1] == "Front plank. Forearms under shoulders"
    s.sample = replace(s.sample, reps=0, hold_s=0.0, rom_deg=None, faults=())  # new assessor
    state = s.frames(2.1)
    assert state.phase == "set" and s.said[-1] == "Set 1 of 1 — hold 5 s"
    state = s.frames(4.0, holding=True)
    assert state.phase == "set" and state.done == pytest.approx(4.0, abs=0.11)
    state = s.frames(1.2)
    assert state.phase == "done" and runner.finished
    assert s.said[-1] == "Well done — today's programme is finished"

    results = [r.to_dict() for r in runner.results]
    assert [(r["exercise"], r["set"], r["met"]) for r in results] == [
        ("glute_bridge", 1, True), ("glute_bridge", 2, True), ("front_plank", 1, True)]
    assert results[0]["reps_done"] == 3 and results[0]["rom_deg"] == 26.0
    assert results[0]["faults"] == {"hips_low": 1} and results[0]["rom_met"] is True
    assert results[1]["rom_deg"] == 30.0 and results[1]["faults"] == {}
    assert results[2]["hold_s_done"] == pytest.approx(5.0, abs=0.11)
    assert results[2]["reps_done"] is None
    assert runner.adherence() == 1.0
    bridge, plank = runner.summary()
    assert (bridge.sets_done, bridge.sets, bridge.done, bridge.prescribed) == (2, 2, 6.0, 6.0)
    assert bridge.rom_best_deg == 30.0 and bridge.tips == ("hips_low",)
    assert plank.sets_done == 1 and plank.rom_best_deg is None


def test_the_set_up_check_says_what_to_change_and_waits() -> None:
    runner = ProgrammeRunner([BRIDGE])
    s = Script(runner)
    state = s.frames(3.0, detected=False)
    assert state.phase == "setup" and state.camera == STEP_INTO_VIEW
    state = s.frames(3.0, detected=True, view="front")
    assert state.phase == "setup" and state.camera == "Turn side-on to the camera"
    state = s.frames(3.0, view="side_right", framing="Move back so your feet are in view")
    assert state.phase == "setup" and state.camera == "Move back so your feet are in view"
    state = s.frames(1.5, framing=None)
    assert state.phase == "setup" and state.camera is None  # ready, not yet for 2 s
    state = s.frames(0.6)
    assert state.phase == "set"


def test_leaving_the_view_pauses_a_hold() -> None:
    runner = ProgrammeRunner([PLANK], setup_ready_s=0.0)
    s = Script(runner)
    s.frames(0.1)
    state = s.frames(2.0, holding=True)
    assert state.done == pytest.approx(2.0, abs=0.11) and not state.paused
    # Out of view: the assessor's timer may run on; the runner's does not.
    state = s.frames(3.0, detected=False)
    assert state.paused and state.phase == "set"
    assert state.done == pytest.approx(2.0, abs=0.11)
    assert s.said[-1] == "Timer paused — step into view of the camera"
    # Back in view but out of position: still paused.
    state = s.frames(1.0, detected=True, holding=False)
    assert state.paused and state.done == pytest.approx(2.0, abs=0.11)
    assert state.camera is None
    state = s.frames(2.0, holding=True)
    assert not state.paused and s.said[-1] == "Hold"
    assert state.done == pytest.approx(4.0, abs=0.21)
    state = s.frames(1.1)
    assert state.phase == "done"
    assert runner.results[0].hold_s_done == pytest.approx(5.0, abs=0.11)


def test_a_long_gap_between_frames_adds_nothing_to_a_hold() -> None:
    runner = ProgrammeRunner([PLANK], setup_ready_s=0.0)
    sample = replace(IN_VIEW, holding=True)
    runner.update(sample, 0.0)
    runner.update(sample, 0.1)  # the set begins
    runner.update(replace(sample, hold_s=1.0), 0.2)
    assert runner.state().done == pytest.approx(0.1)  # capped at the frame step
    runner.update(replace(sample, hold_s=4.0), 3.2)  # a 3 s stall of the camera
    assert runner.state().done == pytest.approx(0.1)


def test_skip_a_set_skip_the_rest_and_next_exercise() -> None:
    runner = ProgrammeRunner([replace(BRIDGE, sets=3), PLANK], setup_ready_s=0.0)
    s = Script(runner)
    s.frames(0.2)
    s.rep()
    state = runner.skip_set(s.t)  # set 1 ends with 1 of 3 reps, no rest after a skip
    assert state.phase == "set" and state.set_number == 2 and state.done == 0
    s.rep()
    s.rep()
    state = s.rep()
    assert state.phase == "rest"
    state = runner.skip_set(s.t)  # ends the rest early
    assert state.phase == "set" and state.set_number == 3
    state = runner.next_exercise(s.t)
    assert state.phase == "setup" and state.exercise == PLANK
    rows = [(r.set_number, r.reps_done, r.met, r.skipped) for r in runner.results]
    assert rows == [(1, 1, False, True), (2, 3, True, False), (3, 0, False, True)]
    assert runner.adherence() == pytest.approx(1 / 4)


def test_skipping_in_the_set_up_keeps_the_camera_check_for_the_next_set() -> None:
    runner = ProgrammeRunner([BRIDGE, PLANK])
    s = Script(runner)
    s.frames(0.5, detected=False)
    state = runner.skip_set(s.t)
    assert state.phase == "setup" and state.set_number == 2
    state = runner.skip_set(s.t)
    assert state.phase == "setup" and state.exercise == PLANK
    assert [r.skipped for r in runner.results] == [True, True]


def test_finish_early_records_every_set_not_done() -> None:
    runner = ProgrammeRunner([BRIDGE, PLANK], setup_ready_s=0.0)
    s = Script(runner)
    s.frames(0.2)
    for _ in range(3):
        s.rep()
    assert runner.state().phase == "rest"
    state = runner.finish(s.t)
    assert state.phase == "done" and state.exercise is None
    rows = [(r.exercise, r.set_number, r.met) for r in runner.results]
    assert rows == [("glute_bridge", 1, True), ("glute_bridge", 2, False),
                    ("front_plank", 1, False)]
    assert runner.adherence() == pytest.approx(1 / 3)
    # Frames after the end change nothing.
    s.rep()
    assert len(runner.results) == 3


def test_a_reset_assessor_counts_from_zero_and_reps_before_the_set_do_not_count() -> None:
    runner = ProgrammeRunner([replace(BRIDGE, sets=1)], setup_ready_s=0.5)
    s = Script(runner)
    s.rep()  # a rep during the set-up check
    s.rep()
    state = s.frames(0.6)
    assert state.phase == "set" and state.done == 0
    s.sample = replace(s.sample, reps=0)  # the assessor was replaced: counters back to 0
    s.frames(0.1)
    state = s.rep()
    assert state.done == 1


def test_form_cues_are_said_once_and_counts_win() -> None:
    runner = ProgrammeRunner([BRIDGE], setup_ready_s=0.0)
    s = Script(runner)
    s.frames(0.2)
    state = s.frames(1.0, cue="Push through your heels")
    assert state.cue == "Push through your heels"
    assert s.said.count("Push through your heels") == 1
    s.rep()
    assert s.said[-1] == "1"


def test_plan_from_prescriptions_and_the_library() -> None:
    class Ex:
        def __init__(self, key: str, title: str, kind: str, cue: str) -> None:
            self.key, self.title, self.kind, self.setup_cue = key, title, kind, cue
            self.views = ("side_left", "side_right")

    library = {"bird_dog": Ex("bird_dog", "Bird-dog", "reps", "On hands and knees"),
               "wall_sit": Ex("wall_sit", "Wall sit", "hold", "Back against a wall")}
    prescriptions = [
        {"exercise": "bird_dog", "sets": 3, "reps": 8, "rest_s": 45, "rom_target_deg": 160,
         "side": "both", "notes": "slowly"},
        {"exercise": "wall_sit", "sets": 2, "hold_s": 20, "rest_s": 60},
    ]
    dog, sit = plan_from(prescriptions, library)
    assert (dog.title, dog.kind, dog.sets, dog.target, dog.rest_s) == (
        "Bird-dog", "reps", 3, 8.0, 45.0)
    assert dog.rom_target_deg == 160.0 and dog.side == "both" and dog.notes == "slowly"
    assert dog.views == frozenset({"side_left", "side_right"})
    assert (sit.kind, sit.target, sit.setup_cue, sit.rom_target_deg) == (
        "hold", 20.0, "Back against a wall", None)
    assert sit.target_text() == "hold 20 s" and dog.target_text() == "8 reps"


def test_an_empty_programme_is_done_at_once() -> None:
    runner = ProgrammeRunner([])
    assert runner.finished and runner.adherence() == 0.0 and runner.results == []


# ------------------------------------------------------------------ with the real assessor
LYING_BENT: dict[str, Value] = {
    "trunk_inclination_deg": 85.0, "knee_angle_deg": 90.0, "hip_angle_deg": 135.0,
    "bridge_line_deg": -45.0, "trunk_lean_deg": 85.0, "body_height_px": 300.0}
PLANK_POSE: dict[str, Value] = {
    "trunk_inclination_deg": 78.0, "knee_angle_deg": 175.0, "hip_angle_deg": 175.0,
    "body_line_deg": 0.0, "trunk_lean_deg": 78.0, "body_height_px": 300.0}


def bridge_rep(top_hip: float = 176.0) -> list[tuple[float, Mapping[str, Value]]]:
    return [(1.0, {"bridge_line_deg": (-45.0, -2.0), "hip_angle_deg": (135.0, top_hip)}),
            (0.4, {"bridge_line_deg": -2.0, "hip_angle_deg": top_hip}),
            (1.0, {"bridge_line_deg": (-2.0, -45.0), "hip_angle_deg": (top_hip, 135.0)}),
            (0.5, {})]


def feed(runner: ProgrammeRunner, assessor: object, frames: list) -> RunnerState:
    from posture.programme_run import sample_from_assessor

    state = runner.state()
    for m in frames:
        a = assessor.update(m)  # type: ignore[attr-defined]
        state = runner.update(sample_from_assessor(assessor, a), m.t)
    return state


def test_the_exercise_assessor_drives_the_runner_reps_then_a_hold() -> None:
    pytest.importorskip("posture.exercises.assess")
    from scripted import script

    from posture.exercises import get_exercise
    from posture.exercises.assess import ExerciseAssessor

    library = {k: get_exercise(k) for k in ("glute_bridge", "front_plank")}
    plan = plan_from([{"exercise": "glute_bridge", "sets": 1, "reps": 2, "rest_s": 2},
                      {"exercise": "front_plank", "sets": 1, "hold_s": 3}], library)
    assert plan[0].setup_cue == library["glute_bridge"].setup_cue
    runner = ProgrammeRunner(plan)
    bridge = ExerciseAssessor(library["glute_bridge"])
    frames = script([(2.5, {}), *bridge_rep(), *bridge_rep(150.0)], base=LYING_BENT)
    state = feed(runner, bridge, frames)
    assert state.phase == "rest" and state.next_title == "Front plank"
    first = runner.results[0]
    assert (first.reps_done, first.met) == (2, True)
    assert first.rom_deg == pytest.approx(176.0, abs=0.5)  # the best rep's hip angle
    assert sum(first.faults.values()) == 1  # the second rep stopped short
    rom = library["glute_bridge"].rom
    assert rom is not None and first.rom_target_deg == rom.target and first.rom_met
    t0 = frames[-1].t + 1 / 15
    plank = ExerciseAssessor(library["front_plank"])
    state = feed(runner, plank, script([(4.0, {})], base=PLANK_POSE, t0=t0))
    assert state.phase == "set" and state.exercise is not None
    assert state.exercise.key == "front_plank" and 0 < state.done < 3
    t1 = t0 + 4.0
    # Out of view: the hold pauses; back in position it goes on to the target.
    state = feed(runner, plank, script([(1.0, {"detected": 0})], base=PLANK_POSE, t0=t1))
    assert state.paused and state.camera == STEP_INTO_VIEW
    held = state.done
    state = feed(runner, plank, script([(4.0, {})], base=PLANK_POSE, t0=t1 + 1.0))
    assert state.phase == "done" and held < 3.0
    assert runner.results[-1].met and runner.adherence() == 1.0


def test_hold_faults_count_only_in_or_out_of_the_hold() -> None:
    runner = ProgrammeRunner([replace(PLANK, target=10.0)], setup_ready_s=0.0)
    s = Script(runner)
    s.frames(0.2)
    s.frames(1.0, faults=("body_pike",))  # not yet in position: not judged
    s.frames(1.0, holding=True, faults=())
    s.frames(0.5, holding=False, faults=("body_sag",))  # the sag breaks the hold
    s.frames(1.0, holding=True, faults=())
    runner.finish(s.t)
    assert runner.results[0].faults == {"body_sag": 1}


def test_rom_where_less_is_more_is_judged_that_way() -> None:
    """A wall sit's range is a *smaller* knee angle: 92° reaches a 95° target."""
    from posture.programme_run import PlannedExercise, SetResult

    ex = PlannedExercise("wall_sit", "Wall sit", "hold", 1, 30.0, rom_target_deg=95.0,
                         rom_peak="min")
    assert ex.better(100.0, 92.0) == 92.0 and ex.better(None, 92.0) == 92.0
    row = SetResult("wall_sit", 1, "hold", 30.0, None, 30.0, 92.0, 95.0, {}, True,
                    rom_peak="min")
    assert row.rom_met is True
    assert SetResult("glute_bridge", 1, "reps", 10, 10, None, 165.0, 170.0, {}, True
                     ).rom_met is False


# ------------------------------------------------------------------ each side
DOG = PlannedExercise(key="bird_dog", title="Bird-dog", kind="reps", sets=2, target=2,
                      rest_s=5.0, side="each", setup_cue="On all fours",
                      views=frozenset({"side_left", "side_right"}))


def test_each_side_is_a_left_set_and_a_right_set_per_prescribed_set() -> None:
    assert DOG.slots == 4 and DOG.sides == ("left", "right")
    runner = ProgrammeRunner([DOG], setup_ready_s=0.0)
    s = Script(runner)
    assert s.said[0] == "Bird-dog, left side. On all fours"
    state = s.frames(0.2)
    assert state.phase == "set" and state.side == "left" and state.set_number == 1
    assert state.headline == "Set 1 of 2, left side — 0 of 2 reps"
    assert s.said[-1] == "Set 1 of 2, left side — 2 reps"
    s.sample = replace(s.sample, rep_side="left")
    s.rep()
    state = s.rep()
    assert state.phase == "rest" and state.headline == "Rest 5 s · then set 1 of 2, right side"
    state = s.frames(5.0)
    assert state.phase == "set" and state.side == "right" and state.set_number == 1
    assert s.said[-1] == "Set 1 of 2, right side — 2 reps"
    # A rep with the left leg in the right set: said, shown, and not counted.
    state = s.rep()
    assert state.done == 0
    assert s.said[-1] == "That was your left side — this set is for your right side"
    assert state.cue == s.said[-1]
    state = s.frames(1.0)
    assert state.cue == s.said[-1]  # stays on screen a moment
    state = s.frames(2.5)
    assert state.cue is None
    s.sample = replace(s.sample, rep_side="right")
    s.rep()
    state = s.rep()
    assert state.phase == "rest"
    s.frames(5.0)
    assert runner.state().side == "left" and runner.state().set_number == 2
    s.sample = replace(s.sample, rep_side=None)  # the side not seen: the rep counts
    s.rep()
    s.rep()
    s.frames(5.0)
    state = runner.skip_set(s.t)  # the last right set is skipped
    assert state.phase == "done"
    rows = [(r.set_number, r.side, r.reps_done, r.met) for r in runner.results]
    assert rows == [(1, "left", 2, True), (1, "right", 2, True), (2, "left", 2, True),
                    (2, "right", 0, False)]
    assert runner.results[1].wrong_side_reps == 1 and runner.results[1].faults == {}
    assert runner.results[1].to_dict()["side"] == "right"
    assert runner.results[1].to_dict()["wrong_side_reps"] == 1
    assert "wrong_side_reps" not in runner.results[0].to_dict()
    # Both sides are prescribed work: 3 of the 4 sets.
    assert runner.adherence() == pytest.approx(3 / 4)
    (summary,) = runner.summary()
    assert (summary.sets_done, summary.sets, summary.prescribed) == (3, 4, 8.0)
    assert summary.by_side == (("left", 2, 2), ("right", 1, 2))
    assert summary.sets_text() == "3 of 4 (left 2 of 2, right 1 of 2)"


def test_finishing_early_records_both_sides_of_the_sets_not_done() -> None:
    runner = ProgrammeRunner([DOG, PLANK], setup_ready_s=0.0)
    s = Script(runner)
    s.frames(0.2)
    runner.finish(s.t)
    rows = [(r.exercise, r.set_number, r.side) for r in runner.results]
    assert rows == [("bird_dog", 1, "left"), ("bird_dog", 1, "right"), ("bird_dog", 2, "left"),
                    ("bird_dog", 2, "right"), ("front_plank", 1, None)]
    assert runner.adherence() == 0.0


def test_one_named_side_and_both_sides_are_one_set_each() -> None:
    left = replace(DOG, side="left", sets=1)
    assert left.slots == 1 and left.set_words(1) == "Set 1 of 1, left side"
    both = replace(DOG, side="both")
    assert both.slots == 2 and both.set_words(2) == "Set 2 of 2"
    runner = ProgrammeRunner([both], setup_ready_s=0.0)
    s = Script(runner)
    s.frames(0.2)
    s.sample = replace(s.sample, rep_side="left")
    state = s.rep()
    assert state.done == 1 and state.side is None  # no side prescribed: every rep counts


def test_the_real_assessor_reports_the_bird_dog_side_to_the_runner() -> None:
    pytest.importorskip("posture.exercises.assess")
    from scripted import script

    from posture.exercises import get_exercise
    from posture.exercises.assess import ExerciseAssessor

    all_fours: dict[str, Value] = {
        "trunk_inclination_deg": 85.0, "hip_angle_deg": 90.0, "knee_angle_deg": 90.0,
        "leg_raise_deg": -45.0, "arm_raise_deg": -80.0, "raised_leg_side": 1.0,
        "raised_arm_side": -1.0, "body_height_px": 300.0}

    def rep(side: float) -> list[tuple[float, Mapping[str, Value]]]:
        return [(1.0, {"leg_raise_deg": (-45.0, -2.0), "arm_raise_deg": (-80.0, -3.0),
                       "raised_leg_side": side}),
                (1.0, {"leg_raise_deg": -2.0, "arm_raise_deg": -3.0, "raised_leg_side": side}),
                (1.0, {"leg_raise_deg": (-2.0, -45.0), "arm_raise_deg": (-3.0, -80.0),
                       "raised_leg_side": side}), (0.5, {})]

    library = {"bird_dog": get_exercise("bird_dog")}
    plan = plan_from([{"exercise": "bird_dog", "sets": 1, "reps": 2, "side": "each"}],
                     library)
    runner = ProgrammeRunner(plan, setup_ready_s=0.5)
    dog = ExerciseAssessor(library["bird_dog"])
    # Left set: a left rep counts, a right rep is said and not counted, a left rep ends it.
    state = feed(runner, dog, script([(1.5, {}), *rep(1.0), *rep(-1.0), *rep(1.0)],
                                     base=all_fours))
    assert state.phase == "rest"
    first = runner.results[0]
    assert (first.side, first.reps_done, first.wrong_side_reps, first.met) == (
        "left", 2, 1, True)


def test_the_summary_counts_reps_short_of_the_prescribed_range_target() -> None:
    """Issue #13: the best range (174°) above the target (170°) beside "Not quite far
    enough" read as a contradiction; the summary says how many reps fell short instead."""
    bridge = replace(BRIDGE, sets=1, target=4, rom_target_deg=170.0, rom_fault="hips_sag")
    s = Script(ProgrammeRunner([bridge]))
    s.frames(2.1)
    for rom in (165.0, 174.0, 168.0, 171.0):  # the library flags every rep below its own
        s.rep(rom, faults=("hips_sag",))
    (summary,) = s.runner.summary()
    assert summary.rom_best_deg == 174.0
    assert (summary.rom_reps, summary.rom_short) == (4, 2)
    assert summary.rom_short_text() == "2 of 4 reps short of the target range"
    assert summary.tip_keys() == ("hips_sag",)


def test_a_range_fault_is_not_a_tip_when_every_rep_reached_the_prescribed_target() -> None:
    bridge = replace(BRIDGE, sets=1, target=2, rom_target_deg=160.0, rom_fault="hips_sag")
    s = Script(ProgrammeRunner([bridge]))
    s.frames(2.1)
    s.rep(165.0, faults=("hips_sag", "hips_low"))  # short of the library's 170, not of 160
    s.rep(168.0, faults=("hips_sag",))
    (summary,) = s.runner.summary()
    assert summary.tip_keys() == ("hips_low",)
    assert summary.rom_short_text() == "all 2 reps reached the target range"
    # What is saved (and counted in History's "Form to work on") is judged the same way.
    (result,) = s.runner.results
    assert result.faults == {"hips_low": 1}


def test_a_saved_set_counts_only_the_reps_short_of_the_prescribed_target() -> None:
    bridge = replace(BRIDGE, sets=1, target=3, rom_target_deg=170.0, rom_fault="hips_sag")
    s = Script(ProgrammeRunner([bridge]))
    s.frames(2.1)
    s.rep(165.0, faults=("hips_sag",))
    s.rep(174.0)  # the library may miss it; the prescription's target decides
    s.rep(None, faults=("hips_sag",))  # no range measured: the assessor's word stands
    (result,) = s.runner.results
    assert result.faults == {"hips_sag": 2}


def test_a_rep_filmed_at_an_angle_is_judged_with_its_views_margin() -> None:
    """The rep's own margin (wider at an angle, where the angle errs more) decides, as it
    did on the rep card: the saved set must not call short what the card called reached."""
    bridge = replace(BRIDGE, sets=1, target=2, rom_target_deg=170.0, rom_fault="hips_sag")
    s = Script(ProgrammeRunner([bridge]))
    s.frames(2.1)
    s.rep(167.0, margin=3.7)  # 3° short, within the oblique hip margin
    s.rep(167.0)  # side-on: the file's margin (0) — short
    (result,) = s.runner.results
    assert result.faults == {"hips_sag": 1}


def test_a_prescribed_target_of_zero_is_kept() -> None:
    lib = {"bird_dog": {"title": "Bird-dog", "kind": "reps",
                        "rom": {"peak": "max", "target": 5.0, "category": "reach_low"}}}
    (ex,) = plan_from([{"exercise": "bird_dog", "sets": 1, "reps": 5, "rom_target_deg": 0}],
                      lib)
    assert ex.rom_target_deg == 0.0


def test_plan_from_keeps_the_library_range_fault() -> None:
    lib = {"glute_bridge": {"title": "Glute bridge", "kind": "reps",
                            "rom": {"peak": "max", "target": 170.0, "category": "hips_sag"}}}
    (ex,) = plan_from([{"exercise": "glute_bridge", "sets": 1, "reps": 5}], lib)
    assert ex.rom_fault == "hips_sag" and ex.rom_target_deg == 170.0
