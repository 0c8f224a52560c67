"""The shipped server configuration: private by default, and no stalls in the live coach."""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text(encoding="utf-8"))


def test_server_listens_on_this_computer_only_with_xsrf_on() -> None:
    server = CONFIG["server"]
    assert server["address"] == "127.0.0.1"
    assert server["enableXsrfProtection"] is True
    assert server["headless"] is True
    assert server["fileWatcherType"] == "none"  # no dev-server reloads in a clinic


def test_no_usage_statistics_and_no_tracebacks_on_screen() -> None:
    assert CONFIG["browser"]["gatherUsageStats"] is False
    assert CONFIG["client"]["showErrorDetails"] == "none"


def test_no_full_garbage_collection_after_every_panel_refresh() -> None:
    # Streamlit's post-run gc.collect() stalled the camera path ~200 ms per live-panel
    # refresh (13.3 of 15 fps in benchmarks/live.py; 15.0 of 15 without it).
    assert CONFIG["runner"]["postScriptGC"] is False


def test_upload_limit_is_stated_in_megabytes() -> None:
    assert CONFIG["server"]["maxUploadSize"] == 500
