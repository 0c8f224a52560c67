"""Page 3 — History: saved sessions, trends over days, details, export and delete."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pandas as pd  # type: ignore[import-untyped]
import streamlit as st

from posture_app import progress_view
from posture_app.charts import trends_charts
from posture_app.records import SessionPayload, finite, share_ok
from posture_app.services import History, data_dir, effective_profile, load_rules, load_settings
from posture_app.session_text import (
    ACTIVITY_WORDS,
    GOOD_LIFT_SCORE,
    GOOD_SHARE,
    LIFT_SCORE_LABEL,
    NOT_JUDGED,
    POSTURE_DEFINITION,
    POSTURE_LABEL,
    lift_score_definition,
)
from posture_app.summary import render_summary, report_download
from posture_app.ui import fmt_duration, guard, page_header

CONFIRM_ONE = "history_confirm_delete"
CONFIRM_ALL = "history_confirm_all"
KIND_WORDS = {"live": "Live coach", "review": "Recording"}
STATUS_WORDS = {"complete": "", "recording": "in progress", "interrupted": "interrupted"}


def _when(ts: float | None) -> str:
    if ts is None:
        return "–"
    return datetime.fromtimestamp(ts).strftime("%d %b %Y, %H:%M")


def _kind(row: Any) -> str:
    if row.kind == "live" and row.source in ("Live coach", "Lift lab"):
        return str(row.source)
    return KIND_WORDS.get(row.kind, row.kind)


def _label(row: Any) -> str:
    parts = [_when(row.started_at), _kind(row),
             ACTIVITY_WORDS.get(row.activity, str(row.activity).capitalize()),
             fmt_duration(row.duration_s)]
    if row.source and row.kind == "review":
        parts.append(str(row.source))
    if STATUS_WORDS.get(row.status):
        parts.append(STATUS_WORDS[row.status])
    return " · ".join(parts)


def is_lift_row(row: Any) -> bool:
    return row.activity == "lifting" or bool(row.rep_count)


def lift_value(row: Any) -> float | None:
    """A lifting session's lift score (mean over its judged lifts), None otherwise."""
    if not is_lift_row(row) or not row.rep_count:
        return None
    basis = str(row.summary.get("score_basis") or "")
    if basis and not basis.startswith("mean score"):
        return None
    return finite(row.summary.get("score"))


def posture_value(row: Any) -> float | None:
    """A sitting or standing session's share of time in good posture (0–1), else None."""
    if is_lift_row(row):
        return None
    return share_ok(row.summary)


def score_cells(row: Any) -> tuple[str, str]:
    """("Lift score", "Time in good posture") as the table shows them: a number, "Not
    judged" where the checks could not be, or blank where the measure does not apply."""
    if row.activity == "exercise":  # a home exercise (Review): neither measure applies
        return "", ""
    if is_lift_row(row):
        value = lift_value(row)
        if value is not None:
            return f"{value:.0f} / 100", ""
        return (NOT_JUDGED if row.rep_count else "No lifts counted"), ""
    share = posture_value(row)
    if share is not None:
        return "", f"{100 * share:.0f} %"
    basis = str(row.summary.get("score_basis") or "")
    return "", (NOT_JUDGED if basis.startswith("not judged") else "Not measured")


def page() -> None:
    page_header("History",
                "Your saved sessions: how your posture and lifts are going over the days.")
    note = st.session_state.pop("_history_note", None)
    if note:
        st.success(note, icon=":material/check_circle:")
    sessions_tab, programme_tab = st.tabs(["Sessions", "Home programme"])
    with programme_tab:
        progress_view.render()
    with sessions_tab:
        _sessions()


def _sessions() -> None:
    """Every saved session: trends, the table, one session's details, export and delete."""
    rows: list[Any] = []
    trends: list[Any] = []
    with guard("opening your history"), History() as h:
        h.mark_interrupted(idle_s=30.0)  # live sessions whose tab closed without Stop
        rows = h.sessions()
        trends = h.trends()
    if not rows:
        st.info("No sessions yet. Start a **Live coach** session or **review a recording** — "
                "their summaries appear here.", icon=":material/history:")
        st.caption(f"History folder: {data_dir()}")
        return

    _trends(trends, rows)
    st.subheader("Sessions")
    table = pd.DataFrame([{
        "When": _when(r.started_at),
        "Type": _kind(r),
        "Activity": ACTIVITY_WORDS.get(r.activity, str(r.activity).capitalize()),
        "Duration": fmt_duration(r.duration_s),
        LIFT_SCORE_LABEL: score_cells(r)[0],
        POSTURE_LABEL: score_cells(r)[1],
        "Lifts": str(r.rep_count) if is_lift_row(r) else "",
        "File": (r.source or "") if r.kind == "review" else "",
        "Status": STATUS_WORDS.get(r.status, r.status) or "complete",
    } for r in rows])
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        LIFT_SCORE_LABEL: st.column_config.TextColumn(
            LIFT_SCORE_LABEL, help="Lifting sessions: " + lift_score_definition()),
        POSTURE_LABEL: st.column_config.TextColumn(
            POSTURE_LABEL, help="Sitting and standing sessions: " + POSTURE_DEFINITION),
        "Lifts": st.column_config.TextColumn("Lifts"),
    })
    st.caption(_score_legend())
    by_label = {_label(r): r for r in rows}
    choice = st.selectbox("Show a session", list(by_label), key="history_pick")
    if choice:
        _detail(by_label[choice])
    st.divider()
    _everything(len(rows))


def _score_legend() -> str:
    return (f"{LIFT_SCORE_LABEL} (lifting sessions): 100 = no fault seen, {GOOD_LIFT_SCORE} or "
            f"more is good. {POSTURE_LABEL} (sitting and standing): {GOOD_SHARE:.0%} or more "
            "is good. Both targets are this app's defaults, not clinical standards. "
            f"{NOT_JUDGED}: the camera could not see what the checks need (the session's "
            "details say what).")


def posture_days(rows: list[Any]) -> dict[Any, tuple[float, float]]:
    """Per local day: (seconds in the good band, graded seconds) of the sitting and standing
    sessions only — lifting time never mixes into the posture trend."""
    days: dict[Any, tuple[float, float]] = {}
    for r in rows:
        if is_lift_row(r) or posture_value(r) is None:
            continue
        t = r.summary.get("time_s_by_severity") or {}
        ok = float(finite(t.get("ok")) or 0.0)
        graded = sum(float(finite(t.get(k)) or 0.0) for k in ("ok", "caution", "poor"))
        day = datetime.fromtimestamp(r.started_at).date()
        a, b = days.get(day, (0.0, 0.0))
        days[day] = (a + ok, b + graded)
    return days


def trends_frame(trends: list[Any], rows: list[Any]) -> pd.DataFrame:
    """One row per day: posture share from sitting/standing sessions, lift score from the
    judged lifts (the store's per-day mean over scored reps)."""
    posture = posture_days(rows)
    out = []
    for t in trends:
        ok, graded = posture.get(t.day, (0.0, 0.0))
        out.append({"day": pd.Timestamp(t.day), "sessions": t.sessions,
                    "minutes": t.total_s / 60.0,
                    "share_ok": ok / graded if graded > 0 else None,
                    "mean_rep_score": t.mean_rep_score})
    return pd.DataFrame(out, columns=["day", "sessions", "minutes", "share_ok",
                                      "mean_rep_score"])


def _trends(trends: list[Any], rows: list[Any]) -> None:
    st.subheader("Trends")
    week = [r for r in rows if r.started_at >= datetime.now().timestamp() - 7 * 86400]
    week_posture = posture_days(week)
    ok = sum(a for a, _ in week_posture.values())
    graded = sum(b for _, b in week_posture.values())
    lifts = [(lift_value(r), r.rep_count) for r in week if lift_value(r) is not None]
    n_lifts = sum(n for _, n in lifts)
    c = st.columns(4)
    c[0].metric("Sessions, last 7 days", len(week))
    c[1].metric("Practice time, last 7 days", fmt_duration(sum(r.duration_s for r in week)))
    c[2].metric(f"{POSTURE_LABEL}, last 7 days", f"{100 * ok / graded:.0f} %" if graded else "–",
                help="Sitting and standing sessions only. " + POSTURE_DEFINITION)
    c[3].metric(f"{LIFT_SCORE_LABEL}, last 7 days",
                f"{sum(v * n for v, n in lifts if v is not None) / n_lifts:.0f} / 100"
                if n_lifts else "–",
                help="Lifting sessions only, weighed by their lifts. " + lift_score_definition())
    if not trends:
        return
    share, score = trends_charts(trends_frame(trends, rows))
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown(f"**{POSTURE_LABEL}, per day** (sitting and standing)")
        if share is not None:
            st.altair_chart(share, width="stretch")
            st.caption(f"{GOOD_SHARE:.0%} or more is good (this app's default target).")
        else:
            st.caption("No sitting or standing session measured yet.")
    with right:
        st.markdown(f"**{LIFT_SCORE_LABEL}, per day** (average over the judged lifts)")
        if score is not None:
            st.altair_chart(score, width="stretch")
            st.caption(f"100 = no fault seen; {GOOD_LIFT_SCORE} or more is good (this app's "
                       "default).")
        else:
            st.caption("No judged lifts yet — try the Lift lab or a lifting session.")


def _detail(row: Any) -> None:
    detail = None
    with guard("opening the session"), History() as h:
        detail = h.session(row.id)
    if detail is None:
        st.info("This session is no longer in the history.")
        return
    report = detail.to_report()
    payload = SessionPayload(str(report.get("activity") or "auto"),
                             dict(report.get("summary") or {}), list(detail.events),
                             list(detail.reps), float(row.duration_s or 0.0))
    with st.container(border=True):
        st.markdown(f"#### {_label(row)}")
        if row.status == "interrupted":
            st.warning("This session ended unexpectedly (the app or the browser closed). "
                       "What was saved up to that moment is shown.", icon=":material/warning:")
        profile = load_rules(effective_profile(load_settings()))
        render_summary(payload, profile=profile, key=f"history-{row.id}", report=False)
        _kept_frames(row.id)
        report_download(payload, key=f"history-{row.id}", profile=profile,
                        source=f"{_kind(row)} · {ACTIVITY_WORDS.get(row.activity, row.activity)}"
                               f" · {fmt_duration(row.duration_s)}",
                        key_frames=_kept_frame_bytes(row.id),
                        created=datetime.fromtimestamp(row.started_at))
        c1, c2, _ = st.columns([1.2, 1.2, 3])
        export = ""
        with guard("exporting the session"), History() as h:
            export = h.export_json(row.id)
        stamp = datetime.fromtimestamp(row.started_at).strftime("%Y%m%d-%H%M")
        c1.download_button("Export (JSON)", export or "{}", f"posture-session-{stamp}.json",
                           "application/json", icon=":material/download:", width="stretch",
                           key=f"export-{row.id}",
                           help="Everything saved about this session, as a JSON file.")
        if st.session_state.get(CONFIRM_ONE) == row.id:
            st.warning("Delete this session for good? This cannot be undone.",
                       icon=":material/delete:")
            y, n, _ = st.columns([1, 1, 3])
            if y.button("Yes, delete it", type="primary", key=f"yes-{row.id}"):
                with guard("deleting the session"), History() as h:
                    h.delete(row.id)
                    st.session_state["_history_note"] = "The session was deleted."
                    _remove_kept_frames(row.id)
                st.session_state.pop(CONFIRM_ONE, None)
                st.rerun()
            if n.button("Cancel", key=f"no-{row.id}"):
                st.session_state.pop(CONFIRM_ONE, None)
                st.rerun()
        elif c2.button("Delete this session…", icon=":material/delete:", width="stretch",
                       key=f"delete-{row.id}"):
            st.session_state[CONFIRM_ONE] = row.id
            st.rerun()


def _kept_frames(session_id: int) -> None:
    folder = data_dir() / "frames" / str(session_id)
    if not folder.is_dir():
        return
    pics = sorted(folder.glob("*.jpg"))
    if not pics:
        return
    try:
        captions = json.loads((folder / "captions.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        captions = []
    st.markdown("##### Key moments (kept at your request)")
    cols = st.columns(3)
    for i, p in enumerate(pics):
        cap = captions[i] if i < len(captions) else p.stem
        cols[i % 3].image(p.read_bytes(), caption=cap, width="stretch")


def _kept_frame_bytes(session_id: int) -> list[tuple[str, bytes]]:
    """The key-frame pictures kept at the user's request, for the report (else none)."""
    folder = data_dir() / "frames" / str(session_id)
    if not folder.is_dir():
        return []
    try:
        captions = json.loads((folder / "captions.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        captions = []
    out = []
    for i, pic in enumerate(sorted(folder.glob("*.jpg"))):
        try:
            out.append((captions[i] if i < len(captions) else pic.stem, pic.read_bytes()))
        except OSError:
            continue
    return out


def _everything(count: int) -> None:
    st.subheader("All your data")
    st.caption(f"Stored on this computer in {data_dir()}. Only summaries, events and reps are "
               "kept — never video.")
    c1, c2, _ = st.columns([1.2, 1.2, 3])
    export = ""
    with guard("exporting your history"), History() as h:
        export = h.export_json(None)
    c1.download_button("Export everything (JSON)", export or "{}", "posture-history.json",
                       "application/json", icon=":material/download:", width="stretch",
                       key="export-all")
    if st.session_state.get(CONFIRM_ALL):
        st.error(f"Delete all {count} sessions for good? Your settings are kept. This cannot "
                 "be undone.", icon=":material/delete_forever:")
        y, n, _ = st.columns([1, 1, 3])
        if y.button("Yes, delete everything", type="primary", key="yes-all"):
            with guard("deleting your history"), History() as h:
                n_deleted = h.delete_all()
                st.session_state["_history_note"] = f"Deleted {n_deleted} sessions."
            _remove_kept_frames()
            st.session_state.pop(CONFIRM_ALL, None)
            st.session_state.pop("history_pick", None)
            st.rerun()
        if n.button("Cancel", key="no-all"):
            st.session_state.pop(CONFIRM_ALL, None)
            st.rerun()
    elif c2.button("Delete everything…", icon=":material/delete_forever:", width="stretch",
                   key="delete-all"):
        st.session_state[CONFIRM_ALL] = True
        st.rerun()


def _remove_kept_frames(session_id: int | None = None) -> None:
    import shutil

    folder = data_dir() / "frames"
    if session_id is not None:
        folder = folder / str(session_id)
    if folder.is_dir():
        shutil.rmtree(folder, ignore_errors=True)
