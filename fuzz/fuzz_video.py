"""Coverage-guided fuzzing of the video/photo loader with atheris (not run by pytest).

Property: for any bytes, ``open_media`` either delivers sane frames or raises a
``MediaError`` (a sentence for the patient). Anything else - another exception,
a crash in a C library, a hang (``-timeout``) - is a finding. See fuzz/README.md.
"""

from __future__ import annotations

import os
import sys
import tempfile

import atheris

with atheris.instrument_imports(include=["posture"]):
    from posture.errors import MediaError
    from posture.video import open_media

MAX_FRAMES = 50  # enough to pass the first frame, the time stamps and a few packets
_DIR = tempfile.mkdtemp(prefix="posture-fuzz-video-")
_PATH = os.path.join(_DIR, "input.mp4")  # the extension is a hint only; content decides


def test_one_input(data: bytes) -> None:
    with open(_PATH, "wb") as fh:
        fh.write(data)
    try:
        with open_media(_PATH) as source:
            info = source.info
            for n, frame in enumerate(source):
                assert frame.image.shape == (info.height, info.width, 3), (frame.image.shape, info)
                assert frame.image.dtype.name == "uint8"
                if n + 1 >= MAX_FRAMES:
                    break
    except MediaError as err:
        text = str(err)
        assert text.endswith(".") and "\n" not in text, text


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
