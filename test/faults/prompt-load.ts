import { uniqueMobile } from '../support/auth';
import { ApiClient, readSse } from '../support/http';
import { SentBody } from '../support/types';
import { Tenant } from './invariants';
import { sleep, TrafficLog } from './traffic';

export const SEND_PROMPT = 'POST /chatroom/:id/message';

/**
 * Each tenant, in a loop until stopped, walks the API: sends a prompt, then uses every kind of route (auth,
 * chatroom reads and writes, message reads, the reply's stream, usage, billing status, readiness). Every request is
 * recorded in `log`; every accepted prompt in the tenant. Resolves, once stopped, when every user's current round
 * is over. Replies are never cancelled nor their chatroom deleted, so every accepted prompt must end completed.
 */
export function startPromptLoad(
  apiUrl: string,
  tenants: Tenant[],
  log: TrafficLog,
): { stop(): Promise<void> } {
  let running = true;
  const users = tenants.map(async (tenant, index) => {
    const anonymous = new ApiClient(apiUrl);
    const ip = { 'x-forwarded-for': `10.88.0.${index + 1}` };
    const roomId = [...tenant.rooms][0];
    const room = `/chatroom/${roomId}`;
    let latestReply: string | undefined;
    for (let round = 0; running; round++) {
      const { client } = tenant;
      const sent = await log.send<SentBody>(client, SEND_PROMPT, `${room}/message`, {
        content: `${tenant.marker} prompt ${round}`,
      });
      tenant.accept(sent);
      if (sent.status === 202) latestReply = sent.body.reply.id;
      const mobile = uniqueMobile();
      const issued = await log.send<{ otp: string }>(
        anonymous,
        'POST /auth/send-otp',
        '/auth/send-otp',
        { mobile },
        ip,
      );
      if (issued.status === 200) {
        await log.send(
          anonymous,
          'POST /auth/verify-otp',
          '/auth/verify-otp',
          { mobile, otp: issued.body.otp },
          ip,
        );
      }
      await log.send(client, 'GET /chatroom', '/chatroom');
      await log.send(client, 'GET /chatroom/:id', room);
      await log.send(client, 'PATCH /chatroom/:id', room, { title: `room ${tenant.marker} ${round}` });
      const scratch = await log.send<{ id: string }>(client, 'POST /chatroom', '/chatroom', {
        title: `scratch ${tenant.marker}`,
      });
      if (scratch.status === 201) {
        await log.send(client, 'DELETE /chatroom/:id', `/chatroom/${scratch.body.id}`);
      }
      await log.send(client, 'GET /chatroom/:id/message', `${room}/message`);
      if (latestReply) {
        const replyPath = `${room}/message/${latestReply}`;
        await log.send(client, 'GET /chatroom/:id/message/:messageId', replyPath);
        await log.time('GET /chatroom/:id/message/:messageId/stream', async () => {
          const stream = await readSse(
            `${apiUrl}${replyPath}/stream`,
            { authorization: `Bearer ${client.accessToken}` },
            (event) => event.event === 'final',
            // A stream stays open through an outage and resumes after it; the user stops watching after 2 s and goes
            // on sending prompts, so the outage is seen by the routes that must answer 503.
            2_000,
          );
          return {
            status: stream.status,
            wellFormed503: (stream.contentType ?? '').startsWith('application/problem+json'),
          };
        });
      }
      await log.send(client, 'GET /user/me', '/user/me');
      await log.send(client, 'GET /subscription/status', '/subscription/status');
      await log.send(anonymous, 'GET /health/ready', '/health/ready');
      await sleep(100);
    }
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(users);
    },
  };
}
