"""What an exercise session and the library say in sentences (CLI, app, printable report)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from posture.activities.lifting import views_phrase
from posture.exercises.loader import load_library


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def exercise_lines(section: Mapping[str, Any]) -> list[str]:
    """report.json's ``exercise`` section as a few plain lines, the headline first.

    "Glute bridge: 8 reps (ROM best 172°, target 170°); faults: hips sag ×2" or
    "Front plank: held 24.5 s of 30 s (longest 12.0 s)".
    """
    title = section.get("title", "Exercise")
    faults = section.get("faults") or {}
    fault_text = ", ".join(f"{k.replace('_', ' ')} ×{v}" for k, v in faults.items())
    lines: list[str] = []
    if section.get("started_s") is None:
        why = next((n["reason"].partition(" — ")[2] for n in section.get("not_judged", ())
                    if str(n.get("rule", "")).endswith(".start")), "")
        lines.append(f"{title}: nothing counted — {why or 'the start position was not seen'}.")
        return lines
    if section.get("kind") == "hold":
        hold = section.get("hold") or {}
        text = (f"{title}: held {hold.get('held_s', 0.0):.1f} s of {hold.get('target_s', 0):g} s"
                f" (longest {hold.get('longest_s', 0.0):.1f} s)")
        pauses = hold.get("pauses") or []
        if pauses:
            reasons = list(dict.fromkeys(p["reason"] for p in pauses))
            text += f"; paused {len(pauses)}× ({'; '.join(reasons[:3])})"
    else:
        reps = section.get("reps") or []
        text = f"{title}: {_plural(len(reps), 'rep')}"
        rom = section.get("rom") or {}
        if reps and rom.get("best") is not None:
            # A reading inside the measuring margin of the rep's view counts as reached:
            # say so, or "best 163°, target 165°, no faults" reads as a contradiction.
            margin = max((float(r.get("rom_margin_deg") or 0.0) for r in reps), default=0.0)
            within = f", ±{margin:.0f}° measuring margin" if margin >= 0.5 else ""
            text += f" (ROM best {rom['best']:.0f}°, target {rom['target']:g}°{within})"
        by_side = section.get("reps_by_side") or {}
        if by_side:
            text += " — " + ", ".join(f"{k} {v}" for k, v in sorted(by_side.items()))
        partial = section.get("partial_reps") or 0
        why = "" if reps else next((n["reason"].partition(" — ")[2]
                                    for n in section.get("not_judged", ())
                                    if str(n.get("rule", "")).endswith(".count")), "")
        if why:  # the reason already says how many movements fell short
            lines.append(f"{text} — {why}.")
            return lines
        if partial:
            text += f"; {_plural(partial, 'partial movement')} not counted"
    lines.append(text + (f"; faults: {fault_text}" if fault_text else "; no faults seen")
                 + ".")
    return lines


def reached_words(rep: Mapping[str, Any], peak: str = "max") -> str:
    """"yes" / "no" / "–" for a rep's range; "yes (within ±8°)" when the reading fell short
    of the target by less than the measuring margin of the rep's view, which decided it."""
    reached = rep.get("rom_reached")
    if reached is None:
        return "–"
    if not reached:
        return "no"
    rom, target = rep.get("rom_deg"), rep.get("rom_target_deg")
    margin = float(rep.get("rom_margin_deg") or 0.0)
    if isinstance(rom, int | float) and isinstance(target, int | float) and margin >= 0.5:
        short = float(rom) < float(target) if peak == "max" else float(rom) > float(target)
        if short:
            return f"yes (within ±{margin:.0f}°)"
    return "yes"


def library_lines() -> list[str]:
    """``posture exercises``: one line per exercise — key, kind, view, set-up cue."""
    lib = load_library()
    width = max(len(k) for k in lib)
    out = []
    for key, ex in lib.items():
        out.append(f"{key:<{width}}  {ex.kind:<4}  {views_phrase(ex.views):<28}  {ex.setup_cue}")
    return out
