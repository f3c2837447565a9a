import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter as BullBoardAdapter } from '@bull-board/fastify';
import { AppConfig } from '@app/config';
import { basicCredentialsMatch } from '@app/observability';
import { QueueName } from '@app/queue';
import { getQueueToken } from '@nestjs/bullmq';
import { HttpStatus } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { problemBody } from '../common/problem-details.filter';
import { ErrorCode } from '../common/problem';
import { AuthFailureThrottle, tooManyAuthFailures } from '../throttling/auth-failure-throttle';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';

/**
 * Bull Board for operators at /admin/queues, behind HTTP Basic auth (browsers prompt for it), read-only so a click
 * cannot retry or delete a job behind the reply state machine's back. Not mounted at all without a configured
 * password, so it is off by default.
 */
export async function mountQueueDashboard(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  const { username, password } = config.observability.queueDashboard;
  if (!password) return;
  const queue = app.get<Queue>(getQueueToken(QueueName.Replies));
  const failures = app.get(AuthFailureThrottle);
  const board = new BullBoardAdapter().setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({
    queues: [new BullMQAdapter(queue, { readOnlyMode: true })],
    serverAdapter: board,
    options: { uiConfig: { boardTitle: 'Gemini Chat queues' } },
  });
  await app.register(async (scope: FastifyInstance) => {
    scope.addHook('onRequest', async (request, reply) => {
      const retryAfter = await failures.blockedFor(request.ip);
      if (retryAfter > 0) {
        const refusal = tooManyAuthFailures(retryAfter);
        await reply
          .code(refusal.getStatus())
          .headers(refusal.problem.headers ?? {})
          .header('content-type', 'application/problem+json; charset=utf-8')
          .send(
            problemBody(request, {
              status: refusal.getStatus(),
              code: refusal.code,
              detail: refusal.message,
            }),
          );
        return;
      }
      if (basicCredentialsMatch(request.headers.authorization, username, password)) return;
      await failures.record(request.ip);
      await reply
        .code(HttpStatus.UNAUTHORIZED)
        .header('www-authenticate', 'Basic realm="queue dashboard", charset="UTF-8"')
        .header('content-type', 'application/problem+json; charset=utf-8')
        .send(
          problemBody(request, {
            status: HttpStatus.UNAUTHORIZED,
            code: ErrorCode.Unauthorized,
            detail: 'The queue dashboard needs the operator credential (HTTP Basic)',
          }),
        );
    });
    await scope.register(board.registerPlugin(), { prefix: QUEUE_DASHBOARD_PATH });
  });
}
