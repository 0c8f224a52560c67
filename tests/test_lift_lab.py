"""The Lift lab page (clinic, big screen), with ``streamlit.testing.v1.AppTest``.

Issue 13: the NIOSH frequency is asked (default: the task's, not the demonstration's pace)
and its risk wording explained; one rep table; the big cue is the last lift's verdict with
its number; replays are encoded once per lift and never by the live panel's refresh; a
big-screen layout.
"""

from __future__ import annotations

import gc
import io
import re

import numpy as np
import pytest
from app_stubs import REPO, app_test, install_webrtc, page_text, video_frames

pytestmark = pytest.mark.slow

STOOP_CLIP = REPO / "sample_videos" / "synthetic" / "23_lift_stoop_side_right.mp4"


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("POSTURE_DATA_DIR", str(tmp_path / "data"))
    yield
    from posture_app.live_engine import LiveController

    for obj in gc.get_objects():  # no live session outlives its test
        if isinstance(obj, LiveController) and obj.running:
            obj.finish()


def no_exception(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _rep(index: int, start: float, *, faults=(), verdict="good", not_judged=(),
         score: float | None = 100.0, frames=None):
    from posture_app.live_engine import LiveRep

    # H 30 cm in front, from 20 cm up to 100 cm: at 1 lift a minute a 10 kg load is fine
    # (LI ≈ 0.8); at the demonstration's ~20 a minute the limit would be 0 kg (LI "> 3").
    metrics = {"load_distance_cm": 30.0, "origin_height_cm": 20.0, "end_height_cm": 100.0,
               "max_trunk_twist_deg": None, "peak_trunk_inclination_deg": 40.0,
               "min_knee_angle_deg": 100.0}
    return LiveRep(index=index, start_s=start, end_s=start + 2.0, bottom_s=start + 1.0,
                   metrics=metrics, score=score, faults=list(faults), style="squat",
                   verdict=verdict, not_judged=list(not_judged), confidence=0.8,
                   frames=list(frames or []))


def _frames(n: int = 20):
    from posture_app.media import to_jpeg

    return [(i / 15, to_jpeg(np.full((60, 80, 3), 8 * i, np.uint8))) for i in range(n)]


def _html_bodies(at) -> list[str]:
    return [el.proto.body for el in at.get("html")]


def _cue(at) -> str:
    [cue] = [b for b in _html_bodies(at) if "posture-cue big lab-cue" in b]
    return cue


def _table(at) -> str:
    tables = [b for b in _html_bodies(at) if "Lifts, newest first" in b]
    assert len(tables) == 1, f"{len(tables)} rep tables"
    return tables[0]


def _row(table: str, index: int) -> str:
    m = re.search(rf"<tr data-rep='{index}'>(.*?)</tr>", table)
    assert m, f"no row for lift {index}"
    return m.group(1)


def _idle_page_with_reps(monkeypatch, reps, load: float = 0.0):
    """The page stopped (idle), with these lifts in its controller."""
    install_webrtc(monkeypatch, playing=False)
    at = app_test("lift_lab")
    at.run()
    no_exception(at)
    if load:
        at.number_input(key="lab_load").set_value(load)
        at.run()  # a new config resets the idle controller: add the lifts after it
    ctrl = at.session_state["lift_lab_ctrl"]
    ctrl.reps = list(reps)
    at.run()
    no_exception(at)
    return at, ctrl


# ------------------------------------------------------------------------------ NIOSH
def test_frequency_is_asked_with_the_task_default_not_the_demo_pace(monkeypatch):
    from posture_app.pages import lift_lab

    # Demonstration lifts 2.6 s apart: ~23 a minute if measured.
    reps = [_rep(i + 1, 2.6 * i) for i in range(4)]
    assert lift_lab.demo_pace(reps) > 15
    at, _ = _idle_page_with_reps(monkeypatch, reps, load=10.0)
    freq = at.number_input(key=lift_lab.FREQ_KEY)
    assert freq.value == lift_lab.DEFAULT_FREQ_PER_MIN == 1.0
    assert freq.label == "Lifts per minute in the real task"
    table = _table(at)
    assert "Lifting index" in table
    for r in reps:  # every lift, from the second on too, at the task's frequency
        row = _row(table, r.index)
        assert "Acceptable" in row and "High risk" not in row and "&gt; 3" not in row
    assert "demonstration pace, not used" in table
    # The risk wording is explained, with its source.
    text = page_text(at)
    assert "Above 1 — increased risk" in text and "Above 3 — high risk" in text
    assert "NIOSH Pub. 94-110" in text and "Waters" in text
    # A real task done 12 times a minute for up to an hour: now it is a risk.
    at.number_input(key=lift_lab.FREQ_KEY).set_value(12.0).run()
    at.session_state["lift_lab_ctrl"].reps = list(reps)  # (an idle controller was reset)
    at.run()
    no_exception(at)
    assert "Acceptable" not in _row(_table(at), 4)


def test_lift_index_uses_the_given_frequency():
    from posture_app.pages import lift_lab

    rep = _rep(2, 2.6)
    inputs = {"load_kg": 10.0, "duration_h": 0.5, "coupling": "fair"}
    li_task, band_task = lift_lab.lift_index(rep, {**inputs, "frequency_per_min": 1.0})
    assert 0.5 < li_task <= 1.0 and band_task == "acceptable"
    li_fast, band_fast = lift_lab.lift_index(rep, {**inputs, "frequency_per_min": 15.0})
    assert li_fast > li_task and band_fast != "acceptable"
    assert lift_lab.lift_index(rep, {**inputs, "load_kg": 0.0, "frequency_per_min": 1.0}) is None


def test_no_load_no_lifting_index_and_no_load_distance(monkeypatch):
    reference = _rep(1, 0.0, frames=_frames())
    last = _rep(2, 3.0, frames=_frames())
    at, _ = _idle_page_with_reps(monkeypatch, [reference, last])
    at.session_state["lift_lab_reference"] = reference
    at.run()
    no_exception(at)
    assert "Lifting index" not in _table(at)
    assert "Angles compared" in page_text(at)
    [df] = [d.value for d in at.dataframe]
    measures = " ".join(df["Measure"])
    assert "Peak trunk angle" in measures
    assert "Load" not in measures and "front of the feet" not in measures


# ------------------------------------------------------------------------------ one truth
def test_big_cue_is_the_last_lifts_verdict_and_agrees_with_its_row(monkeypatch):
    from posture_app.pages import lift_lab

    good = _rep(1, 0.0)
    stoop = _rep(2, 3.0, faults=[{"category": "rounded_back", "severity": "poor"}],
                 verdict="faulty", score=75.0)
    at, _ = _idle_page_with_reps(monkeypatch, [good, stoop])
    cue = _cue(at)
    assert "Lift 2: rounded back" in cue and "Good" not in cue.split("cue-text")[1][:40]
    assert "Chest up" in cue  # the profile's cue for that fault
    assert "Adjust" in cue and "score 75" in cue
    row = _row(_table(at), 2)
    assert "Rounded back" in row and "Adjust" in row  # the same verdict in its row

    unjudged = _rep(3, 6.0, verdict="not_judged", score=None, not_judged=[
        {"rule": "lifting.rounded_back", "category": "rounded_back",
         "reason": "Rounded back: not judged — needs the camera side-on"}])
    cue = lift_lab.lift_cue(unjudged)
    assert cue.text == "Lift 3: Not judged — needs the camera side-on"
    assert cue.status == "n/a"
    cue = lift_lab.lift_cue(good)
    assert cue.text == "Lift 1: good lift" and cue.status == "ok"


def test_live_run_one_table_and_the_cue_names_the_stoop(monkeypatch):
    """Real frames of a stoop lift: the big cue names the lift and its fault, as its row."""
    from posture_app import live_common

    monkeypatch.setattr(live_common, "CAMERA_STALL_S", 3600.0)  # frames come in bursts here
    fake = install_webrtc(monkeypatch, playing=True)
    at = app_test("lift_lab")
    at.run()
    no_exception(at)
    for frame in video_frames(STOOP_CLIP):
        fake.callback(frame)
    at.run()
    no_exception(at)
    ctrl = at.session_state["lift_lab_ctrl"]
    assert ctrl.reps, "no lift was counted"
    last = ctrl.reps[-1]
    assert last.faults, "the stoop clip's last lift has no fault"
    table = _table(at)  # exactly one rep table during the live run
    cue = _cue(at)
    assert f"Lift {last.index}:" in cue and f'data-rep="{last.index}"' in cue
    row = _row(table, last.index)
    from posture_app.records import CATEGORY_LABELS

    names = [CATEGORY_LABELS[f["category"]] for f in last.faults]
    assert any(n.lower() in cue for n in names)
    assert all(n in row for n in names)
    assert "Good lift" not in cue and "good lift" not in cue
    assert at.button(key="lab_replay").label.startswith(f"Replay lift {last.index}")
    fake.playing = False  # Stop
    at.run()
    no_exception(at)
    assert not ctrl.running
    _table(at)  # still one table after Stop, beside the session summary ...
    assert "Session summary" in page_text(at)
    assert not [d for d in at.dataframe if "Rep" in d.value.columns]  # ... which has none


# ------------------------------------------------------------------------------ replays
def test_replays_are_encoded_once_per_lift(monkeypatch):
    from posture_app.pages import lift_lab

    frames = _frames()
    calls = []
    real = lift_lab.clip_mp4

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(lift_lab, "clip_mp4", counting)
    reps = [_rep(1, 0.0, frames=frames), _rep(2, 3.0, frames=frames)]
    at, _ = _idle_page_with_reps(monkeypatch, reps)
    assert len(at.get("video")) == 1 and len(calls) == 1  # the newest lift
    at.run()
    at.run()
    assert len(calls) == 1  # cached: not encoded again by later runs
    at.button(key="lab_set_ref").click().run()  # lift 2 becomes the reference
    no_exception(at)
    assert len(calls) == 1  # the reference reuses the lift's clip (tagged, not re-encoded)


def test_slow_motion_clip_shows_each_picture_once():
    import av

    from posture_app.media import clip_mp4, tagged, to_jpeg

    frames = [(i / 15, to_jpeg(np.full((60, 80, 3), 8 * i, np.uint8))) for i in range(30)]
    data = clip_mp4(frames, speed=0.5)
    assert data is not None
    for clip in (data, tagged(data, "reference")):
        with av.open(io.BytesIO(clip)) as c:
            s = c.streams.video[0]
            assert float(s.duration * s.time_base) == pytest.approx(4.0, abs=0.1)
            assert sum(1 for _ in c.decode(video=0)) == len(frames)  # none repeated
    assert tagged(data, "reference") != data


# ------------------------------------------------------------------------------ big screen
def test_big_screen_layout(monkeypatch):
    at, _ = _idle_page_with_reps(monkeypatch, [_rep(1, 0.0)])
    assert not any(".st-key-lab_video" in b for b in _html_bodies(at))
    at.toggle(key="lab_big").set_value(True).run()
    no_exception(at)
    css = "".join(_html_bodies(at))
    assert 'section[data-testid="stSidebar"], ' in css and "max-width: none" in css
    assert ".st-key-lab_video" in css and "100vh" in css  # the video as large as fits
    _table(at)
