"""The overlay's header counts what the session is about: lifts, reps, or a hold."""

from posture.render import overlay_header


def test_lifting_header_counts_lifts() -> None:
    assert overlay_header(3.0, True, "side_left", 2, "lifting", "stand").endswith("Lifts: 2")


def test_exercise_header_counts_reps_not_lifts() -> None:
    header = overlay_header(3.0, True, "side_left", 4, "exercise", "rest")
    assert header.endswith("Reps: 4") and "Lifts" not in header


def test_hold_header_says_holding_or_paused() -> None:
    assert overlay_header(3.0, True, "side_left", 0, "exercise", "hold").endswith("Holding")
    assert overlay_header(3.0, True, "side_left", 0, "exercise", "paused").endswith("Hold paused")


def test_nobody_in_view_wins() -> None:
    assert overlay_header(3.0, False, "side_left", 4, "exercise", "hold").endswith("No one in view")
