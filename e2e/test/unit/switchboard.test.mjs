// Unit tests of switchboard.js against a fake WebSocket and a fake clock: no server, no browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SwitchboardClient, backoffDelay, retryPolicy, RoomCursor, SwitchboardError }
  from '../../../clients/js/src/switchboard.js';
import { FakeClock, fakeWebSocket, tick } from '../../lib/fakes.mjs';

/** A server whose upgrade check cannot be reached (it is down): the client backs off on WebSocket. */
const admittedFetch = async () => { throw new TypeError('Failed to fetch'); };

/** A fetch that answers the upgrade check with `body` and records the requests. */
function checkAnswering(body) {
  const calls = [];
  const fetch = async (url, init) => { calls.push({ url, init }); return { ok: true, json: async () => body }; };
  return { fetch, calls };
}

function newClient(opts = {}) {
  const clock = new FakeClock();
  const { FakeSocket, sockets } = fakeWebSocket();
  const client = new SwitchboardClient('ws://localhost:1/ws', {
    userId: 'alice', WebSocket: FakeSocket, random: () => 0.5, fetch: admittedFetch,
    setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout, now: clock.now, ...opts,
  });
  const events = [];
  for (const e of ['state', 'room_message', 'recovery', 'close', 'error', 'room_joined', 'refused']) {
    client.on(e, (p) => events.push([e, p]));
  }
  return { client, clock, sockets, events };
}

async function connected(opts) {
  const env = newClient(opts);
  const p = env.client.connect();
  env.sockets[0].welcome();
  await p;
  return env;
}

async function joinRoom(env, room, { offset = 0, epoch = 'e1', socket = env.sockets.at(-1) } = {}) {
  const p = env.client.join(room);
  const cmd = socket.lastSent('join_room');
  socket.receive({ type: 'room_joined', id: cmd.id, room, members: [], offset, epoch });
  return p;
}

test('backoff is full jitter below a doubling ceiling capped at maxMs', () => {
  const opts = { initialMs: 100, maxMs: 1000 };
  assert.equal(backoffDelay(0, opts, () => 0.999), 99);
  assert.equal(backoffDelay(1, opts, () => 0.999), 199);
  assert.equal(backoffDelay(3, opts, () => 0.5), 400);
  assert.equal(backoffDelay(10, opts, () => 0.999), 999);
  assert.equal(backoffDelay(500, opts, () => 0.999), 999);
  assert.equal(backoffDelay(5, opts, () => 0), 0);
});

test('close codes map to the retry table of protocol section 6', () => {
  for (const c of [1000, 1002, 1003, 1007, 1008, 1009, 4003]) assert.equal(retryPolicy(c), 'never', String(c));
  for (const c of [1001, 1006, 1011, 1013, 4008, 4029, 4999]) assert.equal(retryPolicy(c), 'backoff', String(c));
  assert.equal(retryPolicy(1012), 'hint');
  assert.equal(retryPolicy(4001), 'refresh');
});

test('room cursor drops duplicates and advances its mark over contiguous offsets only', () => {
  const c = new RoomCursor('e1', 3);
  assert.equal(c.accept(3), false);
  assert.equal(c.accept(5), true);
  assert.equal(c.mark, 3);
  assert.equal(c.accept(5), false);
  assert.equal(c.accept(4), true);
  assert.equal(c.mark, 5);
  assert.equal(c.highest, 5);
});

test('connect sends the user id and resolves with the welcome frame', async () => {
  const { client, sockets } = newClient();
  const p = client.connect();
  assert.equal(client.state, 'connecting');
  assert.match(sockets[0].url, /\?id=alice$/);
  sockets[0].welcome();
  const w = await p;
  assert.equal(w.userId, 'alice');
  assert.equal(client.state, 'connected');
});

test('commands are correlated by id and server errors reject with their code', async () => {
  const { client, sockets } = await connected();
  const s = sockets[0];
  const a = client.presence('lobby');
  const b = client.publish('nowhere', 'hi');
  const [pres, pub] = [s.sent.at(-2), s.sent.at(-1)];
  assert.notEqual(pres.id, pub.id);
  s.receive({ type: 'error', code: 'not_in_room', error: 'join the room first', id: pub.id });
  s.receive({ type: 'presence', room: 'lobby', members: [], count: 0, id: pres.id });
  assert.equal((await a).count, 0);
  await assert.rejects(b, (e) => e instanceof SwitchboardError && e.code === 'not_in_room');
});

test('a command without a reply times out', async () => {
  const { client, clock } = await connected({ requestTimeoutMs: 1000 });
  const p = client.echo('x');
  clock.advance(1000);
  await assert.rejects(p, (e) => e.code === 'timeout');
});

test('room messages are delivered in order and at most once per offset', async () => {
  const env = await connected();
  await joinRoom(env, 'lobby', { offset: 2 });
  const s = env.sockets[0];
  for (const o of [2, 3, 3, 4, 1]) s.receive({ type: 'room_message', room: 'lobby', from: 'bob', connId: 'c-b', content: `m${o}`, offset: o, ts: 0 });
  const got = env.events.filter(([e]) => e === 'room_message').map(([, m]) => m.offset);
  assert.deepEqual(got, [3, 4]);
});

test('an unexpected close reconnects after a jittered backoff and rejoins with since', async () => {
  const env = await connected();
  await joinRoom(env, 'lobby', { offset: 7 });
  env.sockets[0].receive({ type: 'room_message', room: 'lobby', from: 'bob', connId: 'c-b', content: 'm8', offset: 8, ts: 0 });
  env.sockets[0].serverClose(1006);
  assert.equal(env.client.state, 'reconnecting');
  const st = env.events.filter(([e]) => e === 'state').at(-1)[1];
  assert.equal(st.retryInMs, 250); // random 0.5 * initialMs 500 * 2^0
  assert.equal(st.transport, 'websocket', 'the wait names the transport of the next attempt');
  env.clock.advance(249);
  assert.equal(env.sockets.length, 1);
  env.clock.advance(1);
  assert.equal(env.sockets.length, 2);
  const s2 = env.sockets[1];
  s2.welcome();
  const join = s2.lastSent('join_room');
  assert.deepEqual(join.since, { offset: 8, epoch: 'e1' });
  // Replay 8 (a duplicate) and 9, then the reply.
  for (const o of [8, 9]) s2.receive({ type: 'room_message', room: 'lobby', from: 'bob', connId: 'c-b', content: `m${o}`, offset: o, ts: 0 });
  s2.receive({ type: 'room_joined', id: join.id, room: 'lobby', members: [], offset: 9, epoch: 'e1', recovered: true });
  const got = env.events.filter(([e]) => e === 'room_message').map(([, m]) => m.offset);
  assert.deepEqual(got, [8, 9]);
  const rec = env.events.find(([e]) => e === 'recovery')[1];
  assert.equal(rec.recovered, true);
});

test('a new epoch on rejoin emits recovered:false and restarts the cursor', async () => {
  const env = await connected();
  await joinRoom(env, 'lobby', { offset: 40 });
  env.sockets[0].serverClose(1001);
  env.clock.advance(1000);
  const s2 = env.sockets[1];
  s2.welcome();
  const join = s2.lastSent('join_room');
  s2.receive({ type: 'room_joined', id: join.id, room: 'lobby', members: [], offset: 0, epoch: 'e2', recovered: false });
  const rec = env.events.find(([e]) => e === 'recovery')[1];
  assert.deepEqual([rec.recovered, rec.epoch, rec.previous], [false, 'e2', { epoch: 'e1', offset: 40 }]);
  s2.receive({ type: 'room_message', room: 'lobby', from: 'bob', connId: 'c-b', content: 'fresh', offset: 1, ts: 0 });
  assert.equal(env.events.filter(([e]) => e === 'room_message').length, 1);
});

test('own acknowledged publishes move the cursor so a rejoin does not replay them', async () => {
  const env = await connected();
  await joinRoom(env, 'lobby', { offset: 0 });
  const s = env.sockets[0];
  const p = env.client.publish('lobby', 'mine');
  s.receive({ type: 'ack', offset: 1, id: s.lastSent('room_message').id });
  assert.equal((await p).offset, 1);
  assert.equal(env.client.cursor('lobby').mark, 1);
});

for (const code of [1000, 1002, 1003, 1007, 1008, 1009, 4003]) {
  test(`close ${code} does not reconnect`, async () => {
    const env = await connected();
    env.sockets[0].serverClose(code);
    env.clock.advance(120000);
    assert.equal(env.sockets.length, 1);
    assert.equal(env.client.state, 'closed');
  });
}

test('close 1012 waits reconnectAfterMs of server_shutdown, then backs off', async () => {
  const env = await connected();
  env.sockets[0].receive({ type: 'server_shutdown', content: 'Server is shutting down', reconnectAfterMs: 3000 });
  env.sockets[0].serverClose(1012);
  env.clock.advance(2999);
  assert.equal(env.sockets.length, 1);
  env.clock.advance(1);
  assert.equal(env.sockets.length, 2);
  env.sockets[1].serverClose(1006); // still down: now backoff, attempt 1 → 0.5 * 1000
  await tick(); // closed before it opened: the upgrade check answers first
  env.clock.advance(499);
  assert.equal(env.sockets.length, 2);
  env.clock.advance(1);
  assert.equal(env.sockets.length, 3);
});

test('close 4001 calls refreshToken and reconnects with the new token', async () => {
  const env = await connected({ token: 'old', refreshToken: async () => 'new' });
  env.sockets[0].serverClose(4001, 'token expired');
  await tick();
  env.clock.advance(1000);
  assert.equal(env.sockets.length, 2);
  assert.match(env.sockets[1].url, /token=new/);
});

test('close 4001 without a refresh hook is final', async () => {
  const env = await connected({ token: 'old' });
  env.sockets[0].serverClose(4001);
  env.clock.advance(60000);
  assert.equal(env.client.state, 'closed');
  assert.equal(env.sockets.length, 1);
});

test('pending commands reject with disconnected when the connection drops', async () => {
  const env = await connected();
  const p = env.client.echo('x');
  env.sockets[0].serverClose(1006);
  await assert.rejects(p, (e) => e.code === 'disconnected');
});

test('the JSON ping heartbeat drops a silent connection and reconnects', async () => {
  const env = await connected({ heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 500 });
  const s = env.sockets[0];
  env.clock.advance(1000);
  assert.equal(s.lastSent('ping')?.type, 'ping');
  s.receive({ type: 'pong' });
  env.clock.advance(1000); // second ping, never answered
  env.clock.advance(500);
  assert.equal(env.client.state, 'reconnecting');
  assert.equal(s.closedWith.code, 4000);
});

test('join while reconnecting resolves once the next connection has joined', async () => {
  const env = await connected();
  env.sockets[0].serverClose(1006);
  const p = env.client.join('later');
  env.clock.advance(1000);
  env.sockets[1].welcome();
  const join = env.sockets[1].lastSent('join_room');
  assert.equal(join.room, 'later');
  assert.equal(join.since, undefined);
  env.sockets[1].receive({ type: 'room_joined', id: join.id, room: 'later', members: [], offset: 0, epoch: 'e1' });
  assert.equal((await p).room, 'later');
});

test('close() is final and rejects pending commands', async () => {
  const env = await connected();
  const p = env.client.echo('x');
  env.client.close();
  await assert.rejects(p, (e) => e.code === 'closed');
  env.clock.advance(60000);
  assert.equal(env.sockets.length, 1);
  assert.equal(env.sockets[0].closedWith.code, 1000);
});

test('a connection that closes right after its welcome keeps backing off; a stable one resets the backoff', async () => {
  const env = await connected({ stableAfterMs: 5000 });
  const delays = () => env.events.filter(([e, p]) => e === 'state' && p.retryInMs !== undefined).map(([, p]) => p.retryInMs);
  // Accepted, then closed at once, three times: the ceiling doubles each time (random 0.5).
  for (let i = 0; i < 3; i++) {
    env.sockets.at(-1).serverClose(1013);
    env.clock.advance(10000);
    env.sockets.at(-1).welcome();
  }
  assert.deepEqual(delays(), [250, 500, 1000]);
  env.clock.advance(5000); // stable now
  env.sockets.at(-1).serverClose(1013);
  assert.equal(delays().at(-1), 250);
});

test('a refused upgrade is explained by the check and ends the client when retrying cannot help', async () => {
  const reason = 'origin http://app.example.com is not allowed (add it to security.allowedOrigins)';
  const check = checkAnswering({ admitted: false, status: 403, reason, retry: false });
  const env = newClient({ fetch: check.fetch });
  const done = env.client.connect().catch((e) => e);
  env.sockets[0].serverClose(1006);
  const err = await done;
  assert.equal(err.code, 'closed');
  assert.equal(check.calls.length, 1);
  assert.equal(check.calls[0].url, 'http://localhost:1/ws/check?id=alice');
  assert.equal(check.calls[0].init.credentials, 'include');
  assert.deepEqual(env.events.find(([e]) => e === 'refused')[1], { status: 403, reason, retry: false });
  assert.equal(env.client.state, 'closed');
  assert.equal(env.client.lastClose.reason, reason);
  assert.deepEqual(env.events.find(([e]) => e === 'close')[1], { code: 1006, reason, willReconnect: false });
  env.clock.advance(120000);
  assert.equal(env.sockets.length, 1, 'no reconnect after a refusal retrying cannot fix');
});

test('a refusal that may pass later (429) keeps backing off and reports its reason', async () => {
  const reason = 'too many connections for this user (security.maxConnectionsPerUser)';
  const env = newClient({ fetch: checkAnswering({ admitted: false, status: 429, reason, retry: true }).fetch });
  env.client.connect().catch(() => {});
  env.sockets[0].serverClose(1006);
  await tick();
  assert.equal(env.client.state, 'reconnecting');
  assert.equal(env.events.find(([e]) => e === 'close')[1].reason, reason);
  env.clock.advance(30000);
  assert.equal(env.sockets.length, 2);
});

test('an expired token at the door is refreshed and retried when a refresh hook is given', async () => {
  const env = newClient({
    token: 'old', refreshToken: async () => 'new',
    fetch: checkAnswering({ admitted: false, status: 401, reason: 'invalid token: expired', retry: false }).fetch,
  });
  env.client.connect().catch(() => {});
  env.sockets[0].serverClose(1006);
  await tick();
  await tick();
  env.clock.advance(30000);
  assert.equal(env.sockets.length, 2);
  assert.match(env.sockets[1].url, /token=new/);
});

test('a close before open whose check cannot be reached backs off as before', async () => {
  const env = newClient({ fetch: async () => { throw new TypeError('Failed to fetch'); } });
  env.client.connect().catch(() => {});
  env.sockets[0].serverClose(1006);
  await tick();
  assert.equal(env.client.state, 'reconnecting');
  env.clock.advance(30000);
  assert.equal(env.sockets.length, 2);
});

test('a WebSocket that the server would admit but never opens falls back to HTTP streaming', async () => {
  const posts = [];
  const enc = new TextEncoder();
  let push;
  const fetch = async (url, init = {}) => {
    const u = new URL(url);
    if (u.pathname === '/ws/check') return { ok: true, json: async () => ({ admitted: true }) };
    if (u.pathname === '/stream/send') {
      posts.push({ session: u.searchParams.get('session'), body: JSON.parse(init.body) });
      return new Response('accepted', { status: 202 });
    }
    assert.equal(u.pathname, '/stream');
    assert.equal(u.searchParams.get('id'), 'alice');
    const body = new ReadableStream({ start(c) { push = (text) => c.enqueue(enc.encode(text)); } });
    return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
  };
  const env = newClient({ fetch });
  const transports = [];
  env.client.on('transport', (t) => transports.push(t));
  const welcomed = env.client.connect();
  env.sockets[0].serverClose(1006); // a proxy refused the upgrade
  await tick();
  env.clock.advance(0);
  await tick();
  push('retry: 1000\n\nid: x:\nevent: session\ndata: {"type":"session","session":"S1","send":"/stream/send"}\n\n');
  push(': heartbeat\n\nevent: welcome\ndata: {"type":"welcome","connId":"c-1","userId":"alice","server":{}}\n\n');
  const w = await welcomed;
  assert.equal(w.transport, 'streaming');
  assert.equal(env.client.transport, 'streaming');
  assert.deepEqual(transports, [{ transport: 'streaming', previous: 'websocket' }]);
  const joined = env.client.join('lobby');
  await tick();
  await tick();
  assert.equal(posts.length, 1);
  assert.equal(posts[0].session, 'S1');
  assert.equal(posts[0].body.type, 'join_room');
  push(`event: room_joined\ndata: {"type":"room_joined","id":"${posts[0].body.id}","room":"lobby","members":[],"offset":0,"epoch":"e1"}\n\n`);
  assert.equal((await joined).room, 'lobby');
  assert.equal(env.sockets.length, 1, 'no further WebSocket attempt');
  env.client.close();
});

test('a presence_diff reaches listeners as the notices it batches, leaves first, then as itself', async () => {
  const env = await connected();
  await joinRoom(env, 'crowd');
  const seen = [];
  for (const e of ['user_joined_room', 'user_left_room', 'presence_diff']) {
    env.client.on(e, (f) => seen.push([e, f.userId ?? f.count, f.connId ?? null]));
  }
  env.sockets[0].receive({ type: 'presence_diff', room: 'crowd', count: 1001,
    joins: [{ userId: 'bob', connId: 'c-2' }, { userId: 'eve', connId: 'c-5' }], leaves: [{ userId: 'eve', connId: 'c-5' }] });
  assert.deepEqual(seen, [
    ['user_left_room', 'eve', 'c-5'],
    ['user_joined_room', 'bob', 'c-2'],
    ['user_joined_room', 'eve', 'c-5'],
    ['presence_diff', 1001, null],
  ]);
});

/** An EventSource whose server side the test plays: `emit(name, frame)`, `fail()`. Every one lands in `streams`. */
function fakeEventSource() {
  const streams = [];
  class FakeEventSource {
    constructor(url, init) {
      this.url = new URL(url);
      this.init = init;
      this.closed = false;
      this.listeners = new Map();
      this.onopen = this.onerror = null;
      streams.push(this);
    }
    addEventListener(name, fn) { this.listeners.set(name, [...(this.listeners.get(name) ?? []), fn]); }
    close() { this.closed = true; }
    open() { this.onopen?.({}); }
    emit(name, frame) { for (const fn of this.listeners.get(name) ?? []) fn({ data: JSON.stringify(frame) }); }
    fail() { for (const fn of this.listeners.get('error') ?? []) fn({}); this.onerror?.({}); }
    welcome() { this.emit('welcome', { type: 'welcome', connId: 'c-1', userId: 'alice', server: {} }); }
  }
  return { FakeEventSource, streams };
}

/** A client whose WebSocket never opens and whose HTTP stream is refused on the way, on SSE once it connects. */
async function onSse() {
  const { FakeEventSource, streams } = fakeEventSource();
  const fetch = async (url) => {
    if (new URL(url).pathname === '/ws/check') return { ok: true, json: async () => ({ admitted: true }) };
    throw new TypeError('Failed to fetch'); // a proxy that breaks streaming responses
  };
  const env = newClient({ fetch, EventSource: FakeEventSource });
  const transports = [];
  env.client.on('transport', (t) => transports.push(t));
  const welcomed = env.client.connect();
  env.sockets[0].serverClose(1006);
  for (let i = 0; i < 6 && streams.length === 0; i++) {
    await tick();
    env.clock.advance(0);
  }
  assert.equal(streams.length, 1, 'an EventSource after WebSocket and streaming');
  streams[0].open();
  streams[0].welcome();
  return { ...env, streams, transports, welcome: await welcomed };
}

test('when WebSocket and HTTP streaming both fail, the client reads over SSE and says so', async () => {
  const env = await onSse();
  assert.equal(env.welcome.transport, 'sse');
  assert.equal(env.client.transport, 'sse');
  assert.deepEqual(env.transports, [{ transport: 'streaming', previous: 'websocket' },
    { transport: 'sse', previous: 'streaming' }]);
  assert.equal(env.streams[0].url.pathname, '/sse');
  assert.equal(env.streams[0].url.searchParams.get('id'), 'alice');
  assert.equal(env.streams[0].init.withCredentials, true);
  env.client.close();
});

test('over SSE a join reopens the stream with the room, and messages arrive in order once', async () => {
  const env = await onSse();
  const joined = env.client.join('news');
  await tick();
  assert.equal(env.streams.length, 2);
  assert.ok(env.streams[0].closed, 'the stream without the room is closed');
  const s = env.streams[1];
  assert.equal(s.url.searchParams.get('rooms'), 'news');
  assert.equal(s.url.searchParams.get('lastEventId'), null, 'nothing to recover yet');
  s.open();
  s.welcome();
  s.emit('room_joined', { type: 'room_joined', room: 'news', members: [], offset: 4, epoch: 'e1' });
  assert.equal((await joined).offset, 4);
  for (const o of [5, 5, 6]) s.emit('room_message', { type: 'room_message', room: 'news', offset: o, content: `m${o}` });
  const got = env.events.filter(([e]) => e === 'room_message').map(([, m]) => m.offset);
  assert.deepEqual(got, [5, 6]);
  env.client.close();
});

test('over SSE commands are refused as read-only and a leave reopens the stream without the room', async () => {
  const env = await onSse();
  await assert.rejects(env.client.publish('news', 'hi'), (err) => err.code === 'read_only'
    && /read-only \(Server-Sent Events, because WebSocket and HTTP streaming are blocked on the way\)/.test(err.message));
  await assert.rejects(env.client.sendPrivate('bob', 'hi'), { code: 'read_only' });
  const joined = env.client.join('news');
  await tick();
  env.streams[1].open();
  env.streams[1].welcome();
  env.streams[1].emit('room_joined', { type: 'room_joined', room: 'news', members: [], offset: 0, epoch: 'e1' });
  await joined;
  assert.deepEqual(await env.client.leave('news'), { type: 'room_left', room: 'news' });
  await tick();
  assert.equal(env.streams.length, 3);
  assert.equal(env.streams[2].url.searchParams.get('rooms'), null);
  env.client.close();
});

test('over SSE a dropped stream reconnects with lastEventId from the cursors and reports the recovery', async () => {
  const env = await onSse();
  const joined = env.client.join('news');
  const joined2 = env.client.join('sports');
  await tick();
  let s = env.streams.at(-1);
  assert.equal(s.url.searchParams.get('rooms'), 'news,sports');
  s.open();
  s.welcome();
  s.emit('room_joined', { type: 'room_joined', room: 'news', members: [], offset: 7, epoch: 'e1' });
  s.emit('room_joined', { type: 'room_joined', room: 'sports', members: [], offset: 0, epoch: 'e2' });
  await joined;
  await joined2;
  s.emit('room_message', { type: 'room_message', room: 'news', offset: 8, content: 'm8' });
  s.fail(); // the network drops the stream
  assert.ok(s.closed, 'the EventSource does not retry on its own');
  env.clock.advance(30000);
  s = env.streams.at(-1);
  // The tag is CRC-32 of "news,sports" in base 36, as the server computes it.
  assert.equal(s.url.searchParams.get('lastEventId'), '9oe5su:8.e1,0.e2');
  s.open();
  s.welcome();
  s.emit('room_message', { type: 'room_message', room: 'news', offset: 9, content: 'm9' });
  s.emit('room_joined', { type: 'room_joined', room: 'news', members: [], offset: 9, epoch: 'e1', recovered: true });
  s.emit('recovered', { type: 'recovered', room: 'news', recovered: true, offset: 9, epoch: 'e1' });
  s.emit('room_joined', { type: 'room_joined', room: 'sports', members: [], offset: 3, epoch: 'e3', recovered: false });
  const recoveries = env.events.filter(([e]) => e === 'recovery').map(([, r]) => [r.room, r.recovered]);
  assert.deepEqual(recoveries, [['news', true], ['sports', false]]);
  assert.deepEqual(env.events.filter(([e]) => e === 'room_message').map(([, m]) => m.content), ['m8', 'm9']);
  env.client.close();
});

test('over SSE every state of an outage names the transport, the waits between attempts included', async () => {
  const env = await onSse();
  const joined = env.client.join('news');
  await tick();
  env.streams.at(-1).open();
  env.streams.at(-1).welcome();
  env.streams.at(-1).emit('room_joined', { type: 'room_joined', room: 'news', members: [], offset: 0, epoch: 'e1' });
  await joined;
  const from = env.events.length;
  env.streams.at(-1).fail(); // the network drops the stream
  env.clock.advance(30000); // the retry: a new stream, refused on the way before it opens
  env.streams.at(-1).fail();
  for (let i = 0; i < 4; i++) await tick(); // the upgrade check admits: nothing after SSE, so back off again
  const states = env.events.slice(from).filter(([e]) => e === 'state').map(([, s]) => s);
  assert.deepEqual(states.map((s) => [s.state, s.transport, s.retryInMs !== undefined, s.connecting === true]), [
    ['reconnecting', 'sse', true, false],
    ['reconnecting', 'sse', false, true],
    ['reconnecting', 'sse', true, false],
  ]);
  env.client.close();
});

test('over SSE a room the stream may not join rejects its join with the server error', async () => {
  const env = await onSse();
  const joined = env.client.join('secret');
  await tick();
  const s = env.streams.at(-1);
  s.open();
  s.welcome();
  s.emit('error', { type: 'error', code: 'forbidden', error: 'not allowed to join room secret', room: 'secret' });
  await assert.rejects(joined, { code: 'forbidden' });
  assert.deepEqual(env.client.rooms(), []);
  env.client.close();
});

test('over HTTP streaming a command the session node does not take (504) drops the stream and reconnects', async () => {
  const enc = new TextEncoder();
  const streams = [];
  const fetch = async (url) => {
    const u = new URL(url);
    if (u.pathname === '/ws/check') return { ok: true, json: async () => ({ admitted: true }) };
    if (u.pathname === '/stream/send') return new Response('node n1 did not take the command', { status: 504 });
    let push;
    const body = new ReadableStream({ start(c) { push = (text) => c.enqueue(enc.encode(text)); } });
    streams.push((text) => push(text));
    return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
  };
  const env = newClient({ fetch });
  const welcomed = env.client.connect();
  env.sockets[0].serverClose(1006);
  for (let i = 0; i < 4 && streams.length === 0; i++) { await tick(); env.clock.advance(0); }
  streams[0]('event: session\ndata: {"type":"session","session":"S1.n1","send":"/stream/send"}\n\n');
  streams[0]('event: welcome\ndata: {"type":"welcome","connId":"c-1","userId":"alice","server":{}}\n\n');
  await welcomed;
  const published = env.client.publish('lobby', 'hi');
  await assert.rejects(published, { code: 'disconnected' });
  const closes = env.events.filter(([e]) => e === 'close').map(([, c]) => [c.code, c.reason, c.willReconnect]);
  assert.deepEqual(closes, [[1006, 'command refused: 504', true]]);
  assert.equal(env.client.transport, 'streaming', 'the next stream is tried, not SSE');
  env.client.close();
});
