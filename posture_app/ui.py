"""Look and wording shared by every page: theme CSS, status words, headers, error guard.

Status is always shown as colour *and* a word *and* a symbol (never colour
alone), with short, positive wording (clinical-criteria.md §7).
"""

from __future__ import annotations

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
