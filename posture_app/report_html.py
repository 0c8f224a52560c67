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
from posture_app.charts import MetricBands
from posture_app.media import data_uri
from posture_app.records import (
    SessionPayload,
    events_frame,
    finite,
    reps_frame,
    share_ok,
)
from posture_app.summary import ACTIVITY_WORDS, headline, not_judged_rows
from posture_app.ui import (
    BAND_FILLS,
    PRIMARY,
    STATUS_COLOURS,
    STATUS_SYMBOLS,
    fmt_duration,
    status_word,
)

CSS = """
* { box-sizing: border-box; }
body { font-family: "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif; color: #1f2933;
  margin: 0; background: #ffffff; }
main { max-width: 860px; margin: 0 auto; padding: 28px 32px 40px; }
h1 { font-size: 24px; color: #134e4a; margin: 0 0 4px; }
h2 { font-size: 17px; color: #134e4a; margin: 26px 0 8px; border-bottom: 2px solid #d7e7e4;
  padding-bottom: 4px; }
.sub { color: #475569; margin: 0 0 14px; font-size: 14px; }
.headline { font-size: 16px; font-weight: 600; margin: 12px 0; }
.tiles { display: flex; gap: 10px; flex-wrap: wrap; }
.tile { flex: 1 1 120px; background: #f0f5f4; border-radius: 10px; padding: 8px 12px; }
.tile .l { font-size: 12px; color: #475569; }
.tile .v { font-size: 20px; font-weight: 650; color: #134e4a; }
.bar { display: flex; height: 26px; border-radius: 8px; overflow: hidden; margin: 6px 0;
  border: 1px solid #dbe5e3; }
.bar div { color: #fff; font-size: 12px; font-weight: 650; display: flex; align-items: center;
  justify-content: center; white-space: nowrap; overflow: hidden;
  -webkit-print-color-adjust: exact; print-color-adjust: exact; }
table { width: 100%; border-collapse: collapse; font-size: 13px; margin: 4px 0 8px; }
th { text-align: left; background: #f0f5f4; color: #134e4a; padding: 6px 8px; }
td { padding: 5px 8px; border-bottom: 1px solid #e5eeec; vertical-align: top; }
.frames { display: flex; flex-wrap: wrap; gap: 10px; }
.frames figure { margin: 0; width: calc(50% - 5px); }
.frames img { width: 100%; border-radius: 8px; border: 1px solid #dbe5e3; }
.frames figcaption { font-size: 12px; color: #475569; margin-top: 2px; }
.chart { margin: 6px 0 12px; }
.chart .t { font-size: 13px; font-weight: 600; color: #134e4a; }
.note { font-size: 12px; color: #64748b; margin-top: 22px; line-height: 1.45; }
svg text { font-family: inherit; }
@media print {
  main { padding: 0; max-width: none; }
  h2 { break-after: avoid; }
  .chart, figure, tr { break-inside: avoid; }
  .tile, .bar div, svg { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def _esc(v: Any) -> str:
    return html.escape("" if v is None else str(v))


def svg_chart(series: Sequence[Mapping[str, Any]], spec: MetricBands,
              events: Sequence[Mapping[str, Any]] = (), width: int = 796,
              height: int = 150) -> str:
    """A small line chart with the caution/poor bands and the metric's events shaded."""
    pts = [(float(r["t"]), finite(r.get(spec.metric))) for r in series]
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
    return (f'<div class="chart"><div class="t">{_esc(title)}</div>'
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


def build_html_report(payload: SessionPayload, *, title: str, source: str,
                      series: Sequence[Mapping[str, Any]] = (),
                      specs: Sequence[MetricBands] = (), profile: Any = None,
                      key_frames: Sequence[tuple[str, bytes]] = (),
                      created: datetime | None = None, notes: Sequence[str] = ()) -> str:
    created = created or datetime.now()
    s = payload.summary
    score = finite(s.get("score"))
    share = share_ok(s)
    detected = finite(s.get("detected_fraction"))
    tiles = [("Score", f"{score:.0f} / 100" if score is not None else "–"),
             ("Activity", ACTIVITY_WORDS.get(payload.activity, payload.activity)),
             ("Duration", fmt_duration(payload.duration_s)),
             ("Good posture", f"{share:.0%}" if share is not None else "–"),
             ("Person in view", f"{detected:.0%}" if detected is not None else "–")]
    if payload.reps:
        tiles.insert(4, ("Reps", str(len(payload.reps))))
    tile_html = "".join(f'<div class="tile"><div class="l">{_esc(a)}</div>'
                        f'<div class="v">{_esc(b)}</div></div>' for a, b in tiles)
    charts = "".join(svg_chart(series, spec, payload.events) for spec in specs)
    frames = "".join(f'<figure><img src="{data_uri(jpg)}" alt="{_esc(cap)}"/>'
                     f"<figcaption>{_esc(cap)}</figcaption></figure>" for cap, jpg in key_frames)
    events_html = _table(events_frame(payload.events, profile)) or \
        "<p>No posture events — nothing was held outside the good band for long.</p>"
    reps_html = _table(reps_frame(payload.reps)) if payload.reps else ""
    gaps = not_judged_rows(s)
    gaps_html = ("<h2>Not judged</h2><p>No verdict was given on these checks: the camera "
                 "could not show them reliably.</p><ul>"
                 + "".join(f"<li>{_esc(g)}</li>" for g in gaps) + "</ul>") if gaps else ""
    calib = s.get("calibration")
    calib_text = ("personal calibration" if isinstance(calib, Mapping)
                  else "population default bands")
    extra = "".join(f"<p>{_esc(n)}</p>" for n in notes)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>{_esc(title)}</title><style>{CSS}</style></head>
<body><main>
<h1>{_esc(title)}</h1>
<p class="sub">{_esc(source)} · analysed {_esc(created.strftime("%d %b %Y, %H:%M"))}</p>
<p class="headline">{_esc(headline(payload))}</p>
<div class="tiles">{tile_html}</div>
<h2>Time in each band</h2>
{_band_bar(s.get("time_s_by_severity") or {})}
{"<h2>Angles over time</h2>" + charts if charts else ""}
{"<h2>Reps</h2>" + reps_html if reps_html else ""}
{gaps_html}
<h2>Moments to work on</h2>
{events_html}
{"<h2>Key moments</h2><div class='frames'>" + frames + "</div>" if frames else ""}
<div class="note">
<p>Shaded bands: amber = check, red = adjust; darker blocks mark the moments a tip was due.
Angles come from a single camera (MediaPipe Pose) and are estimates, judged against
{_esc(calib_text)}. This report supports a conversation with your therapist; it is not a
diagnosis. Posture is only weakly linked to back pain — changing position often and staying
active matter most.</p>{extra}
<p>posture {_esc(__version__)} · rule profile {_esc((s.get("profile") or {}).get("name", "default")
if isinstance(s.get("profile"), Mapping) else "default")}</p>
</div>
</main></body></html>
"""
