"""Shared paths and skip rules.

Extended footage lives outside the repo, in ``../shared/videos`` (override with
``POSTURE_SHARED_DIR``); a fresh clone has none, so tests marked ``shared`` skip.
Browser tests (``e2e``) skip when Debian's ``/usr/bin/chromium`` is missing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("POSTURE_SHARED_DIR") or REPO.parent / "shared").resolve()
SHARED_VIDEOS = SHARED / "videos"
SAMPLE_VIDEOS = REPO / "sample_videos"
CHROMIUM = Path("/usr/bin/chromium")

SHARED_SKIP = "../shared/videos is absent (fresh clone): extended footage tests skipped"
CHROMIUM_SKIP = "/usr/bin/chromium is absent (apt-get install chromium): browser tests skipped"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    shared_ok = SHARED_VIDEOS.is_dir()
    chromium_ok = CHROMIUM.exists()
    for item in items:
        if not shared_ok and item.get_closest_marker("shared"):
            item.add_marker(pytest.mark.skip(reason=SHARED_SKIP))
        if not chromium_ok and item.get_closest_marker("e2e"):
            item.add_marker(pytest.mark.skip(reason=CHROMIUM_SKIP))


@pytest.fixture(scope="session")
def shared_videos() -> Path:
    """``../shared/videos``; skips the test when it is absent."""
    if not SHARED_VIDEOS.is_dir():
        pytest.skip(SHARED_SKIP)
    return SHARED_VIDEOS


@pytest.fixture(scope="session")
def sample_videos() -> Path:
    """``<repo>/sample_videos``: the small redistributable clips shipped in the repo."""
    return SAMPLE_VIDEOS
