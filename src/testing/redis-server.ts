// A private redis-server for one test file, on a free port, with nothing persisted: tests that
// kill or fill Redis never touch the machine's shared instance. Needs `redis-server` on PATH
// (Debian's redis-server package; .ci/run has it).
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';

export interface PrivateRedis {
  url: string;
  port: number;
  /** Kills the server (SIGKILL, nothing persisted) and starts an empty one on the same port after `downMs`. */
  restart(downMs?: number): Promise<void>;
  /** Kills the server (SIGKILL); `up()` starts an empty one on the same port. */
  down(): Promise<void>;
  up(): Promise<void>;
  stop(): Promise<void>;
}

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('error', () => resolve(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
  });
}

/** Starts redis-server on `port`; resolves once it answers PING. */
async function spawnRedis(port: number): Promise<{ child: ChildProcess; exited: Promise<void> }> {
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let i = 0; ; i++) {
    if (await ping(port)) break;
    if (child.exitCode !== null || i > 100) throw new Error(`redis-server did not start on port ${port}: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, exited };
}

export async function startRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let server = await spawnRedis(port);
  const kill = async () => {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    await server.exited;
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    restart: async (downMs = 0) => {
      await kill();
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      server = await spawnRedis(port);
    },
    down: kill,
    up: async () => {
      server = await spawnRedis(port);
    },
    stop: kill,
  };
}
