"""A home exercise session is summed up as an exercise, never as "good posture"."""

from posture_app.records import SessionPayload
from posture_app.session_text import headline, score_tiles, score_view


def _payload(**summary: object) -> SessionPayload:
    base = {"exercise": "glute_bridge", "time_s_by_severity": {"ok": 20.0}}
    return SessionPayload("exercise", {**base, **summary}, [], [], 20.0)


def test_reps_session_says_reps_and_form_score() -> None:
    p = _payload(score=75, score_basis="mean form score of the 4 judged rep(s) of 4",
                 rep_count=4, hold_s=None)
    view = score_view(p)
    assert view.kind == "exercise" and view.text == "75 / 100"
    words = headline(p)
    assert words.startswith("Glute bridge: 4 rep(s)") and "posture" not in words.lower()
    assert ("Glute bridge", "4 reps") in score_tiles(p)


def test_hold_session_says_seconds_held() -> None:
    p = _payload(exercise="front_plank", score=100, hold_s=30.2, rep_count=0,
                 score_basis="share of the target hold time held in good form")
    assert score_view(p).text == "100 %"
    assert headline(p) == "Front plank: held 30 s in good form (100 % of the target). Well done."


def test_nothing_counted_is_not_judged_never_perfect() -> None:
    p = _payload(score=None, rep_count=0, hold_s=None,
                 score_basis="no rep could be judged (see not_judged)")
    assert score_view(p).text == "Not judged"
    assert "nothing was counted" in headline(p)
    assert "well done" not in headline(p).lower()
