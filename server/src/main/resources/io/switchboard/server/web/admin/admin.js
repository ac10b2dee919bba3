// The admin console: sign-in, then four views over the backend API (admin-api.js). No framework; all text
// goes in through textContent, so nothing the server returns can run as markup.
import * as api from './admin-api.js';
import { lineChart } from './admin-chart.js';

const $ = (id) => document.getElementById(id);
const POLL_MS = 1000;
/** Samples kept for the charts: five minutes at one a second. */
const MAX_SAMPLES = 300;
const ROOMS_PER_PAGE = 20;

function h(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') e.className = v;
    else if (k === 'data') Object.assign(e.dataset, v);
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  e.append(...children.filter((c) => c !== null && c !== undefined).map((c) => (c instanceof Node ? c : String(c))));
  return e;
}

function duration(ms) {
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const hh = Math.floor((s % 86400) / 3600);
  const mm = Math.floor((s % 3600) / 60);
  return d ? `${d}d ${hh}h` : hh ? `${hh}h ${mm}m` : mm ? `${mm}m ${s % 60}s` : `${s}s`;
}

function describe(e) {
  if (e instanceof api.ApiError) {
    if (e.status === 401) return 'Refused: the server did not accept this key or password.';
    if (e.status === 429) return `Refused: ${e.message}`;
    return e.status ? `${e.message} (HTTP ${e.status})` : e.message;
  }
  return String(e?.message ?? e);
}

/** Shows a failure of a background call; a 401 (key revoked, server restarted with other keys) signs out. */
function problem(e) {
  if (e instanceof api.ApiError && e.status === 401) {
    signOut('Signed out: the server no longer accepts this key.');
    return;
  }
  $('problem').textContent = describe(e);
  $('problem').hidden = false;
}

function clearProblem() {
  $('problem').hidden = true;
}

// ------------------------------------------------------------------------------------------ sign-in

let poller = null;

async function signIn(event) {
  event.preventDefault();
  const key = $('credential').value.trim();
  const error = $('sign-in-error');
  error.textContent = '';
  if (!key) {
    error.textContent = 'Enter an API key or the admin password.';
    $('credential').focus();
    return;
  }
  const button = event.submitter ?? $('sign-in-form').querySelector('button');
  button.disabled = true;
  try {
    await api.verify(key);
    api.credential.set(key);
    $('credential').value = '';
    start();
  } catch (e) {
    error.textContent = describe(e);
    $('credential').setAttribute('aria-invalid', 'true');
    $('credential').select();
  } finally {
    button.disabled = false;
  }
}

function signOut(message = '') {
  api.credential.clear();
  clearInterval(poller);
  poller = null;
  samples.length = 0;
  $('console').hidden = true;
  $('sign-out').hidden = true;
  $('node-line').hidden = true;
  $('sign-in').hidden = false;
  $('sign-in-error').textContent = message;
  $('credential').focus();
}

function start() {
  $('sign-in').hidden = true;
  $('console').hidden = false;
  $('sign-out').hidden = false;
  $('credential').removeAttribute('aria-invalid');
  if (!location.hash) history.replaceState(null, '', '#overview');
  route();
  pollOverview();
  poller = setInterval(tick, POLL_MS);
}

let ticks = 0;

/** Every second the overview; every other second the list or room on show too. */
function tick() {
  pollOverview();
  if (++ticks % 2 !== 0) return;
  // Never what holds the focus: replacing those rows would throw a keyboard user's place away.
  const focused = (id) => $(id).contains(document.activeElement);
  if (!$('view-connections').hidden && !focused('connections')) loadConnections();
  if (!$('view-rooms').hidden && !focused('room-list')) loadRooms();
  else if (!$('view-rooms').hidden && openRoom) showRoom(openRoom);
}

// ------------------------------------------------------------------------------------------ views

const views = ['overview', 'rooms', 'connections', 'config'];

function route() {
  const view = views.includes(location.hash.slice(1)) ? location.hash.slice(1) : 'overview';
  for (const v of views) $(`view-${v}`).hidden = v !== view;
  for (const a of document.querySelectorAll('.tabs a')) {
    if (a.dataset.view === view) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  clearProblem();
  if (view === 'rooms') loadRooms();
  if (view === 'connections') loadConnections();
  if (view === 'config') loadConfig();
}

// ------------------------------------------------------------------------------------------ overview

const samples = [];
let previous = null;
let lastRates = new Map();
let drawRates;
let drawConnections;

async function pollOverview() {
  let answer;
  try {
    answer = await api.nodes();
  } catch (e) {
    problem(e);
    return;
  }
  if (!api.credential.get()) return; // signed out while the call ran
  const self = answer.nodes.find((n) => n.self) ?? answer.nodes[0];
  const line = $('node-line');
  const count = answer.nodes.length;
  line.textContent = `node ${self.nodeId} · ${self.version}${self.draining ? ' · draining' : ''}`
    + ` · ${count} node${count === 1 ? '' : 's'} in the cluster`;
  line.hidden = false;
  const rates = new Map();
  for (const n of answer.nodes) {
    // Another node's values change once per announcement (every second), not per poll: between two, keep
    // the last rate.
    const before = previous?.get(n.nodeId);
    const seconds = before ? (n.timestamp - before.timestamp) / 1000 : 0;
    rates.set(n.nodeId, seconds > 0 ? {
      in: Math.max(0, (n.messagesReceived - before.messagesReceived) / seconds),
      out: Math.max(0, (n.messagesSent - before.messagesSent) / seconds),
    } : lastRates.get(n.nodeId) ?? null);
  }
  previous = new Map(answer.nodes.map((n) => [n.nodeId, n]));
  lastRates = rates;
  renderNodes(answer.nodes, rates);
  const total = (f) => answer.nodes.reduce((sum, n) => sum + (f(n) ?? 0), 0);
  const known = [...rates.values()].every(Boolean);
  samples.push({
    t: Date.now(),
    connections: total((n) => n.connections),
    ...(known ? { in: total((n) => rates.get(n.nodeId).in), out: total((n) => rates.get(n.nodeId).out) } : {}),
  });
  if (samples.length > MAX_SAMPLES) samples.splice(0, samples.length - MAX_SAMPLES);
  drawRates(samples);
  drawConnections(samples);
  $('overview-age').textContent = `updated ${new Date().toLocaleTimeString()}`;
}

/** A closed breaker lets calls through: say so, since "closed" reads like "shut" to most people. */
const BREAKER_STATES = { CLOSED: 'closed (calls pass)', OPEN: 'open (failing fast)', HALF_OPEN: 'half-open (probing)' };

function renderNodes(nodes, rates) {
  const rows = nodes.map((n) => {
    const r = rates.get(n.nodeId);
    const broker = n.broker.connected ? 'connected' : 'disconnected';
    return h('tr', { data: { node: n.nodeId } },
      h('th', { scope: 'row' }, n.nodeId, n.self ? h('span', { class: 'muted' }, ' (this node)') : null,
        n.draining ? h('span', { class: 'badge bad' }, ' draining') : null,
        n.address ? h('span', { class: 'muted address' }, ` ${n.address}`) : null),
      h('td', {}, n.version),
      h('td', {}, duration(n.uptimeMs)),
      h('td', { data: { field: 'connections' } }, n.connections),
      h('td', { data: { field: 'in' } }, r ? r.in.toFixed(1) : '–'),
      h('td', { data: { field: 'out' } }, r ? r.out.toFixed(1) : '–'),
      h('td', {}, n.rooms),
      h('td', {}, h('span', { class: `badge ${n.broker.connected ? 'ok' : 'bad'}` }, broker), ' ', n.broker.name),
      h('td', {}, ...(n.breakers.length === 0 ? ['none (single node)'] : n.breakers.flatMap((b, i) => [
        i ? h('br') : null, `${b.name}: `, h('span', { class: `badge ${b.state === 'CLOSED' ? 'ok' : 'bad'}` },
          BREAKER_STATES[b.state] ?? b.state.toLowerCase())]))));
  });
  // A phone shows each row as a card: every cell says which column it is.
  const headers = [...$('nodes').tHead.rows[0].cells].map((c) => c.textContent);
  for (const row of rows) [...row.cells].forEach((cell, i) => { cell.dataset.label = headers[i]; });
  $('nodes').tBodies[0].replaceChildren(...rows);
}

// ------------------------------------------------------------------------------------------ rooms

let allRooms = [];
let roomsPage = 0;
let openRoom = null;

/** Pages of the cluster's rooms the list reads at most (1000 rooms each): narrow it with the search. */
const MAX_ROOM_PAGES = 10;
/** What a room name (and so a prefix of one) may hold; anything else matches no room. */
const ROOM_CHARS = /^[A-Za-z0-9_.:@\/-]{1,128}$/;
let roomsTruncated = false;
let roomsMissing = [];
/** Counts loads, so that the answer of an older search never replaces a newer one's. */
let roomsLoad = 0;
let searchTimer = null;

async function loadRooms() {
  const load = ++roomsLoad;
  const prefix = $('room-search').value.trim();
  if (prefix && !ROOM_CHARS.test(prefix)) {
    allRooms = [];
    roomsTruncated = false;
    roomsMissing = [];
    renderRooms();
    return;
  }
  try {
    const rooms = [];
    let cursor = null;
    let pages = 0;
    let missing = new Set();
    do {
      const page = await api.rooms(cursor, prefix);
      rooms.push(...page.rooms);
      (page.missing ?? []).forEach((n) => missing.add(n));
      cursor = page.cursor;
      pages++;
    } while (cursor && pages < MAX_ROOM_PAGES && load === roomsLoad);
    if (load !== roomsLoad) return;
    allRooms = rooms;
    roomsTruncated = Boolean(cursor);
    roomsMissing = [...missing];
  } catch (e) {
    problem(e);
    return;
  }
  renderRooms();
  if (openRoom) showRoom(openRoom);
}

function renderRooms() {
  const term = $('room-search').value.trim();
  const matching = allRooms;
  const pages = Math.max(1, Math.ceil(matching.length / ROOMS_PER_PAGE));
  roomsPage = Math.min(roomsPage, pages - 1);
  const page = matching.slice(roomsPage * ROOMS_PER_PAGE, (roomsPage + 1) * ROOMS_PER_PAGE);
  $('room-list').replaceChildren(...(page.length ? page.map((r) => h('li', {},
    h('button', { type: 'button', class: 'link', data: { room: r.room },
      'aria-pressed': String(r.room === openRoom), onclick: () => showRoom(r.room) },
    h('span', { class: 'name' }, r.room), h('span', { class: 'count' }, `${r.members} member${r.members === 1 ? '' : 's'}`))))
    : [h('li', { class: 'muted' }, term ? 'No room matches.' : 'No rooms with members.')]));
  $('rooms-page').textContent = `Page ${roomsPage + 1} of ${pages} (${matching.length}${roomsTruncated ? '+' : ''} rooms)`
    + (roomsTruncated ? `; the first ${allRooms.length} by name, search to narrow` : '')
    + (roomsMissing.length ? `; not counted, no answer from: ${roomsMissing.join(', ')}` : '');
  $('rooms-prev').disabled = roomsPage === 0;
  $('rooms-next').disabled = roomsPage >= pages - 1;
}

/** Where the open room's member list goes on ("More members"), or null when it is complete. */
let membersCursor = null;

const memberItem = (m) =>
  h('li', { data: { user: m.userId, conn: m.connId } }, h('strong', {}, m.userId), ' ', h('code', {}, m.connId));

/** The room's namespace options in one line, as namespaces.<name>.* names them. */
function policyText(p) {
  if (!p) return '';
  return `${p.namespace ? `namespace ${p.namespace}` : 'defaults'} · history ${p.historySize} for ${p.historyTtl}`
    + ` · presence ${p.presence} · join/leave notices ${p.joinLeave ? 'on' : 'off'}`
    + ` · clients ${p.clientPublish ? 'may' : 'may not'} publish · delivery ${p.delivery} · at most ${p.maxMembers} members per node`;
}

async function moreMembers() {
  const name = openRoom;
  if (!membersCursor) return;
  let page;
  try {
    page = await api.members(name, membersCursor);
  } catch (e) {
    problem(e);
    return;
  }
  if (openRoom !== name) return;
  $('room-members').append(...page.members.map(memberItem));
  membersCursor = page.cursor;
  $('room-members-more').hidden = !membersCursor;
}

async function showRoom(name) {
  openRoom = name;
  for (const b of $('room-list').querySelectorAll('button')) b.setAttribute('aria-pressed', String(b.dataset.room === name));
  let info;
  let past;
  let page;
  try {
    [info, past, page] = await Promise.all([api.room(name), api.history(name), api.members(name)]);
  } catch (e) {
    problem(e);
    return;
  }
  if (openRoom !== name) return;
  $('room-empty').hidden = true;
  $('room-body').hidden = false;
  $('room-name').textContent = name;
  $('room-offset').textContent = info.offset;
  $('room-epoch').textContent = info.epoch;
  $('room-member-count').textContent = page.count;
  $('room-policy').textContent = policyText(info.policy);
  $('room-members').replaceChildren(...(page.members.length ? page.members.map(memberItem)
    : [h('li', { class: 'muted' }, 'No members.')]));
  membersCursor = page.cursor;
  $('room-members-more').hidden = !membersCursor;
  const messages = past.messages.slice().reverse();
  $('room-history').replaceChildren(...(messages.length ? messages.map((m) =>
    h('li', { data: { offset: m.offset } },
      h('span', { class: 'meta' }, `#${m.offset} · ${m.from} · ${new Date(m.ts).toLocaleTimeString()}`),
      h('span', { class: 'text' }, m.content ?? JSON.stringify(m.data))))
    : [h('li', { class: 'muted' }, 'No messages kept.')]));
}

async function publish(event) {
  event.preventDefault();
  const content = $('publish-content').value;
  const status = $('publish-status');
  if (!content.trim()) {
    status.textContent = 'Write a message first.';
    $('publish-content').focus();
    return;
  }
  try {
    const { offset } = await api.publish(openRoom, content);
    status.textContent = `Published at offset ${offset}.`;
    $('publish-content').value = '';
    showRoom(openRoom);
  } catch (e) {
    status.textContent = describe(e);
  }
}

// ------------------------------------------------------------------------------------------ connections

async function loadConnections(event) {
  event?.preventDefault();
  const prefix = $('user-search').value.trim();
  let answer;
  try {
    answer = await api.connections(prefix);
  } catch (e) {
    problem(e);
    return;
  }
  clearProblem();
  const rows = answer.connections.map((c) => h('tr', { data: { user: c.userId, conn: c.connId } },
    h('th', { scope: 'row' }, h('button', { type: 'button', class: 'link', title: 'Choose to disconnect',
      onclick: () => { $('disconnect-user').value = c.userId; $('disconnect-code').focus(); } }, c.userId)),
    h('td', {}, h('code', {}, c.connId)),
    h('td', {}, c.node),
    h('td', {}, c.address),
    h('td', {}, (c.rooms.join(', ') || '–') + (c.roomCount > c.rooms.length ? ` (${c.roomCount} in all)` : '')),
    h('td', {}, new Date(c.connectedAt).toLocaleString())));
  $('connections').tBodies[0].replaceChildren(...rows);
  const shown = answer.connections.length;
  const missing = answer.missing ?? [];
  const summary = `${answer.total} connection${answer.total === 1 ? '' : 's'} in the cluster`
    + (prefix ? ` of users starting with “${prefix}”` : '') + (shown < answer.total ? `, oldest ${shown} shown` : '')
    + (missing.length ? `; not counted, no answer from: ${missing.join(', ')}` : '') + '.';
  // A live region: only a change is news.
  if ($('connections-summary').textContent !== summary) $('connections-summary').textContent = summary;
  if (event && answer.connections.length && !$('disconnect-user').value) {
    $('disconnect-user').value = answer.connections[0].userId;
  }
}

async function disconnect(event) {
  event.preventDefault();
  const user = $('disconnect-user').value.trim();
  const code = Number($('disconnect-code').value);
  const status = $('disconnect-status');
  if (!user) {
    status.textContent = 'Enter the user id to disconnect.';
    $('disconnect-user').focus();
    return;
  }
  try {
    const { disconnected } = await api.disconnect(user, code);
    status.textContent = `Closed ${disconnected} connection${disconnected === 1 ? '' : 's'} of ${user} on this node`
      + ` with ${code} (other nodes close theirs too).`;
    loadConnections();
  } catch (e) {
    status.textContent = describe(e);
  }
}

// ------------------------------------------------------------------------------------------ config

let configSections = null;

async function loadConfig() {
  if (!configSections) {
    try {
      configSections = (await api.config()).config;
    } catch (e) {
      problem(e);
      return;
    }
  }
  const term = $('config-filter').value.trim().toLowerCase();
  const blocks = [];
  for (const [section, keys] of Object.entries(configSections)) {
    const rows = Object.entries(keys).filter(([k]) => `${section}.${k}`.toLowerCase().includes(term))
      .map(([k, v]) => h('tr', { data: { key: `${section}.${k}` } }, h('th', { scope: 'row' }, h('code', {}, `${section}.${k}`)),
        h('td', {}, v === 'hidden' ? h('span', { class: 'badge' }, 'hidden') : h('code', {}, v))));
    if (rows.length) {
      blocks.push(h('div', { class: 'table-wrap panel' }, h('table', { class: 'config' },
        h('caption', {}, section),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Key'), h('th', { scope: 'col' }, 'Value'))),
        h('tbody', {}, ...rows))));
    }
  }
  $('config-sections').replaceChildren(...(blocks.length ? blocks : [h('p', { class: 'muted' }, 'No key matches.')]));
}

// ------------------------------------------------------------------------------------------ wiring

function init() {
  drawRates = lineChart($('chart-rates'), [
    { key: 'in', label: 'in/s', className: 's1' },
    { key: 'out', label: 'out/s', className: 's2' },
  ], { title: 'Messages per second over the last 5 minutes' });
  drawConnections = lineChart($('chart-connections'), [
    { key: 'connections', label: 'connections', className: 's3' },
  ], { title: 'Connections over the last 5 minutes' });
  $('sign-in-form').addEventListener('submit', signIn);
  $('sign-out').addEventListener('click', () => signOut());
  window.addEventListener('hashchange', () => { if (api.credential.get()) route(); });
  $('room-search').addEventListener('input', () => {
    roomsPage = 0;
    clearTimeout(searchTimer);
    searchTimer = setTimeout(loadRooms, 250);
  });
  $('rooms-prev').addEventListener('click', () => { roomsPage--; renderRooms(); });
  $('room-members-more').addEventListener('click', moreMembers);
  $('rooms-next').addEventListener('click', () => { roomsPage++; renderRooms(); });
  $('publish-form').addEventListener('submit', publish);
  $('user-form').addEventListener('submit', loadConnections);
  $('disconnect-form').addEventListener('submit', disconnect);
  $('config-filter').addEventListener('input', loadConfig);
  if (api.credential.get()) start();
  else $('credential').focus();
}

init();
