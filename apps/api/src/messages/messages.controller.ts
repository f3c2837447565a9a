import {
  applyDecorators,
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  HttpStatus,
  MessageEvent,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Req,
  Res,
  Sse,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Observable } from 'rxjs';
import { CurrentUser, type AuthenticatedUser } from '../auth/current-user.decorator';
import { PageQuery } from '../common/pagination';
import { ProblemResponse } from '../common/problem.dto';
import { Authenticated } from '../common/public.decorator';
import { setQuotaHeaders } from '../quota/quota-headers';
import { IdempotencyKey } from './idempotency-key.decorator';
import {
  MessagePageResponse,
  MessageResponse,
  SendMessageQuery,
  SendMessageRequest,
  SentMessageResponse,
} from './dto/message.dto';
import { MessagesService } from './messages.service';
import { TurnsService } from './turns.service';
import type { TurnPlacement } from '@app/replies';
import { ReplyEventsService } from './reply-events.service';

const IDEMPOTENCY_KEY_DESCRIPTION =
  'Any unique string (1-100 of A-Z a-z 0-9 _ - : .); a retried POST with it returns the original response';

/** What every route that adds a turn (a prompt, an edit, a regeneration) may answer. */
function ApiTurnResponses(): MethodDecorator {
  return applyDecorators(
    ApiHeader({ name: 'Idempotency-Key', required: false, description: IDEMPOTENCY_KEY_DESCRIPTION }),
    ApiAcceptedResponse({
      type: SentMessageResponse,
      description:
        'Accepted; the reply is queued. `X-RateLimit-*` describe the daily prompt quota and, under a token ' +
        'budget, `X-TokenBudget-Limit`, `-Remaining` (after this reply reserved its output cap) and `-Reset`.',
    }),
    ApiOkResponse({ type: SentMessageResponse, description: 'With `wait`: the reply is final' }),
    ApiUnprocessableEntityResponse({
      description: 'Idempotency-Key reused for another message',
      type: ProblemResponse,
    }),
    ApiTooManyRequestsResponse({
      description:
        'Daily prompt quota or rate limit reached, or (with `wait`) too many open streams and waits',
      type: ProblemResponse,
    }),
    ApiServiceUnavailableResponse({
      description: 'Queue or quota store unavailable; nothing was stored',
      type: ProblemResponse,
    }),
  );
}

const uuid = new ParseUUIDPipe({ version: '4', errorHttpStatusCode: HttpStatus.BAD_REQUEST });

@ApiTags('messages')
@Authenticated()
@ApiBadRequestResponse({ description: 'Invalid body, id, header or query', type: ProblemResponse })
@ApiNotFoundResponse({ description: 'No such chatroom or message of yours', type: ProblemResponse })
@Controller('chatroom/:id/message')
export class MessagesController {
  constructor(
    private readonly messages: MessagesService,
    private readonly turns: TurnsService,
    private readonly replyEvents: ReplyEventsService,
  ) {}

  @Post()
  @ApiOperation({
    operationId: 'sendMessage',
    summary: 'Send a prompt; Gemini answers asynchronously',
    description:
      'Stores your message and a queued reply, and answers 202 at once with `Location` pointing at the reply. ' +
      'Poll it, stream it (`/stream`), or pass `wait` to hold the response until the reply is final (200). ' +
      'Each accepted prompt uses one unit of your daily quota; a retry with the same `Idempotency-Key` returns ' +
      'the original response and uses none.',
  })
  @ApiTurnResponses()
  async sendMessage(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', uuid) chatroomId: string,
    @Body() body: SendMessageRequest,
    @Query() query: SendMessageQuery,
    @IdempotencyKey() idempotencyKey: string | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SentMessageResponse> {
    return this.sendTurn(
      { kind: 'continue', content: body.content },
      user,
      chatroomId,
      query,
      idempotencyKey,
      {
        request,
        reply,
      },
    );
  }

  @Post(':messageId/edit')
  @ApiOperation({
    operationId: 'editPrompt',
    summary: 'Send a new version of an earlier prompt, on a new branch',
    description:
      'Stores the new text as a sibling of the prompt (a new version of that turn) with a queued reply generated ' +
      "from the conversation up to that prompt's parent plus the new text, and makes this the active branch. The " +
      'old branch stays as it was, reachable through `versions` and `switchBranch`. Answers like `sendMessage`: ' +
      '202 (or 200 with `wait`), one unit of daily quota, `Idempotency-Key` honoured.',
  })
  @ApiTurnResponses()
  @ApiConflictResponse({
    description: 'The message is a reply, not a prompt (`NOT_A_PROMPT`)',
    type: ProblemResponse,
  })
  async editPrompt(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', uuid) chatroomId: string,
    @Param('messageId', uuid) promptId: string,
    @Body() body: SendMessageRequest,
    @Query() query: SendMessageQuery,
    @IdempotencyKey() idempotencyKey: string | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SentMessageResponse> {
    return this.sendTurn(
      { kind: 'edit', promptId, content: body.content },
      user,
      chatroomId,
      query,
      idempotencyKey,
      {
        request,
        reply,
      },
    );
  }

  @Post(':messageId/regenerate')
  @ApiOperation({
    operationId: 'regenerateReply',
    summary: 'Generate another reply to the same prompt, from the same context',
    description:
      'Queues a new reply as a sibling of this one (a new version of the turn) and makes it the active branch; the ' +
      'old reply stays, reachable through `versions` and `switchBranch`. The reply must be final. Answers like ' +
      '`sendMessage`: 202 (or 200 with `wait`), one unit of daily quota, `Idempotency-Key` honoured. No body.',
  })
  @ApiTurnResponses()
  @ApiConflictResponse({
    description: 'The message is a prompt (`NOT_A_REPLY`), or the reply is still open (`REPLY_NOT_FINAL`)',
    type: ProblemResponse,
  })
  async regenerateReply(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', uuid) chatroomId: string,
    @Param('messageId', uuid) replyId: string,
    @Query() query: SendMessageQuery,
    @IdempotencyKey() idempotencyKey: string | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SentMessageResponse> {
    return this.sendTurn({ kind: 'regenerate', replyId }, user, chatroomId, query, idempotencyKey, {
      request,
      reply,
    });
  }

  @Get()
  @ApiOperation({ operationId: 'listMessages', summary: 'List the conversation, newest first' })
  @ApiOkResponse({ type: MessagePageResponse })
  listMessages(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', uuid) chatroomId: string,
    @Query() query: PageQuery,
  ): Promise<MessagePageResponse> {
    return this.messages.list(user.id, chatroomId, query);
  }

  @Get(':messageId')
  @ApiOperation({ operationId: 'getMessage', summary: 'Get one message, with its status' })
  @ApiOkResponse({ type: MessageResponse })
  async getMessage(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', uuid) chatroomId: string,
    @Param('messageId', uuid) messageId: string,
  ): Promise<MessageResponse> {
    return MessageResponse.from(await this.messages.get(user.id, chatroomId, messageId));
  }

  @Post(':messageId/cancel')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    operationId: 'cancelReply',
    summary: 'Stop a reply that is queued or being generated',
    description: 'The reply becomes `cancelled` and keeps the text received so far.',
  })
  @ApiOkResponse({ type: MessageResponse })
  @ApiConflictResponse({
    description: 'The reply is already final, or the message is not a reply',
    type: ProblemResponse,
  })
  async cancelReply(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', uuid) chatroomId: string,
    @Param('messageId', uuid) messageId: string,
  ): Promise<MessageResponse> {
    return MessageResponse.from(await this.messages.cancel(user.id, chatroomId, messageId));
  }

  @Sse(':messageId/stream')
  @ApiOperation({
    operationId: 'streamReply',
    summary: 'Stream a reply as Server-Sent Events',
    description:
      'Events: `reset` (an attempt starts: drop any text so far; it opens every stream), `delta` (data ' +
      '`{"text"}`: append it), then exactly one terminal event: `final` (data: the stored message, the same as a ' +
      'later GET returns, also after a cancel) or `error` (data `{"code","message"}`: `CHATROOM_DELETED`, ' +
      '`SESSION_ENDED` on logout, `STREAM_UNAVAILABLE`: reconnect). Late joiners get the whole text; reconnecting ' +
      'with `Last-Event-ID` resumes after that event; a final reply gives the `final` event at once. Counts ' +
      'against your open-stream limit (`MAX_STREAMS_PER_USER`, 429 `STREAM_LIMIT_REACHED` beyond).',
  })
  @ApiProduces('text/event-stream')
  @ApiTooManyRequestsResponse({
    description: 'Too many open streams and waits of yours (`STREAM_LIMIT_REACHED`)',
    type: ProblemResponse,
  })
  @ApiServiceUnavailableResponse({
    description: 'This server has too many open streams',
    type: ProblemResponse,
  })
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'Resume after this event id' })
  @ApiOkResponse({
    description: 'text/event-stream',
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  })
  async streamReply(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', uuid) chatroomId: string,
    @Param('messageId', uuid) messageId: string,
    @Headers('last-event-id') lastEventId: string | undefined,
  ): Promise<Observable<MessageEvent>> {
    const { reply, lease } = await this.messages.openStream(user.id, chatroomId, messageId);
    return this.replyEvents.stream(reply, user.sessionId, lease, lastEventId);
  }

  /** The three ways of adding a turn answer alike: 202 (200 once final with `wait`), Location, quota headers. */
  private async sendTurn(
    placement: TurnPlacement,
    user: AuthenticatedUser,
    chatroomId: string,
    query: SendMessageQuery,
    idempotencyKey: string | undefined,
    http: { request: FastifyRequest; reply: FastifyReply },
  ): Promise<SentMessageResponse> {
    const outcome = await this.turns.add({
      userId: user.id,
      sessionId: user.sessionId,
      chatroomId,
      placement,
      idempotencyKey,
      waitSeconds: query.wait,
      requestId: String(http.request.id),
      clientGone: query.wait ? whenClientLeaves(http.reply) : undefined,
    });
    if (outcome.quota) setQuotaHeaders(http.reply, outcome.quota);
    if (outcome.budgetHeaders) void http.reply.headers(outcome.budgetHeaders);
    void http.reply
      .status(outcome.final ? HttpStatus.OK : HttpStatus.ACCEPTED)
      .header('location', `/chatroom/${chatroomId}/message/${outcome.body.reply.id}`);
    return outcome.body;
  }
}

/** Aborts when the response is done or the client has gone away, whichever comes first. */
function whenClientLeaves(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => controller.abort());
  return controller.signal;
}
