"""asyncio client of the Switchboard wire protocol v1 (docs/protocol.md), on the ``websockets`` library.

One ``SwitchboardClient`` owns at most one WebSocket at a time. Every command carries a string ``id``
and its coroutine returns the reply carrying that id (or raises ``SwitchboardError``). After an
unexpected close the client reconnects as the close-code table says (protocol section 6), with
exponential backoff and full jitter; it then rejoins every room with ``since`` ``{offset, epoch}`` and
delivers room messages in order and at most once per room offset. When the server cannot replay (new
epoch, history too short) a ``recovery`` event says ``recovered: False`` and the application resyncs
from its own source of truth.

Heartbeats are WebSocket pings, which ``websockets`` sends and answers; a peer that stops answering
is closed by the library (1011) and reconnected.

Threading: confined to the event loop that called ``connect()``; not thread-safe. Listeners run on
that loop, in the reader's order; a listener that returns an awaitable has it scheduled as a task, so
it may await the client's own commands.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import json
import logging
import random as _random
from typing import Any, Awaitable, Callable, Dict, List, Optional, Union
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from websockets.exceptions import ConnectionClosed

from .errors import SwitchboardError
from .protocol import RoomCursor, backoff_delay, rejection_policy, retry_policy

try:  # websockets >= 13: the new asyncio implementation
    from websockets.asyncio.client import connect as _ws_connect

    _HEADERS_ARG = "additional_headers"
except ImportError:  # websockets 10 to 12 (Debian 12 ships 10.4)
    from websockets.client import connect as _ws_connect  # type: ignore[no-redef]

    _HEADERS_ARG = "extra_headers"

log = logging.getLogger("switchboard")

Listener = Callable[[Any], Union[None, Awaitable[Any]]]
TokenProvider = Callable[[], Union[str, Awaitable[str]]]


class _Room:
    """What the client keeps per joined room. Confined to the event loop."""

    __slots__ = ("cursor", "waiters", "joined", "sending", "since", "last_joined")

    def __init__(self) -> None:
        self.cursor: Optional[RoomCursor] = None
        #: join() calls waiting for the next room_joined of this room.
        self.waiters: List[asyncio.Future] = []
        #: Joined on the current connection.
        self.joined = False
        #: A join_room is in flight on the current connection.
        self.sending = False
        #: The since of that join_room, to tell a recovery from a fresh start.
        self.since: Optional[dict] = None
        self.last_joined: Optional[dict] = None


class SwitchboardClient:
    """A connection to a Switchboard server that survives reconnects.

    Lifecycle: ``idle`` -> ``connect()`` -> ``connecting`` -> ``connected`` <-> ``reconnecting`` ->
    ``closed`` (after ``close()``, or a close code or HTTP status that forbids reconnecting). The first
    connection is not retried: ``connect()`` raises if it fails.

    Events (``on(event, fn)``): ``state``, ``welcome``, ``room_message``, ``private_message``,
    ``broadcast``, ``room_joined``, ``room_left``, ``user_joined_room``, ``user_left_room``,
    ``user_joined``, ``user_left``, ``recovery``, ``server_shutdown``, ``close``, ``error`` (server
    errors that answer no command, failed automatic rejoins), ``frame`` (every JSON frame), ``binary``.
    """

    def __init__(self, url: str, *, user_id: Optional[str] = None, token: Optional[str] = None,
                 token_provider: Optional[TokenProvider] = None, headers: Optional[Dict[str, str]] = None,
                 reconnect: bool = True, backoff_initial: float = 0.5, backoff_max: float = 30.0,
                 stable_after: float = 5.0, request_timeout: float = 10.0, connect_timeout: float = 10.0,
                 max_pending: int = 1024, ping_interval: float = 20.0, ping_timeout: float = 20.0,
                 max_message_bytes: int = 1 << 20, random: Callable[[], float] = _random.random):
        """
        :param url: ``ws://`` or ``wss://`` URL of the endpoint, e.g. ``ws://localhost:8080/ws``
        :param user_id: ``?id=`` of the connection (auth disabled only; the server ignores it with auth on)
        :param token: JWT sent as ``Authorization: Bearer`` (auth enabled)
        :param token_provider: called (sync or async) after close 4001 (token expired); its result is
            the token of the immediate reconnect. Without it, 4001 is final.
        :param headers: extra upgrade headers (``Origin``, cookies, ...)
        :param reconnect: reconnect after an established connection drops
        :param backoff_initial: ceiling of the first reconnect delay in seconds; doubles per attempt
        :param backoff_max: upper bound of every delay
        :param stable_after: a connection that stayed up this long resets the backoff to its first step
        :param request_timeout: how long a command waits for its reply (and, while reconnecting, for
            the connection)
        :param connect_timeout: TCP connect plus upgrade
        :param max_pending: commands waiting for a reply or for the connection; beyond, ``queue_full``
        :param ping_interval: WebSocket ping interval; ``ping_timeout``: silence that drops the connection
        :param max_message_bytes: largest incoming message
        :param random: jitter source in [0, 1); seed it in tests
        """
        self.url = url
        self.user_id = user_id
        self.token = token
        self.token_provider = token_provider
        self.headers = dict(headers or {})
        self.reconnect = reconnect
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.stable_after = stable_after
        self.request_timeout = request_timeout
        self.connect_timeout = connect_timeout
        self.max_pending = max_pending
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.max_message_bytes = max_message_bytes
        self.random = random

        #: 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed'
        self.state = "idle"
        #: The ``welcome`` frame of the current connection, or None.
        self.welcome: Optional[dict] = None
        #: Reconnect attempts since the last stable connection.
        self.attempt = 0
        #: ``{code, reason}`` of the last close, or None.
        self.last_close: Optional[dict] = None

        self._listeners: Dict[str, List[Listener]] = {}
        self._ws: Any = None
        self._runner: Optional[asyncio.Task] = None
        self._first: Optional[asyncio.Future] = None
        self._connected = asyncio.Event()
        self._wake = asyncio.Event()
        self._seq = itertools.count(1)
        self._pending: Dict[str, asyncio.Future] = {}
        self._waiting = 0  # commands inside _request: bounded by max_pending
        self._rooms: Dict[str, _Room] = {}
        self._shutdown_hint: Optional[float] = None
        self._tasks: set = set()  # listener and rejoin tasks, referenced until done

    # ---- lifecycle ------------------------------------------------------------------------------

    async def connect(self) -> dict:
        """Opens the connection; returns the ``welcome`` frame. Raises ``SwitchboardError``
        (``connect_failed``, ``rejected``, ``closed``) when the first connection fails."""
        if self.state == "connected" and self.welcome is not None:
            return self.welcome
        if self._runner is None or self._runner.done():
            loop = asyncio.get_running_loop()
            self.attempt = 0
            self.last_close = None
            self._first = loop.create_future()
            self._runner = loop.create_task(self._run())
        assert self._first is not None
        return await asyncio.shield(self._first)

    async def close(self, code: int = 1000, reason: str = "client closed") -> None:
        """Closes for good (no reconnect). Pending commands fail with ``closed``."""
        runner, self._runner = self._runner, None
        ws = self._ws
        if ws is not None:
            try:
                await asyncio.wait_for(ws.close(code, reason), 5)
            except Exception:  # already closed, or the peer is gone: nothing left to tell it
                pass
        if runner is not None and not runner.done():
            runner.cancel()
            try:
                await runner
            except asyncio.CancelledError:
                pass
        self._lost()
        self._fail_pending("closed", "connection closed by the client")
        for entry in self._rooms.values():
            _reject(entry.waiters, "closed", "connection closed by the client")
        if self._first is not None and not self._first.done():
            self._first.set_exception(SwitchboardError("closed", "closed before the first connection"))
        if self.state != "closed":
            self.last_close = {"code": code, "reason": reason}
            self._set_state("closed", close_code=code, close_reason=reason)

    def reconnect_now(self) -> None:
        """Skips the remaining wait of a scheduled reconnect."""
        self._wake.set()

    async def __aenter__(self) -> "SwitchboardClient":
        await self.connect()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    # ---- commands -------------------------------------------------------------------------------

    async def join(self, room: str) -> dict:
        """Joins ``room``; returns ``room_joined``. The room is rejoined after every reconnect (with
        ``since``) until ``leave(room)``. While reconnecting, returns once the next connection joined."""
        self._require_open()
        entry = self._rooms.get(room)
        if entry is None:
            entry = self._rooms[room] = _Room()
        if entry.joined and entry.last_joined is not None:
            return entry.last_joined
        waiter = asyncio.get_running_loop().create_future()
        entry.waiters.append(waiter)
        if self.state == "connected" and not entry.sending:
            self._send_join(room, entry)
        try:
            return await waiter
        finally:
            if waiter in entry.waiters:
                entry.waiters.remove(waiter)

    async def leave(self, room: str) -> dict:
        """Leaves ``room`` and stops rejoining it; returns ``room_left``."""
        entry = self._rooms.pop(room, None)
        if entry is not None:
            _reject(entry.waiters, "left", "left the room before it was joined")
        return await self._request({"type": "leave_room", "room": room})

    async def publish(self, room: str, content: Optional[str] = None, data: Any = None, *,
                      echo: bool = False) -> dict:
        """Publishes to a joined room; returns the ack ``{type: 'ack', offset}``."""
        cmd = _body({"type": "room_message", "room": room}, content, data)
        if echo:
            cmd["echo"] = True
        ack = await self._request(cmd)
        # Our own message is not delivered back (without echo): count it as seen so the cursor moves on.
        entry = self._rooms.get(room)
        if entry is not None and entry.cursor is not None and isinstance(ack.get("offset"), int) and not echo:
            entry.cursor.accept(ack["offset"])
        return ack

    async def send_private(self, to: str, content: Optional[str] = None, data: Any = None) -> dict:
        """Sends to every connection of user ``to``; returns the ack."""
        return await self._request(_body({"type": "private_message", "to": to}, content, data))

    async def broadcast(self, content: Optional[str] = None, data: Any = None) -> dict:
        """Sends to every other connection on the server; returns the ack."""
        return await self._request(_body({"type": "broadcast"}, content, data))

    async def presence(self, room: str) -> dict:
        """Returns ``{type: 'presence', room, members: [{userId, connId}...], count}``."""
        return await self._request({"type": "presence", "room": room})

    async def members(self, room: str) -> List[str]:
        """The distinct user ids present in ``room``, sorted."""
        reply = await self.presence(room)
        return sorted({m["userId"] for m in reply.get("members", [])})

    async def history(self, room: str, since: Optional[int] = None, limit: Optional[int] = None) -> dict:
        """Returns ``{type: 'history', room, epoch, messages}``: the messages after offset ``since``."""
        cmd: dict = {"type": "history", "room": room}
        if since is not None:
            cmd["since"] = since
        if limit is not None:
            cmd["limit"] = limit
        return await self._request(cmd)

    async def messages_since(self, room: str, offset: int, limit: Optional[int] = None) -> List[dict]:
        """The room messages after ``offset`` still in history, in offset order."""
        reply = await self.history(room, since=offset, limit=limit)
        return reply.get("messages", [])

    async def echo(self, content: Optional[str] = None, data: Any = None) -> dict:
        """Returns ``{type: 'echo', content, data}``."""
        return await self._request(_body({"type": "echo"}, content, data))

    async def ping(self) -> float:
        """Round trip of the JSON ``ping``, in seconds."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        await self._request({"type": "ping"})
        return loop.time() - start

    async def refresh(self, token: str) -> dict:
        """Hands the server a fresh token for this connection and keeps it for reconnects."""
        self.token = token
        return await self._request({"type": "refresh", "token": token})

    def rooms(self) -> List[str]:
        """Rooms this client keeps joined (now, or on the next connection)."""
        return list(self._rooms)

    def cursor(self, room: str) -> Optional[RoomCursor]:
        """The delivery cursor of ``room``, or None before its first join."""
        entry = self._rooms.get(room)
        return entry.cursor if entry is not None else None

    # ---- events ---------------------------------------------------------------------------------

    def on(self, event: str, fn: Listener) -> Callable[[], None]:
        """Calls ``fn(payload)`` for each ``event``; returns the function that unsubscribes it."""
        self._listeners.setdefault(event, []).append(fn)
        return lambda: self.off(event, fn)

    def off(self, event: str, fn: Listener) -> None:
        fns = self._listeners.get(event)
        if fns and fn in fns:
            fns.remove(fn)

    def _emit(self, event: str, payload: Any) -> None:
        for fn in list(self._listeners.get(event, ())):
            try:
                result = fn(payload)
                if inspect.isawaitable(result):
                    self._spawn(result)
            except Exception:
                # A throwing listener must not break the protocol state machine.
                log.exception("switchboard listener for %r failed", event)

    def _spawn(self, awaitable: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(awaitable)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("switchboard listener task failed", exc_info=task.exception())

    # ---- connection -----------------------------------------------------------------------------

    def _connect_url(self) -> str:
        if not self.user_id:
            return self.url
        parts = urlsplit(self.url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        if any(k == "id" for k, _ in query):
            return self.url
        return urlunsplit(parts._replace(query=urlencode(query + [("id", self.user_id)])))

    async def _open(self) -> Any:
        headers = dict(self.headers)
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return await _ws_connect(self._connect_url(), open_timeout=self.connect_timeout,
                                 ping_interval=self.ping_interval, ping_timeout=self.ping_timeout,
                                 max_size=self.max_message_bytes, **{_HEADERS_ARG: headers})

    async def _run(self) -> None:
        try:
            await self._connect_loop()
        except asyncio.CancelledError:
            raise
        except Exception as e:  # a defect here must not leave connect() or the commands waiting forever
            log.exception("switchboard client stopped")
            if self._first is not None and not self._first.done():
                self._first.set_exception(SwitchboardError("closed", f"client failed: {e!r}"))
            self._lost()
            self._end(1006, f"client failed: {e!r}")

    async def _connect_loop(self) -> None:
        """Connects, reads until the connection ends, and decides whether and when to connect again."""
        loop = asyncio.get_running_loop()
        first = True
        while True:
            self._set_state("connecting" if first else "reconnecting", connecting=True)
            try:
                ws = await self._open()
            except Exception as e:  # refused, unreachable, timed out, a bad URL: this attempt failed
                status = _status_of(e)
                if first:
                    self._fail_first(SwitchboardError("rejected", f"upgrade refused with HTTP {status}", status=status)
                                     if status else SwitchboardError("connect_failed", f"cannot connect to {self.url}: {e}"))
                    return
                code, reason = (status or 1006), f"HTTP {status}" if status else str(e)
                policy = rejection_policy(status) if status else "backoff"
                opened_at = None
            else:
                opened_at = loop.time()
                code, reason = await self._read(ws)
                policy = retry_policy(code) if self.reconnect else "never"
                if opened_at is not None and loop.time() - opened_at >= self.stable_after:
                    self.attempt = 0
            self.last_close = {"code": code, "reason": reason}
            if first and self._first is not None and not self._first.done():
                # Closed before the welcome: the first connection failed.
                self._fail_first(SwitchboardError("closed", f"connection closed ({code} {reason})".strip()))
                return
            first = False

            if policy == "refresh":
                if self.token_provider is None:
                    policy = "never"
                else:
                    try:
                        token = self.token_provider()
                        self.token = await token if inspect.isawaitable(token) else token
                    except Exception as e:
                        self._end(code, f"token refresh failed: {e}")
                        return
            if policy == "never":
                self._end(code, reason)
                return
            if policy == "refresh":
                delay = 0.0
            elif policy == "hint" and self._shutdown_hint is not None:
                delay, self._shutdown_hint = self._shutdown_hint, None
            else:
                delay = backoff_delay(self.attempt, self.backoff_initial, self.backoff_max, self.random)
            self.attempt += 1
            self._emit("close", {"code": code, "reason": reason, "will_reconnect": True, "retry_in": delay})
            self._set_state("reconnecting", close_code=code, close_reason=reason, retry_in=delay)
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), delay)
            except asyncio.TimeoutError:
                pass

    async def _read(self, ws: Any) -> tuple:
        """Reads ``ws`` until it closes; returns the close code and reason."""
        self._ws = ws
        try:
            async for raw in ws:
                self._on_message(raw)
        except ConnectionClosed:
            pass  # the code is read below, as for a clean close
        finally:
            self._ws = None
            self._lost()
        code = ws.close_code if ws.close_code is not None else 1006
        return code, ws.close_reason or ""

    def _lost(self) -> None:
        """The connection is gone: what was waiting on it fails or waits for the next one."""
        self.welcome = None
        self._connected.clear()
        self._fail_pending("disconnected", "the connection closed before the reply")
        for entry in self._rooms.values():
            entry.joined = False
            entry.sending = False

    def _end(self, code: int, reason: str) -> None:
        for entry in self._rooms.values():
            _reject(entry.waiters, "closed", f"connection closed ({code})")
        self._emit("close", {"code": code, "reason": reason, "will_reconnect": False})
        self._set_state("closed", close_code=code, close_reason=reason)

    def _fail_first(self, error: SwitchboardError) -> None:
        assert self._first is not None
        if not self._first.done():
            self._first.set_exception(error)
        self._set_state("closed", close_reason=error.message)

    # ---- inbound --------------------------------------------------------------------------------

    def _on_message(self, raw: Union[str, bytes]) -> None:
        if not isinstance(raw, str):
            self._emit("binary", raw)
            return
        try:
            frame = json.loads(raw)
        except ValueError:
            self._emit("error", {"type": "error", "code": "invalid_json", "error": "server sent invalid JSON"})
            return
        if not isinstance(frame, dict):
            self._emit("error", {"type": "error", "code": "invalid_json", "error": "server sent a non-object"})
            return
        self._emit("frame", frame)
        frame_id = frame.get("id")
        if frame_id is not None:
            waiter = self._pending.pop(str(frame_id), None)
            if waiter is not None:
                if not waiter.done():
                    if frame.get("type") == "error":
                        waiter.set_exception(SwitchboardError(frame.get("code", "internal"),
                                                              frame.get("error", ""), frame))
                    else:
                        waiter.set_result(frame)
                if frame.get("type") not in ("room_joined", "room_left"):
                    return
        self._dispatch(frame)

    def _dispatch(self, frame: dict) -> None:
        kind = frame.get("type")
        if kind == "welcome":
            self.welcome = frame
            self._shutdown_hint = None
            self._set_state("connected")
            self._connected.set()
            if self._first is not None and not self._first.done():
                self._first.set_result(frame)
            self._emit("welcome", frame)
            for room, entry in self._rooms.items():
                self._send_join(room, entry)
        elif kind == "room_joined":
            self._on_joined(frame)
        elif kind == "room_message":
            entry = self._rooms.get(frame.get("room"))
            offset = frame.get("offset")
            if entry is not None and entry.cursor is not None and isinstance(offset, int) \
                    and not entry.cursor.accept(offset):
                return
            self._emit("room_message", frame)
        elif kind == "server_shutdown":
            after = frame.get("reconnectAfterMs")
            self._shutdown_hint = after / 1000.0 if isinstance(after, (int, float)) else None
            self._emit("server_shutdown", frame)
        elif kind == "pong":
            return
        else:
            self._emit(kind or "unknown", frame)

    def _send_join(self, room: str, entry: _Room) -> None:
        cmd: dict = {"type": "join_room", "room": room}
        if entry.cursor is not None:
            cmd["since"] = {"offset": entry.cursor.mark, "epoch": entry.cursor.epoch}
        entry.sending = True
        entry.since = cmd.get("since")
        self._spawn(self._join(room, entry, cmd))

    async def _join(self, room: str, entry: _Room, cmd: dict) -> None:
        try:
            await self._request(cmd)  # the room_joined reply is handled in _on_joined
        except SwitchboardError as e:
            entry.sending = False
            if e.code in ("disconnected", "closed"):
                return  # rejoined on the next connection, or ended with the client
            if self._rooms.get(room) is entry:
                del self._rooms[room]
            _reject(entry.waiters, e.code, e.message, e.frame)
            self._emit("error", e.frame or {"type": "error", "code": e.code, "error": e.message, "room": room})

    def _on_joined(self, frame: dict) -> None:
        entry = self._rooms.get(frame.get("room"))
        if entry is None:
            return  # left meanwhile
        entry.sending = False
        offset = frame.get("offset") or 0
        epoch = frame.get("epoch")
        if entry.cursor is None:
            entry.cursor = RoomCursor(epoch, offset)
        else:
            since = entry.since
            recovered = frame.get("recovered") is True and since is not None and epoch == since.get("epoch")
            # The since sent, not the cursor: replayed messages have already moved the cursor on.
            previous = dict(since) if since is not None else {"epoch": entry.cursor.epoch, "offset": entry.cursor.mark}
            if recovered:
                entry.cursor.reset(epoch, max(entry.cursor.mark, offset))
            else:
                entry.cursor = RoomCursor(epoch, offset)
            self._emit("recovery", {"room": frame.get("room"), "recovered": recovered, "epoch": epoch,
                                    "offset": offset, "previous": previous})
        entry.joined = True
        entry.last_joined = frame
        waiters, entry.waiters = entry.waiters, []
        for w in waiters:
            if not w.done():
                w.set_result(frame)
        self._emit("room_joined", frame)

    # ---- plumbing -------------------------------------------------------------------------------

    async def _request(self, cmd: dict) -> dict:
        self._require_open()
        if self._waiting >= self.max_pending:
            raise SwitchboardError("queue_full", f"{self._waiting} commands waiting (max_pending); "
                                                 "the connection is down or too slow, retry later")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.request_timeout
        self._waiting += 1
        request_id = str(next(self._seq))
        try:
            if not self._connected.is_set():
                try:
                    await asyncio.wait_for(self._connected.wait(), self.request_timeout)
                except asyncio.TimeoutError:
                    raise SwitchboardError("timeout", f"not connected within {self.request_timeout} s "
                                                      f"({self.state})") from None
            ws = self._ws
            if ws is None:
                raise SwitchboardError("disconnected", "the connection closed before the command was sent")
            reply = loop.create_future()
            self._pending[request_id] = reply
            try:
                await ws.send(json.dumps({**cmd, "id": request_id}))
            except ConnectionClosed:
                raise SwitchboardError("disconnected", "the connection closed while sending") from None
            try:
                return await asyncio.wait_for(reply, max(0.0, deadline - loop.time()))
            except asyncio.TimeoutError:
                raise SwitchboardError("timeout", f"no reply to {cmd['type']} within {self.request_timeout} s") \
                    from None
        finally:
            self._waiting -= 1
            self._pending.pop(request_id, None)

    def _require_open(self) -> None:
        if self.state in ("idle", "closed") or self._runner is None:
            raise SwitchboardError("not_connected", f"not connected ({self.state}); call connect() first")

    def _fail_pending(self, code: str, message: str) -> None:
        pending, self._pending = self._pending, {}
        for reply in pending.values():
            if not reply.done():
                reply.set_exception(SwitchboardError(code, message))

    def _set_state(self, state: str, **detail: Any) -> None:
        changed = state != self.state
        self.state = state
        if changed or detail:
            self._emit("state", {"state": state, "attempt": self.attempt, **detail})


def _body(cmd: dict, content: Optional[str], data: Any) -> dict:
    if content is not None:
        cmd["content"] = content
    if data is not None:
        cmd["data"] = data
    return cmd


def _reject(waiters: List[asyncio.Future], code: str, message: str, frame: Optional[dict] = None) -> None:
    pending, waiters[:] = list(waiters), []
    for w in pending:
        if not w.done():
            w.set_exception(SwitchboardError(code, message, frame))


def _status_of(error: BaseException) -> Optional[int]:
    """The HTTP status of a refused upgrade, across websockets versions; None for other failures."""
    status = getattr(error, "status_code", None)  # InvalidStatusCode (websockets < 14)
    if status is None:
        response = getattr(error, "response", None)  # InvalidStatus (websockets >= 14)
        status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None
