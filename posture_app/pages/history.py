"""Page 3 — History: saved sessions, trends over days, details, export and delete."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pandas as pd  # type: ignore[import-untyped]
import streamlit as st

from posture_app.charts import trends_charts
from posture_app.records import SessionPayload
from posture_app.services import History, data_dir, effective_profile, load_rules, load_settings
from posture_app.summary import ACTIVITY_WORDS, render_summary
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


def page() -> None:
    page_header("History",
                "Your saved sessions: how your posture and lifts are going over the days.")
    note = st.session_state.pop("_history_note", None)
    if note:
        st.success(note, icon=":material/check_circle:")
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
        "Good posture": (100.0 * r.ok_share) if r.ok_share is not None else None,
        "Score": r.score,
        "Reps": r.rep_count,
        "File": (r.source or "") if r.kind == "review" else "",
        "Status": STATUS_WORDS.get(r.status, r.status) or "complete",
    } for r in rows])
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "Good posture": st.column_config.ProgressColumn("Good posture", min_value=0,
                                                         max_value=100, format="%.0f%%"),
        "Score": st.column_config.NumberColumn("Score", format="%.0f"),
    })
    by_label = {_label(r): r for r in rows}
    choice = st.selectbox("Show a session", list(by_label), key="history_pick")
    if choice:
        _detail(by_label[choice])
    st.divider()
    _everything(len(rows))


def _trends(trends: list[Any], rows: list[Any]) -> None:
    st.subheader("Trends")
    week = [r for r in rows if r.started_at >= datetime.now().timestamp() - 7 * 86400]
    shares = [r.ok_share for r in week if r.ok_share is not None]
    c = st.columns(4)
    c[0].metric("Sessions, last 7 days", len(week))
    c[1].metric("Practice time, last 7 days", fmt_duration(sum(r.duration_s for r in week)))
    c[2].metric("Good posture, last 7 days",
                f"{100 * sum(shares) / len(shares):.0f}%" if shares else "–")
    c[3].metric("Lifts recorded", sum(r.rep_count for r in rows))
    if not trends:
        return
    df = pd.DataFrame([{"day": pd.Timestamp(t.day), "sessions": t.sessions,
                        "minutes": t.total_s / 60.0, "share_ok": t.ok_share,
                        "mean_rep_score": t.mean_rep_score} for t in trends])
    share, score = trends_charts(df)
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown("**Share of time in good posture, per day**")
        if share is not None:
            st.altair_chart(share, width="stretch")
        else:
            st.caption("No measured posture time yet.")
    with right:
        st.markdown("**Average lift score, per day**")
        if score is not None:
            st.altair_chart(score, width="stretch")
        else:
            st.caption("No lifts recorded yet — try the Lift lab or a lifting session.")


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
        render_summary(payload, profile=load_rules(effective_profile(load_settings())),
                       key=f"history-{row.id}")
        _kept_frames(row.id)
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
