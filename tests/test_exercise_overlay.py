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


def test_a_skeleton_awaiting_confirmation_is_not_called_nobody() -> None:
    """The gate confirms a person over a couple of frames; a video's first frame (the
    poster) shows the person, so it must not say "No one in view"."""
    header = overlay_header(0.0, False, "unknown", 0, "lifting", "", seen=True)
    assert header.endswith("Finding the person") and "No one" not in header


def test_first_frames_of_a_clip_never_say_nobody() -> None:
    from pathlib import Path

    import pytest

    from posture.pipeline import analyze_video
    from posture.render import overlay_text

    clip = Path(__file__).resolve().parents[1] / "sample_videos" / "exercises"
    clips = sorted(clip.glob("*.mp4"))
    if not clips:
        pytest.skip("no rendered exercise clip")
    analysis = analyze_video(clips[0])
    first = analysis.frames[0]
    assert first.pose is not None  # the person is in the very first picture
    assert "No one in view" not in overlay_text(first).header
