"""One cap on every request body, counted while it arrives: an upload request (its files and fields
together) at ``LIMITS.uploads.upload_bytes``, any other at ``request_bytes`` (a little JSON: files come
as uploads). Without it, an image sent inline as a data URL would be decoded before any limit applied.

A refused request is answered 413 with a sentence. The count stops an upload as a multipart error, so
Gradio's parser deletes the files it had begun to write: nothing of a refused upload is kept.
"""

from __future__ import annotations

import json

from gradio.route_utils import API_PREFIX
from starlette.formparsers import MultiPartException

from .limits import LIMITS, UploadLimits, in_words

UPLOAD_ROUTE = f"{API_PREFIX}/upload"  # Gradio's one route for files


class BodyTooLarge(MultiPartException):
    """A request body passed its cap while it was being received."""


class RequestBodyLimit:
    """ASGI middleware: refuse (413, JSON) a request whose body is over its cap, before or while it is read."""

    def __init__(self, app, limits: UploadLimits = LIMITS.uploads):
        self.app = app
        self.limits = limits

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        upload = scope["path"] == UPLOAD_ROUTE
        cap = self.limits.upload_bytes if upload else self.limits.request_bytes
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > cap:
            return await _refuse(send, upload, cap)
        received, refused, answered = 0, False, False

        async def counted():
            nonlocal received, refused
            message = await receive()
            received += len(message.get("body", b""))
            if received > cap:
                refused = True
                raise BodyTooLarge(f"the request body passed {cap} bytes")
            return message

        async def answer(message):
            """The app's answer, or once the body was refused, the 413 in place of whatever it made of that."""
            nonlocal answered
            if refused and not answered:
                await _refuse(send, upload, cap)
            elif not refused:
                await send(message)
            answered = True

        try:
            await self.app(scope, counted, answer)
        except Exception:
            if not refused:
                raise
        if refused and not answered:
            await _refuse(send, upload, cap)


async def _refuse(send, upload: bool, cap: int) -> None:
    if upload:
        error = f"the upload is over {in_words(cap)} in all; upload fewer or smaller files"
    else:
        error = "the request is too large; send images as file uploads"
    body = json.dumps({"error": error}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
