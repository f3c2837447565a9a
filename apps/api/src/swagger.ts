import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { addResponseExamples } from './openapi-examples';

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Gemini Chat Backend')
    .setDescription(
      'Chat with Google Gemini as a service: OTP login by mobile number, chatrooms, asynchronous replies (poll, ' +
        'wait or stream; edit, regenerate, branch and fork), and Stripe subscriptions with daily prompt quotas and ' +
        'monthly token budgets. Errors are RFC 9457 problem details.',
    )
    .setVersion('1.0.0')
    .setLicense('MIT', 'https://opensource.org/licenses/MIT')
    .addServer('http://localhost:3000', 'Local development (npm run dev)')
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description:
          'The accessToken of POST /auth/verify-otp (after POST /auth/send-otp) or POST /auth/login; it lasts 15 ' +
          'minutes, then POST /auth/refresh gives a new one. Paste the token alone, without "Bearer ".',
      },
      'bearer',
    )
    .addTag('auth', 'OTP login by mobile number, passwords, token refresh and logout')
    .addTag('users', 'The current user')
    .addTag('chatrooms', 'Your chatrooms: settings, branches and forks')
    .addTag(
      'messages',
      'Prompts and Gemini replies: poll, wait or stream; edit prompts and regenerate replies',
    )
    .addTag('models', 'The Gemini models and generation limits of your tier')
    .addTag('subscriptions', 'Basic and Pro tiers with Stripe, and the Stripe webhook')
    .addTag('usage', 'What you used, day by day: prompts, replies and tokens')
    .addTag('health', 'Liveness and readiness for orchestrators')
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (_controllerKey: string, methodKey: string) => methodKey,
  });
  for (const operations of Object.values(document.paths)) {
    for (const operation of Object.values(
      operations as Record<string, { summary?: string; description?: string }>,
    )) {
      if (typeof operation === 'object' && operation.summary && !operation.description) {
        operation.description = operation.summary;
      }
    }
  }
  addResponseExamples(document);
  return document;
}

export function setUpSwagger(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true },
    // The live document names the server it was fetched from, so "Try it out" calls this very instance.
    patchDocumentOnRequest: <TRequest>(request: TRequest, _response: unknown, document: OpenAPIObject) => {
      const { protocol, headers } = request as FastifyRequest;
      return { ...document, servers: [{ url: `${protocol}://${headers.host}`, description: 'This server' }] };
    },
  });
}
