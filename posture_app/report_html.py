"""A printable, self-contained HTML report a patient can print to PDF for their therapist.

One file: inline CSS, charts as inline SVG, key frames as base64 JPEG. Nothing
is loaded from the network, so it opens the same on any computer, offline.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from posture import __version__
from posture.printable import REPORT_CSS
from posture_app.charts import MetricBands
from posture_app.media import data_uri
from posture_app.records import (
    SessionPayload,
    events_frame,
    finite,
    metric_hint,
    rep_status,
    reps_frame,
)
from posture_app.session_text import (
    headline,
    moments,
    not_judged_rows,
    score_tiles,
    score_view,
    therapist_rows,
    tips_for,
)
from posture_app.ui import (
    BAND_FILLS,
    PRIMARY,
    STATUS_COLOURS,
    STATUS_SYMBOLS,
    fmt_duration,
    status_word,
)

CSS = REPORT_CSS + """
.headline { font-size: 16px; font-weight: 600; margin: 12px 0; }
.bar { display: flex; height: 26px; border-radius: 8px; overflow: hidden; margin: 6px 0;
  border: 1px solid #dbe5e3; }
.bar div { color: #fff; font-size: 12px; font-weight: 650; display: flex; align-items: center;
  justify-content: center; white-space: nowrap; overflow: hidden;
  -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.frames { display: flex; flex-wrap: wrap; gap: 10px; }
.frames figure { margin: 0; width: calc(50% - 5px); }
.frames img { width: 100%; border-radius: 8px; border: 1px solid #dbe5e3; }
.frames figcaption { font-size: 12px; color: #475569; margin-top: 2px; }
.chart .t { font-size: 13px; font-weight: 600; color: #134e4a; }
.note { font-size: 12px; color: #64748b; margin-top: 22px; line-height: 1.45; }
.score { background: #f0f5f4; border-left: 4px solid #0f766e; border-radius: 8px;
  padding: 8px 12px; margin: 10px 0; font-size: 13px; line-height: 1.45; }
.score b { color: #134e4a; }
dl.details { display: grid; grid-template-columns: max-content 1fr; gap: 3px 14px;
  font-size: 12px; margin: 4px 0; }
dl.details dt { color: #475569; } dl.details dd { margin: 0; }
@media print {
  main { padding: 0; max-width: none; }
  h2 { break-after: avoid; }
  .chart, figure, tr { break-inside: avoid; }
  .tile, .bar div, svg { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def _esc(v: Any) -> str:
    return html.escape("" if v is None else str(v))


def thin(pts: list[tuple[float, float | None]], limit: int = 1200
         ) -> list[tuple[float, float | None]]:
    """At most about ``limit`` points, keeping each bucket's lowest and highest value (peaks
    stay visible) and the gaps where nothing was measured (a long session stays small)."""
    if len(pts) <= limit:
        return pts
    size = math.ceil(len(pts) / (limit / 2))
    out: list[tuple[float, float | None]] = []
    for i in range(0, len(pts), size):
        bucket = pts[i:i + size]
        vals = [(t, v) for t, v in bucket if v is not None]
        if not vals:
            out.append((bucket[0][0], None))
            continue
        lo = min(vals, key=lambda p: p[1] if p[1] is not None else math.inf)
        hi = max(vals, key=lambda p: p[1] if p[1] is not None else -math.inf)
        out.extend(sorted({lo, hi}))
    return out


def svg_chart(series: Sequence[Mapping[str, Any]], spec: MetricBands,
              events: Sequence[Mapping[str, Any]] = (), width: int = 796,
              height: int = 150) -> str:
    """A small line chart with the caution/poor bands and the metric's events shaded."""
    pts = thin([(float(r["t"]), finite(r.get(spec.metric))) for r in series])
    vals = [v for _, v in pts if v is not None]
    if len(vals) < 2:
        return ""
    left, right, top, bottom = 44, 8, 8, 22
    w, h = width - left - right, height - top - bottom
    t0, t1 = pts[0][0], max(pts[-1][0], pts[0][0] + 1e-3)
    lo, hi = min(vals), max(vals)
    edges = [b for a, c, _ in spec.intervals for b in (a, c) if math.isfinite(b)]
    near = [e for e in edges if lo - 25 <= e <= hi + 25]
    y0, y1 = min([lo, *near]) - 5, max([hi, *near]) + 5

    def x(t: float) -> float:
        return left + (t - t0) / (t1 - t0) * w

    def y(v: float) -> float:
        return top + (1 - (v - y0) / (y1 - y0)) * h

    parts = [f'<rect x="{left}" y="{top}" width="{w}" height="{h}" fill="#f8fbfa"/>']
    for a, b, s in spec.intervals:
        a2, b2 = max(a, y0), min(b, y1)
        if b2 > a2:
            parts.append(f'<rect x="{left}" y="{y(b2):.1f}" width="{w}" '
                         f'height="{y(a2) - y(b2):.1f}" fill="{BAND_FILLS[s]}" '
                         'fill-opacity="0.16"/>')
    for e in events:
        if spec.rule_ids and e.get("rule") not in spec.rule_ids:
            continue
        es, ee = finite(e.get("start_s")), finite(e.get("end_s"))
        if es is None:
            continue
        ee = ee if ee is not None else es + 0.2
        colour = STATUS_COLOURS.get(str(e.get("severity")), STATUS_COLOURS["caution"])
        parts.append(f'<rect x="{x(es):.1f}" y="{top}" width="{max(x(ee) - x(es), 1.5):.1f}" '
                     f'height="{h}" fill="{colour}" fill-opacity="0.22"/>')
    # Axes: "nice" y ticks (at most 5), ~6 x ticks.
    ystep = next((s for s in (1, 2, 5, 10, 20, 25, 50, 100, 200) if (y1 - y0) / s <= 5), 500)
    v = math.ceil(y0 / ystep) * ystep
    while v <= y1:
        parts.append(f'<line x1="{left}" x2="{left + w}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
                     'stroke="#e2e8f0" stroke-width="1"/>')
        parts.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" font-size="10" '
                     f'text-anchor="end" fill="#64748b">{v:.0f}</text>')
        v += ystep
    span = t1 - t0
    step = next((s for s in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600)
                 if span / s <= 7), 7200)
    tick = math.ceil(t0 / step) * step
    while tick <= t1 + 1e-9:
        label = f"{tick:.0f} s" if span < 120 else f"{tick / 60:.0f} min"
        parts.append(f'<text x="{x(tick):.1f}" y="{height - 6}" font-size="10" '
                     f'text-anchor="middle" fill="#64748b">{label}</text>')
        tick += step
    # The line, broken where the angle could not be measured.
    runs: list[list[str]] = [[]]
    for pt, pv in pts:
        if pv is None:
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append(f"{x(pt):.1f},{y(pv):.1f}")
    for run in runs:
        if len(run) >= 2:
            parts.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="{PRIMARY}" '
                         'stroke-width="2" stroke-linejoin="round"/>')
    title = spec.label + (f" — {spec.text}" if spec.text else "")
    hint = metric_hint(spec.metric)
    hint_html = f'<div class="hint">{_esc(hint)}</div>' if hint else ""
    return (f'<div class="chart"><div class="t">{_esc(title)}</div>{hint_html}'
            f'<svg xmlns="http://www.w3.org/2000/svg" width="100%" viewBox="0 0 {width} {height}"'
            f' role="img" aria-label="{_esc(spec.label)} over time">{"".join(parts)}</svg></div>')


def _table(df: Any) -> str:
    if df is None or len(df) == 0:
        return ""
    head = "".join(f"<th>{_esc(c)}</th>" for c in df.columns)
    body = []
    for row in df.itertuples(index=False):
        cells = []
        for v in row:
            if isinstance(v, float):
                v = "–" if math.isnan(v) else f"{v:.0f}"
            cells.append(f"<td>{_esc(v)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _band_bar(t: Mapping[str, Any]) -> str:
    total = sum(float(finite(t.get(k)) or 0.0) for k in ("ok", "caution", "poor"))
    if total <= 0:
        return "<p>No measured time.</p>"
    divs = []
    for k in ("ok", "caution", "poor"):
        v = float(finite(t.get(k)) or 0.0)
        if v <= 0:
            continue
        share = 100 * v / total
        text = (f"{STATUS_SYMBOLS[k]} {status_word(k)} {share:.0f}%" if share >= 20 else
                f"{STATUS_SYMBOLS[k]} {share:.0f}%" if share >= 6 else "")
        divs.append(f'<div style="width:{share:.2f}%;background:{STATUS_COLOURS[k]}">'
                    f"{_esc(text)}</div>")
    words = " · ".join(f"{STATUS_SYMBOLS[k]} {status_word(k)}: "
                       f"{fmt_duration(float(finite(t.get(k)) or 0.0))}"
                       for k in ("ok", "caution", "poor"))
    return f'<div class="bar">{"".join(divs)}</div><div class="sub">{_esc(words)}</div>'


def svg_rep_scores(reps: Sequence[Mapping[str, Any]], width: int = 796, height: int = 150
                   ) -> str:
    """The lift score of each lift as a bar (a grey stub where a lift was not judged)."""
    if not reps:
        return ""
    left, right, top, bottom = 44, 8, 8, 22
    w, h = width - left - right, height - top - bottom
    n = len(reps)
    slot = w / n
    bar = max(min(slot * 0.6, 46.0), 2.0)

    def y(v: float) -> float:
        return top + (1 - v / 100.0) * h

    parts = [f'<rect x="{left}" y="{top}" width="{w}" height="{h}" fill="#f8fbfa"/>']
    for v in (0, 25, 50, 75, 100):
        parts.append(f'<line x1="{left}" x2="{left + w}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
                     'stroke="#e2e8f0" stroke-width="1"/>')
        parts.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" font-size="10" '
                     f'text-anchor="end" fill="#64748b">{v}</text>')
    label_every = max(1, math.ceil(n / 25))
    for i, r in enumerate(reps):
        cx = left + slot * (i + 0.5)
        score = finite(r.get("score"))
        if score is None or r.get("verdict") == "not_judged":
            parts.append(f'<rect x="{cx - bar / 2:.1f}" y="{y(3):.1f}" width="{bar:.1f}" '
                         f'height="{y(0) - y(3):.1f}" fill="{STATUS_COLOURS["n/a"]}"/>')
            parts.append(f'<text x="{cx:.1f}" y="{y(3) - 3:.1f}" font-size="9" '
                         'text-anchor="middle" fill="#64748b">n/a</text>')
        else:
            colour = STATUS_COLOURS.get(rep_status(r), STATUS_COLOURS["ok"])
            parts.append(f'<rect x="{cx - bar / 2:.1f}" y="{y(score):.1f}" width="{bar:.1f}" '
                         f'height="{y(0) - y(score):.1f}" fill="{colour}"/>')
        if i % label_every == 0:
            parts.append(f'<text x="{cx:.1f}" y="{height - 6}" font-size="10" '
                         f'text-anchor="middle" fill="#64748b">{_esc(r.get("index", i + 1))}'
                         "</text>")
    return (f'<div class="chart"><div class="t">Lift score of each lift (0–100; 100 = no fault '
            'seen; grey = not judged)</div>'
            f'<svg xmlns="http://www.w3.org/2000/svg" width="100%" viewBox="0 0 {width} {height}"'
            f' role="img" aria-label="Lift score of each lift">{"".join(parts)}</svg></div>')


def _score_html(payload: SessionPayload) -> str:
    view = score_view(payload)
    value = (f"<b>{_esc(view.label)}: {_esc(view.text)}</b>" if view.judged else
             f"<b>{_esc(view.label)}: not judged</b> — {_esc(view.reason)}.")
    return (f'<div class="score">{value}<br/>{_esc(view.definition)}<br/>{_esc(view.good)}'
            "</div>")


def build_html_report(payload: SessionPayload, *, title: str, source: str,
                      series: Sequence[Mapping[str, Any]] = (),
                      specs: Sequence[MetricBands] = (), profile: Any = None,
                      key_frames: Sequence[tuple[str, bytes]] = (),
                      created: datetime | None = None, notes: Sequence[str] = (),
                      patient: str = "", therapist_notes: str = "") -> str:
    """The whole report: who and when, the named score with its meaning, time in each band,
    charts (inline SVG), lifts, moments, what was not judged, notes, key frames."""
    created = created or datetime.now()
    s = payload.summary
    kept, superseded = moments(payload)
    tile_html = "".join(f'<div class="tile"><div class="l">{_esc(a)}</div>'
                        f'<div class="v">{_esc(b)}</div></div>' for a, b in score_tiles(payload))
    charts = "".join(svg_chart(series, spec, kept) for spec in specs)
    rep_chart = svg_rep_scores(payload.reps)
    if not series and not charts:
        no_charts = ("<p class='hint'>Angles over time are not kept after a session (only its "
                     "summary, lifts and moments), so this report has no angle charts.</p>")
    else:
        no_charts = ""
    frames = "".join(f'<figure><img src="{data_uri(jpg)}" alt="{_esc(cap)}"/>'
                     f"<figcaption>{_esc(cap)}</figcaption></figure>" for cap, jpg in key_frames)
    events_html = _table(events_frame(kept, profile)) or \
        "<p>No posture events — nothing was held outside the good band for long.</p>"
    if superseded:
        events_html += (f"<p class='hint'>{len(superseded)} brief moment(s) during lifts are "
                        "not listed: each lift is judged as a whole by its own checks.</p>")
    reps_html = _table(reps_frame(payload.reps)) if payload.reps else ""
    tips = tips_for(payload, profile)
    tips_html = ("<h2>Tips to try</h2><ul>" + "".join(f"<li>{_esc(t)}</li>" for t in tips)
                 + "</ul>") if tips else ""
    gaps = not_judged_rows(s)
    gaps_html = ("<h2>Not judged</h2><p>No verdict was given on these checks: the camera "
                 "could not show them reliably.</p><ul>"
                 + "".join(f"<li>{_esc(g)}</li>" for g in gaps) + "</ul>") if gaps else \
        "<h2>Not judged</h2><p>Every check could be judged.</p>"
    details = "".join(f"<dt>{_esc(a)}</dt><dd>{_esc(b)}</dd>"
                      for a, b in therapist_rows(payload, meaning=False))
    extra = "".join(f"<p>{_esc(n)}</p>" for n in notes)
    who = (f'<p class="patient">Patient: <b>{_esc(patient.strip())}</b></p>'
           if patient.strip() else "")
    notes_html = (f'<h2>Notes for the therapist</h2><div class="notes">'
                  f"{_esc(therapist_notes.strip())}</div>") if therapist_notes.strip() else (
        '<h2>Notes for the therapist</h2><div class="notes"></div>')
    when = created.strftime("%d %b %Y, %H:%M")
    profile_name = ((s.get("profile") or {}).get("name", "default")
                    if isinstance(s.get("profile"), Mapping) else "default")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>{_esc(title)}</title><style>{CSS}</style></head>
<body><main>
<h1>{_esc(title)}</h1>
{who}<p class="sub">{_esc(source) + " · " if source else ""}{_esc(when)}</p>
<p class="headline">{_esc(headline(payload))}</p>
<div class="tiles">{tile_html}</div>
{_score_html(payload)}
{tips_html}
<h2>Time in each band</h2>
{_band_bar(s.get("time_s_by_severity") or {})}
{"<h2>Angles over time</h2>" + charts if charts else ""}
{"<h2>Reps — each lift or squat</h2>" + rep_chart + reps_html if reps_html else ""}
{no_charts}
{gaps_html}
<h2>Moments to work on</h2>
{events_html}
{"<h2>Key moments</h2><div class='frames'>" + frames + "</div>" if frames else ""}
{notes_html}
<h2>Details for the therapist</h2>
<dl class="details">{details}</dl>
<div class="note">
<p>Shaded bands: amber = check, red = adjust; darker blocks mark the moments a tip was due.
Angles come from a single camera (MediaPipe Pose) and are estimates. This report supports a
conversation with your therapist; it is not a diagnosis. Posture is only weakly linked to back
pain — changing position often and staying active matter most.</p>{extra}
<p>posture {_esc(__version__)} · rule profile {_esc(profile_name)}</p>
</div>
</main></body></html>
"""
