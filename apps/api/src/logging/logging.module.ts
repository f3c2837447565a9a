import { APP_CONFIG, AppConfig } from '@app/config';
import { Global, Module } from '@nestjs/common';
import type pino from 'pino';
import { ApiLogger, createApiLogger } from './api-logger';

/** The app's pino logger itself, for the per-request lines (request-log.ts). */
export const API_PINO = Symbol('API_PINO');

/** JSON logs, one line per event; credentials are redacted wherever they appear. */
@Global()
@Module({
  providers: [
    { provide: API_PINO, inject: [APP_CONFIG], useFactory: (config: AppConfig) => createApiLogger(config) },
    { provide: ApiLogger, inject: [API_PINO], useFactory: (logger: pino.Logger) => new ApiLogger(logger) },
  ],
  exports: [API_PINO, ApiLogger],
})
export class LoggingModule {}
