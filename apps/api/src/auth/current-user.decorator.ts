import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/** Who is calling: set by the global JWT guard after it has checked the token and the session behind it. */
export interface AuthenticatedUser {
  id: string;
  sessionId: string;
}

export type AuthenticatedRequest = FastifyRequest & { user: AuthenticatedUser };

export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AuthenticatedUser =>
    context.switchToHttp().getRequest<AuthenticatedRequest>().user,
);
