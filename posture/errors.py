"""Errors the posture coach can show to the person using it.

Every exception here is meant to reach a patient's screen unchanged, so
``str(error)`` is always one plain sentence (no tracebacks, errno codes or
library names).  The technical cause, when there is one, is kept apart in
``error.detail`` for logs and bug reports.

The hierarchy is deliberately shallow so callers can catch broadly:

* :class:`PostureError` - anything the app reports to the user.
* :class:`MediaError` - the input file itself is the problem (each carries
  ``path``).  Later modules add their own subclasses (e.g. ``NoPersonError``)
  by passing a ready sentence or by overriding :attr:`MediaError.template`.
"""

from __future__ import annotations

import os
from typing import Any


class PostureError(Exception):
    """Base class: ``str(err)`` is a sentence fit to show to a patient."""

    def __init__(self, message: str, *, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        #: Technical explanation for logs; never shown to the patient.
        self.detail = detail

    def __str__(self) -> str:
        return self.message


def display_name(path: str | os.PathLike[str]) -> str:
    """The bare file name, which is what a person recognises in a message."""
    text = os.fspath(path)
    name = os.path.basename(text.rstrip("/\\")) or text
    return name


class MediaError(PostureError):
    """The given file cannot be used as a video or photo.

    Subclasses only change :attr:`template`; ``{name}`` is replaced by the
    file's name.  A caller may also pass an explicit ``message`` when a more
    specific sentence helps (e.g. audio-only files).
    """

    template = "The file '{name}' could not be used."

    def __init__(
        self,
        path: str | os.PathLike[str],
        message: str | None = None,
        *,
        detail: str | None = None,
    ) -> None:
        self.path = os.fspath(path)
        self.name = display_name(self.path)
        text = message if message is not None else self.template.format(name=self.name)
        super().__init__(text, detail=detail)

    def __reduce__(self) -> tuple[Any, ...]:
        # Exceptions pickle through ``args`` by default, which would feed the
        # message back in as the path; keep them intact across processes.
        return (type(self), (self.path, self.message), {"detail": self.detail})


class MediaNotFoundError(MediaError):
    """No file exists at the given path (or it is a folder)."""

    template = "The file '{name}' could not be found; please check its name and folder."


class MediaAccessError(MediaError):
    """The file exists but the operating system refused to let us read it."""

    template = (
        "The file '{name}' could not be opened because permission to read it was refused."
    )


class EmptyFileError(MediaError):
    """The file has zero bytes, typically an interrupted copy or recording."""

    template = "The file '{name}' is empty, so there is nothing to analyse."


class NotAVideoError(MediaError):
    """The file is readable but holds no picture: text, random data, audio only."""

    template = "The file '{name}' is not a video or photo that this program can read."

    @classmethod
    def audio_only(
        cls, path: str | os.PathLike[str], *, detail: str | None = None
    ) -> NotAVideoError:
        """The file is a sound recording: say so, since that is easy to fix."""
        name = display_name(path)
        sentence = f"The file '{name}' does not contain a video stream, only sound."
        return cls(path, sentence, detail=detail)


class UnreadableVideoError(MediaError):
    """The file looks like a video but not a single frame could be decoded."""

    template = (
        "The video '{name}' seems to be damaged or incomplete, "
        "and none of its pictures could be read."
    )


class UnreadableImageError(MediaError):
    """The file starts like a photo but its picture data could not be decoded."""

    template = "The photo '{name}' seems to be damaged or incomplete and could not be read."


class UnsupportedMediaError(MediaError):
    """A real video, but in a format or size this program cannot decode."""

    template = "The video '{name}' is stored in a format that this program cannot play."


__all__ = [
    "EmptyFileError",
    "MediaAccessError",
    "MediaError",
    "MediaNotFoundError",
    "NotAVideoError",
    "PostureError",
    "UnreadableImageError",
    "UnreadableVideoError",
    "UnsupportedMediaError",
    "display_name",
]
