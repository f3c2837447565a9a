import { APP_CONFIG, AppConfig, ConfigModule } from '@app/config';
import { DatabaseModule } from '@app/database';
import { GeminiClient, ModelPolicyModule } from '@app/gemini';
import { asyncStdout } from '@app/observability';
import { RedisModule } from '@app/queue';
import { RepliesModule } from '@app/replies';
import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { CancellationRegistry } from './generation/cancellation.registry';
import { GenerationService } from './generation/generation.service';
import { Reconciler } from './generation/reconciler';
import { ReplyWorker } from './generation/reply.worker';
import { WorkerHttpServer } from './http/worker-http.server';
import { Pruner } from './maintenance/pruner';
import { WorkerMetrics } from './metrics/worker-metrics';

@Module({})
export class WorkerModule {
  static forRoot(config?: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot({
          pinoHttp: [{ level: config?.logLevel ?? 'info' }, asyncStdout()],
        }),
        DatabaseModule.forRoot(),
        RedisModule.forRoot('worker'),
        RepliesModule,
        ModelPolicyModule,
      ],
      providers: [
        WorkerMetrics,
        {
          provide: GeminiClient,
          inject: [APP_CONFIG, WorkerMetrics],
          useFactory: (appConfig: AppConfig, metrics: WorkerMetrics) =>
            new GeminiClient(appConfig.gemini, metrics.recordGeminiCall),
        },
        CancellationRegistry,
        GenerationService,
        ReplyWorker,
        Reconciler,
        Pruner,
        WorkerHttpServer,
      ],
    };
  }
}
