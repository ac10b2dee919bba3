// A TCP proxy between the browser and the server that a test can cut, to drop connections while
// the server stays up (the case where recovery with `since` must replay what was missed).
import http from 'node:http';
import net from 'node:net';

export class CuttableProxy {
  constructor(targetPort) {
    this.targetPort = targetPort;
    this.sockets = new Set();
    this.refusing = false;
    this.server = net.createServer((client) => this._accept(client));
  }

  listen() {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', () => {
      this.port = this.server.address().port;
      resolve(this);
    }));
  }

  get httpUrl() { return `http://127.0.0.1:${this.port}`; }

  _accept(client) {
    if (this.refusing) {
      client.destroy();
      return;
    }
    const upstream = net.connect(this.targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => { client.destroy(); upstream.destroy(); });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }

  /** Drops every open connection abruptly and refuses new ones until `restore()`. */
  cut() {
    this.refusing = true;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  restore() {
    this.refusing = false;
  }

  close() {
    this.cut();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * An HTTP proxy that refuses every WebSocket upgrade (as some corporate proxies do) and passes every other
 * request through, streamed both ways; `cut()` drops every connection until `restore()`.
 */
export class UpgradeBlockingProxy {
  constructor(targetPort) {
    this.targetPort = targetPort;
    this.sockets = new Set();
    this.refusing = false;
    this.upgradesRefused = 0;
    this.server = http.createServer((req, res) => this._forward(req, res));
    this.server.on('connection', (s) => {
      if (this.refusing) { s.destroy(); return; }
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.server.on('upgrade', (req, socket) => {
      this.upgradesRefused++;
      socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
    });
  }

  listen() {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', () => {
      this.port = this.server.address().port;
      resolve(this);
    }));
  }

  get httpUrl() { return `http://127.0.0.1:${this.port}`; }

  _forward(req, res) {
    const up = http.request({ host: '127.0.0.1', port: this.targetPort, method: req.method, path: req.url,
      headers: req.headers }, (upRes) => {
      res.writeHead(upRes.statusCode, upRes.headers);
      upRes.pipe(res);
    });
    up.on('socket', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    req.pipe(up);
  }

  cut() {
    this.refusing = true;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  restore() {
    this.refusing = false;
  }

  close() {
    this.cut();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
