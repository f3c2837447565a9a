import { APP_CONFIG, AppConfig } from '@app/config';
import { Module } from '@nestjs/common';
import { ModelPolicy } from './model-policy';

/** The configured models and tier limits, for the api's settings checks and the worker's generation. */
@Module({
  providers: [
    {
      provide: ModelPolicy,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new ModelPolicy(config.gemini),
    },
  ],
  exports: [ModelPolicy],
})
export class ModelPolicyModule {}
