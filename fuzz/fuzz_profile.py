"""Coverage-guided fuzzing of the rule-profile loader with atheris (not run by pytest).

Property: for any bytes, ``load_profile`` returns a Profile or raises
``ProfileError`` whose message starts with the file's path; a profile that
loads can drive the rules for a few frames. See fuzz/README.md.
"""

from __future__ import annotations

import os
import sys
import tempfile

import atheris

with atheris.instrument_imports(include=["posture"]):
    import numpy as np

    from posture.assess import Assessor
    from posture.metrics import METRIC_NAMES, FrameMetrics
    from posture.rules.profile import ProfileError, load_profile
    from posture.view import ViewState

_DIR = tempfile.mkdtemp(prefix="posture-fuzz-profile-")
_PATH = os.path.join(_DIR, "fuzz.toml")
_VIEW = ViewState("side_left", "left", 85.0, False)
_ROW = np.linspace(-40.0, 200.0, len(METRIC_NAMES))


def test_one_input(data: bytes) -> None:
    with open(_PATH, "wb") as fh:
        fh.write(data)
    try:
        profile = load_profile(_PATH)
    except ProfileError as err:
        assert str(err).startswith(("/", "profile /")), str(err)
        return
    assessor = Assessor("auto", profile=profile)
    for i in range(5):
        assessor.update(FrameMetrics(i / 10, True, _VIEW, _ROW))
    assessor.finish()


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
