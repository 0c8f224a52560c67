"""The session summary shown after a live session, a review, or from the history."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd  # type: ignore[import-untyped]
import streamlit as st

from posture_app.charts import angle_chart, chart_title, chartable, metric_bands
from posture_app.records import (
    SessionPayload,
    events_frame,
    finite,
    not_judged_words,
    reps_frame,
    share_ok,
)
from posture_app.ui import band_bar, fmt_duration, stat_box

ACTIVITY_WORDS = {"sitting": "Sitting", "standing": "Standing", "lifting": "Lifting",
                  "auto": "Mixed"}


def headline(payload: SessionPayload) -> str:
    """One short, positive sentence about the session."""
    share = share_ok(payload.summary)
    n_reps = len(payload.reps)
    if payload.activity == "lifting" and n_reps:
        verdicts = [r.get("verdict", "good" if not r.get("faults") else "faulty")
                    for r in payload.reps]
        unjudged = verdicts.count("not_judged")
        judged = n_reps - unjudged
        clean = sum(1 for v in verdicts if v in ("good", "partly_judged"))
        if judged == 0:
            why = not_judged_words(payload.reps[0], 1).split("— ", 1)[-1]
            return (f"{n_reps} lift(s) counted, but their form could not be judged"
                    + (f": {why}." if why else "."))
        tail = f" ({unjudged} more could not be judged)" if unjudged else ""
        if clean == judged and "partly_judged" not in verdicts:
            return ("The lift looked good — well done." if judged == 1 else
                    f"All {judged} judged lifts looked good — well done{tail}.")
        if clean == judged:
            return (f"No faults seen in {judged} lift(s){tail}, but some checks could not be "
                    "judged (listed below, with what would allow them).")
        return (f"{clean} of {judged} judged lifts looked good{tail}. The tips below show "
                "what to try next.")
    basis = str(payload.summary.get("score_basis") or "")
    if payload.summary.get("score") is None and basis.startswith("not judged"):
        # Only side-to-side checks had a view: no "well done" on what was not seen.
        return ("Your posture could not be judged from this camera angle — place the camera "
                "side-on to check your head and trunk.")
    if share is None:
        return "Nothing could be measured yet — check that the camera sees you side-on."
    if share >= 0.8:
        return f"Good posture {share:.0%} of the time — well done."
    if share >= 0.5:
        return (f"Good posture {share:.0%} of the time. Small resets and regular movement "
                "help most.")
    return (f"Good posture {share:.0%} of the time. Try the tips below, and remember: "
            "changing position often matters more than one perfect posture.")


def not_judged_rows(summary: Mapping[str, Any]) -> list[str]:
    """summary.not_judged as one line per reason (a category's frame and rep checks say
    the same thing once)."""
    rows: list[str] = []
    for n in summary.get("not_judged") or ():
        reason = n.get("reason") if isinstance(n, Mapping) else None
        if reason and reason not in rows:
            rows.append(str(reason))
    return rows


def render_stats(payload: SessionPayload) -> None:
    s = payload.summary
    score = finite(s.get("score"))
    share = share_ok(s)
    detected = finite(s.get("detected_fraction"))
    boxes = [
        ("Score", f"{score:.0f} / 100" if score is not None else "–"),
        ("Activity", ACTIVITY_WORDS.get(payload.activity, payload.activity.capitalize())),
        ("Duration", fmt_duration(payload.duration_s)),
        ("Good posture", f"{share:.0%}" if share is not None else "–"),
    ]
    if payload.activity == "lifting" or payload.reps:
        boxes.append(("Reps", str(len(payload.reps))))
    else:
        boxes.append(("Person in view", f"{detected:.0%}" if detected is not None else "–"))
    cols = st.columns(len(boxes))
    for col, (label, value) in zip(cols, boxes, strict=True):
        col.html(stat_box(label, value))


def render_stats_compact(payload: SessionPayload) -> None:
    s = payload.summary
    score = finite(s.get("score"))
    share = share_ok(s)
    c1, c2 = st.columns(2)
    c1.html(stat_box("Score", f"{score:.0f} / 100" if score is not None else "–"))
    if payload.reps:
        c2.html(stat_box("Reps", str(len(payload.reps))))
    else:
        c2.html(stat_box("Good posture", f"{share:.0%}" if share is not None else "–"))


def render_summary(payload: SessionPayload, *, series: Sequence[Mapping[str, Any]] = (),
                   profile: Any = None, calibration: Any = None, key: str = "summary",
                   compact: bool = False, details_only: bool = False) -> None:
    """Headline, score tiles, time in each band, angle charts, events and reps.

    ``compact``: only the headline, tiles and band bar (beside a video);
    ``details_only``: everything but those.
    """
    if not details_only:
        st.markdown(f"**{headline(payload)}**")
        if compact:
            render_stats_compact(payload)
        else:
            render_stats(payload)
        st.markdown("##### Time in each band")
        st.html(band_bar(dict(payload.summary.get("time_s_by_severity") or {})))
        t = payload.summary.get("time_s_by_severity") or {}
        st.caption(" · ".join(f"{word}: {fmt_duration(finite(t.get(k)) or 0.0)}" for k, word in
                              (("ok", "✓ Good"), ("caution", "! Check"),
                               ("poor", "✕ Adjust"))))
        if compact:
            return
    if series:
        df = pd.DataFrame(list(series))
        if "activity" in df and payload.activity in ("sitting", "standing", "lifting"):
            specs = chartable(df, metric_bands(profile, payload.activity, calibration))
        else:
            specs = []
        if specs:
            st.markdown("##### Angles over time")
            st.caption("Shaded bands: amber = check, red = adjust. Darker blocks mark the moments "
                       "a tip was due. Drag to pan, scroll to zoom.")
            for spec in specs:
                st.markdown(f"**{chart_title(spec)}**")
                st.altair_chart(angle_chart(df, spec, payload.events, payload.reps),
                                width="stretch", key=f"{key}-chart-{spec.metric}")
    if payload.reps:
        st.markdown("##### Reps")
        st.caption("Sure: how likely each verdict is right, from the measured accuracy of the "
                   "angles in this camera view and how clearly the body was seen.")
        st.dataframe(reps_frame(payload.reps), hide_index=True, width="stretch",
                     column_config={
                         "Score": st.column_config.ProgressColumn(
                             "Score", min_value=0, max_value=100, format="%d"),
                         "Trunk max (°)": st.column_config.NumberColumn(format="%.0f"),
                         "Knee min (°)": st.column_config.NumberColumn(format="%.0f")})
    gaps = not_judged_rows(payload.summary)
    if gaps:
        st.markdown("##### Not judged")
        st.caption("These checks had no reliable view, so no verdict was given on them.")
        st.markdown("\n".join(f"- {g}" for g in gaps))
    st.markdown("##### Moments to work on")
    if payload.events:
        st.dataframe(events_frame(payload.events, profile), hide_index=True, width="stretch")
    else:
        st.success("No posture events — nothing held outside the good band for long.",
                   icon=":material/check_circle:")
