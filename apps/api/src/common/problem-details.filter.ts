import { isDependencyOutage } from '@app/database';
import { redactCredentials } from '@app/observability';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { ApiMetrics } from '../metrics/api-metrics';
import { DEFAULT_CODE_BY_STATUS, ErrorCode, FieldError, ProblemException } from './problem';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  instance: string;
  requestId: string;
  errors?: FieldError[];
}

interface Problem {
  status: number;
  code: ErrorCode;
  detail: string;
  errors?: FieldError[];
  headers?: Record<string, string>;
}

/** Fastify's own errors (body parsing, content type, size) carry a `code` and a `statusCode`. */
function fromFastifyError(error: {
  code?: unknown;
  statusCode?: unknown;
  message?: unknown;
}): Problem | undefined {
  if (typeof error.code !== 'string' || !error.code.startsWith('FST_')) return undefined;
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, code: ErrorCode.PayloadTooLarge, detail: 'Request body is too large' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        status: 415,
        code: ErrorCode.UnsupportedMediaType,
        detail: 'Send the body as application/json',
      };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, code: ErrorCode.MalformedJson, detail: 'Body is empty but Content-Type is JSON' };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, code: ErrorCode.MalformedJson, detail: 'Body is not valid JSON' };
    default: {
      const status = typeof error.statusCode === 'number' && error.statusCode < 500 ? error.statusCode : 400;
      return {
        status,
        code: DEFAULT_CODE_BY_STATUS[status] ?? ErrorCode.ValidationFailed,
        detail: String(error.message),
      };
    }
  }
}

function fromHttpException(exception: HttpException): Problem {
  const status = exception.getStatus();
  if (exception instanceof ProblemException) {
    return {
      status,
      code: exception.code,
      detail: exception.message,
      errors: exception.problem.errors,
      headers: exception.problem.headers,
    };
  }
  if (exception instanceof ThrottlerException) {
    return { status, code: ErrorCode.RateLimited, detail: 'Too many requests, slow down' };
  }
  const response = exception.getResponse();
  const down =
    typeof response === 'object' && response !== null ? (response as { error?: unknown }).error : undefined;
  if (status === 503 && typeof down === 'object' && down !== null && Object.keys(down).length > 0) {
    return {
      status,
      code: ErrorCode.ServiceUnavailable,
      detail: `Not ready: ${Object.keys(down).join(', ')} unavailable`,
    };
  }
  const message =
    typeof response === 'object' && response !== null && 'message' in response
      ? response.message
      : exception.message;
  const detail = Array.isArray(message) ? message.join('; ') : String(message);
  // SyntaxError from a JSON body parser surfaces as a 400 HttpException in some adapters.
  const code =
    status === 400 && /JSON/i.test(detail)
      ? ErrorCode.MalformedJson
      : (DEFAULT_CODE_BY_STATUS[status] ??
        (status >= 500 ? ErrorCode.InternalError : ErrorCode.ValidationFailed));
  return { status, code, detail };
}

/**
 * The one error body of the API; also used by the Fastify-level routes that Nest's filters do not see. Credentials
 * a client put in the URL are redacted, since details such as the 404's echo it.
 */
export function problemBody(
  request: FastifyRequest,
  problem: { status: number; code: ErrorCode; detail: string; errors?: FieldError[] },
): ProblemBody {
  return {
    type: 'about:blank',
    title: STATUS_CODES[problem.status] ?? 'Error',
    status: problem.status,
    detail: redactCredentials(problem.detail),
    code: problem.code,
    instance: redactCredentials(request.url.split('?')[0]),
    requestId: String(request.id),
    ...(problem.errors ? { errors: problem.errors } : {}),
  };
}

/**
 * Turns every error into one body shape, RFC 9457 problem details. A 5xx never shows internals: its detail is
 * generic and its request id points to the log line with the stack.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(private readonly metrics: ApiMetrics) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const context = host.switchToHttp();
    const request = context.getRequest<FastifyRequest>();
    const reply = context.getResponse<FastifyReply>();

    const problem =
      exception instanceof HttpException
        ? fromHttpException(exception)
        : (fromFastifyError(exception as Record<string, unknown>) ?? this.internal(exception, request));

    if (problem.status === (HttpStatus.TOO_MANY_REQUESTS as number))
      this.metrics.countRejection(problem.code);
    if (
      problem.status >= 500 &&
      exception instanceof HttpException &&
      !(exception instanceof ProblemException)
    ) {
      this.logger.error({ err: exception, requestId: request.id }, 'Request failed');
    }

    const body = problemBody(request, problem);

    if (reply.sent || reply.raw.headersSent) return;
    void reply
      .status(problem.status)
      .headers(problem.headers ?? {})
      .header('content-type', 'application/problem+json; charset=utf-8')
      .send(body);
  }

  private internal(exception: unknown, request: FastifyRequest): Problem {
    if (isDependencyOutage(exception)) {
      this.logger.error({ err: exception, requestId: request.id }, 'A dependency is unavailable');
      return {
        status: HttpStatus.SERVICE_UNAVAILABLE,
        code: ErrorCode.ServiceUnavailable,
        detail: 'A backing service is temporarily unavailable; retry shortly',
        headers: { 'Retry-After': '5' },
      };
    }
    this.logger.error({ err: exception, requestId: request.id }, 'Unhandled error');
    return {
      status: HttpStatus.INTERNAL_SERVER_ERROR,
      code: ErrorCode.InternalError,
      detail: `Something went wrong on our side. Quote request id ${String(request.id)} when reporting it.`,
    };
  }
}
