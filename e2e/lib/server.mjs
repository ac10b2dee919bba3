// Starts and stops the real Switchboard server (the shaded jar) for the end-to-end tests.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(HERE, '..', '..');
export const ARTIFACTS = path.resolve(HERE, '..', 'artifacts');
export const JAR = process.env.E2E_SERVER_JAR ?? path.join(REPO, 'cli', 'target', 'switchboard.jar');

/** A free TCP port on 127.0.0.1 (closed again; the server binds it next). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let runs = 0;

/**
 * A server process on `port`. `start()` resolves when `GET /ready` answers 200; `stop()` sends
 * SIGTERM (graceful shutdown: server_shutdown + close 1012) and waits for the exit.
 */
export class ServerProcess {
  /** `env`: extra environment for the server, e.g. `{SWITCHBOARD_API_KEYS: '…'}`. */
  constructor(port, env = {}) {
    this.port = port;
    this.extraEnv = env;
    this.proc = null;
    this.exited = null;
  }

  get httpUrl() { return `http://127.0.0.1:${this.port}`; }

  async start({ timeoutMs = 30000 } = {}) {
    if (!existsSync(JAR)) throw new Error(`${JAR} is missing: build it with ./mvnw -q -pl cli -am package -DskipTests`);
    mkdirSync(ARTIFACTS, { recursive: true });
    const logPath = path.join(ARTIFACTS, `server-${process.pid}-${++runs}.log`);
    const log = createWriteStream(logPath);
    const extra = (process.env.E2E_SERVE_ARGS ?? '').split(/\s+/).filter(Boolean);
    const args = ['-Xmx256m', '-jar', JAR, 'serve', '--host', '127.0.0.1', '--port', String(this.port), ...extra];
    // The server reads every SWITCHBOARD_* variable as configuration: pass none of ours by accident.
    const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('E2E_'))), ...this.extraEnv };
    this.proc = spawn(process.env.JAVA ?? 'java', args, { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout.pipe(log);
    this.proc.stderr.pipe(log);
    this.exited = new Promise((resolve) => this.proc.once('exit', (code, signal) => resolve({ code, signal })));
    const deadline = Date.now() + timeoutMs;
    let exit = null;
    this.exited.then((e) => { exit = e; });
    while (Date.now() < deadline) {
      if (exit) throw new Error(`server exited before it was ready (${JSON.stringify(exit)}); log: ${logPath}`);
      try {
        const res = await fetch(`${this.httpUrl}/ready`);
        if (res.status === 200) return this;
      } catch { /* not listening yet */ }
      await sleep(100);
    }
    await this.kill();
    throw new Error(`server not ready within ${timeoutMs} ms; log: ${logPath}`);
  }

  /** Graceful stop (SIGTERM); SIGKILL after `graceMs`. */
  async stop({ graceMs = 15000 } = {}) {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill('SIGTERM');
    const t = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(t);
  }

  async kill() {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill('SIGKILL');
    await this.exited;
  }
}
