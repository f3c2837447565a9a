import type { FastifyReply } from 'fastify';
import { quotaHeaders, QuotaUsage } from './prompt-quota.service';

/** `X-RateLimit-Reset` is the Unix time (seconds) at which the day's quota resets. */
export function setQuotaHeaders(reply: FastifyReply, quota: QuotaUsage): void {
  void reply.headers(quotaHeaders(quota));
}
