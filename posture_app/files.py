"""File names and temporary folders for uploads and downloads.

An uploaded file's name comes from the user's computer and can be anything:
``../../evil.mp4``, ``/etc/passwd``, ``a\\x00b.mp4``, ``CON.mp4``, 300 characters
of emoji. :func:`safe_filename` makes it a plain file name (no folders, no control
characters, no Windows-reserved names, bounded length) while keeping letters of
any script readable; :func:`upload_folder` writes the upload into a new private
temporary folder and removes that folder on every way out (success, a file that
is not a video, an exception). :func:`download_name` builds the names offered
for downloads from the same rules.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

# CON, PRN, AUX, NUL, COM0–9, LPT0–9 (also with superscript digits) name devices on
# Windows, whatever the extension ("con.mp4" too).
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])$", re.IGNORECASE)
MAX_STEM_BYTES = 100  # UTF-8 bytes: well under every file system's 255-byte limit
COPY_CHUNK = 1 << 20


def _clean(text: str, keep: str) -> str:
    """Letters and digits of any script, plus ``keep``; runs of anything else → ``_``."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ch.isalnum() or ch in keep:
            out.append(ch)
        else:
            out.append("_")
    return re.sub(r"_+", "_", "".join(out))


def _truncate_utf8(text: str, limit: int) -> str:
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def _base(name: object) -> str:
    """The last component of a path written with / or \\ (a browser may send either)."""
    text = str(name or "").replace("\\", "/")
    return text.rsplit("/", 1)[-1]


def _split(name: object) -> tuple[str, str]:
    """(stem, extension) of the last path component, both cleaned; the extension is
    lower-case ASCII letters and digits (at most 8) or empty."""
    base = _base(name)
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    ext = re.sub(r"[^a-z0-9]+", "", ext.lower())[:8]
    stem = _clean(stem, "-_.").strip("._- ")  # ".bashrc", "..": no stem left
    stem = _truncate_utf8(stem, MAX_STEM_BYTES).strip("._- ")
    first, dot, rest = stem.partition(".")
    if _WINDOWS_RESERVED.match(first):  # Windows reads "con.tar.mp4" as the device CON
        stem = f"{first}_{dot}{rest}"
    return stem, ext


def safe_filename(name: object, default: str = "upload") -> str:
    """A plain file name that is safe to create in a folder we own.

    >>> safe_filename("../../evil.mp4"), safe_filename("C:\\\\clips\\\\Übung 1.MOV")
    ('evil.mp4', 'Übung_1.mov')
    """
    stem, ext = _split(name)
    stem = stem or default
    return f"{stem}.{ext}" if ext else stem


def safe_stem(name: object, default: str = "recording") -> str:
    """The cleaned name without its extension ("My clip.mp4" → "My_clip")."""
    return _split(name)[0] or default


def download_name(source: object, suffix: str, default: str = "recording") -> str:
    """A download's file name: the cleaned source name plus a fixed ``suffix``
    ("-report.json")."""
    return f"{safe_stem(source, default)}{suffix}"


def display_name(name: object, limit: int = 120) -> str:
    """The upload's own name for sentences and the history: no folders, no control
    characters, at most ``limit`` characters (spaces and punctuation kept)."""
    base = "".join(" " if unicodedata.category(ch)[0] in "CZ" and ch != " " else ch
                   for ch in unicodedata.normalize("NFC", _base(name)))
    base = re.sub(r" +", " ", base).strip()
    if len(base) > limit:
        base = base[: limit - 1].rstrip() + "…"
    return base or "your file"


@contextmanager
def upload_folder(name: object, data: bytes | BinaryIO,
                  prefix: str = "posture-upload-") -> Iterator[Path]:
    """Write an upload into a new private temporary folder and yield the file's path.

    The folder (mode 0700, from :func:`tempfile.mkdtemp`) and everything the caller
    writes into it are removed when the block ends — normally or by an exception.
    ``data`` may be bytes or a readable binary file object (copied in chunks, so a
    large upload is not held twice in memory).
    """
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        path = folder / safe_filename(name)
        if path.parent != folder or path.name in ("", ".", ".."):  # never outside
            raise ValueError(f"unsafe upload name {name!r}")
        # "x": never follow or overwrite anything already there.
        with open(path, "xb") as fh:
            if isinstance(data, bytes | bytearray | memoryview):
                fh.write(data)
            else:
                if hasattr(data, "seek"):
                    data.seek(0)
                shutil.copyfileobj(data, fh, COPY_CHUNK)
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)
