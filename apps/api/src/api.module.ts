import { AppConfig, ConfigModule } from '@app/config';
import { DatabaseModule } from '@app/database';
import { RedisModule } from '@app/queue';
import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ProblemDetailsFilter } from './common/problem-details.filter';
import { AuthModule } from './auth/auth.module';
import { ChatroomsModule } from './chatrooms/chatrooms.module';
import { HealthModule } from './health/health.module';
import { LoggingModule } from './logging/logging.module';
import { MessagesModule } from './messages/messages.module';
import { MetricsModule } from './metrics/metrics.module';
import { ModelsModule } from './models/models.module';
import { SubscriptionsModule } from './subscriptions/subscriptions.module';
import { AuthFailureModule } from './throttling/auth-failure.module';
import { ThrottlingModule } from './throttling/throttling.module';
import { UsageModule } from './usage/usage.module';
import { UsersModule } from './users/users.module';

@Module({})
export class ApiModule {
  static forRoot(config?: AppConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule,
        MetricsModule,
        DatabaseModule.forRoot(),
        RedisModule.forRoot('api'),
        AuthFailureModule,
        HealthModule,
        AuthModule,
        ThrottlingModule,
        UsersModule,
        ChatroomsModule,
        MessagesModule,
        ModelsModule,
        SubscriptionsModule,
        UsageModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: ProblemDetailsFilter }],
    };
  }
}
