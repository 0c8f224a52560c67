"""Spoken cues or a soft chime, played by the browser (nothing is sent anywhere).

The snippet is a small script inserted with ``st.html(..., unsafe_allow_javascript=True)``
(Streamlit ≥ 1.50): it runs in the app's own page, with no iframe and none of the
deprecated ``st.components.v1.html``. The page already has the user's click from
Start, which browsers require before playing sound. Speech uses only voices that run
on this computer (``SpeechSynthesisVoice.localService``); where there is none, a
chime made with the Web Audio API plays instead, so the cue's words never go to an
online speech service. Each cue has a sequence number; the page remembers the last
one played, so a re-rendered snippet never repeats a cue. The text is ours (cue
sentences from the rules), never user input, and is JSON-escaped all the same.
"""

from __future__ import annotations

import json

import streamlit as st

# Streamlit sanitises st.html with DOMPurify, which drops a <script> whose text contains
# "<" followed by a letter, "/" or "!": the script below has no "<" at all, and the
# values put into it are escaped (_js) so they cannot add one either.
_SNIPPET = """<style>div[data-testid="stElementContainer"]:has(span.posture-sound)\
{display:none}</style><span class="posture-sound" data-seq="%(seq)s" hidden></span>
<script>
(function () {
  const w = window;
  const seq = %(seq)s, text = %(text)s, mode = %(mode)s;
  if (w.__postureCueSeq === seq) return;
  w.__postureCueSeq = seq;
  function chime() {
    const Ctx = w.AudioContext || w.webkitAudioContext;
    const act = navigator.userActivation;
    if (!Ctx || (act && !act.hasBeenActive)) return;  /* browsers allow sound after a click */
    const ctx = w.__postureAudio || (w.__postureAudio = new Ctx());
    if (ctx.state === "suspended" && ctx.resume) ctx.resume();
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
  function speak(synth) {
    const voices = synth.getVoices().filter(function (v) { return v.localService; });
    if (!voices.length) return false;
    const lang = (document.documentElement.lang || navigator.language || "en")
      .slice(0, 2).toLowerCase();
    const voice = voices.find(function (v) { return v.lang.toLowerCase().startsWith(lang); })
      || voices.find(function (v) { return v.default; }) || voices[0];
    synth.cancel();
    const u = new w.SpeechSynthesisUtterance(text);
    u.voice = voice; u.lang = voice.lang;
    u.rate = 0.95; u.pitch = 1.0; u.volume = 0.9;
    synth.speak(u);
    return true;
  }
  try {
    const synth = w.speechSynthesis;
    if (mode !== "voice" || !synth) { chime(); return; }
    if (speak(synth)) return;
    if (synth.getVoices().length) { chime(); return; }  /* no local voice: never online */
    /* The voice list loads lazily: wait for it briefly, else chime. */
    let done = false;
    const later = function () {
      if (done) return;
      done = true;
      if (w.__postureCueSeq === seq && !speak(synth)) chime();  /* unless a newer cue */
    };
    synth.addEventListener("voiceschanged", later, { once: true });
    setTimeout(later, 1200);
  } catch (e) { /* sound is optional */ }
})();
</script>"""


def _js(value: str) -> str:
    """A JSON string literal that is also safe inside an HTML <script> element."""
    return (json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("&", "\\u0026"))


def snippet(text: str, seq: int, mode: str = "voice") -> str:
    """The HTML (a hidden marker and a script) that plays cue ``seq`` once."""
    return _SNIPPET % {"seq": int(seq), "text": _js(text),
                       "mode": _js("voice" if mode == "voice" else "chime")}


def play_cue(text: str, seq: int, mode: str = "voice") -> None:
    """Render the (invisible) snippet for cue ``seq``; the browser plays it once."""
    st.html(snippet(text, seq, mode), unsafe_allow_javascript=True)
