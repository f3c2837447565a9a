import { AppConfig } from '@app/config';
import { asyncStdout } from '@app/observability';
import { LoggerService } from '@nestjs/common';
import pino from 'pino';

/** The api's one pino logger: JSON lines, batched asynchronous writes, credentials in headers censored. */
export function createApiLogger(
  config: Pick<AppConfig, 'logLevel'>,
  destination: pino.DestinationStream = asyncStdout(),
): pino.Logger {
  return pino(
    {
      level: config.logLevel,
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'req.headers["stripe-signature"]',
          'res.headers["set-cookie"]',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

type PinoLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** Nest's built-in exception handlers call `error(message, stack)`; the stack is then no context name. */
const isStack = (value: unknown): boolean => typeof value === 'string' && /\n\s*at /.test(value);

/**
 * Nest's Logger calls (`new Logger('Context').warn({ err, userId }, 'message')`) as pino lines: an object argument is
 * merged into the line, an Error becomes `err`, the last argument is the context. One root logger for the process,
 * with no per-request child: the lines that belong to a request carry its `requestId` where they are written.
 */
export class ApiLogger implements LoggerService {
  constructor(private readonly logger: pino.Logger) {}

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: PinoLevel, message: unknown, params: unknown[]): void {
    if (!this.logger.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = {};
    const rest = [...params];
    if (rest.length > 0 && !(level === 'error' && rest.length === 1 && isStack(rest[0]))) {
      fields.context = rest.pop();
    }
    if (message instanceof Error) {
      this.logger[level]({ ...fields, err: message }, ...(rest as []));
    } else if (typeof message === 'object' && message !== null) {
      this.logger[level]({ ...fields, ...message }, ...(rest as []));
    } else if (rest.length === 1 && isStack(rest[0])) {
      const err = new Error(String(message));
      err.stack = rest[0] as string;
      this.logger[level]({ ...fields, err });
    } else {
      this.logger[level](fields, String(message), ...(rest as []));
    }
  }
}
