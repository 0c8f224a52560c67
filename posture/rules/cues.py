"""One short, positive cue at a time.

Users of posture apps complain most about jitter and alert fatigue (criteria
doc §7), so a cue is shown only when its deviation has persisted, not sooner
than its cooldown after the last time, never over another cue still on
screen, and the most severe candidate wins (ties: profile order).
"""

from __future__ import annotations

from dataclasses import dataclass

from posture.rules.model import SEVERITY_RANK


@dataclass(frozen=True)
class CueRequest:
    key: str  # rule id (or "framing", "break", "rep")
    text: str
    severity: str  # "caution" | "poor"
    order: int  # lower first among equal severities
    cooldown_s: float
    # A one-off request (a finished lift's tip) waits this long for the screen to be free
    # instead of being lost when another cue is showing; 0 = only this frame.
    wait_s: float = 0.0


@dataclass(frozen=True)
class CueShown:
    key: str
    text: str
    new: bool  # first frame of this cue (for speech / notifications)


class CueScheduler:
    """Picks at most one cue per frame; ``update(requests, t)``."""

    def __init__(self, display_s: float = 3.0, min_gap_s: float = 1.0) -> None:
        self.display_s = display_s
        self.min_gap_s = min_gap_s  # quiet time between two different cues
        self._last: dict[str, float] = {}
        self._current: tuple[str, str, float] | None = None  # key, text, shown at
        self._waiting: dict[str, tuple[CueRequest, float]] = {}  # key -> (request, until)
        self.history: list[tuple[float, str, str]] = []  # (t, key, text)

    def cancel(self, key: str) -> None:
        """Forget a request of ``key`` still waiting for the screen (it is out of date)."""
        self._waiting.pop(key, None)

    def update(self, requests: list[CueRequest], t: float) -> CueShown | None:
        for r in requests:
            if r.wait_s > 0:  # the newest request of a key replaces an older waiting one
                self._waiting[r.key] = (r, t + r.wait_s)
        self._waiting = {k: v for k, v in self._waiting.items() if t <= v[1]}
        fresh = {r.key for r in requests}
        requests = [*requests, *(r for k, (r, _) in self._waiting.items() if k not in fresh)]
        if self._current is not None:
            key, text, since = self._current
            if t - since < self.display_s:
                return CueShown(key, text, False)
            self._current = None
        ready = [r for r in requests if t - self._last.get(r.key, -1e18) >= r.cooldown_s]
        if not ready:
            return None
        if self.history and t - self.history[-1][0] < self.display_s + self.min_gap_s:
            return None
        best = max(ready, key=lambda r: (SEVERITY_RANK[r.severity], -r.order))
        self._waiting.pop(best.key, None)
        self._last[best.key] = t
        self._current = (best.key, best.text, t)
        self.history.append((t, best.key, best.text))
        return CueShown(best.key, best.text, True)
