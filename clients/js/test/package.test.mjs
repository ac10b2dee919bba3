// The npm package as a user gets it: `npm pack`, installed from the tarball into a scratch project, type
// checked there with tsc, and used from Node.js against a real server (the jar, as e2e runs it).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ServerProcess, freePort } from '../../../e2e/lib/server.mjs';

const run = promisify(execFile);
const HERE = path.dirname(fileURLToPath(import.meta.url));
const PACKAGE_DIR = path.resolve(HERE, '..');
const REPO = path.resolve(PACKAGE_DIR, '..', '..');
const PKG = JSON.parse(readFileSync(path.join(PACKAGE_DIR, 'package.json'), 'utf8'));
const API_KEY = 'npm-package-test-key-0123456789';
// Node.js 20 and 21 expose the global WebSocket only behind this flag; 22+ always.
const NODE_FLAGS = Number(process.versions.node.split('.')[0]) < 22 ? ['--experimental-websocket'] : [];

let scratch;
let packed;
let server;

before(async () => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'switchboard-npm-'));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', scratch], { cwd: PACKAGE_DIR });
  [packed] = JSON.parse(stdout);
  const app = path.join(scratch, 'app');
  cpSync(path.join(HERE, 'fixtures'), app, { recursive: true });
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
  // A tarball without dependencies installs without the registry.
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', path.join(scratch, packed.filename)],
    { cwd: app });
  server = await new ServerProcess(await freePort(), { SWITCHBOARD_API_KEYS: API_KEY }).start();
});

after(async () => {
  await server?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** Runs a fixture script in the scratch project; returns its one line of JSON output. */
async function node(script, ...args) {
  const { stdout } = await run(process.execPath, [...NODE_FLAGS, script, ...args],
    { cwd: path.join(scratch, 'app'), timeout: 30000 });
  return JSON.parse(stdout.trim().split('\n').at(-1));
}

test('the package version is the Maven project version', () => {
  const pom = readFileSync(path.join(REPO, 'pom.xml'), 'utf8');
  const maven = pom.match(/<artifactId>switchboard-parent<\/artifactId>\s*<version>([^<]+)<\/version>/)?.[1];
  assert.ok(maven, 'the root pom names its version after the artifactId');
  assert.equal(PKG.version, maven);
  assert.equal(packed.version, maven);
});

test('the tarball holds the client and its types, and the package has no runtime dependencies', () => {
  assert.deepEqual(packed.files.map((f) => f.path).sort(),
    ['README.md', 'package.json', 'src/switchboard.d.ts', 'src/switchboard.js']);
  assert.equal(PKG.dependencies, undefined);
  const installed = JSON.parse(readFileSync(path.join(scratch, 'app', 'node_modules', PKG.name, 'package.json'), 'utf8'));
  assert.equal(installed.version, PKG.version);
});

test('the installed types check with tsc, with and without the DOM library', async () => {
  const tsc = path.join(PACKAGE_DIR, 'node_modules', 'typescript', 'bin', 'tsc');
  for (const config of ['tsconfig.json', 'tsconfig.dom.json']) {
    await run(process.execPath, [tsc, '-p', config], { cwd: path.join(scratch, 'app') }).catch((e) => {
      assert.fail(`tsc -p ${config} failed:\n${e.stdout}${e.stderr}`);
    });
  }
});

test('from Node.js: two clients join, publish and receive, with acks, presence, history and the HTTP API', async () => {
  const r = await node('node-usage.mjs', `ws://127.0.0.1:${server.port}/ws`, server.httpUrl, API_KEY);
  assert.equal(r.welcome.userId, 'alice');
  assert.equal(r.joined.room, 'lobby');
  assert.equal(r.ack.type, 'ack');
  assert.equal(r.ack.offset, r.joined.offset + 1);
  assert.deepEqual(r.apiReply, { status: 200, body: { offset: r.joined.offset + 2 } });
  assert.deepEqual(r.received.map((m) => [m.from, m.content, m.offset]),
    [['bob', 'hello from node', r.ack.offset], [r.received[1].from, 'from the API', r.ack.offset + 1]]);
  assert.deepEqual(r.received[0].data, { n: 1 });
  assert.deepEqual(r.presence.members.map((m) => m.userId).sort(), ['alice', 'bob']);
  assert.deepEqual(r.history.messages.map((m) => m.content), ['hello from node', 'from the API']);
  assert.deepEqual(r.refused, { isSwitchboardError: true, code: 'not_in_room' });
  assert.equal(r.state, 'closed');
});

test("the README's example runs as written (against this test's server)", async () => {
  const readme = readFileSync(path.join(PACKAGE_DIR, 'README.md'), 'utf8');
  const example = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1])
    .find((code) => code.includes("from 'switchboard-client'") && code.includes('ws://localhost:8080/ws'));
  assert.ok(example, 'the README has a runnable example');
  writeFileSync(path.join(scratch, 'app', 'readme-example.mjs'),
    example.replaceAll('ws://localhost:8080/ws', `ws://127.0.0.1:${server.port}/ws`));
  const { stdout } = await run(process.execPath, [...NODE_FLAGS, 'readme-example.mjs'],
    { cwd: path.join(scratch, 'app'), timeout: 30000 });
  assert.match(stdout, /^published at offset \d+$/m);
  assert.match(stdout, /^members \[ 'alice' \]$/m);
});

test('without a global WebSocket the constructor says what to pass, and an injected one works', async () => {
  const r = await node('inject.mjs', `ws://127.0.0.1:${server.port}/ws`);
  assert.equal(r.globalGone, true);
  assert.equal(r.missing.name, 'TypeError');
  assert.match(r.missing.message, /no WebSocket constructor.*--experimental-websocket.*WebSocket option/);
  assert.equal(r.userId, 'carol');
  assert.equal(r.echo.content, 'injected');
});
