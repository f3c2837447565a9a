import { createParamDecorator, ExecutionContext, HttpStatus } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ErrorCode, ProblemException } from '../common/problem';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_\-:.]{1,100}$/;

/** The optional `Idempotency-Key` request header, validated. */
export const IdempotencyKey = createParamDecorator(
  (_data: unknown, context: ExecutionContext): string | undefined => {
    const value = context.switchToHttp().getRequest<FastifyRequest>().headers['idempotency-key'];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !IDEMPOTENCY_KEY.test(value)) {
      const message = 'Idempotency-Key must be 1-100 characters of A-Z a-z 0-9 _ - : .';
      throw new ProblemException(HttpStatus.BAD_REQUEST, ErrorCode.ValidationFailed, message, {
        errors: [{ field: 'Idempotency-Key', message }],
      });
    }
    return value;
  },
);
