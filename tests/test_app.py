"""The Streamlit app, page by page, with ``streamlit.testing.v1.AppTest``.

Every test gets its own data folder (``POSTURE_DATA_DIR`` → tmp_path), so the
history and settings start empty and nothing touches the user's own data.
"""

from __future__ import annotations

import gc
import itertools
import json
import re
import time
from pathlib import Path

import numpy as np
import pytest
from app_stubs import SIT_CLIP, SQUAT_CLIP, app_test, install_webrtc, page_text, video_frames

from posture.store import HistoryStore

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    monkeypatch.setenv("POSTURE_DATA_DIR", str(folder))
    yield folder
    # A live session left running would be finished later by its watchdog thread,
    # into whichever test's data folder is current then: end them all here.
    from posture_app.live_engine import LiveController

    for obj in gc.get_objects():
        if isinstance(obj, LiveController) and obj.running:
            obj.finish()


def store() -> HistoryStore:
    return HistoryStore()


def no_exception(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


# ------------------------------------------------------------------------------ the shell
def test_app_shell_opens_on_the_live_coach_with_all_pages(monkeypatch):
    from app_stubs import REPO
    from streamlit.testing.v1 import AppTest

    fake = install_webrtc(monkeypatch)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.run()
    no_exception(at)
    assert "Live coach" in page_text(at)
    assert fake.calls and fake.calls[-1]["key"] == "live-coach"


# ------------------------------------------------------------------------------ review
def test_review_upload_shows_summary_downloads_and_saves_to_history():
    at = app_test("review")
    at.run()
    no_exception(at)
    assert "Review a recording" in page_text(at)
    at.file_uploader[0].upload(SQUAT_CLIP.name, SQUAT_CLIP.read_bytes(), "video/mp4")
    at.run()
    no_exception(at)
    assert not at.error, [e.value for e in at.error]
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Download printable report", "Download annotated video",
                      "Download report.json", "Download frames.csv"]
    text = page_text(at)
    assert "lifts looked good" in text  # the headline
    assert "Time in each band" in text and "Angles over time" in text and "Reps" in text

    result = at.session_state["review_result"]
    report = json.loads(result.report_json)
    assert report["schema_version"] == 1 and report["reps"]
    assert report["video"]["path"] == SQUAT_CLIP.name  # the name, never the temp path
    assert result.frames_csv.startswith(b"frame,t,detected")
    assert result.media[4:8] == b"ftyp"  # an mp4
    html = result.html.decode()
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html
    assert "http://" not in html.split("<body>")[1].replace("http://www.w3.org", "")
    assert result.key_frames and all(j[:2] == b"\xff\xd8" for _, j in result.key_frames)

    rows = store().list_sessions()
    assert len(rows) == 1 and rows[0].kind == "review" and rows[0].source == SQUAT_CLIP.name
    assert rows[0].rep_count == len(report["reps"])


def test_review_text_file_gives_a_sentence_not_an_exception():
    at = app_test("review")
    at.run()
    at.file_uploader[0].upload("notes.txt", b"this is not a video\n" * 50, "text/plain")
    at.run()
    no_exception(at)
    errors = [e.value for e in at.error]
    assert errors == ["The file 'notes.txt' is not a video or photo that this program can read."]
    assert not at.get("download_button")
    assert store().list_sessions() == []


def test_review_of_an_empty_room_says_no_person_was_found():
    clip = SQUAT_CLIP.parent / "29_empty_room_oblique_left.mp4"
    at = app_test("review")
    at.run()
    at.file_uploader[0].upload(clip.name, clip.read_bytes(), "video/mp4")
    at.run()
    no_exception(at)
    assert len(at.error) == 1 and at.error[0].value.startswith("No person was found in")


def test_review_photo_gives_an_annotated_picture():
    photo = SQUAT_CLIP.parents[1] / "stills" / "hunchback.jpg"
    at = app_test("review")
    at.run()
    at.selectbox(key="review_activity").select("sitting")
    at.file_uploader[0].upload(photo.name, photo.read_bytes(), "image/jpeg")
    at.run()
    no_exception(at)
    labels = [b.label for b in at.get("download_button")]
    assert "Download annotated photo" in labels
    assert at.session_state["review_result"].media[:4] == b"\x89PNG"


@pytest.fixture
def temp_root(tmp_path, monkeypatch):
    """Where the app's temporary folders go during this test (observable, then checked)."""
    import tempfile

    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def _watch_uploads(monkeypatch) -> list:
    """Record the path of every file the review page hands to the analysis."""
    import stat

    import posture.pipeline

    seen: list = []
    real = posture.pipeline.analyze_video

    def spy(path, *args, **kwargs):
        seen.append((path, path.exists(), stat.S_IMODE(path.parent.stat().st_mode)))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(posture.pipeline, "analyze_video", spy)
    return seen


def test_review_upload_goes_to_a_private_temp_folder_that_is_removed(temp_root, monkeypatch):
    seen = _watch_uploads(monkeypatch)
    at = app_test("review")
    at.run()
    at.file_uploader[0].upload("../../evil name.mp4", SQUAT_CLIP.read_bytes(), "video/mp4")
    at.run()
    no_exception(at)
    assert not at.error
    [(path, existed, mode)] = seen
    assert existed and mode == 0o700
    assert path.name == "evil_name.mp4" and path.parent.parent == temp_root
    assert path.parent.name.startswith("posture-review-")
    assert not path.parent.exists() and _leftover(temp_root) == []  # removed afterwards
    assert not (temp_root.parent / "evil name.mp4").exists()
    result = at.session_state["review_result"]
    assert result.name == "evil name.mp4"  # shown and saved as the user's own name
    assert store().list_sessions()[0].source == "evil name.mp4"
    from posture_app.pages.review import download_names

    assert download_names(result) == {
        "html": "evil_name-report.html", "media": "evil_name-annotated.mp4",
        "json": "evil_name-report.json", "csv": "evil_name-frames.csv"}


@pytest.mark.parametrize("case", ["text", "truncated", "exception"])
def test_review_temp_folder_is_removed_when_the_analysis_fails(case, temp_root, monkeypatch):
    import posture.pipeline

    if case == "text":
        name, data = "notes.txt", b"this is not a video\n" * 50
    elif case == "truncated":
        name, data = "cut.mp4", SQUAT_CLIP.read_bytes()[:4096]
    else:
        name, data = SQUAT_CLIP.name, SQUAT_CLIP.read_bytes()

        def boom(path, *args, **kwargs):
            assert path.exists() and path.parent.parent == temp_root
            raise RuntimeError("out of memory, say")

        monkeypatch.setattr(posture.pipeline, "analyze_video", boom)
    at = app_test("review")
    at.run()
    at.file_uploader[0].upload(name, data, "application/octet-stream")
    at.run()
    no_exception(at)  # a sentence, never a traceback
    assert len(at.error) == 1
    message = at.error[0].value
    assert "Traceback" not in message and "RuntimeError" not in message
    if case == "exception":
        assert message.startswith("Something went wrong while analysing the recording.")
    assert not at.get("download_button")
    assert _leftover(temp_root) == []
    assert store().list_sessions() == []


def test_review_page_states_the_upload_size_limit():
    from streamlit import config

    old = config.get_option("server.maxUploadSize")
    config.set_option("server.maxUploadSize", 500)
    try:
        at = app_test("review")
        at.run()
    finally:
        config.set_option("server.maxUploadSize", old)
    no_exception(at)
    assert "up to 500 MB" in at.file_uploader[0].help
    caption = " ".join(c.value for c in at.caption)
    assert "Files up to 500 MB each" in caption and "no size limit" in caption


# ------------------------------------------------------------------------------ history
def _seed(n_live: int = 1) -> list[int]:
    ids = []
    with store() as s:
        for i in range(n_live):
            sid = s.start_session("live", "sitting", started_at=time.time() - 3600 * (i + 1),
                                  source="Live coach")
            s.finish_session(sid, summary={"score": 80, "time_s_by_severity":
                                           {"ok": 120.0, "caution": 20.0, "poor": 10.0}},
                             events=[{"rule": "sitting.neck_inclination",
                                      "category": "forward_head", "severity": "poor",
                                      "start_s": 10.0, "end_s": 22.0,
                                      "cue": "Grow tall — bring your head back over your "
                                             "shoulders"}],
                             reps=[], duration_s=150.0, ended_at=time.time())
            ids.append(sid)
        ids.append(s.save_report({
            "activity": "lifting", "video": {"path": "/home/pat/squats.mp4", "duration_s": 6.0},
            "events": [], "summary": {"score": 90, "time_s_by_severity":
                                      {"ok": 5.0, "caution": 1.0, "poor": 0.0}},
            "reps": [{"index": 1, "start_s": 1.0, "bottom_s": 2.0, "end_s": 3.0,
                      "style": "squat", "metrics": {"peak_trunk_inclination_deg": 30.0},
                      "faults": [], "score": 90}]}, source="squats.mp4",
            started_at=time.time() - 60))
    return ids


def test_history_lists_sessions_shows_trends_and_details():
    _seed(2)
    at = app_test("history")
    at.run()
    no_exception(at)
    pick = at.selectbox(key="history_pick")
    assert len(pick.options) == 3
    assert "Recording" in pick.options[0] and "squats.mp4" in pick.options[0]  # newest first
    text = page_text(at)
    assert "Trends" in text and "Sessions" in text
    assert len(at.get("vega_lite_chart")) >= 2  # share of good time + lift score
    labels = [b.label for b in at.get("download_button")]
    assert "Export (JSON)" in labels and "Export everything (JSON)" in labels
    pick.select(pick.options[1]).run()  # a live sitting session
    no_exception(at)
    tables = "\n".join(df.value.to_string() for df in at.dataframe)
    assert "Grow tall" in tables and "Head forward" in tables  # its event, with the tip


def test_history_delete_one_asks_first_then_deletes():
    ids = _seed(1)
    at = app_test("history")
    at.run()
    first = store().list_sessions()[0].id
    at.button(key=f"delete-{first}").click().run()
    no_exception(at)
    assert len(store().list_sessions()) == 2  # only asked so far
    assert any("Delete this session for good?" in w.value for w in at.warning)
    at.button(key=f"yes-{first}").click().run()
    no_exception(at)
    remaining = [r.id for r in store().list_sessions()]
    assert first not in remaining and len(remaining) == 1 and set(remaining) <= set(ids)
    assert any("deleted" in s.value for s in at.success)


def test_history_cancel_keeps_the_session():
    _seed(1)
    at = app_test("history")
    at.run()
    first = store().list_sessions()[0].id
    at.button(key=f"delete-{first}").click().run()
    at.button(key=f"no-{first}").click().run()
    no_exception(at)
    assert len(store().list_sessions()) == 2


def test_history_delete_everything_with_confirmation():
    _seed(2)
    at = app_test("history")
    at.run()
    at.button(key="delete-all").click().run()
    assert len(store().list_sessions()) == 3
    at.button(key="yes-all").click().run()
    no_exception(at)
    assert store().list_sessions() == []
    assert any("No sessions yet" in i.value for i in at.info)


def test_history_empty_explains_what_appears_here():
    at = app_test("history")
    at.run()
    no_exception(at)
    assert any("No sessions yet" in i.value for i in at.info)


# ------------------------------------------------------------------------------ settings
def test_settings_persist_across_app_runs():
    at = app_test("settings")
    at.run()
    no_exception(at)
    assert at.number_input(key="set_height").value is None  # height not set yet
    assert at.toggle(key="set_frames").value is False  # keeping pictures is opt-in
    assert at.toggle(key="set_history").value is True
    at.number_input(key="set_height").set_value(172)
    at.number_input(key="set_break").set_value(45)
    at.toggle(key="set_audio").set_value(False)
    at.text_area(key="set_ice").input("stun:stun.clinic.example:3478")
    at.button(key="set_save").click().run()
    no_exception(at)
    assert any("Settings saved" in s.value for s in at.success)

    again = app_test("settings")  # a new browser session
    again.run()
    assert again.number_input(key="set_height").value == 172
    assert again.number_input(key="set_break").value == 45
    assert again.toggle(key="set_audio").value is False
    assert again.text_area(key="set_ice").value == "stun:stun.clinic.example:3478"
    saved = store().get_settings()
    assert saved["user_height_cm"] == 172 and saved["break_minutes"] == 45


def test_settings_custom_profile_is_validated():
    at = app_test("settings")
    at.run()
    at.radio(key="set_profile").set_value("custom").run()
    up = at.get("file_uploader")[0]
    up.upload("mine.toml", b'extends = "default"\n[[rules]]\nid = "sitting.neck_inclination"\n'
              b"caution = 35.0\n", "application/toml")
    at.run()
    no_exception(at)
    assert any("is valid" in s.value for s in at.success)
    at.button(key="set_save").click().run()
    assert store().get_settings()["custom_profile_name"] == "mine.toml"

    bad = app_test("settings")
    bad.run()
    bad.get("file_uploader")[0].upload("bad.toml", b"[[rules]]\nid = 'x.y'\nnonsense = 1\n",
                                       "application/toml")
    bad.run()
    no_exception(bad)
    assert bad.error and bad.error[0].value.startswith("This rule profile cannot be used:")
    assert "/" not in bad.error[0].value.split(":", 1)[1]  # no file paths in the sentence


# ------------------------------------------------------------------------------ live coach
def test_live_page_configures_webrtc_and_the_callback_coaches(monkeypatch):
    fake = install_webrtc(monkeypatch, playing=False)
    at = app_test("live_coach")
    at.run()
    no_exception(at)
    call = fake.calls[-1]
    assert call["key"] == "live-coach"
    assert call["rtc_configuration"] == {"iceServers": []}
    assert call["media_stream_constraints"]["audio"] is False
    assert call["media_stream_constraints"]["video"]
    assert call["async_processing"] is True
    assert call["mode"].name == "SENDRECV"
    assert "How it works" in page_text(at)

    # The worker thread's job, done here: frames in, annotated frames out.
    cb = fake.callback
    outputs = []
    for frame in video_frames(SQUAT_CLIP, limit=45):
        out = cb(frame)
        assert (out.width, out.height) == (frame.width, frame.height)
        outputs.append((frame.to_ndarray(format="rgb24"), out.to_ndarray(format="rgb24")))
    changed = sum(not np.array_equal(a, b) for a, b in outputs)
    assert changed == len(outputs)  # the overlay (skeleton, labels) is drawn on every frame

    fake.playing = True
    at.run()
    no_exception(at)
    text = page_text(at)
    assert "Frames analysed: <b>45</b>" in text
    assert "Session time" in text

    fake.playing = False  # Stop
    at.run()
    no_exception(at)
    text = page_text(at)
    assert "Session summary" in text and "Time in each band" in text
    rows = store().list_sessions()
    assert len(rows) == 1 and rows[0].kind == "live" and rows[0].status == "complete"
    assert rows[0].summary["live"]["frames_analysed"] == 45


def test_camera_errors_read_as_sentences_in_the_component(tmp_path, monkeypatch):
    """The webrtc component shows getUserMedia errors as 'name: message'; the app serves
    it with a small script first that turns camera errors into our sentences."""
    import tempfile

    import streamlit_webrtc

    from posture_app import camera

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    folder = camera.frontend_dir()
    assert folder is not None and folder.parent.parent == tmp_path
    index = (folder / "index.html").read_text()
    stock = Path(streamlit_webrtc.__file__).parent / "frontend" / "dist"
    assert index.index("posture-camera-errors.js") < index.index('type="module"')
    assert sorted(p.name for p in (folder / "assets").iterdir()) == sorted(
        p.name for p in (stock / "assets").iterdir())
    script = (folder / "posture-camera-errors.js").read_text()
    for name in ("NotAllowedError", "NotFoundError", "NotReadableError"):
        assert json.dumps(camera.CAMERA_ERRORS[name])[1:-1] in script
    assert "OverconstrainedError" not in script  # the component retries those itself
    assert camera.frontend_dir() == folder  # made once
    # A folder someone else could write to is never used.
    (folder.parent).chmod(0o777)
    try:
        assert camera.frontend_dir() is None
    finally:
        folder.parent.chmod(0o700)


def test_live_page_uses_configured_ice_servers(monkeypatch):
    with store() as s:
        s.save_settings({"ice_servers": "stun:stun.example.org:3478\nturn:turn.example.org",
                         "ice_username": "clinic", "ice_credential": "s3cret"})
    fake = install_webrtc(monkeypatch)
    at = app_test("live_coach")
    at.run()
    no_exception(at)
    assert fake.calls[-1]["rtc_configuration"] == {"iceServers": [{
        "urls": ["stun:stun.example.org:3478", "turn:turn.example.org"],
        "username": "clinic", "credential": "s3cret"}]}


def test_low_power_setting_reaches_the_live_page(monkeypatch):
    with store() as s:
        s.save_settings({"low_power": True})
    fake = install_webrtc(monkeypatch, playing=False)
    at = app_test("live_coach")
    at.run()
    at.selectbox(key="live_activity").set_value("sitting").run()
    no_exception(at)
    frames = list(video_frames(SIT_CLIP, limit=45))  # 3 s at 15 fps
    for frame in frames:
        fake.callback(frame)
    fake.playing = True
    at.run()
    no_exception(at)
    text = page_text(at)
    m = re.search(r"Frames analysed: <b>(\d+)</b>", text)
    assert m and int(m.group(1)) <= len(frames) // 2  # 5 a second, not 15
    assert "(low-power mode)" in text
    fake.playing = False  # Stop: no session may outlive its test (its watchdog would
    at.run()              # finish it later, into another test's data folder)
    no_exception(at)
    assert not at.session_state["live_coach_ctrl"].running


def test_live_session_progress_is_flushed_while_running(monkeypatch):
    from posture_app import live_common

    monkeypatch.setattr(live_common, "FLUSH_EVERY_S", 0.0)
    fake = install_webrtc(monkeypatch, playing=True)
    at = app_test("live_coach")
    at.run()
    for frame in video_frames(SIT_CLIP, limit=30):
        fake.callback(frame)
    at.run()
    no_exception(at)
    rows = store().list_sessions()
    assert len(rows) == 1 and rows[0].status == "recording" and rows[0].duration_s > 0
    fake.playing = False  # Stop, so the session's watchdog cannot finish it later
    at.run()
    no_exception(at)
    assert store().list_sessions()[0].status == "complete"


def _stream(fake, clip=SIT_CLIP, limit=30) -> None:
    for frame in video_frames(clip, limit=limit):
        fake.callback(frame)


def _wait_for(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_camera_that_stops_sending_ends_the_session_with_a_sentence(monkeypatch):
    """Unplugged mid-session: the browser still 'plays' but no frame arrives."""
    from posture_app import live_common

    monkeypatch.setattr(live_common, "CAMERA_STALL_S", 3600.0)
    fake = install_webrtc(monkeypatch, playing=True)
    at = app_test("live_coach")
    at.run()
    _stream(fake)
    at.run()
    no_exception(at)
    frames = at.session_state["live_coach_ctrl"].frames_processed
    assert frames >= 25 and f"Frames analysed: <b>{frames}</b>" in page_text(at)
    assert fake.calls[-1]["desired_playing_state"] is None  # the user's Start/Stop
    monkeypatch.setattr(live_common, "CAMERA_STALL_S", 0.3)
    time.sleep(0.5)  # …and the camera is unplugged: no frame for longer than that
    at.run()
    no_exception(at)
    assert [w.value for w in at.warning] == [live_common.CAMERA_STOPPED]
    assert "Session summary" in page_text(at)
    assert fake.calls[-1]["desired_playing_state"] is False  # the page stops the stream
    [row] = store().list_sessions()
    assert row.status == "complete" and row.summary["live"]["frames_analysed"] == frames
    assert row.summary["live"]["ended_by"] == "camera_stopped"

    fake.playing = False  # the browser stopped: Start is offered again
    at.run()
    no_exception(at)
    assert fake.calls[-1]["desired_playing_state"] is None
    assert [w.value for w in at.warning] == [live_common.CAMERA_STOPPED]  # still explained

    fake.playing = True  # Start again: a new session, the old message goes
    at.run()
    no_exception(at)
    assert not at.warning and "Session summary" not in page_text(at)
    _stream(fake, limit=10)
    fake.playing = False
    at.run()
    rows = store().list_sessions()
    assert len(rows) == 2 and {r.summary["live"]["ended_by"] for r in rows} == {
        "camera_stopped", "stop"}


@pytest.mark.parametrize(("quiet_s", "ended_by"), [(0.0, "stop"), (0.5, "camera_stopped")])
def test_stream_the_browser_stops_after_its_frames_did_is_a_stopped_camera(
        monkeypatch, quiet_s, ended_by):
    """The camera went, then the browser dropped the stream before the page noticed: not
    a Stop (that comes while frames flow), so the page says the camera stopped."""
    from posture_app import live_common

    monkeypatch.setattr(live_common, "CAMERA_GONE_S", 0.3)
    fake = install_webrtc(monkeypatch, playing=True)
    at = app_test("live_coach")
    at.run()
    _stream(fake)
    time.sleep(quiet_s)
    fake.playing = False
    at.run()
    no_exception(at)
    assert "Session summary" in page_text(at)
    stopped = [live_common.CAMERA_STOPPED] if ended_by == "camera_stopped" else []
    assert [w.value for w in at.warning] == stopped
    [row] = store().list_sessions()
    assert row.status == "complete" and row.summary["live"]["ended_by"] == ended_by


def test_stream_that_ends_without_stop_is_saved(monkeypatch):
    """The tab was closed or the connection dropped: streamlit-webrtc's on_video_ended."""
    from posture_app import live_common

    monkeypatch.setattr(live_common, "PAGE_GRACE_S", 0.2)  # no page will come to finish it
    fake = install_webrtc(monkeypatch, playing=True)
    at = app_test("live_coach")
    at.run()
    _stream(fake)
    fake.calls[-1]["on_video_ended"]()  # a worker thread, no page involved
    ctrl = at.session_state["live_coach_ctrl"]
    _wait_for(lambda: ctrl.outcome is not None)
    [row] = store().list_sessions()
    assert row.status == "complete" and row.summary["live"]["ended_by"] == "stream_ended"
    assert row.summary["live"]["frames_analysed"] == ctrl.frames_processed >= 25
    fake.playing = False  # if the page is still there, it shows the summary
    at.run()
    no_exception(at)
    assert "Session summary" in page_text(at) and not at.warning
    assert len(store().list_sessions()) == 1  # saved once


def test_closed_tab_session_is_saved_by_the_watchdog(monkeypatch):
    """No page and no end-of-stream signal: no frame for a while finishes the session."""
    from posture_app import live_common

    monkeypatch.setattr(live_common, "CAMERA_STALL_S", 0.2)
    monkeypatch.setattr(live_common, "PAGE_GRACE_S", 0.2)
    fake = install_webrtc(monkeypatch, playing=True)
    at = app_test("live_coach")
    at.run()
    _stream(fake)  # then the tab closes: no more frames, no more page runs
    ctrl = at.session_state["live_coach_ctrl"]
    _wait_for(lambda: ctrl.outcome is not None)
    [row] = store().list_sessions()
    assert row.status == "complete" and row.summary["live"]["ended_by"] == "no_frames"


def test_stop_and_on_video_ended_together_save_once(monkeypatch):
    from posture_app import live_common

    # The page's rerun after Stop must come within the grace period; on a loaded CI
    # machine an AppTest run can take longer than the real 3 s.
    monkeypatch.setattr(live_common, "PAGE_GRACE_S", 60.0)
    fake = install_webrtc(monkeypatch, playing=True)
    at = app_test("live_coach")
    at.run()
    _stream(fake)
    fake.playing = False
    fake.calls[-1]["on_video_ended"]()  # streamlit-webrtc also ends the track on Stop
    at.run()
    no_exception(at)
    ctrl = at.session_state["live_coach_ctrl"]
    _wait_for(lambda: ctrl.outcome is not None)
    time.sleep(0.2)
    [row] = store().list_sessions()
    assert row.status == "complete" and "Session summary" in page_text(at)
    assert row.summary["live"]["ended_by"] == "stop"  # the page knew it was Stop


# ------------------------------------------------------------------------------ lift lab
def test_lift_lab_scores_reps_replays_and_compares(monkeypatch):
    from posture_app import live_common

    monkeypatch.setattr(live_common, "CAMERA_STALL_S", 3600.0)  # frames come in bursts here
    fake = install_webrtc(monkeypatch, playing=True)
    at = app_test("lift_lab")
    at.run()
    no_exception(at)
    assert fake.calls[-1]["key"] == "lift-lab"
    at.number_input(key="lab_load").set_value(10.0)
    at.run()
    for frame in video_frames(SQUAT_CLIP):
        fake.callback(frame)
    at.run()
    no_exception(at)
    ctrl = at.session_state["lift_lab_ctrl"]
    assert len(ctrl.reps) >= 2
    assert all(r.frames for r in ctrl.reps)  # annotated frames kept for the replay
    text = page_text(at)
    assert "Lifts, newest first" in text and "Lifting index" in text
    assert at.get("video")  # slow-motion replay of the last rep
    at.button(key="lab_set_ref").click().run()
    no_exception(at)
    reference = at.session_state["lift_lab_reference"]
    assert reference is ctrl.reps[-1]
    for frame in video_frames(SQUAT_CLIP):  # the patient's turn: the clip again
        fake.callback(frame)
    at.run()
    no_exception(at)
    assert "Angles compared" in page_text(at)
    assert len(at.get("video")) == 2  # reference and last rep side by side
    fake.playing = False  # Stop: no session outlives its test
    at.run()
    no_exception(at)
    assert not ctrl.running


def test_calibration_comes_first_then_coaching_uses_the_personal_neutral():
    from posture_app.live_engine import LiveConfig, LiveController

    ctrl = LiveController(LiveConfig(activity="sitting", calibrate_s=1.0,
                                     calibration_posture="sit_tall"))
    phases = []
    for frame in video_frames(SIT_CLIP, limit=40):  # the clip starts sitting upright
        ctrl.on_frame(frame)
        rec = ctrl.drain()
        phases.append(rec.phase if rec else None)
    assert phases[0] == "calibrating" and phases[-1] == "coaching"
    assert ctrl.calibration is not None and ctrl.calibration_message is None
    assert ctrl.calibration.posture == "sit_tall"
    result = ctrl.finish()
    assert "sitting.neck_inclination" in result.summary["calibration"]["rules"]
    assert ctrl.series and ctrl.series[0]["t"] >= ctrl.coach_start_t - 1e-3  # coaching only


def test_controller_survives_a_source_clock_restart():
    from posture_app.live_engine import LiveConfig, LiveController

    ctrl = LiveController(LiveConfig(activity="lifting"))
    for _ in range(2):  # the same clip twice: its timestamps start again at 0
        for frame in video_frames(SQUAT_CLIP, limit=20):
            ctrl.on_frame(frame)
    ts = [r["t"] for r in ctrl.series]
    assert all(b > a for a, b in itertools.pairwise(ts))
    assert ts[-1] == pytest.approx(39 / 15, abs=0.2)  # real frame spacing kept
    assert ctrl.error is None


def test_low_power_sitting_analyses_fewer_frames_but_shows_every_one():
    from posture_app.live_engine import LiveConfig, LiveController
    from posture_app.services import LOW_POWER_SITTING_HZ, sitting_rate

    assert sitting_rate({"low_power": False}) is None
    assert sitting_rate({"low_power": True}) == LOW_POWER_SITTING_HZ
    frames = list(video_frames(SIT_CLIP, limit=45))  # 3 s at 15 fps
    full = LiveController(LiveConfig(activity="sitting"))
    low = LiveController(LiveConfig(activity="sitting", sitting_rate_hz=LOW_POWER_SITTING_HZ))
    for frame in frames:
        for ctrl in (full, low):
            out = ctrl.on_frame(frame)
            assert out.to_ndarray(format="rgb24").shape == frame.to_ndarray(format="rgb24").shape
    assert full.frames_processed == len(frames)
    # 3 s at 5 analyses a second (the clip's 15 fps gives every third frame)
    assert abs(low.frames_processed - 15) <= 1
    assert low.live.frames_skipped == len(frames) - low.frames_processed
    assert len(low.series) == low.frames_processed  # skipped frames record nothing
    assert low.error is None and low.finish() is not None


# ------------------------------------------------------------------------------ helpers
@pytest.mark.parametrize(("name", "safe"), [
    ("../../evil.mp4", "evil.mp4"),
    ("/etc/passwd", "passwd"),
    ("..\\..\\Windows\\system32\\evil.mp4", "evil.mp4"),
    ("C:\\Users\\me\\My clip (1).MP4", "My_clip_1.mp4"),
    ("a\x00b.mp4", "a_b.mp4"),
    ("tab\tnew\nline\r.mov", "tab_new_line.mov"),
    ("evil\u202egnp.mp4", "evil_gnp.mp4"),  # right-to-left override
    ("..", "upload"), ("....", "upload"), ("", "upload"), ("dir/", "upload"),
    (".bashrc", "upload.bashrc"),
    ("CON.mp4", "CON_.mp4"), ("nul", "nul_"), ("com1.tar.mp4", "com1_.tar.mp4"),
    ("ünïcode clip.mov", "ünïcode_clip.mov"),  # letters of any script stay readable
    ("日本語のビデオ.MP4", "日本語のビデオ.mp4"),
    ("Übung  München .webm", "Übung_München.webm"),
    ("clip.<script>", "clip.script"),
])
def test_safe_filename_makes_a_plain_readable_name(name, safe):
    from posture_app.files import safe_filename

    assert safe_filename(name) == safe


def test_safe_filename_bounds_the_length_and_never_leaves_the_folder():
    from posture_app.files import MAX_STEM_BYTES, download_name, safe_filename

    long = safe_filename("é" * 500 + ".mp4")
    assert long.endswith(".mp4") and len(long.encode()) <= MAX_STEM_BYTES + 4
    assert long[:-4] == "é" * (MAX_STEM_BYTES // 2)  # never half a character
    nasty = ["../../evil.mp4", "/etc/passwd", "a\x00b.mp4", "..", ".", "~/x", "\\\\srv\\s\\f",
             "a/../../b", "x" * 1000, "\x7f\x1b[31m.mp4"]
    for name in nasty:
        for out in (safe_filename(name), download_name(name, "-report.json")):
            assert out and "/" not in out and "\\" not in out and "\x00" not in out
            assert out not in (".", "..") and not out.startswith(".")
            assert all(ch.isprintable() for ch in out)
            assert len(out.encode()) <= 255


def test_download_names_follow_the_upload_name():
    from posture_app.files import display_name, download_name

    assert download_name("../../My squat (left).MP4", "-report.html") == \
        "My_squat_left-report.html"
    assert download_name("/etc/passwd", "-frames.csv") == "passwd-frames.csv"
    assert download_name("....", "-annotated.mp4") == "recording-annotated.mp4"
    assert download_name("PRN.mov", "-report.json") == "PRN_-report.json"
    assert download_name("Übung 1.mp4", "-report.json") == "Übung_1-report.json"
    assert display_name("../../a\x00b.mp4") == "a b.mp4"  # for sentences and the history
    assert display_name("x" * 300).endswith("…") and len(display_name("x" * 300)) == 120


def _leftover(root) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.startswith("posture-"))


def test_upload_folder_is_private_and_removed_on_every_path(tmp_path, monkeypatch):
    import io
    import stat
    import tempfile

    from posture_app.files import upload_folder

    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    # Success, from bytes and from a file object (copied in chunks).
    for data in (b"video bytes", io.BytesIO(b"video bytes")):
        with upload_folder("../../evil.mp4", data) as path:
            assert path.read_bytes() == b"video bytes"
            assert path.name == "evil.mp4" and path.parent.parent == root
            assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700  # private
            (path.parent / "annotated.mp4").write_bytes(b"out")  # outputs go there too
        assert _leftover(root) == []
    # An exception inside the block.
    with pytest.raises(RuntimeError), upload_folder("/etc/passwd", b"x") as path:
        assert path.parent.parent == root and path.name == "passwd"
        raise RuntimeError("analysis failed")
    assert _leftover(root) == []
    # Crafted names land inside the folder, never next to it or above it.
    for name in ("a\x00b.mp4", "..", "../", "..\\..\\x", "/", "~/.ssh/id_rsa"):
        with upload_folder(name, b"x") as path:
            assert path.parent.parent == root and path.resolve().parent == path.parent
    assert _leftover(root) == [] and sorted(p.name for p in root.iterdir()) == []
    assert not (tmp_path / "evil.mp4").exists() and not (root / "evil.mp4").exists()


def test_break_interval_becomes_a_profile_that_extends_the_chosen_one():
    from posture.rules.profile import load_profile
    from posture_app.services import DEFAULT_SETTINGS, effective_profile

    assert effective_profile(DEFAULT_SETTINGS) == "default"
    ref = effective_profile({**DEFAULT_SETTINGS, "break_minutes": 20})
    profile = load_profile(ref)
    assert profile.settings("sitting").break_after_s == 1200.0
    assert profile.settings("standing").break_after_s == 1200.0
    assert len(profile.rules) == len(load_profile("default").rules)


def test_slow_motion_clip_lasts_twice_as_long():
    import io

    import av

    from posture_app.media import clip_mp4, to_jpeg

    frames = [(i / 12, to_jpeg(np.full((120, 160, 3), 10 * i, np.uint8))) for i in range(24)]
    data = clip_mp4(frames, speed=0.5)
    assert data is not None
    with av.open(io.BytesIO(data)) as c:
        s = c.streams.video[0]
        assert float(s.duration * s.time_base) == pytest.approx(4.0, abs=0.1)
    assert clip_mp4(frames[:1]) is None


def test_time_by_severity_caps_gaps():
    from posture_app.records import time_by_severity

    rows = [{"t": 0.0, "worst": "ok"}, {"t": 0.1, "worst": "poor"}, {"t": 0.2, "worst": "ok"},
            {"t": 10.0, "worst": "ok"}]
    out = time_by_severity(rows)
    assert out["ok"] == pytest.approx(0.6) and out["poor"] == pytest.approx(0.1)


def test_media_responses_start_before_their_body():
    """Images and videos must not answer 500: Streamlit 1.60's media middleware needs
    Starlette < 1.10 (pinned in pyproject.toml)."""
    import asyncio

    from starlette.responses import Response
    from streamlit.web.server.starlette.starlette_gzip_middleware import (
        MediaAwareGZipMiddleware,
    )

    async def media(scope, receive, send):
        await Response(b"\x89PNG" + b"x" * 2000, media_type="image/png")(scope, receive, send)

    for encoding in (b"gzip", b"identity"):
        sent: list[dict] = []

        async def send(message, sent=sent):
            sent.append(message)

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        scope = {"type": "http", "method": "GET", "path": "/media/a.png", "query_string": b"",
                 "headers": [(b"accept-encoding", encoding)]}
        asyncio.run(MediaAwareGZipMiddleware(media, minimum_size=500)(scope, receive, send))
        assert [m["type"] for m in sent][:2] == ["http.response.start", "http.response.body"]
        assert sent[1]["body"].startswith(b"\x89PNG")  # images are never gzipped
