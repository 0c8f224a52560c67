"""Smoothing: a causal One Euro filter for live feedback, zero-lag for reports.

Both treat NaN as "no measurement": a gap resets the filter instead of
smearing the last posture across frames where nobody was in view.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy.signal import butter, sosfiltfilt

FloatArray = npt.NDArray[np.float64]


class OneEuroFilter:
    """One Euro filter (Casiez, Roussel & Vogel, CHI 2012) over a vector of channels.

    Written here rather than taken from the ``OneEuroFilter`` package because
    that one filters scalars and knows nothing of gaps; we need per-channel
    NaN handling on a whole metric vector per frame. Time is passed in.
    """

    def __init__(
        self,
        min_cutoff: float = 1.0,
        beta: float = 0.05,
        d_cutoff: float = 1.0,
        max_gap_s: float = 0.5,
    ) -> None:
        self.min_cutoff = min_cutoff
        self.beta = beta
        self.d_cutoff = d_cutoff
        self.max_gap_s = max_gap_s
        self._x: FloatArray | None = None
        self._dx: FloatArray | None = None
        self._t: FloatArray | None = None

    def reset(self) -> None:
        self._x = self._dx = self._t = None

    def update(self, x: npt.ArrayLike, t: float) -> FloatArray:
        """Filter one sample of all channels taken at time ``t`` (seconds)."""
        x = np.asarray(x, dtype=np.float64)
        if self._x is None or self._x.shape != x.shape:
            self._x = x.copy()
            self._dx = np.zeros_like(x)
            self._t = np.full(x.shape, t, dtype=np.float64)
            return x.copy()
        assert self._dx is not None and self._t is not None
        # Written with few whole-vector operations: this runs on every live frame.
        # alpha = 1 / (1 + tau / dt) with tau = 1 / (2 pi cutoff), i.e. dt / (dt + tau).
        dt = t - self._t
        fresh = np.isnan(self._x) | (dt > self.max_gap_s) | (dt <= 0)
        dt = np.where(dt > 0, dt, 1.0)
        a_d = dt / (dt + 1.0 / (2.0 * math.pi * self.d_cutoff))
        dx_hat = self._dx + a_d * ((x - self._x) / dt - self._dx)
        tau = 1.0 / (2.0 * math.pi * (self.min_cutoff + self.beta * np.abs(dx_hat)))
        x_hat = self._x + (dt / (dt + tau)) * (x - self._x)
        # NaN in x makes x_hat NaN: a channel with no measurement stays unknown and
        # restarts when data returns (fresh, because its state is NaN).
        x_hat = np.where(fresh, x, x_hat)
        measured = ~np.isnan(x)
        self._x = x_hat
        self._dx = np.where(measured & ~fresh, dx_hat, 0.0)
        self._t = np.where(measured, t, self._t)
        return x_hat.copy()


def _runs(valid: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    """Start/stop indices of consecutive True runs."""
    padded = np.concatenate(([False], valid, [False]))
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def zero_lag_smooth(
    values: npt.ArrayLike, fps: float, cutoff_hz: float = 6.0, order: int = 2
) -> FloatArray:
    """Zero-phase Butterworth low-pass per gap-free run (offline reports only).

    ``filtfilt`` looks ahead in time, so it can never be used live. Runs too short
    for the filter's padding, or a frame rate too low for the cutoff, are left
    as measured rather than distorted. Works along axis 0 of 1-D or 2-D input.
    """
    x = np.asarray(values, dtype=np.float64)
    out = x.copy()
    nyquist = fps / 2.0
    if fps <= 0 or cutoff_hz >= 0.9 * nyquist:
        return out
    sos = butter(order, cutoff_hz / nyquist, output="sos")
    padlen = 3 * (2 * len(sos) + 1)
    cols = out.reshape(len(out), -1)
    src = x.reshape(len(x), -1)
    for j in range(cols.shape[1]):
        for start, stop in _runs(~np.isnan(src[:, j])):
            if stop - start > padlen:
                cols[start:stop, j] = sosfiltfilt(sos, src[start:stop, j])
    return out
