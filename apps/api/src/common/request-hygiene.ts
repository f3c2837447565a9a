import { HttpStatus } from '@nestjs/common';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
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

/** Answers 400 for such a body before validation runs. */
export function rejectUnacceptableJson(fastify: FastifyInstance): void {
  fastify.addHook('preValidation', (request, _reply, done) => {
    const problem = findUnacceptableJson(request.body);
    done(
      problem &&
        new ProblemException(HttpStatus.BAD_REQUEST, ErrorCode.ValidationFailed, problem.message, {
          errors: [problem],
        }),
    );
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
