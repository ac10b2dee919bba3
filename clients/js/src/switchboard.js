// switchboard.js: the client of the Switchboard wire protocol v1 (docs/protocol.md) for browsers and Node.js.
//
// One SwitchboardClient owns at most one WebSocket at a time. It correlates every command with a
// string `id` and settles the returned promise with the reply carrying that id; it reconnects after
// an unexpected close, honouring the close-code table (protocol section 6), with exponential
// backoff and full jitter; on reconnect it rejoins every room with `since` {offset, epoch}, and it
// delivers room messages in order and at most once per room (by offset). When the server cannot
// replay (new epoch, history too short) it emits a `recovery` event with `recovered: false`, and
// the application resyncs from its own source of truth.
//
// Browsers cannot see WebSocket-level pings, so the client sends the JSON `ping` command and treats
// silence as a dead connection.
//
// A browser cannot read why an upgrade was refused (the page sees only close 1006), so after a
// close before the connection opened the client asks the endpoint's check (`/ws/check`, same
// credentials) once; a refusal that retrying cannot fix (origin not allowed, invalid token) ends
// the client with that reason instead of a reconnect loop.
//
// Transports: WebSocket first; when the check says the server would have admitted a WebSocket that
// never opened, something on the way (a proxy) breaks upgrades, and the client moves on to HTTP
// streaming (`/stream`: one long response of events, commands POSTed with its session id), which
// speaks the same protocol. When streaming fails too, it falls back to Server-Sent Events (`/sse`,
// the browser's EventSource) for read-only use: the rooms it keeps joined are in the stream's URL (a
// join or leave reopens the stream), missed messages are recovered with `lastEventId` (the stream's
// position in every room, built from the client's own cursors), and every command that would need the
// server to listen (publish, private messages, presence...) rejects with `read_only`.
// `transport` (and the `state` and `welcome` events) say which is in use.
//
// Threading: JavaScript is single-threaded; every method and callback runs on the event loop.
// No dependencies; time, randomness and the WebSocket constructor are injectable (tests, and Node
// versions without a global WebSocket).

/** Close codes of protocol section 6 and what the client does after each. */
export const CloseCodes = Object.freeze({
  1000: 'never', // normal
  1001: 'backoff', // going away / heartbeat timeout
  1002: 'never', // protocol error
  1003: 'never', // unsupported data
  1006: 'backoff', // abnormal: no close frame (network cut); not sent on the wire
  1007: 'never', // invalid UTF-8
  1008: 'never', // policy violation
  1009: 'never', // message too big
  1011: 'backoff', // internal error
  1012: 'hint', // server restart: wait reconnectAfterMs of server_shutdown, then backoff
  1013: 'backoff', // try again later
  4001: 'refresh', // token expired: refresh the token, then reconnect
  4003: 'never', // forbidden
  4008: 'backoff', // slow consumer
  4029: 'backoff', // rate limited
});

/** What the client does after a close with `code`: 'never' | 'backoff' | 'hint' | 'refresh'. */
export function retryPolicy(code) {
  return CloseCodes[code] ?? 'backoff';
}

/**
 * Full-jitter exponential backoff (AWS architecture blog, "Exponential Backoff And Jitter"):
 * a uniformly random delay in [0, min(maxMs, initialMs * 2^attempt)). `attempt` counts from 0.
 */
export function backoffDelay(attempt, { initialMs = 500, maxMs = 30000 } = {}, random = Math.random) {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/** The error a command's promise rejects with: a server `error` reply, a timeout or a disconnect. */
export class SwitchboardError extends Error {
  constructor(code, message, frame) {
    super(message);
    this.name = 'SwitchboardError';
    /** Protocol error code (`not_in_room`, ...) or a client one: `timeout`, `disconnected`, `not_connected`, `closed`. */
    this.code = code;
    /** The server's error frame, when there was one. */
    this.frame = frame;
  }
}

/**
 * Per-room delivery state: the epoch, the contiguous high-water mark of offsets seen (delivered
 * or acknowledged as our own publish), and the offsets seen above it. `since` on rejoin is the mark,
 * so nothing is skipped; anything at or below the mark, or already seen, is a duplicate.
 */
export class RoomCursor {
  constructor(epoch, offset) {
    this.epoch = epoch;
    this.mark = offset;
    this.above = new Set();
  }

  /** Records `offset`; returns false when it was already seen (a duplicate). */
  accept(offset) {
    if (offset <= this.mark || this.above.has(offset)) return false;
    this.above.add(offset);
    while (this.above.delete(this.mark + 1)) this.mark++;
    if (this.above.size > RoomCursor.MAX_ABOVE) {
      // A hole that never fills (a message lost for good): give up on it rather than grow forever.
      this.mark = Math.max(...this.above);
      this.above.clear();
    }
    return true;
  }

  /** Moves the mark to `offset` (the room's offset in `room_joined`), forgetting what lies below. */
  reset(epoch, offset) {
    if (epoch !== this.epoch) this.above.clear();
    this.epoch = epoch;
    this.mark = offset;
    for (const o of this.above) if (o <= offset) this.above.delete(o);
    while (this.above.delete(this.mark + 1)) this.mark++;
  }

  /** The highest offset seen, for display. */
  get highest() {
    return this.above.size ? Math.max(this.mark, ...this.above) : this.mark;
  }
}
RoomCursor.MAX_ABOVE = 1000;

const DEFAULTS = {
  userId: undefined,
  token: undefined,
  refreshToken: undefined,
  reconnect: true,
  backoff: { initialMs: 500, maxMs: 30000 },
  requestTimeoutMs: 10000,
  stableAfterMs: 5000,
  heartbeatIntervalMs: 20000,
  heartbeatTimeoutMs: 10000,
  WebSocket: undefined,
  fetch: undefined,
  transports: ['websocket', 'streaming', 'sse'],
  EventSource: undefined,
  random: Math.random,
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (t) => globalThis.clearTimeout(t),
  now: () => Date.now(),
};

/**
 * A connection to a Switchboard server that survives reconnects.
 *
 * Lifecycle: `idle` → `connect()` → `connecting` → `connected` ⇄ `reconnecting` → `closed`
 * (after `close()`, or a close code that forbids reconnecting). Listen with `on(event, fn)`.
 */
export class SwitchboardClient {
  /**
   * @param {string} url  ws:// or wss:// URL of the endpoint, e.g. `ws://host:8080/ws`
   * @param {object} [options]  see switchboard.d.ts, `SwitchboardOptions`
   */
  constructor(url, options = {}) {
    this.url = url;
    this.options = { ...DEFAULTS, ...options, backoff: { ...DEFAULTS.backoff, ...options.backoff } };
    // Resolved once: without a constructor every attempt would fail alike and the client would retry forever.
    this._WebSocket = this.options.WebSocket ?? globalThis.WebSocket;
    if (typeof this._WebSocket !== 'function') {
      throw new TypeError('no WebSocket constructor: this runtime has no global WebSocket (Node.js before 22 '
        + 'needs --experimental-websocket); pass one as the WebSocket option, '
        + "e.g. new SwitchboardClient(url, { WebSocket }) with WebSocket from the 'ws' package");
    }
    /** 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed' */
    this.state = 'idle';
    /** The `welcome` frame of the current connection, or null. */
    this.welcome = null;
    /** Reconnect attempts since the last stable connection (up for `stableAfterMs`). */
    this.attempt = 0;
    /** When the next reconnect attempt starts (epoch millis), while `reconnecting`. */
    this.retryAt = null;
    this.lastClose = null;
    /** The transport of the current or next connection: 'websocket' | 'streaming' | 'sse' (read-only). */
    this.transport = this.options.transports[0] ?? 'websocket';

    this._listeners = new Map();
    this._ws = null;
    this._seq = 0;
    this._pending = new Map(); // id -> {resolve, reject, timer, type}
    this._rooms = new Map(); // room -> {cursor: RoomCursor|null, waiters: [{resolve, reject}], joined: bool}
    this._retryTimer = null;
    this._stableTimer = null;
    this._pingTimer = null;
    this._pongTimer = null;
    this._shutdownHintMs = null;
    this._onOnline = () => this.reconnectNow();
    if (options.reconnectWhenOnline !== false) globalThis.addEventListener?.('online', this._onOnline);
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  /** Opens the connection; resolves with the `welcome` frame of the first successful connection. */
  connect() {
    if (this.state === 'closed') {
      this.state = 'idle';
      this.attempt = 0;
      this.lastClose = null;
      if (this.options.reconnectWhenOnline !== false) globalThis.addEventListener?.('online', this._onOnline);
    }
    if (this.state === 'idle') this._open();
    return this.welcome
      ? Promise.resolve(this.welcome)
      : new Promise((resolve, reject) => {
          const offW = this.on('welcome', (w) => { offW(); offS(); resolve(w); });
          const offS = this.on('state', (s) => {
            if (s.state === 'closed') { offW(); offS(); reject(new SwitchboardError('closed', 'connection closed', null)); }
          });
        });
  }

  /** Closes for good (code 1000); no reconnect. Pending commands reject with `closed`. */
  close(code = 1000, reason = 'client closed') {
    this._clearRetry();
    this._clearStable();
    this._stopHeartbeat();
    const ws = this._ws;
    this._ws = null;
    if (ws) {
      detach(ws);
      try { ws.close(code, reason); } catch { /* already closing */ }
    }
    this._failPending('closed', 'connection closed by the client');
    for (const entry of this._rooms.values()) this._rejectWaiters(entry, 'closed', 'connection closed by the client');
    this.welcome = null;
    globalThis.removeEventListener?.('online', this._onOnline);
    this._setState('closed', { closeCode: code, closeReason: reason });
  }

  /** Skips the remaining wait of a scheduled reconnect and tries now (also done when the browser goes back online). */
  reconnectNow() {
    if (this.state !== 'reconnecting') return;
    this._clearRetry();
    this._open();
  }

  // ---- commands --------------------------------------------------------------------------------

  /**
   * Joins `room`; resolves with `room_joined`. The room is rejoined after every reconnect (with
   * `since`), until `leave(room)`. While not connected, resolves once the next connection has joined.
   */
  join(room) {
    let entry = this._rooms.get(room);
    if (!entry) {
      entry = { cursor: null, waiters: [], joined: false };
      this._rooms.set(room, entry);
    }
    if (entry.joined && entry.lastJoined) return Promise.resolve(entry.lastJoined);
    const p = new Promise((resolve, reject) => entry.waiters.push({ resolve, reject }));
    if (this.state === 'connected' && !entry.sending) this._sendJoin(room, entry);
    return p;
  }

  /** Leaves `room` and stops rejoining it; resolves with `room_left`. */
  leave(room) {
    const entry = this._rooms.get(room);
    this._rooms.delete(room);
    if (entry) this._rejectWaiters(entry, 'left', 'left the room before it was joined');
    if (this.transport === 'sse') {
      // The rooms are the stream's URL: a stream without this room replaces the one with it.
      if (this.state === 'connected') this._reopenStream();
      return Promise.resolve({ type: 'room_left', room });
    }
    return this._request({ type: 'leave_room', room });
  }

  /** Publishes to a joined room; resolves with `{type:'ack', offset}`. */
  publish(room, content, data, { echo = false } = {}) {
    const cmd = { type: 'room_message', room };
    if (content !== undefined) cmd.content = content;
    if (data !== undefined) cmd.data = data;
    if (echo) cmd.echo = true;
    return this._request(cmd).then((ack) => {
      // Our own message is never delivered back (without echo); count it as seen so the cursor moves.
      const entry = this._rooms.get(room);
      if (entry?.cursor && typeof ack.offset === 'number' && !echo) entry.cursor.accept(ack.offset);
      return ack;
    });
  }

  /** Sends a private message to every connection of user `to`; resolves with the ack. */
  sendPrivate(to, content, data) {
    return this._request(withBody({ type: 'private_message', to }, content, data));
  }

  /** Sends to every other connection on the server; resolves with the ack. */
  broadcast(content, data) {
    return this._request(withBody({ type: 'broadcast' }, content, data));
  }

  /** Resolves with `{type:'presence', room, members, count}`. */
  presence(room) {
    return this._request({ type: 'presence', room });
  }

  /** Resolves with `{type:'history', room, epoch, messages}`; `since` is an offset. */
  history(room, { since, limit } = {}) {
    const cmd = { type: 'history', room };
    if (since !== undefined) cmd.since = since;
    if (limit !== undefined) cmd.limit = limit;
    return this._request(cmd);
  }

  /** Round trip of the JSON `ping`; resolves with the elapsed milliseconds. */
  ping() {
    const start = this.options.now();
    return this._request({ type: 'ping' }).then(() => this.options.now() - start);
  }

  /** Resolves with `{type:'echo', content, data}`. */
  echo(content, data) {
    return this._request(withBody({ type: 'echo' }, content, data));
  }

  /** Hands the server a fresh token for this connection and keeps it for reconnects. */
  refresh(token) {
    this.options.token = token;
    return this._request({ type: 'refresh', token });
  }

  /** Rooms this client keeps joined (joined now or to be joined on the next connection). */
  rooms() {
    return [...this._rooms.keys()];
  }

  /** The delivery cursor of `room` ({epoch, mark, highest}), or null before its first join. */
  cursor(room) {
    return this._rooms.get(room)?.cursor ?? null;
  }

  // ---- events ----------------------------------------------------------------------------------

  /** Subscribes to an event (see switchboard.d.ts, `SwitchboardEvents`); returns the unsubscribe function. */
  on(event, fn) {
    let set = this._listeners.get(event);
    if (!set) this._listeners.set(event, (set = new Set()));
    set.add(fn);
    return () => set.delete(fn);
  }

  off(event, fn) {
    this._listeners.get(event)?.delete(fn);
  }

  _emit(event, payload) {
    const set = this._listeners.get(event);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        fn(payload);
      } catch (err) {
        // A throwing listener must not break the protocol state machine.
        setTimeout(() => { throw err; }, 0);
      }
    }
  }

  // ---- connection ------------------------------------------------------------------------------

  _connectUrl() {
    const u = new URL(this.url, globalThis.location?.href);
    if (this.options.userId && !u.searchParams.has('id')) u.searchParams.set('id', this.options.userId);
    if (this.options.token) u.searchParams.set('token', this.options.token);
    return u.toString();
  }

  _open() {
    this._setState(this.attempt === 0 && !this.lastClose ? 'connecting' : 'reconnecting',
      { connecting: true, transport: this.transport });
    let ws;
    try {
      if (this.transport === 'streaming') {
        ws = new StreamingSocket(this._httpUrl('/stream'), this.options.fetch ?? globalThis.fetch);
      } else if (this.transport === 'sse') {
        ws = new EventStreamSocket(this._sseUrl(), this.options.EventSource ?? globalThis.EventSource);
      } else {
        ws = new this._WebSocket(this._connectUrl());
      }
    } catch (err) {
      this._onClose(null, { code: 1006, reason: String(err?.message ?? err) });
      return;
    }
    this._ws = ws;
    ws.onopen = () => { ws.opened = true; };
    ws.onmessage = (ev) => this._onMessage(ws, ev.data);
    ws.onclose = (ev) => this._onClose(ws, ev);
    ws.onerror = () => { /* a close event always follows */ };
  }

  /** An HTTP endpoint of the server behind the WebSocket URL (`/stream`, `/sse`), with the same credentials. */
  _httpUrl(path) {
    const u = new URL(this._connectUrl());
    u.protocol = u.protocol === 'wss:' ? 'https:' : u.protocol === 'ws:' ? 'http:' : u.protocol;
    u.pathname = path;
    return u.toString();
  }

  /**
   * The read-only stream of every room this client keeps, and where it stands in each (protocol section 10:
   * the id of the stream's position, which the server reads as `Last-Event-ID`). Each room joins as
   * `join_room` with `since` would, so `_onJoined` sees the same `room_joined` as on a WebSocket.
   */
  _sseUrl() {
    const u = new URL(this._httpUrl('/sse'));
    const rooms = [...this._rooms.keys()];
    if (rooms.length > 0) u.searchParams.set('rooms', rooms.join(','));
    const positions = rooms.map((room) => {
      const entry = this._rooms.get(room);
      entry.sending = true;
      entry.since = entry.cursor ? { offset: entry.cursor.mark, epoch: entry.cursor.epoch } : null;
      return entry.since ? `${entry.since.offset}.${entry.since.epoch}` : '';
    });
    if (positions.some((p) => p !== '')) u.searchParams.set('lastEventId', `${roomListTag(rooms)}:${positions.join(',')}`);
    return u.toString();
  }

  /** Replaces the read-only stream with one of the rooms kept now; coalesces the joins of one turn. */
  _reopenStream() {
    if (this._reopening) return;
    this._reopening = true;
    queueMicrotask(() => {
      this._reopening = false;
      if (this.state !== 'connected' || this.transport !== 'sse' || !this._ws) return;
      const ws = this._ws;
      detach(ws);
      ws.close();
      this._ws = null;
      this.welcome = null;
      this._open();
    });
  }

  _onMessage(ws, raw) {
    if (ws !== this._ws) return;
    ws.opened = true;
    this._heard();
    if (typeof raw !== 'string') {
      this._emit('binary', raw);
      return;
    }
    let frame;
    try {
      frame = JSON.parse(raw);
    } catch {
      this._emit('error', { type: 'error', code: 'invalid_json', error: 'server sent invalid JSON' });
      return;
    }
    this._emit('frame', frame);
    if (frame.id !== undefined && this._pending.has(String(frame.id))) {
      const p = this._pending.get(String(frame.id));
      this._pending.delete(String(frame.id));
      this.options.clearTimeout(p.timer);
      if (frame.type === 'error') p.reject(new SwitchboardError(frame.code, frame.error, frame));
      else p.resolve(frame);
      if (frame.type !== 'room_joined' && frame.type !== 'room_left') return;
    }
    this._dispatch(frame);
  }

  _dispatch(frame) {
    switch (frame.type) {
      case 'welcome':
        this.welcome = frame;
        this.retryAt = null;
        // Reset the backoff only once the connection has proved stable: a server that accepts and
        // then closes at once (overloaded, rate limiting) must not be hammered at the shortest delay.
        this._clearStable();
        this._stableTimer = this.options.setTimeout(() => { this._stableTimer = null; this.attempt = 0; },
          this.options.stableAfterMs);
        this._shutdownHintMs = null;
        // A read-only stream cannot carry a ping; the browser's EventSource watches it.
        if (this.transport !== 'sse') this._startHeartbeat(frame.server?.pingIntervalMs);
        this._setState('connected', { transport: this.transport });
        this._emit('welcome', { ...frame, transport: this.transport });
        // Over SSE the rooms were joined by the stream's URL; a room added since reopens it.
        if (this.transport === 'sse') {
          if ([...this._rooms.values()].some((entry) => !entry.sending)) this._reopenStream();
          return;
        }
        for (const [room, entry] of this._rooms) this._sendJoin(room, entry);
        return;
      case 'room_joined':
        this._onJoined(frame);
        return;
      case 'room_message': {
        const entry = this._rooms.get(frame.room);
        if (entry?.cursor && typeof frame.offset === 'number' && !entry.cursor.accept(frame.offset)) return;
        this._emit('room_message', frame);
        return;
      }
      case 'presence_diff':
        // A large room's batched joins and leaves: leaves first (a member that left and came back is in
        // both), each as the notice a small room would have sent, so member lists kept from notices follow.
        for (const m of frame.leaves ?? []) {
          this._emit('user_left_room', { type: 'user_left_room', room: frame.room, userId: m.userId, connId: m.connId });
        }
        for (const m of frame.joins ?? []) {
          this._emit('user_joined_room', { type: 'user_joined_room', room: frame.room, userId: m.userId, connId: m.connId });
        }
        this._emit('presence_diff', frame);
        return;
      case 'server_shutdown':
        this._shutdownHintMs = typeof frame.reconnectAfterMs === 'number' ? frame.reconnectAfterMs : null;
        this._emit('server_shutdown', frame);
        return;
      case 'error': {
        // Over SSE a room the stream could not join (not granted, full) says so with an error naming it.
        const entry = this.transport === 'sse' && frame.room !== undefined ? this._rooms.get(frame.room) : null;
        if (entry && !entry.joined) {
          this._rooms.delete(frame.room);
          this._rejectWaiters(entry, frame.code, frame.error, frame);
        }
        this._emit('error', frame);
        return;
      }
      case 'pong':
      case 'recovered': // SSE's own recovery event: the client reports `recovery` from room_joined as everywhere
        return;
      default:
        this._emit(frame.type ?? 'unknown', frame);
    }
  }

  _sendJoin(room, entry) {
    if (this.transport === 'sse') {
      this._reopenStream();
      return;
    }
    const cmd = { type: 'join_room', room };
    if (entry.cursor) cmd.since = { offset: entry.cursor.mark, epoch: entry.cursor.epoch };
    entry.sending = true;
    entry.since = cmd.since ?? null;
    this._request(cmd).catch((err) => {
      entry.sending = false;
      if (err.code === 'disconnected') return; // retried on the next connection
      this._rooms.delete(room);
      this._rejectWaiters(entry, err.code, err.message, err.frame);
      this._emit('error', err.frame ?? { type: 'error', code: err.code, error: err.message, room });
    });
  }

  _onJoined(frame) {
    const entry = this._rooms.get(frame.room);
    if (!entry) return; // joined by someone else's command id? ignore: we left meanwhile
    entry.sending = false;
    const since = entry.since;
    if (!entry.cursor) {
      entry.cursor = new RoomCursor(frame.epoch, frame.offset ?? 0);
    } else {
      const recovered = frame.recovered === true && frame.epoch === since?.epoch;
      // The since sent, not the cursor: replayed messages have already moved the cursor on.
      const previous = since ? { epoch: since.epoch, offset: since.offset } : { epoch: entry.cursor.epoch, offset: entry.cursor.mark };
      if (recovered) {
        entry.cursor.reset(frame.epoch, Math.max(entry.cursor.mark, frame.offset ?? 0));
      } else {
        entry.cursor = new RoomCursor(frame.epoch, frame.offset ?? 0);
      }
      this._emit('recovery', { room: frame.room, recovered, epoch: frame.epoch, offset: frame.offset, previous });
    }
    entry.joined = true;
    entry.lastJoined = frame;
    const waiters = entry.waiters.splice(0);
    for (const w of waiters) w.resolve(frame);
    this._emit('room_joined', frame);
  }

  _onClose(ws, ev) {
    if (ws && ws !== this._ws) return;
    const code = ev?.code ?? 1006;
    const reason = ev?.reason ?? '';
    if (ws) detach(ws);
    this._ws = null;
    this.welcome = null;
    this._clearStable();
    this._stopHeartbeat();
    this._failPending('disconnected', `connection closed (${code})`);
    for (const entry of this._rooms.values()) { entry.joined = false; entry.sending = false; }
    this.lastClose = { code, reason };
    if (this.state === 'closed') return;
    if (ws && !ws.opened && code === 1006) {
      // Refused at the door, or the server is unreachable: only the check can tell.
      this._checkAdmission().then((refusal) => {
        if (this.state === 'closed' || this._ws) return; // closed or reconnected meanwhile
        if (refusal?.admitted) {
          // The server would have taken it: the way there breaks this transport. Try the next one at once.
          const i = this.options.transports.indexOf(this.transport);
          const next = this.options.transports[i + 1];
          if (next) {
            this.transport = next;
            this._emit('transport', { transport: next, previous: this.options.transports[i] });
            this._schedule(0, code, `${this.options.transports[i]} blocked on the way; trying ${next}`);
            return;
          }
        }
        if (!refusal || refusal.admitted) {
          this._afterClose(code, reason);
          return;
        }
        this.lastClose = { code, reason: refusal.reason, status: refusal.status };
        this._emit('refused', refusal);
        const refresh = refusal.status === 401 && typeof this.options.refreshToken === 'function';
        this._afterClose(code, refusal.reason, refusal.retry ? undefined : refresh ? 'refresh' : 'never');
      });
      return;
    }
    this._afterClose(code, reason);
  }

  /**
   * Asks the endpoint's upgrade check why a connection would be refused, with the same credentials;
   * resolves with `{status, reason, retry}`, `{admitted: true}`, or null when the check cannot be reached.
   */
  async _checkAdmission() {
    const fetchFn = this.options.fetch ?? globalThis.fetch;
    if (typeof fetchFn !== 'function') return null;
    try {
      const u = new URL(this._connectUrl());
      u.protocol = u.protocol === 'wss:' ? 'https:' : u.protocol === 'ws:' ? 'http:' : u.protocol;
      u.pathname = `${u.pathname.replace(/\/$/, '')}/check`;
      const res = await fetchFn(u.toString(), { credentials: 'include', cache: 'no-store' });
      if (!res.ok) return null;
      const body = await res.json();
      if (body?.admitted === true) return { admitted: true };
      if (body?.admitted !== false || typeof body.reason !== 'string') return null;
      return { status: body.status, reason: body.reason, retry: body.retry === true };
    } catch {
      return null;
    }
  }

  /** What follows a close: reconnect after a delay, refresh the token first, or stop (close-code table). */
  _afterClose(code, reason, policyOfRefusal) {
    const policy = !this.options.reconnect ? 'never' : policyOfRefusal ?? retryPolicy(code);
    if (policy === 'never') {
      for (const entry of this._rooms.values()) this._rejectWaiters(entry, 'closed', `connection closed (${code})`);
      this._emit('close', { code, reason, willReconnect: false });
      this._setState('closed', { closeCode: code, closeReason: reason });
      return;
    }
    if (policy === 'refresh') {
      if (typeof this.options.refreshToken !== 'function') {
        this._emit('close', { code, reason, willReconnect: false });
        this._setState('closed', { closeCode: code, closeReason: reason });
        return;
      }
      this._emit('close', { code, reason, willReconnect: true });
      this._refreshThenReconnect(code, reason);
      return;
    }
    let delay;
    if (policy === 'hint' && this._shutdownHintMs !== null) {
      delay = this._shutdownHintMs;
      this._shutdownHintMs = null;
    } else {
      delay = backoffDelay(this.attempt, this.options.backoff, this.options.random);
    }
    this.attempt++;
    this._emit('close', { code, reason, willReconnect: true, retryInMs: delay });
    this._schedule(delay, code, reason);
  }

  async _refreshThenReconnect(code, reason) {
    this._setState('reconnecting', { closeCode: code, closeReason: reason, refreshing: true });
    try {
      this.options.token = await this.options.refreshToken();
    } catch (err) {
      this._setState('closed', { closeCode: code, closeReason: `token refresh failed: ${err?.message ?? err}` });
      return;
    }
    if (this.state !== 'reconnecting') return;
    this._schedule(backoffDelay(this.attempt++, this.options.backoff, this.options.random), code, reason);
  }

  _schedule(delay, code, reason) {
    this._clearRetry();
    this.retryAt = this.options.now() + delay;
    this._setState('reconnecting', { closeCode: code, closeReason: reason, retryInMs: delay, retryAt: this.retryAt });
    this._retryTimer = this.options.setTimeout(() => {
      this._retryTimer = null;
      this.retryAt = null;
      this._open();
    }, delay);
  }

  _clearStable() {
    if (this._stableTimer !== null) this.options.clearTimeout(this._stableTimer);
    this._stableTimer = null;
  }

  _clearRetry() {
    if (this._retryTimer !== null) this.options.clearTimeout(this._retryTimer);
    this._retryTimer = null;
    this.retryAt = null;
  }

  /** Abandons a connection that stopped answering; the close handshake would wait for a dead peer. */
  _dropSilent() {
    const ws = this._ws;
    if (!ws) return;
    detach(ws);
    try { ws.close(4000, 'heartbeat timeout'); } catch { /* ignore */ }
    this._onClose(null, { code: 1006, reason: 'heartbeat timeout' });
  }

  // ---- heartbeat -------------------------------------------------------------------------------

  _startHeartbeat(serverIntervalMs) {
    this._stopHeartbeat();
    const interval = Math.min(this.options.heartbeatIntervalMs, serverIntervalMs || Infinity);
    if (!(interval > 0) || !Number.isFinite(interval)) return;
    const tick = () => {
      this._pingTimer = this.options.setTimeout(tick, interval);
      if (this._pongTimer === null) {
        this._pongTimer = this.options.setTimeout(() => { this._pongTimer = null; this._dropSilent(); },
          this.options.heartbeatTimeoutMs);
      }
      this._send({ type: 'ping' });
    };
    this._pingTimer = this.options.setTimeout(tick, interval);
  }

  _heard() {
    if (this._pongTimer !== null) this.options.clearTimeout(this._pongTimer);
    this._pongTimer = null;
  }

  _stopHeartbeat() {
    if (this._pingTimer !== null) this.options.clearTimeout(this._pingTimer);
    if (this._pongTimer !== null) this.options.clearTimeout(this._pongTimer);
    this._pingTimer = this._pongTimer = null;
  }

  // ---- plumbing --------------------------------------------------------------------------------

  _request(cmd) {
    if (this.transport === 'sse') {
      return Promise.reject(new SwitchboardError('read_only', `cannot send ${cmd.type}: this connection is `
        + 'read-only (Server-Sent Events, because WebSocket and HTTP streaming are blocked on the way); '
        + 'it receives the rooms it joined', null));
    }
    if (this.state !== 'connected' || !this._ws) {
      return Promise.reject(new SwitchboardError('not_connected', `not connected (${this.state})`, null));
    }
    const id = String(++this._seq);
    return new Promise((resolve, reject) => {
      const timer = this.options.setTimeout(() => {
        this._pending.delete(id);
        reject(new SwitchboardError('timeout', `no reply to ${cmd.type} within ${this.options.requestTimeoutMs} ms`, null));
      }, this.options.requestTimeoutMs);
      this._pending.set(id, { resolve, reject, timer, type: cmd.type });
      this._send({ ...cmd, id });
    });
  }

  _send(obj) {
    if (this._ws && this._ws.readyState === 1) this._ws.send(JSON.stringify(obj));
  }

  _failPending(code, message) {
    const pending = [...this._pending.values()];
    this._pending.clear();
    for (const p of pending) {
      this.options.clearTimeout(p.timer);
      p.reject(new SwitchboardError(code, message, null));
    }
  }

  _rejectWaiters(entry, code, message, frame = null) {
    const waiters = entry.waiters.splice(0);
    for (const w of waiters) w.reject(new SwitchboardError(code, message, frame));
  }

  _setState(state, detail = {}) {
    const changed = state !== this.state;
    this.state = state;
    if (changed || Object.keys(detail).length > 0) {
      // Every event of a live state names the transport, the wait before a retry included: that wait is most
      // of a long outage, and a status built from the events would otherwise say "over sse" only while an
      // attempt is in flight (tens of milliseconds when the way is refused) and lose it in between.
      const transport = state === 'connecting' || state === 'reconnecting' || state === 'connected'
        ? { transport: this.transport } : {};
      this._emit('state', { state, attempt: this.attempt, ...transport, ...detail });
    }
  }
}

function withBody(cmd, content, data) {
  if (content !== undefined) cmd.content = content;
  if (data !== undefined) cmd.data = data;
  return cmd;
}

/**
 * HTTP streaming behind the WebSocket interface the client drives: one `fetch` whose response is an
 * event stream (each event's `data` is one server message), and commands POSTed one at a time, in
 * order, with the session id the stream's first event names. A server-side end arrives as a `close`
 * event with the code of the close-code table; a cut stream, or a command answered 404 or 5xx, closes with 1006.
 */
export class StreamingSocket {
  constructor(url, fetchFn) {
    this.url = url;
    this.readyState = 0;
    this.onmessage = this.onclose = this.onerror = this.onopen = null;
    // Called as a plain function: a browser's fetch refuses to run as a method of another object.
    this._fetch = (...args) => fetchFn(...args);
    this._abort = new AbortController();
    this._session = null;
    this._sendUrl = null;
    this._sending = Promise.resolve();
    this._read();
  }

  async _read() {
    let closeEvent = { code: 1006, reason: '' };
    try {
      const res = await this._fetch(this.url, {
        credentials: 'include', cache: 'no-store', signal: this._abort.signal,
        headers: { accept: 'text/event-stream' },
      });
      if (!res.ok || !res.body) throw new Error(`stream answered ${res.status}`);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const ev = parseEvent(block);
          if (!ev) continue;
          if (ev.event === 'session') {
            const told = JSON.parse(ev.data);
            this._session = told.session;
            this._sendUrl = new URL(told.send, this.url);
            this._sendUrl.searchParams.set('session', told.session);
            this.readyState = 1;
            this.onopen?.({});
          } else if (ev.event === 'close') {
            const c = JSON.parse(ev.data);
            closeEvent = { code: c.code, reason: c.reason };
          } else {
            this.onmessage?.({ data: ev.data });
          }
        }
      }
    } catch { /* cut, refused or aborted: closes below */ }
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.(closeEvent);
  }

  send(text) {
    if (this.readyState !== 1) return;
    const url = this._sendUrl.toString();
    // One at a time: commands must reach the server in the order they were sent.
    this._sending = this._sending.then(() => this._fetch(url, {
      method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' }, body: text,
    })).then((res) => {
      // 404: the session ended; 5xx: the command was not taken (behind a balancer, the session's node may be
      // gone): either way the stream is no longer a way in, and a new one rejoins with since.
      if (res.status === 404) this.close(1006, 'session ended');
      else if (res.status >= 500) this.close(1006, `command refused: ${res.status}`);
    }, () => {});
  }

  close(code = 1000, reason = '') {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this._abort.abort();
    this.onclose?.({ code, reason });
  }
}

/** The server messages a read-only stream delivers, each an event of its own name (protocol section 10). */
const SSE_EVENTS = ['welcome', 'room_joined', 'room_left', 'room_message', 'user_joined_room', 'user_left_room',
  'user_joined', 'user_left', 'presence_diff', 'private_message', 'broadcast', 'error', 'server_shutdown',
  'recovered', 'message'];

/**
 * Server-Sent Events behind the WebSocket interface the client drives, read-only: `send` drops (the client
 * refuses commands before they get here). Any failure of the stream closes it with 1006 and leaves the
 * reconnect to the client (with `lastEventId` from its cursors), rather than to the EventSource's own retry,
 * which would rejoin without the client knowing; a server-side end arrives as a `close` event with its code.
 */
export class EventStreamSocket {
  constructor(url, EventSourceCtor) {
    if (typeof EventSourceCtor !== 'function') throw new TypeError('no EventSource in this runtime');
    this.url = url;
    this.readyState = 0;
    this.onmessage = this.onclose = this.onerror = this.onopen = null;
    this._es = new EventSourceCtor(url, { withCredentials: true });
    this._es.onopen = () => {
      this.readyState = 1;
      this.onopen?.({});
    };
    for (const name of SSE_EVENTS) {
      this._es.addEventListener(name, (ev) => {
        // The server's `error` events carry data; the EventSource's own (a failed stream) do not.
        if (name === 'error' && typeof ev.data !== 'string') return;
        this.onmessage?.({ data: ev.data });
      });
    }
    this._es.addEventListener('close', (ev) => {
      let c = { code: 1006, reason: '' };
      try { c = JSON.parse(ev.data); } catch { /* not the server's close */ }
      this._end({ code: c.code ?? 1006, reason: c.reason ?? '' });
    });
    this._es.onerror = () => this._end({ code: 1006, reason: '' });
  }

  send() { /* read-only */ }

  close(code = 1000, reason = '') {
    this._end({ code, reason });
  }

  _end(ev) {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this._es.close();
    this.onclose?.(ev);
  }
}

/** The tag of a room list in a stream's event id: CRC-32 of the rooms joined by commas, in base 36. */
export function roomListTag(rooms) {
  let crc = 0xFFFFFFFF;
  for (const byte of new TextEncoder().encode(rooms.join(','))) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xEDB88320 & -(crc & 1));
  }
  return ((crc ^ 0xFFFFFFFF) >>> 0).toString(36);
}

/** One event of an event stream (WHATWG HTML 9.2.6), or null for a block of comments only. */
function parseEvent(block) {
  let event = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  return data.length ? { event, data: data.join('\n') } : null;
}

function detach(ws) {
  ws.onmessage = ws.onclose = ws.onerror = ws.onopen = null;
}

export default SwitchboardClient;
