import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ProblemResponse } from './problem.dto';

export const IS_PUBLIC = 'isPublic';

/** Opens a route to unauthenticated callers. Everything else requires a bearer access token. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);

/** Marks a controller or route as protected in the OpenAPI document, so the docs match the global guard. */
export const Authenticated = (): MethodDecorator & ClassDecorator =>
  applyDecorators(
    ApiBearerAuth('bearer'),
    ApiUnauthorizedResponse({
      description: 'Missing, expired or invalid access token',
      type: ProblemResponse,
    }),
  );
