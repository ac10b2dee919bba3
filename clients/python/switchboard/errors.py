"""The exceptions of the client and of the HTTP API helper."""

from __future__ import annotations

from typing import Any, Optional


class SwitchboardError(Exception):
    """Why a command failed.

    ``code`` is the server's error code (``not_in_room``, ``forbidden``, ...; protocol section 4) or one
    of the client's own: ``timeout`` (no reply in time), ``disconnected`` (sent, then the connection
    dropped: the outcome is unknown), ``not_connected``, ``closed``, ``left`` (the room was left before
    it was joined), ``queue_full``, ``connect_failed``, ``rejected`` (the upgrade was refused with an
    HTTP status, in ``status``).
    """

    def __init__(self, code: str, message: str, frame: Optional[dict] = None, status: Optional[int] = None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        #: The server's ``error`` frame, when there was one.
        self.frame = frame
        #: The HTTP status of a refused upgrade (``rejected``).
        self.status = status


class ApiError(Exception):
    """A call of the server's HTTP API that did not answer 2xx (protocol section 8).

    ``status`` is the HTTP status (0 when the server could not be reached), ``code`` the body's
    ``error`` (``invalid_field``, ``unauthorized``, ``rate_limited``, ...), ``retry_after`` the seconds
    of a 429's ``Retry-After``.
    """

    def __init__(self, status: int, code: str, message: str, retry_after: Optional[float] = None,
                 body: Any = None):
        super().__init__(f"HTTP {status} {code}: {message}" if status else f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after
        self.body = body
