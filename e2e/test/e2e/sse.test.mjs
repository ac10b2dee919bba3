// End-to-end: a page on another origin reads two rooms with the browser's own EventSource (no SDK); when
// the stream is dropped while the server stays up, the browser's automatic reconnect sends Last-Event-ID
// and the page gets every missed message of both rooms, once, in order.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { JAR, ServerProcess, freePort } from '../../lib/server.mjs';
import { CuttableProxy } from '../../lib/proxy.mjs';
import { launch, missingBrowser, screenshot } from '../../lib/browser.mjs';

const skip = missingBrowser() ?? (existsSync(JAR) ? false : `${JAR} not built (./mvnw -q -pl cli -am package -DskipTests)`);
const API_KEY = 'e2e-api-key-0123456789';

function readerPage(streamUrl) {
  return `<!doctype html><meta charset="utf-8"><title>sse reader</title><ol id="log"></ol>
<script>
  window.got = []; window.recovered = []; window.welcomes = 0; window.joined = 0;
  const es = new EventSource(${JSON.stringify(streamUrl)});
  es.addEventListener('welcome', () => { window.welcomes++; });
  es.addEventListener('room_joined', () => { window.joined++; });
  es.addEventListener('recovered', (e) => { window.recovered.push(JSON.parse(e.data)); });
  es.addEventListener('room_message', (e) => {
    const m = JSON.parse(e.data);
    window.got.push(m.room + ':' + m.content);
    const li = document.createElement('li');
    li.textContent = m.room + ' #' + m.offset + ': ' + m.content;
    document.getElementById('log').append(li);
  });
</script>`;
}

describe('an EventSource page', { skip, timeout: 120000 }, () => {
  let server;
  let browser;
  let proxy;
  let pages;
  let pageOrigin;

  before(async () => {
    const pagePort = await freePort();
    pageOrigin = `http://127.0.0.1:${pagePort}`;
    server = await new ServerProcess(await freePort(), {
      SWITCHBOARD_API_KEYS: API_KEY, SWITCHBOARD_SECURITY_ALLOWED_ORIGINS: pageOrigin,
    }).start();
    proxy = await new CuttableProxy(server.port).listen();
    pages = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(readerPage(`${proxy.httpUrl}/sse?rooms=news,sports&id=reader`));
    });
    await new Promise((resolve) => pages.listen(pagePort, '127.0.0.1', resolve));
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    await proxy?.close();
    pages?.close();
    await server?.stop();
  });

  async function publish(room, content) {
    const res = await fetch(`${server.httpUrl}/api/publish`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
      body: JSON.stringify({ room, content }),
    });
    assert.equal(res.status, 200, await res.text());
  }

  test('recovers every missed message of every room after the server drops the stream', async () => {
    const page = await (await browser.newContext()).newPage();
    page.setDefaultTimeout(20000);
    await page.goto(`${pageOrigin}/`);
    await page.waitForFunction(() => window.welcomes === 1 && window.joined === 2);
    await publish('news', 'n1');
    await publish('sports', 's1');
    await page.waitForFunction(() => window.got.length === 2);

    proxy.cut(); // the stream drops; the server stays up and the browser keeps retrying
    for (const [room, content] of [['news', 'n2'], ['news', 'n3'], ['sports', 's2']]) await publish(room, content);
    await new Promise((r) => setTimeout(r, 1500));
    proxy.restore();

    await page.waitForFunction(() => window.welcomes === 2 && window.recovered.length === 2);
    await publish('news', 'n4');
    await page.waitForFunction(() => window.got.includes('news:n4'));
    const got = await page.evaluate(() => window.got);
    assert.deepEqual(got, ['news:n1', 'sports:s1', 'news:n2', 'news:n3', 'sports:s2', 'news:n4'],
      'every missed message once, in order per room, before the live one');
    const recovered = await page.evaluate(() => window.recovered.map((r) => [r.room, r.recovered]));
    assert.deepEqual(recovered, [['news', true], ['sports', true]]);
    await screenshot(page, 'sse-recovered');
    await page.context().close();
  });
});
