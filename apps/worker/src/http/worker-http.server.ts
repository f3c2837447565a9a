import { APP_CONFIG, AppConfig } from '@app/config';
import { AuthFailureCounter, bearerTokenMatches } from '@app/observability';
import { REDIS, RedisKeys } from '@app/queue';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import Redis from 'ioredis';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { WorkerMetrics } from '../metrics/worker-metrics';

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string>;
}

const json = (status: number, body: object, headers: Record<string, string> = {}): Answer => ({
  status,
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/json', ...headers },
});

/**
 * The worker's small HTTP port: `GET /health` (alive), `GET /health/ready` (PostgreSQL and Redis answer) for
 * container health checks, and `GET /metrics` for Prometheus, which needs `Authorization: Bearer <METRICS_TOKEN>`
 * and is off (404) while no token is configured.
 */
@Injectable()
export class WorkerHttpServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerHttpServer.name);
  private server?: Server;
  private readonly authFailures: AuthFailureCounter;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(REDIS) private readonly redis: Redis,
    keys: RedisKeys,
    private readonly metrics: WorkerMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.authFailures = new AuthFailureCounter(redis, keys, config.auth.failureLimitPerMinute, (error) =>
      this.logger.warn(`Failed-auth limit skipped, Redis failed: ${error.message}`),
    );
  }

  get port(): number | undefined {
    return (this.server?.address() as AddressInfo | null)?.port;
  }

  async onApplicationBootstrap(): Promise<void> {
    this.server = createServer((request, response) => {
      void this.answer(request).then(({ status, body, headers }) => {
        response.writeHead(status, headers).end(body);
      });
    });
    await new Promise<void>((resolve) =>
      this.server!.listen(this.config.worker.healthPort, '0.0.0.0', resolve),
    );
    this.logger.log(`Worker health and metrics endpoints on port ${this.port}`);
  }

  async onApplicationShutdown(): Promise<void> {
    await new Promise((resolve) => (this.server ? this.server.close(resolve) : resolve(undefined)));
  }

  private async answer(request: IncomingMessage): Promise<Answer> {
    const path = (request.url ?? '').split('?')[0];
    if (request.method !== 'GET') return json(405, { status: 405, title: 'Method Not Allowed' });
    switch (path) {
      case '/health':
        return json(200, { status: 'ok' });
      case '/health/ready':
        return this.readiness();
      case '/metrics':
        return this.scrape(request.headers.authorization, request.socket.remoteAddress ?? 'unknown');
      default:
        return json(404, { status: 404, title: 'Not Found' });
    }
  }

  private async readiness(): Promise<Answer> {
    const [postgres, redis] = await Promise.all([
      this.dataSource.query('SELECT 1').then(
        () => 'up',
        () => 'down',
      ),
      this.redis.ping().then(
        () => 'up',
        () => 'down',
      ),
    ]);
    const ready = postgres === 'up' && redis === 'up';
    return json(ready ? 200 : 503, { status: ready ? 'ok' : 'error', details: { postgres, redis } });
  }

  /** Like the api's, wrong tokens count against the caller's address (no proxy sits in front of this port). */
  private async scrape(authorization: string | undefined, ip: string): Promise<Answer> {
    const token = this.config.observability.metricsToken;
    if (!token) return json(404, { status: 404, title: 'Not Found' });
    const retryAfter = await this.authFailures.blockedFor(ip);
    if (retryAfter > 0) {
      return json(
        429,
        { status: 429, title: 'Too Many Requests', code: 'TOO_MANY_AUTH_FAILURES' },
        { 'retry-after': String(retryAfter) },
      );
    }
    if (!bearerTokenMatches(authorization, token)) {
      await this.authFailures.record(ip);
      return json(401, { status: 401, title: 'Unauthorized' }, { 'www-authenticate': 'Bearer' });
    }
    const { registry } = this.metrics;
    return { status: 200, body: await registry.metrics(), headers: { 'content-type': registry.contentType } };
  }
}
