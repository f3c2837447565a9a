import { ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnApi } from '../support/api';
import { uniqueMobile } from '../support/auth';
import { ApiClient, readSse } from '../support/http';
import { Stack, STACK_TIMEOUT_MS, startStack } from '../support/stack';
import { SentBody } from '../support/types';
import { spawnWorker } from '../support/worker';
import { expectNothingLostOrShared, Tenant } from './invariants';
import { sleep, TrafficLog } from './traffic';

const VIRTUAL_USERS = 50;
const DURATION_MS = 30_000;
/** A returning user logs in again now and then; longer than the OTP resend cooldown set below. */
const RELOGIN_EVERY_MS = 8000;
const REPORT = join(__dirname, '../../test-results/faults-mixed-load.json');

/** Counts what ended the streams, so a stream that stopped without its `final` event is visible. */
interface StreamEnds {
  final: number;
  other: number;
}

/**
 * One virtual user: logs in with a code (again every few seconds, as a returning user does), lists its chatrooms,
 * sometimes creates one, sends a prompt, streams the reply to its end, reads the reply's status, its usage and its
 * subscription. Each user has its own client IP (X-Forwarded-For, which the api trusts), as real users do.
 */
async function virtualUser(
  index: number,
  apiUrl: string,
  log: TrafficLog,
  until: number,
  streams: StreamEnds,
): Promise<Tenant | undefined> {
  const ip = { 'x-forwarded-for': `10.77.${Math.floor(index / 200)}.${(index % 200) + 1}` };
  const mobile = uniqueMobile();
  let tenant: Tenant | undefined;

  const logIn = async (): Promise<void> => {
    const anonymous = new ApiClient(apiUrl);
    const issued = await log.send<{ otp?: string }>(
      anonymous,
      'POST /auth/send-otp',
      '/auth/send-otp',
      { mobile },
      ip,
    );
    if (issued.status !== 200 || !issued.body.otp) return;
    const verified = await log.send<{ accessToken: string }>(
      anonymous,
      'POST /auth/verify-otp',
      '/auth/verify-otp',
      { mobile, otp: issued.body.otp },
      ip,
    );
    if (verified.status !== 200) return;
    const client = new ApiClient(apiUrl, verified.body.accessToken);
    if (tenant) tenant.client = client;
    else tenant = new Tenant(client);
  };

  let loggedInAt = 0;
  for (let round = 0; Date.now() < until; round++) {
    if (Date.now() - loggedInAt > RELOGIN_EVERY_MS) {
      loggedInAt = Date.now();
      await logIn();
    }
    if (!tenant) {
      await sleep(500);
      continue;
    }
    const { client } = tenant;
    await log.send(client, 'GET /chatroom', '/chatroom', undefined, ip);
    if (tenant.rooms.size === 0 || round % 4 === 0) {
      const created = await log.send<{ id: string }>(
        client,
        'POST /chatroom',
        '/chatroom',
        { title: `room ${tenant.marker}` },
        ip,
      );
      if (created.status === 201) tenant.rooms.add(created.body.id);
    }
    const rooms = [...tenant.rooms];
    if (rooms.length === 0) continue;
    const roomId = rooms[round % rooms.length];
    const sent = await log.send<SentBody>(
      client,
      'POST /chatroom/:id/message',
      `/chatroom/${roomId}/message`,
      { content: `${tenant.marker} question ${round}` },
      ip,
    );
    tenant.accept(sent);
    if (sent.status === 202) {
      const replyPath = `/chatroom/${roomId}/message/${sent.body.reply.id}`;
      const stream = await log.time('GET /chatroom/:id/message/:messageId/stream', () =>
        readSse(
          `${apiUrl}${replyPath}/stream`,
          { authorization: `Bearer ${client.accessToken}`, ...ip },
          (event) => event.event === 'final',
          20_000,
        ),
      );
      if (stream.events.at(-1)?.event === 'final') streams.final++;
      else streams.other++;
      await log.send(client, 'GET /chatroom/:id/message/:messageId', replyPath, undefined, ip);
    }
    await log.send(client, 'GET /user/me', '/user/me', undefined, ip);
    await log.send(client, 'GET /subscription/status', '/subscription/status', undefined, ip);
    await sleep(50 + Math.random() * 150);
  }
  return tenant;
}

describe('fault: 30 s of mixed traffic from 50 virtual users', () => {
  let stack: Stack;
  let api: { url: string; stop(): Promise<void> } | undefined;
  let worker: ChildProcess | undefined;

  beforeAll(async () => {
    stack = await startStack(
      {
        RATE_LIMIT_PER_MINUTE: '600',
        AUTH_RATE_LIMIT_PER_MINUTE: '20',
        // The virtual users' X-Forwarded-For, as from a proxy on this machine, is their address.
        TRUST_PROXY: '127.0.0.1',
        OTP_RESEND_COOLDOWN_SECONDS: '5',
        OTP_HOURLY_LIMIT: '20',
        BASIC_DAILY_LIMIT: '1000',
      },
      { worker: false },
    );
    api = await spawnApi(stack.env);
    worker = spawnWorker(stack.env);
    worker.stdout?.resume();
    worker.stderr?.resume();
  }, STACK_TIMEOUT_MS);
  afterAll(async () => {
    worker?.kill('SIGKILL');
    await api?.stop();
    await stack?.stop();
  }, STACK_TIMEOUT_MS);

  it('serves every route without a 5xx, and reports the p99 of each', async () => {
    const log = new TrafficLog();
    const streams: StreamEnds = { final: 0, other: 0 };
    const started = Date.now();
    const tenants = await Promise.all(
      Array.from({ length: VIRTUAL_USERS }, (_, index) =>
        virtualUser(index, api!.url, log, started + DURATION_MS, streams),
      ),
    );
    const elapsedMs = Date.now() - started;

    const summary = log.summary();
    console.log(
      `${log.samples.length} requests in ${(elapsedMs / 1000).toFixed(1)} s ` +
        `(${Math.round(log.samples.length / (elapsedMs / 1000))}/s); streams ended with final: ${streams.final}, ` +
        `otherwise: ${streams.other}\n${log.table()}`,
    );
    await mkdir(join(REPORT, '..'), { recursive: true });
    await writeFile(
      REPORT,
      JSON.stringify(
        {
          virtualUsers: VIRTUAL_USERS,
          durationMs: elapsedMs,
          requests: log.samples.length,
          streams,
          routes: summary,
        },
        null,
        2,
      ),
    );

    expect(log.samples.filter((sample) => sample.status >= 500 || sample.status === 0)).toEqual([]);
    expect(streams.other).toBe(0);
    const signedIn = tenants.filter((tenant): tenant is Tenant => tenant !== undefined);
    expect(signedIn).toHaveLength(VIRTUAL_USERS);
    await expectNothingLostOrShared(stack.database.query, signedIn, 120_000);
  }, 240_000);
});
