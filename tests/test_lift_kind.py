"""A lift that reaches low is not a squat: squat-depth and squat-lean faults do not apply."""

from __future__ import annotations

import math

import pytest
from scripted import STANDING, script

from posture.activities.lifting import LIFT_MAX_WRIST_HEIGHT, kind_of
from posture.assess import Assessor


def _rep(wrist_bottom: float, knee_bottom: float = 150.0, hip_bottom: float = 95.0,
         trunk_bottom: float = 55.0, depth_bottom: float = -0.7):
    """A hip-hinge rep seen from the side, hands going down to ``wrist_bottom``."""
    down = {"hip_angle_deg": (175.0, hip_bottom), "knee_angle_deg": (178.0, knee_bottom),
            "trunk_inclination_deg": (2.0, trunk_bottom), "trunk_lean_deg": (2.0, trunk_bottom),
            "trunk_minus_shin_deg": (-2.0, trunk_bottom - 15.0),
            "squat_depth_ratio": (-1.0, depth_bottom), "wrist_height_ratio": (0.45, wrist_bottom)}
    hold = {k: v[1] for k, v in down.items()}
    up = {k: (v[1], v[0]) for k, v in down.items()}
    return [(0.8, down), (0.3, hold), (0.8, up), (0.8, {})]


def _session(wrist_bottom: float, **kw: float):
    frames = script([(1.0, {})] + _rep(wrist_bottom, **kw) * 2, base=STANDING)
    a = Assessor("lifting")
    for m in frames:
        a.update(m)
    return a.finish()


def test_kind_from_hand_height():
    assert kind_of(0.10) == "lift"
    assert kind_of(0.55) == "squat"
    assert kind_of(math.nan) == "unknown"
    assert kind_of(LIFT_MAX_WRIST_HEIGHT) == "squat"


def test_lift_reaching_low_gets_no_squat_faults():
    res = _session(wrist_bottom=0.12, knee_bottom=110.0, trunk_bottom=50.0)
    assert len(res.reps) == 2
    for rep in res.reps:
        assert rep.kind == "lift"
        cats = {f["category"] for f in rep.faults}
        assert not cats & {"shallow_squat", "excessive_forward_lean"}, rep.faults


def test_same_rep_with_hands_up_is_a_shallow_squat():
    res = _session(wrist_bottom=0.50, knee_bottom=110.0, trunk_bottom=50.0)
    assert len(res.reps) == 2
    for rep in res.reps:
        assert rep.kind == "squat"
        assert "shallow_squat" in {f["category"] for f in rep.faults}, rep.faults


@pytest.mark.parametrize("wrist", [0.12, 0.50])
def test_stoop_lift_flagged_whatever_the_hands(wrist):
    res = _session(wrist_bottom=wrist, knee_bottom=172.0, trunk_bottom=80.0)
    assert res.reps
    for rep in res.reps:
        assert {f["category"] for f in rep.faults} & {"stoop_lift", "rounded_back"}
