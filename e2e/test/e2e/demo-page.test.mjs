// End-to-end: the demo page served by the real server, in headless Chromium, two or more pages.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { JAR, ServerProcess, freePort } from '../../lib/server.mjs';
import { CuttableProxy } from '../../lib/proxy.mjs';
import { launch, missingBrowser, screenshot } from '../../lib/browser.mjs';

const skip = missingBrowser() ?? (existsSync(JAR) ? false : `${JAR} not built (./mvnw -q -pl cli -am package -DskipTests)`);
const TIMEOUT = 20000;
const API_KEY = 'e2e-api-key-0123456789';

/** Opens the page at `baseUrl`, signs in as `name` with first room `room`, waits until joined. */
async function signIn(browser, baseUrl, name, room, viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on('pageerror', (err) => { page.errors = [...(page.errors ?? []), err]; });
  await page.goto(`${baseUrl}/`);
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('First room').fill(room);
  await page.getByRole('button', { name: 'Connect' }).click();
  await expectStatus(page, /^Connected/);
  await member(page, name).waitFor();
  return page;
}

async function expectStatus(page, re, timeout = TIMEOUT) {
  await page.locator('#status .status-text').filter({ hasText: re }).waitFor({ timeout });
}

/** Waits for "Connected", pressing "Retry now" whenever the page is counting down to its next attempt. */
async function reconnected(page) {
  const deadline = Date.now() + 30000;
  const retry = page.getByRole('button', { name: 'Retry now' });
  while (Date.now() < deadline) {
    if (/^Connected/.test(await page.locator('#status .status-text').textContent())) return;
    if (await retry.isVisible()) await retry.click({ timeout: 1000 }).catch(() => { /* the attempt started meanwhile */ });
    await page.waitForTimeout(250);
  }
  await expectStatus(page, /^Connected/, 1);
}

const member = (page, user) => page.locator(`#member-list [data-user="${user}"]`);
const messages = (page) => page.locator('#log [data-testid="message"]');
const systemLine = (page, text) => page.locator('#log [data-testid="system-line"]', { hasText: text });

async function say(page, text) {
  await page.getByRole('textbox', { name: /^Message [#@]/ }).fill(text);
  await page.keyboard.press('Enter');
  // Sent once the server acknowledged it ("sending…" gone).
  await page.locator('#log .msg.own', { hasText: text }).filter({ hasNot: page.locator('.msg-state') }).waitFor();
}

async function offsetsOf(page) {
  return page.locator('#log [data-testid="message"]').evaluateAll((els) => els.map((e) => Number(e.dataset.offset)));
}

function assertNoPageErrors(...pages) {
  for (const p of pages) assert.deepEqual((p.errors ?? []).map(String), []);
}

describe('demo page in headless Chromium', { skip, timeout: 180000 }, () => {
  let server;
  let browser;

  before(async () => {
    server = await new ServerProcess(await freePort(), { SWITCHBOARD_API_KEYS: API_KEY }).start();
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('the server serves the page and its files with their content types', async () => {
    const expect = {
      '/': /^text\/html/, '/index.html': /^text\/html/, '/switchboard.js': /^(text|application)\/javascript/,
      '/app.js': /^(text|application)\/javascript/, '/style.css': /^text\/css/, '/favicon.svg': /^image\/svg\+xml/,
      '/switchboard.d.ts': /./,
    };
    for (const [file, type] of Object.entries(expect)) {
      const res = await fetch(server.httpUrl + file);
      assert.equal(res.status, 200, file);
      assert.match(res.headers.get('content-type') ?? '', type, file);
      await res.arrayBuffer();
    }
    const missing = await fetch(`${server.httpUrl}/no-such-file.js`);
    assert.equal(missing.status, 404);
  });

  test('two pages chat in a room', async () => {
    const first = await (await browser.newContext({ viewport: { width: 1280, height: 720 } })).newPage();
    await first.goto(`${server.httpUrl}/`);
    await first.getByLabel('Your name').waitFor();
    await screenshot(first, 'sign-in');
    await first.context().close();

    const alice = await signIn(browser, server.httpUrl, 'alice', 'lobby');
    const bob = await signIn(browser, server.httpUrl, 'bob', 'lobby');
    await say(alice, 'Hello Bob!');
    await messages(bob).filter({ hasText: 'Hello Bob!' }).waitFor();
    await say(bob, 'Hi Alice, loud and clear.');
    await messages(alice).filter({ hasText: 'Hi Alice, loud and clear.' }).waitFor();
    assert.equal(await messages(bob).filter({ hasText: 'Hello Bob!' }).getAttribute('data-from'), 'alice');
    const [a, b] = [await offsetsOf(alice), await offsetsOf(bob)];
    assert.deepEqual(a, b, 'both pages show the same room offsets');
    // Stats panel polls GET /stats.
    await alice.locator('#stats-age', { hasText: 'live' }).waitFor();
    await alice.locator('#stat-connectionsActive', { hasText: /^2$/ }).waitFor();
    await alice.locator('#stat-rooms', { hasText: /^1$/ }).waitFor();
    await alice.locator('#stat-messagesReceived', { hasText: /^[1-9]/ }).waitFor();
    await screenshot(alice, 'chat-alice');
    await screenshot(bob, 'chat-bob');
    assertNoPageErrors(alice, bob);
    await alice.context().close();
    await bob.context().close();
  });

  test('a page that joins a room later shows its recent history, in order, once', async () => {
    const alice = await signIn(browser, server.httpUrl, 'alice', 'archive');
    for (const text of ['first words', 'second words', 'third words']) await say(alice, text);
    const carol = await signIn(browser, server.httpUrl, 'carol', 'archive');
    await messages(carol).filter({ hasText: 'third words' }).waitFor();
    await say(alice, 'after carol came');
    await messages(carol).filter({ hasText: 'after carol came' }).waitFor();
    assert.deepEqual(await offsetsOf(carol), [1, 2, 3, 4], 'history above the live message, each once');
    assert.deepEqual(await offsetsOf(carol), await offsetsOf(alice));
    assertNoPageErrors(alice, carol);
    await alice.context().close();
    await carol.context().close();
  });

  test('presence: members come and go, private messages reach the other page', async () => {
    const carol = await signIn(browser, server.httpUrl, 'carol', 'presence-room');
    const dave = await signIn(browser, server.httpUrl, 'dave', 'presence-room');
    await member(carol, 'dave').waitFor();
    await systemLine(carol, 'dave joined').waitFor();
    assert.equal(await carol.locator('#member-count').textContent(), '2');

    // Private message from the member list.
    await member(carol, 'dave').getByRole('button').click();
    await carol.getByRole('textbox', { name: 'Message @dave' }).fill('just between us');
    await carol.keyboard.press('Enter');
    await dave.locator('#dm-list button', { hasText: '@ carol' }).waitFor();
    await dave.locator('#dm-list button', { hasText: '@ carol' }).click();
    await messages(dave).filter({ hasText: 'just between us' }).waitFor();
    await screenshot(dave, 'private-message-dave');

    // Dave leaves the room: carol sees him go.
    await carol.locator('#room-list button', { hasText: '# presence-room' }).click();
    await dave.locator('#room-list button', { hasText: '# presence-room' }).click();
    await dave.getByRole('button', { name: 'Leave room' }).click();
    await systemLine(carol, 'dave left').waitFor();
    await member(carol, 'dave').waitFor({ state: 'detached' });
    assert.equal(await carol.locator('#member-count').textContent(), '1');
    await screenshot(carol, 'presence-carol');
    assertNoPageErrors(carol, dave);
    await carol.context().close();
    await dave.context().close();
  });

  test('a room bigger than the listed members shows its size from the server, not the list length', async () => {
    // A server that lists at most 2 members in room_joined, so that a room of 4 is a "big" room.
    const small = await new ServerProcess(await freePort(), { SWITCHBOARD_PRESENCE_JOIN_MEMBERS_LIMIT: '2' }).start();
    const pages = [];
    try {
      for (const name of ['amy', 'ben', 'cat']) pages.push(await signIn(browser, small.httpUrl, name, 'big-room'));
      const zed = await signIn(browser, small.httpUrl, 'zed', 'big-room');
      pages.push(zed);
      await zed.locator('#member-count', { hasText: /^4$/ }).waitFor();
      assert.match(await zed.locator('#members-hint').textContent(), /^Showing 3 of 4 connections\./);
      assert.equal(await zed.locator('[data-testid="member"]').count(), 3, 'the first two in member order and zed');
      // Followed by notices: one leaves, one comes.
      await pages[1].getByRole('button', { name: 'Leave room' }).click();
      await zed.locator('#member-count', { hasText: /^3$/ }).waitFor();
      pages.push(await signIn(browser, small.httpUrl, 'dan', 'big-room'));
      await zed.locator('[data-testid="member"][data-user="dan"]').waitFor();
      assert.equal(await zed.locator('#member-count').textContent(), '4');
      await screenshot(zed, 'big-room-zed');
      assertNoPageErrors(...pages);
    } finally {
      for (const p of pages) await p.context().close();
      await small.stop();
    }
  });

  test('a dropped connection reconnects and recovers the missed messages in order, once', async () => {
    const proxy = await new CuttableProxy(server.port).listen();
    try {
      const erin = await signIn(browser, proxy.httpUrl, 'erin', 'recovery-room');
      const frank = await signIn(browser, server.httpUrl, 'frank', 'recovery-room');
      await member(erin, 'frank').waitFor();
      await say(frank, 'before the cut');
      await messages(erin).filter({ hasText: 'before the cut' }).waitFor();

      proxy.cut();
      await expectStatus(erin, /^Reconnecting/);
      await systemLine(frank, 'erin left').waitFor();
      for (const text of ['missed one', 'missed two', 'missed three']) await say(frank, text);
      await expectStatus(erin, /^Reconnecting in/);
      await screenshot(erin, 'reconnecting-erin');

      proxy.restore();
      await reconnected(erin);
      await systemLine(erin, 'recovered 3 missed messages').waitFor();
      const texts = await messages(erin).locator('.msg-text').allTextContents();
      assert.deepEqual(texts, ['before the cut', 'missed one', 'missed two', 'missed three']);
      const offsets = await offsetsOf(erin);
      assert.deepEqual(offsets, [...offsets].sort((x, y) => x - y), 'in order');
      assert.equal(new Set(offsets).size, offsets.length, 'no duplicates');

      // Live traffic continues after recovery, both ways.
      await say(frank, 'after the cut');
      await messages(erin).filter({ hasText: 'after the cut' }).waitFor();
      await say(erin, 'back again');
      await messages(frank).filter({ hasText: 'back again' }).waitFor();
      assert.equal(await messages(erin).filter({ hasText: 'after the cut' }).count(), 1);
      await screenshot(erin, 'recovered-erin');
      assertNoPageErrors(erin, frank);
      await erin.context().close();
      await frank.context().close();
    } finally {
      await proxy.close();
    }
  });

  const disconnect = (userId, code) => fetch(`${server.httpUrl}/api/disconnect`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
    body: JSON.stringify({ userId, code }),
  }).then(async (res) => assert.equal(res.status, 200, await res.text()));

  test('close 4003 (kicked): the page goes offline and stays there until asked to reconnect', async () => {
    const kim = await signIn(browser, server.httpUrl, 'kim', 'kick-room');
    try {
      // A room that never had a message is forgotten by the history sweep once it has no members, and comes back
      // with a new epoch: the rejoin would then rightly say the history was reset. One message keeps it.
      await say(kim, 'before the kick');
      await messages(kim).filter({ hasText: 'before the kick' }).waitFor();
      await disconnect('kim', 4003);
      await expectStatus(kim, /^Offline \(forbidden\)/);
      await kim.waitForTimeout(2000);
      assert.equal(await kim.evaluate(() => window.switchboardDemo.client.state), 'closed');
      await screenshot(kim, 'kicked-kim');
      await kim.getByRole('button', { name: 'Reconnect' }).click();
      await expectStatus(kim, /^Connected/);
      await systemLine(kim, 'nothing was missed').waitFor();
      assertNoPageErrors(kim);
    } finally {
      await kim.context().close();
    }
  });

  test('close 1013 (overloaded): the page reconnects by itself and rejoins', async () => {
    const lou = await signIn(browser, server.httpUrl, 'lou', 'busy-room');
    await disconnect('lou', 1013);
    await expectStatus(lou, /^Reconnecting/);
    await expectStatus(lou, /^Connected/);
    await systemLine(lou, 'nothing was missed').waitFor();
    assertNoPageErrors(lou);
    await lou.context().close();
  });

  test('after a server restart the pages reconnect, see recovered:false and resync', async () => {
    const gina = await signIn(browser, server.httpUrl, 'gina', 'restart-room');
    const hank = await signIn(browser, server.httpUrl, 'hank', 'restart-room');
    await say(gina, 'before the restart');
    await messages(hank).filter({ hasText: 'before the restart' }).waitFor();
    const epochBefore = await gina.evaluate(() => window.switchboardDemo.client.cursor('restart-room').epoch);
    // The listeners must be in place before the stop: an evaluate that is not awaited may run after the
    // close it waits for, and would then report the next one (a reconnect refused while the server is down).
    await gina.evaluate(() => {
      const client = window.switchboardDemo.client;
      const first = (event) => new Promise((resolve) => {
        const off = client.on(event, (e) => { off(); resolve(e); });
      });
      window.restartTest = { close: first('close'), recovery: first('recovery') };
    });

    await server.stop();
    await expectStatus(gina, /^Reconnecting/);
    await screenshot(gina, 'server-down-gina');
    await server.start();

    await Promise.all([reconnected(gina), reconnected(hank)]);
    const closed = await gina.evaluate(() => window.restartTest.close);
    assert.equal(closed.code, 1012, `a graceful shutdown closes with 1012 (service restart), not ${JSON.stringify(closed)}`);
    assert.ok(closed.retryInMs >= 1000, `reconnectAfterMs of server_shutdown honoured (${closed.retryInMs} ms)`);
    const r = await gina.evaluate(() => window.restartTest.recovery);
    assert.equal(r.recovered, false, 'a restarted in-memory server has a new epoch: nothing to replay');
    assert.notEqual(r.epoch, epochBefore);
    await systemLine(gina, 'history of this room was reset').waitFor();
    await member(gina, 'hank').waitFor();

    // The old messages stay on screen; new ones flow with the new epoch's offsets.
    await say(hank, 'after the restart');
    await messages(gina).filter({ hasText: 'after the restart' }).waitFor();
    assert.equal(await messages(gina).filter({ hasText: 'before the restart' }).count(), 1);
    await gina.locator('#stat-connectionsActive', { hasText: /^2$/ }).waitFor();
    await screenshot(gina, 'after-restart-gina');
    assertNoPageErrors(gina, hank);
    await gina.context().close();
    await hank.context().close();
  });

  test('the page works on a narrow screen and by keyboard alone', async () => {
    const page = await signIn(browser, server.httpUrl, 'ivy', 'mobile-room', { width: 390, height: 844 });
    await page.getByRole('textbox', { name: 'Room to join' }).fill('second-room');
    await page.getByRole('textbox', { name: 'Room to join' }).press('Enter');
    await page.locator('#conv-title', { hasText: '# second-room' }).waitFor();
    await page.locator('#conv-sub', { hasText: 'epoch' }).waitFor();
    await page.getByRole('textbox', { name: 'Message #second-room' }).focus();
    await page.keyboard.type('typed without a mouse');
    await page.keyboard.press('Enter');
    await messages(page).filter({ hasText: 'typed without a mouse' }).waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no horizontal scrolling on a phone (overflow ${overflow}px)`);
    await screenshot(page, 'mobile-ivy');
    assertNoPageErrors(page);
    await page.context().close();
  });
});
