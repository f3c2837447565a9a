import { APP_CONFIG, AppConfig } from '@app/config';
import { Chatroom, Message, MessageStatus } from '@app/database';
import { RedisKeys } from '@app/queue';
import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import Redis from 'ioredis';
import { In, Repository } from 'typeorm';
import { decodeCursor, encodeCursor, PageQuery } from '../common/pagination';
import { ErrorCode, ProblemException } from '../common/problem';
import { REDIS } from '../redis/redis.module';
import { CacheStatus, ChatroomListCache } from './chatroom-list.cache';
import { ChatroomPageResponse, ChatroomResponse } from './dto/chatroom.dto';

const DEFAULT_TITLE = 'New chat';

@Injectable()
export class ChatroomsService {
  private readonly logger = new Logger(ChatroomsService.name);

  constructor(
    @InjectRepository(Chatroom) private readonly chatrooms: Repository<Chatroom>,
    @InjectRepository(Message) private readonly messages: Repository<Message>,
    private readonly listCache: ChatroomListCache,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async create(userId: string, title: string | undefined): Promise<ChatroomResponse> {
    const owned = await this.chatrooms.count({ where: { userId } });
    if (owned >= this.config.chat.maxChatroomsPerUser) {
      throw new ProblemException(
        HttpStatus.CONFLICT,
        ErrorCode.ChatroomLimitReached,
        `You already have ${owned} chatrooms, the maximum; delete one to create another`,
      );
    }
    const chatroom = await this.chatrooms.save(
      this.chatrooms.create({ userId, title: title ?? DEFAULT_TITLE }),
    );
    await this.listCache.invalidate(userId);
    return ChatroomResponse.from(chatroom);
  }

  /**
   * Most recently active first. The whole (capped) list is cached per user; pages are cut from it. `bypassCache`
   * reads PostgreSQL whatever the cache holds, and refreshes the cache with what it read.
   */
  async list(
    userId: string,
    page: PageQuery,
    options: { bypassCache?: boolean } = {},
  ): Promise<{ page: ChatroomPageResponse; cache: CacheStatus }> {
    let all = options.bypassCache ? undefined : await this.listCache.get(userId);
    const cache: CacheStatus = all ? 'HIT' : 'MISS';
    if (!all) {
      const rows = await this.chatrooms.find({
        where: { userId },
        order: { lastActivityAt: 'DESC', id: 'DESC' },
        take: this.config.chat.maxChatroomsPerUser,
      });
      all = rows.map((row) => ChatroomResponse.from(row));
      await this.listCache.set(userId, all);
    }
    return { page: this.paginate(all, page), cache };
  }

  async get(userId: string, id: string): Promise<Chatroom> {
    const chatroom = await this.chatrooms.findOne({ where: { id, userId } });
    if (!chatroom) {
      throw new ProblemException(HttpStatus.NOT_FOUND, ErrorCode.NotFound, `Chatroom ${id} not found`);
    }
    return chatroom;
  }

  async rename(userId: string, id: string, title: string): Promise<ChatroomResponse> {
    const chatroom = await this.get(userId, id);
    chatroom.title = title;
    const saved = await this.chatrooms.save(chatroom);
    await this.listCache.invalidate(userId);
    return ChatroomResponse.from(saved);
  }

  /** Deletes the chatroom and its messages (foreign key cascade), and stops generations still running in it. */
  async remove(userId: string, id: string): Promise<void> {
    const inFlight = await this.messages.find({
      select: { id: true },
      where: { chatroomId: id, userId, status: In([MessageStatus.Queued, MessageStatus.Generating]) },
    });
    const result = await this.chatrooms.delete({ id, userId });
    if (!result.affected) {
      throw new ProblemException(HttpStatus.NOT_FOUND, ErrorCode.NotFound, `Chatroom ${id} not found`);
    }
    await this.listCache.invalidate(userId);
    await Promise.all(
      inFlight.map((reply) =>
        this.redis.publish(this.keys.replyCancelChannel(), reply.id).catch((error: unknown) => {
          this.logger.warn(
            { err: error, replyId: reply.id },
            'Could not ask workers to stop a deleted reply',
          );
        }),
      ),
    );
  }

  private paginate(all: ChatroomResponse[], page: PageQuery): ChatroomPageResponse {
    let start = 0;
    if (page.cursor) {
      const after = decodeCursor(page.cursor);
      const afterTime = after.at.getTime();
      start = all.findIndex((chatroom) => {
        const time = Date.parse(chatroom.lastActivityAt);
        return time < afterTime || (time === afterTime && chatroom.id < after.id);
      });
      if (start === -1) start = all.length;
    }
    const items = all.slice(start, start + page.limit);
    const last = items.at(-1);
    const hasMore = start + page.limit < all.length;
    return {
      items,
      nextCursor: hasMore && last ? encodeCursor({ at: new Date(last.lastActivityAt), id: last.id }) : null,
    };
  }
}
