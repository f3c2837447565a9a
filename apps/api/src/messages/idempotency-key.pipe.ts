import { HttpStatus, Injectable, PipeTransform } from '@nestjs/common';
import { ErrorCode, ProblemException } from '../common/problem';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_\-:.]{1,100}$/;

@Injectable()
export class IdempotencyKeyPipe implements PipeTransform<string | undefined, string | undefined> {
  transform(value: string | undefined): string | undefined {
    if (value === undefined) return undefined;
    if (!IDEMPOTENCY_KEY.test(value)) {
      const message = 'Idempotency-Key must be 1-100 characters of A-Z a-z 0-9 _ - : .';
      throw new ProblemException(HttpStatus.BAD_REQUEST, ErrorCode.ValidationFailed, message, {
        errors: [{ field: 'Idempotency-Key', message }],
      });
    }
    return value;
  }
}
