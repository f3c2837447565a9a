import { ArgumentMetadata, HttpStatus, Type, ValidationError, ValidationPipe } from '@nestjs/common';
import { ErrorCode, FieldError, ProblemException } from './problem';

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/**
 * Most list requests send no query string at all, and an empty query validates the same way every time: its
 * outcome is kept per DTO class, and each request gets its own copy of it.
 */
class ApiValidationPipe extends ValidationPipe {
  private readonly emptyQueries = new Map<Type, object>();

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const { metatype } = metadata;
    if (metadata.type !== 'query' || !metatype || !isEmptyObject(value)) {
      return super.transform(value, metadata);
    }
    let validated = this.emptyQueries.get(metatype);
    if (!validated) {
      validated = (await super.transform(value, metadata)) as object;
      this.emptyQueries.set(metatype, validated);
    }
    return Object.assign(Object.create(Object.getPrototypeOf(validated) as object) as object, validated);
  }
}

const isEmptyObject = (value: unknown): boolean => {
  if (typeof value !== 'object' || value === null) return false;
  for (const key in value) if (Object.hasOwn(value, key)) return false;
  return true;
};

/** Unknown properties are rejected (mass assignment), and every failure is listed per field. */
export function createValidationPipe(): ValidationPipe {
  return new ApiValidationPipe({
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
