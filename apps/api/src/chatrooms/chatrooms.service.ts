import { APP_CONFIG, AppConfig } from '@app/config';
import { Chatroom, Tier, TitleSource } from '@app/database';
import { ModelPolicy, SettingsViolation } from '@app/gemini';
import { OPEN_REPLY_STATUSES, ReplyLifecycle } from '@app/replies';
import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { decodeCursor, encodeCursor, PageQuery } from '../common/pagination';
import { ErrorCode, ProblemException } from '../common/problem';
import { CachedChatroomList, CacheStatus, ChatroomListCache } from './chatroom-list.cache';
import { ChatroomPageResponse, ChatroomResponse, ChatroomSettingsRequest } from './dto/chatroom.dto';

export const DEFAULT_TITLE = 'New chat';

/** A new chatroom: a title chosen by someone (else the default), generation settings. */
export interface NewChatroom {
  title?: { text: string; source: TitleSource };
  settings?: ChatroomSettingsRequest;
}

@Injectable()
export class ChatroomsService {
  constructor(
    @InjectRepository(Chatroom) private readonly chatrooms: Repository<Chatroom>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly listCache: ChatroomListCache,
    private readonly replies: ReplyLifecycle,
    private readonly models: ModelPolicy,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async create(userId: string, chatroom: NewChatroom): Promise<ChatroomResponse> {
    const created = await this.dataSource.transaction(async (manager) => {
      const tier = await this.lockOwner(manager, userId);
      this.assertAllowed(tier, chatroom.settings ?? {}, 'settings.');
      return this.insert(manager, userId, chatroom);
    });
    await this.listCache.invalidate(userId);
    return ChatroomResponse.from(created);
  }

  /**
   * Locks the owner's row for the rest of `manager`'s transaction, so that concurrent creations cannot pass the
   * chatroom cap between counting and inserting, and returns the owner's tier.
   */
  async lockOwner(manager: EntityManager, userId: string): Promise<Tier> {
    const [owner] = await manager.query<{ tier: Tier }[]>('SELECT tier FROM users WHERE id = $1 FOR UPDATE', [
      userId,
    ]);
    return owner.tier;
  }

  /** Inserts a chatroom within the cap, in a transaction that holds the owner's lock (`lockOwner`). */
  async insert(manager: EntityManager, userId: string, chatroom: NewChatroom): Promise<Chatroom> {
    const owned = await manager.count(Chatroom, { where: { userId } });
    if (owned >= this.config.chat.maxChatroomsPerUser) {
      throw new ProblemException(
        HttpStatus.CONFLICT,
        ErrorCode.ChatroomLimitReached,
        `You already have ${owned} chatrooms, the maximum; delete one to create another`,
      );
    }
    const settings = chatroom.settings ?? {};
    return manager.save(
      manager.create(Chatroom, {
        userId,
        title: chatroom.title?.text ?? DEFAULT_TITLE,
        titleSource: chatroom.title?.source ?? TitleSource.Default,
        systemInstruction: settings.systemInstruction ?? null,
        model: settings.model ?? null,
        temperature: settings.temperature ?? null,
        maxOutputTokens: settings.maxOutputTokens ?? null,
      }),
    );
  }

  /** Changes the settings given (null resets one to the default) after checking them against the owner's tier. */
  async updateSettings(
    userId: string,
    id: string,
    changes: ChatroomSettingsRequest,
  ): Promise<ChatroomResponse> {
    const { chatroom, ownerTier } = await this.getWithOwnerTier(userId, id);
    const merged = {
      systemInstruction:
        changes.systemInstruction === undefined ? chatroom.systemInstruction : changes.systemInstruction,
      model: changes.model === undefined ? chatroom.model : changes.model,
      temperature: changes.temperature === undefined ? chatroom.temperature : changes.temperature,
      maxOutputTokens:
        changes.maxOutputTokens === undefined ? chatroom.maxOutputTokens : changes.maxOutputTokens,
    };
    // Only what changes is checked: a setting the tier no longer allows may stay (replies then adjust it).
    this.assertAllowed(ownerTier, { model: changes.model, maxOutputTokens: changes.maxOutputTokens }, '');
    const saved = await this.chatrooms.save(Object.assign(chatroom, merged));
    await this.listCache.invalidate(userId);
    return ChatroomResponse.from(saved);
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

  /** The chatroom and its owner's tier, in one query; 404 when the chatroom is not the user's. */
  async getWithOwnerTier(userId: string, id: string): Promise<{ chatroom: Chatroom; ownerTier: Tier }> {
    const { entities, raw } = await this.chatrooms
      .createQueryBuilder('room')
      .innerJoin('room.user', 'owner')
      .addSelect('owner.tier', 'owner_tier')
      .where('room.id = :id AND room.user_id = :userId', { id, userId })
      .getRawAndEntities<{ owner_tier: Tier }>();
    const [chatroom] = entities;
    if (!chatroom) throw notFound(id);
    return { chatroom, ownerTier: raw[0].owner_tier };
  }

  async rename(userId: string, id: string, title: string): Promise<ChatroomResponse> {
    const chatroom = await this.get(userId, id);
    chatroom.title = title;
    chatroom.titleSource = TitleSource.User;
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

  /** `fieldPrefix` names where the settings sit in the request body, for field errors. */
  private assertAllowed(
    tier: Tier,
    settings: { model?: string | null; maxOutputTokens?: number | null },
    fieldPrefix: string,
  ): void {
    const [violation] = this.models.violations(tier, {
      model: settings.model ?? null,
      maxOutputTokens: settings.maxOutputTokens ?? null,
    });
    if (violation) throw settingsProblem(violation, fieldPrefix);
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

function settingsProblem(violation: SettingsViolation, fieldPrefix: string): ProblemException {
  switch (violation.kind) {
    case 'unknownModel': {
      const message = `model must be one of ${violation.models.join(', ')}`;
      return new ProblemException(HttpStatus.BAD_REQUEST, ErrorCode.ValidationFailed, message, {
        errors: [{ field: `${fieldPrefix}model`, message }],
      });
    }
    case 'modelNotInTier':
      return new ProblemException(
        HttpStatus.FORBIDDEN,
        ErrorCode.ModelNotAllowed,
        `${violation.model} is not available on the ${violation.tier} tier; see GET /models for yours`,
      );
    case 'maxOutputTokensTooHigh': {
      const message = `maxOutputTokens must be at most ${violation.max} on the ${violation.tier} tier`;
      return new ProblemException(HttpStatus.BAD_REQUEST, ErrorCode.ValidationFailed, message, {
        errors: [{ field: `${fieldPrefix}maxOutputTokens`, message }],
      });
    }
  }
}
