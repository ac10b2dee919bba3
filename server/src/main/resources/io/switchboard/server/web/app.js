// The demo page: one SwitchboardClient, conversations (rooms and private chats) rendered from the
// client's events. No framework; every piece of user text goes into the DOM through textContent.
import { SwitchboardClient } from './switchboard.js';

const NAME_RE = /^[A-Za-z0-9_.:@-]{1,64}$/;
const ROOM_RE = /^[A-Za-z0-9_.:@/-]{1,128}$/;
const STATS_INTERVAL_MS = 2000;
const SPARK_POINTS = 30;
// Messages of a room shown from its history when the page first joins it.
const RECENT_ON_JOIN = 50;
const CLOSE_TEXT = {
  1000: 'closed normally', 1001: 'server going away', 1002: 'protocol error', 1003: 'unsupported data',
  1006: 'connection lost', 1007: 'invalid data', 1008: 'policy violation', 1009: 'message too big',
  1011: 'server error', 1012: 'server restarting', 1013: 'server overloaded', 4001: 'token expired',
  4003: 'forbidden', 4008: 'too slow to keep up', 4029: 'rate limited',
};

const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (v === true) node.setAttribute(k, '');
    else if (v !== false && v != null) node.setAttribute(k, v);
  }
  for (const c of children) if (c != null) node.append(c);
  return node;
};

/** Everything the page knows; the DOM is drawn from it. */
const app = {
  client: null,
  me: null,
  convs: new Map(), // key ('room:lobby' | 'dm:bob') -> Conversation
  active: null,
  knownUsers: new Set(),
  spark: new Array(SPARK_POINTS).fill(0),
  statsTimer: null,
  countdownTimer: null,
};

function conversation(kind, name) {
  const key = `${kind}:${name}`;
  let c = app.convs.get(key);
  if (!c) {
    c = { key, kind, name, items: [], keys: new Set(), unread: 0, members: new Map(), joined: false, replayed: 0 };
    app.convs.set(key, c);
  }
  return c;
}

// ---- sign in / out ---------------------------------------------------------------------------

function wsUrl() {
  const fromQuery = new URLSearchParams(location.search).get('ws');
  if (fromQuery) return fromQuery;
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
}

function signIn(name, firstRoom) {
  // With auth enabled the server takes the user id from the token (?token=… on this page's URL).
  const token = new URLSearchParams(location.search).get('token') ?? undefined;
  const client = new SwitchboardClient(wsUrl(), { userId: name, token });
  app.client = client;
  app.me = name;
  wire(client);
  $('signin').hidden = true;
  $('workspace').hidden = false;
  $('whoami').hidden = false;
  $('whoami-name').textContent = name;
  paintAvatar($('whoami-avatar'), name);
  try { localStorage.setItem('switchboard.name', name); } catch { /* private mode */ }
  client.connect().catch(() => { /* the status bar says why */ });
  if (firstRoom) joinRoom(firstRoom);
  startStats();
  $('composer-input').focus();
}

function signOut() {
  app.client?.close();
  app.client = null;
  app.convs.clear();
  app.active = null;
  stopStats();
  $('workspace').hidden = true;
  $('whoami').hidden = true;
  $('signin').hidden = false;
  setStatus({ state: 'idle' });
  $('name-input').focus();
}

// ---- client events ---------------------------------------------------------------------------

function wire(client) {
  client.on('state', (s) => {
    setStatus(s);
    if (s.state === 'closed') { renderHeader(); renderMembers(); }
  });
  client.on('welcome', (w) => {
    app.pollStats?.();
    app.me = w.userId;
    $('whoami-name').textContent = w.userId;
    $('whoami-name').title = `connection ${w.connId} on node ${w.server?.node ?? '?'}`;
  });
  client.on('close', () => {
    for (const c of app.convs.values()) { c.joined = false; c.replayed = 0; }
    renderHeader();
    renderMembers();
  });
  client.on('room_joined', (f) => {
    const c = conversation('room', f.room);
    c.joined = true;
    if (!c.historyLoaded) {
      c.historyLoaded = true;
      loadRecent(c);
    }
    c.members = new Map((f.members ?? []).map((m) => [m.connId, m.userId]));
    // The room's size: above presence.joinMembersLimit the list holds only the first members.
    c.count = typeof f.count === 'number' ? f.count : null;
    const w = app.client?.welcome;
    if (w && !c.members.has(w.connId)) c.members.set(w.connId, w.userId);
    for (const m of f.members ?? []) rememberUser(m.userId);
    renderLists();
    if (c.key === app.active) { renderMembers(); renderHeader(); }
  });
  client.on('room_message', (m) => {
    const c = conversation('room', m.room);
    if (!c.joined) c.replayed++;
    addMessage(c, messageItem(m, roomEpoch(m.room)));
  });
  client.on('recovery', (r) => {
    const c = conversation('room', r.room);
    if (r.recovered) {
      const n = c.replayed;
      addItem(c, { kind: 'sys', tone: 'ok', text: n === 0 ? 'Reconnected: nothing was missed.'
        : `Reconnected: recovered ${n} missed message${n === 1 ? '' : 's'}.` });
    } else {
      addItem(c, { kind: 'sys', tone: 'warn',
        text: 'Reconnected, but the server’s history of this room was reset (new epoch). Resynced; messages sent while you were away may be missing.' });
      resync(c);
    }
  });
  client.on('user_joined_room', (f) => {
    const c = conversation('room', f.room);
    const wasThere = [...c.members.values()].includes(f.userId);
    if (c.count != null && !c.members.has(f.connId)) c.count++;
    c.members.set(f.connId, f.userId);
    rememberUser(f.userId);
    if (!wasThere) addItem(c, { kind: 'sys', text: `${f.userId} joined` });
    if (c.key === app.active) renderMembers();
  });
  client.on('user_left_room', (f) => {
    const c = conversation('room', f.room);
    if (c.count != null) c.count = Math.max(0, c.count - 1);
    c.members.delete(f.connId);
    if (![...c.members.values()].includes(f.userId)) addItem(c, { kind: 'sys', text: `${f.userId} left` });
    if (c.key === app.active) renderMembers();
  });
  client.on('presence_diff', (d) => {
    // Sent after the diff's joins and leaves as notices (above): its count is the room's size as the server knows it.
    const c = conversation('room', d.room);
    if (typeof d.count === 'number') c.count = d.count;
    if (c.key === app.active) renderMembers();
  });
  client.on('private_message', (m) => {
    rememberUser(m.from);
    const c = conversation('dm', m.from);
    addMessage(c, { kind: 'msg', from: m.from, text: textOf(m), ts: m.ts, own: false });
    renderLists();
  });
  client.on('broadcast', (m) => {
    const c = app.convs.get(app.active);
    if (c) addItem(c, { kind: 'sys', tone: 'info', text: `Broadcast from ${m.from}: ${textOf(m)}` });
  });
  client.on('server_shutdown', (f) => {
    for (const c of app.convs.values()) {
      if (c.kind === 'room') addItem(c, { kind: 'sys', tone: 'warn', text: `${f.content ?? 'Server is shutting down'}.` });
    }
  });
  client.on('error', (e) => toast(`${e.code}: ${e.error}`));
}

function roomEpoch(room) {
  return app.client?.cursor(room)?.epoch ?? '?';
}

function textOf(m) {
  if (m.content != null) return String(m.content);
  if (m.data !== undefined) return JSON.stringify(m.data);
  return '';
}

function messageItem(m, epoch) {
  return { kind: 'msg', key: `${epoch}:${m.offset}`, from: m.from, text: textOf(m), ts: m.ts, own: m.from === app.me, offset: m.offset };
}

async function resync(c) {
  try {
    const h = await app.client.history(c.name, { limit: 100 });
    for (const m of h.messages ?? []) addMessage(c, messageItem(m, h.epoch));
  } catch (err) {
    addItem(c, { kind: 'sys', tone: 'warn', text: `Could not load history: ${err.message}` });
  }
}

/**
 * On a room's first join, its recent history goes above whatever arrived live meanwhile: the live
 * messages came after the join, the page holds the latest ones, and a message in both is shown once.
 */
async function loadRecent(c) {
  try {
    const h = await app.client.history(c.name, { limit: RECENT_ON_JOIN });
    const older = (h.messages ?? []).map((m) => messageItem(m, h.epoch)).filter((item) => !c.keys.has(item.key));
    if (older.length === 0) return;
    for (const item of older) c.keys.add(item.key);
    c.items.unshift(...older);
    if (c.key === app.active) activate(c.key);
  } catch (err) {
    addItem(c, { kind: 'sys', tone: 'warn', text: `Could not load history: ${err.message}` });
  }
}

function rememberUser(userId) {
  if (!userId || app.knownUsers.has(userId)) return;
  app.knownUsers.add(userId);
  $('known-users').append(el('option', { value: userId }));
}

// ---- actions ---------------------------------------------------------------------------------

function joinRoom(room) {
  const c = conversation('room', room);
  activate(c.key);
  app.client.join(room).catch((err) => {
    addItem(c, { kind: 'sys', tone: 'warn', text: `Could not join ${room}: ${err.message}` });
  });
}

function openDm(user) {
  rememberUser(user);
  activate(conversation('dm', user).key);
  $('composer-input').focus();
}

function leaveActive() {
  const c = app.convs.get(app.active);
  if (!c) return;
  if (c.kind === 'room') app.client.leave(c.name).catch(() => { /* gone either way */ });
  app.convs.delete(c.key);
  const next = app.convs.keys().next();
  app.active = null;
  activate(next.done ? null : next.value);
}

function send(text) {
  const c = app.convs.get(app.active);
  if (!c || !text) return;
  const item = { kind: 'msg', from: app.me, text, ts: Date.now(), own: true, pending: true };
  addItem(c, item);
  const sent = c.kind === 'room' ? app.client.publish(c.name, text) : app.client.sendPrivate(c.name, text);
  sent.then((ack) => {
    item.pending = false;
    if (c.kind === 'room' && typeof ack.offset === 'number') {
      item.offset = ack.offset;
      item.key = `${roomEpoch(c.name)}:${ack.offset}`;
      c.keys.add(item.key);
    }
    redrawItem(item);
    if (c.key === app.active) renderHeader();
  }, (err) => {
    item.pending = false;
    item.failed = err.code === 'not_connected' || err.code === 'disconnected' ? 'not sent: offline' : `not sent: ${err.message}`;
    redrawItem(item);
  });
}

// ---- rendering -------------------------------------------------------------------------------

function addMessage(c, item) {
  if (item.key) {
    if (c.keys.has(item.key)) return;
    c.keys.add(item.key);
  }
  addItem(c, item);
}

function addItem(c, item) {
  c.items.push(item);
  if (c.key === app.active) {
    const log = $('log');
    const stick = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    log.append(drawItem(item));
    if (stick || item.own) log.scrollTop = log.scrollHeight;
    if (c.kind === 'room' && item.kind === 'msg') renderHeader();
  } else if (item.kind === 'msg') {
    c.unread++;
    renderLists();
  }
}

function drawItem(item) {
  if (item.kind === 'sys') {
    item.el = el('li', { class: `sys ${item.tone ?? ''}`, 'data-testid': 'system-line' }, el('span', { text: item.text }));
    return item.el;
  }
  const time = new Date(item.ts ?? Date.now());
  const avatar = el('span', { class: 'avatar', 'aria-hidden': 'true' });
  paintAvatar(avatar, item.from);
  const status = item.pending ? el('span', { class: 'msg-state', text: 'sending…' })
    : item.failed ? el('span', { class: 'msg-state failed', text: item.failed }) : null;
  const li = el('li', { class: `msg${item.own ? ' own' : ''}${item.failed ? ' failed' : ''}`, 'data-testid': 'message',
      'data-from': item.from, 'data-offset': item.offset ?? false },
    avatar,
    el('div', { class: 'msg-body' },
      el('div', { class: 'msg-meta' },
        el('span', { class: 'msg-from', text: item.own ? `${item.from} (you)` : item.from }),
        el('time', { datetime: time.toISOString(), text: time.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) }),
        item.offset != null ? el('span', { class: 'msg-offset', title: 'room offset', text: `#${item.offset}` }) : null,
        status),
      el('p', { class: 'msg-text', text: item.text })));
  item.el = li;
  return li;
}

function redrawItem(item) {
  if (item.el?.isConnected) item.el.replaceWith(drawItem(item));
}

function activate(key) {
  app.active = key;
  const c = app.convs.get(key);
  if (c) c.unread = 0;
  renderLists();
  renderHeader();
  renderMembers();
  const log = $('log');
  log.replaceChildren(...(c ? c.items.map(drawItem) : []));
  log.scrollTop = log.scrollHeight;
}

function renderLists() {
  for (const [listId, kind] of [['room-list', 'room'], ['dm-list', 'dm']]) {
    const items = [...app.convs.values()].filter((c) => c.kind === kind).map((c) => {
      const label = kind === 'room' ? `# ${c.name}` : `@ ${c.name}`;
      const b = el('button', { type: 'button', class: 'conv', 'aria-current': c.key === app.active ? 'true' : false,
          onclick: () => { activate(c.key); $('composer-input').focus(); } },
        el('span', { class: 'conv-name', text: label }),
        kind === 'room' ? el('span', { class: 'conv-meta', text: String(new Set(c.members.values()).size || '') }) : null,
        c.unread ? el('span', { class: 'badge', text: String(c.unread), 'aria-label': `${c.unread} unread` }) : null);
      return el('li', {}, b);
    });
    $(listId).replaceChildren(...items);
  }
}

function renderHeader() {
  const c = app.convs.get(app.active);
  $('conv-title').textContent = c ? (c.kind === 'room' ? `# ${c.name}` : `@ ${c.name}`) : 'No conversation';
  let sub = '';
  if (c?.kind === 'room') {
    const cur = app.client?.cursor(c.name);
    const offline = app.client?.state === 'closed';
    sub = c.joined ? `Room · epoch ${cur?.epoch ?? '?'} · offset ${cur?.highest ?? 0}` : offline ? 'Room · offline' : 'Room · joining…';
  } else if (c) {
    sub = 'Private conversation';
  }
  $('conv-sub').textContent = sub;
  $('leave-button').hidden = !c;
  $('leave-button').textContent = c?.kind === 'room' ? 'Leave room' : 'Close';
  $('composer-label').textContent = c ? `Message ${c.kind === 'room' ? '#' : '@'}${c.name}` : 'Message';
  $('composer-input').placeholder = c ? `Message ${c.kind === 'room' ? '#' : '@'}${c.name}` : 'Join a room to chat';
}

function renderMembers() {
  const c = app.convs.get(app.active);
  const aside = document.querySelector('.members');
  aside.hidden = !c || c.kind !== 'room';
  $('workspace').classList.toggle('no-members', aside.hidden);
  if (!c || c.kind !== 'room') return;
  const byUser = new Map();
  for (const userId of c.members.values()) byUser.set(userId, (byUser.get(userId) ?? 0) + 1);
  const users = [...byUser.keys()].sort((a, b) => (a === app.me ? -1 : b === app.me ? 1 : a.localeCompare(b)));
  // A big room's list holds its first members only: the count is then the room's, in connections.
  const total = c.count != null && c.count > c.members.size ? c.count : null;
  $('member-count').textContent = total != null ? total.toLocaleString('en') : String(users.length);
  // Until the room is (re)joined the list is the last one known: say so.
  $('member-list').classList.toggle('stale', !c.joined);
  $('members-hint').textContent = c.joined && total != null
    ? `Showing ${users.length} of ${total.toLocaleString('en')} connections. Select a member to message them privately.`
    : c.joined ? 'Select a member to message them privately.'
    : app.client?.state === 'closed' ? 'Last known members; offline.'
      : c.members.size ? 'Last known members; reconnecting…' : 'Joining…';
  $('member-list').replaceChildren(...users.map((u) => {
    const avatar = el('span', { class: 'avatar avatar-sm', 'aria-hidden': 'true' });
    paintAvatar(avatar, u);
    const n = byUser.get(u);
    const label = el('span', { class: 'member-name', text: u === app.me ? `${u} (you)` : u });
    const tabs = n > 1 ? el('span', { class: 'muted small', text: `${n} tabs` }) : null;
    const inner = u === app.me
      ? el('div', { class: 'member' }, avatar, label, tabs)
      : el('button', { type: 'button', class: 'member', title: `Message ${u} privately`, onclick: () => openDm(u) }, avatar, label, tabs);
    return el('li', { 'data-testid': 'member', 'data-user': u }, inner);
  }));
  renderLists();
}

function paintAvatar(node, name) {
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.codePointAt(0)) % 360;
  node.style.setProperty('--hue', String(h));
  node.textContent = [...name][0]?.toUpperCase() ?? '?';
}

// ---- connection status -----------------------------------------------------------------------

function setStatus(s) {
  const box = $('status');
  box.dataset.state = s.state;
  const retry = $('retry-now');
  clearInterval(app.countdownTimer);
  app.countdownTimer = null;
  retry.hidden = true;
  document.querySelector('#composer button').disabled = s.state !== 'connected';
  const why = s.closeCode ? ` (${CLOSE_TEXT[s.closeCode] ?? `code ${s.closeCode}`})` : '';
  // The countdown ticks in an aria-hidden span so the live region announces state changes, not every tick.
  let text = s.state;
  let detail = '';
  let countdown = '';
  switch (s.state) {
    case 'idle': text = 'Not connected'; break;
    case 'connecting': text = 'Connecting…'; break;
    case 'connected':
      text = 'Connected';
      detail = s.transport === 'streaming' ? ' · over HTTP streaming (WebSocket blocked on the way)'
        : s.transport === 'sse' ? ' · read-only over Server-Sent Events (WebSocket and HTTP streaming blocked on the way)'
          : '';
      break;
    case 'reconnecting':
      detail = `${why} · attempt ${Math.max(1, s.attempt)}`;
      if (s.retryAt && !s.connecting) {
        text = 'Reconnecting';
        retry.hidden = false;
        retry.textContent = 'Retry now';
        const tick = () => {
          const left = Math.max(0, (app.client?.retryAt ?? s.retryAt) - Date.now());
          setText('status-countdown', ` in ${(left / 1000).toFixed(left < 10000 ? 1 : 0)} s`);
        };
        tick();
        app.countdownTimer = setInterval(tick, 100);
      } else {
        text = 'Reconnecting…';
      }
      break;
    case 'closed':
      text = 'Offline';
      // A refusal at the door carries the server's reason (origin not allowed, invalid token, ...).
      detail = app.client?.lastClose?.status ? ` (${app.client.lastClose.reason})` : why;
      if (app.client) {
        retry.hidden = false;
        retry.textContent = 'Reconnect';
      }
      break;
    default:
  }
  setText('status-text', text);
  setText('status-detail', detail);
  if (!app.countdownTimer) setText('status-countdown', countdown);
}

function setText(id, text) {
  const node = $(id);
  if (node.textContent !== text) node.textContent = text;
}

// ---- server stats ----------------------------------------------------------------------------

function startStats() {
  stopStats();
  const poll = async () => {
    try {
      const res = await fetch(new URL('stats', location.href), { cache: 'no-store' });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      showStats(await res.json());
    } catch {
      $('stats-age').textContent = '· unreachable';
      $('stats').classList.add('stale');
    }
  };
  poll();
  app.pollStats = poll;
  app.statsTimer = setInterval(poll, STATS_INTERVAL_MS);
}

function stopStats() {
  clearInterval(app.statsTimer);
  app.statsTimer = null;
}

function showStats(s) {
  const fmt = (v) => (typeof v === 'number' ? (Number.isInteger(v) ? v.toLocaleString() : v.toFixed(1))
    : Array.isArray(v) ? String(v.length) : v == null ? '–' : String(v));
  for (const k of ['connectionsActive', 'connectionsTotal', 'messagesSent', 'messagesReceived', 'messagesPerSecond', 'rooms']) {
    $(`stat-${k}`).textContent = fmt(s[k]);
  }
  $('stats-age').textContent = '· live';
  $('stats').classList.remove('stale');
  app.spark.push(Number(s.messagesPerSecond) || 0);
  if (app.spark.length > SPARK_POINTS) app.spark.shift();
  const max = Math.max(1, ...app.spark);
  const step = 120 / (SPARK_POINTS - 1);
  const offset = SPARK_POINTS - app.spark.length;
  const pts = app.spark.map((v, i) => `${((i + offset) * step).toFixed(1)},${(22 - (v / max) * 20).toFixed(1)}`);
  document.querySelector('#sparkline polyline').setAttribute('points', pts.join(' '));
}

// ---- misc ------------------------------------------------------------------------------------

let toastTimer = null;
function toast(text) {
  const t = $('toast');
  t.textContent = text;
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.hidden = true; }, 5000);
}

function boot() {
  const params = new URLSearchParams(location.search);
  let saved = null;
  try { saved = localStorage.getItem('switchboard.name'); } catch { /* private mode */ }
  $('name-input').value = params.get('name') ?? saved ?? '';
  if (params.get('room')) $('first-room-input').value = params.get('room');

  $('signin-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const name = $('name-input').value.trim();
    const room = $('first-room-input').value.trim();
    if (!NAME_RE.test(name)) {
      $('name-error').textContent = 'Use 1–64 letters, digits or _ . : @ -';
      $('name-input').setAttribute('aria-invalid', 'true');
      $('name-input').focus();
      return;
    }
    if (room && !ROOM_RE.test(room)) {
      $('name-error').textContent = 'Room names use letters, digits and _ . : @ / -';
      $('first-room-input').focus();
      return;
    }
    $('name-error').textContent = '';
    $('name-input').removeAttribute('aria-invalid');
    signIn(name, room);
  });
  $('join-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const room = $('join-input').value.trim();
    if (!ROOM_RE.test(room)) { toast('Room names use letters, digits and _ . : @ / - (up to 128)'); return; }
    $('join-input').value = '';
    joinRoom(room);
  });
  $('dm-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const user = $('dm-input').value.trim();
    if (!NAME_RE.test(user)) { toast('User names use letters, digits and _ . : @ - (up to 64)'); return; }
    $('dm-input').value = '';
    openDm(user);
  });
  $('composer').addEventListener('submit', (e) => {
    e.preventDefault();
    const input = $('composer-input');
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    send(text);
  });
  $('leave-button').addEventListener('click', leaveActive);
  $('sign-out').addEventListener('click', signOut);
  $('retry-now').addEventListener('click', () => {
    if (!app.client) return;
    if (app.client.state === 'closed') app.client.connect().catch(() => {});
    else app.client.reconnectNow();
  });
  setStatus({ state: 'idle' });
  renderHeader();
  if (params.get('name') && params.has('autoconnect')) $('signin-form').requestSubmit();
  else $('name-input').focus();
}

// Exposed for the end-to-end tests and for poking around in the console.
window.switchboardDemo = app;
boot();
