"""Page 4 — Lift lab (clinic, big screen): live rep scoring, slow-motion replay, reference rep,
NIOSH lifting index per lift.

One truth per lift: the big cue, the stat tiles and the rep table are all drawn from the
finished lifts (``ctrl.reps``) — the big cue is the last lift's verdict, labelled with its
number, never the posture of the current frame. The live panel is one fragment with a
fixed sequence of elements (so no stale copy of the rep table can linger under a new one).

Replays never run on the live panel's refresh: a lift's slow-motion clip is encoded once
(cached by lift), and only drawn in a full run of the page — when **Replay lift N** is
pressed, another input changes, or after Stop — so the pose model keeps the cores.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import altair as alt
import pandas as pd  # type: ignore[import-untyped]
import streamlit as st

from posture_app import audio, camera
from posture_app.live_common import (
    PANEL_REFRESH_S,
    check_camera,
    controller,
    flush,
    prepare,
    show_outcome,
    stream,
)
from posture_app.live_engine import LiveConfig, LiveController, LiveRecord, LiveRep
from posture_app.media import clip_mp4, tagged
from posture_app.records import (
    CATEGORY_LABELS,
    REP_METRIC_LABELS,
    STYLE_WORDS,
    SessionPayload,
    finite,
    rep_notes,
    rep_status,
    style_words,
)
from posture_app.services import effective_profile, load_rules, load_settings, user_height
from posture_app.summary import render_summary
from posture_app.ui import (
    PRIMARY,
    STATUS_COLOURS,
    STATUS_TINTS,
    fmt_clock,
    page_header,
    pill,
    stat_box,
    status_word,
)

CTRL_KEY = "lift_lab_ctrl"
PAYLOAD_KEY = "lift_lab_payload"
REFERENCE_KEY = "lift_lab_reference"
CLIPS_KEY = "lift_lab_clips"
BIG_KEY = "lab_big"
FREQ_KEY = "lab_freq"
DURATIONS = {0.5: "Up to 1 hour", 1.5: "1–2 hours", 8.0: "2–8 hours"}
COUPLINGS = {"good": "Good (handles, firm grip)", "fair": "Fair", "poor": "Poor (bulky, no grip)"}
BAND_WORDS = {"acceptable": ("ok", "Acceptable"), "increased": ("caution", "Increased risk"),
              "high": ("poor", "High risk"), "unknown": ("n/a", "Not measurable")}
REPLAY_SPEED = 0.5
# The NIOSH frequency is the real task's, asked, never the pace of the demonstration lifts
# (lifts 2.6 s apart would count as ~20 a minute). Default: one lift a minute, an
# occasional-lifting task (NIOSH 94-110's frequency table runs from 0.2 to 15 a minute).
DEFAULT_FREQ_PER_MIN = 1.0
FREQ_RANGE = (0.2, 15.0)
LI_SOURCE = ("Revised NIOSH lifting equation: Waters, Putz-Anderson & Garg, *Applications "
             "Manual for the Revised NIOSH Lifting Equation*, NIOSH Pub. 94-110, 1994")
LI_EXPLAINED = (
    "**Lifting index** = the load ÷ the recommended weight limit for this lift: the weight "
    "nearly all healthy workers could lift this way — this far in front, from this height, "
    "this often, for this long — without a raised risk of low-back pain.\n\n"
    "- **1 or less — acceptable:** nearly everyone can do this lift safely.\n"
    "- **Above 1 — increased risk:** some workers are at risk; make it easier (load closer "
    "to the body, from higher up, lighter, less often).\n"
    "- **Above 3 — high risk:** most workers are at risk; change the task.\n\n"
    "The camera measures how far in front of the feet and how high the hands are, and any "
    "twist; the load, grip, frequency and duration come from you. "
    f"Source: {LI_SOURCE}.")

LAB_CSS = """<style>
.lab-cue .lab-tip { font-size: 1.45rem; line-height: 1.3; color: #1f2933; margin-top: .45rem; }
.lab-stats { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: .6rem;
  margin: .2rem 0 .6rem 0; }
.lab-reps-title { font-size: 1.15rem; font-weight: 650; color: #134e4a; margin: .6rem 0 .3rem 0; }
.lab-reps { font-size: 1rem; }
.lab-reps th { padding: .2rem .35rem; text-align: left; }
.lab-reps td { vertical-align: top; }
.lab-reps td.lab-n, .lab-reps td.lab-score, .lab-reps td.lab-li { width: 1%;
  white-space: nowrap; }
.lab-reps td.lab-score .value { font-size: 1.35rem; font-weight: 650; line-height: 1.15;
  font-variant-numeric: tabular-nums; }
.lab-reps td.lab-li { font-variant-numeric: tabular-nums; }
.lab-reps .lab-fault { white-space: nowrap; }
.lab-reps .lab-detail { color: #64748b; font-size: .85em; margin-top: .1rem; }
.lab-legend { margin-top: .45rem; }
</style>"""
# "Big screen" (a clinic's 1920x1080 screen): the sidebar and header go, the page uses the
# whole width; the video column is as wide as a 4:3 video of the screen's height, but at
# most 60 % of it, so the cue, the tiles and the newest lifts fit beside it in large type
# without scrolling. The lifting task moves under the video (``page``).
BIG_SCREEN_CSS = """<style>
section[data-testid="stSidebar"], div[data-testid="stSidebarCollapsedControl"],
header[data-testid="stHeader"], .posture-header { display: none !important; }
.block-container { max-width: none !important; padding: .5rem 1.6rem 2rem 1.6rem !important; }
.st-key-lab_task_top { display: none !important; }
div[data-testid="stColumn"]:has(.st-key-lab_video) {
  flex: 0 1 min(calc((100vh - 7.5rem) * 4 / 3), 60%) !important; width: auto !important;
  min-width: 0 !important; }
div[data-testid="stColumn"]:has(.st-key-lab_panel) { flex: 1 1 0 !important;
  width: auto !important; min-width: 0 !important; }
.st-key-lab_video { max-width: calc((100vh - 7.5rem) * 4 / 3); margin: 0 auto; }
.st-key-lab_video iframe { width: 100% !important; }
.st-key-lab_panel { gap: .55rem; }
.st-key-lab_panel .posture-cue { padding: .8rem 1.1rem; margin: 0 0 .3rem 0; }
.st-key-lab_panel .posture-cue .cue-label { font-size: 1.05rem; }
.st-key-lab_panel .posture-cue.big .cue-text { font-size: clamp(2rem, 2.6vw, 3.6rem);
  line-height: 1.15; }
.st-key-lab_panel .lab-cue .lab-tip { font-size: clamp(1.3rem, 1.45vw, 2rem); }
.st-key-lab_panel .lab-stats { margin: 0; }
.st-key-lab_panel .posture-stat { padding: .45rem .9rem; }
.st-key-lab_panel .posture-stat .label { font-size: 1.05rem; }
.st-key-lab_panel .posture-stat .value { font-size: clamp(1.8rem, 2.2vw, 3rem);
  line-height: 1.15; }
.st-key-lab_panel .lab-reps-title { font-size: 1.45rem; margin: .2rem 0 .1rem 0; }
.st-key-lab_panel .lab-reps { font-size: clamp(1.05rem, 1.15vw, 1.6rem) !important; }
.st-key-lab_panel .lab-reps td { padding: .3rem .35rem; }
.st-key-lab_panel .lab-reps td.lab-score .value { font-size: 1.6em; }
.st-key-lab_panel .posture-pill { font-size: .85em; }
</style>"""


def page() -> None:
    big = bool(st.session_state.get(BIG_KEY, False))
    st.html(LAB_CSS + (BIG_SCREEN_CSS if big else ""))
    page_header("Lift lab",
                "For the clinic: score each lift as it happens, replay it in slow motion and "
                "compare it with a reference lift.")
    st.toggle("Big screen", key=BIG_KEY,
              help="For the clinic's screen: the video as large as the screen allows, the "
                   "last lift's verdict and the lift table in large type beside it. Press F11 "
                   "for the browser's full screen too.")
    settings = load_settings()
    ctrl = controller(CTRL_KEY)
    # The layout first, filled below: on the big screen the lifting task goes under the
    # video (out of the way of the cue and the table), above it otherwise. The top box is
    # there (empty) on the big screen too: the camera keeps its place in the page, so
    # switching the big screen on or off does not restart it.
    task_top = st.container(key="lab_task_top")
    video_col, panel_col = st.columns([3, 2] if big else [1, 1], gap="large")
    with video_col:
        video_box = st.container(key="lab_video")
        task_box = st.container() if big else task_top
    with task_box:
        task, task_inputs = _niosh_inputs()
    profile_ref = effective_profile(settings)
    config = LiveConfig(activity="lifting", profile=profile_ref,
                        user_height_cm=user_height(settings), replay_s=12.0, replay_width=480,
                        assessor_kwargs={"niosh": task} if task is not None else {})
    prepare(ctrl, config)
    if ctrl.running:
        ctrl.set_niosh(task)
    profile = load_rules(profile_ref)

    with video_box:
        ctx = stream(ctrl, "lift-lab", config, settings, "Lift lab", PAYLOAD_KEY)
    with video_col:
        show_outcome(ctrl)
        playing = bool(getattr(getattr(ctx, "state", None), "playing", False))
        if not playing:
            st.caption("Set the camera side-on, 2–3 m away, with the feet and the load in "
                       "view. Press **Start**; each lift is scored as soon as it ends.")
            camera.camera_help()
    live = playing or ctrl.running

    with panel_col:
        @st.fragment(run_every=PANEL_REFRESH_S if live else None)
        def panel() -> None:
            with st.container(key="lab_panel"):
                _panel(ctrl, settings, profile, task_inputs, live)

        panel()

    # Not a refreshing fragment: drawn only in a full run (see the module docstring). On
    # the big screen, under the live video (the cue and the table fill the other column).
    with video_col if big else st.container():
        _replay_and_reference(ctrl, task_inputs, live)

    payload = st.session_state.get(PAYLOAD_KEY)
    if isinstance(payload, SessionPayload) and not ctrl.running:
        st.divider()
        st.subheader("Session summary")
        _summary(payload, profile)


def _summary(payload: SessionPayload, profile: Any) -> None:
    """The session summary, without a second rep table (the lift table above is the one;
    the printable report still lists every lift)."""
    render_summary(payload, series=payload.series, profile=profile, key="lab",
                   show_reps=False)


# ------------------------------------------------------------------------------ NIOSH
def _niosh_inputs() -> tuple[Any, dict[str, Any]]:
    from posture.assess import NioshTask

    with st.expander("Lifting task (NIOSH lifting equation)", expanded=False,
                     icon=":material/scale:"):
        st.caption("What the camera cannot see about the real task. Give the load to get a "
                   "lifting index for each lift.")
        c = st.columns(4)
        load = float(c[0].number_input("Load (kg)", min_value=0.0, max_value=100.0, value=0.0,
                                       step=0.5, key="lab_load",
                                       help="0 = no load (bodyweight practice): no lifting "
                                            "index and no load-distance check."))
        freq = float(c[1].number_input(
            "Lifts per minute in the real task", min_value=FREQ_RANGE[0],
            max_value=FREQ_RANGE[1], value=DEFAULT_FREQ_PER_MIN, step=0.1, key=FREQ_KEY,
            help="How often the lift is done in the real job or exercise — not the pace of "
                 "the demonstration here. 0.2 = once every 5 minutes; 1 = once a minute."))
        duration = c[2].selectbox("Task duration", list(DURATIONS),
                                  format_func=DURATIONS.__getitem__, key="lab_duration")
        coupling = c[3].selectbox("Grip on the load", list(COUPLINGS),
                                  format_func=COUPLINGS.__getitem__, index=1,
                                  key="lab_coupling")
        st.markdown(LI_EXPLAINED)
    inputs = {"load_kg": load, "frequency_per_min": freq, "duration_h": duration,
              "coupling": coupling}
    if load <= 0:
        return None, inputs
    return NioshTask(load_kg=load, coupling=cast(Any, coupling), duration_h=duration,
                     frequency_per_min=freq), inputs


def lift_index(rep: LiveRep, inputs: Mapping[str, Any]) -> tuple[float, str] | None:
    """LI of one lift with the current inputs (the rep's measured H, V, D and twist) at the
    real task's frequency (``inputs["frequency_per_min"]``), never the demonstration's."""
    if not inputs.get("load_kg"):
        return None
    from posture.activities.lifting import niosh_for_rep
    from posture.assess import NioshTask

    metrics = {k: (math.nan if v is None else float(v)) for k, v in rep.metrics.items()
               if isinstance(v, int | float) or v is None}
    freq = finite(inputs.get("frequency_per_min"))
    task = NioshTask(load_kg=float(inputs["load_kg"]), coupling=cast(Any, inputs["coupling"]),
                     duration_h=float(inputs["duration_h"]),
                     frequency_per_min=freq if freq is not None else DEFAULT_FREQ_PER_MIN)
    twist = metrics.get("max_trunk_twist_deg", math.nan)
    try:
        out = niosh_for_rep(task, metrics, twist, None, "")
    except ValueError:
        return None
    li = out.get("lifting_index")
    band = str(out.get("band", "unknown"))
    if li is None:  # an RWL of 0 kg (load too far, or lifts too frequent) gives LI = ∞
        return (math.inf if out.get("rwl_kg") == 0 else math.nan, band)
    return float(li), band


def demo_pace(reps: list[LiveRep]) -> float | None:
    """Lifts a minute at the pace of these lifts (shown for information, never used)."""
    if len(reps) < 2:
        return None
    span = (reps[-1].end_s - reps[0].start_s) / 60.0
    return len(reps) / span if span > 0 else None


# ------------------------------------------------------------------------------ the cue
@dataclass(frozen=True)
class LiftCue:
    """The big cue: what the page says, in large type, about the last finished lift."""

    text: str
    status: str  # ok | caution | poor | n/a (the rep table's "Form" of the same lift)
    label: str
    tip: str = ""
    rep: int | None = None  # the lift it is about

    @property
    def spoken(self) -> str:
        return f"{self.text}. {self.tip}" if self.tip else self.text


def _rep_record(rep: LiveRep) -> dict[str, Any]:
    """The rep in the report-schema shape the table's words are made from."""
    return {"index": rep.index, "faults": rep.faults, "verdict": rep.verdict,
            "not_judged": rep.not_judged, "style": rep.style, "confidence": rep.confidence}


def lift_cue(rep: LiveRep, profile: Any = None) -> LiftCue:
    """The big cue for a finished lift, from that lift's verdict (as its table row says)."""
    d = _rep_record(rep)
    status = rep_status(d)  # the same function draws the table's "Form" pill
    n = rep.index
    score = f" · score {rep.score:.0f}" if rep.score is not None else ""
    label = f"Lift {n} · {status_word(status)}{score}"
    if rep.verdict == "not_judged":
        return LiftCue(f"Lift {n}: {rep_notes(d)}", "n/a", f"Lift {n}", rep=n)
    faults = [f for f in rep.faults if isinstance(f, Mapping)]
    if faults:
        rank = {"poor": 2, "caution": 1}
        worst = max(faults, key=lambda f: rank.get(str(f.get("severity")), 0))
        cat = str(worst.get("category", ""))
        name = CATEGORY_LABELS.get(cat, cat.replace("_", " ").capitalize())
        tip = _fault_cue(profile, cat)
        others = [CATEGORY_LABELS.get(str(f.get("category")), str(f.get("category")))
                  for f in faults if f is not worst]
        if others:
            tip = (tip + " " if tip else "") + f"(Also: {', '.join(others).lower()}.)"
        return LiftCue(f"Lift {n}: {name.lower()}", status, label, tip, rep=n)
    tip = "" if rep.verdict in (None, "good") else rep_notes(d)
    return LiftCue(f"Lift {n}: good lift", "ok", label, tip or "Same again next time.", rep=n)


def _fault_cue(profile: Any, category: str) -> str:
    """The profile's coaching cue for a fault category ("" if the profile has none)."""
    try:
        rules = tuple(profile.frame_rules("lifting")) + tuple(profile.rep_rules("lifting"))
    except Exception:
        return ""
    return next((str(r.cue) for r in rules if r.category == category and r.cue), "")


def waiting_cue(ctrl: LiveController, record: LiveRecord | None, live: bool) -> LiftCue:
    """Before the first lift: what to do now (never a verdict)."""
    if ctrl.error:
        return LiftCue(ctrl.error, "poor", "Problem")
    if not live:
        return LiftCue("Press Start, then lift when ready", "n/a", "Lift lab",
                       "Each lift's verdict, score and replay appear here as soon as it ends.")
    if record is None:
        return LiftCue("Starting the camera…", "n/a", "Please wait")
    if not record.detected:
        return LiftCue("Step into view, side-on to the camera", "n/a", "Waiting for you")
    if record.framing:
        return LiftCue(record.framing, "n/a", "Camera position")
    return LiftCue("Ready — lift when you are", "n/a", "Waiting for the first lift",
                   "Each lift is scored when you stand up again.")


def _cue_html(cue: LiftCue) -> str:
    s = cue.status if cue.status in STATUS_COLOURS else "n/a"
    tip = f'<div class="lab-tip">{html.escape(cue.tip)}</div>' if cue.tip else ""
    rep = f' data-rep="{cue.rep}"' if cue.rep is not None else ""
    return (f'<div class="posture-cue big lab-cue"{rep} style="--cue-colour:{STATUS_COLOURS[s]};'
            f'--cue-tint:{STATUS_TINTS[s]}"><div class="cue-label">{html.escape(cue.label)}</div>'
            f'<div class="cue-text">{html.escape(cue.text)}</div>{tip}</div>')


# ------------------------------------------------------------------------------ panel
def _panel(ctrl: LiveController, settings: Mapping[str, Any], profile: Any,
           inputs: Mapping[str, Any], live: bool) -> None:
    """Cue, tiles, speed, Replay button, the one rep table, sound — always in this order,
    so a refresh replaces each element in place."""
    record = (ctrl.drain() or ctrl.latest) if live else ctrl.latest
    reps = list(ctrl.reps)
    last = reps[-1] if reps else None
    cue = lift_cue(last, profile) if last is not None else waiting_cue(ctrl, record, live)
    st.html(_cue_html(cue))
    score = f"{last.score:.0f}" if last is not None and last.score is not None else "–"
    st.html('<div class="lab-stats">' + stat_box("Lifts", str(len(reps)))
            + stat_box("Last lift score", score)
            + stat_box("Session time", fmt_clock(ctrl.coaching_seconds())) + "</div>")
    if live:
        now = ""
        if last is not None and record is not None and not record.detected:
            now = " · <b>Now:</b> step into view of the camera"
        elif last is not None and record is not None and record.framing:
            now = f" · <b>Now:</b> {html.escape(record.framing)}"
        st.html(f'<div class="posture-muted">Frames analysed: <b>{ctrl.frames_processed}</b> '
                f"· {ctrl.fps:.1f} frames/s · capture → cue {1000 * ctrl.latency_s:.0f} ms"
                f"{now}</div>")
        playable = [r for r in reps if r.frames]
        if st.button(f"Replay lift {playable[-1].index} in slow motion" if playable
                     else "Replay the last lift", key="lab_replay", disabled=not playable,
                     icon=":material/slow_motion_video:",
                     help="Shows this lift's slow-motion replay under “Replay and compare”. "
                          "Replays are made only when asked (and after Stop), so the live "
                          "scoring keeps its speed."):
            st.rerun(scope="app")
        flush(ctrl, settings, "Lift lab")
        check_camera(ctrl)
    st.html(_rep_table_html(reps, inputs))
    if live and last is not None and settings.get("audio_enabled") and \
            st.session_state.get("_audio_on", True):
        # Once per lift (the browser remembers the last sequence number it played).
        audio.play_cue(cue.spoken, 1000 * ctrl.generation + last.index,
                       str(settings.get("audio_mode", "voice")))


def _li_cell(li: tuple[float, str] | None) -> str:
    if li is None:
        return "–"
    status, word = BAND_WORDS.get(li[1], ("n/a", li[1]))
    if math.isfinite(li[0]):
        return f"<div>{li[0]:.2f}</div>{pill(status, word)}"
    if math.isinf(li[0]):
        return (f"<div><span title='The recommended weight limit is 0 kg: the load is too far "
                f"in front, too low or too high, or the lifts too frequent'>&gt; 3</span>"
                f"</div>{pill(status, word)}")
    return pill("n/a", "Not measurable")


def _rep_table_html(reps: list[LiveRep], inputs: Mapping[str, Any]) -> str:
    """The one lift table (newest first), as one HTML element, with its lifting-index key.

    The notes keep the width: the score, its verdict and how sure it is share one narrow
    cell, the faults flow on as few lines as the width allows (a fault is never split),
    and the lift's style (``style_words``, as every rep table says it) is one quiet line
    under them."""
    title = '<div class="lab-reps-title">Lifts, newest first</div>'
    if not reps:
        return title + '<div class="posture-muted">No lifts yet.</div>'
    with_li = bool(inputs.get("load_kg"))
    rows = []
    for r in reversed(reps[-8:]):
        d = _rep_record(r)
        style = style_words(d)
        score = f"{r.score:.0f}" if r.score is not None else "–"
        sure = (f'<div class="lab-detail" title="How likely the verdict is right">'
                f"sure {r.confidence:.0%}</div>" if r.confidence is not None else "")
        rows.append(f"<tr data-rep='{r.index}'><td class='lab-n'><b>{r.index}</b></td>"
                    f"<td class='lab-score'><div class='value'>{score}</div>"
                    f"{pill(rep_status(d))}{sure}</td>"
                    f"<td class='lab-notes'>{_notes_html(d)}"
                    + (f'<div class="lab-detail" title="Lifting style: squat, mixed or '
                       f'stoop, as this lift\'s stoop check judged it">Style: '
                       f"{html.escape(style)}</div>" if style != STYLE_WORDS["unknown"]
                       else "")
                    + "</td>"
                    + (f"<td class='lab-li'>{_li_cell(lift_index(r, inputs))}</td>"
                       if with_li else "")
                    + "</tr>")
    head = ("<tr><th>Lift</th><th>Score</th><th>Notes</th>"
            + ("<th>Lifting index</th>" if with_li else "") + "</tr>")
    table = (f'<table class="posture-angles lab-reps"><thead>{head}</thead>'
             f"<tbody>{''.join(rows)}</tbody></table>")
    return title + table + (_li_legend(reps, inputs) if with_li else "")


def _notes_html(d: Mapping[str, Any]) -> str:
    """The row's notes (``rep_notes``, the same words as everywhere): faults separated as
    in the text, each kept whole on its line."""
    notes = rep_notes(d)
    if d.get("verdict") == "not_judged" or not d.get("faults"):
        return html.escape(notes)
    return ", ".join(f'<span class="lab-fault">{html.escape(part)}</span>'
                     for part in notes.split(", "))


def _li_legend(reps: list[LiveRep], inputs: Mapping[str, Any]) -> str:
    freq = finite(inputs.get("frequency_per_min")) or DEFAULT_FREQ_PER_MIN
    duration = DURATIONS.get(float(inputs.get("duration_h") or 1.0), "")
    text = (f"Lifting index at <b>{freq:g} lift(s) a minute</b> in the real task"
            + (f", {html.escape(duration.lower())} a day" if duration else "")
            + ": 1 or less acceptable · above 1 increased risk · above 3 high risk "
              "(revised NIOSH lifting equation, Waters et al., NIOSH 1994).")
    pace = demo_pace(reps)
    if pace is not None and abs(pace - freq) > 0.5:
        gap = 60.0 / pace
        text += (f" These lifts came about every {gap:.0f} s (≈ {pace:.0f} a minute): a "
                 "demonstration pace, not used.")
    return f'<div class="posture-muted lab-legend">{text}</div>'


# ------------------------------------------------------------------------------ replay
def _clip(rep: LiveRep, role: str = "last") -> bytes | None:
    """The lift's slow-motion mp4, encoded once per lift and kept (the last few lifts and
    the reference). The reference is the same clip tagged differently: Streamlit autoplays
    a video only the first time it sees it, and a lift that becomes the reference was
    already shown (and played) as the last lift."""
    clips: dict[tuple[int, float, float], bytes] = st.session_state.setdefault(CLIPS_KEY, {})
    key = (rep.index, rep.start_s, rep.end_s)
    if key not in clips:
        data = clip_mp4(rep.frames, speed=REPLAY_SPEED)
        if data is None:
            return None
        clips[key] = data
        ref = st.session_state.get(REFERENCE_KEY)
        keep = (ref.index, ref.start_s, ref.end_s) if isinstance(ref, LiveRep) else None
        for old in [k for k in clips if k != keep][:-6]:
            clips.pop(old, None)
    return clips[key] if role == "last" else tagged(clips[key], role)


def _replay_and_reference(ctrl: LiveController, inputs: Mapping[str, Any], live: bool) -> None:
    reps = [r for r in ctrl.reps if r.frames]
    reference: LiveRep | None = st.session_state.get(REFERENCE_KEY)
    st.subheader("Replay and compare")
    if not reps and reference is None:
        st.caption("After the first lift, its slow-motion replay (with the skeleton) appears "
                   "here. Use **Set as reference** on a good demonstration lift to compare "
                   "every following lift with it.")
        return
    if live:
        st.caption("The replay shows the newest lift when you press **Replay lift …** beside "
                   "the video (and after Stop): replays are made only when asked, so the live "
                   "scoring keeps its speed.")
    last = reps[-1] if reps else None
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown("**Reference lift**")
        if reference is not None:
            data = _clip(reference, "reference")
            if data:
                st.video(data, loop=not live, autoplay=True, muted=True)
            st.caption(f"Reference: lift {reference.index}, score {reference.score:.0f}"
                       if reference.score is not None else f"Reference: lift {reference.index}")
            st.button("Clear reference", key="lab_clear_ref", icon=":material/close:",
                      on_click=lambda: st.session_state.pop(REFERENCE_KEY, None))
        else:
            st.info("No reference yet. When the demonstration lift looks right, press "
                    "**Set as reference** under the replay.", icon=":material/star:")
    with right:
        st.markdown(f"**Lift {last.index}, {REPLAY_SPEED:g}× speed**" if last
                    else "**Last lift**")
        if last is not None and last is reference:
            st.info("This lift is now the reference. The next lift appears here, beside it.",
                    icon=":material/star:")
        elif last is not None:
            data = _clip(last)
            if data:
                # Live: played once (press play to see it again); looping after Stop.
                st.video(data, loop=not live, autoplay=True, muted=True)
            st.caption(_verdict_line(last))
            st.button("Set as reference", key="lab_set_ref", icon=":material/star:",
                      type="primary", on_click=_set_reference, args=(last,))
    if reference is not None and last is not None and last is not reference:
        _compare(reference, last, inputs)


def _verdict_line(rep: LiveRep) -> str:
    """The replay's caption: the lift's verdict, as the big cue and the table say it."""
    text = lift_cue(rep).text
    return f"{text} — score {rep.score:.0f}" if rep.score is not None else text


def _set_reference(rep: LiveRep) -> None:
    st.session_state[REFERENCE_KEY] = rep


def _compare(reference: LiveRep, last: LiveRep, inputs: Mapping[str, Any]) -> None:
    rows = []
    for key, (label, unit) in REP_METRIC_LABELS.items():
        if key == "load_distance_cm" and not inputs.get("load_kg"):
            continue  # no load given: how far the hands are in front is no risk to show
        a, b = finite(reference.metrics.get(key)), finite(last.metrics.get(key))
        if a is None and b is None:
            continue
        digits = 2 if key.endswith("_ratio") else 0
        diff = f"{b - a:+.{digits}f}{unit}" if a is not None and b is not None else "–"
        rows.append({"Measure": label,
                     "Reference": f"{a:.{digits}f}{unit}" if a is not None else "–",
                     f"Lift {last.index}": f"{b:.{digits}f}{unit}" if b is not None else "–",
                     "Difference": diff})
    if reference.score is not None or last.score is not None:
        rows.insert(0, {"Measure": "Score",
                        "Reference": f"{reference.score:.0f}" if reference.score is not None
                        else "–",
                        f"Lift {last.index}": f"{last.score:.0f}" if last.score is not None
                        else "–", "Difference": (f"{last.score - reference.score:+.0f}"
                                                 if last.score is not None and
                                                 reference.score is not None else "–")})
    c1, c2 = st.columns([2, 3], gap="large")
    c1.markdown("**Angles compared**")
    c1.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    charts = _overlay_charts(reference, last)
    if charts:
        c2.markdown("**Through the lift (0 % = start, 100 % = standing again)**")
        for chart in charts:
            c2.altair_chart(chart, width="stretch")


OVERLAY_METRICS = (("trunk_inclination_deg", "Trunk angle (°)"),
                   ("knee_angle_deg", "Knee angle (°)"))


def _overlay_charts(reference: LiveRep, last: LiveRep) -> list[alt.Chart]:
    """One plain line chart per measure (not a facet: a faceted chart stretched to the
    column's width makes Vega draw an SVG of height "Infinity")."""
    rows = []
    names = ["Reference", f"Lift {last.index}"]  # fixed domains: never an empty legend
    for name, rep in zip(names, (reference, last), strict=True):
        span = max(rep.end_s - rep.start_s, 1e-3)
        for r in rep.trace:
            pct = 100.0 * (float(r["t"]) - rep.start_s) / span
            if not -5 <= pct <= 105:
                continue
            for metric, label in OVERLAY_METRICS:
                v = finite(r.get(metric))
                if v is not None:
                    rows.append({"pct": pct, "value": v, "lift": name, "measure": label})
    if not rows:
        return []
    df = pd.DataFrame(rows)
    charts = []
    for _, label in OVERLAY_METRICS:
        part = df[df["measure"] == label]
        if part.empty:
            continue
        # Explicit, finite domains: Vega draws the chart once before its data arrives, and
        # an empty data set gives an infinite extent (SVG errors in the browser console).
        lo, hi = float(part["value"].min()), float(part["value"].max())
        pad = max(5.0, 0.1 * (hi - lo))
        charts.append(alt.Chart(part).mark_line(strokeWidth=2.5, interpolate="monotone").encode(
            x=alt.X("pct:Q", title="Through the lift (%)", scale=alt.Scale(domain=[0, 100])),
            y=alt.Y("value:Q", title=label,
                    scale=alt.Scale(domain=[math.floor(lo - pad), math.ceil(hi + pad)])),
            color=alt.Color("lift:N", title=None, scale=alt.Scale(
                domain=names, range=["#94a3b8", PRIMARY]), legend=alt.Legend(orient="top")),
            strokeDash=alt.StrokeDash("lift:N", title=None, scale=alt.Scale(
                domain=names, range=[[6, 4], [1, 0]]), legend=alt.Legend(orient="top")),
            tooltip=["lift", "measure", alt.Tooltip("value:Q", format=".0f")],
        ).properties(height=170))
    return charts
