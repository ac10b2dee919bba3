// End-to-end: a page using switchboard.js where WebSocket upgrades are refused on the way (a proxy) and HTTP
// streaming is blocked in the page falls back to Server-Sent Events: it says so, receives its rooms, refuses
// sends with a clear error, and after the stream is cut recovers every missed message with lastEventId.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { JAR, ServerProcess, freePort } from '../../lib/server.mjs';
import { UpgradeBlockingProxy } from '../../lib/proxy.mjs';
import { launch, missingBrowser, screenshot } from '../../lib/browser.mjs';

const skip = missingBrowser() ?? (existsSync(JAR) ? false : `${JAR} not built (./mvnw -q -pl cli -am package -DskipTests)`);
const API_KEY = 'e2e-api-key-0123456789';

const PAGE = `<!doctype html><meta charset="utf-8"><title>read-only reader</title>
<p id="status">idle</p><ol id="log"></ol>
<script type="module">
  import { SwitchboardClient } from '/switchboard.js';
  window.got = []; window.recoveries = []; window.transports = []; window.welcomes = 0;
  const client = new SwitchboardClient('ws://' + location.host + '/ws',
    { userId: 'reader', backoff: { initialMs: 200, maxMs: 1000 } });
  client.on('state', (s) => {
    document.getElementById('status').textContent = s.state + (s.transport ? ' over ' + s.transport : '');
  });
  client.on('transport', (t) => window.transports.push(t.transport));
  client.on('welcome', () => { window.welcomes++; });
  client.on('recovery', (r) => window.recoveries.push([r.room, r.recovered]));
  client.on('room_message', (m) => {
    window.got.push(m.room + ':' + m.content);
    const li = document.createElement('li');
    li.textContent = m.room + ' #' + m.offset + ': ' + m.content;
    document.getElementById('log').append(li);
  });
  window.client = client;
  const welcome = await client.connect();
  window.welcomeTransport = welcome.transport;
  await Promise.all([client.join('news'), client.join('sports')]);
  try {
    await client.publish('news', 'from a reader');
  } catch (err) {
    window.sendError = err.code + ': ' + err.message;
  }
  window.ready = true;
</script>`;

describe('switchboard.js with WebSocket and HTTP streaming blocked', { skip, timeout: 120000 }, () => {
  let server;
  let proxy;
  let browser;

  before(async () => {
    server = await new ServerProcess(await freePort(), { SWITCHBOARD_API_KEYS: API_KEY }).start();
    proxy = await new UpgradeBlockingProxy(server.port).listen();
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    await proxy?.close();
    await server?.stop();
  });

  async function publish(room, content) {
    const res = await fetch(`${server.httpUrl}/api/publish`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
      body: JSON.stringify({ room, content }),
    });
    assert.equal(res.status, 200, await res.text());
  }

  test('reads its rooms over SSE, says so, refuses sends and recovers what it missed after a cut', async () => {
    const page = await (await browser.newContext()).newPage();
    page.setDefaultTimeout(20000);
    const errors = [];
    page.on('pageerror', (err) => errors.push(String(err)));
    let streamsBlocked = 0;
    // HTTP streaming broken on the way (a proxy that buffers responses, say): the page's GET /stream fails.
    await page.route((url) => url.pathname === '/stream', (route) => { streamsBlocked++; return route.abort(); });
    // The page on the server's origin (behind the proxy), so that it imports /switchboard.js as the demo does.
    await page.goto(`${proxy.httpUrl}/ready`);
    await page.setContent(PAGE);
    await page.waitForFunction(() => window.ready === true);

    assert.ok(proxy.upgradesRefused >= 1, 'the WebSocket was tried first');
    assert.ok(streamsBlocked >= 1, 'HTTP streaming was tried next');
    assert.deepEqual(await page.evaluate(() => window.transports), ['streaming', 'sse']);
    assert.equal(await page.evaluate(() => window.welcomeTransport), 'sse');
    assert.equal(await page.locator('#status').textContent(), 'connected over sse');
    assert.equal(await page.evaluate(() => window.sendError), 'read_only: cannot send room_message: this connection'
      + ' is read-only (Server-Sent Events, because WebSocket and HTTP streaming are blocked on the way); it'
      + ' receives the rooms it joined');

    await publish('news', 'n1');
    await publish('sports', 's1');
    await page.waitForFunction(() => window.got.length === 2);

    proxy.cut(); // the stream drops; the server stays up
    await page.locator('#status', { hasText: /^reconnecting over sse/ }).waitFor();
    for (const [room, content] of [['news', 'n2'], ['news', 'n3'], ['sports', 's2']]) await publish(room, content);
    // Still refused on the way: between two attempts too (most of an outage), not only while one is in flight.
    assert.match(await page.locator('#status').textContent(), /^reconnecting over sse/);
    proxy.restore();

    await page.waitForFunction(() => window.recoveries.length === 2);
    await page.locator('#status', { hasText: 'connected over sse' }).waitFor();
    await publish('news', 'n4');
    await page.waitForFunction(() => window.got.includes('news:n4'));
    assert.deepEqual(await page.evaluate(() => window.got),
      ['news:n1', 'sports:s1', 'news:n2', 'news:n3', 'sports:s2', 'news:n4'],
      'every missed message once, in order per room, before the live one');
    assert.deepEqual(await page.evaluate(() => window.recoveries), [['news', true], ['sports', true]]);
    assert.deepEqual(await page.evaluate(() => window.transports), ['streaming', 'sse'], 'still on SSE');
    await screenshot(page, 'sse-fallback');
    assert.deepEqual(errors, []);
    await page.context().close();
  });
});
