import {
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
import { ReplyEventsService } from './reply-events.service';

const uuid = new ParseUUIDPipe({ version: '4', errorHttpStatusCode: HttpStatus.BAD_REQUEST });

@ApiTags('messages')
@Authenticated()
@ApiBadRequestResponse({ description: 'Invalid body, id, header or query', type: ProblemResponse })
@ApiNotFoundResponse({ description: 'No such chatroom or message of yours', type: ProblemResponse })
@Controller('chatroom/:id/message')
export class MessagesController {
  constructor(
    private readonly messages: MessagesService,
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
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      'Any unique string (1-100 of A-Z a-z 0-9 _ - : .); a retried POST with it returns the original response',
  })
  @ApiAcceptedResponse({ type: SentMessageResponse, description: 'Accepted; the reply is queued' })
  @ApiOkResponse({ type: SentMessageResponse, description: 'With `wait`: the reply is final' })
  @ApiUnprocessableEntityResponse({
    description: 'Idempotency-Key reused for another message',
    type: ProblemResponse,
  })
  @ApiTooManyRequestsResponse({
    description: 'Daily prompt quota or rate limit reached, or (with `wait`) too many open streams and waits',
    type: ProblemResponse,
  })
  @ApiServiceUnavailableResponse({
    description: 'Queue or quota store unavailable; nothing was stored',
    type: ProblemResponse,
  })
  async sendMessage(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', uuid) chatroomId: string,
    @Body() body: SendMessageRequest,
    @Query() query: SendMessageQuery,
    @IdempotencyKey() idempotencyKey: string | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SentMessageResponse> {
    const outcome = await this.messages.send({
      userId: user.id,
      sessionId: user.sessionId,
      chatroomId,
      content: body.content,
      idempotencyKey,
      waitSeconds: query.wait,
      requestId: String(request.id),
      clientGone: query.wait ? whenClientLeaves(reply) : undefined,
    });
    if (outcome.quota) setQuotaHeaders(reply, outcome.quota);
    void reply
      .status(outcome.final ? HttpStatus.OK : HttpStatus.ACCEPTED)
      .header('location', `/chatroom/${chatroomId}/message/${outcome.body.reply.id}`);
    return outcome.body;
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
}

/** Aborts when the response is done or the client has gone away, whichever comes first. */
function whenClientLeaves(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => controller.abort());
  return controller.signal;
}
