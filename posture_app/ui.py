"""Look and wording shared by every page: theme CSS, status words, headers, error guard.

Status is always shown as colour *and* a word *and* a symbol (never colour
alone), with short, positive wording (clinical-criteria.md §7).
"""

from __future__ import annotations

import base64
import html
import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import streamlit as st

log = logging.getLogger("posture_app")

# Hex colours for the page (the overlay's COLOURS are RGB in posture.render).
STATUS_COLOURS: dict[str, str] = {
    "ok": "#15803d",
    "caution": "#b45309",
    "poor": "#b91c1c",
    "n/a": "#64748b",
}
STATUS_TINTS: dict[str, str] = {
    "ok": "#e8f6ee",
    "caution": "#fdf3e1",
    "poor": "#fdecec",
    "n/a": "#f1f5f9",
}
# Chart fills (lighter, for shaded bands behind a line).
BAND_FILLS: dict[str, str] = {"ok": "#22c55e", "caution": "#f59e0b", "poor": "#ef4444"}
STATUS_WORDS: dict[str, str] = {
    "ok": "Good",
    "caution": "Check",
    "poor": "Adjust",
    "n/a": "Not measured",
}
STATUS_SYMBOLS: dict[str, str] = {"ok": "✓", "caution": "!", "poor": "✕", "n/a": "–"}
PRIMARY = "#0f766e"

# ------------------------------------------------------------------ patient words
# Shared label tables (metric / rule category → a patient's words). The technical names
# (records.METRIC_LABELS) stay for the therapist's tables; a patient reads these.
VIEW_WORDS: dict[str, str] = {
    "side_left": "Side-on", "side_right": "Side-on", "front": "Facing the camera",
    "oblique": "At an angle", "unknown": "Not in view",
}
# metric → (body part, the sentence when the check is good)
CHECK_WORDS: dict[str, tuple[str, str]] = {
    "neck_inclination_deg": ("Head", "Head balanced over your shoulders"),
    "neck_flexion_deg": ("Head", "Head balanced over your shoulders"),
    "trunk_lean_deg": ("Back", "Back upright"),
    "trunk_inclination_deg": ("Back", "Back within a safe angle"),
    "trunk_minus_shin_deg": ("Chest", "Chest up, in line with your shins"),
    "knee_hyperextension_deg": ("Knees", "Knees soft, not locked"),
    "trunk_lateral_tilt_deg": ("Shoulders", "Shoulders level"),
    "head_tilt_deg": ("Head", "Head level"),
    "knee_valgus_deg": ("Knees", "Knees over your toes"),
    "trunk_twist_deg": ("Trunk", "Not twisting"),
    "load_distance_cm": ("Load", "Load close to your body"),
    "stoop_squat_index": ("Legs", "Bending your knees, not only your back"),
    "heel_rise_deg": ("Heels", "Heels down"),
}
# rule category → the sentence when that check is off
PROBLEM_WORDS: dict[str, str] = {
    "forward_head": "Head drifting forward",
    "slouched_trunk": "Slouching forward",
    "reclined": "Leaning far back",
    "trunk_forward_lean": "Leaning forward",
    "knee_hyperextension": "Knees pushed back (locked)",
    "lateral_tilt": "Leaning to one side",
    "rounded_back": "Bending far forward from the back",
    "excessive_forward_lean": "Chest dropping ahead of your shins",
    "knee_valgus": "Knees caving in",
    "trunk_twist": "Twisting your trunk",
    "load_far": "Load far from your body",
    "stoop_lift": "Lifting with straight legs (a stoop)",
    "shallow_squat": "Not going very deep",
    "heel_lift": "Heels lifting",
    "framing": "Camera position",
}
# rule category → the check's name in a sentence ("… could not check knees caving in")
CHECK_NAMES: dict[str, str] = {
    "forward_head": "head forward", "slouched_trunk": "slouching", "reclined": "leaning back",
    "trunk_forward_lean": "leaning forward", "knee_hyperextension": "locked knees",
    "lateral_tilt": "leaning sideways", "rounded_back": "rounded back",
    "excessive_forward_lean": "chest dropping", "knee_valgus": "knees caving in",
    "trunk_twist": "twisting", "load_far": "load distance", "stoop_lift": "stoop lift",
    "shallow_squat": "squat depth", "heel_lift": "heels lifting",
}
# rule category → when a guarded check is judged (its guard does not hold now)
WHEN_WORDS: dict[str, str] = {
    "rounded_back": "Checked when you bend with straight knees",
    "excessive_forward_lean": "Checked at the bottom of a squat",
    "forward_head": "Checked while you stand upright",
}
# lift verdicts (report-schema) → words on the lift card
VERDICT_WORDS: dict[str, tuple[str, str]] = {
    "good": ("ok", "Looked good"),
    "partly_judged": ("ok", "No faults in what could be seen"),
    "faulty": ("caution", "Something to work on"),
    "not_judged": ("n/a", "Could not be judged"),
}


def check_words(metric: str, problem_category: str | None = None) -> tuple[str, str]:
    """(body part, sentence) for one check: the good sentence, or the problem's."""
    part, good = CHECK_WORDS.get(metric, (metric.replace("_deg", "").replace("_", " ")
                                          .capitalize(), "Within the good range"))
    if problem_category is None:
        return part, good
    return part, PROBLEM_WORDS.get(problem_category,
                                   problem_category.replace("_", " ").capitalize())


def join_words(words: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]

CSS = """
<style>
:root { --posture-primary: #0f766e; }
.block-container { padding-top: 2.2rem; padding-bottom: 3rem; max-width: 1280px; }
section[data-testid="stSidebar"] { border-right: 1px solid #e2ebe9; }
.posture-header h1 { font-size: 1.9rem; font-weight: 650; margin: 0 0 .15rem 0;
  color: #134e4a; letter-spacing: -.01em; }
.posture-header p { font-size: 1.05rem; color: #475569; margin: 0 0 1.1rem 0; }
.posture-cue { border-radius: 14px; padding: 1.1rem 1.3rem; margin: .2rem 0 .8rem 0;
  border-left: 10px solid var(--cue-colour); background: var(--cue-tint); }
.posture-cue .cue-label { font-size: .85rem; text-transform: uppercase; letter-spacing: .06em;
  color: var(--cue-colour); font-weight: 700; }
.posture-cue .cue-text { font-size: 2.0rem; line-height: 1.25; font-weight: 620;
  color: #0f172a; margin-top: .25rem; }
.posture-cue.big .cue-text { font-size: 2.8rem; }
.posture-pill { display: inline-block; border-radius: 999px; padding: .12rem .65rem;
  font-weight: 650; font-size: .9rem; border: 1px solid currentColor; white-space: nowrap; }
.posture-angles { width: 100%; border-collapse: collapse; font-size: 1.02rem; }
.posture-angles td { padding: .38rem .3rem; border-bottom: 1px solid #e5eeec;
  vertical-align: middle; }
.posture-angles td.value { font-size: 1.35rem; font-weight: 650; text-align: right;
  font-variant-numeric: tabular-nums; white-space: nowrap; }
.posture-angles td.band { color: #64748b; font-size: .88rem; }
.posture-stat { background: #f0f5f4; border-radius: 12px; padding: .7rem .9rem; }
.posture-stat .label { color: #475569; font-size: .85rem; }
.posture-stat .value { font-size: 1.7rem; font-weight: 650; color: #134e4a;
  font-variant-numeric: tabular-nums; }
.posture-stat .value.small { font-size: 1.2rem; }
.posture-band-bar { display: flex; height: 34px; border-radius: 10px; overflow: hidden;
  margin: .3rem 0 .4rem 0; border: 1px solid #dbe5e3; }
.posture-band-bar div { display: flex; align-items: center; justify-content: center;
  color: white; font-weight: 650; font-size: .9rem; white-space: nowrap; overflow: hidden; }
.posture-muted { color: #64748b; font-size: .92rem; }
.posture-angles td.num { text-align: right; font-weight: 600; white-space: nowrap;
  font-variant-numeric: tabular-nums; }
.posture-angles td.part { font-weight: 650; color: #134e4a; white-space: nowrap; }
.posture-angles td.say { color: #334155; }
.posture-lift { border-radius: 12px; padding: .6rem .9rem; margin: .5rem 0;
  border-left: 8px solid var(--lift-colour); background: var(--lift-tint); }
.posture-lift .title { font-weight: 650; color: #0f172a; }
.posture-setup { display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; }
.posture-setup img, .posture-setup svg { flex: 0 1 auto; max-width: 100%; height: auto; }
.posture-setup ul { margin: 0; padding-left: 1.1rem; }
.posture-privacy { background: #f0f5f4; border-radius: 12px; padding: .9rem 1.1rem;
  border-left: 6px solid #0f766e; }
div[data-testid="stMetricValue"] { font-variant-numeric: tabular-nums; }
</style>
"""


def inject_css() -> None:
    st.html(CSS)


def page_header(title: str, purpose: str) -> None:
    """The page title and one line saying what the page does."""
    st.html(f'<div class="posture-header"><h1>{html.escape(title)}</h1>'
            f"<p>{html.escape(purpose)}</p></div>")


def status_word(status: str | None) -> str:
    return STATUS_WORDS.get(status or "n/a", STATUS_WORDS["n/a"])


def status_label(status: str | None) -> str:
    """'✓ Good' — symbol and word, for tables where HTML is not available."""
    s = status or "n/a"
    return f"{STATUS_SYMBOLS.get(s, '–')} {status_word(s)}"


def pill(status: str | None, text: str | None = None) -> str:
    s = status if status in STATUS_COLOURS else "n/a"
    label = text if text is not None else status_label(s)
    return (f'<span class="posture-pill" style="color:{STATUS_COLOURS[s]};'
            f'background:{STATUS_TINTS[s]}">{html.escape(label)}</span>')


def cue_card(text: str, status: str = "ok", label: str = "Coach", big: bool = False) -> str:
    s = status if status in STATUS_COLOURS else "n/a"
    cls = "posture-cue big" if big else "posture-cue"
    return (f'<div class="{cls}" style="--cue-colour:{STATUS_COLOURS[s]};'
            f'--cue-tint:{STATUS_TINTS[s]}"><div class="cue-label">{html.escape(label)}</div>'
            f'<div class="cue-text">{html.escape(text)}</div></div>')


def stat_box(label: str, value: str, small: bool = False) -> str:
    cls = "value small" if small else "value"
    return (f'<div class="posture-stat"><div class="label">{html.escape(label)}</div>'
            f'<div class="{cls}">{html.escape(value)}</div></div>')


def lift_card(index: int, verdict: str, score: float | None, faults: str,
              worst_fault: str | None = None) -> str:
    """The last lift: its number, verdict, score and faults — from one lift record."""
    status, words = VERDICT_WORDS.get(verdict, ("n/a", verdict or "–"))
    if verdict == "faulty":
        status = worst_fault if worst_fault in ("caution", "poor") else "caution"
    score_txt = f" · score {score:.0f}/100" if score is not None else ""
    detail = f'<div class="posture-muted">{html.escape(faults)}</div>' if faults else ""
    return (f'<div class="posture-lift" style="--lift-colour:{STATUS_COLOURS[status]};'
            f'--lift-tint:{STATUS_TINTS[status]}"><div class="title">'
            f"{STATUS_SYMBOLS[status]} Lift {index}: {html.escape(words)}"
            f"{html.escape(score_txt)}</div>{detail}</div>")


# A picture of where to put the camera (drawn here, no file fetched): side-on, about hip
# height, 2–3 m away, the whole body in view.
CAMERA_SETUP_ALT = ("Left, seen from the side: the camera on a stand at hip height, 2 to 3 "
                    "metres from the person, whose whole body is inside the camera's view. "
                    "Right, seen from above: the person stands side-on, facing across the "
                    "picture.")
CAMERA_SETUP_SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="420" height="190"
 viewBox="0 0 420 190" role="img" aria-label="Left, seen from the side: the camera on a
 stand at hip height, 2 to 3 metres from the person, whose whole body is inside the camera's
 view. Right, seen from above: the person stands side-on, facing across the picture.">
<title>Where to put the camera</title>
<g font-family="sans-serif" font-size="11">
<text x="130" y="12" text-anchor="middle" fill="#475569">From the side</text>
<line x1="8" y1="150" x2="262" y2="150" stroke="#94a3b8" stroke-width="2"/>
<polygon points="64,97 236,20 236,152" fill="#0f766e" fill-opacity=".10"
 stroke="#0f766e" stroke-opacity=".5" stroke-dasharray="4 3"/>
<line x1="46" y1="150" x2="46" y2="104" stroke="#334155" stroke-width="3"/>
<line x1="34" y1="150" x2="46" y2="132" stroke="#334155" stroke-width="2"/>
<line x1="58" y1="150" x2="46" y2="132" stroke="#334155" stroke-width="2"/>
<rect x="32" y="88" width="30" height="18" rx="3" fill="#0f766e"/>
<circle cx="63" cy="97" r="5" fill="#134e4a"/>
<g stroke="#0f172a" stroke-width="5" stroke-linecap="round" fill="none">
<circle cx="226" cy="38" r="10" fill="#0f172a" stroke="none"/>
<line x1="226" y1="50" x2="226" y2="97"/>
<line x1="226" y1="97" x2="221" y2="148"/>
<line x1="226" y1="97" x2="232" y2="148"/>
<line x1="226" y1="60" x2="231" y2="94"/>
</g>
<line x1="20" y1="150" x2="20" y2="97" stroke="#b45309" stroke-width="1.5"
 stroke-dasharray="3 2"/>
<line x1="14" y1="97" x2="220" y2="97" stroke="#b45309" stroke-width="1"
 stroke-dasharray="2 4"/>
<text x="8" y="86" fill="#b45309">hip height</text>
<line x1="68" y1="174" x2="220" y2="174" stroke="#b45309" stroke-width="1.5"/>
<polygon points="68,174 76,170 76,178" fill="#b45309"/>
<polygon points="220,174 212,170 212,178" fill="#b45309"/>
<text x="144" y="167" text-anchor="middle" fill="#b45309" font-size="12">2–3 m</text>
<line x1="282" y1="20" x2="282" y2="180" stroke="#e2e8f0" stroke-width="1.5"/>
<text x="352" y="12" text-anchor="middle" fill="#475569">From above</text>
<rect x="292" y="104" width="20" height="14" rx="2" fill="#0f766e"/>
<circle cx="313" cy="111" r="4" fill="#134e4a"/>
<line x1="318" y1="111" x2="372" y2="111" stroke="#0f766e" stroke-dasharray="4 3"/>
<ellipse cx="386" cy="111" rx="20" ry="7" fill="#cbd5e1" stroke="#0f172a"
 stroke-width="2"/>
<circle cx="386" cy="111" r="6" fill="#0f172a"/>
<line x1="386" y1="103" x2="386" y2="84" stroke="#15803d" stroke-width="2.5"/>
<polygon points="386,78 381,87 391,87" fill="#15803d"/>
<text x="352" y="148" text-anchor="middle" fill="#15803d">side-on: face</text>
<text x="352" y="162" text-anchor="middle" fill="#15803d">across, not at</text>
<text x="352" y="176" text-anchor="middle" fill="#15803d">the camera</text>
</g>
</svg>"""
CAMERA_SETUP_LINES: tuple[str, ...] = (
    "Camera at about hip height, on a shelf or a stack of books.",
    "2–3 m away, so your whole body — head to feet — is in the picture.",
    "Side-on: you face across the picture, not towards the camera (for sitting, standing, "
    "lifting and squats).",
    "Light in front of you or from the side, not a bright window behind you.",
)


def camera_setup_html(lines: tuple[str, ...] = CAMERA_SETUP_LINES) -> str:
    """The camera set-up picture with one line per point."""
    items = "".join(f"<li>{html.escape(x)}</li>" for x in lines)
    # st.html's sanitiser drops inline <svg>; an <img> with the drawing as a data URI
    # survives it and still fetches nothing.
    uri = "data:image/svg+xml;base64," + base64.b64encode(CAMERA_SETUP_SVG.encode()).decode()
    alt = html.escape(CAMERA_SETUP_ALT, quote=True)
    return (f'<div class="posture-setup"><img src="{uri}" alt="{alt}" width="420" '
            f'height="190"><ul>{items}</ul></div>')


def band_bar(time_by_severity: dict[str, float]) -> str:
    """A horizontal bar: share of time Good / Check / Adjust, with words inside."""
    total = sum(max(float(time_by_severity.get(k) or 0.0), 0.0) for k in ("ok", "caution", "poor"))
    if total <= 0:
        return '<div class="posture-muted">No measured time yet.</div>'
    parts = []
    for key in ("ok", "caution", "poor"):
        v = max(float(time_by_severity.get(key) or 0.0), 0.0)
        if v <= 0:
            continue
        share = 100.0 * v / total
        if share >= 25:
            text = f"{STATUS_SYMBOLS[key]} {status_word(key)} {share:.0f}%"
        else:
            text = f"{STATUS_SYMBOLS[key]} {share:.0f}%" if share >= 8 else ""
        parts.append(f'<div style="width:{share:.2f}%;background:{STATUS_COLOURS[key]}" '
                     f'title="{status_word(key)}: {fmt_duration(v)} ({share:.0f}%)">'
                     f"{html.escape(text)}</div>")
    return f'<div class="posture-band-bar">{"".join(parts)}</div>'


def fmt_duration(seconds: float | None) -> str:
    """'1 h 02 min', '4 min 05 s', '12 s'."""
    if seconds is None or not math.isfinite(seconds):
        return "–"
    if seconds < 9.95:
        return f"{max(seconds, 0.0):.1f} s".replace(".0 s", " s")
    s = round(max(seconds, 0.0))
    if s >= 3600:
        return f"{s // 3600} h {s % 3600 // 60:02d} min"
    if s >= 60:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s} s"


def fmt_clock(seconds: float | None) -> str:
    """'03:25' (or '1:03:25') for a session timer / a time in a clip."""
    if seconds is None or not math.isfinite(seconds):
        return "–"
    s = int(max(seconds, 0.0))
    if s >= 3600:
        return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
    return f"{s // 60:02d}:{s % 60:02d}"


def fmt_num(value: Any, unit: str = "", digits: int = 0) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return "–"
    if not math.isfinite(v):
        return "–"
    return f"{v:.{digits}f}{unit}"


FRIENDLY_FALLBACK = ("Something went wrong while {what}. Please try again; if it keeps "
                     "happening, restart the app.")


@contextmanager
def guard(what: str) -> Iterator[None]:
    """Show library errors as one sentence on the page, never a traceback.

    ``PostureError`` (and subclasses) carry a sentence meant for the patient;
    anything else is logged for a bug report and replaced by a plain sentence.
    """
    from posture.errors import PostureError

    try:
        yield
    except PostureError as err:
        st.error(str(err), icon=":material/error:")
    except Exception:  # the page must never show a traceback
        log.exception("unexpected error while %s", what)
        st.error(FRIENDLY_FALLBACK.format(what=what), icon=":material/error:")
