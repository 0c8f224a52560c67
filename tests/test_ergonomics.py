"""Tests for posture.ergonomics: NIOSH lifting equation, RULA and REBA.

Expected values are transcribed by hand from docs/clinical-criteria.md
(sections 3-5: NIOSH Pub. 94-110, McAtamney & Corlett 1993, Hignett &
McAtamney 2000), independently of the module's tables.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from posture import ergonomics as erg
from posture.ergonomics import (
    RebaInputs,
    RulaInputs,
    li_band,
    lifting_index,
    niosh_multipliers,
    niosh_rwl,
    reba_score,
    rula_score,
)

# ----------------------------------------------------------------------------- NIOSH

finite_angle = st.floats(min_value=-180, max_value=180, allow_nan=False)
flexion = st.floats(min_value=0, max_value=180, allow_nan=False)


def _kw(field: str, value: object) -> dict[str, Any]:
    """One keyword argument chosen by a parametrized field name."""
    return {field: value}


def test_niosh_ideal_lift_gives_the_load_constant() -> None:
    # Every multiplier at its optimum: RWL is LC = 23 kg exactly.
    r = niosh_rwl(25, 75, 25, 0, 0.2, 1.0, "good")
    assert r.rwl_kg == 23.0
    assert (r.hm, r.vm, r.dm, r.am, r.fm, r.cm) == (1.0, 1.0, 1.0, 1.0, 1.0, 1.0)


def test_niosh_worked_example_with_non_trivial_multipliers() -> None:
    # H=40, V=30, D=50, A=30, 1 lift/min for 1.5 h (1-2 h column), fair coupling.
    #   HM = 25/40               = 0.625
    #   VM = 1 - 0.003*|30-75|   = 0.865
    #   DM = 0.82 + 4.5/50       = 0.91
    #   AM = 1 - 0.0032*30       = 0.904
    #   FM (1/min, 1-2 h, V<75)  = 0.88
    #   CM (fair, V<75)          = 0.95
    #   RWL = 23 * .625 * .865 * .91 * .904 * .88 * .95 = 8.5514559 kg
    #   LI(10 kg) = 10 / 8.5514559 = 1.16939 -> "increased"
    r = niosh_rwl(40, 30, 50, 30, 1, 1.5, "fair")
    assert r.hm == pytest.approx(0.625)
    assert r.vm == pytest.approx(0.865)
    assert r.dm == pytest.approx(0.91)
    assert r.am == pytest.approx(0.904)
    assert r.fm == pytest.approx(0.88)
    assert r.cm == pytest.approx(0.95)
    assert r.rwl_kg == pytest.approx(8.5514559, abs=1e-6)
    li = r.lifting_index(10)
    assert li == pytest.approx(1.16939, abs=1e-5)
    assert li == lifting_index(10, r.rwl_kg)
    assert li_band(li) == "increased"


def test_niosh_multipliers_match_rwl() -> None:
    m = niosh_multipliers(30, 100, 40, 45, 3, 4.0, "poor")
    r = niosh_rwl(30, 100, 40, 45, 3, 4.0, "poor")
    assert r.rwl_kg == pytest.approx(23.0 * m.product)
    # 2-8 h column, 3/min, V>=75: 0.55; poor coupling 0.90
    assert (m.fm, m.cm) == (0.55, 0.90)


# (freq, duration_h, V cm, expected FM) straight from the doc's FM table.
FM_CELLS = [
    (0.2, 1.0, 50, 1.00),
    (0.2, 1.5, 50, 0.95),
    (0.2, 8.0, 100, 0.85),
    (0.5, 0.5, 50, 0.97),
    (1, 3.0, 50, 0.75),
    (2, 1.0, 100, 0.91),
    (4, 2.0, 50, 0.72),
    (5, 4.0, 100, 0.35),
    (6, 1.0, 50, 0.75),
    (8, 6.0, 50, 0.18),
    (9, 8.0, 50, 0.00),   # 0/.15: V < 75 -> 0
    (9, 8.0, 75, 0.15),   # 0/.15: V >= 75 -> .15
    (10, 5.0, 74.9, 0.00),
    (10, 5.0, 80, 0.13),  # 0/.13
    (11, 1.5, 50, 0.00),  # 0/.23
    (11, 1.5, 100, 0.23),
    (12, 2.0, 100, 0.21),
    (12, 0.5, 50, 0.37),
    (13, 1.0, 50, 0.00),  # 0/.34
    (13, 1.0, 75, 0.34),
    (14, 0.2, 120, 0.31),
    (15, 1.0, 100, 0.28),
    (15, 1.0, 30, 0.00),
    (13, 1.5, 100, 0.00),
    (11, 3.0, 100, 0.00),
]


@pytest.mark.parametrize(("freq", "duration_h", "v_cm", "expected"), FM_CELLS)
def test_fm_table_cells_match_the_doc(freq: float, duration_h: float, v_cm: float,
                                      expected: float) -> None:
    assert erg.frequency_multiplier(freq, duration_h, v_cm) == expected


@pytest.mark.parametrize(("freq", "expected"), [
    (0.0, 1.00),   # below 0.2/min -> 0.2 row
    (0.1, 1.00),
    (0.2, 1.00),
    (0.21, 0.97),  # between 0.2 and 0.5 -> next higher row (0.5)
    (0.5, 0.97),
    (0.75, 0.94),  # -> 1/min row
    (1.5, 0.91),   # -> 2/min row
    (13.5, 0.31),  # -> 14/min row (V >= 75 column)
    (14.5, 0.28),  # -> 15/min row
    (15.0, 0.28),
    (15.01, 0.0),  # above 15 -> 0
    (40.0, 0.0),
])
def test_fm_frequency_rounding_is_conservative(freq: float, expected: float) -> None:
    # <= 1 h, V >= 75 cm column; an in-between rate takes the lower FM of the next row up.
    assert erg.frequency_multiplier(freq, 1.0, 100) == expected


@pytest.mark.parametrize(("hours", "column"), [
    (0.0, 0), (1.0, 0), (1.01, 1), (2.0, 1), (2.01, 2), (8.0, 2),
])
def test_duration_categories(hours: float, column: int) -> None:
    assert erg.duration_category(hours) == column


@pytest.mark.parametrize("hours", [-0.5, 8.5, float("nan")])
def test_duration_outside_the_table_is_rejected(hours: float) -> None:
    with pytest.raises(ValueError, match=r"hours|h of lifting"):
        erg.duration_category(hours)


@pytest.mark.parametrize(("h", "hm"), [
    (0, 1.0), (25, 1.0), (50, 0.5), (63, 25 / 63), (63.01, 0.0), (200, 0.0),
])
def test_horizontal_multiplier_edges(h: float, hm: float) -> None:
    assert erg.horizontal_multiplier(h) == pytest.approx(hm)


@pytest.mark.parametrize(("v", "vm"), [
    (0, 0.775), (75, 1.0), (30, 0.865), (175, 0.7), (175.01, 0.0),
])
def test_vertical_multiplier_edges(v: float, vm: float) -> None:
    assert erg.vertical_multiplier(v) == pytest.approx(vm)


@pytest.mark.parametrize(("d", "dm"), [
    (0, 1.0), (25, 1.0), (50, 0.91), (-50, 0.91), (175, 0.82 + 4.5 / 175), (175.5, 0.0),
])
def test_distance_multiplier_edges(d: float, dm: float) -> None:
    assert erg.distance_multiplier(d) == pytest.approx(dm)


@pytest.mark.parametrize(("a", "am"), [
    (0, 1.0), (90, 0.712), (-90, 0.712), (135, 0.568), (135.5, 0.0),
])
def test_asymmetric_multiplier_edges(a: float, am: float) -> None:
    assert erg.asymmetric_multiplier(a) == pytest.approx(am)


@pytest.mark.parametrize(("coupling", "v", "cm"), [
    ("good", 30, 1.0), ("good", 100, 1.0),
    ("fair", 74.9, 0.95), ("fair", 75, 1.0),
    ("poor", 30, 0.90), ("poor", 100, 0.90),
])
def test_coupling_multiplier(coupling: erg.Coupling, v: float, cm: float) -> None:
    assert erg.coupling_multiplier(coupling, v) == cm


@pytest.mark.parametrize("field", ["h_cm", "v_cm", "d_cm", "a_deg", "freq_per_min"])
@pytest.mark.parametrize("missing", [None, float("nan")])
def test_missing_measurement_gives_nan_rwl(field: str, missing: float | None) -> None:
    args: dict[str, float | None] = {
        "h_cm": 30, "v_cm": 60, "d_cm": 40, "a_deg": 10, "freq_per_min": 1,
    }
    args[field] = missing
    r = niosh_rwl(args["h_cm"], args["v_cm"], args["d_cm"], args["a_deg"],
                  args["freq_per_min"], 1.0, "fair")
    assert math.isnan(r.rwl_kg)
    assert math.isnan(r.lifting_index(10))
    assert li_band(r.lifting_index(10)) == "unknown"


def test_missing_v_keeps_multipliers_that_do_not_depend_on_it() -> None:
    # Good coupling and a low-frequency row are the same for both V columns.
    assert erg.coupling_multiplier("good", None) == 1.0
    assert erg.frequency_multiplier(1, 1.0, None) == 0.94
    # ... but the 0/.34 cell and fair coupling genuinely need V.
    assert math.isnan(erg.frequency_multiplier(13, 1.0, None))
    assert math.isnan(erg.coupling_multiplier("fair", float("nan")))


def test_out_of_range_multipliers_zero_the_rwl() -> None:
    assert niosh_rwl(64, 75, 25, 0, 0.2, 1.0, "good").rwl_kg == 0.0
    assert niosh_rwl(25, 176, 25, 0, 0.2, 1.0, "good").rwl_kg == 0.0
    assert niosh_rwl(25, 75, 25, 136, 0.2, 1.0, "good").rwl_kg == 0.0
    r = niosh_rwl(25, 75, 25, 0, 16, 1.0, "good")
    assert r.fm == 0.0 and r.rwl_kg == 0.0
    assert r.lifting_index(5) == math.inf
    assert li_band(r.lifting_index(5)) == "high"


def test_user_input_errors_have_clear_messages() -> None:
    with pytest.raises(ValueError, match="Load must be a weight"):
        lifting_index(-1, 20)
    with pytest.raises(ValueError, match="Coupling must be 'good', 'fair' or 'poor'"):
        niosh_rwl(25, 75, 25, 0, 1, 1.0, "excellent")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Horizontal distance H"):
        niosh_rwl(-5, 75, 25, 0, 1, 1.0, "good")
    with pytest.raises(ValueError, match="Vertical hand height V"):
        niosh_rwl(25, -1, 25, 0, 1, 1.0, "good")
    with pytest.raises(ValueError, match="frequency"):
        niosh_rwl(25, 75, 25, 0, -1, 1.0, "good")


@pytest.mark.parametrize(("li", "band"), [
    (0.0, "acceptable"), (1.0, "acceptable"), (1.0001, "increased"),
    (3.0, "increased"), (3.0001, "high"), (math.inf, "high"),
])
def test_li_band_edges(li: float, band: str) -> None:
    assert li_band(li) == band


def test_lifting_index_edge_cases() -> None:
    assert lifting_index(0, 0) == 0.0
    assert lifting_index(11.5, 23) == 0.5
    with pytest.raises(ValueError):
        li_band(-0.1)


def test_niosh_result_is_frozen() -> None:
    r = niosh_rwl(25, 75, 25, 0, 0.2, 1.0, "good")
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.rwl_kg = 1.0  # type: ignore[misc]


niosh_args = st.tuples(
    st.floats(0, 100), st.floats(0, 200), st.floats(-200, 200), st.floats(-180, 180),
    st.floats(0, 20), st.floats(0, 8), st.sampled_from(("good", "fair", "poor")),
)


@given(niosh_args)
def test_rwl_is_between_zero_and_the_load_constant(
        args: tuple[float, float, float, float, float, float, erg.Coupling]) -> None:
    r = niosh_rwl(*args)
    assert 0.0 <= r.rwl_kg <= erg.LOAD_CONSTANT_KG
    for m in (r.hm, r.vm, r.dm, r.am, r.fm, r.cm):
        assert 0.0 <= m <= 1.0


@given(st.floats(0, 20), st.floats(0, 20), st.floats(0, 8), st.floats(0, 200))
def test_fm_never_rises_with_frequency(f1: float, f2: float, hours: float, v: float) -> None:
    lo, hi = sorted((f1, f2))
    assert erg.frequency_multiplier(hi, hours, v) <= erg.frequency_multiplier(lo, hours, v)


@given(st.floats(0, 100), st.floats(0, 100))
def test_hm_never_rises_with_distance(h1: float, h2: float) -> None:
    lo, hi = sorted((h1, h2))
    assert erg.horizontal_multiplier(hi) <= erg.horizontal_multiplier(lo)


# ----------------------------------------------------------------------------- RULA


@pytest.mark.parametrize(("ua", "la", "wrist", "twist", "expected"), [
    (1, 1, 1, 1, 1),
    (1, 1, 1, 2, 2),
    (1, 3, 2, 1, 3),
    (2, 2, 1, 1, 3),
    (3, 1, 2, 1, 4),
    (4, 3, 2, 2, 5),
    (4, 3, 4, 1, 6),
    (5, 1, 4, 2, 7),
    (5, 3, 4, 2, 8),
    (6, 1, 4, 2, 9),
    (6, 3, 1, 1, 9),
])
def test_rula_table_a_cells(ua: int, la: int, wrist: int, twist: int, expected: int) -> None:
    assert erg.rula_table_a(ua, la, wrist, twist) == expected


@pytest.mark.parametrize(("neck", "trunk", "legs", "expected"), [
    (1, 1, 1, 1),
    (1, 1, 2, 3),
    (1, 2, 1, 2),  # the 1 3 2 dip: trunk 2 legs 1 < trunk 1 legs 2
    (2, 3, 1, 4),
    (3, 2, 2, 4),
    (4, 6, 2, 8),
    (5, 1, 1, 7),
    (6, 4, 1, 8),
    (6, 4, 2, 9),
    (6, 6, 2, 9),
])
def test_rula_table_b_cells(neck: int, trunk: int, legs: int, expected: int) -> None:
    assert erg.rula_table_b(neck, trunk, legs) == expected


@pytest.mark.parametrize(("a", "b", "expected"), [
    (1, 1, 1), (2, 1, 2), (1, 7, 5), (3, 7, 6), (4, 4, 4), (5, 5, 6),
    (6, 3, 5), (8, 7, 7), (8, 1, 5),
    (9, 1, 5), (12, 10, 7),  # 8+ row and 7+ column
])
def test_rula_table_c_cells(a: int, b: int, expected: int) -> None:
    assert erg.rula_table_c(a, b) == expected


def test_rula_table_lookup_rejects_scores_the_table_lacks() -> None:
    with pytest.raises(ValueError, match="upper arm score must be an integer from 1 to 6"):
        erg.rula_table_a(7, 1, 1, 1)
    with pytest.raises(ValueError, match="legs score"):
        erg.rula_table_b(1, 1, 3)


@pytest.mark.parametrize(("deg", "score"), [
    (-20.01, 2), (-20, 1), (0, 1), (20, 1), (20.01, 2), (45, 2), (45.01, 3),
    (90, 3), (90.01, 4), (170, 4), (-60, 2),
])
def test_upper_arm_band_edges(deg: float, score: int) -> None:
    assert erg.upper_arm_base_score(deg) == score


def test_upper_arm_adjustments_are_clamped() -> None:
    assert erg.upper_arm_score(0, False, False, arm_supported=True) == 1  # 1 - 1 -> 1
    assert erg.upper_arm_score(120, True, True, False) == 6
    assert erg.upper_arm_score(120, True, True, True) == 5
    assert erg.upper_arm_score(30, True, False, False) == 3


@pytest.mark.parametrize(("deg", "score"), [
    (0, 2), (59.99, 2), (60, 1), (80, 1), (100, 1), (100.01, 2), (150, 2),
])
def test_lower_arm_band_edges(deg: float, score: int) -> None:
    assert erg.lower_arm_base_score(deg) == score


@pytest.mark.parametrize(("deg", "score"), [
    (-0.01, 4), (-30, 4), (0, 1), (10, 1), (10.01, 2), (20, 2), (20.01, 3), (60, 3),
])
def test_rula_neck_band_edges(deg: float, score: int) -> None:
    assert erg.rula_neck_base_score(deg) == score


@pytest.mark.parametrize(("deg", "supported", "score"), [
    (-10, False, 1), (0, False, 1), (0.01, False, 2), (20, False, 2), (20.01, False, 3),
    (60, False, 3), (60.01, False, 4), (90, False, 4), (10, True, 1),
])
def test_rula_trunk_band_edges(deg: float, supported: bool, score: int) -> None:
    assert erg.rula_trunk_base_score(deg, supported) == score


def test_rula_worked_example() -> None:
    # UA 30 deg -> 2; elbow 120 -> LA 2; wrist 1/twist 1 -> Table A [2,2,1,1] = 3.
    # Neck 15 -> 2; trunk 30 -> 3; legs supported 1 -> Table B [2,3,1] = 4.
    # No muscle use/force: A=3, B=4 -> Table C [3,4] = 4 -> action level 2.
    r = rula_score(RulaInputs(upper_arm_flex_deg=30, lower_arm_flex_deg=120,
                              neck_flex_deg=15, trunk_flex_deg=30))
    assert r is not None
    assert (r.upper_arm, r.lower_arm, r.wrist, r.neck, r.trunk, r.legs) == (2, 2, 1, 2, 3, 1)
    assert (r.score_a, r.score_b, r.grand_score) == (3, 4, 4)
    assert (r.action_level, r.action_text) == (2, "investigate further")


def test_rula_muscle_use_and_force_add_to_both_groups() -> None:
    # Same posture + static (+1) + force 2 (+2): A=6, B=7 -> Table C [6,7] = 7.
    r = rula_score(RulaInputs(upper_arm_flex_deg=30, lower_arm_flex_deg=120,
                              neck_flex_deg=15, trunk_flex_deg=30,
                              static_or_repeated=True, force_score=2))
    assert r is not None
    assert (r.posture_a, r.posture_b) == (3, 4)
    assert (r.score_a, r.score_b, r.grand_score) == (6, 7, 7)
    assert (r.action_level, r.action_text) == (4, "investigate and change now")


def test_rula_relaxed_posture_is_acceptable() -> None:
    r = rula_score(RulaInputs(upper_arm_flex_deg=5, lower_arm_flex_deg=80,
                              neck_flex_deg=5, trunk_flex_deg=0))
    assert r is not None
    assert r.grand_score == 1
    assert (r.action_level, r.action_text) == (1, "acceptable")


def test_rula_worst_posture_clamps_into_the_tables() -> None:
    r = rula_score(RulaInputs(
        upper_arm_flex_deg=130, lower_arm_flex_deg=10, neck_flex_deg=-10, trunk_flex_deg=80,
        upper_arm_abducted=True, shoulder_raised=True, lower_arm_across_or_out=True,
        wrist_score=3, wrist_deviated=True, wrist_twist=2, neck_twisted=True,
        neck_side_bent=True, trunk_twisted=True, trunk_side_bent=True, legs_supported=False,
        static_or_repeated=True, force_score=3))
    assert r is not None
    assert (r.upper_arm, r.lower_arm, r.wrist, r.neck, r.trunk, r.legs) == (6, 3, 4, 6, 6, 2)
    assert (r.posture_a, r.posture_b) == (9, 9)
    assert (r.score_a, r.score_b) == (13, 13)
    assert r.grand_score == 7 and r.action_level == 4


@pytest.mark.parametrize("field", ["upper_arm_flex_deg", "lower_arm_flex_deg",
                                   "neck_flex_deg", "trunk_flex_deg"])
@pytest.mark.parametrize("missing", [None, float("nan"), float("inf")])
def test_rula_missing_angle_gives_none(field: str, missing: float | None) -> None:
    base = RulaInputs(upper_arm_flex_deg=30, lower_arm_flex_deg=90, neck_flex_deg=10,
                      trunk_flex_deg=10)
    assert rula_score(base) is not None
    assert rula_score(dataclasses.replace(base, **_kw(field, missing))) is None


@pytest.mark.parametrize(("field", "value"), [
    ("wrist_score", 0), ("wrist_score", 4), ("wrist_twist", 3), ("force_score", -1),
    ("force_score", 4), ("force_score", True),
])
def test_rula_rejects_out_of_range_user_scores(field: str, value: int) -> None:
    with pytest.raises(ValueError, match=field):
        RulaInputs(upper_arm_flex_deg=0, lower_arm_flex_deg=90, neck_flex_deg=0,
                   trunk_flex_deg=0, **_kw(field, value))


rula_inputs = st.builds(
    RulaInputs,
    upper_arm_flex_deg=finite_angle, lower_arm_flex_deg=finite_angle,
    neck_flex_deg=finite_angle, trunk_flex_deg=finite_angle,
    upper_arm_abducted=st.booleans(), shoulder_raised=st.booleans(),
    arm_supported=st.booleans(), lower_arm_across_or_out=st.booleans(),
    wrist_score=st.integers(1, 3), wrist_deviated=st.booleans(), wrist_twist=st.integers(1, 2),
    neck_twisted=st.booleans(), neck_side_bent=st.booleans(),
    trunk_supported_sitting=st.booleans(), trunk_twisted=st.booleans(),
    trunk_side_bent=st.booleans(), legs_supported=st.booleans(),
    static_or_repeated=st.booleans(), force_score=st.integers(0, 3),
)


@given(rula_inputs)
def test_rula_scores_stay_in_range(inputs: RulaInputs) -> None:
    r = rula_score(inputs)
    assert r is not None
    assert 1 <= r.grand_score <= 7
    assert r.action_level == {1: 1, 2: 1, 3: 2, 4: 2, 5: 3, 6: 3, 7: 4}[r.grand_score]
    assert 1 <= r.upper_arm <= 6 and 1 <= r.lower_arm <= 3 and 1 <= r.wrist <= 4
    assert 1 <= r.neck <= 6 and 1 <= r.trunk <= 6 and r.legs in (1, 2)
    assert r.score_a >= r.posture_a and r.score_b >= r.posture_b


@given(rula_inputs, finite_angle, finite_angle)
def test_more_trunk_flexion_never_lowers_rula(inputs: RulaInputs, t1: float,
                                               t2: float) -> None:
    lo, hi = sorted((t1, t2))
    r_lo = rula_score(dataclasses.replace(inputs, trunk_flex_deg=lo))
    r_hi = rula_score(dataclasses.replace(inputs, trunk_flex_deg=hi))
    assert r_lo is not None and r_hi is not None
    assert r_hi.trunk >= r_lo.trunk
    assert r_hi.grand_score >= r_lo.grand_score


@given(flexion, flexion)
def test_more_neck_flexion_never_lowers_rula_neck(n1: float, n2: float) -> None:
    lo, hi = sorted((n1, n2))
    assert erg.rula_neck_base_score(hi) >= erg.rula_neck_base_score(lo)


# ----------------------------------------------------------------------------- REBA


@pytest.mark.parametrize(("trunk", "neck", "legs", "expected"), [
    (1, 1, 1, 1), (1, 2, 1, 1), (1, 3, 1, 3), (1, 3, 4, 6), (2, 2, 3, 5),
    (3, 1, 2, 4), (3, 2, 1, 4), (4, 1, 2, 5), (4, 3, 4, 9), (5, 3, 3, 9), (5, 3, 4, 9),
    (5, 1, 1, 4),
])
def test_reba_table_a_cells(trunk: int, neck: int, legs: int, expected: int) -> None:
    assert erg.reba_table_a(trunk, neck, legs) == expected


@pytest.mark.parametrize(("ua", "la", "wrist", "expected"), [
    (1, 1, 1, 1), (1, 2, 1, 1), (1, 2, 3, 3), (2, 2, 2, 3), (3, 1, 3, 5),
    (4, 2, 3, 7), (5, 1, 1, 6), (6, 2, 3, 9), (6, 1, 3, 8),
])
def test_reba_table_b_cells(ua: int, la: int, wrist: int, expected: int) -> None:
    assert erg.reba_table_b(ua, la, wrist) == expected


@pytest.mark.parametrize(("a", "b", "expected"), [
    (1, 1, 1), (1, 12, 7), (2, 12, 8), (4, 10, 9), (5, 2, 4), (6, 1, 6), (6, 9, 10),
    (7, 10, 11), (8, 5, 10), (11, 4, 11), (11, 5, 12), (12, 1, 12),
])
def test_reba_table_c_cells(a: int, b: int, expected: int) -> None:
    assert erg.reba_table_c(a, b) == expected


@pytest.mark.parametrize(("deg", "score"), [
    (0, 1), (0.01, 2), (-0.01, 2), (-20, 2), (-20.01, 3), (20, 2), (20.01, 3),
    (60, 3), (60.01, 4), (100, 4),
])
def test_reba_trunk_band_edges(deg: float, score: int) -> None:
    assert erg.reba_trunk_base_score(deg) == score


@pytest.mark.parametrize(("deg", "score"), [(0, 1), (20, 1), (20.01, 2), (-0.01, 2), (45, 2)])
def test_reba_neck_band_edges(deg: float, score: int) -> None:
    assert erg.reba_neck_base_score(deg) == score


@pytest.mark.parametrize(("deg", "adj"), [(0, 0), (29.99, 0), (30, 1), (60, 1), (60.01, 2)])
def test_reba_knee_adjustment_edges(deg: float, adj: int) -> None:
    assert erg.reba_knee_adjustment(deg) == adj


@pytest.mark.parametrize(("kg", "shock", "score"), [
    (0, False, 0), (4.99, False, 0), (5, False, 1), (10, False, 1), (10.01, False, 2),
    (4, True, 1), (20, True, 3),
])
def test_reba_load_score_edges(kg: float, shock: bool, score: int) -> None:
    assert erg.reba_load_score(kg, shock) == score


@pytest.mark.parametrize(("final", "risk"), [
    (1, "negligible"), (2, "low"), (3, "low"), (4, "medium"), (7, "medium"),
    (8, "high"), (10, "high"), (11, "very high"), (15, "very high"),
])
def test_reba_risk_bands(final: int, risk: str) -> None:
    assert erg.reba_risk(final) == risk


def test_reba_worked_example() -> None:
    # Trunk 30 -> 3; neck 15 -> 1; both feet + knee 40 -> legs 1+1 = 2.
    # Table A [3,1,2] = 4; load 7 kg -> +1 -> score A 5.
    # UA 30 -> 2; elbow 120 -> LA 2; wrist 1 -> Table B [2,2,1] = 2; coupling 0 -> B 2.
    # Table C [5,2] = 4; activity 0 -> final 4 -> medium.
    r = reba_score(RebaInputs(trunk_flex_deg=30, neck_flex_deg=15, knee_flex_deg=40,
                              upper_arm_flex_deg=30, lower_arm_flex_deg=120, load_kg=7))
    assert r is not None
    assert (r.trunk, r.neck, r.legs, r.load) == (3, 1, 2, 1)
    assert (r.upper_arm, r.lower_arm, r.wrist) == (2, 2, 1)
    assert (r.score_a, r.score_b, r.score_c, r.final, r.risk) == (5, 2, 4, 4, "medium")


def test_reba_activity_and_coupling_are_added() -> None:
    # Trunk 70 + twist -> 5; neck -5 (ext) -> 2; one leg + knee 90 -> 4: Table A [5,2,4] = 9.
    # Load 12 kg + shock -> 3 -> A 12. UA 100 abducted -> 5; LA 2; wrist 2 -> Table B
    # [5,2,2] = 8; coupling 2 -> B 10. Table C [12,10] = 12; activity 2 -> final 14.
    r = reba_score(RebaInputs(
        trunk_flex_deg=70, neck_flex_deg=-5, knee_flex_deg=90, upper_arm_flex_deg=100,
        lower_arm_flex_deg=30, load_kg=12, trunk_twisted_or_side_bent=True,
        legs_bilateral_support=False, shock=True, upper_arm_abducted=True, wrist_score=2,
        coupling_score=2, activity_score=2))
    assert r is not None
    assert (r.trunk, r.neck, r.legs, r.load, r.upper_arm, r.lower_arm, r.wrist) == \
        (5, 2, 4, 3, 5, 2, 2)
    assert (r.score_a, r.score_b, r.score_c, r.final, r.risk) == (12, 10, 12, 14, "very high")


def test_reba_upright_relaxed_is_negligible() -> None:
    r = reba_score(RebaInputs(trunk_flex_deg=0, neck_flex_deg=5, knee_flex_deg=0,
                              upper_arm_flex_deg=0, lower_arm_flex_deg=80))
    assert r is not None
    assert (r.final, r.risk) == (1, "negligible")


@pytest.mark.parametrize("field", ["trunk_flex_deg", "neck_flex_deg", "knee_flex_deg",
                                   "upper_arm_flex_deg", "lower_arm_flex_deg"])
@pytest.mark.parametrize("missing", [None, float("nan")])
def test_reba_missing_angle_gives_none(field: str, missing: float | None) -> None:
    base = RebaInputs(trunk_flex_deg=10, neck_flex_deg=10, knee_flex_deg=10,
                      upper_arm_flex_deg=10, lower_arm_flex_deg=90)
    assert reba_score(base) is not None
    assert reba_score(dataclasses.replace(base, **_kw(field, missing))) is None


@pytest.mark.parametrize(("field", "value", "message"), [
    ("load_kg", -1.0, "load_kg must be a weight"),
    ("load_kg", float("nan"), "load_kg must be a weight"),
    ("wrist_score", 3, "wrist_score"),
    ("coupling_score", 4, "coupling_score"),
    ("activity_score", -1, "activity_score"),
])
def test_reba_rejects_bad_user_input(field: str, value: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RebaInputs(trunk_flex_deg=0, neck_flex_deg=0, knee_flex_deg=0, upper_arm_flex_deg=0,
                   lower_arm_flex_deg=90, **_kw(field, value))


reba_inputs = st.builds(
    RebaInputs,
    trunk_flex_deg=finite_angle, neck_flex_deg=finite_angle, knee_flex_deg=flexion,
    upper_arm_flex_deg=finite_angle, lower_arm_flex_deg=finite_angle,
    load_kg=st.floats(0, 50), trunk_twisted_or_side_bent=st.booleans(),
    neck_twisted_or_side_bent=st.booleans(), legs_bilateral_support=st.booleans(),
    shock=st.booleans(), upper_arm_abducted=st.booleans(), shoulder_raised=st.booleans(),
    arm_supported=st.booleans(), wrist_score=st.integers(1, 2), wrist_deviated=st.booleans(),
    coupling_score=st.integers(0, 3), activity_score=st.integers(0, 3),
)


@given(reba_inputs)
def test_reba_scores_stay_in_range(inputs: RebaInputs) -> None:
    r = reba_score(inputs)
    assert r is not None
    assert 1 <= r.final <= 15
    assert 1 <= r.score_a <= 12 and 1 <= r.score_b <= 12 and 1 <= r.score_c <= 12
    assert 1 <= r.trunk <= 5 and 1 <= r.neck <= 3 and 1 <= r.legs <= 4
    assert r.final == r.score_c + inputs.activity_score
    assert r.risk == erg.reba_risk(r.final)


@given(reba_inputs, flexion, flexion)
def test_more_trunk_flexion_never_lowers_reba(inputs: RebaInputs, t1: float,
                                               t2: float) -> None:
    lo, hi = sorted((t1, t2))
    r_lo = reba_score(dataclasses.replace(inputs, trunk_flex_deg=lo))
    r_hi = reba_score(dataclasses.replace(inputs, trunk_flex_deg=hi))
    assert r_lo is not None and r_hi is not None
    assert r_hi.trunk >= r_lo.trunk
    assert r_hi.final >= r_lo.final


@given(flexion, flexion)
def test_more_knee_flexion_never_lowers_reba_legs(k1: float, k2: float) -> None:
    lo, hi = sorted((k1, k2))
    assert erg.reba_knee_adjustment(hi) >= erg.reba_knee_adjustment(lo)


# ----------------------------------------------------------------------------- tables


@pytest.mark.parametrize("table", [
    erg.RULA_TABLE_A, erg.RULA_TABLE_B, erg.RULA_TABLE_C,
    erg.REBA_TABLE_A, erg.REBA_TABLE_B, erg.REBA_TABLE_C, erg.FM_TABLE,
])
def test_tables_are_read_only(table: np.ndarray) -> None:
    assert not table.flags.writeable
    with pytest.raises(ValueError):
        table.flat[0] = 0


@pytest.mark.parametrize("table", [
    erg.RULA_TABLE_A, erg.RULA_TABLE_B, erg.RULA_TABLE_C,
    erg.REBA_TABLE_A, erg.REBA_TABLE_B, erg.REBA_TABLE_C,
])
def test_score_tables_never_fall_along_any_axis(table: np.ndarray) -> None:
    # A worse part score must never give a better group score: this is what makes
    # the monotonicity properties above hold, and catches a mistyped cell.
    for axis in range(table.ndim):
        assert (np.diff(table.astype(int), axis=axis) >= 0).all()


def test_fm_table_never_rises_with_frequency_or_duration() -> None:
    assert (np.diff(erg.FM_TABLE, axis=0) <= 0).all()
    assert (np.diff(erg.FM_TABLE, axis=1) <= 0).all()
    assert erg.FM_TABLE.shape == (17, 3, 2)
