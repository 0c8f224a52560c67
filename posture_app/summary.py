"""The session summary shown after a live session, a review, or from the history.

One score per activity, always named where it appears, with what it means and what is
good (:func:`score_view`); headlines and tips derived from the same reps and moments the
tables show (:func:`headline`, :func:`tips_for`); and the printable report of any session
(:func:`report_download`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import pandas as pd  # type: ignore[import-untyped]
import streamlit as st

from posture.activities.lifting import SQUAT_MAX_SSI, STOOP_MIN_SSI
from posture_app.charts import angle_chart, chart_title
from posture_app.records import (
    HIP_COLUMN,
    KNEE_COLUMN,
    LIFT_SCORE_COLUMN,
    REP_COLUMNS,
    STOOP_INDEX_COLUMN,
    STYLE_BY_STOOP_CHECK,
    TRUNK_COLUMN,
    SessionPayload,
    events_frame,
    finite,
    metric_hint,
    rep_detail_frame,
    reps_frame,
)
from posture_app.session_text import (
    chart_specs,
    headline,
    is_lifting,
    moments,
    not_judged_rows,
    score_tiles,
    score_view,
    therapist_rows,
    tips_for,
)
from posture_app.ui import band_bar, fmt_duration, stat_box


def render_score(payload: SessionPayload, compact: bool = False) -> None:
    """The score's tiles, its definition and the "what is good" line (or why not judged)."""
    tiles = score_tiles(payload, compact=compact)
    cols = st.columns(len(tiles))
    for col, (label, value) in zip(cols, tiles, strict=True):
        col.html(stat_box(label, value))
    view = score_view(payload)
    if not view.judged and view.reason:
        st.info(f"**{view.label}: not judged** — {view.reason}.", icon=":material/visibility_off:")
    st.caption(view.short if compact else f"{view.definition} {view.good}")


def render_stats(payload: SessionPayload) -> None:
    render_score(payload)


def render_stats_compact(payload: SessionPayload) -> None:
    render_score(payload, compact=True)


def render_summary(payload: SessionPayload, *, series: Sequence[Mapping[str, Any]] = (),
                   profile: Any = None, calibration: Any = None, key: str = "summary",
                   compact: bool = False, details_only: bool = False,
                   report: bool = True, source: str | None = None,
                   therapist_extra: Callable[[], None] | None = None,
                   show_reps: bool = True) -> None:
    """Headline, the named score, time in each band, angle charts, reps, moments, what was
    not judged, the therapist's details and (full view) the printable report.

    ``compact``: only the headline, score and band bar (beside a video);
    ``details_only``: everything but those (and no report: the caller offers it);
    ``show_reps=False``: no rep table (a page that shows its own, e.g. the Lift lab; the
    printable report still lists every rep).
    """
    kept, superseded = moments(payload)
    if not details_only:
        st.markdown(f"**{headline(payload)}**")
        render_score(payload, compact=compact)
        t = payload.summary.get("time_s_by_severity") or {}

        def bands() -> None:
            st.html(band_bar(dict(t)))
            st.caption(" · ".join(f"{word}: {fmt_duration(finite(t.get(k)) or 0.0)}"
                                  for k, word in (("ok", "✓ Good"), ("caution", "! Check"),
                                                  ("poor", "✕ Adjust"))))

        if is_lifting(payload):
            # One headline number for lifting (the lift score): the frame-by-frame
            # bands are a detail, folded away so they never compete with it.
            with st.expander("Time in each band (frame by frame)"):
                st.caption("Frame by frame over the whole session, lifts and pauses; the "
                           "lift score judges each lift as a whole.")
                bands()
        else:
            st.markdown("##### Time in each band")
            bands()
        if compact:
            return
        tips = tips_for(payload, profile)
        if tips:
            st.markdown("##### Tips to try")
            st.markdown("\n".join(f"- {t}" for t in tips))
    if series:
        df = pd.DataFrame(list(series))
        specs = chart_specs(payload, series, profile, calibration)
        if specs:
            st.markdown("##### Angles over time")
            st.caption("Shaded bands: amber = check, red = adjust. Darker blocks mark the moments "
                       "a tip was due. Drag to pan, scroll to zoom.")
            for spec in specs:
                st.markdown(f"**{chart_title(spec)}**")
                hint = metric_hint(spec.metric)
                if hint:
                    st.caption(hint)
                st.altair_chart(angle_chart(df, spec, kept, payload.reps),
                                width="stretch", key=f"{key}-chart-{spec.metric}")
    if payload.reps and show_reps:
        st.markdown("##### Reps — each lift or squat")
        st.caption("Sure: how likely each verdict is right, from the measured accuracy of the "
                   "angles in this camera view and how clearly the body was seen. At: the "
                   "lowest point of the lift. Lift score: 100 = no fault seen. The angles of "
                   "each lift are under *Details for your therapist*.")
        render_reps_table(payload.reps)
    gaps = not_judged_rows(payload.summary)
    if gaps:
        st.markdown("##### Not judged")
        st.caption("These checks had no reliable view, so no verdict was given on them.")
        st.markdown("\n".join(f"- {g}" for g in gaps))
    st.markdown("##### Moments to work on")
    if kept:
        st.dataframe(events_frame(kept, profile), hide_index=True, width="stretch")
    else:
        st.success("No posture events — nothing held outside the good band for long.",
                   icon=":material/check_circle:")
    if superseded:
        st.caption(f"{len(superseded)} brief moment(s) during lifts are not listed: each lift "
                   "is judged as a whole by its own checks (the Reps table).")
    with st.expander("Details for your therapist", icon=":material/stethoscope:"):
        st.markdown("\n".join(f"- **{a}:** {b}" for a, b in therapist_rows(payload)))
        if payload.reps and show_reps:
            st.markdown("**Each lift, measured**")
            st.caption(STYLE_CAPTION)
            render_rep_details(payload.reps)
        if therapist_extra is not None:
            therapist_extra()
    if report and not details_only:
        report_download(payload, key=key, series=series, profile=profile,
                        calibration=calibration, source=source or SOURCE_BY_KEY.get(key, ""))


# ------------------------------------------------------------------------------ reps
# Widths (px) that keep the rep tables inside the page beside the sidebar at 1400 px
# (about 900 px of content; the therapist's table sits in an expander, a little less):
# column -> (shown label, width, help).
REP_LAYOUT: dict[str, tuple[str, int, str | None]] = {
    "Rep": ("Rep", 44, None),
    "At": ("At", 56, "The lowest point of the lift"),
    LIFT_SCORE_COLUMN: (LIFT_SCORE_COLUMN, 110, "100 = no fault seen"),
    "Form": ("Form", 80, None),
    "Notes": ("Notes", 400, None),
    "Style": ("Style", 150, "Squat, mixed or stoop, as the lift's own stoop check judged it"),
    "Sure": ("Sure", 56, "How likely the verdict is right"),
    STOOP_INDEX_COLUMN: ("Stoop index", 96, "0 = squat (knees bend), 100 = stoop (back "
                                            f"bends); squat below {SQUAT_MAX_SSI:.0f}, "
                                            f"stoop above {STOOP_MIN_SSI:.0f}"),
    TRUNK_COLUMN: ("Trunk lean, most (°)", 130, "Degrees from upright"),
    KNEE_COLUMN: ("Knee, most bent (°)", 124, "180° = straight"),
    HIP_COLUMN: ("Hip, most bent (°)", 120, "180° = straight"),
    "Lifting index": ("Lifting index", 110, "Revised NIOSH lifting equation"),
}
ANGLE_COLUMNS = (STOOP_INDEX_COLUMN, TRUNK_COLUMN, KNEE_COLUMN, HIP_COLUMN)
STYLE_CAPTION = (f"Style: squat (stoop index below {SQUAT_MAX_SSI:.0f}), mixed, or stoop "
                 f"(above {STOOP_MIN_SSI:.0f}; Schmid 2022). A lift the stoop check flags "
                 f"reads “{STYLE_BY_STOOP_CHECK['caution']}” (check) or "
                 f"“{STYLE_BY_STOOP_CHECK['poor']}” (adjust), as its notes do. Angles at the "
                 "lowest point of the lift.")


def _rep_column_config(columns: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for c in columns:
        label, width, why = REP_LAYOUT.get(c, (c, 100, None))
        if c == LIFT_SCORE_COLUMN:
            out[c] = st.column_config.ProgressColumn(label, min_value=0, max_value=100,
                                                     format="%d", width=width, help=why)
        elif c in ANGLE_COLUMNS or c == "Rep":
            out[c] = st.column_config.NumberColumn(label, format="%.0f" if c != "Rep" else None,
                                                   width=width, help=why)
        else:
            out[c] = st.column_config.TextColumn(label, width=width, help=why)
    return out


def render_reps_table(reps: Sequence[Mapping[str, Any]]) -> None:
    """The patient's rep table: the verdict of each lift, no sideways scrolling."""
    df = reps_frame(reps)
    shown = [c for c in REP_COLUMNS if c in df.columns]
    st.dataframe(df[shown], hide_index=True, width="stretch",
                 column_config=_rep_column_config(shown))


def render_rep_details(reps: Sequence[Mapping[str, Any]]) -> None:
    """The therapist's table of the same lifts: stoop index, angles, lifting index."""
    df = rep_detail_frame(reps)
    st.dataframe(df, hide_index=True, width="stretch",
                 column_config=_rep_column_config(list(df.columns)))


# ------------------------------------------------------------------------------ report
SOURCE_BY_KEY = {"live": "Live coach session", "lab": "Lift lab session"}
REPORT_CACHE = "_report_cache"
REPORT_CACHE_SIZE = 4


def _fingerprint(*parts: Any) -> str:
    h = hashlib.sha1()
    for p in parts:
        h.update(repr(p).encode("utf-8", "replace"))
        h.update(b"\x00")
    return h.hexdigest()


def report_file_name(created: datetime | None = None, patient: str = "") -> str:
    stamp = (created or datetime.now()).strftime("%Y%m%d-%H%M")
    who = "".join(c if c.isalnum() else "-" for c in patient.strip().lower())[:40].strip("-")
    return f"posture-report-{who + '-' if who else ''}{stamp}.html"


def session_report_html(payload: SessionPayload, *, series: Sequence[Mapping[str, Any]] = (),
                        profile: Any = None, calibration: Any = None, title: str = "",
                        source: str = "", key_frames: Sequence[tuple[str, bytes]] = (),
                        notes: Sequence[str] = (), created: datetime | None = None,
                        patient: str = "", therapist_notes: str = "") -> str:
    """The printable report of any session (live, Lift lab, History or a review)."""
    from posture_app.report_html import build_html_report

    specs = chart_specs(payload, series, profile, calibration)
    default_title = ("Lifting report" if is_lifting(payload) else "Posture report")
    return build_html_report(payload, title=title or default_title, source=source,
                             series=series, specs=specs, profile=profile,
                             key_frames=key_frames, created=created, notes=notes,
                             patient=patient, therapist_notes=therapist_notes)


def report_download(payload: SessionPayload, *, key: str,
                    series: Sequence[Mapping[str, Any]] | None = None, profile: Any = None,
                    calibration: Any = None, title: str = "", source: str = "",
                    key_frames: Sequence[tuple[str, bytes]] = (), notes: Sequence[str] = (),
                    created: datetime | None = None, prebuilt: bytes | None = None,
                    heading: bool = True, file_name: str | None = None) -> None:
    """A "Download printable report" button for any finished session, with an optional
    patient name and therapist notes. The file is made on this computer and only
    downloaded; nothing is stored. ``prebuilt``: the report without name or notes, when
    the caller already has it."""
    name_key, notes_key = f"{key}-report-patient", f"{key}-report-notes"
    patient = str(st.session_state.get(name_key) or "").strip()
    therapist = str(st.session_state.get(notes_key) or "").strip()
    rows = list(series if series is not None else payload.series)
    if prebuilt is not None and not patient and not therapist:
        data = prebuilt
    else:
        fp = _fingerprint(payload.activity, payload.duration_s, payload.summary, payload.events,
                          payload.reps, len(rows), rows[-1] if rows else None, title, source,
                          patient, therapist, [c for c, _ in key_frames], list(notes), created)
        cache: dict[str, tuple[str, bytes]] = st.session_state.setdefault(REPORT_CACHE, {})
        hit = cache.get(key)
        if hit is None or hit[0] != fp:
            html = session_report_html(payload, series=rows, profile=profile,
                                       calibration=calibration, title=title, source=source,
                                       key_frames=key_frames, notes=notes, created=created,
                                       patient=patient, therapist_notes=therapist)
            cache.pop(key, None)
            hit = cache[key] = (fp, html.encode("utf-8"))
            for old in list(cache)[:-REPORT_CACHE_SIZE]:  # a few sessions' reports at most
                cache.pop(old, None)
        data = hit[1]
    if heading:
        st.markdown("##### Printable report")
        st.caption("One file that opens in any browser, even offline, and prints to PDF: the "
                   "score and what it means, the charts, the lifts and moments, and what "
                   "could not be judged. It is only downloaded — nothing is stored.")
    st.download_button("Download printable report", data,
                       file_name or report_file_name(created, patient), "text/html",
                       type="primary",
                       icon=":material/print:", key=f"{key}-report-download",
                       on_click="ignore", width="stretch" if not heading else "content",
                       help="Open it and print to PDF for your therapist.")
    with st.expander("Add a name and notes to the report", icon=":material/edit_note:"):
        with st.form(f"{key}-report-form", border=False):
            st.text_input("Patient name (optional)", key=name_key, max_chars=120)
            st.text_area("Notes for the therapist (optional)", key=notes_key, max_chars=4000,
                         height=110)
            st.form_submit_button("Add to the report", icon=":material/check:")
        st.caption("Press **Add to the report**, then download it. Name and notes go only "
                   "into the downloaded file.")
