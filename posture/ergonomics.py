"""Ergonomic risk scores: NIOSH lifting equation, RULA and REBA.

Pure functions over plain numbers, no state and no I/O, so the live coach, the
offline report and the tests all share one implementation. Every constant and
table is copied from ``docs/clinical-criteria.md`` (sections 3-5), which cites:

* NIOSH Revised Lifting Equation - Waters, Putz-Anderson & Garg, *Applications
  Manual for the Revised NIOSH Lifting Equation*, DHHS (NIOSH) Pub. No. 94-110.
* RULA - McAtamney & Corlett 1993, Applied Ergonomics 24(2):91-99.
* REBA - Hignett & McAtamney 2000, Applied Ergonomics 31(2):201-205.

Some public copies of these tables differ by a cell; the doc's tables are used.

Missing measurements: the pose pipeline yields ``None``/NaN when a landmark is
not visible. NIOSH turns a missing H/V/D/A/F into a NaN multiplier (hence NaN
RWL); RULA/REBA return ``None`` instead of a made-up score. Bad *user* input
(negative load, unknown coupling, out-of-range scores) raises ``ValueError``.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int8]
FloatArray = npt.NDArray[np.float64]

Coupling = Literal["good", "fair", "poor"]
LiBand = Literal["acceptable", "increased", "high", "unknown"]
RebaRisk = Literal["negligible", "low", "medium", "high", "very high"]

NAN = float("nan")


def _is_missing(x: float | None) -> bool:
    """True for a measurement the pose pipeline could not produce (None or NaN)."""
    return x is None or math.isnan(x)


def _bad_angle(x: float | None) -> bool:
    """An angle that cannot be banded: missing, NaN or infinite."""
    return x is None or not math.isfinite(x)


def _readonly(rows: object, shape: tuple[int, ...]) -> IntArray:
    """Build a score table exactly as typed from the doc and make it immutable."""
    arr = np.array(rows, dtype=np.int8).reshape(shape)
    arr.setflags(write=False)
    return arr


def _check_int(name: str, value: int, lo: int, hi: int) -> None:
    """Reject a user-entered score outside the method's range (bools are not scores)."""
    if type(value) is int and lo <= value <= hi:  # the per-frame case, first and cheap
        return
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValueError(f"{name} must be an integer from {lo} to {hi}, got {value!r}.")


# ---------------------------------------------------------------------------
# NIOSH Revised Lifting Equation (NIOSH Pub. 94-110; doc section 3)
# ---------------------------------------------------------------------------

LOAD_CONSTANT_KG = 23.0  # LC, NIOSH Pub. 94-110
H_MIN_CM, H_MAX_CM = 25.0, 63.0  # HM = 25/H; H <= 25 -> 1; H > 63 -> 0
V_OPTIMUM_CM, V_MAX_CM = 75.0, 175.0  # VM = 1 - 0.003 |V - 75|; V > 175 -> 0
VM_SLOPE_PER_CM = 0.003
D_MIN_CM, D_MAX_CM = 25.0, 175.0  # DM = 0.82 + 4.5/D; D <= 25 -> 1; D > 175 -> 0
DM_INTERCEPT, DM_NUMERATOR_CM = 0.82, 4.5
A_MAX_DEG = 135.0  # AM = 1 - 0.0032 A; A > 135 -> 0
AM_SLOPE_PER_DEG = 0.0032
MAX_DURATION_H = 8.0  # the FM table covers work durations up to 8 h
LI_ACCEPTABLE, LI_HIGH = 1.0, 3.0  # LI <= 1 acceptable, > 1 increased, > 3 high

# CM: good 1.00; fair 0.95 if V < 75 cm else 1.00; poor 0.90 -> (V < 75, V >= 75)
COUPLING_MULTIPLIERS: dict[str, tuple[float, float]] = {
    "good": (1.00, 1.00),
    "fair": (0.95, 1.00),
    "poor": (0.90, 0.90),
}

# FM table rows (lifts/min) and cells [row, duration (<=1 h, 1-2 h, 2-8 h), V (<75, >=75 cm)].
FM_FREQUENCIES_PER_MIN: tuple[float, ...] = (
    0.2, 0.5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
)
FM_TABLE: FloatArray = np.array(
    [
        # <=1 h        1-2 h        2-8 h         freq
        [1.00, 1.00, 0.95, 0.95, 0.85, 0.85],  # 0.2
        [0.97, 0.97, 0.92, 0.92, 0.81, 0.81],  # 0.5
        [0.94, 0.94, 0.88, 0.88, 0.75, 0.75],  # 1
        [0.91, 0.91, 0.84, 0.84, 0.65, 0.65],  # 2
        [0.88, 0.88, 0.79, 0.79, 0.55, 0.55],  # 3
        [0.84, 0.84, 0.72, 0.72, 0.45, 0.45],  # 4
        [0.80, 0.80, 0.60, 0.60, 0.35, 0.35],  # 5
        [0.75, 0.75, 0.50, 0.50, 0.27, 0.27],  # 6
        [0.70, 0.70, 0.42, 0.42, 0.22, 0.22],  # 7
        [0.60, 0.60, 0.35, 0.35, 0.18, 0.18],  # 8
        [0.52, 0.52, 0.30, 0.30, 0.00, 0.15],  # 9
        [0.45, 0.45, 0.26, 0.26, 0.00, 0.13],  # 10
        [0.41, 0.41, 0.00, 0.23, 0.00, 0.00],  # 11
        [0.37, 0.37, 0.00, 0.21, 0.00, 0.00],  # 12
        [0.00, 0.34, 0.00, 0.00, 0.00, 0.00],  # 13
        [0.00, 0.31, 0.00, 0.00, 0.00, 0.00],  # 14
        [0.00, 0.28, 0.00, 0.00, 0.00, 0.00],  # 15
    ],
    dtype=np.float64,
).reshape(len(FM_FREQUENCIES_PER_MIN), 3, 2)
FM_TABLE.setflags(write=False)


def horizontal_multiplier(h_cm: float | None) -> float:
    """HM = 25/H: a load held farther from the ankles loads the spine more."""
    if _is_missing(h_cm):
        return NAN
    assert h_cm is not None
    if h_cm < 0:
        raise ValueError(f"Horizontal distance H must be >= 0 cm, got {h_cm}.")
    if h_cm > H_MAX_CM:
        return 0.0
    return 1.0 if h_cm <= H_MIN_CM else H_MIN_CM / h_cm


def vertical_multiplier(v_cm: float | None) -> float:
    """VM = 1 - 0.003|V - 75|: knuckle height is best, floor and overhead are worse."""
    if _is_missing(v_cm):
        return NAN
    assert v_cm is not None
    if v_cm < 0:
        raise ValueError(f"Vertical hand height V must be >= 0 cm above the floor, got {v_cm}.")
    if v_cm > V_MAX_CM:
        return 0.0
    return 1.0 - VM_SLOPE_PER_CM * abs(v_cm - V_OPTIMUM_CM)


def distance_multiplier(d_cm: float | None) -> float:
    """DM = 0.82 + 4.5/D: longer vertical travel costs more.

    D is the vertical travel distance |V_destination - V_origin|, so a signed
    difference is accepted and its magnitude used.
    """
    if _is_missing(d_cm):
        return NAN
    assert d_cm is not None
    d = abs(d_cm)
    if d > D_MAX_CM:
        return 0.0
    return 1.0 if d <= D_MIN_CM else DM_INTERCEPT + DM_NUMERATOR_CM / d


def asymmetric_multiplier(a_deg: float | None) -> float:
    """AM = 1 - 0.0032 A: twisting during the lift. Left/right twist count alike (|A|)."""
    if _is_missing(a_deg):
        return NAN
    assert a_deg is not None
    a = abs(a_deg)
    if a > A_MAX_DEG:
        return 0.0
    return 1.0 - AM_SLOPE_PER_DEG * a


def duration_category(duration_h: float) -> int:
    """Map work duration in hours to the FM column: 0 (<=1 h), 1 (1-2 h), 2 (2-8 h)."""
    if math.isnan(duration_h) or duration_h < 0:
        raise ValueError(f"Lifting duration must be a number of hours >= 0, got {duration_h}.")
    if duration_h > MAX_DURATION_H:
        raise ValueError(
            f"The NIOSH frequency table covers up to {MAX_DURATION_H:g} h of lifting, "
            f"got {duration_h} h."
        )
    if duration_h <= 1.0:
        return 0
    return 1 if duration_h <= 2.0 else 2


def frequency_multiplier(freq_per_min: float | None, duration_h: float,
                         v_cm: float | None) -> float:
    """FM from the NIOSH table (Pub. 94-110), looked up exactly, never interpolated.

    * freq < 0.2/min uses the 0.2 row (the table's floor).
    * freq between rows uses the next *higher* tabulated row. FM never rises
      with frequency, so this is the conservative choice (never overstates RWL).
    * freq > 15/min gives 0.
    * The V < 75 / V >= 75 cm pair matters only in the high-frequency cells; a
      missing V gives NaN there (and the common value where the pair agrees).
    """
    col = duration_category(duration_h)
    if _is_missing(freq_per_min):
        return NAN
    assert freq_per_min is not None
    if freq_per_min < 0:
        raise ValueError(f"Lifting frequency must be >= 0 lifts/min, got {freq_per_min}.")
    if freq_per_min > FM_FREQUENCIES_PER_MIN[-1]:
        return 0.0
    row = bisect_left(FM_FREQUENCIES_PER_MIN, freq_per_min)
    low_v, high_v = (float(x) for x in FM_TABLE[row, col])
    if _is_missing(v_cm):
        return low_v if low_v == high_v else NAN
    assert v_cm is not None
    return low_v if v_cm < V_OPTIMUM_CM else high_v


def coupling_multiplier(coupling: Coupling, v_cm: float | None) -> float:
    """CM: how well the hands can grip the load (fair depends on V < 75 cm)."""
    if coupling not in COUPLING_MULTIPLIERS:
        raise ValueError(f"Coupling must be 'good', 'fair' or 'poor', got {coupling!r}.")
    low_v, high_v = COUPLING_MULTIPLIERS[coupling]
    if _is_missing(v_cm):
        return low_v if low_v == high_v else NAN
    assert v_cm is not None
    return low_v if v_cm < V_OPTIMUM_CM else high_v


def lifting_index(load_kg: float, rwl_kg: float) -> float:
    """LI = load / RWL; > 1 means the load exceeds what nearly all workers can lift safely."""
    if math.isnan(load_kg) or load_kg < 0:
        raise ValueError(f"Load must be a weight in kg >= 0, got {load_kg}.")
    if math.isnan(rwl_kg):
        return NAN
    if rwl_kg < 0:
        raise ValueError(f"RWL cannot be negative, got {rwl_kg}.")
    if load_kg == 0:
        return 0.0
    return math.inf if rwl_kg == 0 else load_kg / rwl_kg


def li_band(li: float) -> LiBand:
    """Band an LI: <= 1 acceptable, > 1 increased, > 3 high; NaN (not measurable) -> unknown."""
    if math.isnan(li):
        return "unknown"
    if li < 0:
        raise ValueError(f"A lifting index cannot be negative, got {li}.")
    if li <= LI_ACCEPTABLE:
        return "acceptable"
    return "increased" if li <= LI_HIGH else "high"


@dataclass(frozen=True)
class NioshMultipliers:
    """The six task multipliers of the revised lifting equation (each in [0, 1] or NaN)."""

    hm: float
    vm: float
    dm: float
    am: float
    fm: float
    cm: float

    @property
    def product(self) -> float:
        return self.hm * self.vm * self.dm * self.am * self.fm * self.cm


@dataclass(frozen=True)
class NioshResult:
    """Recommended weight limit with the multipliers that produced it (for explanations)."""

    rwl_kg: float
    hm: float
    vm: float
    dm: float
    am: float
    fm: float
    cm: float

    def lifting_index(self, load_kg: float) -> float:
        """LI for this task and the given load (see module-level ``lifting_index``)."""
        return lifting_index(load_kg, self.rwl_kg)


def niosh_multipliers(h_cm: float | None, v_cm: float | None, d_cm: float | None,
                      a_deg: float | None, freq_per_min: float | None, duration_h: float,
                      coupling: Coupling) -> NioshMultipliers:
    """All six multipliers; a missing H/V/D/A/F makes its multiplier NaN."""
    return NioshMultipliers(
        hm=horizontal_multiplier(h_cm),
        vm=vertical_multiplier(v_cm),
        dm=distance_multiplier(d_cm),
        am=asymmetric_multiplier(a_deg),
        fm=frequency_multiplier(freq_per_min, duration_h, v_cm),
        cm=coupling_multiplier(coupling, v_cm),
    )


def niosh_rwl(h_cm: float | None, v_cm: float | None, d_cm: float | None,
              a_deg: float | None, freq_per_min: float | None, duration_h: float,
              coupling: Coupling) -> NioshResult:
    """RWL = 23 kg x HM x VM x DM x AM x FM x CM (NIOSH Pub. 94-110); NaN if an input is missing."""
    m = niosh_multipliers(h_cm, v_cm, d_cm, a_deg, freq_per_min, duration_h, coupling)
    return NioshResult(rwl_kg=LOAD_CONSTANT_KG * m.product,
                       hm=m.hm, vm=m.vm, dm=m.dm, am=m.am, fm=m.fm, cm=m.cm)


# ---------------------------------------------------------------------------
# Shared RULA/REBA part scores (McAtamney & Corlett 1993; Hignett & McAtamney 2000)
# Band edges are inclusive at the upper end of the lower band: exactly 20 deg of
# upper-arm flexion is still band 1 ("-20...20").
# ---------------------------------------------------------------------------

UPPER_ARM_EDGES_DEG = (20.0, 45.0, 90.0)  # 1: -20..20, 2: >20 ext or 20-45, 3: 45-90, 4: >90
LOWER_ARM_NEUTRAL_DEG = (60.0, 100.0)  # elbow flexion 60-100 -> 1, else 2


def upper_arm_base_score(flex_deg: float) -> int:
    """Upper-arm posture score 1-4 from flexion (negative = extension); RULA and REBA alike."""
    ext_or_flex_limit, moderate, high = UPPER_ARM_EDGES_DEG
    if flex_deg < -ext_or_flex_limit:
        return 2
    if flex_deg <= ext_or_flex_limit:
        return 1
    if flex_deg <= moderate:
        return 2
    return 3 if flex_deg <= high else 4


def upper_arm_score(flex_deg: float, shoulder_raised: bool, abducted: bool,
                    arm_supported: bool) -> int:
    """Upper-arm score with +1 raised, +1 abducted, -1 supported, clamped to the tables' 1-6."""
    score = upper_arm_base_score(flex_deg) + int(shoulder_raised) + int(abducted)
    return _clamp(score - int(arm_supported), 1, 6)


def lower_arm_base_score(elbow_flex_deg: float) -> int:
    """Lower-arm score: 1 for 60-100 deg elbow flexion, else 2 (RULA and REBA)."""
    lo, hi = LOWER_ARM_NEUTRAL_DEG
    return 1 if lo <= elbow_flex_deg <= hi else 2


def _clamp(x: int, lo: int, hi: int) -> int:
    return max(lo, min(hi, x))


# ---------------------------------------------------------------------------
# RULA (McAtamney & Corlett 1993; doc section 4)
# ---------------------------------------------------------------------------

RULA_NECK_EDGES_DEG = (10.0, 20.0)  # 1: 0-10, 2: 10-20, 3: >20, 4: extension
RULA_TRUNK_EDGES_DEG = (0.0, 20.0, 60.0)  # 1: upright/supported, 2: 0-20, 3: 20-60, 4: >60

# Table A [upper arm 1-6, lower arm 1-3, wrist 1-4, wrist twist 1-2].
RULA_TABLE_A: IntArray = _readonly([
    # LA 1                     LA 2                      LA 3
    [1, 2, 2, 2, 2, 3, 3, 3,  2, 2, 2, 2, 3, 3, 3, 3,  2, 3, 3, 3, 3, 3, 4, 4],  # UA 1
    [2, 3, 3, 3, 3, 4, 4, 4,  3, 3, 3, 3, 3, 4, 4, 4,  3, 4, 4, 4, 4, 4, 5, 5],  # UA 2
    [3, 3, 4, 4, 4, 4, 5, 5,  3, 4, 4, 4, 4, 4, 5, 5,  4, 4, 4, 4, 4, 5, 5, 5],  # UA 3
    [4, 4, 4, 4, 4, 5, 5, 5,  4, 4, 4, 4, 4, 5, 5, 5,  4, 4, 4, 5, 5, 5, 6, 6],  # UA 4
    [5, 5, 5, 5, 5, 6, 6, 7,  5, 6, 6, 6, 6, 7, 7, 7,  6, 6, 6, 7, 7, 7, 7, 8],  # UA 5
    [7, 7, 7, 7, 7, 8, 8, 9,  8, 8, 8, 8, 8, 9, 9, 9,  9, 9, 9, 9, 9, 9, 9, 9],  # UA 6
], (6, 3, 4, 2))

# Table B [neck 1-6, trunk 1-6, legs 1-2].
RULA_TABLE_B: IntArray = _readonly([
    [1, 3, 2, 3, 3, 4, 5, 5, 6, 6, 7, 7],  # neck 1
    [2, 3, 2, 3, 4, 5, 5, 5, 6, 7, 7, 7],  # neck 2
    [3, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 7],  # neck 3
    [5, 5, 5, 6, 6, 7, 7, 7, 7, 7, 8, 8],  # neck 4
    [7, 7, 7, 7, 7, 8, 8, 8, 8, 8, 8, 8],  # neck 5
    [8, 8, 8, 8, 8, 8, 8, 9, 9, 9, 9, 9],  # neck 6
], (6, 6, 2))

# Table C [score A 1-8+, score B 1-7+].
RULA_TABLE_C: IntArray = _readonly([
    [1, 2, 3, 3, 4, 5, 5],
    [2, 2, 3, 4, 4, 5, 5],
    [3, 3, 3, 4, 4, 5, 6],
    [3, 3, 3, 4, 5, 6, 6],
    [4, 4, 4, 5, 6, 7, 7],
    [4, 4, 5, 6, 6, 7, 7],
    [5, 5, 6, 6, 7, 7, 7],
    [5, 5, 6, 7, 7, 7, 7],
], (8, 7))

# Action levels by grand score 1..7 (index 0 unused): 1-2, 3-4, 5-6, 7.
RULA_ACTION_LEVEL: tuple[int, ...] = (0, 1, 1, 2, 2, 3, 3, 4)
RULA_ACTION_TEXT: dict[int, str] = {
    1: "acceptable",
    2: "investigate further",
    3: "investigate and change soon",
    4: "investigate and change now",
}


def _table_index(name: str, score: int, size: int) -> int:
    """0-based table index for a 1-based score, refusing scores the table lacks."""
    _check_int(name, score, 1, size)
    return score - 1


def rula_table_a(upper_arm: int, lower_arm: int, wrist: int, wrist_twist: int) -> int:
    """RULA Table A: posture score of the arm and wrist group."""
    s = RULA_TABLE_A.shape
    return int(RULA_TABLE_A[_table_index("upper arm score", upper_arm, s[0]),
                            _table_index("lower arm score", lower_arm, s[1]),
                            _table_index("wrist score", wrist, s[2]),
                            _table_index("wrist twist score", wrist_twist, s[3])])


def rula_table_b(neck: int, trunk: int, legs: int) -> int:
    """RULA Table B: posture score of the neck, trunk and legs group."""
    s = RULA_TABLE_B.shape
    return int(RULA_TABLE_B[_table_index("neck score", neck, s[0]),
                            _table_index("trunk score", trunk, s[1]),
                            _table_index("legs score", legs, s[2])])


def rula_table_c(score_a: int, score_b: int) -> int:
    """RULA Table C: grand score; A >= 8 uses the 8+ row and B >= 7 the 7+ column."""
    _check_int("RULA score A", score_a, 1, 99)
    _check_int("RULA score B", score_b, 1, 99)
    rows, cols = RULA_TABLE_C.shape
    return int(RULA_TABLE_C[min(score_a, rows) - 1, min(score_b, cols) - 1])


def rula_neck_base_score(flex_deg: float) -> int:
    """RULA neck 1 (0-10), 2 (10-20), 3 (>20), 4 (any extension, i.e. negative)."""
    mild, moderate = RULA_NECK_EDGES_DEG
    if flex_deg < 0:
        return 4
    if flex_deg <= mild:
        return 1
    return 2 if flex_deg <= moderate else 3


def rula_trunk_base_score(flex_deg: float, supported_sitting: bool = False) -> int:
    """RULA trunk 1 (upright <= 0 deg, or sitting supported), 2 (0-20), 3 (20-60), 4 (>60).

    ``supported_sitting`` asserts the trunk rests on a backrest (hip-trunk angle
    >= 90 deg), which RULA scores 1 whatever the camera reads.
    """
    upright, mild, moderate = RULA_TRUNK_EDGES_DEG
    if supported_sitting or flex_deg <= upright:
        return 1
    if flex_deg <= mild:
        return 2
    return 3 if flex_deg <= moderate else 4


@dataclass(frozen=True)
class RulaInputs:
    """One side's RULA observation. Angles in degrees; None/NaN = not measured.

    The camera cannot see the wrist well, so ``wrist_score`` defaults to 1
    (neutral) and ``wrist_twist`` to 1 (mid-range): an *assumption* that can
    only under-score the wrist; pass observed values when known.
    """

    upper_arm_flex_deg: float | None
    lower_arm_flex_deg: float | None  # elbow flexion, 0 = straight arm
    neck_flex_deg: float | None  # negative = extension
    trunk_flex_deg: float | None  # negative = extension
    upper_arm_abducted: bool = False
    shoulder_raised: bool = False
    arm_supported: bool = False
    lower_arm_across_or_out: bool = False
    wrist_score: int = 1  # 1 neutral, 2 (0-15 deg), 3 (>15 deg); assumed neutral
    wrist_deviated: bool = False
    wrist_twist: int = 1  # 1 mid-range, 2 near end of range
    neck_twisted: bool = False
    neck_side_bent: bool = False
    trunk_supported_sitting: bool = False
    trunk_twisted: bool = False
    trunk_side_bent: bool = False
    legs_supported: bool = True
    static_or_repeated: bool = False  # muscle use: static > 1 min or >= 4/min
    force_score: int = 0  # 0 (<2 kg), 1 (2-10 kg interm.), 2 (2-10 kg static/rep.), 3 (>10 kg)

    def __post_init__(self) -> None:
        _check_int("RULA wrist_score", self.wrist_score, 1, 3)
        _check_int("RULA wrist_twist", self.wrist_twist, 1, 2)
        _check_int("RULA force_score", self.force_score, 0, 3)


@dataclass(frozen=True)
class RulaResult:
    """RULA part scores (after adjustments), group scores and the action level."""

    upper_arm: int
    lower_arm: int
    wrist: int
    wrist_twist: int
    neck: int
    trunk: int
    legs: int
    posture_a: int  # Table A before muscle use and force
    posture_b: int  # Table B before muscle use and force
    score_a: int
    score_b: int
    grand_score: int
    action_level: int
    action_text: str


def rula_score(inputs: RulaInputs) -> RulaResult | None:
    """Score one RULA observation; None if an angle is missing, so no score is invented."""
    i = inputs
    if any(_bad_angle(a) for a in (i.upper_arm_flex_deg, i.lower_arm_flex_deg,
                                   i.neck_flex_deg, i.trunk_flex_deg)):
        return None
    assert i.upper_arm_flex_deg is not None and i.lower_arm_flex_deg is not None
    assert i.neck_flex_deg is not None and i.trunk_flex_deg is not None

    upper_arm = upper_arm_score(i.upper_arm_flex_deg, i.shoulder_raised,
                                i.upper_arm_abducted, i.arm_supported)
    lower_arm = lower_arm_base_score(i.lower_arm_flex_deg) + int(i.lower_arm_across_or_out)
    wrist = i.wrist_score + int(i.wrist_deviated)
    neck = rula_neck_base_score(i.neck_flex_deg) + int(i.neck_twisted) + int(i.neck_side_bent)
    trunk = (rula_trunk_base_score(i.trunk_flex_deg, i.trunk_supported_sitting)
             + int(i.trunk_twisted) + int(i.trunk_side_bent))
    legs = 1 if i.legs_supported else 2

    posture_a = rula_table_a(upper_arm, lower_arm, wrist, i.wrist_twist)
    posture_b = rula_table_b(neck, trunk, legs)
    extra = int(i.static_or_repeated) + i.force_score  # added to both groups
    score_a, score_b = posture_a + extra, posture_b + extra
    grand = rula_table_c(score_a, score_b)
    level = RULA_ACTION_LEVEL[grand]
    return RulaResult(upper_arm=upper_arm, lower_arm=lower_arm, wrist=wrist,
                      wrist_twist=i.wrist_twist, neck=neck, trunk=trunk, legs=legs,
                      posture_a=posture_a, posture_b=posture_b, score_a=score_a,
                      score_b=score_b, grand_score=grand, action_level=level,
                      action_text=RULA_ACTION_TEXT[level])


# ---------------------------------------------------------------------------
# REBA (Hignett & McAtamney 2000; doc section 5)
# ---------------------------------------------------------------------------

REBA_NECK_FLEX_LIMIT_DEG = 20.0  # 1: 0-20, 2: >20 or extension
REBA_TRUNK_EDGES_DEG = (20.0, 60.0)  # 1 upright, 2: 0-20 flex/ext, 3: 20-60 flex or >20 ext, 4 >60
REBA_KNEE_EDGES_DEG = (30.0, 60.0)  # +1 at 30-60 deg, +2 at >60 deg
REBA_LOAD_EDGES_KG = (5.0, 10.0)  # 0 (<5), 1 (5-10), 2 (>10)

# Table A [trunk 1-5, neck 1-3, legs 1-4].
REBA_TABLE_A: IntArray = _readonly([
    # neck 1      neck 2      neck 3
    [1, 2, 3, 4, 1, 2, 3, 4, 3, 3, 5, 6],  # trunk 1
    [2, 3, 4, 5, 3, 4, 5, 6, 4, 5, 6, 7],  # trunk 2
    [2, 4, 5, 6, 4, 5, 6, 7, 5, 6, 7, 8],  # trunk 3
    [3, 5, 6, 7, 5, 6, 7, 8, 6, 7, 8, 9],  # trunk 4
    [4, 6, 7, 8, 6, 7, 8, 9, 7, 8, 9, 9],  # trunk 5
], (5, 3, 4))

# Table B [upper arm 1-6, lower arm 1-2, wrist 1-3].
REBA_TABLE_B: IntArray = _readonly([
    # LA 1     LA 2
    [1, 2, 2, 1, 2, 3],  # UA 1
    [1, 2, 3, 2, 3, 4],  # UA 2
    [3, 4, 5, 4, 5, 5],  # UA 3
    [4, 5, 5, 5, 6, 7],  # UA 4
    [6, 7, 8, 7, 8, 8],  # UA 5
    [7, 8, 8, 8, 9, 9],  # UA 6
], (6, 2, 3))

# Table C [score A 1-12, score B 1-12].
REBA_TABLE_C: IntArray = _readonly([
    [1, 1, 1, 2, 3, 3, 4, 5, 6, 7, 7, 7],
    [1, 2, 2, 3, 4, 4, 5, 6, 6, 7, 7, 8],
    [2, 3, 3, 3, 4, 5, 6, 7, 7, 8, 8, 8],
    [3, 4, 4, 4, 5, 6, 7, 8, 8, 9, 9, 9],
    [4, 4, 4, 5, 6, 7, 8, 8, 9, 9, 9, 9],
    [6, 6, 6, 7, 8, 8, 9, 9, 10, 10, 10, 10],
    [7, 7, 7, 8, 9, 9, 9, 10, 10, 11, 11, 11],
    [8, 8, 8, 9, 10, 10, 10, 10, 10, 11, 11, 11],
    [9, 9, 9, 10, 10, 10, 11, 11, 11, 12, 12, 12],
    [10, 10, 10, 11, 11, 11, 11, 12, 12, 12, 12, 12],
    [11, 11, 11, 11, 12, 12, 12, 12, 12, 12, 12, 12],
    [12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12],
], (12, 12))

# Risk by final score: 1 negligible; 2-3 low; 4-7 medium; 8-10 high; 11+ very high.
REBA_RISK_BANDS: tuple[tuple[int, RebaRisk], ...] = (
    (1, "negligible"), (3, "low"), (7, "medium"), (10, "high"),
)


def reba_table_a(trunk: int, neck: int, legs: int) -> int:
    """REBA Table A: posture score of the trunk, neck and legs group."""
    s = REBA_TABLE_A.shape
    return int(REBA_TABLE_A[_table_index("trunk score", trunk, s[0]),
                            _table_index("neck score", neck, s[1]),
                            _table_index("legs score", legs, s[2])])


def reba_table_b(upper_arm: int, lower_arm: int, wrist: int) -> int:
    """REBA Table B: posture score of the arm and wrist group."""
    s = REBA_TABLE_B.shape
    return int(REBA_TABLE_B[_table_index("upper arm score", upper_arm, s[0]),
                            _table_index("lower arm score", lower_arm, s[1]),
                            _table_index("wrist score", wrist, s[2])])


def reba_table_c(score_a: int, score_b: int) -> int:
    """REBA Table C: combines score A and score B (each clamped to the table's 12)."""
    _check_int("REBA score A", score_a, 1, 99)
    _check_int("REBA score B", score_b, 1, 99)
    rows, cols = REBA_TABLE_C.shape
    return int(REBA_TABLE_C[min(score_a, rows) - 1, min(score_b, cols) - 1])


def reba_trunk_base_score(flex_deg: float) -> int:
    """REBA trunk 1 (upright, exactly 0 deg), 2 (0-20 flex/ext), 3 (20-60 flex, >20 ext), 4 (>60).

    No dead band is invented around 0 deg: subtract the user's calibrated
    neutral (and round) before calling if a noisy reading should count as upright.
    """
    mild, moderate = REBA_TRUNK_EDGES_DEG
    if flex_deg == 0:
        return 1
    if flex_deg < 0:
        return 2 if flex_deg >= -mild else 3
    if flex_deg <= mild:
        return 2
    return 3 if flex_deg <= moderate else 4


def reba_neck_base_score(flex_deg: float) -> int:
    """REBA neck 1 (0-20 deg flexion), 2 (> 20 deg or any extension)."""
    return 1 if 0 <= flex_deg <= REBA_NECK_FLEX_LIMIT_DEG else 2


def reba_knee_adjustment(knee_flex_deg: float) -> int:
    """REBA legs: +1 for 30-60 deg knee flexion, +2 above 60 deg."""
    lo, hi = REBA_KNEE_EDGES_DEG
    if knee_flex_deg > hi:
        return 2
    return 1 if knee_flex_deg >= lo else 0


def reba_load_score(load_kg: float, shock: bool = False) -> int:
    """REBA load/force 0 (<5 kg), 1 (5-10 kg), 2 (>10 kg), +1 for shock or rapid build-up."""
    if math.isnan(load_kg) or load_kg < 0:
        raise ValueError(f"Load must be a weight in kg >= 0, got {load_kg}.")
    lo, hi = REBA_LOAD_EDGES_KG
    base = 0 if load_kg < lo else (1 if load_kg <= hi else 2)
    return base + int(shock)


def reba_risk(final_score: int) -> RebaRisk:
    """Risk wording for a REBA final score (11+ is very high)."""
    _check_int("REBA final score", final_score, 1, 99)
    for upper, label in REBA_RISK_BANDS:
        if final_score <= upper:
            return label
    return "very high"


@dataclass(frozen=True)
class RebaInputs:
    """One side's REBA observation. Angles in degrees; None/NaN = not measured.

    ``wrist_score`` defaults to 1 (0-15 deg): the camera cannot measure the
    wrist reliably, so neutral is *assumed*; pass 2 (> 15 deg) when observed.
    For sitting, leave ``legs_bilateral_support`` True.
    """

    trunk_flex_deg: float | None  # negative = extension
    neck_flex_deg: float | None  # negative = extension
    knee_flex_deg: float | None  # 0 = straight
    upper_arm_flex_deg: float | None  # negative = extension
    lower_arm_flex_deg: float | None  # elbow flexion, 0 = straight
    load_kg: float = 0.0
    trunk_twisted_or_side_bent: bool = False
    neck_twisted_or_side_bent: bool = False
    legs_bilateral_support: bool = True
    shock: bool = False
    upper_arm_abducted: bool = False
    shoulder_raised: bool = False
    arm_supported: bool = False
    wrist_score: int = 1  # 1 (0-15 deg), 2 (>15 deg); assumed neutral
    wrist_deviated: bool = False
    coupling_score: int = 0  # 0 good, 1 fair, 2 poor, 3 unacceptable
    activity_score: int = 0  # +1 each: static > 1 min; repeated > 4/min; rapid large change

    def __post_init__(self) -> None:
        if math.isnan(self.load_kg) or self.load_kg < 0:
            raise ValueError(f"REBA load_kg must be a weight >= 0 kg, got {self.load_kg}.")
        _check_int("REBA wrist_score", self.wrist_score, 1, 2)
        _check_int("REBA coupling_score", self.coupling_score, 0, 3)
        _check_int("REBA activity_score", self.activity_score, 0, 3)


@dataclass(frozen=True)
class RebaResult:
    """REBA part scores (after adjustments), group scores, final score and risk."""

    trunk: int
    neck: int
    legs: int
    load: int
    upper_arm: int
    lower_arm: int
    wrist: int
    coupling: int
    activity: int
    score_a: int  # Table A + load
    score_b: int  # Table B + coupling
    score_c: int
    final: int  # score C + activity, 1..15
    risk: RebaRisk


def reba_score(inputs: RebaInputs) -> RebaResult | None:
    """Score one REBA observation; None if an angle is missing, so no score is invented."""
    i = inputs
    if any(_bad_angle(a) for a in (i.trunk_flex_deg, i.neck_flex_deg, i.knee_flex_deg,
                                   i.upper_arm_flex_deg, i.lower_arm_flex_deg)):
        return None
    assert i.trunk_flex_deg is not None and i.neck_flex_deg is not None
    assert i.knee_flex_deg is not None and i.upper_arm_flex_deg is not None
    assert i.lower_arm_flex_deg is not None

    trunk = reba_trunk_base_score(i.trunk_flex_deg) + int(i.trunk_twisted_or_side_bent)
    neck = reba_neck_base_score(i.neck_flex_deg) + int(i.neck_twisted_or_side_bent)
    legs = (1 if i.legs_bilateral_support else 2) + reba_knee_adjustment(i.knee_flex_deg)
    load = reba_load_score(i.load_kg, i.shock)
    upper_arm = upper_arm_score(i.upper_arm_flex_deg, i.shoulder_raised,
                                i.upper_arm_abducted, i.arm_supported)
    lower_arm = lower_arm_base_score(i.lower_arm_flex_deg)
    wrist = i.wrist_score + int(i.wrist_deviated)

    score_a = reba_table_a(trunk, neck, legs) + load
    score_b = reba_table_b(upper_arm, lower_arm, wrist) + i.coupling_score
    score_c = reba_table_c(score_a, score_b)
    final = score_c + i.activity_score
    return RebaResult(trunk=trunk, neck=neck, legs=legs, load=load, upper_arm=upper_arm,
                      lower_arm=lower_arm, wrist=wrist, coupling=i.coupling_score,
                      activity=i.activity_score, score_a=score_a, score_b=score_b,
                      score_c=score_c, final=final, risk=reba_risk(final))
