"""Page — Today's programme: the therapist's home exercises, set by set, coached by webcam.

The webcam runs through the live coach's controller (``live_common``), with an
exercise assessor in place of the posture rules; between exercises the
controller swaps the assessor and keeps the camera stream. Every analysed frame
reaches this page through the controller's queue and is fed, with its own time,
to this session's :class:`posture.programme_run.ProgrammeRunner`, which decides
the sets, the rests and what to say.

The workout is saved as it goes (only if "save history" is on): after every set
done or skipped, the page writes the sets so far as a workout "in progress" (one
row, updated in place) — on Streamlit's script thread, where the runner is fed,
never on the video thread. When the day ends (the last set, Finish early, Stop, or
the tab closed) the controller's ``on_finished`` hook writes it a last time, with
the sets not done as skipped, and marks it finished. A workout whose page never
ended (the server killed) stays in progress: History shows it as a partial one.
"""

from __future__ import annotations

import functools
import html
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import streamlit as st

from posture.errors import PostureError
from posture.exercises.words import rom_words
from posture.programme_run import (
    ExerciseSample,
    ExerciseSummary,
    PlannedExercise,
    ProgrammeRunner,
    RunnerState,
    plan_from,
    sample_from_assessor,
)
from posture_app import audio, camera
from posture_app.live_common import (
    PANEL_REFRESH_S,
    SAVE_FAILED,
    check_camera,
    controller,
    finalise,
    prepare,
    show_outcome,
    stream,
)
from posture_app.live_engine import LiveConfig, LiveController, LiveRecord
from posture_app.progress_view import fault_words
from posture_app.services import (
    History,
    effective_profile,
    exercise_choices,
    load_settings,
    now,
    user_height,
)
from posture_app.ui import cue_card, fmt_clock, page_header, stat_box

log = logging.getLogger("posture_app")

CTRL_KEY = "programme_today_ctrl"
PAYLOAD_KEY = "programme_today_payload"
RUN_KEY = "programme_today_run"
INSTALLED_KEY = "programme_today_installed"
KIND_LABEL = "Today's programme"
NO_PROGRAMME = ("You have no programme yet. Your physiotherapist prepares it in the app's "
                "Programme page, or sends you a programme file: install that file below.")
SAVE_OFF = "Saving history is off in Settings, so this session was not saved."
PHASE_LABELS = {"setup": "Get ready", "set": "Exercise", "rest": "Rest", "done": "Finished"}
#: The programme table's words for a prescription's side.
SIDE_WORDS = {"both": "–", "left": "Left", "right": "Right",
              "each": "Each side: a left set, then a right set"}
AUDIO_SEQ_BASE = 700_000_000  # spoken lines of this page never share a number with the coach's


@dataclass
class TodayRun:
    """This browser session's runner for one camera stream (kept in ``st.session_state``)."""

    generation: int  # the controller's stream this runner belongs to
    runner: ProgrammeRunner
    programme: Any = None  # posture.programme.Programme
    lock: threading.RLock = field(default_factory=threading.RLock)
    assessor_key: str | None = None  # the exercise the controller assesses now
    saved: bool = False
    recorded: bool = False  # the session was handled (saved, or saving is off)
    error: str | None = None
    workout_id: int | None = None  # the workout's row in the history, once a set is saved
    saved_sets: int = 0  # sets written to that row so far


# ---------------------------------------------------------------------------- library glue
def _library() -> Mapping[str, Any]:
    return exercise_choices()


def _active_programme() -> Any:
    """The programme the therapist made active (``posture.programme.Programme``) or None."""
    with History() as h:
        return h.store.active_programme()


def _install(data: bytes, name: str) -> str:
    """Install an uploaded programme file as the active one; returns its title."""
    from posture.programme import load_programme

    programme = load_programme(data)
    with History() as h:
        h.store.save_programme(programme, active=True)
    return str(getattr(programme, "title", None) or name)


def _prescriptions(programme: Any) -> list[Any]:
    return list(getattr(programme, "prescriptions", None)
                or getattr(programme, "exercises", None) or ())


def _assessor_factory(ex: PlannedExercise) -> Callable[..., Any]:
    """An exercise assessor for ``ex``, built the way ``LiveSession`` builds assessors."""
    from posture.exercises import get_exercise
    from posture.exercises.assess import ExerciseAssessor

    exercise = get_exercise(ex.key)  # read once, here; each set's assessor is built from it

    def make(**_options: Any) -> Any:  # LiveSession's activity, profile, height: unused
        return ExerciseAssessor(exercise)

    return make


def _record_session(programme: Any, sets: list[dict[str, Any]], started_at: float,
                    duration_s: float, *, workout_id: int | None = None,
                    finished: bool = True) -> int:
    """The day's workout into the history (per set: exercise, set, side, done, ROM, faults,
    met); returns its id. A new row the first time, then the same row updated in place.

    The programme goes with it, so the day keeps its prescription even if the programme
    is edited or deleted meanwhile."""
    with History() as h:
        if workout_id is None:
            return int(h.store.record_programme_session(
                getattr(programme, "id", None), sets=sets, started_at=started_at,
                duration_s=duration_s, programme=programme, finished=finished))
        h.store.update_programme_session(workout_id, sets=sets, duration_s=duration_s,
                                         finished=finished)
        return workout_id


def sample_from_record(rec: LiveRecord) -> ExerciseSample:
    """The runner's reading of one analysed frame (read from the assessor on its thread)."""
    sample = rec.extra if isinstance(rec.extra, ExerciseSample) else ExerciseSample()
    return replace(sample, detected=rec.detected, view=rec.view, framing=rec.framing)


def _save_session(run: TodayRun, ctrl: LiveController, settings: Mapping[str, Any],
                  outcome: Any) -> None:
    """``on_finished`` (any thread): end the day's runner and record it in the history."""
    with run.lock:
        if run.recorded or run.generation != ctrl.generation:
            return
        run.runner.finish(ctrl.last_t)
        run.recorded = True
        if ctrl.frames_processed == 0:
            return
        if not settings.get("save_history", True):
            return
        try:
            run.workout_id = _record_session(
                run.programme, [r.to_dict() for r in run.runner.results],
                ctrl.started_wall or now(), ctrl.coaching_seconds(),
                workout_id=run.workout_id, finished=True)
        except PostureError as err:
            run.error = outcome.error = str(err)
            return
        except Exception:
            log.exception("saving today's programme failed")
            run.error = outcome.error = SAVE_FAILED
            return
        run.error = None  # a failed save part-way is made good by this one
        run.saved = True
        outcome.saved = True


def _save_as_you_go(run: TodayRun, ctrl: LiveController, settings: Mapping[str, Any]
                    ) -> None:
    """After a set is done or skipped: the sets so far into the workout "in progress".

    Called with ``run.lock`` held on the script thread (never the video thread). The
    end of the day is saved by ``_save_session``, which also marks the workout finished.
    """
    n = len(run.runner.results)
    if (run.recorded or run.runner.finished or n <= run.saved_sets
            or not settings.get("save_history", True)):
        return
    try:
        run.workout_id = _record_session(
            run.programme, [r.to_dict() for r in run.runner.results],
            ctrl.started_wall or now(), ctrl.coaching_seconds(), workout_id=run.workout_id,
            finished=False)
    except PostureError as err:
        run.error = str(err)
        return
    except Exception:
        log.exception("saving today's programme part-way failed")
        run.error = SAVE_FAILED
        return
    run.saved_sets = n


# ---------------------------------------------------------------------------- the page
def page() -> None:
    page_header("Today's programme",
                "Your physiotherapist's exercises for today, coached by your webcam set by set.")
    settings = load_settings()
    try:
        found = _active_programme()
        library = _library()
    except ImportError:
        log.exception("the exercise library is missing")
        st.error("Home exercise programmes are not available in this version of the app.",
                 icon=":material/error:")
        return
    ctrl = controller(CTRL_KEY)
    if found is None and not ctrl.running:
        _no_programme()
        return
    programme = found
    plan = plan_from(_prescriptions(programme), library) if programme is not None else ()
    run = _run(ctrl, plan, programme)
    day_over = not ctrl.running and ctrl.state == "finished" and bool(run.runner.results)
    if day_over:  # the day's summary first; the programme and Start again below it
        _summary(run, settings)
        st.divider()
    if not ctrl.running:
        installed = st.session_state.pop(INSTALLED_KEY, None)
        if installed:
            st.success(installed, icon=":material/check_circle:")
        _programme_table(programme, plan)

    config = LiveConfig(activity="auto", profile=effective_profile(settings),
                        user_height_cm=user_height(settings))
    ctrl.record_extra = sample_from_assessor
    prepare(ctrl, config)
    # The live coach's own saving is off: this page records a programme session instead.
    quiet = {**settings, "save_history": False}

    video_col, panel_col = st.columns([3, 2], gap="large")
    with video_col:
        ctx = stream(ctrl, "programme-today", config, quiet, KIND_LABEL, PAYLOAD_KEY)
        show_outcome(ctrl)
        playing = bool(getattr(getattr(ctx, "state", None), "playing", False))
        if not (playing or ctrl.running):
            st.caption("Place the camera side-on, 2–3 m away, at hip height, so your whole "
                       "body is in view on the floor too. Then press **Start**.")
        camera.camera_help()
    run = _run(ctrl, plan, programme)  # Start may have begun a new stream
    # The hook runs on any thread (no st.session_state there): it gets this stream's run.
    ctrl.on_finished = functools.partial(_save_session, run, ctrl, dict(settings))

    with panel_col:
        run_every = PANEL_REFRESH_S if playing or ctrl.running else None

        @st.fragment(run_every=run_every)
        def panel() -> None:
            if not (playing or ctrl.running):
                _idle_panel(run, again=day_over)
                return
            _live_panel(ctrl, run, settings, quiet)
            check_camera(ctrl)

        panel()


def _run(ctrl: LiveController, plan: tuple[PlannedExercise, ...], programme: Any) -> TodayRun:
    """This stream's runner: a new one for every new stream (Start after a finished day)."""
    run = st.session_state.get(RUN_KEY)
    if not isinstance(run, TodayRun) or run.generation != ctrl.generation or (
            ctrl.state == "idle" and run.runner.plan != plan):
        old_key = run.assessor_key if isinstance(run, TodayRun) else None
        run = TodayRun(ctrl.generation, ProgrammeRunner(plan), programme)
        first = plan[0] if plan else None
        if first is not None and first.key != old_key:
            ctrl.set_assessor_factory(_assessor_factory(first))
        run.assessor_key = first.key if first is not None else None
        st.session_state[RUN_KEY] = run
    return run


def _feed(ctrl: LiveController, run: TodayRun, settings: Mapping[str, Any]) -> None:
    """Every queued frame into the runner, in order; then assess the runner's exercise and
    save the sets done so far."""
    def each(rec: LiveRecord) -> None:
        if rec.phase == "coaching":
            run.runner.update(sample_from_record(rec), rec.t)

    with run.lock:
        ctrl.drain(each)
        _follow_exercise(ctrl, run)
        _save_as_you_go(run, ctrl, settings)


def _follow_exercise(ctrl: LiveController, run: TodayRun) -> None:
    ex = run.runner.exercise
    if ex is not None and ex.key != run.assessor_key:
        ctrl.set_assessor_factory(_assessor_factory(ex))
        run.assessor_key = ex.key


def _live_panel(ctrl: LiveController, run: TodayRun, settings: Mapping[str, Any],
                quiet: Mapping[str, Any]) -> None:
    _feed(ctrl, run, settings)
    top = st.container()
    if not run.runner.finished:
        b1, b2, b3 = st.columns(3)
        skip = b1.button("Skip set", key="today_skip", icon=":material/skip_next:",
                         width="stretch")
        nxt = b2.button("Next exercise", key="today_next", icon=":material/fast_forward:",
                        width="stretch")
        end = b3.button("Finish early", key="today_finish", icon=":material/stop_circle:",
                        width="stretch")
        with run.lock:
            if skip:
                run.runner.skip_set(ctrl.last_t)
            elif nxt:
                run.runner.next_exercise(ctrl.last_t)
            elif end:
                run.runner.finish(ctrl.last_t)
            _follow_exercise(ctrl, run)
            _save_as_you_go(run, ctrl, settings)
    with run.lock:
        state = run.runner.state()
        n = len(run.runner.plan)
    with top:
        _state_view(state, n, ctrl)
        if run.error and not run.runner.finished:
            st.warning(run.error, icon=":material/warning:")
    if settings.get("audio_enabled") and state.say:
        audio.play_cue(state.say, AUDIO_SEQ_BASE + 1000 * (ctrl.generation % 1000)
                       + state.say_seq, str(settings.get("audio_mode", "voice")))
    if run.runner.finished and ctrl.running:
        # The day is over: finish the stream (the hook saves it) and stop the camera.
        finalise(ctrl, quiet, KIND_LABEL, "finished")
        ctrl.stop_requested = True
        st.rerun(scope="app")


def _state_view(state: RunnerState, n_exercises: int, ctrl: LiveController) -> None:
    ex = state.exercise
    label = PHASE_LABELS.get(state.phase, "")
    if ex is not None:
        label = f"{ex.title} · {label}"
    status = "ok" if state.phase in ("set", "done") and not state.paused else "n/a"
    if state.phase == "setup" and state.camera:
        status = "caution"
    st.html(f'<div class="programme-step" data-phase="{state.phase}" '
            f'data-exercise="{html.escape(ex.key if ex else "")}" '
            f'data-set="{state.set_number}" data-side="{state.side or ""}" '
            f'data-done="{state.done:.1f}">'
            + cue_card(state.headline, status, label) + "</div>")
    if state.camera:
        st.html(cue_card(state.camera, "caution", "Camera position"))
    elif state.phase == "set" and state.paused and ex is not None and ex.is_hold:
        st.html(cue_card("Get into position — the timer starts when you are there",
                         "n/a", "Timer paused"))
    elif state.cue:
        st.html(cue_card(state.cue, "caution", "Form tip"))
    if ex is not None:
        c1, c2, c3 = st.columns(3)
        c1.html(stat_box("Exercise", f"{state.exercise_index + 1} of {n_exercises}"))
        c2.html(stat_box("Set", f"{state.set_number} of {ex.sets}"
                         + (f" · {state.side}" if state.side else "")))
        if state.phase == "rest":
            c3.html(stat_box("Rest", f"{state.rest_left_s:.0f} s"))
        elif ex.is_hold:
            c3.html(stat_box("Held", f"{state.done:.0f} / {ex.target:g} s"))
        else:
            c3.html(stat_box("Reps", f"{int(state.done)} / {int(ex.target)}"))
        if ex.notes:
            st.caption(f"From your physiotherapist: {ex.notes}")
    st.html(f'<div class="posture-muted">Frames analysed: <b>{ctrl.frames_processed}</b> · '
            f"{ctrl.fps:.1f} frames/s · session {fmt_clock(ctrl.coaching_seconds())}</div>")


def _idle_panel(run: TodayRun, again: bool = False) -> None:
    if again:
        st.caption("Press **Start** to do today's programme again from the first exercise.")
        return
    first = run.runner.plan[0] if run.runner.plan else None
    st.markdown("#### How it works")
    st.markdown(
        "1. Put the camera side-on, 2–3 m away, with your whole body in view.\n"
        "2. Press **Start** under the video and allow the camera.\n"
        "3. Get into the starting position: the coach checks it can see you, then counts "
        "your reps or times your hold, one tip at a time.\n"
        "4. Rest when it says so; it moves on to the next set and exercise by itself.")
    if first is not None and first.setup_cue:
        st.html(cue_card(first.setup_cue, "n/a", f"First: {first.title}"))


def _no_programme() -> None:
    st.info(NO_PROGRAMME, icon=":material/assignment:")
    up = st.file_uploader("Programme file from your physiotherapist (.toml)", type=["toml"],
                          key="today_programme_file")
    if up is not None:
        try:
            title = _install(up.getvalue(), up.name)
        except (PostureError, ValueError, UnicodeDecodeError) as err:
            st.error(f"This file could not be installed: {err}", icon=":material/error:")
            return
        st.session_state[INSTALLED_KEY] = f"Installed “{title}”. It is now today's programme."
        st.rerun()


def _programme_table(programme: Any, plan: tuple[PlannedExercise, ...]) -> None:
    title = getattr(programme, "title", None) or "Today's exercises"
    st.subheader(str(title))
    rows = []
    for ex in plan:
        per_set = ex.target_text()
        rows.append({"Exercise": ex.title, "Sets": ex.sets, "Each set": per_set,
                     "Rest": f"{ex.rest_s:g} s",
                     "Range target": rom_words(ex.key, ex.rom_target_deg),
                     "Side": SIDE_WORDS.get(ex.side or "both", str(ex.side)),
                     "Notes": ex.notes or ""})
    st.dataframe(rows, hide_index=True, width="stretch")


def _summary(run: TodayRun, settings: Mapping[str, Any]) -> None:
    st.subheader("Today's summary")
    runner = run.runner
    done = sum(r.met for r in runner.results)
    total = sum(ex.slots for ex in runner.plan)  # a set on each side counts per side
    st.html(f'<div class="programme-summary" data-adherence="{runner.adherence():.3f}">'
            + stat_box("Sets done", f"{done} of {total} ({100 * runner.adherence():.0f}%)")
            + "</div>")
    st.dataframe([_summary_row(s) for s in runner.summary()], hide_index=True,
                 width="stretch")
    tips = [(s.title, tip_words(s, t)) for s in runner.summary() for t in s.tip_keys()]
    if tips:
        st.markdown("**Form tips for next time**")
        st.markdown("\n".join(f"- {title}: {words}" for title, words in tips))
    if run.error:
        st.error(run.error, icon=":material/error:")
    elif run.saved:
        st.caption("Saved to your history: your physiotherapist sees it under History.")
    elif not settings.get("save_history", True):
        st.caption(SAVE_OFF)


def _summary_row(s: ExerciseSummary) -> dict[str, Any]:
    unit = "s" if s.kind == "hold" else "reps"
    rom = rom_words(s.key, s.rom_best_deg)
    short = s.rom_short_text()
    return {"Exercise": s.title, "Sets done": s.sets_text(),
            "Done": f"{s.done:.0f} of {s.prescribed:g} {unit}",
            "Best range": f"{rom} ({short})" if short and s.rom_best_deg is not None else rom,
            "Range target": rom_words(s.key, s.rom_target_deg),
            "Tips": ", ".join(fault_words(s.key, t) for t in s.tip_keys()) or "–"}


def tip_words(s: ExerciseSummary, fault: str) -> str:
    """A tip in the patient's words; the short-range one says how many reps fell short,
    counted from the same reps as the best range beside it."""
    if fault == s.rom_fault and s.rom_short:
        return f"{fault_words(s.key, fault)} ({s.rom_short_text()})"
    return fault_words(s.key, fault)
