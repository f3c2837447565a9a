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
  ApiForbiddenResponse,
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
import { TitleSource } from '@app/database';
import { BranchesService } from './branches.service';
import { ChatroomDetailService } from './chatroom-detail.service';
import { ChatroomDetailResponse } from './dto/chatroom-detail.dto';
import {
  ChatroomPageResponse,
  ChatroomResponse,
  ChatroomSettingsRequest,
  CreateChatroomRequest,
  ForkChatroomRequest,
  RenameChatroomRequest,
  SwitchBranchRequest,
} from './dto/chatroom.dto';

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
    private readonly branches: BranchesService,
  ) {}

  @Post()
  @ApiOperation({
    operationId: 'createChatroom',
    summary: 'Create a chatroom',
    description:
      'Without a title it is called "New chat" until its first reply completes, when Gemini gives it a short ' +
      'title. `settings` choose the model (see `listModels`), system instruction, temperature and output cap.',
  })
  @ApiCreatedResponse({ type: ChatroomResponse })
  @ApiForbiddenResponse({
    description: 'The model is not available on your tier (`MODEL_NOT_ALLOWED`)',
    type: ProblemResponse,
  })
  @ApiConflictResponse({ description: 'The per-user chatroom limit is reached', type: ProblemResponse })
  createChatroom(
    @CurrentUser() user: AuthenticatedUser,
    @Body() body: CreateChatroomRequest,
  ): Promise<ChatroomResponse> {
    return this.chatrooms.create(user.id, {
      title: body.title ? { text: body.title, source: TitleSource.User } : undefined,
      settings: body.settings,
    });
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

  @Patch(':id/settings')
  @ApiOperation({
    operationId: 'updateChatroomSettings',
    summary: "Change a chatroom's generation settings",
    description:
      'Only the settings present change; null puts one back to its default. They apply to every later reply of ' +
      'the chatroom.',
  })
  @ApiOkResponse({ type: ChatroomResponse })
  @ApiForbiddenResponse({
    description: 'The model is not available on your tier (`MODEL_NOT_ALLOWED`)',
    type: ProblemResponse,
  })
  @ApiNotFoundResponse({ description: 'No such chatroom of yours', type: ProblemResponse })
  updateChatroomSettings(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', chatroomId) id: string,
    @Body() body: ChatroomSettingsRequest,
  ): Promise<ChatroomResponse> {
    return this.chatrooms.updateSettings(user.id, id, body);
  }

  @Post(':id/branch')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    operationId: 'switchBranch',
    summary: 'Show another branch of the conversation',
    description:
      'Makes the branch through the given message the active one, down to its newest message: `listMessages` ' +
      'and `getChatroom` then show it, and the next prompt continues it. Nothing is deleted.',
  })
  @ApiOkResponse({ type: ChatroomDetailResponse })
  @ApiNotFoundResponse({ description: 'No such chatroom or message of yours', type: ProblemResponse })
  switchBranch(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', chatroomId) id: string,
    @Body() body: SwitchBranchRequest,
  ): Promise<ChatroomDetailResponse> {
    return this.branches.switchTo(user.id, id, body.messageId);
  }

  @Post(':id/fork')
  @ApiOperation({
    operationId: 'forkChatroom',
    summary: 'Start a new chatroom from this conversation',
    description:
      'Creates a chatroom of yours whose conversation is a copy of the path up to a reply (default: the end of ' +
      'the active branch), with the same settings; the two then go their own ways. Uses no quota.',
  })
  @ApiCreatedResponse({ type: ChatroomDetailResponse })
  @ApiNotFoundResponse({ description: 'No such chatroom or message of yours', type: ProblemResponse })
  @ApiConflictResponse({
    description:
      'The message is a prompt (`NOT_A_REPLY`), a reply on the path is still open (`REPLY_NOT_FINAL`), or the ' +
      'chatroom limit is reached (`CHATROOM_LIMIT_REACHED`)',
    type: ProblemResponse,
  })
  async forkChatroom(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', chatroomId) id: string,
    @Body() body: ForkChatroomRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ChatroomDetailResponse> {
    const forked = await this.branches.fork(user.id, id, { upToId: body.messageId, title: body.title });
    void reply.header('location', `/chatroom/${forked.id}`);
    return forked;
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
