// End-to-end: a page on another origin (a second local port) imports /switchboard.js from the server,
// connects once its origin is allowed, and shows the server's reason when it is not.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { JAR, ServerProcess, freePort } from '../../lib/server.mjs';
import { launch, missingBrowser, screenshot } from '../../lib/browser.mjs';

const skip = missingBrowser() ?? (existsSync(JAR) ? false : `${JAR} not built (./mvnw -q -pl cli -am package -DskipTests)`);
const TIMEOUT = 20000;

/** The embedding page: imports the client from the Switchboard server and shows its state and any refusal. */
function embeddingPage(serverPort) {
  return `<!doctype html><meta charset="utf-8"><title>embedding</title>
<p>state: <span id="state">loading</span></p><p>refused: <span id="reason"></span></p>
<script type="module">
  import { SwitchboardClient } from 'http://127.0.0.1:${serverPort}/switchboard.js';
  // Counted before the client is made: it takes the WebSocket constructor once, when it is constructed.
  window.sockets = 0;
  const Native = window.WebSocket;
  window.WebSocket = class extends Native { constructor(...a) { super(...a); window.sockets++; } };
  const client = new SwitchboardClient('ws://127.0.0.1:${serverPort}/ws', { userId: 'embedded' });
  client.on('refused', (r) => { document.getElementById('reason').textContent = r.reason; });
  client.on('state', (s) => { document.getElementById('state').textContent = s.state; });
  client.connect().then((w) => {
    document.getElementById('state').textContent = 'connected as ' + w.userId;
  }, () => {});
</script>`;
}

/** A second origin on its own port; `serve(serverPort)` points its page at a Switchboard server. */
async function pageServer() {
  const port = await freePort();
  let serverPort = 0;
  const srv = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(embeddingPage(serverPort));
  });
  await new Promise((resolve) => srv.listen(port, '127.0.0.1', resolve));
  return { srv, port, origin: `http://127.0.0.1:${port}`, serve: (p) => { serverPort = p; } };
}

async function open(browser, url) {
  const page = await (await browser.newContext()).newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on('pageerror', (err) => { page.errors = [...(page.errors ?? []), err]; });
  await page.goto(url);
  return page;
}

describe('a page on another origin', { skip, timeout: 120000 }, () => {
  let browser;
  let pages;
  const servers = [];

  before(async () => {
    browser = await launch();
    // The page's port is known before the server starts, so the allowed server can list it.
    pages = await pageServer();
  });

  after(async () => {
    await browser?.close();
    for (const s of servers) await s.stop();
    pages?.srv.close();
  });

  async function server(env) {
    const s = await new ServerProcess(await freePort(), env).start();
    servers.push(s);
    pages.serve(s.port);
    return s;
  }

  test('connects once its origin is listed, and the demo on the server itself keeps working', async () => {
    const s = await server({ SWITCHBOARD_SECURITY_ALLOWED_ORIGINS: pages.origin });
    const page = await open(browser, `${pages.origin}/`);
    await page.locator('#state', { hasText: 'connected as embedded' }).waitFor();
    await screenshot(page, 'embedding-allowed');
    assert.deepEqual((page.errors ?? []).map(String), []);
    await page.context().close();

    // The server's own origin stays allowed beside the list: the demo page connects.
    const demo = await open(browser, `${s.httpUrl}/`);
    await demo.getByLabel('Your name').fill('host-user');
    await demo.getByLabel('First room').fill('lobby');
    await demo.getByRole('button', { name: 'Connect' }).click();
    await demo.locator('#status .status-text').filter({ hasText: /^Connected/ }).waitFor();
    await demo.context().close();
  });

  test('shows the reason when its origin is not allowed, and stops retrying', async () => {
    await server({ SWITCHBOARD_SECURITY_ALLOWED_ORIGINS: 'http://app.example.com' });
    const page = await open(browser, `${pages.origin}/`);
    const expected = `origin ${pages.origin} is not allowed (add it to security.allowedOrigins)`;
    await page.locator('#reason', { hasText: expected }).waitFor();
    await page.locator('#state', { hasText: 'closed' }).waitFor();
    await screenshot(page, 'embedding-refused');
    await page.waitForTimeout(3000);
    assert.equal(await page.evaluate(() => window.sockets), 1, 'one attempt, no reconnect loop');
    assert.deepEqual((page.errors ?? []).map(String), []);
    await page.context().close();
  });
});
