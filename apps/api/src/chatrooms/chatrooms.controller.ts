import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentUser, type AuthenticatedUser } from '../auth/current-user.decorator';
import { PageQuery } from '../common/pagination';
import { ProblemResponse } from '../common/problem.dto';
import { Authenticated } from '../common/public.decorator';
import { ChatroomsService } from './chatrooms.service';
import { ChatroomDetailResponse } from './dto/chatroom-detail.dto';
import {
  ChatroomPageResponse,
  ChatroomResponse,
  CreateChatroomRequest,
  RenameChatroomRequest,
} from './dto/chatroom.dto';
import { ChatroomDetailService } from './chatroom-detail.service';

/** RFC 9111: `no-cache` (or `no-store`) in a request asks for a response not served from a cache. */
const requestsFreshCopy = (cacheControl: string | undefined): boolean =>
  /(^|,)\s*no-(cache|store)\s*(,|$)/i.test(cacheControl ?? '');

const chatroomId = new ParseUUIDPipe({ version: '4', errorHttpStatusCode: HttpStatus.BAD_REQUEST });

@ApiTags('chatrooms')
@Authenticated()
@ApiBadRequestResponse({ description: 'Invalid body, id or query', type: ProblemResponse })
@Controller('chatroom')
export class ChatroomsController {
  constructor(
    private readonly chatrooms: ChatroomsService,
    private readonly details: ChatroomDetailService,
  ) {}

  @Post()
  @ApiOperation({ operationId: 'createChatroom', summary: 'Create a chatroom' })
  @ApiCreatedResponse({ type: ChatroomResponse })
  @ApiConflictResponse({ description: 'The per-user chatroom limit is reached', type: ProblemResponse })
  createChatroom(
    @CurrentUser() user: AuthenticatedUser,
    @Body() body: CreateChatroomRequest,
  ): Promise<ChatroomResponse> {
    return this.chatrooms.create(user.id, body.title);
  }

  @Get()
  @ApiOperation({
    operationId: 'listChatrooms',
    summary: 'List your chatrooms, most recently active first',
    description:
      'Cached per user in Redis; the `X-Cache` response header says HIT or MISS. Send `Cache-Control: no-cache` ' +
      'to read the list from the database (it also refreshes the cache).',
  })
  @ApiHeader({
    name: 'Cache-Control',
    required: false,
    description: '`no-cache` skips the cached copy and reads the database',
  })
  @ApiOkResponse({
    type: ChatroomPageResponse,
    headers: {
      'X-Cache': {
        description: 'HIT when served from the cache',
        schema: { type: 'string', enum: ['HIT', 'MISS'] },
      },
    },
  })
  async listChatrooms(
    @CurrentUser() user: AuthenticatedUser,
    @Query() query: PageQuery,
    @Headers('cache-control') cacheControl: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    const { json, cache } = await this.chatrooms.listJson(user.id, query, {
      bypassCache: requestsFreshCopy(cacheControl),
    });
    void reply.header('x-cache', cache).type('application/json; charset=utf-8');
    return json;
  }

  @Get(':id')
  @ApiOperation({ operationId: 'getChatroom', summary: 'Get a chatroom with its most recent messages' })
  @ApiOkResponse({ type: ChatroomDetailResponse })
  @ApiNotFoundResponse({ description: 'No such chatroom of yours', type: ProblemResponse })
  getChatroom(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', chatroomId) id: string,
  ): Promise<ChatroomDetailResponse> {
    return this.details.get(user.id, id);
  }

  @Patch(':id')
  @ApiOperation({ operationId: 'renameChatroom', summary: 'Rename a chatroom' })
  @ApiOkResponse({ type: ChatroomResponse })
  @ApiNotFoundResponse({ description: 'No such chatroom of yours', type: ProblemResponse })
  renameChatroom(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', chatroomId) id: string,
    @Body() body: RenameChatroomRequest,
  ): Promise<ChatroomResponse> {
    return this.chatrooms.rename(user.id, id, body.title);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ operationId: 'deleteChatroom', summary: 'Delete a chatroom and all its messages' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse({ description: 'No such chatroom of yours', type: ProblemResponse })
  deleteChatroom(@CurrentUser() user: AuthenticatedUser, @Param('id', chatroomId) id: string): Promise<void> {
    return this.chatrooms.remove(user.id, id);
  }
}
