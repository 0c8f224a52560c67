"""Child process for tests/test_store.py (not a test module itself).

``python store_crash_child.py crash DB``
    Acts as the live coach: starts a live session, prints its id, then calls
    ``record_progress`` every 0.2 s until the test kills it with SIGKILL.
    Each call carries ``n`` events and ``summary.progress_calls == n``, so the
    test can tell that what survived is one whole write, not a mix of two.

``python store_crash_child.py writer DB TAG COUNT GO_FILE``
    Waits until GO_FILE exists (so two writers really start together), then
    opens the store (racing the other writer to create the schema) and writes
    COUNT sessions: even ones through start/record/finish, odd ones through
    save_report.  Prints ``done COUNT`` at the end.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from posture.store import HistoryStore


def _event(i: int) -> dict[str, object]:
    return {"rule": "sitting.neck_inclination", "category": "forward_head", "severity": "poor",
            "start_s": float(i), "end_s": i + 0.5, "cue": "Grow tall"}


def crash(db: Path) -> None:
    store = HistoryStore(db)
    t0 = time.time()
    sid = store.start_session("live", "sitting", started_at=t0, source="webcam",
                              settings={"camera": 0}, profile="default")
    print(sid, flush=True)
    n = 0
    while True:
        n += 1
        store.record_progress(
            sid,
            summary={"progress_calls": n, "detected_fraction": 1.0, "score": 80,
                     "time_s_by_severity": {"ok": float(n), "caution": 0.0, "poor": 0.0}},
            events=[_event(i) for i in range(n)],
            reps=[],
            duration_s=time.time() - t0,
        )
        time.sleep(0.2)


def writer(db: Path, tag: str, count: int, go: Path) -> None:
    deadline = time.monotonic() + 30
    while not go.exists():
        if time.monotonic() > deadline:
            raise SystemExit("GO file never appeared")
        time.sleep(0.005)
    with HistoryStore(db) as store:
        for i in range(count):
            events = [_event(k) for k in range(i % 4)]
            reps = [{"index": 1, "start_s": 0.0, "bottom_s": 0.5, "end_s": 1.0, "style": "squat",
                     "metrics": {}, "faults": [], "score": i}]
            summary = {"score": i, "time_s_by_severity": {"ok": 1.0, "caution": 0.0, "poor": 0.0}}
            if i % 2 == 0:
                sid = store.start_session("live", "lifting", started_at=time.time(), source=tag)
                store.record_progress(sid, summary=summary, events=events, reps=reps,
                                      duration_s=0.5)
                store.finish_session(sid, summary=summary, events=events, reps=reps,
                                     duration_s=1.0, ended_at=time.time())
            else:
                store.save_report({"activity": "lifting", "video": {"duration_s": 1.0},
                                   "events": events, "reps": reps, "summary": summary},
                                  source=tag)
    print("done", count, flush=True)


def main(argv: list[str]) -> None:
    if argv[1] == "crash":
        crash(Path(argv[2]))
    elif argv[1] == "writer":
        writer(Path(argv[2]), argv[3], int(argv[4]), Path(argv[5]))
    else:
        raise SystemExit(f"unknown mode {argv[1]!r}")


if __name__ == "__main__":
    main(sys.argv)
