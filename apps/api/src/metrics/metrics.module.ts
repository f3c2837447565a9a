import { Global, Module } from '@nestjs/common';
import { RepliesQueueModule } from '../queue/replies-queue.module';
import { ApiMetrics } from './api-metrics';
import { MetricsController } from './metrics.controller';
import { MetricsTokenGuard } from './metrics-token.guard';

/** Global, so any feature can count what it does without importing this module. */
@Global()
@Module({
  imports: [RepliesQueueModule],
  controllers: [MetricsController],
  providers: [ApiMetrics, MetricsTokenGuard],
  exports: [ApiMetrics],
})
export class MetricsModule {}
