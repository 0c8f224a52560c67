"""A lift's style and its stoop check say the same thing wherever a rep is shown (issue #13,
item 5), and the patient's rep table fits the page at 1400 px (item 8).

The engine calls a lift "mixed" for a Stoop-Squat Index of 30–90 (Schmid 2022) while the
profile's stoop rule flags it from 70 (caution) and 90 (poor); rows used to read Style
"Mixed" beside "Stoop lift (Check)". The reps here are built the way the engine builds
them (``style_of``, ``Check``, ``faults_of``, ``score_rep`` and the default profile's own
bands), so a change of thresholds moves the test with them.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from app_stubs import REPO

from posture.activities.lifting import Check, faults_of, score_rep, style_of
from posture.rules.profile import load_profile
from posture_app.records import (
    REP_COLUMNS,
    REP_DETAIL_COLUMNS,
    STOOP_INDEX_COLUMN,
    TRUNK_COLUMN,
    SessionPayload,
    rep_detail_frame,
    reps_frame,
    style_words,
)

PROFILE = load_profile("default")
STOOP = PROFILE.rule("lifting.stoop")
ROUNDED = PROFILE.rule("lifting.rounded_back")
CAUTION_SSI = (STOOP.bands.caution + STOOP.bands.poor) / 2  # 80 with the default bands


def engine_rep(index: int, ssi: float, *, rounded: str = "poor", style: str | None = None,
               with_checks: bool = True) -> dict[str, Any]:
    """A lifting rep dict as ``Rep.to_dict`` writes it, its stoop check judged on ``ssi``."""
    stoop_level = STOOP.bands.level(ssi)
    levels = {STOOP.id: stoop_level, ROUNDED.id: rounded}
    faults = faults_of(levels, {r.id: r for r in PROFILE.rules if r.id in levels})
    score, breakdown = score_rep(faults)
    checks = [Check(STOOP.id, STOOP.category, STOOP.label, stoop_level, True, ssi,
                    confidence=0.95),
              Check(ROUNDED.id, ROUNDED.category, ROUNDED.label, rounded, True, 150.0,
                    confidence=0.9),
              Check("lifting.knee_valgus", "knee_valgus", "Knees caving in", "n/a", False,
                    code="view", reason="Knees caving in: not judged — needs the camera "
                                        "from the front (this rep was filmed side-on)")]
    rep: dict[str, Any] = {
        "index": index, "start_s": 3.0 * index, "bottom_s": 3.0 * index + 1.2,
        "end_s": 3.0 * index + 2.4, "style": style or style_of(ssi), "kind": "lift",
        "metrics": {"stoop_squat_index": ssi, "peak_trunk_inclination_deg": 88.0,
                    "min_knee_angle_deg": 156.0, "min_hip_angle_deg": 80.0},
        "faults": faults, "score": score, "score_breakdown": breakdown, "view": "side_right",
        "verdict": "faulty" if faults else "good", "confidence": 0.9}
    if with_checks:
        rep["checks"] = [c.to_dict() for c in checks]
        rep["judged"] = [c.category for c in checks if c.judged]
        rep["not_judged"] = [{"rule": c.rule, "category": c.category, "reason": c.reason}
                             for c in checks if not c.judged]
    return rep


def agrees(style: str, notes: str) -> bool:
    """The style words and the fault words of one row tell the same story."""
    if "Stoop lift (Adjust)" in notes:
        return style == "Stoop"
    if "Stoop lift (Check)" in notes:
        return style == "Mixed, close to a stoop"
    return "stoop" not in style.lower() or style == "Stoop"


# ------------------------------------------------------------------------------ the words
def test_the_case_of_the_issue_is_a_mixed_style_with_a_stoop_caution():
    assert style_of(CAUTION_SSI) == "mixed"
    assert STOOP.bands.level(CAUTION_SSI) == "caution"


@pytest.mark.parametrize(("ssi", "expected"), [
    (CAUTION_SSI, "Mixed, close to a stoop"),  # engine "mixed", stoop check: caution
    (STOOP.bands.poor + 3.0, "Stoop"),          # engine "stoop", stoop check: poor
    (50.0, "Mixed"),                            # engine "mixed", stoop check ok
    (10.0, "Squat"),
])
def test_style_words_follow_the_reps_stoop_check(ssi, expected):
    rep = engine_rep(1, ssi)
    assert style_words(rep) == expected
    # A stored rep keeps its faults, not its checks: the same words from the faults.
    assert style_words(engine_rep(1, ssi, with_checks=False)) == expected


def test_a_poor_stoop_check_reads_stoop_whatever_the_style_bands_say():
    # A profile with a lower poor threshold (or a lift judged on another reading) can
    # flag a stoop the SSI bands still call mixed: the row must not read "Mixed".
    rep = engine_rep(1, CAUTION_SSI, style="mixed")
    rep["faults"] = [{"category": "stoop_lift", "severity": "poor"}]
    assert style_words(rep) == "Stoop"
    rep.pop("faults")
    for c in rep["checks"]:
        if c["category"] == "stoop_lift":
            c["status"] = "poor"
    assert style_words(rep) == "Stoop"


def test_an_unjudged_stoop_check_keeps_the_engines_style():
    rep = engine_rep(1, CAUTION_SSI)
    rep["faults"] = [f for f in rep["faults"] if f["category"] != "stoop_lift"]
    for c in rep["checks"]:
        if c["category"] == "stoop_lift":
            c.update(status="n/a", value=None, reason_code="not_applicable")
    assert style_words(rep) == "Mixed"
    assert style_words({"style": "unknown", "faults": []}) == "–"
    assert style_words({}) == "–"


def test_rep_table_rows_style_and_faults_agree():
    reps = [engine_rep(1, CAUTION_SSI), engine_rep(2, STOOP.bands.poor + 3.0),
            engine_rep(3, 50.0, rounded="ok"), engine_rep(4, CAUTION_SSI, with_checks=False)]
    df = reps_frame(reps)
    rows = list(zip(df["Style"], df["Notes"], strict=True))
    assert rows[0] == ("Mixed, close to a stoop", "Rounded back (Adjust), Stoop lift (Check)")
    assert rows[1] == ("Stoop", "Rounded back (Adjust), Stoop lift (Adjust)")
    assert rows[2] == ("Mixed", "None — nice")
    assert rows[3][0] == "Mixed, close to a stoop"
    assert all(agrees(s, n) for s, n in rows), rows
    # The therapist's table of the same lifts uses the same words, with the index.
    detail = rep_detail_frame(reps)
    assert list(detail["Style"]) == list(df["Style"])
    assert list(detail[STOOP_INDEX_COLUMN]) == [r["metrics"]["stoop_squat_index"] for r in reps]


def test_printable_report_rows_agree():
    from posture_app.summary import session_report_html

    payload = SessionPayload("lifting", {"score": 65, "score_basis": "mean score of the 1 "
                                         "judged lift(s) of 1"}, [], [engine_rep(1, CAUTION_SSI)])
    html = session_report_html(payload)
    assert "Mixed, close to a stoop" in html and "Stoop lift (Check)" in html
    assert not re.search(r">\s*Mixed\s*<", html)  # never the bare "Mixed" beside it


# ------------------------------------------------------------------------------ Lift lab
def live_rep(index: int, ssi: float, with_load_fault: bool = False):
    """The Lift lab's record of a lift, filled from the engine's rep as the live engine
    does (``LiveController``: faults, style, verdict, not_judged, confidence)."""
    from posture_app.live_engine import LiveRep

    d = engine_rep(index, ssi)
    faults = list(d["faults"])
    if with_load_fault:
        faults.insert(1, {"category": "load_far", "severity": "caution"})
    return LiveRep(index=index, start_s=d["start_s"], end_s=d["end_s"],
                   bottom_s=d["bottom_s"], metrics=dict(d["metrics"]), score=d["score"],
                   faults=faults, style=d["style"], verdict=d["verdict"],
                   not_judged=list(d["not_judged"]), confidence=d["confidence"])


def _row(table: str, index: int) -> str:
    m = re.search(rf"<tr data-rep='{index}'>(.*?)</tr>", table)
    assert m, f"no row for lift {index}"
    return m.group(1)


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)).strip()


def test_lift_lab_rows_and_big_cue_agree():
    from posture_app.pages import lift_lab

    reps = [live_rep(1, CAUTION_SSI), live_rep(2, STOOP.bands.poor + 3.0, True),
            live_rep(3, 50.0)]
    table = lift_lab._rep_table_html(reps, {"load_kg": 0.0})
    caution, poor, ok = (_text(_row(table, i)) for i in (1, 2, 3))
    assert "Stoop lift (Check)" in caution and "Style: Mixed, close to a stoop" in caution
    assert "Stoop lift (Adjust)" in poor and "Style: Stoop" in poor
    assert "Mixed" not in poor
    assert "Stoop lift" not in ok and "Style: Mixed" in ok
    assert "Mixed lift" not in table  # the old words, beside a stoop fault
    for row in (caution, poor, ok):
        style = re.search(r"Style: ([^·]+?)(?: sure|$)", row)
        assert style, row
        assert agrees(style.group(1).strip(), row), row
    # The big cue of the same lifts: it names the stoop when it is the lift's worst fault,
    # and never calls the lift mixed.
    profile = PROFILE
    for rep in reps:
        cue = lift_lab.lift_cue(rep, profile)
        words = f"{cue.label} {cue.text} {cue.tip}"
        assert "mixed" not in words.lower()
        assert cue.status == "poor"  # each has a rounded back to adjust
    stoop_only = live_rep(4, CAUTION_SSI)
    stoop_only.faults = [f for f in stoop_only.faults if f["category"] == "stoop_lift"]
    cue = lift_lab.lift_cue(stoop_only, profile)
    assert cue.text == "Lift 4: stoop lift" and cue.status == "caution"
    row = _text(_row(lift_lab._rep_table_html([stoop_only], {}), 4))
    assert "Stoop lift (Check)" in row and "Style: Mixed, close to a stoop" in row


def test_lift_lab_notes_keep_each_fault_whole():
    from posture_app.pages import lift_lab

    table = lift_lab._rep_table_html([live_rep(1, CAUTION_SSI, True)], {"load_kg": 10.0,
                                     "frequency_per_min": 1.0, "duration_h": 0.5,
                                     "coupling": "fair"})
    row = _row(table, 1)
    notes = re.search(r"<td class='lab-notes'>(.*?)<div", row)
    assert notes
    faults = re.findall(r'<span class="lab-fault">([^<]+)</span>', notes.group(1))
    assert faults == ["Rounded back (Adjust)", "Load far from body (Check)",
                      "Stoop lift (Check)"]
    # Score, verdict and "sure" share the narrow first cell; the lifting index its own.
    assert re.search(r"<td class='lab-score'>.*Adjust.*sure 90%</div></td>", row)
    assert "<td class='lab-li'>" in row


# ------------------------------------------------------------------------------ the page
SUMMARY_SCRIPT = f"""
import sys
sys.path.insert(0, {str(REPO)!r})
import streamlit as st
from posture_app import ui
from posture_app.summary import render_summary

ui.inject_css()
render_summary(st.session_state["payload"], key="t", report=False)
"""


def test_summary_rep_table_is_narrow_and_the_angles_are_for_the_therapist(tmp_path,
                                                                         monkeypatch):
    from streamlit.testing.v1 import AppTest

    from posture_app.summary import REP_LAYOUT

    monkeypatch.setenv("POSTURE_DATA_DIR", str(tmp_path / "data"))
    reps = [engine_rep(1, CAUTION_SSI), engine_rep(2, CAUTION_SSI)]
    summary = {"score": 65, "score_basis": "mean score of the 2 judged lift(s) of 2",
               "time_s_by_severity": {"ok": 3.0, "caution": 0.5, "poor": 1.5},
               "not_judged": []}
    at = AppTest.from_string(SUMMARY_SCRIPT, default_timeout=60)
    at.session_state["payload"] = SessionPayload("lifting", summary, [], reps, 6.0)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    tables = [d.value for d in at.dataframe]
    [main] = [t for t in tables if "Notes" in t.columns]
    assert tuple(main.columns) == REP_COLUMNS
    assert TRUNK_COLUMN not in main.columns
    assert all(agrees(s, n) for s, n in zip(main["Style"], main["Notes"], strict=True))
    assert list(main["Style"]) == ["Mixed, close to a stoop"] * 2
    # What left the patient's table is in the therapist's one (in the expander).
    [detail] = [t for t in tables if STOOP_INDEX_COLUMN in t.columns]
    assert set(detail.columns) <= set(REP_DETAIL_COLUMNS)
    assert TRUNK_COLUMN in detail.columns and list(detail["Style"]) == list(main["Style"])
    # Widths: the patient's table fits the ~900 px of content beside the sidebar at
    # 1400 px; the therapist's fits in its expander.
    assert sum(REP_LAYOUT[c][1] for c in REP_COLUMNS) <= 900
    assert sum(REP_LAYOUT[c][1] for c in REP_DETAIL_COLUMNS) <= 880


def test_big_screen_keeps_the_lifting_task_and_moves_it_under_the_video(monkeypatch,
                                                                        tmp_path):
    from app_stubs import _walk, app_test, install_webrtc

    monkeypatch.setenv("POSTURE_DATA_DIR", str(tmp_path / "data"))
    install_webrtc(monkeypatch, playing=False)
    at = app_test("lift_lab")
    at.run()
    at.number_input(key="lab_load").set_value(10.0).run()
    at.session_state["lift_lab_ctrl"].reps = [live_rep(1, CAUTION_SSI)]
    at.toggle(key="lab_big").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.number_input(key="lab_load").value == 10.0  # the task is kept ...
    bodies = [el.proto.body for el in at.get("html")]
    assert any("Lifting index" in b and "Lifts, newest first" in b for b in bodies)
    css = "".join(bodies)
    assert ".st-key-lab_task_top { display: none" in css  # ... out of the way above
    # ... and drawn in the video's column, under the video.
    [video_col, _panel] = at.columns[:2]
    assert "Lifting task (NIOSH lifting equation)" in _walk(video_col)
    at.toggle(key="lab_big").set_value(False).run()
    assert at.number_input(key="lab_load").value == 10.0
    [video_col, _panel] = at.columns[:2]
    assert "Lifting task (NIOSH lifting equation)" not in _walk(video_col)
    assert "Lifting task (NIOSH lifting equation)" in _walk(at.main)
