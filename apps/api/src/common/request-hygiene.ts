import { HttpStatus } from '@nestjs/common';
import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  preValidationHookHandler,
} from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { ErrorCode, FieldError, ProblemException } from './problem';
import { problemBody } from './problem-details.filter';

/** Far deeper than any body this API accepts, and shallow enough that validating what passes cannot overflow the stack. */
export const MAX_JSON_DEPTH = 32;

const fieldPath = (parent: string, key: string, inArray: boolean): string =>
  inArray ? `${parent}[${key}]` : parent ? `${parent}.${key}` : key;

/**
 * Finds the first part of a parsed JSON body that valid JSON allows but this API cannot handle: nesting past
 * MAX_JSON_DEPTH (class-transformer recurses per level), a NUL character (PostgreSQL text cannot hold U+0000) or an
 * unpaired UTF-16 surrogate (not Unicode; validators that URI-encode throw on it).
 */
export function findUnacceptableJson(value: unknown, path = '', depth = 0): FieldError | undefined {
  const field = path || 'body';
  if (typeof value === 'string') {
    if (value.includes('\u0000')) {
      return { field, message: `${field} must not contain the NUL character (U+0000)` };
    }
    if (!value.isWellFormed()) {
      return { field, message: `${field} must be valid Unicode text (it has an unpaired surrogate)` };
    }
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  if (depth >= MAX_JSON_DEPTH) {
    return { field, message: `${field} is nested deeper than ${MAX_JSON_DEPTH} levels` };
  }
  const inArray = Array.isArray(value);
  for (const [key, child] of Object.entries(value)) {
    const childPath = fieldPath(path, key, inArray);
    const problem =
      findUnacceptableJson(key, childPath, depth + 1) ?? findUnacceptableJson(child, childPath, depth + 1);
    if (problem) return problem;
  }
  return undefined;
}

const BODYLESS_METHODS = new Set(['GET', 'HEAD']);

/** Answers 400 for such a body before validation runs; only the routes that take a body pay for the check. */
export function rejectUnacceptableJson(fastify: FastifyInstance): void {
  const check: preValidationHookHandler = (request, _reply, done) => {
    const problem = findUnacceptableJson(request.body);
    done(
      problem &&
        new ProblemException(HttpStatus.BAD_REQUEST, ErrorCode.ValidationFailed, problem.message, {
          errors: [problem],
        }),
    );
  };
  fastify.addHook('onRoute', (route) => {
    if ([route.method].flat().every((method) => BODYLESS_METHODS.has(method))) return;
    route.preValidation = [route.preValidation ?? []].flat().concat(check);
  });
}

/**
 * Errors Fastify raises before routing (a URL with broken percent-encoding, a path parameter past its length limit),
 * which never reach Nest's exception filters; answered with Fastify's status and the API's one problem body.
 */
export function answerFrameworkError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const status =
    error.statusCode && error.statusCode >= 400 && error.statusCode < 500
      ? error.statusCode
      : HttpStatus.INTERNAL_SERVER_ERROR;
  const clientError = status < 500;
  void reply
    .code(status)
    .header('x-request-id', request.id)
    .header('content-type', 'application/problem+json; charset=utf-8')
    .send(
      problemBody(request, {
        status,
        code: clientError ? ErrorCode.ValidationFailed : ErrorCode.InternalError,
        detail: clientError ? `The URL is not valid: ${error.message}` : 'Something went wrong on our side',
      }),
    );
}

const hasBody = (headers: IncomingHttpHeaders): boolean =>
  headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;

/**
 * Why a request body cannot be read as this API's JSON, or undefined when it can (or there is none): every body is
 * UTF-8 JSON, never compressed (nothing here decodes Content-Encoding, so a compressed body would be read as text),
 * never a form (Nest registers a form parser of its own, which would hand validation a flat string map).
 */
export function unsupportedBody(headers: IncomingHttpHeaders): string | undefined {
  if (!hasBody(headers)) return undefined;
  const encoding = headers['content-encoding']?.trim().toLowerCase();
  if (encoding && encoding !== 'identity') {
    return `Content-Encoding ${encoding} is not supported; send the body uncompressed`;
  }
  const [mediaType = '', ...parameters] = (headers['content-type'] ?? '').split(';');
  if (!/^application\/(?:[\w.+-]+\+)?json$/i.test(mediaType.trim())) {
    return 'Send the body as application/json';
  }
  const charset = parameters
    .map((parameter) => /^\s*charset\s*=\s*"?([^";\s]*)"?\s*$/i.exec(parameter)?.[1])
    .find((value) => value !== undefined);
  if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
    return `charset ${charset} is not supported; send the body as UTF-8`;
  }
  return undefined;
}

/** The 415 answer for a body that `unsupportedBody` refuses. */
export const unsupportedMediaType = (reason: string): ProblemException =>
  new ProblemException(HttpStatus.UNSUPPORTED_MEDIA_TYPE, ErrorCode.UnsupportedMediaType, reason);

const routePattern = (url: string): RegExp =>
  new RegExp(
    `^${url
      .split('/')
      .map((segment) =>
        segment === '*'
          ? '.*'
          : segment.startsWith(':')
            ? '[^/]+'
            : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
      )
      .join('/')}/?$`,
  );

/**
 * A known path with a method it does not have is 405 with `Allow`, not 404. The routes are learnt as they are
 * registered; OPTIONS is left out, since CORS answers it on every path. The answerer it returns sends the 405 and
 * says true, or leaves the request alone and says false.
 */
export function unsupportedMethodAnswerer(
  fastify: FastifyInstance,
): (request: FastifyRequest, reply: FastifyReply) => boolean {
  const routes: { pattern: RegExp; methods: string[] }[] = [];
  fastify.addHook('onRoute', (route) => {
    const methods = [route.method].flat().filter((method) => method !== 'OPTIONS');
    if (methods.length > 0 && route.url !== '*' && route.url !== '/*') {
      routes.push({ pattern: routePattern(route.url), methods });
    }
  });
  return (request, reply) => {
    if (!request.is404 || request.method === 'OPTIONS') return false;
    const path = request.url.split('?')[0];
    const allowed = [
      ...new Set(routes.filter((route) => route.pattern.test(path)).flatMap((route) => route.methods)),
    ];
    if (allowed.length === 0) return false;
    void reply
      .code(HttpStatus.METHOD_NOT_ALLOWED)
      .header('allow', allowed.sort().join(', '))
      .header('content-type', 'application/problem+json; charset=utf-8')
      .send(
        problemBody(request, {
          status: HttpStatus.METHOD_NOT_ALLOWED,
          code: ErrorCode.MethodNotAllowed,
          detail: `${request.method} is not supported here; use ${allowed.join(', ')}`,
        }),
      );
    return true;
  };
}

/**
 * Errors on the connection before there is a request (headers too large, a request timeout, unparsable HTTP), which
 * Fastify otherwise answers with its own JSON: the same problem body as everywhere else.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, detail] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, ErrorCode.HeadersTooLarge, 'The request headers are too large']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, ErrorCode.ValidationFailed, 'The request took too long to arrive']
        : [400, ErrorCode.ValidationFailed, 'The request is not valid HTTP'];
  const body = JSON.stringify({
    type: 'about:blank',
    title: STATUS_CODES[status],
    status,
    detail,
    code,
    requestId: randomUUID(),
  });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
