"""Page 2 — Review a recording: upload → analyse → annotated video, charts, reps, downloads."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import streamlit as st

from posture_app.files import display_name, download_name, upload_folder
from posture_app.media import to_jpeg
from posture_app.progress_view import fault_words
from posture_app.records import (
    CATEGORY_LABELS,
    SessionPayload,
    payload_from_session,
    reconcile_events,
    rule_label,
    series_row,
)
from posture_app.services import (
    ACTIVITY_LABELS,
    KIND_GROUPS,
    REVIEW_ACTIVITIES,
    History,
    data_dir,
    effective_profile,
    exercise_choices,
    load_rules,
    load_settings,
    now,
    user_height,
)
from posture_app.session_text import chart_specs, score_view, tips_for
from posture_app.summary import render_summary, report_download, session_report_html
from posture_app.ui import fmt_clock, guard, page_header, status_word

log = logging.getLogger("posture_app")

RESULT_KEY = "review_result"
FORMATS = "mp4, mov, avi, webm or mkv video, or a jpg / png photo"
NO_PERSON = ("No person was found in '{name}'. Film the whole body, side-on to the camera, in "
             "good light, and try again.")


@dataclass
class ReviewResult:
    key: tuple[Any, ...]
    name: str
    kind: str  # "video" | "image"
    payload: SessionPayload
    series: list[dict[str, Any]]
    report_json: bytes
    frames_csv: bytes
    media: bytes  # annotated mp4 or png
    html: bytes
    key_frames: list[tuple[str, bytes]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    saved_id: int | None = None
    specs: list[Any] = field(default_factory=list)
    exercise: dict[str, Any] | None = None  # report.json "exercise" (a home exercise)


def page() -> None:
    page_header("Review a recording",
                "Upload a video or photo of sitting, standing or lifting: get an annotated "
                "video, charts and a printable report for your therapist.")
    settings = load_settings()
    c1, c2 = st.columns([2, 3], vertical_alignment="bottom")
    activity = c1.selectbox("What does the recording show?", REVIEW_ACTIVITIES,
                            format_func=ACTIVITY_LABELS.__getitem__, key="review_activity")
    exercise = pick_exercise() if activity == "exercise" else None
    fast = c2.checkbox("Long recording: analyse 10 frames a second (faster)",
                       key="review_fast",
                       help="Good for long sitting sessions; lifts are best analysed in full.")
    limit = upload_limit_words()
    uploaded = st.file_uploader(
        "Video or photo", key="review_upload",
        help=f"An {FORMATS}, up to {limit}. The file is analysed on this computer in a "
             "private temporary folder, which is deleted afterwards.")
    st.caption(f"Files up to {limit} each. For a longer recording, ask your therapist "
               "(see below).")
    if uploaded is None:
        st.session_state.pop(RESULT_KEY, None)
        _intro()
        with st.expander("Details for your therapist", icon=":material/stethoscope:"):
            _cli_hint()
        return

    key = (uploaded.file_id, uploaded.name, activity, exercise, fast,
           effective_profile(settings), user_height(settings))
    result = st.session_state.get(RESULT_KEY)
    if not isinstance(result, ReviewResult) or result.key != key:
        st.session_state.pop(RESULT_KEY, None)
        result = None
        with guard("analysing the recording"):
            result = analyse_upload(uploaded.name, uploaded, activity, fast, settings, key,
                                    exercise=exercise)
        if result is None:
            return
        st.session_state[RESULT_KEY] = result
    show_result(result, settings)


def pick_exercise() -> str | None:
    """The exercise the recording shows, from the library (movements first, then holds)."""
    choices = exercise_choices()
    if not choices:
        st.warning("The exercise library is empty.", icon=":material/warning:")
        return None
    key = st.selectbox("Which exercise?", list(choices), key="review_exercise",
                       format_func=lambda k: f"{choices[k].title} — "
                                             f"{KIND_GROUPS[choices[k].kind].split(' (')[0]}")
    if key is not None:
        ex = choices[key]
        st.caption(f"Set-up: {ex.setup_cue}. Camera: {_views_words(ex.views)}.")
    return key


def _views_words(views: Any) -> str:
    from posture.activities.lifting import views_phrase

    return str(views_phrase(views))


def upload_limit_words() -> str:
    """The uploader's size limit in words ("500 MB"), from ``server.maxUploadSize``."""
    try:
        mb = float(st.get_option("server.maxUploadSize"))
    except (TypeError, ValueError, RuntimeError):
        mb = 200.0  # Streamlit's default
    if mb >= 1024 and mb % 1024 == 0:
        return f"{mb / 1024:g} GB"
    return f"{mb:g} MB"


def _intro() -> None:
    st.markdown("#### What you get")
    st.markdown(
        "- the video with the skeleton drawn on it — green good, amber check, red adjust\n"
        "- your angles over time with the good bands shaded, and a table of your reps\n"
        "- the moments worth a closer look, as pictures\n"
        "- a printable report for your therapist and the video with the skeleton, to "
        "download; the data files for your therapist are under *Details for your "
        "therapist*")
    st.caption("Best results: film side-on from 2–3 m away, with the whole body in view and "
               "good light. Your file stays on this computer and is deleted after the "
               "analysis.")


def _cli_hint() -> None:
    st.caption("A longer recording can be analysed from the command line, which has no size "
               "limit: `posture analyze your-video.mp4` (writes report.json, frames.csv and the "
               "annotated video).")


# ------------------------------------------------------------------------------ analysis
def _progress_fn(bar: Any, label: str, start: float, end: float) -> Callable[[int, int], None]:
    last = [0.0]

    def update(done: int, total: int) -> None:
        now_t = time.monotonic()
        if now_t - last[0] < 0.25 and done != total:
            return
        last[0] = now_t
        frac = min(done / total, 1.0) if total else 0.0
        text = f"{label} — frame {done} of {total}" if total else f"{label} — frame {done}"
        bar.progress(start + (end - start) * frac, text=text)

    return update


def analyse_upload(name: str, data: bytes | BinaryIO, activity: str, fast: bool,
                   settings: dict[str, Any], key: tuple[Any, ...],
                   exercise: str | None = None) -> ReviewResult | None:
    """Save the upload to a private temporary folder, analyse it, and remove the folder.

    The folder goes on every path: a finished analysis, a file that is not a video,
    no person found, an exception. ``name`` is only shown (cleaned), never used as a
    path: the file inside the folder gets :func:`posture_app.files.safe_filename`.
    """
    raw_name, name = name, display_name(name)
    from posture.pipeline import AnalysisOptions

    profile_ref = effective_profile(settings)
    height = user_height(settings)
    if activity == "exercise" and exercise is None:
        return None
    options = AnalysisOptions(activity="auto" if exercise else activity, profile=profile_ref,
                              user_height_cm=height,
                              analysis_fps=10.0 if fast else None,
                              workers=0)  # every core (short clips stay in-process)
    bar = st.progress(0.0, text="Getting ready…")
    try:
        return _analyse(raw_name, name, data, options, bar, settings, key, exercise)
    finally:
        bar.empty()


def _analyse(raw_name: str, name: str, data: bytes | BinaryIO, options: Any, bar: Any,
             settings: dict[str, Any], key: tuple[Any, ...],
             exercise: str | None = None) -> ReviewResult | None:
    from posture.pipeline import analyze_video
    from posture.render import render_image, render_video
    from posture.report import build_report, csv_rows

    height = options.user_height_cm
    factory = None
    if exercise is not None:  # an unknown key fails here, before any video work
        from posture.exercises.assess import exercise_assessor_factory

        factory = exercise_assessor_factory(exercise)
    with upload_folder(raw_name, data, prefix="posture-review-") as path:
        tmp = path.parent
        analysis = analyze_video(path, options,
                                 progress=_progress_fn(bar, "Analysing", 0.0, 0.7),
                                 assessor_factory=factory)
        if not analysis.frames or analysis.detected_fraction == 0.0:
            st.error(NO_PERSON.format(name=_md(name)), icon=":material/person_off:")
            return None
        kind = analysis.info.kind
        bar.progress(0.7, text="Drawing the skeleton on the video…")
        if kind == "image":
            media = render_image(analysis, tmp / "annotated.png").read_bytes()
        else:
            out = render_video(analysis, tmp / "annotated.mp4",
                               progress=_progress_fn(bar, "Drawing", 0.7, 0.95), workers=0)
            media = out.read_bytes()
        bar.progress(0.95, text="Picking the key moments…")
        key_frames = worst_moments(analysis, path)
    report = build_report(analysis, video_path=name)
    header, rows = csv_rows(analysis)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    series = [series_row(f, height) for f in analysis.frames]
    payload = payload_from_session(analysis.session, analysis.info.duration_s, series,
                                   analysis.detected_fraction)
    profile = load_rules(options.profile)
    specs = chart_specs(payload, series, profile)
    notes = list(analysis.warnings)
    if report.get("exercise"):  # what was counted, first (the CLI's lines)
        from posture.exercises.report import exercise_lines

        notes = exercise_lines(report["exercise"]) + notes
    html = session_report_html(payload, source=f"Recording: {name}", series=series,
                               profile=profile, key_frames=key_frames, notes=notes)
    result = ReviewResult(
        key=key, name=name, kind=kind, payload=payload, series=series,
        report_json=json.dumps(report, indent=1, allow_nan=False).encode("utf-8"),
        frames_csv=buf.getvalue().encode("utf-8"), media=media, html=html.encode("utf-8"),
        key_frames=key_frames, warnings=list(analysis.warnings), specs=specs,
        exercise=report.get("exercise"))
    bar.empty()
    if settings.get("save_history", True):
        with guard("saving the review to your history"), History() as h:
            result.saved_id = h.save_report(report, source=name, started_at=now())
            if settings.get("keep_frames") and key_frames:
                _keep_frames(result.saved_id, key_frames)
    return result


def _keep_frames(session_id: int, key_frames: list[tuple[str, bytes]]) -> None:
    """Opt-in only (Settings): keep the key-frame pictures beside the history."""
    folder = data_dir() / "frames" / str(session_id)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for i, (_caption, jpg) in enumerate(key_frames, start=1):
        (folder / f"{i:02d}.jpg").write_bytes(jpg)
    (folder / "captions.json").write_text(json.dumps([c for c, _ in key_frames]),
                                          encoding="utf-8")


def worst_moments(analysis: Any, path: Path, limit: int = 6) -> list[tuple[str, bytes]]:
    """Annotated thumbnails of the worst moments: event middles and faulty rep bottoms."""
    from posture.render import annotate_frame
    from posture.video import open_media

    frames = [f for f in analysis.frames if f.detected]
    if not frames:
        return []
    session = analysis.session
    wanted: list[tuple[float, str, int]] = []  # (t, caption, priority)
    rank = {"poor": 2, "caution": 1}
    profile = None
    rep_dicts = [r.to_dict() for r in getattr(session, "reps", ()) or ()]
    # A moment during a lift the rep table calls good is not a "moment to work on".
    kept, _ = reconcile_events([e.to_dict() for e in getattr(session, "events", ()) or ()],
                               rep_dicts)
    for d in kept:
        if d.get("category") == "framing":
            continue
        mid = (float(d["start_s"]) + float(d["end_s"])) / 2
        label = rule_label(d["rule"], d.get("category"), profile)
        wanted.append((mid, f"{fmt_clock(mid)} · {label} ({status_word(d['severity'])})",
                       rank.get(d["severity"], 0)))
    section = getattr(session, "exercise", None) or {}
    for d in section.get("reps") or ():  # a home exercise: the peak of each faulty rep
        if d.get("faults"):
            words = ", ".join(fault_words(section.get("key"), f["category"])
                              for f in d["faults"])
            wanted.append((float(d["peak_s"]), f"Rep {d['index']} · {words}", 1))
    for d in rep_dicts:
        faults = d.get("faults") or []
        if not faults:
            continue
        words = ", ".join(CATEGORY_LABELS.get(f["category"], f["category"]) for f in faults)
        worst = max((rank.get(f.get("severity"), 0) for f in faults), default=0)
        wanted.append((float(d["bottom_s"]), f"Lift {d['index']} at its lowest · {words}",
                       worst))
    if not wanted:  # nothing to fix: show the first measured frame and the reps' bottoms
        for d in rep_dicts:
            word = ("not judged" if d.get("verdict") == "not_judged" else "no fault seen")
            wanted.append((float(d["bottom_s"]), f"Lift {d['index']} at its lowest · {word}",
                           0))
        if not wanted:
            mid = frames[len(frames) // 2]
            wanted.append((mid.t, f"{fmt_clock(mid.t)} · a typical moment", 0))
    wanted.sort(key=lambda w: (-w[2], w[0]))
    chosen: list[tuple[float, str]] = []
    for t, caption, _ in wanted:
        if all(abs(t - c) >= 1.0 for c, _ in chosen):
            chosen.append((t, caption))
        if len(chosen) >= limit:
            break
    chosen.sort()
    by_index: dict[int, tuple[Any, str]] = {}
    for t, caption in chosen:
        f = min(frames, key=lambda fr: abs(fr.t - t))
        by_index.setdefault(f.index, (f, caption))
    out: list[tuple[str, bytes]] = []
    with open_media(path) as source:
        for frame in source:
            hit = by_index.get(frame.index)
            if hit is not None:
                image = annotate_frame(frame.image, hit[0])
                out.append((hit[1], to_jpeg(image, max_width=640, quality=82)))
            if len(out) == len(by_index):
                break
    return out


# ------------------------------------------------------------------------------ display
def download_names(result: ReviewResult) -> dict[str, str]:
    """The file names offered for the downloads, made from the upload's (cleaned) name."""
    ext = "png" if result.kind == "image" else "mp4"
    return {"html": download_name(result.name, "-report.html"),
            "media": download_name(result.name, f"-annotated.{ext}"),
            "json": download_name(result.name, "-report.json"),
            "csv": download_name(result.name, "-frames.csv")}


def show_result(result: ReviewResult, settings: dict[str, Any]) -> None:
    profile = load_rules(effective_profile(settings))
    payload = result.payload
    for w in result.warnings:  # the file's name is in the therapist's details
        st.warning(w.replace(f" '{result.name}'", ""), icon=":material/warning:")
    if result.saved_id is not None:
        st.caption("Saved to your history (summary, events and reps — never the video).")
    names = download_names(result)
    d1, d2, _ = st.columns([1.4, 1.4, 2])
    with d1:
        report_download(payload, key="review", series=payload.series, profile=profile,
                        source=f"Recording: {result.name}", key_frames=result.key_frames,
                        notes=result.warnings, prebuilt=result.html, heading=False,
                        file_name=names["html"])
    d2.download_button("Download annotated " + ("photo" if result.kind == "image" else "video"),
                       result.media, names["media"],
                       "image/png" if result.kind == "image" else "video/mp4",
                       icon=":material/movie:", width="stretch", on_click="ignore")

    left, right = st.columns([3, 2], gap="large")
    with left:
        if result.kind == "image":
            st.image(result.media, width="stretch")
        else:
            st.video(result.media, format="video/mp4")
    with right:
        if result.exercise is not None:
            render_exercise(result.exercise)
            offer_programme_set(result, settings)
        else:
            render_summary(payload, profile=profile, key="review-top", compact=True)
            render_summary_short(payload, profile)
    st.divider()
    if result.exercise is not None:
        with st.expander("Details for your therapist", icon=":material/stethoscope:"):
            _exercise_details(result.exercise)
            _technical(result, names)
    else:
        render_summary(payload, series=payload.series, profile=profile, key="review",
                       details_only=True, therapist_extra=lambda: _technical(result, names))
    if result.key_frames:
        st.markdown("##### Key moments")
        cols = st.columns(3)
        for i, (caption, jpg) in enumerate(result.key_frames):
            cols[i % 3].image(jpg, caption=caption, width="stretch")


def _technical(result: ReviewResult, names: dict[str, str]) -> None:
    """Inside "Details for your therapist": the file, the data files and the CLI."""
    st.caption(f"Recording: {_md(result.name)}")
    c1, c2, _ = st.columns([1.3, 1.3, 2])
    c1.download_button("Download report.json", result.report_json, names["json"],
                       "application/json", icon=":material/data_object:", width="stretch",
                       on_click="ignore")
    c2.download_button("Download frames.csv", result.frames_csv, names["csv"],
                       "text/csv", icon=":material/table:", width="stretch", on_click="ignore")
    _cli_hint()


def _md(text: str) -> str:
    """Plain text inside Streamlit markdown (an upload's name may hold * _ [ ] …)."""
    return re.sub(r"([\\`*_{}\[\]()<>#+\-.!|~])", r"\\\1", text)


def render_summary_short(payload: SessionPayload, profile: Any = None) -> None:
    """Beside the video: the tips worth trying first — from the same reps and moments as
    the headline and the tables (never "nothing to fix" beside a fault)."""
    tips = tips_for(payload, profile)
    framing = [str(e.get("cue")) for e in payload.events
               if e.get("category") == "framing" and e.get("cue")]
    if tips:
        st.markdown("**Tips to try**")
        st.markdown("\n".join(f"- {t}" for t in tips))
    elif not score_view(payload).judged:
        st.info(f"No tips: {score_view(payload).reason}.", icon=":material/visibility_off:")
    else:
        st.success("Nothing to fix in this recording — keep it up.",
                   icon=":material/check_circle:")
    if framing:
        st.caption(f"Camera: {framing[0]} for a more complete analysis.")


# ------------------------------------------------------------------------------ exercise
def _not_seen(section: dict[str, Any]) -> list[str]:
    """What could not be judged, in sentences ("Knees caving in: not judged — …")."""
    return [str(n.get("reason")) for n in section.get("not_judged") or () if n.get("reason")]


def render_exercise(section: dict[str, Any]) -> None:
    """Beside the video: what was counted (reps or hold), the range reached, the faults
    and what the camera could not see — the exercise's own result, in patient words."""
    from posture.exercises import get_exercise

    title = str(section.get("title") or "Exercise")
    st.markdown(f"#### {title}")
    if section.get("started_s") is None:
        ex = get_exercise(str(section.get("key")))
        why = next((r.partition(" — ")[2] for r in _not_seen(section) if " — " in r), "")
        st.info(f"Nothing was counted: the start position was not seen"
                f"{' (' + why + ')' if why else ''}. To be counted, start like this: "
                f"{ex.setup_cue.rstrip('.')}.", icon=":material/visibility_off:")
        return
    rom = section.get("rom") or {}
    if section.get("kind") == "hold":
        hold = section.get("hold") or {}
        held, target = float(hold.get("held_s") or 0.0), float(hold.get("target_s") or 0.0)
        st.metric("Held in position", f"{held:.0f} s of {target:g} s",
                  help="The timer pauses whenever the position or form is lost.")
        pauses = hold.get("pauses") or []
        if pauses:
            reasons = list(dict.fromkeys(str(p.get("reason")) for p in pauses))
            st.caption(f"The timer paused {len(pauses)}×: " + "; ".join(reasons[:3]) + ".")
    else:
        reps = section.get("reps") or []
        st.metric("Reps counted", len(reps))
        partial = int(section.get("partial_reps") or 0)
        if partial:
            st.caption(f"{partial} movement{'s' if partial != 1 else ''} did not go far "
                       "enough to count.")
        by_side = section.get("reps_by_side") or {}
        if by_side:
            st.caption(" · ".join(f"{side}: {n}" for side, n in sorted(by_side.items())))
    if rom.get("best") is not None:
        reached = rom.get("reached")
        if section.get("kind") == "hold":
            words = "reached" if reached else "not reached yet"
        else:
            words = f"reached in {int(reached or 0)} of {len(section.get('reps') or [])} reps"
        st.markdown(f"**Range of movement:** best {float(rom['best']):.0f}° "
                    f"(target {float(rom['target']):g}°) — {words}.")
    faults = section.get("faults") or {}
    if faults:
        st.markdown("**Things to work on**")
        st.markdown("\n".join(f"- {fault_words(section.get('key'), c)} ({n}×)"
                               for c, n in faults.items()))
    else:
        st.success("No form faults seen in what the camera could see.",
                   icon=":material/check_circle:")
    missing = _not_seen(section)
    if missing:
        st.markdown("**Not judged** (the camera could not see it)")
        st.markdown("\n".join(f"- {_md(m)}" for m in missing))


ADDED_KEY = "review_programme_added"  # (result key, the sentence said) once a set is added
ADD_OFF = ("Saving history is off in Settings, so this recording cannot count towards your "
           "programme.")


def _today_workout(store: Any, programme: Any) -> Any:
    """Today's workout of ``programme`` (the latest of the day), or None."""
    from datetime import date

    today = date.today()
    days = [w for w in store.programme_sessions(programme.id, since=today) if w.day == today]
    return days[-1] if days else None


def _next_set(workout: Any, key: str, side: str | None) -> int:
    """The number this recording gets: one after the sets of ``key`` (on ``side``) done today."""
    if workout is None:
        return 1
    return 1 + sum(1 for x in workout.sets if x.get("exercise") == key
                   and not x.get("skipped") and x.get("side") == side)


def _set_words(n: int, title: str, side: str | None) -> str:
    return f"set {n} of {title}" + (f", {side} side" if side else "")


def offer_programme_set(result: ReviewResult, settings: dict[str, Any]) -> None:
    """A reviewed recording of an exercise the active programme prescribes counts as a set
    of today's workout, when the patient says so (a button; the workout is made if needed)."""
    from posture.errors import PostureError
    from posture.progress import report_side, set_from_report

    section = result.exercise or {}
    key = str(section.get("key") or "")
    if not key or section.get("started_s") is None:  # nothing was counted
        return
    added = st.session_state.get(ADDED_KEY)
    if isinstance(added, tuple) and added[0] == result.key:
        st.success(added[1], icon=":material/check_circle:")
        return
    try:
        with History() as h:
            programme = h.store.active_programme()
            workout = _today_workout(h.store, programme) if programme is not None else None
    except PostureError as err:
        st.error(str(err), icon=":material/error:")
        return
    if programme is None:
        return
    prescription = programme.prescription(key)
    if prescription is None:
        return
    if not settings.get("save_history", True):
        st.caption(ADD_OFF)
        return
    title = str(section.get("title") or key.replace("_", " ").capitalize())
    side = report_side(section, prescription)
    n = _next_set(workout, key, side)
    if not st.button(f"Add to today's workout as {_set_words(n, title, side)}",
                     key="review_add_set", icon=":material/playlist_add:",
                     help=f"Counts this recording towards “{programme.title}” today."):
        return
    report = json.loads(result.report_json)
    with guard("adding the recording to today's workout"), History() as h:
        workout = _today_workout(h.store, programme)  # another tab may have added one
        n = _next_set(workout, key, side)
        row = set_from_report(report, set_number=n, prescription=prescription,
                              session_id=result.saved_id)
        if row is None:
            return
        if workout is None:
            h.store.record_programme_session(programme.id, sets=[row], programme=programme)
        else:
            h.store.add_programme_set(workout.id, row)
        done = (f"{int(row['reps_done'] or 0)} of {int(prescription.target)} reps"
                if row["kind"] == "reps" else
                f"{float(row['hold_s_done'] or 0):.0f} of {prescription.target:g} s held")
        sentence = (f"Added to today's workout as {_set_words(n, title, side)}: {done}"
                    + ("." if row["met"] else " — short of the target, so it counts as "
                       "a set not yet done."))
        st.session_state[ADDED_KEY] = (result.key, sentence)
        st.success(sentence, icon=":material/check_circle:")


VERDICT_TEXT = {"good": "Looked good", "faulty": "Something to work on",
                "partly_judged": "No faults in what could be seen",
                "not_judged": "Could not be judged"}


def _exercise_details(section: dict[str, Any]) -> None:
    """The rep table and the one-line summary the command line prints."""
    from posture.exercises.report import exercise_lines, reached_words

    st.caption(" ".join(exercise_lines(section)))
    reps = section.get("reps") or []
    peak = str((section.get("rom") or {}).get("peak", "max"))
    if reps:
        import pandas as pd  # type: ignore[import-untyped]

        st.dataframe(pd.DataFrame([{
            "Rep": r.get("index"),
            "Side": r.get("side") or "",
            "Range (°)": "–" if r.get("rom_deg") is None else f"{float(r['rom_deg']):.0f}",
            "Target reached": reached_words(r, peak),
            "Form": VERDICT_TEXT.get(str(r.get("verdict")), str(r.get("verdict"))),
            "Faults": ", ".join(fault_words(section.get("key"), f["category"])
                                for f in r.get("faults") or ()),
        } for r in reps]), hide_index=True, width="stretch")
