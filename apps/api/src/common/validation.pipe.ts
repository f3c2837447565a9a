import { HttpStatus, ValidationError, ValidationPipe } from '@nestjs/common';
import { ErrorCode, FieldError, ProblemException } from './problem';

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** Unknown properties are rejected (mass assignment), and every failure is listed per field. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    stopAtFirstError: false,
    exceptionFactory: (errors) => {
      const fieldErrors = flatten(errors);
      return new ProblemException(
        HttpStatus.BAD_REQUEST,
        ErrorCode.ValidationFailed,
        fieldErrors.map((error) => error.message).join('; ') || 'Request is invalid',
        { errors: fieldErrors },
      );
    },
  });
}
