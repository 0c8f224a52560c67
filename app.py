"""Streamlit entry point: ``streamlit run app.py`` (see ``make run``).

The pages live in ``posture_app/``; this file stays a thin entry point.
"""

from posture_app.main import quiet_native_logs, run

quiet_native_logs()  # once per server process; MediaPipe loads later, in a page
run()
