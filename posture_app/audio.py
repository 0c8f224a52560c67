"""Spoken cues or a soft chime, played by the browser (nothing is sent anywhere).

The snippet runs in a tiny same-origin component iframe and uses the parent
page's ``speechSynthesis`` / ``AudioContext`` (the page already has the user's
click from Start, which browsers require before playing sound). Each cue has a
sequence number; the page remembers the last one played, so a re-rendered
snippet never repeats a cue.
"""

from __future__ import annotations

import json

import streamlit.components.v1 as components

_SNIPPET = """
<script>
(function () {
  const w = window.parent || window;
  const seq = %(seq)s, text = %(text)s, mode = %(mode)s;
  if (w.__postureCueSeq === seq) return;
  w.__postureCueSeq = seq;
  try {
    if (mode === "voice" && w.speechSynthesis) {
      w.speechSynthesis.cancel();
      const u = new w.SpeechSynthesisUtterance(text);
      u.rate = 0.95; u.pitch = 1.0; u.volume = 0.9;
      w.speechSynthesis.speak(u);
    } else {
      const Ctx = w.AudioContext || w.webkitAudioContext;
      if (!Ctx) return;
      const ctx = w.__postureAudio || (w.__postureAudio = new Ctx());
      const now = ctx.currentTime;
      [660, 880].forEach(function (f, i) {
        const o = ctx.createOscillator(), g = ctx.createGain();
        o.type = "sine"; o.frequency.value = f;
        g.gain.setValueAtTime(0.0001, now + i * 0.18);
        g.gain.exponentialRampToValueAtTime(0.18, now + i * 0.18 + 0.02);
        g.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.18 + 0.35);
        o.connect(g); g.connect(ctx.destination);
        o.start(now + i * 0.18); o.stop(now + i * 0.18 + 0.4);
      });
    }
  } catch (e) { /* sound is optional */ }
})();
</script>
"""


def snippet(text: str, seq: int, mode: str = "voice") -> str:
    return _SNIPPET % {"seq": int(seq), "text": json.dumps(text),
                       "mode": json.dumps("voice" if mode == "voice" else "chime")}


def play_cue(text: str, seq: int, mode: str = "voice") -> None:
    """Render the (invisible) snippet for cue ``seq``; the browser plays it once."""
    components.html(snippet(text, seq, mode), height=0)
