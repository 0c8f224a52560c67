"""The Streamlit front end of ``posture``: pages and UI helpers (thin, over the library).

``app.py`` only calls :func:`posture_app.main.run`. Nothing here judges posture:
verdicts, cues, events and reps come from the library (``posture.live``,
``posture.pipeline``, ``posture.assess``); this package shows them, stores them
through ``posture.store`` and turns them into downloads.
"""
