"""Range-of-motion angles in words a patient reads (issue #13).

Some metrics are signed (``docs/exercise-criteria.md``): ``leg_raise_deg`` and
``arm_raise_deg`` are the limb against the horizontal (+ up), ``trunk_lean_deg`` is the
trunk against the vertical (+ forward). A bare "-8°" means nothing to a patient, so every
target or measured range shown on the programme pages goes through :func:`rom_words`
(by exercise) or :func:`angle_words` (by metric): "8° below level", "20° back". Other
metrics are unsigned angles and keep "N°".
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

#: Within this many degrees of horizontal a raised limb reads "level".
LEVEL_WITHIN_DEG = 1.0
#: Metrics measured against the horizontal (+ above it): (at level, above, below).
LEVEL_METRICS: Mapping[str, tuple[str, str, str]] = {
    "leg_raise_deg": ("level", "{n}° above level", "{n}° below level"),
    "arm_raise_deg": ("level", "{n}° above level", "{n}° below level"),
}
#: Metrics measured against the vertical (+ forward): (upright, forward, back).
LEAN_METRICS: Mapping[str, tuple[str, str, str]] = {
    "trunk_lean_deg": ("upright", "{n}° forward", "{n}° back"),
}
#: The ROM metric per exercise when the library cannot be read (the library's own).
CONTRACT_ROM_METRICS: Mapping[str, str] = {
    "bird_dog": "leg_raise_deg", "hamstring_stretch": "leg_raise_deg",
    "standing_back_extension": "trunk_lean_deg",
}
MISSING = "–"


def angle_words(metric: str | None, value: float | None) -> str:
    """A metric's angle in words: "level", "8° below level", "20° back", or "170°"."""
    if value is None or value != value:  # None or NaN
        return MISSING
    words = LEVEL_METRICS.get(metric or "") or LEAN_METRICS.get(metric or "")
    n = f"{abs(value):.0f}"
    if words is None:
        return f"{value:.0f}°"
    if abs(value) < LEVEL_WITHIN_DEG or n == "0":
        return words[0]
    return (words[1] if value > 0 else words[2]).format(n=n)


def library_rom(field: str) -> dict[str, str]:
    """key → the library's ``rom.<field>`` ("metric", "peak") of every exercise with a
    range; {} when the library cannot be read (the callers' contract values stand)."""
    try:
        from posture.exercises import load_library

        return {k: str(getattr(ex.rom, field)) for k, ex in load_library().items()
                if ex.rom is not None}
    except Exception:  # a broken user file must not take the programme pages down
        return {}


@lru_cache(maxsize=1)
def _library_metrics() -> dict[str, str]:
    return {**CONTRACT_ROM_METRICS, **library_rom("metric")}


def rom_metric(exercise: str) -> str | None:
    """The metric an exercise's range of motion is measured in (the library's)."""
    return _library_metrics().get(str(exercise))


def rom_words(exercise: str, value: float | None) -> str:
    """An exercise's range target or measured range in words (see :func:`angle_words`)."""
    return angle_words(rom_metric(exercise), value)


__all__ = ["angle_words", "library_rom", "rom_metric", "rom_words"]
