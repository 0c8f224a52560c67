"""Altair charts: angles over time with their bands and events shaded; trends over days."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt
import pandas as pd  # type: ignore[import-untyped]

from posture_app.records import SERIES_METRICS, finite, metric_label, metric_unit
from posture_app.ui import BAND_FILLS, PRIMARY, STATUS_COLOURS, status_word

# Unbanded context metrics worth plotting per activity (besides the rules' metrics).
CONTEXT_METRICS: dict[str, tuple[str, ...]] = {
    "lifting": ("knee_angle_deg", "hip_angle_deg"),
    "sitting": (),
    "standing": (),
}


@dataclass(frozen=True)
class MetricBands:
    metric: str
    label: str
    unit: str
    intervals: tuple[tuple[float, float, str], ...]  # (lo, hi, "caution" | "poor")
    rule_ids: tuple[str, ...]
    text: str  # "good below 40°"


def _rule_intervals(bands: Any, shift: float = 0.0) -> list[tuple[float, float, str]]:
    c = float(bands.caution)
    p = float(bands.poor) if bands.poor is not None else math.inf
    inf = math.inf
    if bands.direction == "high":
        out = [(c, p, "caution"), (p, inf, "poor")]
    elif bands.direction == "low":
        out = [(p if math.isfinite(p) else -inf, c, "caution"), (-inf, p, "poor")]
        if not math.isfinite(p):
            out = [(-inf, c, "caution")]
    else:  # abs
        out = [(c, p, "caution"), (p, inf, "poor"), (-p, -c, "caution"), (-inf, -p, "poor")]
    return [(lo + shift, hi + shift, s) for lo, hi, s in out if lo < hi]


def _band_text(bands: Any, unit: str, shift: float = 0.0) -> str:
    c = float(bands.caution) + shift
    if bands.direction == "high":
        return f"good below {c:.0f}{unit}"
    if bands.direction == "low":
        return f"good above {c:.0f}{unit}"
    return f"good within ±{abs(float(bands.caution)):.0f}{unit}"


def _merge_band_text(a: str, b: str, unit: str) -> str:
    """'good below 10°' + 'good above -20°' → 'good from -20° to 10°'."""
    below = [t for t in (a, b) if t.startswith("good below ")]
    above = [t for t in (a, b) if t.startswith("good above ")]
    if len(below) == 1 and len(above) == 1:
        hi = below[0].removeprefix("good below ")
        lo = above[0].removeprefix("good above ")
        return f"good from {lo} to {hi}"
    return f"{a}; {b}"


def metric_bands(profile: Any, activity: str, calibration: Any = None) -> list[MetricBands]:
    """The banded metrics of an activity's frame rules, in profile order."""
    if profile is None or activity not in ("sitting", "standing", "lifting"):
        return []
    by_metric: dict[str, MetricBands] = {}
    for rule in profile.frame_rules(activity):
        if rule.metric not in SERIES_METRICS:
            continue
        bands, shift = rule.bands, 0.0
        if calibration is not None and rule.calibrated is not None and \
                getattr(calibration, "activity", None) == activity:
            neutral = calibration.neutral_for(rule.metric)
            if neutral is not None:
                bands, shift = rule.calibrated, neutral
        unit = metric_unit(rule.metric)
        intervals = tuple(_rule_intervals(bands, shift))
        text = _band_text(bands, unit, shift)
        old = by_metric.get(rule.metric)
        if old is not None:
            intervals = old.intervals + intervals
            text = _merge_band_text(old.text, text, unit)
            ids = (*old.rule_ids, rule.id)
        else:
            ids = (rule.id,)
        by_metric[rule.metric] = MetricBands(rule.metric, metric_label(rule.metric), unit,
                                             intervals, ids, text)
    out = list(by_metric.values())
    for extra in CONTEXT_METRICS.get(activity, ()):
        if extra not in by_metric:
            out.append(MetricBands(extra, metric_label(extra), metric_unit(extra), (), (), ""))
    return out


def chartable(series: pd.DataFrame, specs: Sequence[MetricBands], min_points: int = 2
              ) -> list[MetricBands]:
    return [s for s in specs if s.metric in series and
            int(series[s.metric].notna().sum()) >= min_points]


def angle_chart(series: pd.DataFrame, spec: MetricBands,
                events: Sequence[Mapping[str, Any]] = (),
                reps: Sequence[Mapping[str, Any]] = (), height: int = 190) -> alt.LayerChart:
    """One metric over time: bands shaded behind the line, its events and reps marked."""
    data = series[["t", spec.metric]].rename(columns={spec.metric: "value"})
    values = data["value"].dropna()
    lo = float(values.min()) if len(values) else 0.0
    hi = float(values.max()) if len(values) else 1.0
    edges = [b for lo_, hi_, _ in spec.intervals for b in (lo_, hi_) if math.isfinite(b)]
    near = [e for e in edges if lo - 25 <= e <= hi + 25]
    y0 = min([lo, *near]) - 5
    y1 = max([hi, *near]) + 5
    t0 = float(series["t"].min()) if len(series) else 0.0
    t1 = float(series["t"].max()) if len(series) else 1.0
    y_scale = alt.Scale(domain=[y0, y1], nice=False, zero=False)
    x_scale = alt.Scale(domain=[t0, max(t1, t0 + 1e-3)], nice=False)
    zoom = alt.selection_interval(bind="scales", encodings=["x"])
    layers: list[alt.Chart] = []

    band_rows = [{"y": max(a, y0), "y2": min(b, y1), "band": status_word(s),
                  "status": s} for a, b, s in spec.intervals if min(b, y1) > max(a, y0)]
    if band_rows:
        layers.append(alt.Chart(pd.DataFrame(band_rows)).mark_rect(opacity=0.13).encode(
            y=alt.Y("y:Q", scale=y_scale), y2="y2:Q",
            color=alt.Color("status:N", legend=None, scale=alt.Scale(
                domain=["caution", "poor"], range=[BAND_FILLS["caution"], BAND_FILLS["poor"]])),
            tooltip=[alt.Tooltip("band:N", title="Band")]))

    ev_rows = []
    for e in events:
        if spec.rule_ids and e.get("rule") not in spec.rule_ids:
            continue
        s, t = finite(e.get("start_s")), finite(e.get("end_s"))
        if s is None:
            continue
        ev_rows.append({"start": s, "end": t if t is not None else s + 0.2,
                        "status": e.get("severity", "caution"),
                        "level": status_word(e.get("severity")), "tip": e.get("cue") or ""})
    if ev_rows:
        layers.append(alt.Chart(pd.DataFrame(ev_rows)).mark_rect(opacity=0.22).encode(
            x=alt.X("start:Q", scale=x_scale), x2="end:Q",
            color=alt.Color("status:N", legend=None, scale=alt.Scale(
                domain=["caution", "poor"], range=[STATUS_COLOURS["caution"],
                                                   STATUS_COLOURS["poor"]])),
            tooltip=[alt.Tooltip("level:N", title="Event"), alt.Tooltip("tip:N", title="Tip"),
                     alt.Tooltip("start:Q", format=".1f", title="From (s)"),
                     alt.Tooltip("end:Q", format=".1f", title="To (s)")]))

    rep_rows = [{"t": finite(r.get("bottom_s")), "rep": f"Rep {r.get('index')}"}
                for r in reps if finite(r.get("bottom_s")) is not None]
    if rep_rows:
        layers.append(alt.Chart(pd.DataFrame(rep_rows)).mark_rule(
            strokeDash=[3, 3], color="#64748b").encode(
            x=alt.X("t:Q", scale=x_scale), tooltip=[alt.Tooltip("rep:N", title="Bottom of")]))

    line = alt.Chart(data).mark_line(color=PRIMARY, strokeWidth=2.4, interpolate="monotone"
                                     ).encode(
        x=alt.X("t:Q", title="Time (s)", scale=x_scale),
        y=alt.Y("value:Q", title=f"{spec.label} ({spec.unit.strip() or 'value'})",
                scale=y_scale),
        tooltip=[alt.Tooltip("t:Q", format=".1f", title="Time (s)"),
                 alt.Tooltip("value:Q", format=".0f", title=spec.label)])
    layers.append(line.add_params(zoom))
    # The bands and the events colour by the same field with their own shades: without
    # independent scales Vega merges them and warns "Conflicting scale property range".
    return alt.LayerChart(layer=layers).resolve_scale(color="independent").properties(
        height=height)


def chart_title(spec: MetricBands) -> str:
    return spec.label + (f" — {spec.text}" if spec.text else "")


# One tick per calendar day at most (labels that would overlap are dropped by Vega).
DAY_AXIS = alt.Axis(format="%d %b", tickCount={"interval": "day", "step": 1}, labelOverlap=True)


def _day_domain(days: pd.Series) -> list[alt.DateTime]:
    """Half a day either side of the first and last day, as local date-times.

    An explicit domain means Vega never computes one from an empty data set (Streamlit draws
    the chart before it attaches the rows: "Infinite extent for field day" otherwise), and a
    single day is a bar of sensible width rather than one spanning the whole axis.
    """
    stamps = pd.to_datetime(days)
    lo = stamps.min().normalize() - pd.Timedelta(hours=12)
    hi = stamps.max().normalize() + pd.Timedelta(hours=12)
    return [alt.DateTime(year=t.year, month=t.month, date=t.day, hours=t.hour)
            for t in (lo, hi)]


def trends_charts(trends: pd.DataFrame) -> tuple[alt.Chart | None, alt.LayerChart | None]:
    """(share of good time per day, mean lift score per day) — None where there is no data."""
    share = None
    if "share_ok" in trends and trends["share_ok"].notna().any():
        d = trends.dropna(subset=["share_ok"]).assign(pct=lambda x: 100.0 * x["share_ok"])
        share = alt.Chart(d).mark_bar(color=PRIMARY, cornerRadiusTopLeft=4,
                                      cornerRadiusTopRight=4, size=22).encode(
            x=alt.X("day:T", title="Day", axis=DAY_AXIS,
                    scale=alt.Scale(domain=_day_domain(d["day"]))),
            y=alt.Y("pct:Q", title="Time in good posture (%)",
                    scale=alt.Scale(domain=[0, 100])),
            tooltip=[alt.Tooltip("day:T", title="Day", format="%d %b %Y"),
                     alt.Tooltip("pct:Q", title="Good posture (%)", format=".0f"),
                     alt.Tooltip("sessions:Q", title="Sessions"),
                     alt.Tooltip("minutes:Q", title="Minutes", format=".0f")],
        ).properties(height=220)
    score = None
    if "mean_rep_score" in trends and trends["mean_rep_score"].notna().any():
        d = trends.dropna(subset=["mean_rep_score"])
        base = alt.Chart(d).encode(
            x=alt.X("day:T", title="Day", axis=DAY_AXIS,
                    scale=alt.Scale(domain=_day_domain(d["day"]))),
            y=alt.Y("mean_rep_score:Q", title="Average lift score",
                    scale=alt.Scale(domain=[0, 100])),
            tooltip=[alt.Tooltip("day:T", title="Day", format="%d %b %Y"),
                     alt.Tooltip("mean_rep_score:Q", title="Average score", format=".0f")])
        score = (base.mark_line(color=PRIMARY, strokeWidth=2.5)
                 + base.mark_point(color=PRIMARY, filled=True, size=70)).properties(height=220)
    return share, score


def rep_compare_charts(rows: Sequence[Mapping[str, Any]], height: int = 240) -> list[alt.Chart]:
    """A reference lift and the last one through the lift: one small chart per measure.

    ``rows`` are ``{"pct": 0–100 through the lift, "value", "lift": "Reference" | "Lift N",
    "measure": label}``, drawn in the order the measures and lifts first appear; [] when
    there is nothing to draw. Streamlit lets Vega draw a chart once before its rows arrive,
    so every scale has an explicit domain (x, y, colour *and* dash): with none, that first
    empty draw gives an infinite extent and ``<svg>``/``<g>`` attributes of "Infinity" in
    the browser console (as did the row facet this replaces, whose height Vega cannot work
    out at the column's width).
    """
    df = pd.DataFrame([r for r in rows if finite(r.get("value")) is not None
                       and finite(r.get("pct")) is not None])
    if df.empty:
        return []
    lifts = list(dict.fromkeys(str(v) for v in df["lift"]))
    colours = (["#94a3b8", PRIMARY] + [PRIMARY] * len(lifts))[:len(lifts)]
    dashes = ([[6, 4]] + [[1, 0]] * len(lifts))[:len(lifts)]
    legend = alt.Legend(orient="top", title=None)  # one legend: same field, same settings
    charts = []
    for measure in dict.fromkeys(str(m) for m in df["measure"]):
        part = df[df["measure"] == measure]
        lo, hi = float(part["value"].min()), float(part["value"].max())
        pad = max(5.0, 0.1 * (hi - lo))
        charts.append(alt.Chart(part).mark_line(strokeWidth=2.5, interpolate="monotone",
                                                clip=True).encode(
            x=alt.X("pct:Q", title="Through the lift (%)",
                    scale=alt.Scale(domain=[0, 100], nice=False)),
            y=alt.Y("value:Q", title=measure,
                    scale=alt.Scale(domain=[math.floor(lo - pad), math.ceil(hi + pad)],
                                    zero=False, nice=False)),
            color=alt.Color("lift:N", scale=alt.Scale(domain=lifts, range=colours),
                            legend=legend),
            strokeDash=alt.StrokeDash("lift:N", scale=alt.Scale(domain=lifts, range=dashes),
                                      legend=legend),
            tooltip=[alt.Tooltip("lift:N", title="Lift"),
                     alt.Tooltip("pct:Q", format=".0f", title="Through the lift (%)"),
                     alt.Tooltip("value:Q", format=".0f", title=measure)],
        ).properties(height=height))
    return charts
