import { Message, MessageRole, TitleSource } from '@app/database';
import { ConversationTree, isFinalStatus } from '@app/replies';
import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ErrorCode, ProblemException } from '../common/problem';
import { ChatroomDetailService } from './chatroom-detail.service';
import { ChatroomListCache } from './chatroom-list.cache';
import { ChatroomsService } from './chatrooms.service';
import { ChatroomDetailResponse } from './dto/chatroom-detail.dto';
import { CHATROOM_TITLE_MAX_LENGTH } from './dto/chatroom.dto';

/** Which branch of a conversation a chatroom shows, and new chatrooms that start from a branch of another. */
@Injectable()
export class BranchesService {
  constructor(
    private readonly chatrooms: ChatroomsService,
    private readonly details: ChatroomDetailService,
    private readonly tree: ConversationTree,
    private readonly listCache: ChatroomListCache,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /** Shows the branch through `messageId`, down to its newest message; the next prompt follows that message. */
  async switchTo(userId: string, chatroomId: string, messageId: string): Promise<ChatroomDetailResponse> {
    if (!(await this.tree.activate(userId, chatroomId, messageId))) {
      await this.chatrooms.get(userId, chatroomId);
      throw new ProblemException(HttpStatus.NOT_FOUND, ErrorCode.NotFound, `Message ${messageId} not found`);
    }
    return this.details.get(userId, chatroomId);
  }

  /**
   * A new chatroom of the same user whose conversation is a copy of the path up to `upToId` (a final reply; the
   * source's active leaf when omitted). The copy is independent: later changes to either chatroom stay in it.
   */
  async fork(
    userId: string,
    sourceId: string,
    request: { upToId?: string; title?: string },
  ): Promise<ChatroomDetailResponse> {
    const { chatroom: source, ownerTier } = await this.chatrooms.getWithOwnerTier(userId, sourceId);
    const upToId = request.upToId ?? source.activeLeafId;
    if (!upToId) {
      throw new ProblemException(
        HttpStatus.CONFLICT,
        ErrorCode.NotAReply,
        'The chatroom has no messages yet; there is nothing to fork',
      );
    }
    const forkPoint = await this.forkPoint(userId, sourceId, upToId);
    const forked = await this.dataSource.transaction(async (manager) => {
      await this.chatrooms.lockOwner(manager, userId);
      // The copy keeps the source's settings as they are, even ones the tier no longer allows (replies adjust them).
      const created = await this.chatrooms.insert(manager, userId, {
        title: request.title
          ? { text: request.title, source: TitleSource.User }
          : { text: forkTitle(source.title), source: TitleSource.Fork },
        settings: {
          systemInstruction: source.systemInstruction,
          model: source.model,
          temperature: source.temperature,
          maxOutputTokens: source.maxOutputTokens,
        },
      });
      const { open } = await this.tree.copyPath(
        manager,
        { userId, chatroomId: sourceId, upToId: forkPoint.id },
        created.id,
      );
      if (open > 0) throw replyNotFinal();
      return created;
    });
    await this.listCache.invalidate(userId);
    return this.details.describe(await this.chatrooms.get(userId, forked.id), ownerTier);
  }

  private async forkPoint(userId: string, chatroomId: string, messageId: string): Promise<Message> {
    const message = await this.dataSource
      .getRepository(Message)
      .findOne({ where: { id: messageId, chatroomId, userId } });
    if (!message) {
      throw new ProblemException(HttpStatus.NOT_FOUND, ErrorCode.NotFound, `Message ${messageId} not found`);
    }
    if (message.role !== MessageRole.Model) {
      throw new ProblemException(
        HttpStatus.CONFLICT,
        ErrorCode.NotAReply,
        'Fork from a reply: the new chatroom continues after it',
      );
    }
    if (!isFinalStatus(message.status)) throw replyNotFinal();
    return message;
  }
}

const replyNotFinal = (): ProblemException =>
  new ProblemException(
    HttpStatus.CONFLICT,
    ErrorCode.ReplyNotFinal,
    'A reply on that path is still being generated; fork once it is final (or cancel it)',
  );

const FORK_SUFFIX = ' (fork)';

/** "<title> (fork)", the title shortened so the whole fits a chatroom title. */
function forkTitle(title: string): string {
  const room = CHATROOM_TITLE_MAX_LENGTH - FORK_SUFFIX.length;
  return [...title].slice(0, room).join('') + FORK_SUFFIX;
}
