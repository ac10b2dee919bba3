"""The server's HTTP API for backends (protocol section 8), on the standard library only.

Synchronous and thread-safe (each call is one ``urllib`` request); from asyncio code, call it through
``asyncio.to_thread`` so the event loop is not blocked.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any, Dict, Optional
from urllib.parse import quote

from .errors import ApiError


class SwitchboardAPI:
    """Publishes, broadcasts, sends private messages and manages subscriptions over ``/api/``.

    :param base_url: the server's HTTP address, e.g. ``http://localhost:8080``
    :param api_key: one of the server's ``api.keys`` (env ``SWITCHBOARD_API_KEYS``)
    :param timeout: seconds per request
    """

    def __init__(self, base_url: str, api_key: str, timeout: float = 5.0):
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, got {base_url!r}")
        if not api_key:
            raise ValueError("api_key is empty: pass one of the server's api.keys")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._api_key = api_key

    def publish(self, room: str, content: Optional[str] = None, data: Any = None) -> int:
        """Publishes to ``room`` as the server (``from: "server"``); returns the message's offset."""
        return self._call("POST", "/api/publish", _message({"room": room}, content, data))["offset"]

    def broadcast(self, content: Optional[str] = None, data: Any = None) -> Dict[str, Any]:
        """Sends to every connection; returns ``{"ok": true}``."""
        return self._call("POST", "/api/broadcast", _message({}, content, data))

    def private(self, to: str, content: Optional[str] = None, data: Any = None) -> int:
        """Sends to every connection of user ``to``; returns how many connections it was delivered to.
        A user with no connection is ``ApiError`` 404 ``user_not_found``."""
        return self._call("POST", "/api/private", _message({"to": to}, content, data))["delivered"]

    def subscribe(self, user_id: str, room: str) -> Dict[str, Any]:
        """Joins every connection of ``user_id`` to ``room``, cluster-wide (``POST /api/subscribe``;
        servers without the endpoint answer 404, raised as ``ApiError``)."""
        return self._call("POST", "/api/subscribe", {"userId": user_id, "room": room})

    def unsubscribe(self, user_id: str, room: str) -> Dict[str, Any]:
        """Takes every connection of ``user_id`` out of ``room`` (``POST /api/unsubscribe``)."""
        return self._call("POST", "/api/unsubscribe", {"userId": user_id, "room": room})

    def disconnect(self, user_id: str, code: Optional[int] = None) -> int:
        """Closes every connection of ``user_id`` with ``code`` (default 4003, no reconnect); returns how
        many were closed."""
        body: Dict[str, Any] = {"userId": user_id}
        if code is not None:
            body["code"] = code
        return self._call("POST", "/api/disconnect", body)["disconnected"]

    def rooms(self) -> Any:
        """The rooms of this node (``GET /api/rooms``)."""
        return self._call("GET", "/api/rooms")

    def room(self, room: str) -> Dict[str, Any]:
        """Members, offset and epoch of ``room`` (``GET /api/rooms/{room}``)."""
        return self._call("GET", "/api/rooms/" + quote(room, safe=""))

    def _call(self, method: str, path: str, body: Optional[Dict[str, Any]] = None) -> Any:
        data = None if body is None else json.dumps(body).encode("utf-8")
        req = urllib.request.Request(self.base_url + path, data=data, method=method, headers={
            "Authorization": f"Bearer {self._api_key}",
            "Accept": "application/json",
            **({"Content-Type": "application/json"} if data is not None else {}),
        })
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as res:
                raw = res.read()
        except urllib.error.HTTPError as e:
            raise _api_error(e) from None
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise ApiError(0, "unreachable", f"{method} {self.base_url}{path}: {reason}") from None
        return json.loads(raw) if raw else {}

    def __repr__(self) -> str:  # never the key
        return f"SwitchboardAPI({self.base_url!r})"


def _message(body: Dict[str, Any], content: Optional[str], data: Any) -> Dict[str, Any]:
    if content is None and data is None:
        raise ValueError("a message needs content or data")
    if content is not None:
        body["content"] = content
    if data is not None:
        body["data"] = data
    return body


def _api_error(e: urllib.error.HTTPError) -> ApiError:
    raw = e.read()
    try:
        body = json.loads(raw)
    except ValueError:
        body = raw.decode("utf-8", "replace").strip()
    if isinstance(body, dict):
        code, message = str(body.get("error", "http_error")), str(body.get("message", ""))
    else:
        code, message = "http_error", body or str(e.reason)
    retry_after = e.headers.get("Retry-After") if e.headers else None
    try:
        retry = float(retry_after) if retry_after is not None else None
    except ValueError:
        retry = None
    return ApiError(e.code, code, message, retry, body)
