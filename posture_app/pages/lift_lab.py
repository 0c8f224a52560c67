"""Page 4 — Lift lab (clinic, big screen): live rep scoring, slow-motion replay, reference rep,
NIOSH lifting index per lift."""

from __future__ import annotations

import html
import math
from typing import Any, cast

import altair as alt
import pandas as pd  # type: ignore[import-untyped]
import streamlit as st

from posture_app import camera
from posture_app.live_common import (
    PANEL_REFRESH_S,
    check_camera,
    controller,
    flush,
    prepare,
    render_live_panel,
    show_outcome,
    stream,
)
from posture_app.live_engine import LiveConfig, LiveController, LiveRep
from posture_app.media import clip_mp4
from posture_app.records import (
    REP_METRIC_LABELS,
    SessionPayload,
    finite,
    rep_notes,
    rep_status,
)
from posture_app.services import effective_profile, load_rules, load_settings, user_height
from posture_app.summary import render_summary
from posture_app.ui import PRIMARY, page_header, pill

CTRL_KEY = "lift_lab_ctrl"
PAYLOAD_KEY = "lift_lab_payload"
REFERENCE_KEY = "lift_lab_reference"
CLIPS_KEY = "lift_lab_clips"
DURATIONS = {0.5: "Up to 1 hour", 1.5: "1–2 hours", 8.0: "2–8 hours"}
COUPLINGS = {"good": "Good (handles, firm grip)", "fair": "Fair", "poor": "Poor (bulky, no grip)"}
BAND_WORDS = {"acceptable": ("ok", "Acceptable"), "increased": ("caution", "Increased risk"),
              "high": ("poor", "High risk"), "unknown": ("n/a", "Not measurable")}
REPLAY_SPEED = 0.5


def page() -> None:
    page_header("Lift lab",
                "For the clinic: score each lift as it happens, replay it in slow motion and "
                "compare it with a reference lift.")
    settings = load_settings()
    ctrl = controller(CTRL_KEY)
    task, task_inputs = _niosh_inputs(ctrl)
    profile_ref = effective_profile(settings)
    config = LiveConfig(activity="lifting", profile=profile_ref,
                        user_height_cm=user_height(settings), replay_s=12.0, replay_width=480,
                        assessor_kwargs={"niosh": task} if task is not None else {})
    prepare(ctrl, config)
    if ctrl.running:
        ctrl.set_niosh(task)
    profile = load_rules(profile_ref)

    video_col, panel_col = st.columns([5, 4], gap="large")
    with video_col:
        ctx = stream(ctrl, "lift-lab", config, settings, "Lift lab", PAYLOAD_KEY)
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
            if live:
                render_live_panel(ctrl, settings, profile, "lifting", big=True,
                                  show_angles=False)
                flush(ctrl, settings, "Lift lab")
                check_camera(ctrl)
            else:
                st.html('<div class="posture-muted" style="font-size:1.1rem">'
                        "Press <b>Start</b> to begin. The last lift's score, its replay and the "
                        "comparison with your reference appear here and below.</div>")
            _rep_table(ctrl.reps, task_inputs)

        panel()

    @st.fragment(run_every=PANEL_REFRESH_S if live else None)
    def replay() -> None:
        _replay_and_reference(ctrl)

    replay()

    payload = st.session_state.get(PAYLOAD_KEY)
    if isinstance(payload, SessionPayload) and not ctrl.running:
        st.divider()
        st.subheader("Session summary")
        render_summary(payload, series=payload.series, profile=profile, key="lab")


# ------------------------------------------------------------------------------ NIOSH
def _niosh_inputs(ctrl: LiveController) -> tuple[Any, dict[str, Any]]:
    from posture.assess import NioshTask

    with st.expander("Lifting task (NIOSH lifting equation)", expanded=False,
                     icon=":material/scale:"):
        st.caption("What the camera cannot see. The lifting index compares the load with the "
                   "recommended weight limit for this task: up to 1 is acceptable, above 1 "
                   "increased risk, above 3 high risk (NIOSH 94-110).")
        c = st.columns(4)
        load = float(c[0].number_input("Load (kg)", min_value=0.0, max_value=100.0, value=0.0,
                                       step=0.5, key="lab_load",
                                       help="0 = no load (bodyweight practice)."))
        freq = float(c[1].number_input("Lifts per minute", min_value=0.0, max_value=15.0,
                                       value=0.0, step=0.5, key="lab_freq",
                                       help="0 = measure it from the lifts."))
        duration = c[2].selectbox("Task duration", list(DURATIONS),
                                  format_func=DURATIONS.__getitem__, key="lab_duration")
        coupling = c[3].selectbox("Grip on the load", list(COUPLINGS),
                                  format_func=COUPLINGS.__getitem__, index=1,
                                  key="lab_coupling")
    inputs = {"load_kg": load, "frequency_per_min": freq or None, "duration_h": duration,
              "coupling": coupling}
    if load <= 0:
        return None, inputs
    return NioshTask(load_kg=load, coupling=cast(Any, coupling), duration_h=duration,
                     frequency_per_min=freq or None), inputs


def lift_index(rep: LiveRep, inputs: dict[str, Any], measured_freq: float | None
               ) -> tuple[float, str] | None:
    """LI of one lift with the current inputs (the rep's measured H, V, D and twist)."""
    if not inputs.get("load_kg"):
        return None
    from posture.activities.lifting import niosh_for_rep
    from posture.assess import NioshTask

    metrics = {k: (math.nan if v is None else float(v)) for k, v in rep.metrics.items()
               if isinstance(v, int | float) or v is None}
    task = NioshTask(load_kg=float(inputs["load_kg"]), coupling=cast(Any, inputs["coupling"]),
                     duration_h=float(inputs["duration_h"]),
                     frequency_per_min=inputs.get("frequency_per_min"))
    twist = metrics.get("max_trunk_twist_deg", math.nan)
    try:
        out = niosh_for_rep(task, metrics, twist, measured_freq, "")
    except ValueError:
        return None
    li = out.get("lifting_index")
    band = str(out.get("band", "unknown"))
    if li is None:  # an RWL of 0 kg (load too far, or lifts too frequent) gives LI = ∞
        return (math.inf if out.get("rwl_kg") == 0 else math.nan, band)
    return float(li), band


def _measured_freq(reps: list[LiveRep]) -> float | None:
    if len(reps) < 2:
        return None
    span = (reps[-1].end_s - reps[0].start_s) / 60.0
    return len(reps) / span if span > 0 else None


def _rep_table(reps: list[LiveRep], inputs: dict[str, Any]) -> None:
    if not reps:
        return
    freq = _measured_freq(reps)
    rows = []
    for r in reversed(reps[-8:]):
        d = {"faults": r.faults, "verdict": r.verdict, "not_judged": r.not_judged}
        sure = f"{r.confidence:.0%}" if r.confidence is not None else "–"
        li = lift_index(r, inputs, freq)
        li_text = "–"
        if li is not None:
            status, word = BAND_WORDS.get(li[1], ("n/a", li[1]))
            if math.isfinite(li[0]):
                li_text = f"{li[0]:.2f} {pill(status, word)}"
            elif math.isinf(li[0]):
                li_text = f"<span title='Recommended limit 0 kg'>&gt; 3</span> {pill(status, word)}"
            else:
                li_text = pill("n/a", "Not measurable")
        score = f"{r.score:.0f}" if r.score is not None else "–"
        rows.append(f"<tr><td><b>{r.index}</b></td><td class='value'>{score}</td>"
                    f"<td>{pill(rep_status(d))}</td><td>{html.escape(rep_notes(d))}</td>"
                    f"<td>{(r.style or '–').capitalize()}</td><td>{sure}</td>"
                    + (f"<td>{li_text}</td>" if inputs.get("load_kg") else "") + "</tr>")
    head = ("<tr><th>Rep</th><th style='text-align:right'>Score</th><th>Form</th>"
            "<th>Notes</th><th>Style</th><th title='How likely the verdict is right'>Sure</th>"
            + ("<th>Lifting index</th>" if inputs.get("load_kg") else "") + "</tr>")
    st.markdown("##### Lifts, newest first")
    st.html(f'<table class="posture-angles" style="font-size:1rem"><thead>{head}</thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


# ------------------------------------------------------------------------------ replay
def _clip(rep: LiveRep, role: str = "last") -> bytes | None:
    """The rep's slow-motion mp4, made once. The reference is encoded a little differently:
    Streamlit autoplays a video only the first time it sees it, and a rep that becomes the
    reference was already shown (and played) as the last lift."""
    clips: dict[tuple[int, float, str], bytes] = st.session_state.setdefault(CLIPS_KEY, {})
    key = (rep.index, rep.start_s, role)
    if key not in clips:
        data = clip_mp4(rep.frames, speed=REPLAY_SPEED, crf=23 if role == "last" else 22)
        if data is None:
            return None
        clips[key] = data
        for old in list(clips)[:-6]:
            clips.pop(old, None)
    return clips[key]


def _replay_and_reference(ctrl: LiveController) -> None:
    reps = [r for r in ctrl.reps if r.frames]
    reference: LiveRep | None = st.session_state.get(REFERENCE_KEY)
    st.subheader("Replay and compare")
    if not reps and reference is None:
        st.caption("After the first lift, its slow-motion replay (with the skeleton) appears "
                   "here. Use **Set as reference** on a good demonstration lift to compare "
                   "every following lift with it.")
        return
    last = reps[-1] if reps else None
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown("**Reference lift**")
        if reference is not None:
            data = _clip(reference, "reference")
            if data:
                st.video(data, loop=True, autoplay=True, muted=True)
            st.caption(f"Reference: rep {reference.index}, score "
                       f"{reference.score:.0f}" if reference.score is not None else
                       f"Reference: rep {reference.index}")
            st.button("Clear reference", key="lab_clear_ref", icon=":material/close:",
                      on_click=lambda: st.session_state.pop(REFERENCE_KEY, None))
        else:
            st.info("No reference yet. When the demonstration lift looks right, press "
                    "**Set as reference** under the replay.", icon=":material/star:")
    with right:
        st.markdown(f"**Last lift (rep {last.index}), {REPLAY_SPEED:g}× speed**" if last
                    else "**Last lift**")
        if last is not None and last is reference:
            st.info("This lift is now the reference. The next lift appears here, beside it.",
                    icon=":material/star:")
        elif last is not None:
            data = _clip(last)
            if data:
                st.video(data, loop=True, autoplay=True, muted=True)
            st.button("Set as reference", key="lab_set_ref", icon=":material/star:",
                      type="primary", on_click=_set_reference, args=(last,))
    if reference is not None and last is not None and last is not reference:
        _compare(reference, last)


def _set_reference(rep: LiveRep) -> None:
    st.session_state[REFERENCE_KEY] = rep


def _compare(reference: LiveRep, last: LiveRep) -> None:
    rows = []
    for key, (label, unit) in REP_METRIC_LABELS.items():
        a, b = finite(reference.metrics.get(key)), finite(last.metrics.get(key))
        if a is None and b is None:
            continue
        digits = 2 if key.endswith("_ratio") else 0
        diff = f"{b - a:+.{digits}f}{unit}" if a is not None and b is not None else "–"
        rows.append({"Measure": label,
                     "Reference": f"{a:.{digits}f}{unit}" if a is not None else "–",
                     f"Rep {last.index}": f"{b:.{digits}f}{unit}" if b is not None else "–",
                     "Difference": diff})
    if reference.score is not None or last.score is not None:
        rows.insert(0, {"Measure": "Score",
                        "Reference": f"{reference.score:.0f}" if reference.score is not None
                        else "–",
                        f"Rep {last.index}": f"{last.score:.0f}" if last.score is not None
                        else "–", "Difference": (f"{last.score - reference.score:+.0f}"
                                                 if last.score is not None and
                                                 reference.score is not None else "–")})
    c1, c2 = st.columns([2, 3], gap="large")
    c1.markdown("**Angles compared**")
    c1.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    chart = _overlay_chart(reference, last)
    if chart is not None:
        c2.markdown("**Through the lift (0 % = start, 100 % = standing again)**")
        c2.altair_chart(chart, width="stretch")


def _overlay_chart(reference: LiveRep, last: LiveRep) -> alt.FacetChart | None:
    rows = []
    for name, rep in (("Reference", reference), (f"Rep {last.index}", last)):
        span = max(rep.end_s - rep.start_s, 1e-3)
        for r in rep.trace:
            pct = 100.0 * (float(r["t"]) - rep.start_s) / span
            if not -5 <= pct <= 105:
                continue
            for metric, label in (("trunk_inclination_deg", "Trunk angle (°)"),
                                  ("knee_angle_deg", "Knee angle (°)")):
                v = finite(r.get(metric))
                if v is not None:
                    rows.append({"pct": pct, "value": v, "lift": name, "measure": label})
    if not rows:
        return None
    df = pd.DataFrame(rows)
    return alt.Chart(df).mark_line(strokeWidth=2.5, interpolate="monotone").encode(
        x=alt.X("pct:Q", title="Through the lift (%)", scale=alt.Scale(domain=[0, 100])),
        y=alt.Y("value:Q", title=None),
        color=alt.Color("lift:N", title=None, scale=alt.Scale(
            range=["#94a3b8", PRIMARY]), legend=alt.Legend(orient="top")),
        strokeDash=alt.StrokeDash("lift:N", legend=None),
        tooltip=["lift", "measure", alt.Tooltip("value:Q", format=".0f")],
    ).properties(height=170).facet(row=alt.Row("measure:N", title=None))

