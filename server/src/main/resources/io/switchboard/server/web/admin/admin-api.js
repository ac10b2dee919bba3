// Every call the admin console makes, in one place: the server's backend API with the signed-in credential.
// When the API grows, only this module changes.

const STORAGE_KEY = 'switchboard.admin.credential';

/** Raised for an answer other than 2xx: `status` is the HTTP status, `code` the API's error code. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export const credential = {
  get: () => sessionStorage.getItem(STORAGE_KEY),
  set: (value) => sessionStorage.setItem(STORAGE_KEY, value),
  clear: () => sessionStorage.removeItem(STORAGE_KEY),
};

async function call(method, path, body, key = credential.get()) {
  const headers = { Authorization: `Bearer ${key ?? ''}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store', credentials: 'omit' });
  } catch (e) {
    throw new ApiError(0, 'network', `the server did not answer (${e.message})`);
  }
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { /* not JSON: reported below */ }
  if (!res.ok) {
    throw new ApiError(res.status, json?.error ?? 'http_' + res.status, json?.message ?? (text.trim() || res.statusText));
  }
  return json;
}

const q = (params) => {
  const s = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== ''));
  return s.size ? `?${s}` : '';
};

/** Checks a credential without keeping it: resolves when the API accepts it. */
export const verify = (key) => call('GET', '/api/nodes', undefined, key);

/**
 * {nodes: [{nodeId, self, version, address, uptimeMs, timestamp, connections, messagesReceived, messagesSent,
 * messagesInPerSecond, messagesOutPerSecond, broker, breakers, …}]}: every live node of the cluster; another node's
 * values are those of its last announcement (`timestamp`).
 */
export const nodes = () => call('GET', '/api/nodes');

/**
 * {rooms: [{room, members}], cursor, missing}: a page of the cluster's rooms by name (those starting with `prefix`
 * when given), members summed over the nodes.
 */
export const rooms = (cursor, prefix) => call('GET', `/api/rooms${q({ cursor, prefix })}`);

/** {room, members: [{userId, connId, info}], offset, epoch, policy}: the room and its namespace's options. */
export const room = (name) => call('GET', `/api/rooms/${encodeURIComponent(name)}`);

/** {room, count, members: [{userId, connId, info}], cursor}: a page of the room's members in the cluster. */
export const members = (name, cursor, limit = 50) => call('GET', `/api/presence${q({ room: name, limit, cursor })}`);

/** {room, epoch, messages: [...]}: the last `limit` messages. */
export const history = (name, limit = 20) => call('GET', `/api/history${q({ room: name, limit })}`);

/** {offset}: publishes as the server. */
export const publish = (name, content) => call('POST', '/api/publish', { room: name, content });

/**
 * {connections: [{connId, userId, node, address, rooms, roomCount, connectedAt}], total, missing}: the cluster's
 * connections of users whose id starts with `prefix`, oldest first; `missing` names nodes that did not answer.
 */
export const connections = (prefix) => call('GET', `/api/connections${q({ prefix })}`);

/** {disconnected: n}: closes every connection of `userId` (cluster-wide) with `code`. */
export const disconnect = (userId, code) => call('POST', '/api/disconnect', { userId, code });

/** {config: {section: {key: value}}}: secrets masked by the server. */
export const config = () => call('GET', '/api/config');
