import { CanActivate, ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { ThrottlerLimitDetail } from '@nestjs/throttler/dist/throttler.guard.interface';
import type { FastifyReply } from 'fastify';
import { AuthenticatedRequest } from '../auth/current-user.decorator';
import { ErrorCode, ProblemException } from '../common/problem';

/**
 * The throttler with this api's keys and errors: counts per user once the JWT guard (registered before this one)
 * has identified the caller, else per IP, and per limit name rather than per route, so the limit covers the whole
 * API.
 */
@Injectable()
export class ApiThrottler extends ThrottlerGuard {
  /** Whether every limit's `skipIf` lets the request through, so that none has anything to count. */
  skipsEveryLimit(context: ExecutionContext): boolean {
    return this.throttlers.every((throttler) => (throttler.skipIf ?? this.commonOptions.skipIf)?.(context));
  }

  protected override getTracker(request: Record<string, unknown>): Promise<string> {
    const { user, ip } = request as unknown as AuthenticatedRequest;
    return Promise.resolve(user?.id ? `user:${user.id}` : `ip:${ip}`);
  }

  protected override generateKey(_context: ExecutionContext, tracker: string, name: string): string {
    return `${name}:${tracker}`;
  }

  protected override throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const retryAfter = Math.max(1, Math.ceil(detail.timeToBlockExpire || detail.timeToExpire));
    void context.switchToHttp().getResponse<FastifyReply>().header('retry-after', String(retryAfter));
    throw new ProblemException(
      HttpStatus.TOO_MANY_REQUESTS,
      ErrorCode.RateLimited,
      `Too many requests: at most ${detail.limit} per minute; retry in ${retryAfter} seconds`,
      { headers: { 'Retry-After': String(retryAfter) } },
    );
  }
}

/**
 * The global rate-limit guard. When no limit applies (health probes; every route but /auth/* while the burst limit
 * is off) it answers a plain `true`, which Nest takes without awaiting anything: ThrottlerGuard would look up five
 * metadata keys per limit and await each step first, the largest cost of GET /health (docs/benchmarks.md).
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(private readonly throttler: ApiThrottler) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    return this.throttler.skipsEveryLimit(context) || this.throttler.canActivate(context);
  }
}
