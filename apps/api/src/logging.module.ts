import { APP_CONFIG, AppConfig } from '@app/config';
import { asyncStdout, redactCredentials } from '@app/observability';
import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';

/** JSON logs, one line per event, each with the request id; credentials are redacted wherever they appear. */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        pinoHttp: [
          {
            level: config.logLevel,
            customProps: (request) => ({ requestId: (request as { id?: string }).id }),
            redact: {
              paths: [
                'req.headers.authorization',
                'req.headers.cookie',
                'req.headers["stripe-signature"]',
                'res.headers["set-cookie"]',
              ],
              censor: '[redacted]',
            },
            serializers: {
              req: (request: { id: string; method: string; url: string }) => ({
                id: request.id,
                method: request.method,
                url: redactCredentials(request.url),
              }),
              res: (response: { statusCode: number }) => ({ statusCode: response.statusCode }),
            },
            autoLogging: { ignore: (request) => (request.url ?? '').startsWith('/health') },
          },
          asyncStdout(),
        ],
      }),
    }),
  ],
})
export class LoggingModule {}
