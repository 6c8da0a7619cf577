"""A cap on request bodies: files come through the upload route (capped by the server's max_file_size),
so nothing else needs more than a little JSON. Without it, an image sent inline as a data URL in a queue
request would be decoded before any limit applied.
"""

from __future__ import annotations

import json

UPLOAD_ROUTE_SUFFIX = "/upload"
REQUEST_MAX_BYTES = 1 * 2**20


class BodyTooLarge(Exception):
    """A request body passed the cap while it was being received."""


class RequestBodyLimit:
    """ASGI middleware: refuse (413) any request but an upload whose body is over ``max_bytes``."""

    def __init__(self, app, max_bytes: int = REQUEST_MAX_BYTES):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"].rstrip("/").endswith(UPLOAD_ROUTE_SUFFIX):
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await self._refuse(send)
        received = 0

        async def counted():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise BodyTooLarge(f"request body over {self.max_bytes} bytes")
            return message

        return await self.app(scope, counted, send)

    async def _refuse(self, send) -> None:
        body = json.dumps({"error": "the request is too large; send images as file uploads"}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
