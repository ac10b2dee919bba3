// End-to-end: the admin console served by the real server, in headless Chromium, steering real WebSocket
// clients (native WebSockets in other browser pages). Screenshots go to e2e/target/admin/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { JAR, REPO, ServerProcess, freePort } from '../../lib/server.mjs';
import { launch, missingBrowser } from '../../lib/browser.mjs';

const skip = missingBrowser() ?? (existsSync(JAR) ? false : `${JAR} not built (./mvnw -q -pl cli -am package -DskipTests)`);
const TIMEOUT = 20000;
const API_KEY = 'e2e-admin-key-0123456789';
const PASSWORD = 'e2e-admin-password-0123456789';
const SHOTS = path.join(REPO, 'e2e', 'target', 'admin');
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** A real WebSocket client in a browser page of the server's origin: joins `rooms`, records what it gets. */
async function wsClient(browser, baseUrl, user, rooms) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  await page.goto(`${baseUrl}/health`);
  await page.evaluate(({ user, rooms }) => new Promise((resolve, reject) => {
    const ws = new WebSocket(`${location.origin.replace(/^http/, 'ws')}/ws?id=${user}`);
    window.ws = ws;
    window.received = [];
    window.closeEvent = null;
    let joined = 0;
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      window.received.push(m);
      if (m.type === 'welcome') rooms.forEach((room) => ws.send(JSON.stringify({ type: 'join_room', room })));
      if (m.type === 'room_joined' && ++joined === rooms.length) resolve();
    };
    ws.onclose = (e) => { window.closeEvent = { code: e.code, reason: e.reason }; reject(new Error(`closed ${e.code}`)); };
  }), { user, rooms });
  return {
    page,
    send: (room, content) => page.evaluate(({ room, content }) =>
      window.ws.send(JSON.stringify({ type: 'room_message', room, content })), { room, content }),
    waitFor: (fn, arg) => page.waitForFunction(fn, arg, { timeout: TIMEOUT }),
    close: () => context.close(),
  };
}

async function openConsole(browser, baseUrl, viewport = DESKTOP) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on('pageerror', (err) => { page.errors = [...(page.errors ?? []), err]; });
  page.on('console', (msg) => { if (msg.type() === 'error') page.consoleErrors = [...(page.consoleErrors ?? []), msg.text()]; });
  await page.goto(`${baseUrl}/admin`);
  return page;
}

async function signIn(page, credential = API_KEY) {
  await page.getByLabel('API key or admin password').fill(credential);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#nodes tbody tr').first().waitFor();
}

const cell = (page, field) => page.locator(`#nodes tbody tr >> [data-field="${field}"]`).first();

function assertClean(page) {
  assert.deepEqual((page.errors ?? []).map(String), [], 'no script errors');
  assert.deepEqual(page.consoleErrors ?? [], [], 'no console errors (a CSP violation would show here)');
}

describe('admin console in headless Chromium', { skip, timeout: 240000 }, () => {
  let server;
  let browser;

  before(async () => {
    server = await new ServerProcess(await freePort(), {
      SWITCHBOARD_API_KEYS: API_KEY, SWITCHBOARD_ADMIN_ENABLED: 'true', SWITCHBOARD_ADMIN_PASSWORD: PASSWORD,
    }).start();
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('a wrong key is refused clearly; the right one signs in, kept in the tab only', async () => {
    const page = await openConsole(browser, server.httpUrl);
    await assert.doesNotReject(page.getByLabel('API key or admin password').waitFor());
    assert.equal(await page.evaluate(() => document.activeElement.id), 'credential', 'the field has the focus');
    await page.getByLabel('API key or admin password').fill('not-the-key-0123456789');
    await page.keyboard.press('Enter');
    const refusal = page.getByRole('alert').filter({ hasText: 'Refused' });
    await refusal.waitFor();
    assert.equal(await refusal.textContent(), 'Refused: the server did not accept this key or password.');
    assert.equal(await page.getByLabel('API key or admin password').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.locator('#console').isHidden(), true);
    await shot(page, 'sign-in-refused');

    await signIn(page);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('switchboard.admin.credential')), API_KEY);
    assert.equal(await page.evaluate(() => localStorage.length), 0, 'nothing in localStorage');
    assert.equal(await page.evaluate(() => document.cookie), '', 'no cookie');
    await page.reload();
    await page.locator('#nodes tbody tr').first().waitFor(); // the tab's session survives a reload
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key or admin password').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);

    await signIn(page, PASSWORD); // the admin password works as well
    await page.context().close();

    // Another tab (a new browsing context) starts signed out.
    const other = await openConsole(browser, server.httpUrl);
    await other.getByLabel('API key or admin password').waitFor();
    assert.equal(await other.locator('#console').isHidden(), true);
    assertClean(other);
    await other.context().close();
  });

  test('the overview shows live numbers while a client publishes', async () => {
    const alice = await wsClient(browser, server.httpUrl, 'alice', ['live']);
    const bob = await wsClient(browser, server.httpUrl, 'bob', ['live']);
    const page = await openConsole(browser, server.httpUrl);
    await signIn(page);
    await cell(page, 'connections').filter({ hasText: /^2$/ }).waitFor();
    assert.match(await page.locator('#node-line').textContent(), /^node \S+ · \S+/);
    let sent = 0;
    const publisher = setInterval(() => { alice.send('live', `tick ${++sent}`).catch(() => {}); }, 50);
    try {
      await cell(page, 'in').filter({ hasText: /^([1-9]\d*\.\d|0\.[1-9])$/ }).waitFor();
      await cell(page, 'out').filter({ hasText: /^([1-9]\d*\.\d|0\.[1-9])$/ }).waitFor();
      // The first figures cover the second the publishing began in: wait for the rate to settle near 20.
      let inRate = 0;
      for (const end = Date.now() + 15000; Date.now() < end; await page.waitForTimeout(250)) {
        inRate = Number(await cell(page, 'in').textContent());
        if (inRate > 5 && inRate < 40) break;
      }
      assert.ok(inRate > 5 && inRate < 40, `in/s near 20 (was ${inRate})`);
      // The chart has drawn a line with several points and its legend shows the latest rate.
      await page.waitForFunction(() => (document.querySelector('#chart-rates polyline.s1')?.getAttribute('points') ?? '')
        .trim().split(' ').length >= 3);
      await page.locator('#chart-rates [data-series="in"]').filter({ hasText: /^[1-9]/ }).waitFor();
      await shot(page, 'overview-desktop');
    } finally {
      clearInterval(publisher);
    }
    await bob.waitFor((n) => window.received.filter((m) => m.type === 'room_message').length >= n, 10);
    await alice.close();
    await cell(page, 'connections').filter({ hasText: /^1$/ }).waitFor();
    await bob.close();
    assertClean(page);
    await page.context().close();
  });

  test('a room shows its members and history; a message published from the page reaches a client', async () => {
    const carol = await wsClient(browser, server.httpUrl, 'carol', ['lobby', 'carol-only']);
    const dave = await wsClient(browser, server.httpUrl, 'dave', ['lobby']);
    for (const text of ['first words', 'second words', 'third words']) await carol.send('lobby', text);
    await dave.waitFor(() => window.received.filter((m) => m.type === 'room_message').length >= 3);

    const page = await openConsole(browser, server.httpUrl);
    await signIn(page);
    await page.getByRole('link', { name: 'Rooms' }).click();
    await page.locator('#room-list button[data-room="lobby"]').waitFor();
    await page.getByLabel('Search rooms').fill('lob');
    // The search asks the server for the rooms starting with it, a moment after the typing stops.
    await page.waitForFunction(() => document.querySelectorAll('#room-list button').length === 1);
    assert.equal(await page.locator('#room-list button').getAttribute('data-room'), 'lobby', 'the search keeps only lobby');
    await page.locator('#room-list button[data-room="lobby"]').click();
    await page.locator('#room-members [data-user="carol"]').waitFor();
    await page.locator('#room-members [data-user="dave"]').waitFor();
    assert.equal(await page.locator('#room-offset').textContent(), '3');
    assert.equal(await page.locator('#room-member-count').textContent(), '2');
    assert.match(await page.locator('#room-policy').textContent(), /^defaults · history \d+ for .* · delivery all · /,
      "the room's namespace options");
    assert.equal(await page.locator('#room-members-more').isHidden(), true, 'every member on the first page');
    assert.notEqual(await page.locator('#room-epoch').textContent(), '');
    const history = await page.locator('#room-history li .text').allTextContents();
    assert.deepEqual(history, ['third words', 'second words', 'first words'], 'newest first');

    await page.getByLabel('Message to publish into this room').fill('hello from the console');
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.locator('#publish-status', { hasText: 'Published at offset 4.' }).waitFor();
    await dave.waitFor(() => window.received.some((m) => m.type === 'room_message'
      && m.content === 'hello from the console' && m.from === 'server' && m.offset === 4));
    await page.locator('#room-history li .text').first().filter({ hasText: 'hello from the console' }).waitFor();
    await shot(page, 'rooms-desktop');
    assertClean(page);
    await page.context().close();
    await carol.close();
    await dave.close();
  });

  test('a user is found and disconnected with the chosen code', async () => {
    const erin = await wsClient(browser, server.httpUrl, 'erin', ['support']);
    const erin2 = await wsClient(browser, server.httpUrl, 'erin', ['support']);
    const frank = await wsClient(browser, server.httpUrl, 'frank', ['support']);
    const page = await openConsole(browser, server.httpUrl);
    await signIn(page);
    await page.getByRole('link', { name: 'Connections' }).click();
    await page.getByLabel('User id (starts with)').fill('erin');
    await page.getByRole('button', { name: 'Find' }).click();
    await page.locator('#connections tbody tr[data-user="erin"]').nth(1).waitFor();
    // A connection of erin's that is still being replaced on a busy machine may be listed for a moment: ask again
    // until the list settles on her two.
    for (let i = 0; i < 20 && await page.locator('#connections tbody tr').count() !== 2; i++) {
      await page.waitForTimeout(250);
      await page.getByRole('button', { name: 'Find' }).click();
    }
    assert.equal(await page.locator('#connections tbody tr').count(), 2);
    assert.match(await page.locator('#connections-summary').textContent(), /^2 connections in the cluster of users starting/);
    const row = page.locator('#connections tbody tr').first();
    assert.match(await row.locator('td').nth(2).textContent(), /^127\.0\.0\.1/);
    assert.equal(await row.locator('td').nth(3).textContent(), 'support');
    await shot(page, 'connections-desktop');

    assert.equal(await page.getByLabel('Disconnect user').inputValue(), 'erin');
    await page.getByLabel('Close code').selectOption('4008');
    await page.getByRole('button', { name: 'Disconnect' }).click();
    await page.locator('#disconnect-status', { hasText: 'Closed 2 connections of erin on this node with 4008' }).waitFor();
    for (const c of [erin, erin2]) {
      await c.waitFor(() => window.closeEvent !== null);
      assert.deepEqual(await c.page.evaluate(() => window.closeEvent), { code: 4008, reason: 'disconnected by the server' });
    }
    await page.locator('#connections tbody tr').first().waitFor({ state: 'detached' });
    assert.equal(await frank.page.evaluate(() => window.closeEvent), null, 'frank stays connected');
    assertClean(page);
    await page.context().close();
    for (const c of [erin, erin2, frank]) await c.close();
  });

  test('the configuration is shown with secrets masked', async () => {
    const page = await openConsole(browser, server.httpUrl);
    await signIn(page);
    await page.getByRole('link', { name: 'Config' }).click();
    await page.locator('[data-key="websocket.pingInterval"] td').filter({ hasText: '25s' }).waitFor();
    assert.equal(await page.locator('[data-key="api.keys"] td').textContent(), 'hidden');
    assert.equal(await page.locator('[data-key="admin.password"] td').textContent(), 'hidden');
    assert.equal(await page.locator('[data-key="admin.enabled"] td').textContent(), 'true');
    const text = await page.locator('body').textContent();
    assert.ok(!text.includes(API_KEY) && !text.includes(PASSWORD), 'no secret on the page');
    await page.getByLabel('Filter keys').fill('admin.');
    assert.equal(await page.locator('#config-sections tbody tr').count(), 2);
    assertClean(page);
    await page.context().close();
  });

  test('on a phone the console fits the screen and works by keyboard', async () => {
    const grace = await wsClient(browser, server.httpUrl, 'grace', ['phone-room']);
    const page = await openConsole(browser, server.httpUrl, PHONE);
    await page.getByLabel('API key or admin password').fill(API_KEY);
    await page.keyboard.press('Enter');
    await cell(page, 'connections').waitFor();
    const fits = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    assert.equal(await fits(), true, 'no sideways scrolling on the overview');
    await shot(page, 'overview-phone');
    // Keyboard only: tab to the Rooms link, follow it, the focus ring is visible.
    await page.locator('.tabs a').first().focus();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Rooms');
    const ring = await page.evaluate(() => getComputedStyle(document.activeElement).boxShadow);
    assert.notEqual(ring, 'none', 'focus is visible');
    await page.keyboard.press('Enter');
    await page.locator('#room-list button[data-room="phone-room"]').waitFor();
    await page.locator('#room-list button[data-room="phone-room"]').focus();
    await page.keyboard.press('Enter');
    await page.locator('#room-members [data-user="grace"]').waitFor();
    assert.equal(await fits(), true, 'no sideways scrolling on a room');
    await shot(page, 'rooms-phone');
    assertClean(page);
    await page.context().close();
    await grace.close();
  });
});
