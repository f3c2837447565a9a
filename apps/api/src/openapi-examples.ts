import type { OpenAPIObject } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
import { ErrorCode } from './common/problem';

interface ProblemExample {
  code: ErrorCode;
  detail: string;
}

/** What each error status most often means, when an operation has nothing more specific below. */
const BY_STATUS: Record<number, ProblemExample> = {
  400: { code: ErrorCode.ValidationFailed, detail: 'id must be a UUID' },
  401: { code: ErrorCode.Unauthorized, detail: 'Missing, invalid or expired access token' },
  403: { code: ErrorCode.Forbidden, detail: 'This is not allowed on your tier' },
  404: { code: ErrorCode.NotFound, detail: 'No such chatroom' },
  409: { code: ErrorCode.Conflict, detail: 'The request conflicts with the current state' },
  413: { code: ErrorCode.PayloadTooLarge, detail: 'Request body is too large' },
  415: { code: ErrorCode.UnsupportedMediaType, detail: 'Send the body as application/json' },
  422: {
    code: ErrorCode.IdempotencyKeyReused,
    detail: 'This Idempotency-Key was used for a different message',
  },
  429: { code: ErrorCode.RateLimited, detail: 'Too many requests, slow down' },
  503: {
    code: ErrorCode.ServiceUnavailable,
    detail: 'A backing service is temporarily unavailable; retry shortly',
  },
};

/** Operation-specific meanings, keyed by `operationId status`. */
const BY_OPERATION: Record<string, ProblemExample> = {
  ...Object.fromEntries(
    ['sendOtp', 'signup', 'verifyOtp', 'login', 'forgotPassword', 'resetPassword'].map((operationId) => [
      `${operationId} 400`,
      {
        code: ErrorCode.ValidationFailed,
        detail: 'mobile must be a valid phone number with its country code, e.g. +14155550123',
      },
    ]),
  ),
  ...Object.fromEntries(
    ['sendOtp', 'signup', 'forgotPassword'].map((operationId) => [
      `${operationId} 429`,
      {
        code: ErrorCode.OtpRateLimited,
        detail: 'A code was sent to this number less than 30 seconds ago; retry after the Retry-After delay',
      },
    ]),
  ),
  'refreshTokens 400': { code: ErrorCode.ValidationFailed, detail: 'refreshToken must be a string' },
  'logout 400': { code: ErrorCode.MalformedJson, detail: 'Body is not valid JSON' },
  'changePassword 400': {
    code: ErrorCode.ValidationFailed,
    detail: 'newPassword must be longer than or equal to 8 characters',
  },
  'createChatroom 400': { code: ErrorCode.ValidationFailed, detail: 'title must be a string' },
  'renameChatroom 400': { code: ErrorCode.ValidationFailed, detail: 'title should not be empty' },
  'listChatrooms 400': { code: ErrorCode.ValidationFailed, detail: 'limit must not be greater than 100' },
  'sendMessage 400': { code: ErrorCode.ValidationFailed, detail: 'content should not be empty' },
  'checkReadiness 503': { code: ErrorCode.ServiceUnavailable, detail: 'Not ready: redis unavailable' },
  'login 429': {
    code: ErrorCode.TooManyPasswordAttempts,
    detail:
      'Too many wrong passwords for this number; retry after the Retry-After delay or log in with a code',
  },
  'streamReply 429': {
    code: ErrorCode.StreamLimitReached,
    detail: 'You already have 10 open streams or waiting requests; close one first',
  },
  'streamReply 503': {
    code: ErrorCode.ServiceUnavailable,
    detail: 'This server has too many open streams; retry shortly',
  },
  'verifyOtp 401': { code: ErrorCode.InvalidOtp, detail: 'The code is wrong, expired or already used' },
  'resetPassword 401': { code: ErrorCode.InvalidOtp, detail: 'The code is wrong, expired or already used' },
  'login 401': { code: ErrorCode.InvalidCredentials, detail: 'Wrong mobile number or password' },
  'refreshTokens 401': {
    code: ErrorCode.InvalidRefreshToken,
    detail: 'The refresh token is invalid, expired or reused',
  },
  'changePassword 401': {
    code: ErrorCode.PasswordRequired,
    detail: 'The current password is required and must match',
  },
  'createChatroom 409': {
    code: ErrorCode.ChatroomLimitReached,
    detail: 'You have reached the limit of 500 chatrooms; delete one first',
  },
  'sendMessage 429': {
    code: ErrorCode.DailyQuotaExceeded,
    detail:
      'Basic allows 5 prompts per day; the quota resets at 2030-01-02T00:00:00.000Z. Upgrade to Pro for more.',
  },
  'sendMessage 503': {
    code: ErrorCode.ServiceUnavailable,
    detail: 'The reply queue is unavailable; nothing was stored. Retry shortly',
  },
  'getMessage 404': { code: ErrorCode.NotFound, detail: 'No such message' },
  ...Object.fromEntries(
    ['createChatroom', 'updateChatroomSettings'].map((operationId) => [
      `${operationId} 403`,
      {
        code: ErrorCode.ModelNotAllowed,
        detail: 'gemini-2.5-pro is not available on the basic tier; see GET /models for yours',
      },
    ]),
  ),
  'updateChatroomSettings 400': {
    code: ErrorCode.ValidationFailed,
    detail: 'maxOutputTokens must be at most 2048 on the basic tier',
  },
  'editPrompt 400': { code: ErrorCode.ValidationFailed, detail: 'content should not be empty' },
  'editPrompt 404': {
    code: ErrorCode.NotFound,
    detail: 'Message 0b7e1f3a-5d2c-4c8e-9a41-2f6d8e0c1b55 not found',
  },
  'editPrompt 409': {
    code: ErrorCode.NotAPrompt,
    detail: 'Only prompts can be edited; to get another reply, regenerate the reply',
  },
  'regenerateReply 409': {
    code: ErrorCode.ReplyNotFinal,
    detail: 'The reply is still generating; wait for it to end (or cancel it) before regenerating it',
  },
  'regenerateReply 404': {
    code: ErrorCode.NotFound,
    detail: 'Message c4a2d9e7-81b3-4f5a-b6c0-7d3e2a1f9b84 not found',
  },
  'getUsage 400': { code: ErrorCode.ValidationFailed, detail: 'the range may span at most 366 days' },
  'switchBranch 400': { code: ErrorCode.ValidationFailed, detail: 'messageId must be a UUID' },
  'switchBranch 404': {
    code: ErrorCode.NotFound,
    detail: 'Message c4a2d9e7-81b3-4f5a-b6c0-7d3e2a1f9b84 not found',
  },
  'forkChatroom 409': {
    code: ErrorCode.NotAReply,
    detail: 'Fork from a reply: the new chatroom continues after it',
  },
  'forkChatroom 400': { code: ErrorCode.ValidationFailed, detail: 'title should not be empty' },
  'cancelReply 409': { code: ErrorCode.ReplyAlreadyFinal, detail: 'The reply is already completed' },
  'subscribePro 409': { code: ErrorCode.AlreadyPro, detail: 'You are already on Pro' },
  'subscribePro 503': {
    code: ErrorCode.BillingNotConfigured,
    detail: 'Billing is not configured on this server (STRIPE_API_KEY is unset)',
  },
  'openBillingPortal 409': {
    code: ErrorCode.NoSubscription,
    detail: 'You have no billing account yet; subscribe to Pro first',
  },
  'openBillingPortal 503': {
    code: ErrorCode.BillingNotConfigured,
    detail: 'Billing is not configured on this server (STRIPE_API_KEY is unset)',
  },
  'receiveStripeWebhook 400': {
    code: ErrorCode.InvalidWebhookSignature,
    detail: 'The Stripe-Signature header is missing or does not match the payload',
  },
  'receiveStripeWebhook 503': {
    code: ErrorCode.BillingNotConfigured,
    detail: 'Billing is not configured on this server (STRIPE_API_KEY is unset)',
  },
};

const CHATROOM = '6f1c2a9e-3c55-4f0b-9d61-0f6f2b8a7c11';
const PROMPT = {
  id: '0b7e1f3a-5d2c-4c8e-9a41-2f6d8e0c1b55',
  chatroomId: CHATROOM,
  role: 'user',
  content: 'Plan three days in Lisbon for a first-time visitor.',
  status: 'completed',
  parentId: null,
  replyToId: null,
  model: null,
  error: null,
  finishReason: null,
  truncated: false,
  usage: null,
  createdAt: '2030-01-01T10:00:00.000Z',
  updatedAt: '2030-01-01T10:00:00.000Z',
  completedAt: '2030-01-01T10:00:00.000Z',
};
const QUEUED_REPLY = {
  ...PROMPT,
  id: 'c4a2d9e7-81b3-4f5a-b6c0-7d3e2a1f9b84',
  role: 'model',
  content: '',
  status: 'queued',
  parentId: PROMPT.id,
  replyToId: PROMPT.id,
  completedAt: null,
};

/** The two successful answers of the routes that add a turn, consistent with what the api sends. */
const SEND_MESSAGE_EXAMPLES: Record<string, object> = {
  '202': { message: PROMPT, reply: QUEUED_REPLY },
  '200': {
    message: PROMPT,
    reply: {
      ...QUEUED_REPLY,
      content: 'Day 1: Alfama and the castle…',
      status: 'completed',
      finishReason: 'STOP',
      model: 'gemini-2.5-flash',
      usage: { promptTokens: 42, outputTokens: 128, totalTokens: 170 },
      updatedAt: '2030-01-01T10:00:04.000Z',
      completedAt: '2030-01-01T10:00:04.000Z',
    },
  },
};

const TURN_OPERATIONS = ['sendMessage', 'editPrompt', 'regenerateReply'];

interface ResponseObject {
  description?: string;
  content?: Record<string, { schema?: unknown; example?: unknown }>;
}

/**
 * Gives every error response its own example and the media type it is served with (application/problem+json),
 * and sendMessage examples that agree with each other. Done on the finished document, so controllers only say
 * which statuses they answer.
 */
export function addResponseExamples(document: OpenAPIObject): void {
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const operation of Object.values(operations as Record<string, unknown>)) {
      if (typeof operation !== 'object' || operation === null) continue;
      const { operationId, responses } = operation as {
        operationId?: string;
        responses?: Record<string, ResponseObject>;
      };
      for (const [status, response] of Object.entries(responses ?? {})) {
        const json = response.content?.['application/json'] ?? {
          schema: { $ref: '#/components/schemas/ProblemResponse' },
        };
        if (Number(status) >= 400) {
          const example = BY_OPERATION[`${operationId} ${status}`] ?? BY_STATUS[Number(status)];
          response.content = {
            'application/problem+json': {
              schema: json.schema,
              ...(example
                ? {
                    example: {
                      type: 'about:blank',
                      title: STATUS_CODES[Number(status)],
                      status: Number(status),
                      code: example.code,
                      detail: example.detail,
                      instance: path.replace(/\{id\}/g, CHATROOM).replace(/\{messageId\}/g, QUEUED_REPLY.id),
                      requestId: '3f1c2a9e-3c55-4f0b-9d61-0f6f2b8a7c11',
                    },
                  }
                : {}),
            },
          };
        } else if (
          TURN_OPERATIONS.includes(operationId ?? '') &&
          SEND_MESSAGE_EXAMPLES[status] &&
          response.content
        ) {
          json.example = SEND_MESSAGE_EXAMPLES[status];
        }
      }
    }
  }
}
