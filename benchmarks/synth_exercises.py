#!/usr/bin/env python
"""Render the labelled home-exercise set (sample_videos/exercises) with the shared renderer.

    PY=/opt/synthvenv/bin/python
    $PY benchmarks/synth_exercises.py --out sample_videos/exercises --seed 303 --workers 2
    $PY benchmarks/synth_exercises.py --out sample_videos/exercises --seed 303 --list

Like ``benchmarks/synth_eval.py``, this driver only *extends* ../shared/tools/synth at run
time (SYNTH_DIR overrides the path). It registers scripted recipes for the exercises of
``posture/exercises/library`` — lying, face-down, on all fours and standing — in good form
and with their main faults, the plan set "exercises" with a low side-on camera for floor
work, and an ``exercise`` block in every clip JSON:

    exercise: {key, kind, intent, reps: [{index, start_s, peak_s, end_s, fault}],
               hold_segments: [{start_s, end_s, label}]}

``intent`` is what the movement was scripted to be (good, or the fault it shows); the
exact per-frame joints (``frames_gt[].joints_3d``) give the true angles, from which
``benchmarks/exercise_eval.py`` derives the expected reps, hold time and range of motion
with the library's own definitions — so the labels never depend on a tuned threshold.

Two extensions to the pose parameters, added at run time (``world_rotations`` below):
``roll`` turns the whole body about its forward axis (a side plank lies on its side,
chest to the camera) and ``fore_abd_L/R`` gives a forearm its own abduction (arms crossed
on the chest). Sit-to-stand keeps the feet planted (the "stand" anchor) with a chair
placed under the seated frames, so the hips travel forward as the person rises.
"""

import argparse
import json
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SYNTH_DIR = os.path.abspath(
    os.environ.get("SYNTH_DIR", os.path.join(REPO, "..", "shared", "tools", "synth"))
)
if SYNTH_DIR not in sys.path:
    sys.path.insert(0, SYNTH_DIR)

import numpy as np  # noqa: E402
from synth import generate as GEN  # noqa: E402
from synth import pose as PO  # noqa: E402
from synth import recipes as RC  # noqa: E402

SET = "exercises"
COMMAND = ("/opt/synthvenv/bin/python benchmarks/synth_exercises.py "
           "--out sample_videos/exercises --seed 303 --workers 2")

# Lying / face-down / all-fours bodies: the arms and head in a resting position.
SUPINE = dict(pelvis_tilt=-90.0, spine_flex=0.0, neck_flex=0.0, head_flex=0.0, arm_flex=90.0,
              fore_flex=90.0, arm_abd=10.0, foot=20.0, leg_abd=4.0, toe_out=10.0)
PRONE = dict(pelvis_tilt=90.0, spine_flex=0.0, neck_flex=-5.0, head_flex=0.0, arm_flex=0.0,
             fore_flex=90.0, arm_abd=12.0, foot=-70.0, thigh=-90.0, shank=90.0, leg_abd=3.0)


def _exercise(key, kind, intent, k, faults=None, hold_labels=None):
    """The clip's exercise block from the keyframe builder's reps and segments."""
    reps = [dict(index=r["index"], start_s=r["start_s"], peak_s=r["bottom_s"], end_s=r["end_s"],
                 fault=(faults or {}).get(r["index"])) for r in k.reps]
    holds = [dict(s) for s in k.segments if s["label"] in (hold_labels or ())]
    return dict(key=key, kind=kind, intent=intent, reps=reps, hold_segments=holds)


def _reps(k, label, n, u, work, rest, fault_at=None, fault_pose=None, down=(0.8, 1.0),
          hold=(0.3, 0.5), up=(0.8, 1.0), pause=(0.5, 0.8)):
    """n reps rest → work → rest; rep ``fault_at`` (1-based) uses ``fault_pose`` instead."""
    faults = {}
    for i in range(1, n + 1):
        pose = fault_pose if (fault_at and i in fault_at) else work
        var = {p: v + u(-2, 2) for p, v in pose.items()}
        k.rep(label, u(*down), u(*hold), u(*up), var, rest, kind="rep")
        k.hold(u(*pause), "exercise_rest")
        if fault_at and i in fault_at:
            faults[i] = label
    return faults


# ---------------------------------------------------------------- recipes
def glute_bridge(u, o):
    # Poses checked against the true angles (exercise_eval.true_metrics): lying, the
    # shoulder–hip–knee line is broken by ~49° (hips low); at a good top it is within
    # ~8° of straight; "hips_low" stops ~12° short; "arched" pushes ~24° past straight.
    down = dict(SUPINE, thigh=u(129, 133), shank=-u(39, 43))
    top = {"good": dict(pelvis_tilt=-u(114, 116), thigh=u(114, 116), shank=-u(9, 11)),
           "hips_low": dict(pelvis_tilt=-u(111.5, 112.5), thigh=u(115.5, 116.5),
                            shank=-u(11, 13)),
           "arched": dict(pelvis_tilt=-u(133, 135), thigh=u(101.5, 102.5), shank=-u(0, 2))}
    k = RC.KB(down)
    k.hold(u(1.2, 1.5), "exercise_start")
    intent = o.get("intent", "good")
    fault_at = {2, 3} if intent != "good" else None
    rest = {p: down[p] for p in top["good"]}
    faults = _reps(k, "glute_bridge", 3, u, top["good"], rest, fault_at, top.get(intent))
    return dict(activity="exercise", anchor="stand", kb=k, props={}, sway={},
                exercise=_exercise("glute_bridge", "reps", intent, k,
                                   {i: intent for i in faults}))


def front_plank(u, o):
    # Checked on the true angles: a straight line (within ~5°) with the shoulders above the
    # feet; "sag" drops the hips ~25° below it, "pike" lifts them ~25° above it.
    th = u(86, 88)
    good = dict(PRONE, pelvis_tilt=u(80, 82), thigh=-th, shank=th)
    bad = {"sag": dict(pelvis_tilt=u(61, 63), thigh=-u(91, 93)),
           "pike": dict(pelvis_tilt=u(93, 95), thigh=-u(71, 73))}
    k = RC.KB(good)
    intent = o.get("intent", "good")
    if intent == "good":
        k.hold(u(10.5, 11.5), "plank_good")
    else:
        k.hold(u(4.0, 4.5), "plank_good")
        k.move(u(0.6, 0.8), bad[intent], label="transition")
        k.hold(u(2.5, 3.0), "plank_" + intent)
        k.move(u(0.6, 0.8), {p: good[p] for p in bad[intent]}, label="transition")
        k.hold(u(3.5, 4.0), "plank_good")
    return dict(activity="exercise", anchor="stand", kb=k, props={}, sway={},
                exercise=_exercise("front_plank", "hold", intent, k,
                                   hold_labels=("plank_good", "plank_sag", "plank_pike")))


def hip_hinge(u, o):
    base = RC.stand_base(u)
    base.update(arm_flex=u(0, 6), fore_flex=u(5, 12))
    k = RC.KB(base)
    k.hold(u(1.0, 1.3), "exercise_start")
    hinge = dict(pelvis_tilt=u(50, 56), spine_flex=u(-2, 2), thigh=u(8, 12), shank=u(6, 9),
                 neck_flex=u(-15, -8))
    squat = dict(pelvis_tilt=u(38, 42), spine_flex=u(-2, 2), thigh=u(72, 78), shank=u(28, 32),
                 neck_flex=u(-15, -8))
    rest = {p: base.get(p, 0.0) for p in hinge}
    intent = o.get("intent", "good")
    faults = _reps(k, "hip_hinge", 3, u, hinge, rest, {2, 3} if intent != "good" else None,
                   squat)
    return dict(activity="exercise", anchor="stand", kb=k, props={}, sway={}, fix_stance=True,
                exercise=_exercise("hip_hinge", "reps", intent, k, {i: intent for i in faults}))


def heel_raise(u, o):
    base = RC.stand_base(u)
    k = RC.KB(base)
    k.hold(u(1.0, 1.3), "exercise_start")
    top = dict(foot=-u(27, 31), shank=u(-3, 0))
    rest = dict(foot=0.0, shank=base["shank"])
    intent = o.get("intent", "good")
    # Faults on reps 2 and 3: "knees_bent" rises with ~40° of knee flexion (thigh and
    # shin both forward); "lean" pitches the trunk ~28° forward at the top.
    # (Random draws only for the fault asked for: the good clip keeps its stream.)
    fault = None
    if intent == "knees_bent":
        fault = dict(top, foot=-u(25, 28), thigh=u(18, 22), shank=u(18, 22))
    elif intent == "lean":
        fault = dict(top, pelvis_tilt=u(27, 30))
    if fault is not None:
        rest.update({p: base.get(p, 0.0) for p in fault if p not in rest})
    faults = _reps(k, "heel_raise", 4, u, top, rest, {2, 3} if fault else None, fault,
                   down=(0.6, 0.8), up=(0.6, 0.8))
    return dict(activity="exercise", anchor="stand", kb=k, props={}, sway={},
                exercise=_exercise("heel_raise", "reps", intent, k, {i: intent for i in faults}))


def back_extension(u, o):
    base = RC.stand_base(u)
    base.update(pelvis_tilt=u(-1, 1), arm_flex=-u(10, 15), fore_flex=u(20, 30))
    k = RC.KB(base)
    k.hold(u(1.0, 1.3), "exercise_start")
    ext = dict(pelvis_tilt=-u(12, 15), spine_flex=-u(10, 13), neck_flex=-u(5, 10))
    intent = o.get("intent", "good")
    # "knees_bent": reps 2 and 3 lean back by bending the knees (~40°) instead.
    fault = dict(ext, thigh=u(13, 17), shank=u(23, 27)) if intent == "knees_bent" else None
    rest = {p: base.get(p, 0.0) for p in (fault or ext)}
    faults = _reps(k, "standing_back_extension", 3, u, ext, rest, {2, 3} if fault else None,
                   fault)
    return dict(activity="exercise", anchor="stand", kb=k, props={}, sway={},
                exercise=_exercise("standing_back_extension", "reps", intent, k,
                                   {i: intent for i in faults}))


def wall_sit(u, o):
    base = RC.stand_base(u)
    k = RC.KB(base)
    k.hold(u(0.6, 0.8), None)
    sit = dict(thigh=u(86, 92), shank=u(-2, 3), pelvis_tilt=u(0, 4), spine_flex=u(-2, 2),
               arm_flex=u(0, 5))
    k.move(u(1.2, 1.5), sit, label="transition")
    intent = o.get("intent", "good")
    if intent == "good":
        k.hold(u(10.0, 11.0), "wall_sit_good")
    else:  # "too_high": the knees straighten to ~135° (out of the band) mid-hold, then back
        high = dict(thigh=u(43, 47), shank=u(-2, 2))
        k.hold(u(4.0, 4.5), "wall_sit_good")
        k.move(u(0.6, 0.8), high, label="transition")
        k.hold(u(2.5, 3.0), "wall_sit_too_high")
        k.move(u(0.6, 0.8), {p: sit[p] for p in high}, label="transition")
        k.hold(u(3.5, 4.0), "wall_sit_good")
    return dict(activity="exercise", anchor="stand", kb=k, props={}, sway={}, fix_stance=True,
                exercise=_exercise("wall_sit", "hold", intent, k,
                                   hold_labels=("wall_sit_good", "wall_sit_too_high")))


def split_squat(u, o):
    base = RC.stand_base(u)
    a = u(16, 19)
    base.update(thigh_L=a, shank_L=-a, thigh_R=-a, shank_R=a, foot_L=0.0, foot_R=u(20, 30))
    k = RC.KB(base)
    k.hold(u(1.0, 1.3), "exercise_start")
    bottom = dict(thigh_L=u(72, 78), shank_L=u(10, 14), thigh_R=-u(4, 8), shank_R=u(70, 76))
    rest = {p: base[p] for p in bottom}
    intent = o.get("intent", "good")
    lean = None
    if intent != "good":  # "trunk_lean": reps 2 and 3 pitch the trunk ~38° forward
        rest["pelvis_tilt"] = base["pelvis_tilt"]
        lean = dict(bottom, pelvis_tilt=u(36, 40))
        bottom = dict(bottom, pelvis_tilt=base["pelvis_tilt"])
    faults = _reps(k, "split_squat", 3, u, bottom, rest, {2, 3} if lean else None, lean)
    return dict(activity="exercise", anchor="stand", kb=k, props={}, sway={},
                exercise=_exercise("split_squat", "reps", intent, k, {i: intent for i in faults}))


def hamstring_stretch(u, o):
    near = o.get("near", "L")
    flat = dict(SUPINE, thigh_L=90.0, thigh_R=90.0, shank_L=-90.0, shank_R=-90.0)
    k = RC.KB(flat)
    k.hold(u(1.0, 1.3), None)
    raise_to = u(72, 78)
    k.move(u(1.2, 1.5), {f"thigh_{near}": 90 + raise_to, f"shank_{near}": -90 - raise_to},
           label="transition")
    intent = o.get("intent", "good")
    if intent == "good":
        k.hold(u(10.0, 11.0), "stretch_good")
    else:  # "knee_bent": knee flexion (thigh + shank) of ~40° mid-hold, then straight again
        k.hold(u(4.0, 4.5), "stretch_good")
        k.move(u(0.6, 0.8), {f"shank_{near}": -90 - raise_to + u(38, 42)}, label="transition")
        k.hold(u(2.5, 3.0), "stretch_knee_bent")
        k.move(u(0.6, 0.8), {f"shank_{near}": -90 - raise_to}, label="transition")
        k.hold(u(3.5, 4.0), "stretch_good")
    return dict(activity="exercise", anchor="stand", kb=k, props={}, sway={},
                exercise=_exercise("hamstring_stretch", "hold", intent, k,
                                   hold_labels=("stretch_good", "stretch_knee_bent")))


def knee_to_chest(u, o):
    near = o.get("near", "L")
    flat = dict(SUPINE, thigh_L=90.0, thigh_R=90.0, shank_L=-90.0, shank_R=-90.0)
    k = RC.KB(flat)
    k.hold(u(1.0, 1.3), None)
    th = u(208, 214)
    k.move(u(1.3, 1.6), {f"thigh_{near}": th, f"shank_{near}": -(th - 125)},
           label="transition")
    k.hold(u(10.0, 11.0), "stretch_good")
    return dict(activity="exercise", anchor="stand", kb=k, props={}, sway={},
                exercise=_exercise("knee_to_chest", "hold", "good", k,
                                   hold_labels=("stretch_good",)))


def bird_dog(u, o):
    fours = dict(pelvis_tilt=90.0, spine_flex=0.0, neck_flex=-u(8, 12), head_flex=0.0,
                 thigh_L=0.0, thigh_R=0.0, shank_L=90.0, shank_R=90.0, foot=-80.0,
                 arm_flex_L=0.0, arm_flex_R=0.0, fore_flex_L=0.0, fore_flex_R=0.0,
                 arm_abd=4.0, leg_abd=4.0)
    k = RC.KB(fours)
    k.hold(u(1.2, 1.5), "exercise_start")
    rest = dict(thigh_L=0.0, shank_L=90.0, thigh_R=0.0, shank_R=90.0, arm_flex_L=0.0,
                fore_flex_L=0.0, arm_flex_R=0.0, fore_flex_R=0.0)
    intent = o.get("intent", "good")
    faults = {}
    for i in range(4):
        leg, arm = ("R", "L") if i % 2 == 0 else ("L", "R")
        # "leg_high": reps 2 and 3 kick the leg ~28° above level (the lumbar spine arches).
        high = intent == "leg_high" and i in (1, 2)
        thigh, shank = -u(88, 92), u(88, 92)  # (drawn either way: the stream stays)
        if high:
            thigh = -u(116, 120)
            shank = -thigh  # knee straight
        reach = {f"thigh_{leg}": thigh, f"shank_{leg}": shank,
                 f"arm_flex_{arm}": u(86, 92), f"fore_flex_{arm}": u(86, 92)}
        k.rep("bird_dog", u(1.0, 1.2), u(0.6, 0.9), u(1.0, 1.2), reach, rest, kind="rep")
        k.hold(u(0.5, 0.7), "exercise_rest")
        if high:
            faults[i + 1] = intent
    return dict(activity="exercise", anchor="stand", kb=k, props={}, sway={},
                exercise=_exercise("bird_dog", "reps", intent, k, faults))


def prone_press_up(u, o):
    flat = dict(PRONE, arm_flex=-u(35, 45), fore_flex=u(0, 10), foot=-10.0)
    k = RC.KB(flat)
    k.hold(u(1.2, 1.5), "exercise_start")
    up = dict(pelvis_tilt=90 - u(36, 40), arm_flex=u(-3, 3), fore_flex=u(-3, 3))
    rest = {p: flat[p] for p in up}
    _reps(k, "prone_press_up", 3, u, up, rest, down=(1.0, 1.2), up=(1.0, 1.2))
    return dict(activity="exercise", anchor="stand", kb=k, props={}, sway={},
                exercise=_exercise("prone_press_up", "reps", "good", k))


def world_rotations(body, p):
    """The stock bone rotations, plus ``fore_abd_L/R`` (a forearm's own abduction, so the
    forearms can cross the chest) and ``roll`` (the whole body turned about its forward
    axis, + toward its right side going down: lying on the side for a side plank)."""
    w = _orig_world_rotations(body, p)
    Y = PO.roty(p["yaw"])
    arm_yaw = p["trunk_twist"] if p.get("arm_yaw") is None else p["arm_yaw"]
    YA = Y @ PO.roty(arm_yaw)
    H = body.head
    for s, sg in (("L", 1), ("R", -1)):
        a = p.get("fore_abd_" + s)
        if a is None:
            continue
        f, a = np.radians(p["fore_flex_" + s]), np.radians(a)
        rest = H[body.bidx["wrist." + s]] - H[body.bidx["lowerarm01." + s]]
        aim = YA @ np.array([sg * np.sin(a), -np.cos(a) * np.cos(f), np.cos(a) * np.sin(f)])
        w["lowerarm01." + s] = PO.rot_between(rest, aim)
    if p.get("roll"):
        R = Y @ PO.rotz(p["roll"]) @ Y.T
        w = {b: R @ m for b, m in w.items()}
    return w


_orig_world_rotations = PO.world_rotations


def _joints(variant, pose):
    """Exact joints of one pose (origin at the root), to solve a pose before scripting it."""
    from synth import clip as CL

    body = CL.get_body(variant)
    return body.gt_points(body.pose(world_rotations(body, PO.full(pose))))


# Arms crossed on the chest (the 30-s chair stand test): elbows forward and in, forearms
# across the chest rising to the other shoulder (the left one a little higher).
def _crossed(u):
    return dict(arm_flex_L=u(20, 24), arm_flex_R=u(18, 22), arm_abd=-u(8, 12),
                fore_flex_L=u(138, 144), fore_flex_R=u(130, 136),
                fore_abd_L=-u(54, 60), fore_abd_R=-u(54, 60))


def sit_to_stand(u, o):
    # Checked on the true angles: seated the knees are at ~85°, standing ~177°; the trunk
    # leans ~35° forward at seat-off in a good rep; "trunk_collapse" pitches and rounds it
    # to ~70°; "hands_push_off" puts the hands on the thighs (wrists at ~0.3 of stature)
    # from seat-off until the knees pass ~120°.
    crossed = _crossed(u)
    seated = dict(yaw=0.0, pelvis_tilt=u(-2, 2), spine_flex=u(-2, 2), neck_flex=u(0, 6),
                  head_flex=u(-4, 0), thigh=u(88, 92), shank=u(4, 8), foot=0.0, **crossed)
    k = RC.KB(seated)
    k.hold(u(1.0, 1.2), "exercise_start")
    intent = o.get("intent", "good")
    stand = dict(pelvis_tilt=u(-1, 2), spine_flex=u(-2, 1), neck_flex=u(0, 5), thigh=0.0,
                 shank=u(0, 2))
    hands_down = dict(arm_flex_L=u(3, 6), arm_flex_R=u(3, 6), arm_abd=u(6, 9),
                      fore_flex_L=u(8, 14), fore_flex_R=u(8, 14))
    hands_down.update(fore_abd_L=hands_down["arm_abd"], fore_abd_R=hands_down["arm_abd"])
    back = {p: seated[p] for p in stand}
    faults = {}
    for i in range(1, 4):
        bad = intent != "good" and i in (2, 3)
        off = dict(pelvis_tilt=u(32, 37), spine_flex=u(3, 7), neck_flex=-u(8, 12),
                   thigh=u(86, 90), shank=u(11, 14))
        mid = dict(pelvis_tilt=u(24, 28), spine_flex=u(1, 4), neck_flex=-u(4, 8),
                   thigh=u(52, 56), shank=u(10, 13))
        if bad and intent == "trunk_collapse":
            off.update(pelvis_tilt=u(52, 56), spine_flex=u(26, 30), neck_flex=-u(0, 4))
            mid.update(pelvis_tilt=u(44, 48), spine_flex=u(20, 24))
        # Crossed arms go with the chest: the trunk's forward pitch lowers their elevation.
        arms_up, arms_mid = (dict(crossed, **{f"{a}_flex_{s}": crossed[f"{a}_flex_{s}"]
                                               - pose["pelvis_tilt"] - pose["spine_flex"]
                                               for a in ("arm", "fore") for s in "LR"})
                             for pose in (off, mid))
        arms_top = crossed
        if bad and intent == "hands_push_off":  # hands_push_off: hands on the lower thighs, pushing
            push = dict(arm_flex_L=u(10, 14), arm_flex_R=u(10, 14), arm_abd=u(8, 11),
                        fore_flex_L=u(40, 46), fore_flex_R=u(40, 46))
            push.update(fore_abd_L=push["arm_abd"], fore_abd_R=push["arm_abd"])
            arms_up, arms_mid = push, dict(push, fore_flex_L=u(14, 18), fore_flex_R=u(14, 18))
            arms_mid.update(arm_flex_L=arms_mid["arm_flex_L"] - 8,
                            arm_flex_R=arms_mid["arm_flex_R"] - 8)
            arms_top = hands_down
        t0 = k.t
        k.move(u(0.45, 0.55), dict(off, **arms_up), label=None)
        k.move(u(0.3, 0.4), dict(mid, **arms_mid), label=None)
        k.move(u(0.4, 0.5), dict(stand, **arms_top), label=None)
        tb = k.t
        hold = u(0.3, 0.45)
        k.move(hold, {}, label=None)
        k.move(u(0.4, 0.5), dict(mid, **arms_mid), label=None)
        k.move(u(0.3, 0.4), dict(off, **arms_up), label=None)
        k.move(u(0.35, 0.45), dict(back, **crossed), label=None)
        k._seg(t0, k.t, "sit_to_stand")
        k.reps.append(dict(index=i, kind="rep", label="sit_to_stand", start_s=RC.R3(t0),
                           bottom_s=RC.R3(tb + hold / 2), end_s=RC.R3(k.t)))
        k.hold(u(0.5, 0.7), "exercise_rest")
        if bad:
            faults[i] = intent
    return dict(activity="exercise", anchor="stand", kb=k, sway={},
                props=dict(chair=dict(recline_deg=RC.R3(u(0, 5)))),
                exercise=_exercise("sit_to_stand", "reps", intent, k, faults))


def _side_plank_pose(variant, bend, leg):
    """A side plank on the right forearm, facing the camera: the roll at which the elbow
    and the lower ankle are level (both on the floor), for a trunk side bend ``bend`` and
    legs swung ``leg`` degrees toward the ceiling (both + = the hips sag)."""
    base = dict(yaw=0.0, pelvis_tilt=0.0, spine_flex=0.0, neck_flex=0.0, head_flex=0.0,
                trunk_lateral=bend, thigh=0.0, shank=0.0, foot=0.0,
                leg_abd_L=leg, shank_abd_L=leg, leg_abd_R=-leg, shank_abd_R=-leg,
                arm_flex_R=0.0, fore_flex_R=90.0, fore_abd_R=0.0,
                arm_flex_L=5.0, arm_abd_L=8.0, fore_flex_L=10.0)
    lo, hi = 55.0, 89.0
    for _ in range(16):  # the elbow sinks relative to the ankle as the roll grows
        th = (lo + hi) / 2
        j = _joints(variant, dict(base, roll=th, arm_abd_R=th))
        if j["elbow_R"][1] > j["ankle_R"][1]:
            lo = th
        else:
            hi = th
    return dict(base, roll=th, arm_abd_R=th)


def side_plank(u, o):
    # Checked on the true joints seen head-on: the good line is straight within ~3°; "sag"
    # bends the trunk and swings the legs so the hips drop ~25° below the line (the
    # elbow and the lower foot stay on the floor: the roll is solved for each pose).
    variant = o.get("body", "m_young")
    good = _side_plank_pose(variant, u(-1, 1), u(-1, 1))
    k = RC.KB(good)
    intent = o.get("intent", "good")
    if intent == "good":
        k.hold(u(10.5, 11.5), "side_plank_good")
    else:
        sag = _side_plank_pose(variant, u(17, 19), u(14, 16))
        k.hold(u(3.6, 4.0), "side_plank_good")
        k.move(u(0.5, 0.6), sag, label="transition")
        k.hold(u(2.4, 2.7), "side_plank_sag")
        k.move(u(0.5, 0.6), good, label="transition")
        k.hold(u(3.0, 3.4), "side_plank_good")
    return dict(activity="exercise", anchor="stand", kb=k, props={}, sway={},
                exercise=_exercise("side_plank", "hold", intent, k,
                                   hold_labels=("side_plank_good", "side_plank_sag")))


NEW_RECIPES = {
    "glute_bridge": glute_bridge, "front_plank": front_plank, "hip_hinge": hip_hinge,
    "heel_raise": heel_raise, "standing_back_extension": back_extension, "wall_sit": wall_sit,
    "split_squat": split_squat, "hamstring_stretch": hamstring_stretch,
    "knee_to_chest": knee_to_chest, "bird_dog": bird_dog, "prone_press_up": prone_press_up,
    "sit_to_stand": sit_to_stand, "side_plank": side_plank,
}
FLOOR = {"glute_bridge", "front_plank", "hamstring_stretch", "knee_to_chest", "bird_dog",
         "prone_press_up", "side_plank"}
# Labels of the segments (no angle checks: the exercise block carries the intent).
NEW_LABELS = {name: dict(activity="exercise", definition=desc, check=[]) for name, desc in {
    "exercise_start": "In the exercise's start position, before the first rep.",
    "exercise_rest": "Back in the start position between reps.",
    "glute_bridge": "One glute bridge rep (hips up and down).",
    "hip_hinge": "One hip hinge rep (bend at the hips and back up).",
    "heel_raise": "One heel raise rep.",
    "standing_back_extension": "One standing back extension rep.",
    "split_squat": "One split squat rep (front knee bends and straightens).",
    "bird_dog": "One bird-dog rep (opposite arm and leg reach and return).",
    "prone_press_up": "One prone press-up rep (chest up, hips down, and back).",
    "plank_good": "Front plank held in a straight line.",
    "plank_sag": "Front plank with the hips sagging below the line.",
    "plank_pike": "Front plank with the hips piked above the line.",
    "wall_sit_good": "Wall sit held with the knees at about 90 degrees.",
    "stretch_good": "The stretch held in its end position.",
    "stretch_knee_bent": "The straight-leg stretch held with the knee bent.",
    "wall_sit_too_high": "Wall sit held too high (knees well short of 90 degrees).",
    "sit_to_stand": "One sit-to-stand rep (rise from the chair to standing and sit back).",
    "side_plank_good": "Side plank held in a straight line, facing the camera.",
    "side_plank_sag": "Side plank with the hips sagging toward the floor.",
}.items()}


def _plan():
    p = []
    for intent, view, body in (("good", "side_left", "f_young"),
                               ("hips_low", "side_right", "m_young"),
                               ("arched", "side_left", "m_older_heavy"),
                               ("good", "oblique_right", "m_young")):
        p.append(("glute_bridge", dict(intent=intent, body=body), view))
    for intent, view, body in (("good", "side_right", "m_young"), ("sag", "side_left", "f_young"),
                               ("pike", "side_right", "m_older_heavy"),
                               ("good", "oblique_left", "f_young")):
        p.append(("front_plank", dict(intent=intent, body=body), view))
    p += [("hip_hinge", dict(intent="good", body="m_older_heavy"), "side_left"),
          ("hip_hinge", dict(intent="squat_not_hinge", body="f_young"), "side_right"),
          ("heel_raise", dict(body="m_young"), "side_left"),
          ("standing_back_extension", dict(body="f_young"), "side_right"),
          ("wall_sit", dict(body="m_older_heavy"), "side_left"),
          ("split_squat", dict(body="m_young"), "side_left"),
          ("hamstring_stretch", dict(body="f_young", near="L"), "side_left"),
          ("knee_to_chest", dict(body="m_young", near="R"), "side_right"),
          ("bird_dog", dict(body="m_older_heavy"), "side_left"),
          ("prone_press_up", dict(body="f_young"), "side_right"),
          # Appended (so the clips above keep their names and seeds): more faults.
          ("hamstring_stretch", dict(intent="knee_bent", body="m_older_heavy", near="R"),
           "side_right"),
          ("split_squat", dict(intent="trunk_lean", body="f_young"), "side_right"),
          ("wall_sit", dict(intent="too_high", body="m_young"), "side_right"),
          ("heel_raise", dict(intent="knees_bent", body="f_young"), "side_right"),
          ("heel_raise", dict(intent="lean", body="m_older_heavy"), "side_left"),
          ("standing_back_extension", dict(intent="knees_bent", body="m_young"), "side_left"),
          ("bird_dog", dict(intent="leg_high", body="f_young"), "side_right"),
          # Appended: sit-to-stand from a chair (side views) and the side plank (head-on).
          ("sit_to_stand", dict(intent="good", body="m_older_heavy"), "side_left"),
          ("sit_to_stand", dict(intent="hands_push_off", body="f_young"), "side_right"),
          ("sit_to_stand", dict(intent="trunk_collapse", body="m_young"), "side_left"),
          ("side_plank", dict(intent="good", body="f_young"), "front"),
          ("side_plank", dict(intent="sag", body="m_older_heavy"), "front"),
          # Appended: sit-to-stand judged at an angle (its views include oblique).
          ("sit_to_stand", dict(intent="good", body="f_young"), "oblique_right"),
          ("sit_to_stand", dict(intent="trunk_collapse", body="m_older_heavy"), "oblique_left")]
    return p


PROFILE = dict(side_jit=4, obl=(30, 40), front_jit=5, height=(0.85, 1.2), yfov=(44, 50),
               fill=(0.66, 0.8), pan=0.08, variants=["m_young", "f_young", "m_older_heavy"])

_orig_make_spec = GEN.make_spec


def make_spec(set_name, seed, i, recipe, opts, view, prof):
    """The stock spec, with the body asked for, a low camera for floor work, and the name."""
    sp = _orig_make_spec(set_name, seed, i, recipe, opts, view, prof)
    if set_name != SET:
        return sp
    rng = np.random.default_rng([seed, i, 91])
    if opts.get("body"):
        sp["variant"] = opts["body"]
    if recipe in FLOOR:
        sp["camera"]["height_m"] = float(rng.uniform(0.45, 0.65))
        sp["camera"]["target_dy"] = 0.0
    intent = opts.get("intent", "good")
    sp["name"] = f"{i + 1:02d}_{recipe}_{intent}_{view}"
    sp["exercise"] = _LAST.get("exercise")  # from the very keyframes the spec holds
    return sp


_LAST = {}


def _recipe(fn):
    def make(u, o):
        r = fn(u, o)
        _LAST["exercise"] = r.get("exercise")
        return r
    return make


_orig_build_clip = None


def install():
    global _orig_build_clip
    from synth import clip as CL

    CL.world_rotations = PO.world_rotations = world_rotations
    RC.RECIPES.update({k: _recipe(v) for k, v in NEW_RECIPES.items()})
    GEN.LABELS.update(NEW_LABELS)
    GEN.PLANS[SET] = _plan()
    GEN.PROFILES[SET] = PROFILE
    GEN.make_spec = make_spec
    _orig_build_clip = CL.build_clip

    def build_clip(spec, out_dir, renderer=None, write_video=True):
        doc = _orig_build_clip(spec, out_dir, renderer=renderer, write_video=write_video)
        if spec.get("set") == SET:
            doc["exercise"] = _exercise_block(spec)
        return doc

    CL.build_clip = build_clip


def _exercise_block(spec):
    """The keyframe builder of this very spec (same seed) gives the reps and segments."""
    return spec.get("exercise")


def _add_labels(out):
    """Add the exercise labels to the set's labels.json (the generator copies the stock
    vocabulary), in the file's own layout, so every segment label of the clips is defined."""
    path = os.path.join(out, "labels.json")
    if not os.path.exists(path):
        return
    with open(path) as fh:
        text = fh.read()
    have = json.loads(text)["labels"]
    new = [(k, v) for k, v in NEW_LABELS.items() if k not in have]
    if not new:
        return
    head, sep, _ = text.rstrip().rpartition("\n  }\n}")
    assert sep, "unexpected labels.json layout"
    body = ",\n".join(
        f'    {json.dumps(k)}: {{\n      "activity": {json.dumps(v["activity"])},\n'
        f'      "definition": {json.dumps(v["definition"], ensure_ascii=False)},\n'
        f'      "check": []\n    }}' for k, v in new)
    text = head + ",\n" + body + sep + "\n"
    json.loads(text)
    with open(path, "w") as fh:
        fh.write(text)


def finish_manifest(out, seed):
    _add_labels(out)
    path = os.path.join(out, "manifest.json")
    if not os.path.exists(path):
        return
    with open(path) as fh:
        m = json.load(fh)
    m["generator"] = COMMAND.replace("--seed 303", f"--seed {seed}")
    m["credit"] = "MakeHuman community (CC0)"
    for c in m["clips"]:
        with open(os.path.join(out, c["gt"])) as fh:
            c["exercise"] = json.load(fh).get("exercise")
    with open(path, "w") as fh:
        json.dump(m, fh, indent=1)


def main(argv=None):
    install()
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = argparse.ArgumentParser(add_help=False)
    ap.add_argument("--out")
    ap.add_argument("--seed", type=int, default=303)
    a, _ = ap.parse_known_args(argv)
    if "--set" not in argv:
        argv = ["--set", SET, *argv]
    if "--seed" not in argv:
        argv += ["--seed", str(a.seed)]
    if "--skip-existing" not in argv and "--list" not in argv:
        argv.append("--skip-existing")
    GEN.main(argv)
    if a.out and "--list" not in argv:
        finish_manifest(a.out, a.seed)


if __name__ == "__main__":
    main()
