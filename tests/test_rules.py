"""Rules as data: bands, hysteresis, persistence, gaps, profiles and calibration."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest
from scripted import SITTING_UPRIGHT, frame, script

from posture.rules import (
    CATEGORIES,
    Bands,
    CalibrationError,
    ProfileError,
    RuleEngine,
    RuleState,
    builtin_profiles,
    calibrate,
    load_profile,
)
from posture.rules.model import stoop_squat_index

FPS = 15.0


@pytest.fixture(scope="module")
def default():
    return load_profile()


def run(state: RuleState, values: list[float], fps: float = FPS, t0: float = 0.0):
    statuses, closed = [], []
    for i, v in enumerate(values):
        u = state.update(v, t0 + i / fps)
        statuses.append(u.status)
        if u.closed is not None:
            closed.append(u.closed)
    return statuses, closed


# ----------------------------------------------------------------- bands
@pytest.mark.parametrize(("direction", "caution", "poor", "value", "expected"), [
    ("high", 10, 20, 9.9, "ok"), ("high", 10, 20, 10, "caution"), ("high", 10, 20, 25, "poor"),
    ("low", -20, -40, -19, "ok"), ("low", -20, -40, -25, "caution"),
    ("low", -20, -40, -41, "poor"),
    ("abs", 10, 20, -12, "caution"), ("abs", 10, 20, 21, "poor"), ("abs", 10, 20, -3, "ok"),
    ("high", 10, None, 1000, "caution"),
])
def test_band_levels(direction, caution, poor, value, expected):
    assert Bands(direction, caution, poor).level(value) == expected


def test_band_hysteresis_exits_only_beyond_margin():
    b = Bands("high", 40.0, 50.0)
    assert b.level(37.0, "caution", 5.0) == "caution"  # inside the 5° margin: stays
    assert b.level(34.9, "caution", 5.0) == "ok"
    assert b.level(46.0, "poor", 5.0) == "poor"
    assert b.level(44.9, "poor", 5.0) == "caution"
    low = Bands("low", -20.0, -40.0)
    assert low.level(-17.0, "caution", 5.0) == "caution"
    assert low.level(-14.0, "caution", 5.0) == "ok"


def test_stoop_squat_index_extremes():
    assert stoop_squat_index(90.0, 180.0) == pytest.approx(100.0)
    assert stoop_squat_index(0.0, 90.0) == pytest.approx(0.0)
    assert stoop_squat_index(45.0, 90.0) == pytest.approx(33.3, abs=0.1)
    assert math.isnan(stoop_squat_index(0.0, 180.0))


# ----------------------------------------------------------------- state machine
def test_short_deviation_below_persistence_raises_nothing(default):
    st = RuleState(default.rule("sitting.trunk_slouch"))
    statuses, closed = run(st, [2.0] * 15 + [25.0] * 10 + [2.0] * 30)  # 0.67 s < enter_s 1 s
    assert set(statuses) == {"ok"}
    assert closed == []


def test_event_spans_the_deviation_not_the_confirmation(default):
    st = RuleState(default.rule("sitting.trunk_slouch"))
    values = [2.0] * 30 + [15.0] * 30 + [25.0] * 45 + [2.0] * 45
    statuses, closed = run(st, values)
    assert statuses[30 + 14] == "ok" and statuses[30 + 15] == "caution"  # after 1 s
    assert "poor" in statuses
    assert len(closed) == 1
    ev = closed[0]
    assert ev.severity == "poor"
    assert ev.start_s == pytest.approx(30 / FPS)  # backdated to the onset
    assert ev.end_s == pytest.approx(105 / FPS)  # back in band, not after clear_s
    assert ev.peak_value == pytest.approx(25.0)
    assert statuses[-1] == "ok"


def test_flicker_at_threshold_gives_one_event(default):
    st = RuleState(default.rule("sitting.neck_inclination"))
    edge = default.rule("sitting.neck_inclination").bands.caution
    flicker = [edge - 0.2, edge + 0.2] * 60  # noise around the caution edge for 8 s
    statuses, closed = run(st, [20.0] * 15 + flicker + [20.0] * 30)
    assert len(closed) == 1  # entered once, held by the 5° hysteresis
    changes = sum(a != b for a, b in itertools.pairwise(statuses))
    assert changes == 2  # ok → caution → ok, no flicker


def test_nan_gap_short_keeps_event_long_closes_it(default):
    rule = default.rule("sitting.trunk_slouch")
    st = RuleState(rule)
    short = [25.0] * 30 + [math.nan] * 5 + [25.0] * 30 + [2.0] * 30
    statuses, closed = run(st, short)
    assert statuses[32] == "n/a"
    assert len(closed) == 1 and closed[0].start_s == 0.0  # one event across the short gap

    st = RuleState(rule)
    long_gap = [25.0] * 30 + [math.nan] * 60 + [2.0] * 15
    statuses, closed = run(st, long_gap)
    assert statuses[40] == "n/a"
    assert len(closed) == 1
    assert closed[0].end_s == pytest.approx(29 / FPS)  # closed at the last measured frame
    assert statuses[-1] == "ok"  # no stale "poor" held after the gap


def test_guard_failure_counts_as_in_band(default):
    eng = RuleEngine(default.frame_rules("lifting"))
    bent = frame(0.0, {"trunk_inclination_deg": 80.0, "knee_angle_deg": 100.0})
    straight = frame(0.0, {"trunk_inclination_deg": 80.0, "knee_angle_deg": 170.0})
    rb = eng.rules[0]
    assert rb.id == "lifting.rounded_back"
    assert eng.value(rb, bent)[1] is False
    assert eng.value(rb, straight) == (80.0, True)
    no_knee = frame(0.0, {"trunk_inclination_deg": 80.0})
    assert math.isnan(eng.value(rb, no_knee)[0])


def test_wrong_view_is_not_applicable(default):
    eng = RuleEngine(default.frame_rules("sitting"))
    u = eng.update(frame(0.0, {"trunk_lean_deg": 30.0, "trunk_lateral_tilt_deg": 2.0},
                         view="front"))
    assert u.status["sitting.trunk_slouch"] == "n/a"  # sagittal rule, front view
    assert u.status["sitting.lateral_tilt"] == "ok"
    assert u.segment_status["trunk"] == "ok"


# ----------------------------------------------------------------- profiles
def test_default_profile_is_complete(default):
    assert "default" in builtin_profiles()
    ids = [r.id for r in default.rules]
    assert len(ids) == len(set(ids))
    for r in default.rules:
        assert r.category in CATEGORIES
        assert r.source and r.cue
        assert r.activity == r.id.split(".")[0]
        c, p = r.bands.thresholds()
        assert p > c
    cats = {r.category for r in default.rules}
    assert {"forward_head", "slouched_trunk", "reclined", "trunk_forward_lean", "lateral_tilt",
            "knee_hyperextension", "stoop_lift", "rounded_back", "trunk_twist", "load_far",
            "shallow_squat", "excessive_forward_lean", "knee_valgus", "heel_lift"} <= cats


def write(tmp_path: Path, text: str, name: str = "p.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


RULE = '''
[[rules]]
id = "sitting.x"
category = "forward_head"
metric = "neck_inclination_deg"
direction = "high"
caution = 40.0
poor = 50.0
cue = "Grow tall"
source = "test"
'''


def test_minimal_profile_loads(tmp_path):
    prof = load_profile(write(tmp_path, RULE))
    assert [r.id for r in prof.rules] == ["sitting.x"]
    assert prof.rule("sitting.x").bands == Bands("high", 40.0, 50.0)


@pytest.mark.parametrize(("text", "message"), [
    ("[[rules]\nid = 1", "not valid TOML"),
    (RULE.replace("neck_inclination_deg", "neck_angle"), "unknown frame metric 'neck_angle'"),
    (RULE.replace('"forward_head"', '"bad_posture"'), "unknown category 'bad_posture'"),
    (RULE.replace("poor = 50.0", "poor = 30.0"), "bands out of order"),
    (RULE.replace('direction = "high"', 'direction = "up"'), "'direction' must be"),
    (RULE.replace('id = "sitting.x"', 'id = "cooking.x"'), "id must be '<activity>.<name>'"),
    (RULE + 'colour = "red"\n', "unknown field(s) ['colour']"),
    (RULE.replace('cue = "Grow tall"\n', ""), "missing required field 'cue'"),
    (RULE + 'views = ["sideways"]\n', "unknown view(s)"),
    (RULE + 'when = [{ metric = "nope" }]\n', "unknown metric 'nope'"),
    (RULE.replace("caution = 40.0", 'caution = "forty"'), "'caution' must be a number"),
    ('disable = ["sitting.nope"]\n', "cannot disable unknown rule"),
])
def test_profile_errors_are_precise(tmp_path, text, message):
    with pytest.raises(ProfileError) as err:
        load_profile(write(tmp_path, text))
    assert message in str(err.value)
    assert "p.toml" in str(err.value) or "TOML" in str(err.value)


def test_missing_profile_names_the_builtins():
    with pytest.raises(ProfileError, match=r"built-in profiles: .*default"):
        load_profile("no_such_profile")


def test_extends_loop_is_refused(tmp_path):
    write(tmp_path, 'extends = "b.toml"\n', "a.toml")
    write(tmp_path, 'extends = "a.toml"\n', "b.toml")
    with pytest.raises(ProfileError, match="loops"):
        load_profile(tmp_path / "a.toml")


def test_user_override_stricter_disable_and_extend(tmp_path, default):
    user = write(tmp_path, '''
extends = "default"
disable = ["lifting.heel_lift"]
[profile]
name = "post-op"
[activities.sitting]
break_after_s = 600.0
[[rules]]
id = "sitting.trunk_slouch"
caution = 5.0
poor = 12.0
[[rules]]
id = "standing.shoulder_tilt"
category = "lateral_tilt"
metric = "shoulder_tilt_deg"
direction = "abs"
caution = 8.0
views = ["front"]
cue = "Level your shoulders"
source = "clinician's choice"
''')
    prof = load_profile(user)
    assert prof.name == "post-op"
    slouch = prof.rule("sitting.trunk_slouch")
    assert slouch.bands == Bands("high", 5.0, 12.0)
    assert slouch.cue == default.rule("sitting.trunk_slouch").cue  # untouched fields inherited
    assert slouch.enter_s == default.rule("sitting.trunk_slouch").enter_s  # activity defaults
    assert not prof.rule("lifting.heel_lift").enabled
    assert "lifting.heel_lift" not in [r.id for r in prof.rep_rules()]
    assert prof.rule("standing.shoulder_tilt").bands.poor is None
    assert prof.settings("sitting").break_after_s == 600.0
    assert len(prof.sources) == 2


def test_shipped_example_profiles_load():
    for name in builtin_profiles():
        prof = load_profile(name)
        assert prof.rules


# ----------------------------------------------------------------- calibration
def test_calibration_median_and_offsets(default):
    frames = script([(2.0, {"neck_inclination_deg": 30.0, "trunk_lean_deg": -3.0})],
                    base=SITTING_UPRIGHT)
    cal = calibrate(frames, "sit_tall")
    assert cal.neutral_for("neck_inclination_deg") == pytest.approx(30.0)
    assert cal.activity == "sitting" and cal.frames == len(frames)
    eng_pop = RuleEngine(default.frame_rules("sitting"))
    eng_cal = RuleEngine(default.frame_rules("sitting"), cal)
    assert "sitting.neck_inclination" in eng_cal.calibrated_rules
    # 37° is "caution" for the population but only +7° from this person's neutral.
    seq = script([(3.0, {"neck_inclination_deg": 37.0})], base=SITTING_UPRIGHT)
    last_pop = [eng_pop.update(m) for m in seq][-1]
    last_cal = [eng_cal.update(m) for m in seq][-1]
    assert last_pop.status["sitting.neck_inclination"] == "caution"
    assert last_cal.status["sitting.neck_inclination"] == "ok"
    # … while +26° from neutral is poor (ISO 11226 neck flexion > 25°).
    seq = script([(3.0, {"neck_inclination_deg": 56.0})], t0=10.0, base=SITTING_UPRIGHT)
    assert [eng_cal.update(m) for m in seq][-1].status["sitting.neck_inclination"] == "poor"


def test_calibration_refuses_movement_and_wrong_view():
    moving = script([(2.0, {"neck_inclination_deg": (20.0, 50.0)})], base=SITTING_UPRIGHT)
    with pytest.raises(CalibrationError, match="hold still"):
        calibrate(moving)
    front = script([(2.0, {})], base=SITTING_UPRIGHT, view="front")
    with pytest.raises(CalibrationError, match="side-view"):
        calibrate(front)


@pytest.mark.parametrize(("direction", "value", "eased"), [
    ("high", 62.0, 59.0), ("low", -0.27, -0.24), ("abs", -12.0, -9.0), ("abs", 2.0, 0.0),
])
def test_a_measuring_margin_moves_a_reading_towards_ok_never_past_it(direction, value, eased):
    bands = Bands(direction, 60.0 if direction == "high" else -0.25 if direction == "low"
                  else 10.0)
    margin = 0.03 if direction == "low" else 3.0
    assert bands.eased(value, margin) == pytest.approx(eased)
    assert bands.eased(value, 0.0) == value and math.isnan(bands.eased(math.nan, margin))
    assert bands.level(bands.eased(value, margin)) == "ok"
