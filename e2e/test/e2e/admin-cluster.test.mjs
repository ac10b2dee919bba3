// End-to-end: two nodes over a real redis-server, each with its admin console, in headless Chromium. Each
// overview lists both nodes; the room list counts the members of both; a room's members and history come from
// both nodes; publishing and disconnecting from one node's console reach clients of the other. Screenshots go
// to e2e/target/admin/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { JAR, REPO, ServerProcess, freePort } from '../../lib/server.mjs';
import { launch, missingBrowser } from '../../lib/browser.mjs';
import { RedisProcess, missingRedis } from '../../lib/redis.mjs';

const TIMEOUT = 20000;
const API_KEY = 'e2e-admin-key-0123456789';
const SHOTS = path.join(REPO, 'e2e', 'target', 'admin');

function why() {
  const missing = missingBrowser() ?? (existsSync(JAR) ? null : `${JAR} not built (./mvnw -q -pl cli -am package -DskipTests)`)
    ?? missingRedis();
  if (missing && missingRedis() === missing && process.env.CI) throw new Error(`CI is set: ${missing}`);
  return missing ?? false;
}
const skip = why();

/** A native WebSocket in a page of `baseUrl`'s origin, in `room`; records messages and the close. */
async function wsClient(browser, baseUrl, user, room) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  await page.goto(`${baseUrl}/health`);
  await page.evaluate(({ user, room }) => new Promise((resolve, reject) => {
    const ws = new WebSocket(`${location.origin.replace(/^http/, 'ws')}/ws?id=${user}`);
    Object.assign(window, { ws, received: [], closeEvent: null });
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      window.received.push(m);
      if (m.type === 'welcome') ws.send(JSON.stringify({ type: 'join_room', room }));
      if (m.type === 'room_joined') resolve();
    };
    ws.onclose = (e) => { window.closeEvent = { code: e.code }; reject(new Error(`closed ${e.code}`)); };
  }), { user, room });
  return {
    page,
    send: (content) => page.evaluate(({ room, content }) =>
      window.ws.send(JSON.stringify({ type: 'room_message', room, content })), { room, content }),
    waitFor: (fn, arg) => page.waitForFunction(fn, arg, { timeout: TIMEOUT }),
    close: () => context.close(),
  };
}

async function console(browser, baseUrl) {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on('pageerror', (err) => { page.errors = [...(page.errors ?? []), err]; });
  await page.goto(`${baseUrl}/admin`);
  await page.getByLabel('API key or admin password').fill(API_KEY);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#nodes tbody tr').first().waitFor();
  return page;
}

describe('admin console over two nodes and Redis', { skip, timeout: 240000 }, () => {
  let redis;
  const nodes = [];
  let browser;

  before(async () => {
    redis = await new RedisProcess(await freePort()).start();
    for (const id of ['node-a', 'node-b']) {
      nodes.push(await new ServerProcess(await freePort(), {
        SWITCHBOARD_API_KEYS: API_KEY, SWITCHBOARD_ADMIN_ENABLED: 'true', SWITCHBOARD_SERVER_NODE_ID: id,
        SWITCHBOARD_CLUSTER_BROKER: 'redis', SWITCHBOARD_REDIS_PORT: String(redis.port),
      }).start());
    }
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    for (const n of nodes) await n.stop();
    await redis?.stop();
  });

  test('members, history, publishing and disconnecting span both nodes', async () => {
    const [a, b] = nodes;
    const alice = await wsClient(browser, a.httpUrl, 'alice', 'cluster-room');
    const bob = await wsClient(browser, b.httpUrl, 'bob', 'cluster-room');
    await bob.send('hello from node b');
    await alice.waitFor(() => window.received.some((m) => m.content === 'hello from node b'));

    const pageA = await console(browser, a.httpUrl);
    const pageB = await console(browser, b.httpUrl);
    // Each overview lists both nodes, each with the Redis broker connected and its breakers.
    for (const page of [pageA, pageB]) {
      for (const id of ['node-a', 'node-b']) {
        await page.locator(`#nodes tbody tr[data-node="${id}"] .badge.ok`, { hasText: 'connected' }).waitFor();
      }
      await page.locator('#node-line', { hasText: '2 nodes in the cluster' }).waitFor();
    }
    assert.match(await pageA.locator('#nodes tbody tr[data-node="node-a"] th').textContent(), /\(this node\)/);
    assert.doesNotMatch(await pageA.locator('#nodes tbody tr[data-node="node-b"] th').textContent(), /this node/);
    assert.match(await pageA.locator('#nodes tbody tr[data-node="node-b"] th').textContent(),
      new RegExp(`:${new URL(b.httpUrl).port}$`));
    // Node B's counters as node B announced them: bob's connection.
    await pageA.locator('#nodes tbody tr[data-node="node-b"] [data-field="connections"]', { hasText: /^1$/ }).waitFor();
    mkdirSync(SHOTS, { recursive: true });
    await pageA.screenshot({ path: path.join(SHOTS, 'cluster-overview-node-a.png'), fullPage: true });
    assert.match(await pageA.locator('#nodes tbody tr[data-node="node-a"]').textContent(), /redis/);
    assert.match(await pageA.locator('#nodes tbody tr[data-node="node-a"] td').last().textContent(),
      /^broker redis \S+: closed \(calls pass\)history and presence store: closed \(calls pass\)$/);

    // Node A's console: the room's members on both nodes, and the message sent on node B in its history.
    await pageA.getByRole('link', { name: 'Rooms' }).click();
    // The room list counts the members on both nodes.
    assert.match(await pageA.locator('#room-list button[data-room="cluster-room"]').textContent(), /2 members$/);
    await pageA.locator('#room-list button[data-room="cluster-room"]').click();
    await pageA.locator('#room-members [data-user="alice"]').waitFor();
    await pageA.locator('#room-members [data-user="bob"]').waitFor();
    assert.match(await pageA.locator('#room-members [data-user="bob"]').textContent(), /node-b/);
    await pageA.locator('#room-history .text', { hasText: 'hello from node b' }).waitFor();

    // Published from node A's console, received by bob on node B.
    await pageA.getByLabel('Message to publish into this room').fill('from the console of node a');
    await pageA.getByRole('button', { name: 'Publish' }).click();
    await pageA.locator('#publish-status', { hasText: 'Published at offset 2.' }).waitFor();
    await bob.waitFor(() => window.received.some((m) => m.content === 'from the console of node a' && m.offset === 2));
    await pageA.screenshot({ path: path.join(SHOTS, 'cluster-room-node-a.png'), fullPage: true });

    // Disconnected from node A's console: bob's connection on node B closes with the chosen code.
    await pageA.getByRole('link', { name: 'Connections' }).click();
    // Node A's console lists the cluster's connections: bob's, held by node B, among them.
    await pageA.locator('#connections tbody tr', { hasText: 'bob' }).filter({ hasText: 'node-b' }).waitFor();
    await pageA.getByLabel('Disconnect user').fill('bob');
    await pageA.getByLabel('Close code').selectOption('4003');
    await pageA.getByRole('button', { name: 'Disconnect' }).click();
    await pageA.locator('#disconnect-status', { hasText: 'Closed 0 connections of bob on this node with 4003' }).waitFor();
    await bob.waitFor(() => window.closeEvent?.code === 4003);
    assert.equal(await alice.page.evaluate(() => window.closeEvent), null, 'alice stays');

    for (const p of [pageA, pageB]) assert.deepEqual((p.errors ?? []).map(String), []);
    for (const c of [alice, bob, { close: () => pageA.context().close() }, { close: () => pageB.context().close() }]) {
      await c.close();
    }
  });
});
