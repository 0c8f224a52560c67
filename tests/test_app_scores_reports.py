"""One score per activity, named with its meaning; summaries derived from their reps;
a printable report from every session (issue #13).

Sessions are constructed (report-schema dicts), so these tests need no video and no
pose model: the Review page is driven through ``show_result`` with a built result.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from app_stubs import REPO, page_text

from posture_app.records import SessionPayload

TIMEOUT = 60


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    monkeypatch.setenv("POSTURE_DATA_DIR", str(folder))
    return folder


# ------------------------------------------------------------------------------ sessions
def rep(index: int, start: float, faults: list[dict[str, str]] | None = None,
        verdict: str | None = None, score: int | None = None) -> dict[str, Any]:
    faults = faults or []
    penalty = {"poor": 25, "caution": 10}
    if verdict is None:
        verdict = "faulty" if faults else "good"
    if score is None and verdict != "not_judged":
        score = max(0, 100 - sum(penalty[f["severity"]] for f in faults))
    not_judged = ([{"rule": "lifting.stoop", "category": "stoop_lift",
                    "reason": "Stoop lift: not judged — needs the camera side-on (this rep "
                              "was filmed from the front)"}] if verdict == "not_judged" else [])
    return {"index": index, "start_s": start, "bottom_s": start + 1.2, "end_s": start + 2.4,
            "style": "squat", "kind": "squat",
            "metrics": {"peak_trunk_inclination_deg": 35.0, "min_knee_angle_deg": 85.0},
            "faults": faults, "score": score, "verdict": verdict, "confidence": 0.9,
            "not_judged": not_judged}


LEAN_EVENT = {"rule": "standing.trunk_lean", "category": "trunk_forward_lean",
              "severity": "caution", "start_s": 2.2, "end_s": 3.0,
              "cue": "Stand tall — bring your chest up", "activity": "standing"}
NECK_EVENT = {"rule": "standing.neck_inclination", "category": "forward_head",
              "severity": "poor", "start_s": 20.0, "end_s": 30.0,
              "cue": "Grow tall — bring your head back over your shoulders",
              "activity": "standing"}


def lifting(reps: list[dict[str, Any]], events: list[dict[str, Any]] | None = None,
            score: int | None = None) -> SessionPayload:
    judged = [r["score"] for r in reps if r["score"] is not None]
    if score is None and judged:
        score = round(sum(judged) / len(judged))
    summary = {"score": score,
               "score_basis": (f"mean score of the {len(judged)} judged lift(s) of {len(reps)}"
                               if judged else "no lift could be judged (see not_judged)"),
               "time_s_by_severity": {"ok": 8.0, "caution": 1.0, "poor": 0.5},
               "detected_fraction": 0.97, "profile": {"name": "default"},
               "calibration": "population defaults",
               "not_judged": [n for r in reps for n in r["not_judged"]]}
    return SessionPayload("lifting", summary, list(events or []), reps, duration_s=12.0)


def standing(ok: float, caution: float, poor: float, *, judged: bool = True,
             events: list[dict[str, Any]] | None = None) -> SessionPayload:
    measured = ok + caution + poor
    summary: dict[str, Any] = {"time_s_by_severity": {"ok": ok, "caution": caution,
                                                      "poor": poor},
                               "detected_fraction": 0.99, "profile": {"name": "default"},
                               "calibration": "population defaults"}
    if judged:
        summary.update(score=round(100 * ok / measured),
                       score_basis="time in good posture: share of the measured time with "
                                   "every check ok",
                       not_judged=[])
    else:
        summary.update(score=None, score_basis="not judged: Forward head, Forward lean need "
                                               "the camera side-on (see not_judged)",
                       not_judged=[{"rule": "standing.trunk_lean", "category":
                                    "trunk_forward_lean", "reason": "Forward lean: not judged "
                                    "— needs the camera side-on with the body in view"}])
    return SessionPayload("standing", summary, list(events or []), [], duration_s=measured)


# ------------------------------------------------------------------------------ the score
def test_lift_score_is_named_defined_and_averaged_over_judged_lifts():
    from posture_app.session_text import score_tiles, score_view

    p = lifting([rep(1, 1.0), rep(2, 5.0, [{"category": "rounded_back", "severity": "poor"}]),
                 rep(3, 9.0, verdict="not_judged")])
    view = score_view(p)
    assert view.label == "Lift score" and view.kind == "lift"
    assert view.value == 88 and view.text == "88 / 100"  # (100 + 75) / 2, not judged left out
    assert "25 points" in view.definition and "10" in view.definition
    assert "average over the lifts that could be judged" in view.definition
    assert "What is good" in view.good and "defaults" in view.good and "default" in view.good
    assert view.basis.startswith("mean score of the 2 judged lift(s) of 3")
    tiles = dict(score_tiles(p))
    assert tiles["Lift score"] == "88 / 100" and tiles["Lifts with no fault"] == "1 of 2"
    assert "Good posture" not in tiles and "Time in good posture" not in tiles  # one score


def test_nothing_judged_is_never_100():
    from posture_app.session_text import headline, score_tiles, score_view

    p = lifting([rep(1, 1.0, verdict="not_judged"), rep(2, 5.0, verdict="not_judged")])
    view = score_view(p)
    assert view.value is None and view.text == "Not judged"
    assert "needs the camera side-on" in view.reason
    assert "100" not in dict(score_tiles(p))["Lift score"]
    assert "well done" not in headline(p) and "could not be judged" in headline(p)

    front = standing(5.0, 0.0, 0.0, judged=False)
    view = score_view(front)
    assert view.label == "Time in good posture" and view.value is None
    assert view.text == "Not judged" and "side-on" in view.reason
    assert "Forward head" in view.reason
    assert "100" not in " ".join(v for _, v in score_tiles(front))

    no_lifts = SessionPayload("lifting", {"score": 70, "time_s_by_severity": {"ok": 5.0}},
                              [], [], 5.0)
    assert score_view(no_lifts).text == "Not judged"  # the frame-time score is no lift score
    assert "no lifts were counted" in score_view(no_lifts).reason


def test_time_in_good_posture_is_the_share_of_good_time_as_in_the_report():
    from posture_app.session_text import score_view, therapist_rows

    p = standing(28.0, 58.0, 14.0)  # 28 % good: the report's score is the same number
    view = score_view(p)
    assert view.text == "28 %" and view.label == "Time in good posture"
    assert p.summary["score"] == 28
    assert "80%" in view.good and "not a clinical standard" in view.good
    rows = dict(therapist_rows(p))
    assert rows["Time in good posture, how it was computed"].startswith("time in good posture")


# ------------------------------------------------------------------------------ words
def test_a_moment_during_a_good_lift_is_not_a_fault_and_well_done_needs_no_tips():
    from posture_app.records import reconcile_events
    from posture_app.session_text import headline, tips_for

    good = lifting([rep(1, 1.0), rep(2, 5.0)], events=[LEAN_EVENT])
    kept, superseded = reconcile_events(good.events, good.reps)
    assert kept == [] and superseded[0]["rep"] == 1
    assert tips_for(good) == []
    assert headline(good) == "All 2 judged lifts looked good — well done."

    # A moment outside the lifts: a tip, so no "well done" beside it.
    outside = lifting([rep(1, 1.0), rep(2, 5.0)], events=[LEAN_EVENT, NECK_EVENT])
    tips = tips_for(outside)
    assert tips == [NECK_EVENT["cue"]]
    assert "well done" not in headline(outside) and "lifts looked good" in headline(outside)

    # A faulty lift: its own fault, named with the lift it was seen in.
    faulty = lifting([rep(1, 1.0, [{"category": "rounded_back", "severity": "poor"}]),
                      rep(2, 5.0)],
                     events=[{**LEAN_EVENT, "rule": "lifting.rounded_back",
                              "category": "rounded_back", "severity": "poor"}])
    kept, superseded = reconcile_events(faulty.events, faulty.reps)
    assert len(kept) == 1 and kept[0]["rep"] == 1 and superseded == []
    assert tips_for(faulty)[0].startswith("Rounded back in lift 1")
    assert "well done" not in headline(faulty)
    assert headline(faulty).startswith("1 of 2 judged lifts looked good")


def test_sitting_well_done_only_without_moments():
    from posture_app.session_text import headline

    assert "well done" in headline(standing(90.0, 5.0, 5.0))
    flagged = standing(90.0, 5.0, 5.0, events=[NECK_EVENT])
    assert "well done" not in headline(flagged) and "1 moment(s)" in headline(flagged)
    assert "well done" not in headline(standing(30.0, 50.0, 20.0))


def test_metric_words_carry_their_meaning():
    from posture_app.records import REP_METRIC_LABELS, metric_hint, metric_label

    assert "bent" in metric_hint("knee_hyperextension_deg")  # a negative value has a meaning
    assert metric_label("trunk_minus_shin_deg") != "Trunk vs shins"
    assert "hips" in REP_METRIC_LABELS["max_squat_depth_ratio"][0]


# ------------------------------------------------------------------------------ reports
def _chart_rows(n: int = 60) -> list[dict[str, Any]]:
    return [{"t": i * 0.2, "detected": True, "activity": "standing", "worst": "ok",
             "trunk_lean_deg": 5.0 + (i % 20), "neck_flexion_deg": 10.0 + (i % 7),
             "knee_hyperextension_deg": -20.0 + (i % 5)} for i in range(n)]


def test_report_is_self_contained_with_name_notes_score_meaning_charts_and_gaps():
    from posture_app.services import load_rules
    from posture_app.summary import session_report_html

    p = standing(8.0, 3.0, 1.0, events=[NECK_EVENT])
    p.summary["not_judged"] = [{"rule": "standing.lateral_tilt", "category": "lateral_tilt",
                                "reason": "Sideways lean: not judged — needs the camera from "
                                          "the front"}]
    html = session_report_html(p, series=_chart_rows(), profile=load_rules("default"),
                               source="Live coach session", patient="Ann <Smith>",
                               therapist_notes="Left knee\nsore after 10 min")
    assert html.startswith("<!DOCTYPE html>")
    assert "Ann &lt;Smith&gt;" in html and "Left knee\nsore after 10 min" in html
    assert "Time in good posture: 67 %" in html and "What is good" in html
    assert "<svg" in html and "below 0 = bent" in html  # the charts, with their meaning
    assert "Not judged" in html and "Sideways lean" in html
    assert "Grow tall" in html and "Details for the therapist" in html
    body = html.split("<body>")[1].replace("http://www.w3.org", "")
    assert "http://" not in body and "https://" not in body and "<script" not in body

    lifts = lifting([rep(1, 1.0), rep(2, 5.0, verdict="not_judged")])
    html = session_report_html(lifts, source="Lift lab session")
    assert "Lift score: 100 / 100" in html and "Lift score of each lift" in html
    assert "grey = not judged" in html and "not kept after a session" in html


def test_long_sessions_make_small_charts():
    from posture_app.report_html import thin

    pts: list[tuple[float, float | None]] = [(i / 15, float(i % 97)) for i in range(54_000)]
    pts[100:400] = [(t, None) for t, _ in pts[100:400]]
    out = thin(pts)
    assert len(out) <= 1300
    vals = [v for _, v in out if v is not None]
    assert max(vals) == 96 and min(vals) == 0  # peaks kept
    assert any(v is None for _, v in out)  # the gap kept


# ------------------------------------------------------------------------------ pages
REVIEW_SCRIPT = f"""
import sys
sys.path.insert(0, {str(REPO)!r})
import streamlit as st
from posture_app import ui
from posture_app.pages import review
from posture_app.services import load_settings

ui.inject_css()
review.show_result(st.session_state["result"], load_settings())
"""


def _review(payload: SessionPayload) -> Any:
    from streamlit.testing.v1 import AppTest

    from posture_app.pages.review import ReviewResult
    from posture_app.summary import session_report_html

    result = ReviewResult(key=("k",), name="my squats (2).mp4", kind="image", payload=payload,
                          series=[], report_json=b"{}", frames_csv=b"frame,t\n",
                          media=_png(), html=session_report_html(payload).encode())
    at = AppTest.from_string(REVIEW_SCRIPT, default_timeout=TIMEOUT)
    at.session_state["result"] = result
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _png() -> bytes:
    import cv2
    import numpy as np

    ok, buf = cv2.imencode(".png", np.zeros((8, 8, 3), np.uint8))
    assert ok
    return bytes(buf)


def _outside_expanders(at: Any) -> str:
    """The page's text without what sits in expanders (the therapist's details)."""
    def walk(node: Any) -> str:
        if _is_expander(node):
            return ""
        children = getattr(node, "children", None)
        if isinstance(children, dict) and children:
            return "\n".join(walk(c) for c in children.values())
        return _all_text(node)

    return walk(at.main)


def _is_expander(node: Any) -> bool:
    # AppTest shows an expander with an icon as a "Status" block.
    return type(node).__name__ in ("Expander", "Status")


def _expanders(node: Any) -> list[Any]:
    out = [node] if _is_expander(node) else []
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for c in children.values():
            out += _expanders(c)
    return out


def _all_text(node: Any) -> str:
    from app_stubs import _walk

    return _walk(node)


def _moment_tables(at: Any) -> str:
    return "\n".join(df.value.to_string() for df in at.dataframe)


@pytest.mark.slow
def test_review_summary_text_agrees_with_its_reps():
    good = lifting([rep(1, 1.0), rep(2, 5.0)], events=[LEAN_EVENT])
    at = _review(good)
    text = page_text(at)
    assert "All 2 judged lifts looked good — well done." in text
    assert "Nothing to fix in this recording" in text
    assert "Tips to try" not in text
    tables = _moment_tables(at)
    assert "Leaning forward" not in tables  # the moment the rep table calls good
    assert "1 brief moment(s) during lifts are not listed" in text
    assert "Lift score" in text and "100 / 100" in text and "What is good" in text

    faulty = lifting([rep(1, 1.0, [{"category": "rounded_back", "severity": "poor"}]),
                      rep(2, 5.0)], events=[LEAN_EVENT])
    at = _review(faulty)
    text = page_text(at)
    assert "well done" not in text and "Nothing to fix" not in text
    assert "1 of 2 judged lifts looked good" in text
    assert "Tips to try" in text and "Rounded back in lift 1" in text
    assert "88 / 100" in text  # (75 + 100) / 2, the same number as the rep table's mean
    reps_table = next(df.value for df in at.dataframe if "Lift score" in df.value.columns)
    assert list(reps_table["Lift score"]) == [75.0, 100.0]

    unjudged = lifting([rep(1, 1.0, verdict="not_judged")])
    at = _review(unjudged)
    text = page_text(at)
    assert "Not judged" in text and "100 / 100" not in text and "well done" not in text
    assert "Nothing to fix" not in text


@pytest.mark.slow
def test_review_keeps_file_names_and_the_command_line_for_the_therapist():
    at = _review(lifting([rep(1, 1.0)]))
    patient = _outside_expanders(at)
    assert "posture analyze" not in patient and "my squats" not in patient
    assert ".json" not in patient and ".csv" not in patient
    therapist = "\n".join(_all_text(e) for e in _expanders(at.main)
                          if e.label == "Details for your therapist")
    assert "posture analyze" in therapist and "my squats" in therapist
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Download printable report", "Download annotated photo",
                      "Download report.json", "Download frames.csv"]
    assert not re.search(r"side_(left|right)|\bdeg\b", patient)


@pytest.mark.slow
def test_report_download_takes_a_name_and_notes_and_stores_nothing(data_dir):
    at = _review(lifting([rep(1, 1.0)]))
    at.text_input(key="review-report-patient").input("Jo Bloggs")
    at.text_area(key="review-report-notes").input("Practise with 5 kg next week")
    at.button[[b.label for b in at.button].index("Add to the report")].click().run()
    assert not at.exception
    from posture_app.summary import REPORT_CACHE

    html = at.session_state[REPORT_CACHE]["review"][1].decode()
    assert "Jo Bloggs" in html and "Practise with 5 kg next week" in html
    from posture.store import HistoryStore

    assert HistoryStore().list_sessions() == []


SUMMARY_SCRIPT = f"""
import sys
sys.path.insert(0, {str(REPO)!r})
import streamlit as st
from posture_app.services import load_rules
from posture_app.summary import render_summary

render_summary(st.session_state["payload"], series=st.session_state["payload"].series,
               profile=load_rules("default"), key=st.session_state["key"])
"""


@pytest.mark.slow
@pytest.mark.parametrize("key, source", [("live", "Live coach session"),
                                         ("lab", "Lift lab session")])
def test_live_and_lift_lab_summaries_offer_the_printable_report(key, source):
    from streamlit.testing.v1 import AppTest

    from posture_app.summary import REPORT_CACHE

    if key == "live":
        payload = standing(8.0, 3.0, 1.0, events=[NECK_EVENT])
        payload.series = _chart_rows()
    else:
        payload = lifting([rep(1, 1.0), rep(2, 5.0, [{"category": "stoop_lift",
                                                      "severity": "caution"}])])
    at = AppTest.from_string(SUMMARY_SCRIPT, default_timeout=TIMEOUT)
    at.session_state["payload"] = payload
    at.session_state["key"] = key
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    labels = [getattr(b, "label", None) for b in at.get("download_button")]
    assert "Download printable report" in labels
    html = at.session_state[REPORT_CACHE][key][1].decode()
    assert source in html and "What is good" in html
    assert ("<svg" in html) and ("Time in good posture" in html if key == "live"
                                 else "Lift score: 95 / 100" in html)


def _seed_history() -> None:
    from posture.store import HistoryStore

    now = time.time()
    with HistoryStore() as s:
        sid = s.start_session("live", "sitting", started_at=now - 900, source="Live coach")
        s.finish_session(sid, summary={"score": 57, "score_basis": "time ok + half the time "
                                       "in caution, over the measured time",
                                       "time_s_by_severity": {"ok": 28.0, "caution": 58.0,
                                                              "poor": 14.0}},
                         events=[NECK_EVENT], reps=[], duration_s=100.0, ended_at=now - 800)
        sid = s.start_session("live", "standing", started_at=now - 700, source="Live coach")
        s.finish_session(sid, summary={"score": None, "score_basis": "not judged: Forward "
                                       "head need the camera side-on (see not_judged)",
                                       "time_s_by_severity": {"ok": 50.0, "caution": 0.0,
                                                              "poor": 0.0}},
                         events=[], reps=[], duration_s=50.0, ended_at=now - 650)
        sid = s.start_session("live", "lifting", started_at=now - 600, source="Lift lab")
        s.finish_session(sid, summary={"score": 71, "score_basis": "mean score of the 2 judged "
                                       "lift(s) of 2", "time_s_by_severity":
                                       {"ok": 10.0, "caution": 0.0, "poor": 0.0}},
                         events=[], reps=[rep(1, 1.0, [{"category": "rounded_back",
                                                        "severity": "poor"}], score=75),
                                          rep(2, 5.0, [{"category": "stoop_lift",
                                                        "severity": "poor"}], score=67)],
                         duration_s=12.0, ended_at=now - 588)


@pytest.mark.slow
def test_history_keeps_lift_score_and_time_in_good_posture_apart():
    from app_stubs import app_test

    _seed_history()
    at = app_test("history")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    assert "Lift score" in table.columns and "Time in good posture" in table.columns
    assert "Score" not in table.columns and "Good posture" not in table.columns
    by_activity = {row["Activity"]: (row["Lift score"], row["Time in good posture"])
                   for _, row in table.iterrows()}
    assert by_activity["Lifting"] == ("71 / 100", "")
    assert by_activity["Sitting"] == ("", "28 %")
    assert by_activity["Standing"] == ("", "Not judged")  # never a "100 %" from tilts alone
    text = page_text(at)
    assert "80% or more is good" in text and "not clinical standards" in text
    # The posture trend counts the sitting time only (not the lifting session's 100 % ok).
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Time in good posture, last 7 days"] == "28 %"
    assert metrics["Lift score, last 7 days"] == "71 / 100"
    assert len(at.get("vega_lite_chart")) >= 2
    # Any session: a printable report with its score's meaning.
    labels = [b.label for b in at.get("download_button")]
    assert "Download printable report" in labels
    for option in at.selectbox(key="history_pick").options:
        at.selectbox(key="history_pick").select(option).run()
        assert not at.exception, [e.value for e in at.exception]
    cache = at.session_state["_report_cache"]
    assert len(cache) == 3 and all(k.startswith("history-") for k in cache)  # one each
    htmls = [v[1].decode() for v in cache.values()]
    assert any("Lift score: 71 / 100" in h for h in htmls)
    assert any("Time in good posture: not judged" in h for h in htmls)


def test_history_trend_frame_does_not_mix_lifting_time_into_posture():
    from posture.store import HistoryStore
    from posture_app.pages.history import trends_frame

    _seed_history()
    with HistoryStore() as s:
        rows, trends = s.list_sessions(), s.trends()
    df = trends_frame(trends, rows)
    assert df["share_ok"].dropna().round(2).tolist() == [0.28]
    assert df["mean_rep_score"].dropna().round(0).tolist() == [71.0]


def test_no_load_given_no_load_chart():
    """The load rule is judged only with a declared load: without one, no chart flags the
    hands' distance (a squat's counterbalancing arms are not a 'load far')."""
    from posture_app.services import load_rules
    from posture_app.session_text import chart_specs

    rows = [{"t": i * 0.2, "activity": "lifting", "trunk_inclination_deg": 10.0 + i,
             "load_distance_cm": 20.0 + 3 * i, "knee_angle_deg": 170.0 - i}
            for i in range(20)]
    profile = load_rules("default")
    p = lifting([rep(1, 1.0)])
    assert "load_distance_cm" not in {s.metric for s in chart_specs(p, rows, profile)}
    p.reps[0]["niosh"] = {"load_kg": 10.0, "lifting_index": 0.8}
    assert "load_distance_cm" in {s.metric for s in chart_specs(p, rows, profile)}


def test_each_tip_once_even_when_a_moment_repeats_a_lift_fault():
    """The walk-through saw "Chest up — hinge at the hips…" twice under the tips: once with
    its lift, once from a moment between lifts."""
    from posture_app.session_text import tips_for

    cue = "Chest up — hinge at the hips and bend your knees"
    faulty = rep(1, 0.0, [{"category": "rounded_back", "severity": "poor"}])
    between = {"rule": "lifting.rounded_back", "category": "rounded_back", "severity": "poor",
               "start_s": 6.0, "end_s": 7.0, "cue": cue, "activity": "lifting"}
    from posture.rules.profile import load_profile

    tips = tips_for(lifting([faulty], [between]), load_profile())
    assert sum(cue in t for t in tips) == 1, tips
