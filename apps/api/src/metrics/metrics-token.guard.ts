import { APP_CONFIG, AppConfig } from '@app/config';
import { bearerTokenMatches } from '@app/observability';
import {
  CanActivate,
  ExecutionContext,
  HttpStatus,
  Inject,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ErrorCode, ProblemException } from '../common/problem';
import { AuthFailureThrottle } from '../throttling/auth-failure-throttle';

/**
 * `/metrics` is for Prometheus, not for users: it answers only to `Authorization: Bearer <METRICS_TOKEN>`, and does
 * not exist (404) while no token is configured, so it cannot be public by accident.
 */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly failures: AuthFailureThrottle,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const token = this.config.observability.metricsToken;
    if (!token) throw new NotFoundException(`Cannot ${request.method} ${request.url.split('?')[0]}`);
    await this.failures.assertNotBlocked(request.ip);
    if (!bearerTokenMatches(request.headers.authorization, token)) {
      await this.failures.record(request.ip);
      throw new ProblemException(
        HttpStatus.UNAUTHORIZED,
        ErrorCode.Unauthorized,
        'Send Authorization: Bearer <METRICS_TOKEN> to read metrics',
        { headers: { 'WWW-Authenticate': 'Bearer realm="metrics"' } },
      );
    }
    return true;
  }
}
