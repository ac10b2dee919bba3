// Test doubles for switchboard.js: a clock whose time moves only when told, and a WebSocket whose
// server side the test plays by hand.

export class FakeClock {
  constructor() {
    this.time = 0;
    this.timers = new Map();
    this.nextHandle = 1;
    this.setTimeout = (fn, ms) => {
      const h = this.nextHandle++;
      this.timers.set(h, { at: this.time + ms, fn });
      return h;
    };
    this.clearTimeout = (h) => this.timers.delete(h);
    this.now = () => this.time;
  }

  /** Moves time forward by `ms`, firing due timers in order. */
  advance(ms) {
    const end = this.time + ms;
    for (;;) {
      let next = null;
      for (const [h, t] of this.timers) if (t.at <= end && (!next || t.at < next[1].at)) next = [h, t];
      if (!next) break;
      this.timers.delete(next[0]);
      this.time = next[1].at;
      next[1].fn();
    }
    this.time = end;
  }
}

/** Constructor factory: every socket the client opens lands in `sockets`. */
export function fakeWebSocket() {
  const sockets = [];
  class FakeSocket {
    constructor(url) {
      this.url = url;
      this.readyState = 1;
      this.sent = [];
      this.closedWith = null;
      this.onmessage = this.onclose = this.onerror = this.onopen = null;
      sockets.push(this);
    }
    send(text) { this.sent.push(JSON.parse(text)); }
    close(code, reason) { this.closedWith = { code, reason }; this.readyState = 3; }
    /** Server → client frame. */
    receive(frame) { this.onmessage?.({ data: JSON.stringify(frame) }); }
    /** The server (or the network) closes the connection. */
    serverClose(code, reason = '') { this.readyState = 3; this.onclose?.({ code, reason }); }
    welcome(userId = 'alice') {
      this.receive({ type: 'welcome', connId: `c-${sockets.indexOf(this)}`, userId, content: 'Connected to WebSocket server',
        server: { version: 'test', node: 'n1', pingIntervalMs: 25000, maxMessageBytes: 65536 } });
    }
    lastSent(type) { return [...this.sent].reverse().find((f) => f.type === type); }
  }
  return { FakeSocket, sockets };
}

export const tick = () => new Promise((r) => setImmediate(r));
