import { ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { ThrottlerLimitDetail } from '@nestjs/throttler/dist/throttler.guard.interface';
import type { FastifyReply } from 'fastify';
import { AuthenticatedRequest } from '../auth/current-user.decorator';
import { ErrorCode, ProblemException } from '../common/problem';

/**
 * Counts per user once the JWT guard (registered before this one) has identified the caller, else per IP, and per
 * limit name rather than per route, so the limit covers the whole API.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  /**
   * When every limit's `skipIf` lets the request through (health probes; every route but /auth/* while the burst
   * limit is off), the answer is known without the base class's per-limit metadata lookups and awaits, which were
   * the largest cost of GET /health (docs/benchmarks.md). Otherwise the base class decides, as before.
   */
  override canActivate(context: ExecutionContext): Promise<boolean> {
    const skipsAll = this.throttlers.every((throttler) =>
      (throttler.skipIf ?? this.commonOptions.skipIf)?.(context),
    );
    return skipsAll ? Promise.resolve(true) : super.canActivate(context);
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
