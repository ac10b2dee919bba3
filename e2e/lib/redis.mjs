// A throwaway redis-server for the cluster tests: its own port, no persistence, stopped by the test.
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';

export const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server';

/** Why a redis-server cannot be started here, or null. */
export function missingRedis() {
  const probe = spawnSync(REDIS_SERVER, ['--version'], { stdio: 'ignore' });
  return probe.status === 0 ? null : `${REDIS_SERVER} not found: install Redis 6+ (Debian: apt-get install -y redis-server)`;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class RedisProcess {
  constructor(port) {
    this.port = port;
    this.proc = null;
  }

  async start({ timeoutMs = 10000 } = {}) {
    this.proc = spawn(REDIS_SERVER, ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '',
      '--appendonly', 'no'], { stdio: 'ignore' });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) throw new Error(`redis-server exited with ${this.proc.exitCode}`);
      const up = await new Promise((resolve) => {
        const s = net.connect(this.port, '127.0.0.1', () => { s.end(); resolve(true); });
        s.on('error', () => resolve(false));
      });
      if (up) return this;
      await sleep(50);
    }
    this.stop();
    throw new Error(`redis-server not listening on ${this.port} within ${timeoutMs} ms`);
  }

  async stop() {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise((resolve) => this.proc.once('exit', resolve));
    this.proc.kill('SIGTERM');
    await exited;
  }
}
