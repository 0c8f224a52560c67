"""``posture`` command line: wires files to the library, prints sentences, not tracebacks."""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from posture import __version__
from posture.errors import PostureError, display_name

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130
ACTIVITIES = ("auto", "sitting", "standing", "lifting")
#: Files a failed run may leave half-written in --out; removed on every failure path.
PARTIAL_OUTPUTS = ("annotated.part.mp4", "report.json.tmp")


def _say(text: str, stream: TextIO | None = None) -> None:
    """Print one line; characters the terminal cannot show are escaped, never fatal.

    Linux file names may hold bytes that are not valid UTF-8 (they reach Python
    as lone surrogates), and a console may use a narrower encoding.
    """
    stream = stream if stream is not None else sys.stdout
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        text = text.encode(encoding, "backslashreplace").decode(encoding, "replace")
    except LookupError:
        pass
    print(text, file=stream)


def _profile_sentence(err: PostureError) -> str:
    """A profile loader message ("<path>: <reason>") as one sentence naming the file."""
    text = str(err).strip()
    found = re.match(r"(?:profile )?(?P<path>.+?)(?P<sep>: | not found)", text)
    if found is None:
        return text if text.endswith(".") else text + "."
    name = display_name(found["path"])
    reason = text[found.end():].strip().rstrip(".")
    if found["sep"] == " not found":
        return f"The rule profile '{name}' could not be found {reason}.".replace("  ", " ")
    return f"The rule profile '{name}' cannot be used: {reason}."


VERDICT_WORDS = {"good": "all judged checks good", "faulty": "faults found",
                 "partly_judged": "no faults in what could be judged"}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="posture", description=__doc__)
    p.add_argument("--version", action="version", version=f"posture {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    a = sub.add_parser(
        "analyze",
        help="analyse a recorded video or a photo",
        description="Analyse a recording or photo and write report.json, "
        "frames.csv and an annotated video into --out.",
    )
    a.add_argument("media", type=Path, help="video (mp4, mov, avi, webm, …) or photo")
    a.add_argument(
        "--activity",
        choices=ACTIVITIES,
        default="auto",
        help="what the person is doing (default: detect it)",
    )
    a.add_argument("--out", type=Path, default=Path("results"), help="output folder")
    a.add_argument("--profile", type=Path, help="custom rule profile (TOML)")
    a.add_argument("--height-cm", type=float, help="the person's height, for load distance")
    a.add_argument(
        "--rate",
        type=float,
        metavar="HZ",
        help="analyse at most this many frames per second (e.g. 10 for sitting)",
    )
    a.add_argument(
        "--workers",
        type=int,
        default=0,
        metavar="N",
        help="worker processes for the analysis (default: one per CPU core; 1 = none). "
        "Photos and clips under 10 s are always analysed in one process.",
    )
    a.add_argument("--no-video", action="store_true", help="skip the annotated video")
    a.add_argument("--quiet", action="store_true", help="no progress bar")
    a.add_argument("--exercise", metavar="KEY",
                   help="a home exercise of the library (see 'posture exercises'): count its "
                   "reps or time its hold and judge its form (replaces --activity)")

    sub.add_parser("exercises", help="list the home exercise library",
                   description="List the exercises 'analyze --exercise KEY' knows: key, reps "
                   "or hold, the camera view it needs and how to set up.")

    b = sub.add_parser(
        "batch",
        help="analyse many recordings (files, folders, patterns) on every core or a cluster",
        description="Analyse every recording with the options of 'analyze', write each "
        "one's results into --out/<name>/ and an index.csv; a rerun skips finished ones.",
    )
    b.add_argument("inputs", nargs="+", help="video files, photos, folders or patterns "
                   "such as 'clinic/*.mp4' (quote them)")
    b.add_argument("--out", type=Path, required=True, help="output folder")
    b.add_argument("--activity", choices=ACTIVITIES, default="auto",
                   help="what the people are doing (default: detect it)")
    b.add_argument("--profile", type=Path, help="custom rule profile (TOML)")
    b.add_argument("--height-cm", type=float, help="the person's height, for load distance")
    b.add_argument("--rate", type=float, metavar="HZ",
                   help="analyse at most this many frames per second")
    b.add_argument("--no-video", action="store_true", help="skip the annotated videos")
    b.add_argument("--cluster", metavar="ADDRESS",
                   help="a running Ray cluster (e.g. 10.0.0.5:6379) instead of this computer")
    b.add_argument("--workers", type=int, default=0, metavar="N",
                   help="worker processes on this computer (default: one per CPU core)")
    b.add_argument("--no-history", action="store_true",
                   help="do not save the results to the app's History")
    b.add_argument("--quiet", action="store_true", help="no progress bars")
    _programme_parsers(sub)
    return p


def _options(args: argparse.Namespace) -> Any:
    """The ``AnalysisOptions`` of ``analyze`` and ``batch``, checked before any work."""
    from posture.pipeline import AnalysisOptions

    if args.height_cm is not None and not 50 <= args.height_cm <= 250:
        raise PostureError(
            f"A height of {args.height_cm:g} cm is not plausible; "
            "give it in centimetres, e.g. --height-cm 172."
        )
    if args.workers < 0:
        raise PostureError(
            f"--workers {args.workers} is not possible; give a number of processes, "
            "or 0 for one per CPU core."
        )
    if args.rate is not None and not args.rate > 0:
        raise PostureError(
            f"--rate {args.rate:g} is not possible; give frames per second, e.g. --rate 10."
        )
    if args.profile is not None:  # a mistake in it is found now, not after the analysis
        from posture.rules.profile import ProfileError, load_profile

        try:
            load_profile(args.profile)
        except ProfileError as exc:
            raise PostureError(_profile_sentence(exc), detail=str(exc)) from None
    return AnalysisOptions(
        activity=args.activity,
        profile=args.profile,
        user_height_cm=args.height_cm,
        analysis_fps=args.rate,
        workers=args.workers,
    )


def _batch(args: argparse.Namespace) -> int:
    from posture.batch import progress_bars, run_batch

    options = _options(args)
    with progress_bars(args.quiet) as progress:
        result = run_batch(args.inputs, args.out, options, no_video=args.no_video,
                           cluster=args.cluster, workers=args.workers,
                           history=not args.no_history, progress=progress)
    for note in result.notes:
        _say(f"Note: {note}", sys.stderr)
    for row in result.failed:
        _say(f"  failed: {row['file']}: {row['error']}", sys.stderr)
    total = len(result.done) + len(result.failed) + len(result.skipped)
    parts = [f"Analysed {len(result.done)} of {total} recordings in {result.seconds:.0f} s"]
    if result.skipped:
        parts.append(f"{len(result.skipped)} already done")
    if result.failed:
        parts.append(f"{len(result.failed)} could not be analysed")
    _say("; ".join(parts) + ".")
    _say(f"  wrote {result.index}")
    return EXIT_BAD_INPUT if result.failed else EXIT_OK


def _analyze(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from posture.pipeline import analyze_video
    from posture.render import render_image, render_video
    from posture.report import write_csv, write_report

    options = _options(args)
    bars: list[Any] = []  # made at the first frame: a file that fails shows no bar

    def progress(done: int, total: int) -> None:
        if not bars:
            bars.append(tqdm(desc="Analysing", unit="frame", disable=args.quiet,
                             file=sys.stderr))
        bar = bars[0]
        if total and bar.total != total:
            bar.total = total
        bar.update(done - bar.n)  # tqdm throttles the redraws

    factory = None
    if args.exercise is not None:  # an unknown key fails now, before any video work
        from posture.exercises.assess import exercise_assessor_factory

        factory = exercise_assessor_factory(args.exercise)
    try:
        analysis = analyze_video(args.media, options, progress=progress,
                                 assessor_factory=factory)
    finally:
        for bar in bars:
            bar.close()
    out: Path = args.out
    written = [write_report(analysis, out, str(args.media)), write_csv(analysis, out)]
    if not args.no_video:
        if analysis.info.kind == "image":
            written.append(render_image(analysis, out / "annotated.png"))
        else:
            vbar = tqdm(
                desc="Drawing",
                unit="frame",
                disable=args.quiet,
                file=sys.stderr,
                total=analysis.info.frames or None,
            )

            def vprogress(done: int, total: int) -> None:
                vbar.update(done - vbar.n)

            try:
                written.append(render_video(analysis, out / "annotated.mp4", vprogress,
                                            workers=args.workers))
            finally:
                vbar.close()
    name = display_name(args.media)
    for w in analysis.warnings:
        _say(f"Note: {w}", sys.stderr)
    if analysis.detected_fraction == 0:
        _say(
            f"No person was found in {name}: check that the whole body is in "
            "view and well lit.",
            sys.stderr,
        )
    session = analysis.session
    summary = session.summary if session is not None else {}
    _say(
        f"Analysed {len(analysis.frames)} frames of {name} "
        f"({analysis.activity}); person detected in {analysis.detected_fraction:.0%} of them."
    )
    counts = (f"events: {len(session.events) if session else 0}; "
              f"reps: {len(session.reps) if session else 0}")
    verdict = summary.get("verdict")
    exercise = session.exercise if session is not None else None
    if exercise is not None:
        from posture.exercises.report import exercise_lines

        for line in exercise_lines(exercise):
            _say(line)
    elif summary.get("score") is not None and session is not None and session.reps:
        _say(f"Lift score: {summary['score']}/100"
             + (f" ({VERDICT_WORDS[verdict]})" if verdict in VERDICT_WORDS else "")
             + f"; {counts}.")
    elif summary.get("score") is not None:
        _say(f"Time in good posture: {summary['score']} %; {counts}.")
    elif verdict == "not_judged":
        _say(f"Not judged; {counts}.")
    # Lifting: what could not be judged, one line per reason ("A, B: not judged — why").
    names_by_why: dict[str, list[str]] = {}
    for n in summary.get("not_judged") or ():
        name, _, why = str(n.get("reason") or "").partition(": not judged — ")
        if n.get("reps") is not None and why and name not in names_by_why.setdefault(why, []):
            names_by_why[why].append(name)
    for why, names in names_by_why.items():
        _say(f"  {', '.join(names)}: not judged — {why}")
    for path in written:
        _say(f"  wrote {path}")
    return EXIT_OK


def _remove_partial_outputs(out: Path) -> None:
    """After a failure, delete what was half-written (finished files stay)."""
    for partial in PARTIAL_OUTPUTS:
        with contextlib.suppress(OSError):
            (out / partial).unlink(missing_ok=True)


def _stop_workers() -> None:
    """End the worker processes of a parallel analysis (they outlive one job on purpose)."""
    parallel = sys.modules.get("posture.parallel")
    if parallel is not None:
        parallel.shutdown()


@contextlib.contextmanager
def _native_logs_silenced() -> Iterator[None]:
    """Send C++ log lines (TensorFlow Lite, MediaPipe, FFmpeg) to /dev/null; keep ours.

    MediaPipe writes INFO and WARNING lines straight to file descriptor 2 that a
    user can do nothing about. Python's ``sys.stderr`` moves to a copy of the real
    descriptor, so progress bars and our sentences still reach the terminal; worker
    processes started meanwhile inherit the quiet descriptor (their errors come
    back as messages). Skipped when ``sys.stderr`` is not descriptor 2 (captured,
    redirected by a caller), and with POSTURE_DEBUG set.
    """
    try:
        real = sys.stderr is not None and sys.stderr.fileno() == 2
    except (AttributeError, OSError, ValueError):
        real = False
    if not real or os.environ.get("POSTURE_DEBUG"):
        yield
        return
    saved_fd = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    old_stderr = sys.stderr
    sys.stderr.flush()
    ours = open(os.dup(saved_fd), "w", encoding=old_stderr.encoding,  # noqa: SIM115
                errors=old_stderr.errors, buffering=1)
    os.dup2(devnull, 2)
    sys.stderr = ours
    try:
        yield
    finally:
        ours.flush()
        os.dup2(saved_fd, 2)
        sys.stderr = old_stderr
        ours.close()
        os.close(devnull)
        os.close(saved_fd)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "analyze":
            try:
                with _native_logs_silenced():
                    return _analyze(args)
            except BaseException:
                _remove_partial_outputs(args.out)
                raise
            finally:
                _stop_workers()
        if args.command == "batch":
            with _native_logs_silenced():
                return _batch(args)
        if args.command in ("programme", "progress"):
            return _programme_command(args)
        if args.command == "exercises":
            from posture.exercises.report import library_lines

            for line in library_lines():
                _say(line)
            return EXIT_OK
    except PostureError as exc:
        _say(f"posture: {exc}", sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        _say("posture: Interrupted; nothing more was written.", sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as exc:  # disk full, permission denied on --out, …
        where = display_name(exc.filename) if exc.filename else display_name(args.out)
        reason = (exc.strerror or str(exc)).rstrip(".")
        _say(f"posture: Could not write the results ('{where}': {reason}).", sys.stderr)
        return EXIT_FAILURE
    except Exception as exc:  # a bug: still one sentence, the details on request
        if os.environ.get("POSTURE_DEBUG"):
            traceback.print_exc()
        _say(
            f"posture: Something went wrong inside the program ({type(exc).__name__}); "
            "please report it, and run again with POSTURE_DEBUG=1 to see the details.",
            sys.stderr,
        )
        return EXIT_FAILURE
    return EXIT_FAILURE


# ---------------------------------------------------------------------- programmes (#11)
def _programme_parsers(sub: Any) -> None:
    """``posture programme check FILE`` and ``posture progress export|report``."""
    pr = sub.add_parser("programme", help="check a home exercise programme file",
                        description="Check a programme file (TOML or JSON) the way the app "
                        "reads it: every problem is listed as a sentence.")
    prs = pr.add_subparsers(dest="programme_command", required=True)
    chk = prs.add_parser("check", help="check a programme file (TOML or JSON)")
    chk.add_argument("file", type=Path, help="the programme file")
    g = sub.add_parser("progress", help="export the progress on a home exercise programme",
                       description="The workouts of a programme in the app's history: one "
                       "row per set (CSV), the file the therapist imports (JSON), or the "
                       "printable progress report (HTML).")
    gs = g.add_subparsers(dest="progress_command", required=True)
    for name, text in (("export", "write the workouts as CSV or JSON"),
                       ("report", "write the printable progress report (HTML)")):
        c = gs.add_parser(name, help=text)
        if name == "export":
            c.add_argument("--format", choices=("csv", "json"), default="csv")
        else:
            c.add_argument("--patient", default="", help="the patient's name on the report")
        c.add_argument("--programme", metavar="ID",
                       help="one programme's id (default: the active one, else every workout)")
        c.add_argument("--out", type=Path, help="the file to write (default: the screen)")
        c.add_argument("--db", type=Path, help="the history database (default: the app's)")


def _programme_command(args: argparse.Namespace) -> int:
    from datetime import datetime

    from posture.programme import ProgrammeError, load_programme

    if args.command == "programme":
        try:
            p = load_programme(args.file)
        except ProgrammeError as err:
            for problem in err.problems:
                _say(f"posture: {problem}", sys.stderr)
            return EXIT_BAD_INPUT
        times = "time" if p.times_per_week == 1 else "times"
        _say(f"{display_name(args.file)}: “{p.title}” is fine — {len(p.prescriptions)} "
             f"exercise(s), {p.times_per_week} {times} a week.")
        for i, x in enumerate(p.prescriptions, start=1):
            each = f"hold {x.hold_s:g} s" if x.kind == "hold" else f"{x.reps} reps"
            _say(f"  {i}. {x.exercise}: {x.sets} × {each}, rest {x.rest_s:g} s, side {x.side}")
        return EXIT_OK

    from posture.progress import export_csv, export_json, progress_report_html, summarise
    from posture.store import HistoryStore

    with HistoryStore(args.db) as store:
        programme = (store.get_programme(args.programme) if args.programme
                     else store.active_programme())
        if args.programme and programme is None:
            _say(f"posture: No programme with the id '{args.programme}' is saved in the "
                 "history.", sys.stderr)
            return EXIT_BAD_INPUT
        sessions = store.programme_sessions(programme.id if programme else None)
    if args.progress_command == "export":
        text = (export_csv(sessions) if args.format == "csv" else
                export_json(sessions, programme, exported_at=datetime.now()))
    else:
        text = progress_report_html(summarise(sessions, programme), patient=args.patient,
                                    created=datetime.now())
    if args.out is None:
        sys.stdout.write(text)
        return EXIT_OK
    try:
        args.out.write_text(text, encoding="utf-8")
    except OSError as exc:
        _say(f"posture: Could not write '{display_name(args.out)}' "
             f"({(exc.strerror or str(exc)).rstrip('.')}).", sys.stderr)
        return EXIT_FAILURE
    _say(f"wrote {args.out} ({len(sessions)} workout(s))")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
