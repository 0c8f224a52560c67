"""The rep machine on scripted depth and metric sequences."""

from __future__ import annotations

import math

import pytest
from scripted import STANDING, script

from posture.activities.reps import DepthSignal, RepConfig, RepCounter

FPS = 15.0


def squat(down_s: float = 0.7, hold_s: float = 0.3, up_s: float = 0.7, hip_bottom: float = 70.0,
          knee_bottom: float = 70.0, rest_s: float = 0.6):
    return [
        (down_s, {"hip_angle_deg": (175.0, hip_bottom), "knee_angle_deg": (178.0, knee_bottom)}),
        (hold_s, {"hip_angle_deg": hip_bottom, "knee_angle_deg": knee_bottom}),
        (up_s, {"hip_angle_deg": (hip_bottom, 175.0), "knee_angle_deg": (knee_bottom, 178.0)}),
        (rest_s, {}),
    ]


def count(depths: list[float], fps: float = FPS, config: RepConfig = RepConfig()):
    rc = RepCounter(config)
    ticks = [rc.update(d, i / fps) for i, d in enumerate(depths)]
    extra = rc.flush()
    return rc, ticks, extra


def run_metrics(frames):
    ds, rc = DepthSignal(), RepCounter()
    ticks = [rc.update(ds.update(m), m.t) for m in frames]
    return rc, ticks


def test_three_squats_counted_with_phases_and_times():
    frames = script([(1.0, {})] + squat() * 3, base=STANDING)
    rc, ticks = run_metrics(frames)
    done = [t.completed for t in ticks if t.completed]
    assert rc.count == 3 and len(done) == 3
    phases = [t.phase for t in ticks]
    for p in ("stand", "descend", "bottom", "rise"):
        assert p in phases
    first = done[0]
    assert 1.0 <= first.start_s < first.bottom_s < first.end_s
    assert first.bottom_s == pytest.approx(1.0 + 0.7, abs=0.35)
    assert first.peak_depth > 1.0


def test_stoop_counts_through_the_hip():
    frames = script([(1.0, {})] + squat(hip_bottom=90.0, knee_bottom=165.0) * 2, base=STANDING)
    rc, _ = run_metrics(frames)
    assert rc.count == 2


def test_jitter_and_shallow_bends_do_not_count():
    rng = [0.0, 0.22, 0.1, 0.25, 0.05, 0.3, 0.0] * 10  # noise across the start line
    rc, ticks, extra = count(rng)
    assert rc.count == 0 and extra is None
    assert any(t.aborted == "too shallow to count" for t in ticks)
    # A walking-like knee bend: knee 120°, hip 165° → depth ≈ 0.3, below a rep.
    frames = script([(1.0, {})] + squat(hip_bottom=160.0, knee_bottom=120.0) * 3,
                    base=STANDING)
    rc2, _ = run_metrics(frames)
    assert rc2.count == 0


def test_single_frame_spike_does_not_split_a_rep():
    depth = [0.0] * 10 + [0.3, 0.6, 0.9, 1.1, 1.2, 0.0, 1.2, 1.1, 0.8, 0.5, 0.2] + [0.0] * 10
    rc, _ticks, _ = count(depth)
    assert rc.count == 1


def test_person_leaving_mid_rep_resets_without_count():
    depth = [0.0] * 10 + [0.3, 0.6, 0.9] + [math.nan] * 30 + [0.0] * 15
    rc, ticks, extra = count(depth)
    assert rc.count == 0 and extra is None
    assert any(t.aborted == "person out of view" for t in ticks)
    assert ticks[-1].phase == "stand"
    # … and the next rep counts normally.
    rc2 = RepCounter()
    seq = depth + [0.3, 0.6, 1.0, 0.6, 0.2] + [0.0] * 8
    for i, d in enumerate(seq):
        rc2.update(d, i / FPS)
    assert rc2.count == 1


def test_short_dropout_at_the_bottom_keeps_the_rep():
    depth = [0.0] * 10 + [0.15, 0.25, 0.3] + [math.nan] * 10 + [0.05] * 10
    _rc, ticks, extra = count(depth)
    done = [t.completed for t in ticks if t.completed] + ([extra] if extra else [])
    assert len(done) == 1
    assert done[0].bottom_observed is False


def test_staying_down_is_not_a_rep():
    depth = [0.0] * 10 + [0.5, 1.0] + [1.0] * int(12 * FPS) + [0.0] * 10
    rc, ticks, _ = count(depth)
    assert rc.count == 0
    assert any(t.aborted == "held down too long" for t in ticks)


def test_front_view_depth_from_apparent_shrink():
    frames = script([(1.0, {"body_height_px": 320.0}),
                     (0.7, {"body_height_px": (320.0, 190.0)}),
                     (0.7, {"body_height_px": (190.0, 320.0)}), (0.5, {"body_height_px": 320.0})],
                    view="front")
    rc, _ticks = run_metrics(frames)
    assert rc.count == 1
    ds = DepthSignal()
    vals = [ds.update(m) for m in frames]
    assert max(vals) == pytest.approx((1 - 190 / 320) / 0.25, rel=0.05)


def test_front_view_with_the_feet_out_of_the_picture_counts_from_the_3d_bend() -> None:
    """No ankle→ear chain (feet cut off: no body length at all) — the bend of MediaPipe's
    3-D hips and knees still shows each squat."""
    nan = float("nan")
    rep = [(0.7, {"hip_angle_3d_deg": (170.0, 80.0), "knee_angle_3d_deg": (172.0, 85.0)}),
           (0.3, {"hip_angle_3d_deg": 80.0, "knee_angle_3d_deg": 85.0}),
           (0.7, {"hip_angle_3d_deg": (80.0, 170.0), "knee_angle_3d_deg": (85.0, 172.0)}),
           (0.6, {})]
    base = {"body_height_px": nan, "hip_angle_3d_deg": 170.0, "knee_angle_3d_deg": 172.0}
    frames = script([(1.0, {}), *rep * 2], view="front", base=base)
    rc, _ticks = run_metrics(frames)
    assert rc.count == 2


def test_a_standing_forward_lean_is_not_a_rep_but_a_shallow_squat_is() -> None:
    """Straight knees discount the first 15° of hip flexion (STRAIGHT_KNEE_LEAN_DEG): a
    50° lean and back (knees 172°) is no lift; a quarter squat (hips and knees ~52°) is."""
    from scripted import STANDING, script

    from posture.activities.reps import bend_deg
    from posture.assess import Assessor

    lean = script([(1.0, {}), (0.8, {"hip_angle_deg": (175.0, 130.0)}),
                   (1.5, {"hip_angle_deg": 130.0, "knee_angle_deg": 172.0}),
                   (0.8, {"hip_angle_deg": (130.0, 175.0)}), (1.0, {})], base=STANDING)
    assert min(bend_deg(m) for m in lean) >= 0.0
    assert 36.0 < max(bend_deg(m) for m in lean) < 40.0  # 50° − 15° × 0.73 (knees 172°)
    for mode in ("lifting", "auto"):
        a = Assessor(mode)
        for m in lean:
            a.update(m)
        assert a.finish().reps == ()
    quarter = script([(1.0, {}), (0.7, {"hip_angle_deg": (175.0, 125.0),
                                        "knee_angle_deg": (178.0, 128.0)}),
                      (0.4, {"hip_angle_deg": 125.0, "knee_angle_deg": 128.0}),
                      (0.7, {"hip_angle_deg": (125.0, 175.0),
                             "knee_angle_deg": (128.0, 178.0)}), (1.0, {})], base=STANDING)
    a = Assessor("lifting")
    for m in quarter:
        a.update(m)
    assert len(a.finish().reps) == 1
