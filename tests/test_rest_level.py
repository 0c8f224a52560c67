"""The drive metric read from the person's own rest position, and the ROM's measuring
margin (issue #11: MediaPipe misplaces a flat foot's heel angle by up to ±9°)."""

from __future__ import annotations

import math

import pytest

from posture.exercises.counter import RepCounter, RestLevel
from posture.exercises.model import Phases, Rom

HEEL = Phases("heel_rise_deg", rest=8.0, work=18.0, min_rep_s=0.6, relative_to="own_rest")


def heel_raises(offset: float, rise: float = 26.0, n: int = 3, dt: float = 0.1
                ) -> list[tuple[float, float]]:
    """Flat 1 s, then n raises (1 s up, 0.5 s at the top, 1 s down, 1 s flat)."""
    out, t = [], 0.0
    def seg(a: float, b: float, s: float) -> None:
        nonlocal t
        k = round(s / dt)
        for i in range(k):
            t += dt
            out.append((t, offset + a + (b - a) * (i + 1) / k))
    seg(0, 0, 1.0)
    for _ in range(n):
        seg(0, rise, 1.0), seg(rise, rise, 0.5), seg(rise, 0, 1.0), seg(0, 0, 1.0)
    return out


@pytest.mark.parametrize("offset", [-7.0, 0.0, 9.0])
def test_reps_and_their_range_do_not_depend_on_where_the_model_puts_a_flat_foot(offset):
    level, counter = RestLevel(HEEL), RepCounter(HEEL)
    reps = [w for t, v in heel_raises(offset) if (w := counter.update(level.update(v, t), t))]
    assert [w.complete for w in reps] == [True] * 3
    assert [w.peak_value for w in reps] == pytest.approx([26.0] * 3, abs=1e-6)
    assert level.level == pytest.approx(offset)


def test_without_it_an_offset_foot_never_rests_or_never_works():
    plain = Phases("heel_rise_deg", rest=8.0, work=18.0, min_rep_s=0.6)
    for offset in (-9.0, 9.0):
        counter = RepCounter(plain)
        reps = [w for t, v in heel_raises(offset, rise=20.0)
                if (w := counter.update(v, t)) and w.complete]
        assert len(reps) != 3


def test_one_misread_frame_does_not_set_the_rest_level_and_nan_passes_through():
    level = RestLevel(HEEL)
    for i, v in enumerate([2.0, 2.0, -30.0, 2.0, 2.0, 2.0, 2.0, 2.0]):
        level.update(v, 0.1 * i)
    assert level.level == pytest.approx(2.0)
    assert math.isnan(level.update(math.nan, 1.0))


def test_the_first_half_second_is_not_read():
    level = RestLevel(HEEL)
    assert math.isnan(level.update(20.0, 0.0))
    assert math.isnan(level.update(20.0, 0.3))
    assert level.update(25.0, 0.6) == pytest.approx(5.0)


def test_a_range_short_by_less_than_the_margin_is_reached():
    rom = Rom("heel_rise_deg", "max", 25.0, "", margin=5.0)
    assert rom.limit == 20.0
    assert rom.reached_in(21.0, "side_left") and not rom.reached_in(19.0, "side_left")
    knee = Rom("knee_angle_deg", "min", 90.0, "", margin=5.0)
    assert knee.limit == 95.0
    assert knee.reached_in(94.0, "side_right") and not knee.reached_in(96.0, "side_right")


def test_the_margin_grows_in_a_view_where_the_metric_errs_more():
    """At an angle the knee's measured error is 3.7° worse than side-on
    (posture.confidence.MEASURED_MAE_DEG): a good stand read 3° low is not short there."""
    from posture.confidence import MEASURED_MAE_DEG

    knee = Rom("knee_angle_deg", "max", 165.0, "")
    extra = MEASURED_MAE_DEG[("knee_angle_deg", "oblique")] - \
        MEASURED_MAE_DEG[("knee_angle_deg", "side")]
    assert knee.margin_in("side_left") == 0.0
    assert knee.margin_in("oblique") == pytest.approx(extra)
    assert knee.reached_in(165.0 - extra + 0.5, "oblique")
    assert not knee.reached_in(165.0 - extra + 0.5, "side_right")
    # A metric without a measured error per view keeps the file's margin everywhere.
    heel = Rom("heel_rise_deg", "max", 25.0, "", margin=5.0)
    assert heel.margin_in("oblique") == heel.margin_in("side_left") == 5.0
