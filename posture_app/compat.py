"""Runtime fix for a Streamlit 1.60 / Starlette 1.10 incompatibility (media files answer 500).

Streamlit's ``MediaAwareGZipMiddleware`` overrides the responders' handling of
``http.response.start`` and, for excluded content types (images, video, audio),
stores the start message without sending it — relying on older Starlette to
send it later. Starlette 1.10's responders send excluded bodies straight
through, so the start message is never sent and every ``/media/…`` image,
video and audio answer fails ("Expected ASGI message 'http.response.start'").
That breaks ``st.image``, ``st.video`` and media downloads in a real browser
(AppTest does not notice: it never fetches media).

Starlette 1.10 itself excludes audio/*, video/* and common images from
compression, which is all Streamlit's override adds, so the fix is to use
Starlette's own ``send_with_compression``. It is applied only when the
installed Starlette is the one that handles exclusions itself; remove this
module once the lock has a Streamlit that supports that Starlette.
"""

from __future__ import annotations

import inspect
import logging

log = logging.getLogger("posture_app")


def fix_media_responses() -> bool:
    """Patch the two responder classes once; True if the fix is (now) in place."""
    try:
        from starlette.middleware.gzip import GZipResponder, IdentityResponder
        from streamlit.web.server.starlette import starlette_gzip_middleware as sgm
    except ImportError:
        return False
    identity = getattr(sgm, "_MediaAwareIdentityResponder", None)
    gzip = getattr(sgm, "_MediaAwareGZipResponder", None)
    if identity is None or gzip is None:
        return False
    if "exclude_content_types" not in inspect.signature(IdentityResponder.__init__).parameters:
        return False  # an older Starlette: Streamlit's override is correct there
    if getattr(identity, "_posture_fixed", False):
        return True
    identity.send_with_compression = IdentityResponder.send_with_compression
    gzip.send_with_compression = GZipResponder.send_with_compression
    identity._posture_fixed = True
    log.info("applied the Streamlit/Starlette media response fix")
    return True
