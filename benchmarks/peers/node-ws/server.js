// A peer from another stack for the benchmark harness: a Node `ws` broadcast server written the way the
// ws README writes one (a WebSocketServer, a 'message' listener, `client.send` to each client of the
// broadcast whose readyState is OPEN), with rooms as sets of clients. ws defaults otherwise: no
// permessage-deflate (off by default on the server), no optional addons (bufferutil only speeds up the
// masking of client frames, which a broadcast server barely does).
//
// It speaks the same subset of protocol v1 as the naive Netty server (bench/.../NaiveBroadcastServer.java),
// with the same JSON shape and field order: welcome, join_room, room_message with offsets and acks, ping,
// echo. Not a product.
//
// Usage: node server.js PORT
import { WebSocketServer, WebSocket } from 'ws';

const port = Number(process.argv[2] ?? 8093);
const rooms = new Map(); // room name -> Set of clients
const offsets = new Map(); // room name -> last offset
let connections = 0;

const wss = new WebSocketServer({ host: '127.0.0.1', port, path: '/ws' });

wss.on('listening', () => console.log(`node ws broadcast server listening on 127.0.0.1:${port} (ws, node ${process.version})`));

wss.on('connection', function connection(ws, req) {
  const userId = new URL(req.url, 'http://localhost').searchParams.get('id') ?? 'anon';
  const connId = `c-node-ws-${++connections}`;
  const joined = new Set();
  ws.on('error', console.error);
  ws.on('close', () => {
    for (const room of joined) rooms.get(room)?.delete(ws);
  });
  ws.on('message', function message(data) {
    let cmd;
    try {
      cmd = JSON.parse(data);
    } catch {
      ws.send(JSON.stringify({ type: 'error', code: 'unknown_type', error: 'not JSON' }));
      return;
    }
    const room = String(cmd.room ?? '');
    let reply;
    switch (cmd.type) {
      case 'join_room': {
        if (!rooms.has(room)) rooms.set(room, new Set());
        rooms.get(room).add(ws);
        joined.add(room);
        reply = { type: 'room_joined', room, members: [], offset: offsets.get(room) ?? 0, epoch: 'node-ws' };
        break;
      }
      case 'room_message': {
        const offset = (offsets.get(room) ?? 0) + 1;
        offsets.set(room, offset);
        const text = JSON.stringify({
          type: 'room_message', room, from: userId, connId,
          content: cmd.content ?? null, data: cmd.data ?? null, offset, ts: Date.now(),
        });
        for (const client of rooms.get(room) ?? []) {
          if ((cmd.echo === true || client !== ws) && client.readyState === WebSocket.OPEN) {
            client.send(text);
          }
        }
        if (!('id' in cmd)) return;
        reply = { type: 'ack', offset };
        break;
      }
      case 'ping':
        reply = { type: 'pong' };
        break;
      case 'echo':
        reply = { type: 'echo', content: cmd.content ?? null, data: cmd.data ?? null };
        break;
      default:
        reply = { type: 'error', code: 'unknown_type', error: 'unsupported' };
    }
    if ('id' in cmd) reply.id = cmd.id;
    ws.send(JSON.stringify(reply));
  });
  ws.send(JSON.stringify({ type: 'welcome', connId, userId, content: 'Connected to WebSocket server' }));
});

// The harness stops a server with SIGTERM; exit at once, as the JVM servers do.
process.on('SIGTERM', () => process.exit(0));
