#!/usr/bin/env python
"""Render the synthetic *evaluation* set (sample_videos/eval) with the shared renderer.

    PY=/opt/synthvenv/bin/python
    $PY benchmarks/synth_eval.py --out sample_videos/eval --seed 202 --workers 2
    $PY benchmarks/synth_eval.py --out sample_videos/eval --seed 202 --list
    $PY benchmarks/synth_eval.py --out sample_videos/eval --seed 202 --only '*floor*'

The renderer lives in ../shared/tools/synth (package `synth`; override with SYNTH_DIR) and is
read-only: this driver only *extends* it at run time. It registers

* recipes: floor-start lifts (start at the bottom with the hands at the box, rise to lock-out,
  lower again, or a single lift that ends at lock-out) in squat-style / stoop / heel-lift form,
  and a squat with the heels rising;
* the plan set "eval" and its camera profile in synth.generate.PLANS / PROFILES;
* camera options on top of make_spec / clip.frame_camera: a camera pitched down at a given
  elevation, obliques at a given angle off the side, cameras too close (head and/or feet cut off);
* the label vocabulary (lift_heel_lift, squat_heel_lift) and a per-frame GT heel rise
  (frames_gt[].angles.heel_rise_cm) that their checks read;
* per-clip evaluation fields in the clip JSON: `eval` (group, expect, expected verdict),
  camera.elevation_deg, `cut_off` (which body parts leave the image, when).

Without --only/--list it renders the groups in priority order (floor lifts, elevated cameras,
cut-off bodies, oblique squats, front squats), each with --skip-existing, so a run that is
stopped part-way leaves a usable set; the manifest is rewritten after every group.
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
from synth import clip as CL  # noqa: E402
from synth import generate as GEN  # noqa: E402
from synth import gt as G  # noqa: E402
from synth import recipes as RC  # noqa: E402

R3 = RC.R3
SET = "eval"
COMMAND = " ".join(
    [
        "/opt/synthvenv/bin/python benchmarks/synth_eval.py",
        "--out sample_videos/eval --seed 202 --workers 2",
    ]
)


# ---------------------------------------------------------------- new recipes
def _lift_bottom(u, style):
    if style == "squat":
        b = dict(
            thigh=u(86, 100),
            shank=u(28, 36),
            pelvis_tilt=u(36, 48),
            spine_flex=u(-5, 2),
            neck_flex=u(-22, -10),
            arm_flex=u(26, 36),
            arm_abd=u(4, 8),
        )
    elif style == "stoop":
        b = dict(
            thigh=u(4, 12),
            shank=u(2, 7),
            pelvis_tilt=u(58, 68),
            spine_flex=u(36, 48),
            neck_flex=u(4, 14),
            arm_flex=u(-5, 5),
            arm_abd=u(4, 8),
        )
    else:  # heel: squat-style with neutral spine, knees further forward, heels off the floor
        b = dict(
            thigh=u(84, 96),
            shank=u(38, 44),
            pelvis_tilt=u(34, 44),
            spine_flex=u(-4, 2),
            neck_flex=u(-20, -10),
            arm_flex=u(30, 40),
            arm_abd=u(4, 8),
            foot=-u(16, 22),
        )
    b["fore_flex"] = b["arm_flex"] + u(0, 8)
    return b


LIFT_LABEL = {
    "squat": "lift_squat_style_neutral_spine",
    "stoop": "lift_stoop_rounded_back",
    "heel": "lift_heel_lift",
}


def floor_lift(u, style, single=False):
    """start at the bottom with the hands at the box on the floor, lift it to lock-out, (lower it
    again). The heels rise in style 'heel' at the bottom and come down during the first half of
    the pull."""
    label = LIFT_LABEL[style]
    base = RC.stand_base(u)
    base.update(leg_abd=u(12, 15), toe_out=u(10, 20), foot=0.0)
    bottom = _lift_bottom(u, style)
    top = dict(
        thigh=0.0,
        shank=u(1, 4),
        pelvis_tilt=u(-4, 0),
        spine_flex=0.0,
        neck_flex=u(0, 8),
        foot=0.0,
        arm_flex=u(6, 14),
        arm_abd=u(4, 8),
    )
    top["fore_flex"] = top["arm_flex"] + u(45, 60)
    start = dict(base)
    start.update(bottom)
    k = RC.KB(start)
    h0 = u(0.35, 0.5)
    k.hold(h0, None)
    t_pull = k.t
    up = u(0.9, 1.1)
    k.move(up, top, label=None)
    t_top = k.t
    extra = []
    if style == "heel":  # heels down by ~55 % of the pull
        extra.append((R3(t_pull + 0.55 * up), {"foot": 0.0}))
    k._seg(0.0, t_top, label)
    reps = [
        dict(
            index=1,
            kind="lift",
            label=label,
            start_s=0.0,
            bottom_s=R3(h0 / 2),
            end_s=R3(t_top),
            starts_at="bottom",
            ends_at="top",
        )
    ]
    props = dict(box=dict(grasp_t=0.0, depth=0.22))
    if single:
        k.hold(u(0.7, 0.9), "stand_neutral")  # ends at lock-out, box held
    else:
        k.hold(u(0.4, 0.55), "stand_neutral")
        t_low = k.t
        dn = u(0.9, 1.05)
        k.move(dn, bottom, label=None)
        t_b = k.t
        if style == "heel":  # heels rise in the second half of the descent
            extra.append((R3(t_low + 0.45 * dn), {"foot": 0.0}))
        hb = u(0.3, 0.4)
        k.hold(hb, None)
        k._seg(t_low, k.t, label)
        reps.append(
            dict(
                index=2,
                kind="lower",
                label=label,
                start_s=R3(t_low),
                bottom_s=R3(t_b + hb / 2),
                end_s=R3(k.t),
                starts_at="top",
                ends_at="bottom",
            )
        )
        props["box"]["release_t"] = R3(t_b + 0.1)
    k.keys.extend(extra)
    k.keys.sort(key=lambda kv: kv[0])
    k.reps = reps
    return dict(activity="lifting", anchor="stand", kb=k, props=props, sway={}, fix_stance=True)


def squat_heel_lift(u, reps=2):
    """squats to depth with neutral trunk in which the heels leave the floor towards the bottom."""
    base = RC.stand_base(u)
    bottom = dict(
        thigh=u(88, 98),
        shank=u(38, 44),
        pelvis_tilt=u(28, 36),
        spine_flex=u(-3, 3),
        neck_flex=u(-16, -8),
        leg_abd=u(13, 17),
        toe_out=u(15, 25),
        foot=-u(16, 22),
    )
    arm_f = u(70, 90)
    bottom.update(arm_flex=arm_f, fore_flex=arm_f + u(-5, 10), arm_abd=u(8, 15))
    base.update(toe_out=bottom["toe_out"], leg_abd=u(6, 10), foot=0.0)
    k = RC.KB(base)
    top = {p: base.get(p, 0.0) for p in bottom}
    k.hold(u(0.4, 0.55), "stand_neutral")
    for i in range(reps):
        var = {
            p: v * u(0.96, 1.04) if p in ("thigh", "shank", "pelvis_tilt") else v
            for p, v in bottom.items()
        }
        k.rep("squat_heel_lift", u(0.6, 0.75), u(0.15, 0.25), u(0.55, 0.7), var, top, kind="squat")
        k.hold(u(0.25, 0.4) if i < reps - 1 else u(0.35, 0.5), "stand_neutral")
    return dict(activity="squat", anchor="stand", kb=k, props={}, sway={}, fix_stance=True)


NEW_RECIPES = {
    "floor_lift_squat_style": lambda u, o: floor_lift(u, "squat"),
    "floor_lift_stoop": lambda u, o: floor_lift(u, "stoop"),
    "floor_lift_heel_lift": lambda u, o: floor_lift(u, "heel"),
    "floor_single_squat_style": lambda u, o: floor_lift(u, "squat", single=True),
    "floor_single_stoop": lambda u, o: floor_lift(u, "stoop", single=True),
    "floor_single_heel_lift": lambda u, o: floor_lift(u, "heel", single=True),
    "squat_heel_lift": lambda u, o: squat_heel_lift(u, o.get("reps", 2)),
}

NEW_LABELS = {
    "lift_heel_lift": {
        "activity": "lifting",
        "definition": "One lift of a box from the floor (or lowering it to the floor) with bent "
        "knees in which the heels leave the floor: max heel_rise_cm >= 3 "
        "(frames_gt[].angles.heel_rise_cm: mean height of the two GT heel points above their "
        "lowest height in the clip, i.e. above the flat-footed stance), min knee_angle_deg <= 110, "
        "max trunk_flexion_spine_deg <= 10 (the spine is neutral; the fault is the heel rise).",
        "check": [
            ["max", "heel_rise_cm", 3, 40],
            ["min", "knee_angle_deg", 0, 110],
            ["max", "trunk_flexion_spine_deg", -90, 10],
        ],
    },
    "squat_heel_lift": {
        "activity": "squat",
        "definition": "One squat rep to depth in which the heels leave the floor towards the "
        "bottom: max heel_rise_cm >= 3, min knee_angle_deg <= 100, "
        "max trunk_inclination_deg <= 50, max knee_valgus_deg <= 8.",
        "check": [
            ["max", "heel_rise_cm", 3, 40],
            ["min", "knee_angle_deg", 0, 100],
            ["max", "trunk_inclination_deg", 0, 50],
            ["max", "knee_valgus_deg", -90, 8],
        ],
    },
}

# ---------------------------------------------------------------- the plan
BODIES = ["m_young", "f_young", "m_older_heavy"]
SIDE_OF = {"L": ("side_left", "oblique_left"), "R": ("side_right", "oblique_right")}


def _eval_plan():
    P = []  # (recipe, opts, view)
    # 1. floor-start lifts (group 'floor')
    P += [
        ("floor_lift_squat_style", dict(body="m_young"), "side_left"),
        ("floor_lift_squat_style", dict(body="f_young", off_side=40), "oblique_right"),
        ("floor_lift_squat_style", dict(body="m_older_heavy"), "side_right"),
        ("floor_lift_stoop", dict(body="f_young"), "side_right"),
        ("floor_lift_stoop", dict(body="m_older_heavy"), "side_left"),
        ("floor_lift_stoop", dict(body="m_young", off_side=40), "oblique_left"),
        ("floor_lift_heel_lift", dict(body="m_older_heavy"), "side_left"),
        ("floor_lift_heel_lift", dict(body="m_young"), "side_right"),
        ("floor_lift_heel_lift", dict(body="f_young", off_side=40), "oblique_right"),
        ("floor_single_squat_style", dict(body="f_young"), "side_right"),
        ("floor_single_stoop", dict(body="m_young"), "side_left"),
        ("floor_single_heel_lift", dict(body="m_older_heavy"), "side_right"),
    ]
    P = [(r, dict(o, group="floor"), v) for r, o, v in P]
    P += [
        ("squat_heel_lift", dict(group="heel", body="f_young", reps=2), "side_left"),
        (
            "squat_heel_lift",
            dict(group="heel", body="m_older_heavy", reps=2, off_side=40),
            "oblique_right",
        ),
    ]
    # 2. cameras looking down (group 'elev'): 3 movements x 5 elevations, side/oblique alternating
    n = 0
    for k, rc in enumerate(["floor_lift_stoop", "floor_lift_squat_style", "squat_good"]):
        for j, el in enumerate([0, 20, 35, 50, 60]):
            side = "L" if (j + k) % 2 == 0 else "R"
            obl = (j + k) % 2 == 1
            o = dict(group="elev", el=el, body=BODIES[n % 3])
            if rc == "squat_good":
                o["reps"] = 2
            if obl:
                o["off_side"] = 40
            P.append((rc, o, SIDE_OF[side][1 if obl else 0]))
            n += 1
    # 3. bodies cut by the image edge (group 'cut')
    P += [
        ("squat_good", dict(group="cut", cut="head", body="m_young", reps=2), "side_left"),
        ("squat_good", dict(group="cut", cut="feet", body="f_young", reps=2), "side_right"),
        (
            "floor_lift_squat_style",
            dict(group="cut", cut="head", body="m_older_heavy"),
            "side_right",
        ),
        ("floor_lift_stoop", dict(group="cut", cut="feet", body="f_young"), "side_left"),
        (
            "squat_good",
            dict(group="cut", cut="both", body="m_older_heavy", reps=2, off_side=40),
            "oblique_left",
        ),
    ]
    # 4. oblique squats 30-50 deg off the side, all bodies (group 'obl')
    offs = [30, 40, 50]
    n = 0
    for rc in ["squat_good", "squat_shallow", "squat_excessive_forward_lean", "squat_knee_valgus"]:
        for b in BODIES:
            P.append(
                (
                    rc,
                    dict(group="obl", body=b, reps=2, off_side=offs[n % 3]),
                    "oblique_left" if n % 2 == 0 else "oblique_right",
                )
            )
            n += 1
    # 5. front-view squats (group 'front')
    P += [
        ("squat_good", dict(group="front", body="m_young", reps=2), "front"),
        ("squat_shallow", dict(group="front", body="f_young", reps=2), "front"),
        ("squat_good", dict(group="front", body="m_older_heavy", reps=2), "front"),
        ("squat_shallow", dict(group="front", body="m_older_heavy", reps=2), "front"),
    ]
    return P


GROUP_ORDER = ["floor", "heel", "elev", "cut", "obl", "front"]
PROFILE = dict(
    side_jit=4,
    obl=(40, 50),
    front_jit=5,
    height=(0.85, 1.3),
    yfov=(42, 52),
    fill=(0.62, 0.78),
    pan=0.12,
    variants=BODIES,
)

VERDICT = {  # recipe -> the verdict the coach should reach when the clip is judgeable
    "floor_lift_squat_style": "good lift (squat-style, neutral spine)",
    "floor_single_squat_style": "good lift (squat-style, neutral spine)",
    "floor_lift_stoop": "fault: rounded back / stoop",
    "floor_single_stoop": "fault: rounded back / stoop",
    "floor_lift_heel_lift": "fault: heel lift",
    "floor_single_heel_lift": "fault: heel lift",
    "squat_heel_lift": "fault: heel lift",
    "squat_good": "good squat (depth reached)",
    "squat_shallow": "fault: shallow (depth not reached)",
    "squat_excessive_forward_lean": "fault: excessive forward lean",
    "squat_knee_valgus": "fault: knee valgus",
}


CUT_WHAT = {"head": "the head", "feet": "the feet", "both": "head and feet"}


def _expect(recipe, opts, view):
    g = opts.get("group")
    v = VERDICT.get(recipe)
    if opts.get("cut"):
        return (
            "not_judged",
            None,
            (
                "camera too close: {} leave(s) the image; no form verdict may be given "
                '(report "not judged" / ask to step back)'.format(CUT_WHAT[opts["cut"]])
            ),
        )
    if view == "front" and recipe in ("squat_good", "squat_shallow"):
        return (
            "judged_or_not_judged",
            v,
            (
                "front view: squat depth either judged correctly from a front-view proxy "
                "or reported not judged; a wrong depth verdict is a failure"
            ),
        )
    if g == "elev" and opts["el"] >= 50:
        return (
            "judged_or_not_judged",
            v,
            (
                "camera {:d} deg above horizontal: sagittal angles are strongly foreshortened; "
                'either the correct verdict or "not judged"; a wrong verdict is a failure'.format(
                    opts["el"]
                )
            ),
        )
    return "judged", v, "the verdict should match the segment labels"


# ---------------------------------------------------------------- hooks into the shared package
_orig_make_spec = GEN.make_spec
_orig_frame_camera = CL.frame_camera
_orig_build_clip = CL.build_clip


def make_spec(set_name, seed, i, recipe, opts, view, prof):
    sp = _orig_make_spec(set_name, seed, i, recipe, opts, view, prof)
    if set_name != SET:
        return sp
    rng = np.random.default_rng([seed, i, 77])

    def u(lo, hi):
        return float(rng.uniform(lo, hi))

    cam = sp["camera"]
    if opts.get("body"):
        sp["variant"] = opts["body"]
    suffix = ""
    if "off_side" in opts and view.startswith("oblique"):
        cam["azimuth_deg"] = (1 if view == "oblique_left" else -1) * (
            90 - opts["off_side"] + u(-2, 2)
        )
        suffix += "_off{:d}".format(opts["off_side"])
    if "el" in opts:
        cam["elevation_deg"] = float(opts["el"])
        cam["pan_m"] = u(-0.06, 0.06)
        suffix += "_el{:02d}".format(opts["el"])
    if opts.get("cut"):
        cut = opts["cut"]
        cam["height_m"] = u(0.95, 1.25)
        cam["pan_m"] = 0.0
        if cut == "head":
            cam.update(fill=u(1.15, 1.22), target_dy=-u(0.14, 0.18))
        elif cut == "feet":
            cam.update(fill=u(1.15, 1.22), target_dy=u(0.14, 0.18))
        else:
            cam.update(fill=u(1.75, 1.85), target_dy=u(-0.03, 0.03))
        suffix += "_cut_" + cut
    expect, verdict, note = _expect(recipe, opts, view)
    sp["eval"] = dict(
        group=opts.get("group"),
        expect=expect,
        expected_verdict=verdict,
        expect_note=note,
        planned_elevation_deg=opts.get("el"),
        planned_off_side_deg=opts.get("off_side"),
        cut=opts.get("cut"),
    )
    tag = opts.get("group", "x")
    rname = recipe[len(tag) + 1 :] if recipe.startswith(tag + "_") else recipe
    sp["name"] = f"{i + 1:02d}_{tag}_{rname}_{view}{suffix}"
    return sp


def frame_camera(spec, frames, rng):
    """as clip.frame_camera, but with camera.elevation_deg the camera is pitched down at the
    person's bounding-box centre from that elevation (the distance still solved for the fill)."""
    c = spec["camera"]
    if c.get("elevation_deg") is None:
        return _orig_frame_camera(spec, frames, rng)
    W, H = CL.W, CL.H
    yaw0 = frames[0]["p"]["yaw"]
    az = np.radians(yaw0 + c["azimuth_deg"])
    el = np.radians(c["elevation_deg"])
    pts = np.concatenate([f["posed"][0][::25] for f in frames[::3]])
    lo, hi = pts.min(0), pts.max(0)
    ctr = (lo + hi) / 2
    tgt = np.array([ctr[0], ctr[1] + c.get("target_dy", 0.0), ctr[2]])
    dh = np.array([np.sin(az), 0, np.cos(az)])
    d = dh * np.cos(el) + np.array([0, np.sin(el), 0])
    corners = np.array(
        [[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])]
    )
    dist = 2.5
    for _ in range(40):
        cam = G.Camera(tgt + d * dist, tgt, c["yfov_deg"], W, H)
        uv, _ = cam.project(corners)
        ext = max((uv[:, 0].max() - uv[:, 0].min()) / W, (uv[:, 1].max() - uv[:, 1].min()) / H)
        if abs(ext - c["fill"]) < 0.01:
            break
        dist = float(np.clip(dist * ext / c["fill"], 1.2, 9.0))
    right = np.cross(-dh, [0, 1, 0])
    right /= np.linalg.norm(right)
    sh = right * c.get("pan_m", 0.0)
    return G.Camera(tgt + d * dist + sh, tgt + sh, c["yfov_deg"], W, H), dist


HEAD = ("nose", "eye_L", "eye_R", "ear_L", "ear_R")
FEET = ("ankle_L", "ankle_R", "heel_L", "heel_R", "toe_L", "toe_R")
STRIP = ("joints_3d", "params", "box_center_3d")


def _intervals(ts, mask):
    out, start = [], None
    for t, m in zip([*ts, None], [*list(mask), False], strict=False):
        if m and start is None:
            start = t
        if not m and start is not None:
            out.append(
                dict(
                    start_s=round(start, 3), end_s=round(t if t is not None else ts[-1] + 1 / 15, 3)
                )
            )
            start = None
    return out


def augment(doc, spec):
    """add the GT heel rise, camera elevation, cut-off record and eval block; strip bulky
    per-frame fields."""
    fr = doc["frames_gt"]
    vis = [f for f in fr if f.get("joints_3d")]
    if vis:
        hl = np.array([f["joints_3d"]["heel_L"][1] for f in vis])
        hr = np.array([f["joints_3d"]["heel_R"][1] for f in vis])
        bl, br = hl.min(), hr.min()
        for f in vis:
            a = f["angles"]
            rl = (f["joints_3d"]["heel_L"][1] - bl) * 100
            rr = (f["joints_3d"]["heel_R"][1] - br) * 100
            a["heel_rise_L_cm"] = round(float(rl), 2)
            a["heel_rise_R_cm"] = round(float(rr), 2)
            a["heel_rise_cm"] = round(float((rl + rr) / 2), 2)
            p = f.get("params") or {}
            side = spec["near_side"] if spec["near_side"] in "LR" else "L"
            if p.get("foot_" + side) is not None:
                a["foot_pitch_deg"] = p["foot_" + side]
    # camera: elevation from eye/target
    cam = doc["camera"]
    e, t = np.array(cam["eye_m"]), np.array(cam["target_m"])
    v = e - t
    cam["elevation_deg"] = round(float(np.degrees(np.arctan2(v[1], np.hypot(v[0], v[2])))), 2)
    cam["height_m"] = round(float(e[1]), 3)
    az = cam["azimuth_deg"]
    cam["off_side_deg"] = round(90 - abs(az), 2)
    cam["off_front_deg"] = round(abs(az), 2)
    if spec["camera"].get("elevation_deg") is not None:
        cam["elevation_planned_deg"] = spec["camera"]["elevation_deg"]
    # cut-off
    ts = [f["t"] for f in fr]
    inimg = [set(f.get("joints_2d_in_image", [])) for f in fr]
    pv = [bool(f.get("person_visible")) for f in fr]
    head_out = [p and not all(k in s for k in HEAD) for p, s in zip(pv, inimg, strict=False)]
    feet_out = [p and not all(k in s for k in FEET) for p, s in zip(pv, inimg, strict=False)]
    any_out = [p and f.get("in_frame_fraction", 1.0) < 0.995 for p, f in zip(pv, fr, strict=False)]
    npv = max(1, sum(pv))
    doc["cut_off"] = dict(
        planned=spec.get("eval", {}).get("cut"),
        head_out_frames_frac=round(sum(head_out) / npv, 3),
        feet_out_frames_frac=round(sum(feet_out) / npv, 3),
        body_partly_out_frames_frac=round(sum(any_out) / npv, 3),
        min_in_frame_fraction=round(
            min([f.get("in_frame_fraction", 0) for f, p in zip(fr, pv, strict=False) if p] or [0]),
            3,
        ),
        head_out=_intervals(ts, head_out),
        feet_out=_intervals(ts, feet_out),
        definition="head_out: a person-visible frame where any of nose/eyes/ears projects outside "
        "the image; feet_out: any of ankles/heels/toes outside; per-frame detail in "
        "frames_gt[].joints_2d_in_image and in_frame_fraction",
    )
    ev = dict(spec.get("eval", {}))
    if ev.get("expect") != "not_judged" and (
        doc["cut_off"]["head_out_frames_frac"] > 0 or doc["cut_off"]["feet_out_frames_frac"] > 0
    ):
        ev["warning"] = "body partly out of the image although no cut-off was planned"
    doc["eval"] = ev
    doc["expect"] = ev.get("expect")
    doc["generator"] = "tools/synth via benchmarks/synth_eval.py (set eval)"
    doc["stripped_fields"] = [*list(STRIP), "keyframes"]
    doc.pop("keyframes", None)
    for f in fr:
        for k in STRIP:
            f.pop(k, None)
    return doc


def build_clip(spec, out_dir, renderer=None, write_video=True):
    doc = _orig_build_clip(spec, out_dir, renderer=renderer, write_video=write_video)
    return augment(doc, spec)


def install():
    RC.RECIPES.update(NEW_RECIPES)
    GEN.LABELS.update(NEW_LABELS)
    GEN.PLANS[SET] = _eval_plan()
    GEN.PROFILES[SET] = PROFILE
    GEN.make_spec = make_spec
    CL.frame_camera = frame_camera
    CL.build_clip = build_clip


# ---------------------------------------------------------------- outputs after rendering
def _load(path):
    with open(path) as fh:
        return json.load(fh)


def _dump(obj, path, indent):
    with open(path, "w") as fh:
        json.dump(obj, fh, indent=indent)


def write_labels(out):
    src = _load(os.path.join(GEN.HERE, "labels.json"))
    src["labels"].update(NEW_LABELS)
    src["notes"] += (
        " Set eval adds lift_heel_lift and squat_heel_lift, checked on "
        "frames_gt[].angles.heel_rise_cm (GT heel height above the flat-footed stance, cm)."
    )
    _dump(src, os.path.join(out, "labels.json"), indent=2)


def finish_manifest(out, seed):
    path = os.path.join(out, "manifest.json")
    if not os.path.exists(path):
        return
    m = _load(path)
    m["generator"] = (
        COMMAND.replace("--seed 202", f"--seed {seed}")
        + '  (registers set "eval" in ../shared/tools/synth: python -m synth.generate --set eval)'
    )
    m["credit"] = "MakeHuman community (CC0)"
    for c in m["clips"]:
        d = _load(os.path.join(out, c["gt"]))
        c["expect"] = d.get("expect")
        c["eval"] = d.get("eval")
        c["camera"]["elevation_deg"] = d["camera"].get("elevation_deg")
        c["camera"]["off_side_deg"] = d["camera"].get("off_side_deg")
        co = d.get("cut_off", {})
        c["cut_off"] = {
            k: co.get(k)
            for k in (
                "planned",
                "head_out_frames_frac",
                "feet_out_frames_frac",
                "min_in_frame_fraction",
            )
        }
        c["rep_detail"] = [
            {
                k: r.get(k)
                for k in (
                    "index",
                    "kind",
                    "label",
                    "start_s",
                    "bottom_s",
                    "end_s",
                    "starts_at",
                    "ends_at",
                )
            }
            for r in d["reps"]
        ]
    _dump(m, path, indent=1)
    write_labels(out)


def main(argv=None):
    install()
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = argparse.ArgumentParser(add_help=False)
    ap.add_argument("--out")
    ap.add_argument("--seed", type=int, default=202)
    ap.add_argument("--only")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--refresh", action="store_true")
    ap.add_argument("-h", "--help", action="store_true")
    a, _ = ap.parse_known_args(argv)
    if a.help:
        print(__doc__)
        return GEN.main(["--help"])
    if "--set" not in argv:
        argv = ["--set", SET, *argv]
    if "--seed" not in argv:
        argv += ["--seed", str(a.seed)]
    if a.only or a.list or a.refresh:
        GEN.main(argv)
    else:
        if "--skip-existing" not in argv:
            argv.append("--skip-existing")
        for g in GROUP_ORDER:
            print(f"== group {g}", flush=True)
            GEN.main([*argv, "--only", f"??_{g}_*"])
            finish_manifest(a.out, a.seed)
    if a.out and not a.list:
        finish_manifest(a.out, a.seed)


if __name__ == "__main__":
    main()
