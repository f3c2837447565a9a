import { APP_CONFIG, AppConfig } from '@app/config';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import Redis from 'ioredis';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { WORKER_REDIS } from '../redis.providers';

/** `GET /health` (alive) and `GET /health/ready` (PostgreSQL and Redis answer) for container health checks. */
@Injectable()
export class WorkerHealthServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerHealthServer.name);
  private server?: Server;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(WORKER_REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  get port(): number | undefined {
    return (this.server?.address() as AddressInfo | null)?.port;
  }

  async onApplicationBootstrap(): Promise<void> {
    this.server = createServer((request, response) => {
      void this.answer(request.url ?? '').then(({ status, body }) => {
        response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) =>
      this.server!.listen(this.config.worker.healthPort, '0.0.0.0', resolve),
    );
    this.logger.log(`Worker health endpoints on port ${this.port}`);
  }

  async onApplicationShutdown(): Promise<void> {
    await new Promise((resolve) => (this.server ? this.server.close(resolve) : resolve(undefined)));
  }

  private async answer(url: string): Promise<{ status: number; body: object }> {
    if (url === '/health') return { status: 200, body: { status: 'ok' } };
    if (url !== '/health/ready') return { status: 404, body: { status: 404, title: 'Not Found' } };
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
    return {
      status: ready ? 200 : 503,
      body: { status: ready ? 'ok' : 'error', details: { postgres, redis } },
    };
  }
}
