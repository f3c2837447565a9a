import { Message, MessageRole } from '@app/database';
import { ConversationTree, isFinalStatus, ReplyLifecycle } from '@app/replies';
import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { ChatroomsService } from '../chatrooms/chatrooms.service';
import { PageQuery } from '../common/pagination';
import { ErrorCode, ProblemException } from '../common/problem';
import { MessagePageResponse, PathMessageResponse } from './dto/message.dto';
import { decodeMessageCursor, encodeMessageCursor } from './message-cursor';
import { StreamLease, StreamLeases } from './stream-leases';

/** Reading a conversation's messages, following and cancelling replies. Adding turns: TurnsService. */
@Injectable()
export class MessagesService {
  constructor(
    @InjectRepository(Message) private readonly messages: Repository<Message>,
    private readonly replies: ReplyLifecycle,
    private readonly tree: ConversationTree,
    private readonly leases: StreamLeases,
    private readonly chatrooms: ChatroomsService,
  ) {}

  /** The active branch, newest first, each message with its versions. */
  async list(userId: string, chatroomId: string, page: PageQuery): Promise<MessagePageResponse> {
    await this.chatrooms.get(userId, chatroomId);
    const path = await this.tree.activePath(userId, chatroomId, {
      fromId: page.cursor ? decodeMessageCursor(page.cursor) : undefined,
      limit: page.limit,
    });
    return {
      items: path.messages.map((message) =>
        PathMessageResponse.fromPath(message, path.versions.get(message.id)),
      ),
      nextCursor: path.nextId ? encodeMessageCursor(path.nextId) : null,
    };
  }

  async get(userId: string, chatroomId: string, messageId: string): Promise<Message> {
    const message = await this.messages.findOne({ where: { id: messageId, chatroomId, userId } });
    if (!message) {
      throw new ProblemException(HttpStatus.NOT_FOUND, ErrorCode.NotFound, `Message ${messageId} not found`);
    }
    return message;
  }

  /** Stops an open reply; it keeps, and its stream ends with, the text streamed so far. */
  async cancel(userId: string, chatroomId: string, messageId: string): Promise<Message> {
    const message = await this.get(userId, chatroomId, messageId);
    if (message.role !== MessageRole.Model) {
      throw new ProblemException(
        HttpStatus.CONFLICT,
        ErrorCode.ReplyAlreadyFinal,
        'Only replies can be cancelled',
      );
    }
    const cancelled = isFinalStatus(message.status) ? undefined : await this.replies.cancel(messageId);
    if (!cancelled) {
      const current = await this.get(userId, chatroomId, messageId);
      throw new ProblemException(
        HttpStatus.CONFLICT,
        ErrorCode.ReplyAlreadyFinal,
        `The reply is already ${current.status}; only queued or generating replies can be cancelled`,
      );
    }
    return cancelled;
  }

  /** Takes a stream slot for an SSE stream of one of the user's replies (404 first when it is not theirs). */
  async openStream(
    userId: string,
    chatroomId: string,
    messageId: string,
  ): Promise<{ reply: Message; lease: StreamLease }> {
    const reply = await this.get(userId, chatroomId, messageId);
    return { reply, lease: await this.leases.acquire(userId) };
  }
}
