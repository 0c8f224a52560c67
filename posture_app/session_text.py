"""What a finished session says, in words and numbers — no Streamlit here.

Its one named score (lift score or time in good posture) with what it means and what
is good, the headline, the tips, the moments kept after reconciling them with the
lifts, the therapist's details and which angle charts apply. The on-screen summary
(:mod:`posture_app.summary`) and the printable report (:mod:`posture_app.report_html`)
both read it, so they cannot tell two stories.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd  # type: ignore[import-untyped]

from posture_app.charts import chartable, metric_bands
from posture_app.records import (
    CATEGORY_LABELS,
    SessionPayload,
    finite,
    not_judged_words,
    reconcile_events,
    share_ok,
)
from posture_app.ui import fmt_duration

ACTIVITY_WORDS = {"sitting": "Sitting", "standing": "Standing", "lifting": "Lifting",
                  "auto": "Mixed", "other": "Not sitting, standing or lifting",
                  "exercise": "Home exercise"}

# ------------------------------------------------------------------------------ the score
#: Time in good posture from which the summary says "well done": this app's own default
#: target, not a clinical standard (posture is only weakly linked to pain).
GOOD_SHARE = 0.8
#: A lift score from which a session's lifts count as good on average (at most one
#: "check" fault per lift): this app's default, from the points per fault below.
GOOD_LIFT_SCORE = 90
LIFT_SCORE_LABEL = "Lift score"
POSTURE_LABEL = "Time in good posture"
NOT_JUDGED = "Not judged"
DEFAULT_PENALTY = {"poor": 25, "caution": 10}  # posture.activities.lifting.FAULT_PENALTY


def fault_penalty() -> dict[str, int]:
    """Points a lift loses per fault (the library's own values)."""
    try:
        from posture.activities.lifting import FAULT_PENALTY
    except ImportError:  # pragma: no cover - the library is part of the repo
        return dict(DEFAULT_PENALTY)
    return {k: int(v) for k, v in FAULT_PENALTY.items()}


def lift_score_definition() -> str:
    p = fault_penalty()
    return (f"{LIFT_SCORE_LABEL}: each judged lift starts at 100 and loses {p['poor']} points "
            f"for each fault to adjust (red) and {p['caution']} for each fault to check "
            "(amber), once per kind of fault; the session's score is the average over the "
            "lifts that could be judged.")


FORM_LABEL = "Form score"
HOLD_LABEL = "Hold in good form"
FORM_DEFINITION = (f"{FORM_LABEL}: each judged rep starts at 100 and loses points for each "
                   "form fault, as a lift does; the session's score is the average over the "
                   "reps that could be judged.")
HOLD_DEFINITION = (f"{HOLD_LABEL}: the share of the target hold time held in the target "
                   "position with no form fault (the timer pauses when form is lost).")

POSTURE_DEFINITION = (f"{POSTURE_LABEL}: the share of the measured time in which every check "
                      "that could be judged was in its good (green) band.")


@dataclass(frozen=True)
class ScoreView:
    """The one score of a session, as every page and the report show it."""

    kind: str  # "lift" | "posture" | "exercise"
    label: str  # "Lift score" | "Time in good posture"
    value: float | None  # 0–100 (points, or per cent of the time); None = not judged
    definition: str
    good: str  # what range is good, and where that threshold comes from
    reason: str  # why there is no value ("" when there is one)
    basis: str  # summary.score_basis, for the therapist

    @property
    def short(self) -> str:
        """One line beside a video: what the score is and what is good."""
        if self.kind == "exercise":
            return self.definition
        if self.kind == "lift":
            p = fault_penalty()
            return (f"{self.label}: 100 minus {p['poor']} points per fault to adjust and "
                    f"{p['caution']} per fault to check, averaged over the judged lifts. Good: "
                    f"{GOOD_LIFT_SCORE} or more (this app's default).")
        return (f"{self.label}: the share of the measured time with every judged check in its "
                f"good band. Good: {GOOD_SHARE:.0%} or more (this app's default target).")

    @property
    def judged(self) -> bool:
        return self.value is not None

    @property
    def text(self) -> str:
        if self.value is None:
            return NOT_JUDGED
        if self.kind == "exercise" and self.label == HOLD_LABEL:
            return f"{self.value:.0f} %"
        return (f"{self.value:.0f} / 100" if self.kind in ("lift", "exercise")
                else f"{self.value:.0f} %")

    @property
    def text_with_reason(self) -> str:
        if self.value is not None or not self.reason:
            return self.text
        return f"{NOT_JUDGED} — {self.reason}"


def is_lifting(payload: SessionPayload) -> bool:
    return payload.activity == "lifting" or (bool(payload.reps) and not is_exercise(payload))


def is_exercise(payload: SessionPayload) -> bool:
    """A home exercise session (its reps and hold are in the report's exercise section)."""
    return payload.activity == "exercise"


def exercise_title(payload: SessionPayload) -> str:
    key = str(payload.summary.get("exercise") or "")
    try:
        from posture.exercises import get_exercise

        return get_exercise(key).title
    except Exception:  # an exercise removed from the library since
        return key.replace("_", " ").capitalize() or "The exercise"


def _exercise_score(payload: SessionPayload) -> ScoreView:
    s = payload.summary
    value = finite(s.get("score"))
    basis = str(s.get("score_basis") or "")
    hold = s.get("hold_s") is not None
    reason = "" if value is not None else (basis.split(" (see")[0] or "nothing was counted")
    good = ("What is good: 100 means every judged rep was done without a form fault; the "
            "points per fault are this app's defaults, and each fault's limit comes from the "
            "exercise's file (docs/exercise-criteria.md)." if not hold else
            "What is good: 100 % means the whole prescribed time was held in good form.")
    return ScoreView("exercise", HOLD_LABEL if hold else FORM_LABEL, value,
                     HOLD_DEFINITION if hold else FORM_DEFINITION, good, reason, basis)


def lift_score(reps: Sequence[Mapping[str, Any]]) -> tuple[float | None, int]:
    """(mean score over the judged lifts, how many were judged) — as posture.assess does."""
    scores = [s for s in (finite(r.get("score")) for r in reps
                          if r.get("verdict") != "not_judged") if s is not None]
    return (float(round(sum(scores) / len(scores))) if scores else None), len(scores)


def _profile_words(summary: Mapping[str, Any]) -> str:
    prof = summary.get("profile")
    name = prof.get("name") if isinstance(prof, Mapping) else None
    return f"the rule profile “{name or 'default'}”"


def _calibration_words(summary: Mapping[str, Any]) -> str:
    cal = summary.get("calibration")
    return ("set from your calibration" if isinstance(cal, Mapping)
            else "population defaults, not calibrated to you")


def _posture_reason(summary: Mapping[str, Any]) -> str:
    basis = str(summary.get("score_basis") or "")
    if basis.startswith("not judged"):
        what = basis.removeprefix("not judged:").split(" need the camera")[0].strip()
        return ((f"{what} could not be judged" if what else "Your head and trunk could not be "
                 "judged") + ": they need the camera side-on")
    return "you were not in view long enough to be measured"


def score_view(payload: SessionPayload) -> ScoreView:
    """The session's score: the lift score for lifting, time in good posture otherwise."""
    s = payload.summary
    basis = str(s.get("score_basis") or "")
    if is_exercise(payload):
        return _exercise_score(payload)
    if is_lifting(payload):
        value, judged = lift_score(payload.reps)
        if value is None and not payload.reps:
            reason = "no lifts were counted"
        elif value is None:
            why = not_judged_words(payload.reps[0], 1).split("— ", 1)[-1]
            reason = "no lift could be judged" + (f": {why}" if why else "")
        else:
            reason = ""
        good = (f"What is good: 100 means no fault was seen in any judged lift; "
                f"{GOOD_LIFT_SCORE} or more means at most one small fault per lift. These "
                "points and this cut-off are this app's defaults, not a clinical scale; the "
                f"angle limits behind each fault come from {_profile_words(s)}.")
        return ScoreView("lift", LIFT_SCORE_LABEL, value, lift_score_definition(), good,
                         reason, basis or (f"mean score of the {judged} judged lift(s) of "
                                           f"{len(payload.reps)}" if judged else ""))
    share = share_ok(s)
    good = (f"What is good: {GOOD_SHARE:.0%} of the time or more. That target is this app's "
            "default, not a clinical standard; each angle's good band comes from "
            f"{_profile_words(s)} ({_calibration_words(s)}). Changing position often matters "
            "more than any one posture.")
    return ScoreView("posture", POSTURE_LABEL, None if share is None else 100.0 * share,
                     POSTURE_DEFINITION, good, "" if share is not None else _posture_reason(s),
                     basis)


def score_tiles(payload: SessionPayload, compact: bool = False) -> list[tuple[str, str]]:
    """(label, value) tiles for the page and the report: the score first, always named."""
    view = score_view(payload)
    tiles = [(view.label, view.text)]
    if view.kind == "lift":
        verdicts = [r.get("verdict", "good" if not r.get("faults") else "faulty")
                    for r in payload.reps]
        judged = sum(1 for v in verdicts if v != "not_judged")
        clean = sum(1 for v in verdicts if v in ("good", "partly_judged"))
        if compact:
            return [*tiles, ("Lifts with no fault", f"{clean} of {judged}" if judged else "–")]
        tiles += [("Lifts counted", str(len(payload.reps))),
                  ("Lifts with no fault", f"{clean} of {judged}" if judged else "–")]
    elif view.kind == "exercise":
        s = payload.summary
        done = (f"{finite(s.get('hold_s')) or 0:.0f} s held" if s.get("hold_s") is not None
                else f"{int(s.get('rep_count') or 0)} reps")
        tiles.append((exercise_title(payload), done))
        if compact:
            return tiles
    elif compact:
        detected = finite(payload.summary.get("detected_fraction"))
        return [*tiles, ("Person in view", f"{detected:.0%}" if detected is not None else "–")]
    tiles += [("Activity", ACTIVITY_WORDS.get(payload.activity, payload.activity.capitalize())),
              ("Duration", fmt_duration(payload.duration_s))]
    if view.kind == "posture":
        detected = finite(payload.summary.get("detected_fraction"))
        tiles.append(("Person in view", f"{detected:.0%}" if detected is not None else "–"))
    return tiles


# ------------------------------------------------------------------------------ words
def moments(payload: SessionPayload) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(moments to show, moments superseded by the lift they happened in)."""
    return reconcile_events(payload.events, payload.reps)


def _fault_moments(kept: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [e for e in kept if e.get("category") != "framing"
            and e.get("severity") in ("caution", "poor")]


def _lifts_phrase(indexes: Sequence[Any]) -> str:
    nums = [str(i) for i in indexes]
    if len(nums) == 1:
        return f"lift {nums[0]}"
    return "lifts " + ", ".join(nums[:-1]) + " and " + nums[-1]


def _cue_for(category: str, profile: Any) -> str:
    if profile is None:
        return ""
    try:
        rules = list(profile.frame_rules("lifting")) + list(profile.rep_rules("lifting"))
    except Exception:  # a profile without lifting rules
        return ""
    return next((str(r.cue) for r in rules if r.category == category and r.cue), "")


def tips_for(payload: SessionPayload, profile: Any = None, limit: int = 5) -> list[str]:
    """The tips worth trying first, from the same reps and moments the tables show:
    each faulty lift's faults (with the lifts they were seen in), then the moments
    outside the lifts, worst first."""
    tips: list[str] = []
    by_cat: dict[str, list[Any]] = {}
    for r in payload.reps:
        for f in r.get("faults") or ():
            if isinstance(f, Mapping):
                by_cat.setdefault(str(f.get("category", "")), []).append(r.get("index"))
    for cat, idx in by_cat.items():
        label = CATEGORY_LABELS.get(cat, cat.replace("_", " ").capitalize())
        cue = _cue_for(cat, profile)
        tips.append(f"{label} in {_lifts_phrase(idx)}" + (f" — {cue}" if cue else ""))
    kept, _ = moments(payload)
    for e in sorted(_fault_moments(kept), key=lambda e: 0 if e.get("severity") == "poor" else 1):
        if e.get("rep") is not None:
            continue  # already named with its lift above
        cue = str(e.get("cue") or "")
        if cue and not any(cue in tip for tip in tips):  # one tip per cue, even via a lift
            tips.append(cue)
    return tips[:limit]


def headline(payload: SessionPayload) -> str:
    """One short sentence about the session, derived from its reps and moments: never a
    "well done" beside a fault or a tip."""
    if is_exercise(payload):
        return _exercise_headline(payload)
    kept, _ = moments(payload)
    flagged = [e for e in _fault_moments(kept) if e.get("rep") is None]
    n_reps = len(payload.reps)
    if is_lifting(payload) and n_reps:
        verdicts = [r.get("verdict", "good" if not r.get("faults") else "faulty")
                    for r in payload.reps]
        unjudged = verdicts.count("not_judged")
        judged = n_reps - unjudged
        clean = sum(1 for v in verdicts if v in ("good", "partly_judged"))
        if judged == 0:
            why = not_judged_words(payload.reps[0], 1).split("— ", 1)[-1]
            return (f"{n_reps} lift(s) counted, but their form could not be judged"
                    + (f": {why}." if why else "."))
        tail = f" ({unjudged} more could not be judged)" if unjudged else ""
        between = (f" {len(flagged)} moment(s) outside the lifts are worth a look (below)."
                   if flagged else "")
        if clean == judged and "partly_judged" not in verdicts:
            if flagged:
                return ("The lift looked good." if judged == 1 else
                        f"All {judged} judged lifts looked good{tail}.") + between
            return ("The lift looked good — well done." if judged == 1 else
                    f"All {judged} judged lifts looked good — well done{tail}.")
        if clean == judged:
            return (f"No faults seen in {judged} lift(s){tail}, but some checks could not be "
                    "judged (listed below, with what would allow them)." + between)
        return (f"{clean} of {judged} judged lifts looked good{tail}. The tips show what to "
                "try next.")
    if is_lifting(payload):
        return ("No lifts were counted — stand side-on to the camera with your feet and the "
                "load in view, and lift all the way down and back up.")
    share = share_ok(payload.summary)
    basis = str(payload.summary.get("score_basis") or "")
    if payload.summary.get("score") is None and basis.startswith("not judged"):
        # Only side-to-side checks had a view: no "well done" on what was not seen.
        return ("Your posture could not be judged from this camera angle — place the camera "
                "side-on to check your head and trunk.")
    if share is None:
        return "Nothing could be measured yet — check that the camera sees you side-on."
    more = (f" {len(flagged)} moment(s) to work on are listed below." if flagged else "")
    if share >= GOOD_SHARE and not flagged:
        return f"Good posture {share:.0%} of the time — well done."
    if share >= GOOD_SHARE:
        return f"Good posture {share:.0%} of the time.{more}"
    if share >= 0.5:
        return (f"Good posture {share:.0%} of the time. Small resets and regular movement "
                "help most.")
    return (f"Good posture {share:.0%} of the time. Try the tips below, and remember: "
            "changing position often matters more than one perfect posture.")


def _exercise_headline(payload: SessionPayload) -> str:
    s = payload.summary
    title = exercise_title(payload)
    score = finite(s.get("score"))
    if s.get("hold_s") is not None:
        held = finite(s.get("hold_s")) or 0.0
        if score is None:
            return f"{title}: the hold was not timed — the start position was not seen."
        return (f"{title}: held {held:.0f} s in good form ({score:.0f} % of the target)."
                + (" Well done." if score >= 100 else ""))
    n = int(s.get("rep_count") or 0)
    if n == 0:
        return (f"{title}: nothing was counted — the start position or a full repetition "
                "was not seen.")
    if score is None:
        return f"{title}: {n} rep(s) counted, but their form could not be judged."
    if score >= 100:
        return f"{title}: {n} rep(s), all in good form — well done."
    return f"{title}: {n} rep(s); form score {score:.0f}/100. The tips show what to try next."


def not_judged_rows(summary: Mapping[str, Any]) -> list[str]:
    """summary.not_judged as one line per reason (a category's frame and rep checks say
    the same thing once)."""
    rows: list[str] = []
    for n in summary.get("not_judged") or ():
        reason = n.get("reason") if isinstance(n, Mapping) else None
        if reason and reason not in rows:
            rows.append(str(reason))
    return rows


def therapist_rows(payload: SessionPayload, meaning: bool = True) -> list[tuple[str, str]]:
    """Technical detail for the therapist: what the score means (``meaning``), how it was
    computed (``summary.score_basis``) and on what."""
    s = payload.summary
    view = score_view(payload)
    rows: list[tuple[str, str]] = []
    if meaning:
        rows.append((f"{view.label}, what it means", f"{view.definition} {view.good}"))
    rows.append((f"{view.label}, how it was computed", view.basis or "–"))
    t = s.get("time_s_by_severity") or {}
    rows.append(("Time good / check / adjust",
                 " / ".join(fmt_duration(finite(t.get(k)) or 0.0)
                            for k in ("ok", "caution", "poor"))))
    unmeasured = finite(s.get("time_s_not_measurable"))
    if unmeasured:
        rows.append(("Time that could not be measured", fmt_duration(unmeasured)))
    detected = finite(s.get("detected_fraction"))
    if detected is not None:
        rows.append(("Person detected in", f"{detected:.0%} of the frames"))
    for name in ("rula", "reba"):
        stats = s.get(name)
        if isinstance(stats, Mapping) and finite(stats.get("mean")) is not None:
            rows.append((f"{name.upper()} (mean / max)",
                         f"{float(stats['mean']):.1f} / {stats.get('max', '–')}"))
    rows.append(("Bands", _calibration_words(s).capitalize() + "; " + _profile_words(s)))
    if s.get("stature_source"):
        rows.append(("Body height", str(s["stature_source"])))
    live = s.get("live")
    if isinstance(live, Mapping) and live.get("processed_fps") is not None:
        rows.append(("Live analysis", f"{live.get('processed_fps')} frames/s, "
                                      f"{live.get('frames_analysed', '–')} frames"))
    return rows


# ------------------------------------------------------------------------------ display
def load_declared(payload: SessionPayload) -> bool:
    """A load was given for this session (its lifts carry a NIOSH result)."""
    return any(isinstance(r.get("niosh"), Mapping) for r in payload.reps)


def judged_specs(specs: Sequence[Any], profile: Any, payload: SessionPayload) -> list[Any]:
    """The charts worth showing: without a declared load, the load rules were never
    judged (posture.rules.engine), so their bands would flag what nobody judged."""
    if profile is None or load_declared(payload):
        return list(specs)
    out = []
    for spec in specs:
        rules = []
        for rid in spec.rule_ids:
            try:
                rules.append(profile.rule(rid))
            except KeyError:
                continue
        if rules and all(getattr(r, "requires_load", False) for r in rules):
            continue
        out.append(spec)
    return out


def chart_specs(payload: SessionPayload, series: Sequence[Mapping[str, Any]], profile: Any,
                calibration: Any = None) -> list[Any]:
    """The angle charts of a session: its activity's banded metrics that were measured."""
    if not series or payload.activity not in ("sitting", "standing", "lifting"):
        return []
    df = pd.DataFrame(list(series))
    if "activity" not in df:
        return []
    specs = chartable(df, metric_bands(profile, payload.activity, calibration))
    return judged_specs(specs, profile, payload)
