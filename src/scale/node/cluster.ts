// A cluster on this machine, for trying scale-out without servers, for tests and for bench/: a
// throwaway redis-server on a free loopback port (no persistence) and `tellus worker` processes.
// Node only. On several machines, run redis-server and `npx tellus worker` yourself (docs/scale-out.md).
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const freePort = (): Promise<number> =>
  new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => ok(port));
    });
  });

export interface Spawned {
  proc: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  out: string[];
  /** True while it runs (neither exited nor killed by a signal). */
  readonly alive: boolean;
  /** Resolves with the exit code (null when killed by a signal); rejects after `ms`. */
  exited(ms: number): Promise<number | null>;
}

/** Spawns a process and resolves once its output matches `ready`; rejects if it exits first or after `ms`. */
export function spawnUntil(cmd: string, args: string[], ready: RegExp, ms: number, cwd?: string): Promise<Spawned> {
  const proc = spawn(cmd, args, {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
  });
  const out: string[] = [];
  const done = new Promise<number | null>((ok) => proc.once('exit', (code) => ok(code)));
  const s: Spawned = {
    proc,
    out,
    get alive() {
      return proc.exitCode === null && proc.signalCode === null;
    },
    exited: (t) =>
      Promise.race([
        done,
        new Promise<never>((_, fail) =>
          setTimeout(
            () => fail(new Error(`${cmd} (pid ${proc.pid}) still running after ${t} ms; its output:\n${out.join('')}`)),
            t,
          ).unref(),
        ),
      ]),
  };
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`${cmd} ${args.join(' ')}: not ready after ${ms} ms:\n${out.join('')}`)), ms);
    const onData = (b: Buffer) => {
      out.push(b.toString());
      if (ready.test(out.join(''))) {
        clearTimeout(timer);
        ok(s);
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.once('error', (e) => (clearTimeout(timer), fail(new Error(`${cmd}: ${e.message} (is it installed? npm run setup)`))));
    proc.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`${cmd} exited with ${code} before it was ready:\n${out.join('')}`));
    });
  });
}

/** redis-server on 127.0.0.1:port without persistence (a restart loses every job: the coordinator resubmits). */
export const startRedis = (port: number): Promise<Spawned> =>
  spawnUntil(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    /Ready to accept/,
    15_000,
  );

/** `tellus worker` with these flags, resolved once it is ready for tasks (from a checkout: its bin/; else the installed package's). */
export function startWorkerProcess(flags: string[]): Promise<Spawned> {
  const bin = join(process.cwd(), 'bin/tellus.mjs');
  return existsSync(bin)
    ? spawnUntil('node', [bin, 'worker', ...flags], /ready on/, 90_000)
    : spawnUntil('npx', ['tellus', 'worker', ...flags], /ready on/, 90_000);
}
