"""History's "Home programme" section: adherence, work done, range of movement, faults.

The numbers come from ``posture.progress`` (pure functions over the stored programme
sessions); this module only turns its summary into tables with the patient's words
and Altair charts drawn the way ``posture_app.charts`` draws them: every scale has an
explicit domain and an empty data set draws nothing, so Vega never meets an infinite
extent (Streamlit draws a chart once before its rows arrive).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import altair as alt
import pandas as pd  # type: ignore[import-untyped]
import streamlit as st

from posture.exercises.words import (
    LEAN_METRICS,
    LEVEL_METRICS,
    LEVEL_WITHIN_DEG,
    rom_metric,
    rom_words,
)
from posture_app.charts import DAY_AXIS, _day_domain
from posture_app.files import download_name
from posture_app.records import CATEGORY_LABELS, finite
from posture_app.services import History, exercise_choices
from posture_app.ui import PRIMARY, STATUS_COLOURS, guard

PICK_KEY = "progress_programme"
UPLOAD_KEY = "progress_upload"
DONE_COLOUR, PARTIAL_COLOUR = PRIMARY, "#99d5cf"


# ---------------------------------------------------------------------------- tables
def weeks_frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per week: its Monday, full and partial sessions done, and the prescription."""
    out = []
    for r in rows:
        start = pd.Timestamp(r["week_start"])
        full = int(r.get("full") or 0)
        partial = float(r.get("partial") or 0.0)  # the share of the sets done, summed
        part_done = int(r.get("part_done") or (1 if partial > 0 else 0))
        out.append({"week": start, "label": f"Week of {start:%d %b}", "full": full,
                    "partial": partial, "done": full + partial, "part_done": part_done,
                    "prescribed": int(r.get("prescribed") or 0)})
    return pd.DataFrame(out, columns=["week", "label", "full", "partial", "done",
                                      "part_done", "prescribed"])


def adherence_chart(weeks: pd.DataFrame) -> alt.LayerChart | None:
    """Sessions done per week (full, then partial stacked on top) against the prescribed
    number (a tick); None with no week to draw."""
    if weeks.empty:
        return None
    long = pd.concat([
        weeks.assign(kind="Done", sessions=weeks["full"].astype(float),
                     words=[f"{n} done in full" for n in weeks["full"]]),
        weeks.assign(kind="Partly done", sessions=weeks["partial"].astype(float),
                     words=[f"{n} part-done" for n in weeks["part_done"]]),
    ])[["label", "kind", "sessions", "words", "prescribed"]]
    order = list(weeks["label"])
    top = max(float(weeks["done"].max()), float(weeks["prescribed"].max()), 1.0)
    y_scale = alt.Scale(domain=[0, math.ceil(top) + 0.5], nice=False)
    x = alt.X("label:N", title=None, sort=order, scale=alt.Scale(domain=order),
              axis=alt.Axis(labelAngle=0))
    bars = alt.Chart(long).mark_bar(size=26).encode(
        x=x,
        y=alt.Y("sum(sessions):Q", title="Workouts", scale=y_scale, stack="zero"),
        color=alt.Color("kind:N", title=None, legend=alt.Legend(orient="top"),
                        scale=alt.Scale(domain=["Done", "Partly done"],
                                        range=[DONE_COLOUR, PARTIAL_COLOUR])),
        order=alt.Order("kind:N", sort="ascending"),
        tooltip=[alt.Tooltip("label:N", title="Week"),
                 alt.Tooltip("words:N", title="Workouts")])
    target = alt.Chart(weeks).mark_tick(color=STATUS_COLOURS["caution"], thickness=3,
                                        size=40).encode(
        x=x, y=alt.Y("prescribed:Q", scale=y_scale),
        tooltip=[alt.Tooltip("label:N", title="Week"),
                 alt.Tooltip("prescribed:Q", title="Prescribed")])
    return (bars + target).properties(height=230)


def rom_frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per exercise and day with a measured range: best, mean and the target."""
    out = []
    for r in rows:
        best = finite(r.get("best"))
        if best is None:
            continue
        target = finite(r.get("target"))
        key = str(r["exercise"])
        out.append({"day": pd.Timestamp(r["day"]), "exercise": key,
                    "best": best, "mean": finite(r.get("mean")), "target": target,
                    "best_words": rom_words(key, best), "target_words": rom_words(key, target)})
    return pd.DataFrame(out, columns=["day", "exercise", "best", "mean", "target",
                                      "best_words", "target_words"])


def angle_axis_labels(metric: str | None) -> str | None:
    """A Vega ``labelExpr`` writing a signed metric's ticks in words ("10° below level"),
    as :func:`posture.exercises.words.angle_words` does; None for an unsigned angle."""
    words = LEVEL_METRICS.get(metric or "") or LEAN_METRICS.get(metric or "")
    if words is None:
        return None
    zero, above, below = (w.replace("{n}", "' + format(abs(datum.value), 'd') + '")
                          for w in words)
    return (f"abs(datum.value) < {LEVEL_WITHIN_DEG:g} ? '{zero}' : datum.value > 0 ? "
            f"'{above}' : '{below}'")


def rom_chart(rom: pd.DataFrame, title: str) -> alt.LayerChart | None:
    """One exercise's best range per day, with its target as a dashed rule across the
    chart (a rule, not a line: a line through one day draws nothing)."""
    d = rom.dropna(subset=["best"])
    if d.empty:
        return None
    if "best_words" not in d:
        d = d.assign(best_words=[f"{v:.0f}°" for v in d["best"]],
                     target_words=["–" if pd.isna(v) else f"{v:.0f}°" for v in d["target"]])
    labels = angle_axis_labels(rom_metric(str(d["exercise"].iloc[0]))) if "exercise" in d \
        else None
    values = list(d["best"]) + [v for v in d["target"] if v is not None and pd.notna(v)]
    lo, hi = min(values), max(values)
    pad = max(5.0, 0.1 * (hi - lo))
    y_scale = alt.Scale(domain=[math.floor(lo - pad), math.ceil(hi + pad)], zero=False,
                        nice=False)
    x = alt.X("day:T", title="Day", axis=DAY_AXIS,
              scale=alt.Scale(domain=_day_domain(d["day"])))
    axis = alt.Axis(labelExpr=labels) if labels else alt.Axis()
    base = alt.Chart(d).encode(
        x=x, y=alt.Y("best:Q", title="Best range", scale=y_scale, axis=axis),
        tooltip=[alt.Tooltip("day:T", title="Day", format="%d %b %Y"),
                 alt.Tooltip("best_words:N", title=f"{title}: best"),
                 alt.Tooltip("target_words:N", title="Target")])
    chart = base.mark_line(color=PRIMARY, strokeWidth=2.5) + base.mark_point(
        color=PRIMARY, filled=True, size=70)
    targets = d.dropna(subset=["target"])
    if not targets.empty:
        # The latest target, one rule across the whole chart (however many days).
        last = targets.iloc[[-1]][["target", "target_words"]]
        chart = chart + alt.Chart(last).mark_rule(
            color=STATUS_COLOURS["caution"], strokeDash=[6, 4], strokeWidth=2).encode(
            y=alt.Y("target:Q", scale=y_scale),
            tooltip=[alt.Tooltip("target_words:N", title="Target")])
    return chart.properties(height=220)


# ---------------------------------------------------------------------------- library glue
UNAVAILABLE = "Home exercise programmes are not available in this version of the app."


def available(progress: bool = True) -> bool:
    """True when the library has programmes and their storage (and, with ``progress``,
    the progress computations)."""
    import importlib.util

    from posture.store import HistoryStore

    return (hasattr(HistoryStore, "save_programme")
            and (not progress or importlib.util.find_spec("posture.progress") is not None))


def _programmes() -> tuple[list[Any], str | None]:
    with History() as h:
        rows = h.store.list_programmes()
        active = h.store.active_programme()
    return rows, active.id if active is not None else None


def _sessions(programme_id: str) -> list[Any]:
    with History() as h:
        return h.store.programme_sessions(programme_id)


def _set_up_on(programme_id: str) -> date | None:
    """The day the programme was first saved on this computer (None: not known)."""
    with History() as h:
        when = getattr(h.store, "programme_set_up_on", None)
        return when(programme_id) if when is not None else None


def week_rows(summary: Any) -> list[dict[str, Any]]:
    """``weeks_frame``'s rows from the summary's weeks (partial = the share beyond full,
    part_done = the days with some but not all sets met)."""
    return [{"week_start": w.monday, "full": w.full, "partial": max(w.done - w.full, 0.0),
             "part_done": w.partial, "prescribed": w.prescribed} for w in summary.weeks]


def rom_rows(summary: Any) -> list[dict[str, Any]]:
    return [{"day": d.day, "exercise": ex.key, "best": d.best, "mean": d.mean,
             "target": d.target} for ex in summary.exercises for d in ex.rom]


def fault_labels() -> dict[str, str]:
    """Fault category → the patient's words, from the exercise library's rule labels."""
    out: dict[str, str] = {}
    for key, ex in exercise_choices().items():
        for r in ex.rules:
            if r.label:
                out.setdefault(r.category, str(r.label))
        if ex.rom is not None:
            out.setdefault(ex.rom.category, fault_words(key, ex.rom.category))
    return out


# ---------------------------------------------------------------------------- words
def fault_words(key: Any, category: str) -> str:
    """A fault in the patient's words: the exercise rule's label, else the category's."""
    from posture.exercises import get_exercise
    from posture.exercises.loader import ExerciseError

    try:
        ex = get_exercise(str(key))
    except ExerciseError:
        ex = None
    if ex is not None:
        for r in ex.rules:
            if r.category == category and r.label:
                return str(r.label)
        if ex.rom is not None and ex.rom.category == category:
            return "Not quite far enough"
    return str(CATEGORY_LABELS.get(category, category.replace("_", " ").capitalize()))


def title_of(key: str) -> str:
    ex = exercise_choices().get(key)
    return str(ex.title) if ex is not None else key.replace("_", " ").capitalize()


# ---------------------------------------------------------------------------- the section
def render() -> None:
    """History's "Home programme" tab: the active (or a chosen) programme's progress, its
    downloads, and the therapist's import of a patient's progress file."""
    from posture.progress import summarise

    if not available():
        st.info(UNAVAILABLE, icon=":material/info:")
        return
    rows: list[Any] = []
    active = None
    with guard("opening your home programme"):
        rows, active = _programmes()
    if rows:
        by_id = {r.id: r for r in rows}
        ids = list(by_id)
        pick = st.selectbox("Programme", ids, index=ids.index(active) if active in by_id else 0,
                            key=PICK_KEY, format_func=lambda pid: by_id[pid].title
                            + (" (active)" if pid == active else ""))
        programme = by_id[pick]
        with guard("working out your progress"):
            sessions = _sessions(pick)
            set_up = _set_up_on(pick)
            # Weeks run to today, so the weeks missed since the last workout show too; they
            # start when the programme was set up here (not the file's date).
            summary = summarise(sessions, programme, end=date.today(), set_up=set_up)
            show_summary(summary, key="own", set_up=set_up)
            _workouts(sessions, programme)
            _downloads(summary, sessions)
    else:
        st.info("No home programme yet. Your physiotherapist prepares one on the "
                "**Programme** page (or sends you a file to install on **Today's "
                "programme**).", icon=":material/assignment:")
    with st.expander("For the therapist: open a patient's progress file",
                     icon=":material/upload_file:"):
        up = st.file_uploader("Progress file (the JSON exported from the patient's History)",
                              type=["json"], key=UPLOAD_KEY)
        if up is not None:
            _imported(up.getvalue())


def _imported(data: bytes) -> None:
    from posture.progress import ProgressError, import_progress, progress_report_html, summarise

    try:
        imp = import_progress(data)
    except ProgressError as err:
        for problem in err.problems:
            st.error(problem, icon=":material/error:")
        return
    for w in imp.warnings:
        st.warning(w, icon=":material/warning:")
    summary = summarise(imp.sessions, imp.programme)
    if imp.exported_at:
        st.caption(f"Exported {imp.exported_at.replace('T', ' ')}.")
    show_summary(summary, key="imported")
    patient = imp.programme.patient if imp.programme is not None else None
    st.download_button("Printable progress report", progress_report_html(
        summary, patient=patient or "", created=datetime.now(), fault_labels=fault_labels()),
        "imported-progress.html", "text/html", icon=":material/print:",
        key="progress_imported_html", on_click="ignore")


def counted_from_words(start: date, set_up: date | None) -> str:
    """The History caption saying where adherence starts (``posture.progress``'s rule)."""
    if set_up is not None and start == set_up:
        return f"Counted from {start:%d %b %Y}, the day this programme was set up here."
    return f"Counted from {start:%d %b %Y}."


def show_summary(summary: Any, key: str = "own", set_up: date | None = None) -> None:
    """Adherence per week, work done vs prescribed, range of movement over days, faults.

    ``set_up``: the day the programme was first saved on this computer, for the caption.
    """
    from posture.progress import workouts_words

    programme = summary.programme
    patient = programme.patient if programme is not None else None
    st.markdown(f"#### {summary.title}" + (f" — {patient}" if patient else ""))
    weeks = weeks_frame(week_rows(summary))
    if not summary.days_done:
        st.info("No workout recorded yet for this programme. Workouts done on **Today's "
                "programme** appear here.", icon=":material/event_available:")
    if not weeks.empty:
        last = weeks.iloc[-1]
        c = st.columns(3)
        c[0].metric("Workouts this week",
                    workouts_words(int(last["full"]), int(last["part_done"]),
                                   int(last["prescribed"])))
        c[1].metric("Workouts done overall",
                    f"{100 * summary.adherence:.0f} %" if summary.adherence is not None
                    else "–",
                    help="Workouts done out of those prescribed, week by week (a partly done "
                         "workout counts as the share of its sets done; extra workouts in a "
                         "week do not make up for another week).")
        if summary.counted_from is not None:
            st.caption(counted_from_words(summary.counted_from, set_up))
        c[2].metric("Days with a workout", summary.days_done)
        st.markdown("##### Workouts per week")
        chart = adherence_chart(weeks)
        if chart is not None:
            st.altair_chart(chart, width="stretch", key=f"progress-{key}-weeks")
            st.caption("Dark: workouts done in full. Light: partly done (the share of their "
                       "sets done). Amber tick: the number prescribed each week.")
    if summary.exercises:
        st.markdown("##### Work done, per exercise")
        st.dataframe(pd.DataFrame([_work_row(ex) for ex in summary.exercises]),
                     hide_index=True, width="stretch")
    rom = rom_frame(rom_rows(summary))
    if not rom.empty:
        st.markdown("##### Range of movement over the days")
        st.caption("The best range each day; the dashed line across the chart is the target.")
        lower = {ex.key for ex in summary.exercises if ex.rom_peak == "min"}
        cols = st.columns(2, gap="large")
        for i, ex_key in enumerate(dict.fromkeys(rom["exercise"])):
            one = rom_chart(rom[rom["exercise"] == ex_key], title_of(ex_key))
            if one is not None:
                with cols[i % 2]:
                    st.markdown(f"**{title_of(ex_key)}**")
                    st.altair_chart(one, width="stretch", key=f"progress-{key}-rom-{ex_key}")
                    st.caption("Lower is further for this exercise." if ex_key in lower
                               else "Higher is further for this exercise.")
    faults = [(ex, cat, n) for ex in summary.exercises for cat, n in ex.faults.items() if n]
    if summary.exercises:
        st.markdown("##### Form to work on")
        if faults:
            st.dataframe(pd.DataFrame([{
                "Exercise": ex.title, "What to work on": fault_words(ex.key, cat),
                "Times": int(n)} for ex, cat, n in faults]), hide_index=True, width="stretch")
        else:
            st.caption("No form faults recorded.")


PART_WAY = "Not finished — saved part-way"


def workout_rows(sessions: Sequence[Any], programme: Any = None) -> list[dict[str, Any]]:
    """One row per workout, newest first: its day, the sets met of those prescribed, and
    whether it was finished (a workout saved part-way counts as the share of its sets)."""
    from posture.progress import session_share

    out = []
    for w in sorted(sessions, key=lambda w: (w.day, w.started_at, w.id), reverse=True):
        p = w.programme or programme
        total = p.sets_per_session() if p is not None else len(w.sets)
        met = sum(1 for x in w.sets if x.get("met"))
        out.append({"Day": f"{w.day:%a %d %b %Y}", "Sets done": f"{met} of {total}",
                    "Counts as": f"{100 * session_share(w, programme):.0f} % of a workout",
                    "Status": _status(w, met, total)})
    return out


def _status(w: Any, met: int, total: int) -> str:
    """How the workout ended: "Finished" only beside all its sets (a patient may press
    Finish early; "1 of 16 … Finished" read as a contradiction)."""
    if getattr(w, "in_progress", False):
        return PART_WAY
    return "Finished" if met >= total else "Ended early"


def _workouts(sessions: Sequence[Any], programme: Any) -> None:
    rows = workout_rows(sessions, programme)
    if not rows:
        return
    st.markdown("##### Workouts")
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    if any(r["Status"] == PART_WAY for r in rows):
        st.caption("A workout is saved after every set. One not finished (the page was "
                   "closed, or the computer switched off) stays as a partial workout of "
                   "its day.")


def _work_row(ex: Any) -> dict[str, Any]:
    unit = "s held" if ex.kind == "hold" else "reps"
    return {"Exercise": ex.title,
            "Sets done": ex.sets_text() if hasattr(ex, "sets_text")
            else f"{ex.sets_met} of {ex.sets_prescribed}",
            "Done": f"{ex.done:.0f} {unit}",
            "Prescribed": f"{ex.prescribed:.0f} {unit}",
            "Share": f"{100 * ex.share_done:.0f} %" if ex.share_done is not None else "–"}


def _downloads(summary: Any, sessions: list[Any]) -> None:
    from posture.progress import export_csv, export_json, progress_report_html

    programme = summary.programme
    patient = programme.patient if programme is not None else None
    stem = download_name(summary.title or "programme", "-progress")
    st.markdown("##### For your therapist")
    c1, c2, c3, _ = st.columns([1.5, 1, 1, 1])
    c1.download_button("Printable progress report", progress_report_html(
        summary, patient=patient or "", created=datetime.now(), fault_labels=fault_labels()),
        f"{stem}.html", "text/html", icon=":material/print:", width="stretch",
        key="progress_html", on_click="ignore")
    c2.download_button("Export CSV", export_csv(sessions), f"{stem}.csv", "text/csv",
                       icon=":material/table:", width="stretch", key="progress_csv",
                       on_click="ignore", help="One row per set, for a spreadsheet.")
    c3.download_button("Export JSON", export_json(sessions, programme,
                                                  exported_at=datetime.now()),
                       f"{stem}.json", "application/json", icon=":material/data_object:",
                       width="stretch", key="progress_json", on_click="ignore",
                       help="Your therapist opens it on their History page.")
