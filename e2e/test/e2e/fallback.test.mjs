// End-to-end: the demo page behind a proxy that refuses WebSocket upgrades works over HTTP streaming,
// says so, reconnects after its connections are cut, and recovers what it missed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { JAR, ServerProcess, freePort } from '../../lib/server.mjs';
import { UpgradeBlockingProxy } from '../../lib/proxy.mjs';
import { launch, missingBrowser, screenshot } from '../../lib/browser.mjs';

const skip = missingBrowser() ?? (existsSync(JAR) ? false : `${JAR} not built (./mvnw -q -pl cli -am package -DskipTests)`);
const TIMEOUT = 20000;

const status = (page) => page.locator('#status .status-text');
const messages = (page) => page.locator('#log [data-testid="message"]');

async function signIn(browser, baseUrl, name, room) {
  const page = await (await browser.newContext()).newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on('pageerror', (err) => { page.errors = [...(page.errors ?? []), err]; });
  await page.goto(`${baseUrl}/`);
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('First room').fill(room);
  await page.getByRole('button', { name: 'Connect' }).click();
  await status(page).filter({ hasText: /^Connected/ }).waitFor();
  return page;
}

async function say(page, text) {
  await page.getByRole('textbox', { name: /^Message [#@]/ }).fill(text);
  await page.keyboard.press('Enter');
  await page.locator('#log .msg.own', { hasText: text }).filter({ hasNot: page.locator('.msg-state') }).waitFor();
}

const offsetsOf = (page) => messages(page).evaluateAll((els) => els.map((e) => Number(e.dataset.offset)));

describe('the demo page with WebSocket blocked on the way', { skip, timeout: 120000 }, () => {
  let server;
  let proxy;
  let browser;

  before(async () => {
    server = await new ServerProcess(await freePort()).start();
    proxy = await new UpgradeBlockingProxy(server.port).listen();
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    await proxy?.close();
    await server?.stop();
  });

  test('chats over HTTP streaming, reconnects after a cut and recovers the missed messages', async () => {
    const alice = await signIn(browser, proxy.httpUrl, 'alice', 'fallback-room');
    await alice.locator('#status', { hasText: 'over HTTP streaming' }).waitFor();
    assert.ok(proxy.upgradesRefused >= 1, 'the WebSocket was tried first');
    const bob = await signIn(browser, server.httpUrl, 'bob', 'fallback-room');

    await say(alice, 'over streaming');
    await messages(bob).filter({ hasText: 'over streaming' }).waitFor();
    await say(bob, 'over websocket');
    await messages(alice).filter({ hasText: 'over websocket' }).waitFor();

    proxy.cut();
    await status(alice).filter({ hasText: /^Reconnecting/ }).waitFor();
    await say(bob, 'missed one');
    await say(bob, 'missed two');
    proxy.restore();
    const deadline = Date.now() + 30000;
    while (!/^Connected/.test(await status(alice).textContent()) && Date.now() < deadline) {
      const retry = alice.getByRole('button', { name: 'Retry now' });
      if (await retry.isVisible()) await retry.click({ timeout: 1000 }).catch(() => {});
      await alice.waitForTimeout(250);
    }
    await status(alice).filter({ hasText: /^Connected/ }).waitFor();
    await messages(alice).filter({ hasText: 'missed two' }).waitFor();
    await say(bob, 'live again');
    await messages(alice).filter({ hasText: 'live again' }).waitFor();
    assert.deepEqual(await offsetsOf(alice), await offsetsOf(bob), 'each message once, in order');
    await alice.locator('#status', { hasText: 'over HTTP streaming' }).waitFor();
    await screenshot(alice, 'fallback-streaming');
    for (const p of [alice, bob]) assert.deepEqual((p.errors ?? []).map(String), []);
    await alice.context().close();
    await bob.context().close();
  });
});
