"""``posture`` command line: wires files to the library, prints sentences, not tracebacks."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from posture import __version__
from posture.errors import PostureError

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130
ACTIVITIES = ("auto", "sitting", "standing", "lifting")


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
    return p


def _analyze(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from posture.parallel import render_video_parallel
    from posture.pipeline import AnalysisOptions, analyze_video
    from posture.render import render_image, render_video
    from posture.report import write_csv, write_report

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
    options = AnalysisOptions(
        activity=args.activity,
        profile=args.profile,
        user_height_cm=args.height_cm,
        analysis_fps=args.rate,
        workers=args.workers,
    )
    bar = tqdm(desc="Analysing", unit="frame", disable=args.quiet, file=sys.stderr)

    def progress(done: int, total: int) -> None:
        if total and bar.total != total:
            bar.total = total
        bar.update(done - bar.n)  # tqdm throttles the redraws

    try:
        analysis = analyze_video(args.media, options, progress=progress)
    finally:
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
                video = None
                if args.workers != 1:  # chunks drawn and encoded on every core
                    video = render_video_parallel(
                        analysis, out / "annotated.mp4", vprogress, workers=args.workers
                    )
                if video is None:
                    video = render_video(analysis, out / "annotated.mp4", vprogress)
                written.append(video)
            finally:
                vbar.close()
    for w in analysis.warnings:
        print(f"Note: {w}", file=sys.stderr)
    if analysis.detected_fraction == 0:
        print(
            f"No person was found in {args.media.name}: check that the whole body is in "
            "view and well lit.",
            file=sys.stderr,
        )
    session = analysis.session
    summary = session.summary if session is not None else {}
    print(
        f"Analysed {len(analysis.frames)} frames of {args.media.name} "
        f"({analysis.activity}); person detected in {analysis.detected_fraction:.0%} of them."
    )
    if summary.get("score") is not None:
        print(
            f"Score: {summary['score']}/100; events: {len(session.events) if session else 0}; "
            f"reps: {len(session.reps) if session else 0}."
        )
    for path in written:
        print(f"  wrote {path}")
    return EXIT_OK


def _stop_workers() -> None:
    """End the worker processes of a parallel analysis (they outlive one job on purpose)."""
    parallel = sys.modules.get("posture.parallel")
    if parallel is not None:
        parallel.shutdown()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "analyze":
            try:
                return _analyze(args)
            finally:
                _stop_workers()
    except PostureError as exc:
        print(f"posture: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("posture: interrupted; nothing more was written.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as exc:  # disk full, permission denied on --out, …
        print(f"posture: could not write the results: {exc.strerror or exc}.", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
