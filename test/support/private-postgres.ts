import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port';

const run = promisify(execFile);
const DEBIAN_BIN = '/usr/lib/postgresql/15/bin';

function binary(name: string): string {
  return existsSync(join(DEBIAN_BIN, name)) ? join(DEBIAN_BIN, name) : name;
}

/** initdb and postgres refuse to run as root: as root, run them as the `postgres` OS user. */
function asOwner(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0
    ? ['runuser', ['-u', 'postgres', '--', binary(command), ...args]]
    : [binary(command), args];
}

async function runAsOwner(command: string, args: string[]): Promise<void> {
  const [file, fileArgs] = asOwner(command, args);
  await run(file, fileArgs, { timeout: 60_000 });
}

/**
 * A PostgreSQL cluster of the suite's own, in a temporary directory, on a free port (its unix socket in that
 * directory too), so a test can stop and restart it without touching the shared server. Built for speed, not
 * durability: fsync off.
 */
export class PrivatePostgres {
  private running = false;

  private constructor(
    private readonly directory: string,
    readonly port: number,
  ) {}

  static async start(): Promise<PrivatePostgres> {
    const directory = await mkdtemp(join(tmpdir(), 'gcb-pg-'));
    const postgres = new PrivatePostgres(directory, await freePort());
    // An interrupted run must not leave the server behind (the directory goes with the next tmp clean-up).
    process.once('exit', () => {
      if (postgres.running)
        execFileSync(...asOwner('pg_ctl', ['-D', postgres.dataDirectory, '-m', 'immediate', 'stop']));
    });
    if (process.getuid?.() === 0) {
      const { uid, gid } = await ownerIds();
      await chown(directory, uid, gid);
    }
    await runAsOwner('initdb', ['-D', postgres.dataDirectory, '-A', 'trust', '-U', 'postgres', '--no-sync']);
    await postgres.restart();
    return postgres;
  }

  private get dataDirectory(): string {
    return join(this.directory, 'data');
  }

  /** The server's admin url; `createTestDatabase(url)` makes a suite database on it. */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** Starts the server (again, on the same port) and waits until it accepts connections. */
  async restart(): Promise<void> {
    if (this.running) return;
    const options = [
      `-p ${this.port}`,
      `-k ${this.directory}`,
      '-c listen_addresses=127.0.0.1',
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c max_connections=200',
    ].join(' ');
    await runAsOwner('pg_ctl', [
      '-D',
      this.dataDirectory,
      '-o',
      options,
      '-l',
      join(this.directory, 'server.log'),
      '-w',
      '-t',
      '30',
      'start',
    ]);
    this.running = true;
  }

  /** Stops the server the way an operator's restart does (fast: active sessions are terminated). */
  async stop(): Promise<void> {
    if (!this.running) return;
    await runAsOwner('pg_ctl', ['-D', this.dataDirectory, '-m', 'fast', '-w', '-t', '30', 'stop']);
    this.running = false;
  }

  /** Stops the server and deletes its files. */
  async remove(): Promise<void> {
    try {
      await this.stop();
    } finally {
      await rm(this.directory, { recursive: true, force: true });
    }
  }
}

async function ownerIds(): Promise<{ uid: number; gid: number }> {
  const [{ stdout: uid }, { stdout: gid }] = await Promise.all([
    run('id', ['-u', 'postgres']),
    run('id', ['-g', 'postgres']),
  ]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}
