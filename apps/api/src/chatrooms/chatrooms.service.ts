import { APP_CONFIG, AppConfig } from '@app/config';
import { Chatroom, Tier } from '@app/database';
import { OPEN_REPLY_STATUSES, ReplyLifecycle } from '@app/replies';
import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { decodeCursor, encodeCursor, PageQuery } from '../common/pagination';
import { ErrorCode, ProblemException } from '../common/problem';
import { CachedChatroomList, CacheStatus, ChatroomListCache } from './chatroom-list.cache';
import { ChatroomPageResponse, ChatroomResponse } from './dto/chatroom.dto';

const DEFAULT_TITLE = 'New chat';

@Injectable()
export class ChatroomsService {
  constructor(
    @InjectRepository(Chatroom) private readonly chatrooms: Repository<Chatroom>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly listCache: ChatroomListCache,
    private readonly replies: ReplyLifecycle,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Counting and inserting under a lock on the owner's row, so concurrent creates cannot pass the cap. */
  async create(userId: string, title: string | undefined): Promise<ChatroomResponse> {
    const chatroom = await this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [userId]);
      const owned = await manager.count(Chatroom, { where: { userId } });
      if (owned >= this.config.chat.maxChatroomsPerUser) {
        throw new ProblemException(
          HttpStatus.CONFLICT,
          ErrorCode.ChatroomLimitReached,
          `You already have ${owned} chatrooms, the maximum; delete one to create another`,
        );
      }
      return manager.save(manager.create(Chatroom, { userId, title: title ?? DEFAULT_TITLE }));
    });
    await this.listCache.invalidate(userId);
    return ChatroomResponse.from(chatroom);
  }

  /**
   * Most recently active first, as the JSON of a ChatroomPageResponse. The whole (capped) list is cached per user;
   * pages are cut from it. `bypassCache` reads PostgreSQL whatever the cache holds, and refreshes the cache with what
   * it read.
   */
  async listJson(
    userId: string,
    page: PageQuery,
    options: { bypassCache?: boolean } = {},
  ): Promise<{ json: string; cache: CacheStatus }> {
    const cached = options.bypassCache ? undefined : await this.listCache.get(userId);
    if (cached) return { json: pageJson(cached, page, (all) => this.paginate(all, page)), cache: 'HIT' };
    const rows = await this.chatrooms.find({
      where: { userId },
      order: { lastActivityAt: 'DESC', id: 'DESC' },
      take: this.config.chat.maxChatroomsPerUser,
    });
    const all = rows.map((row) => ChatroomResponse.from(row));
    await this.listCache.set(userId, all);
    return { json: JSON.stringify(this.paginate(all, page)), cache: 'MISS' };
  }

  async get(userId: string, id: string): Promise<Chatroom> {
    const chatroom = await this.chatrooms.findOne({ where: { id, userId } });
    if (!chatroom) throw notFound(id);
    return chatroom;
  }

  /** The owner's tier, read with the ownership check in one query; 404 when the chatroom is not the user's. */
  async ownerTier(userId: string, id: string): Promise<Tier> {
    const [row] = await this.dataSource.query<{ tier: Tier }[]>(
      'SELECT users.tier FROM chatrooms JOIN users ON users.id = chatrooms.user_id WHERE chatrooms.id = $1 AND chatrooms.user_id = $2',
      [id, userId],
    );
    if (!row) throw notFound(id);
    return row.tier;
  }

  async rename(userId: string, id: string, title: string): Promise<ChatroomResponse> {
    const chatroom = await this.get(userId, id);
    chatroom.title = title;
    const saved = await this.chatrooms.save(chatroom);
    await this.listCache.invalidate(userId);
    return ChatroomResponse.from(saved);
  }

  /**
   * Deletes the chatroom and its messages (foreign key cascade). The chatroom's row is locked first, so no prompt
   * can be added meanwhile; the replies still open then get an `error` event on their streams and their
   * generation is stopped.
   */
  async remove(userId: string, id: string): Promise<void> {
    const openReplies = await this.dataSource.transaction(async (manager) => {
      const owned: unknown[] = await manager.query(
        'SELECT 1 FROM chatrooms WHERE id = $1 AND user_id = $2 FOR UPDATE',
        [id, userId],
      );
      if (owned.length === 0) throw notFound(id);
      const open = await manager.query<{ id: string }[]>(
        `SELECT id FROM messages WHERE chatroom_id = $1 AND role = 'model' AND status = ANY($2::message_status[])`,
        [id, OPEN_REPLY_STATUSES],
      );
      await manager.delete(Chatroom, { id });
      return open.map((reply) => reply.id);
    });
    await this.listCache.invalidate(userId);
    await this.replies.abandon(openReplies);
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

/**
 * The page of a cached list. A first page holding the whole list is the cached JSON as it is, inside the page's
 * object: the very bytes `JSON.stringify` gives for `{ items, nextCursor: null }`, without parsing 20 chatrooms only
 * to serialise them again (a fifth of the api's CPU on a cache HIT).
 */
export function pageJson(
  cached: CachedChatroomList,
  page: PageQuery,
  paginate: (all: ChatroomResponse[]) => ChatroomPageResponse,
): string {
  if (!page.cursor && cached.count <= page.limit) return `{"items":${cached.json},"nextCursor":null}`;
  return JSON.stringify(paginate(JSON.parse(cached.json) as ChatroomResponse[]));
}

const notFound = (id: string): ProblemException =>
  new ProblemException(HttpStatus.NOT_FOUND, ErrorCode.NotFound, `Chatroom ${id} not found`);
