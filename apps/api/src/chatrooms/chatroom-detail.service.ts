import { Chatroom, Tier } from '@app/database';
import { ModelPolicy } from '@app/gemini';
import { ConversationTree } from '@app/replies';
import { Injectable } from '@nestjs/common';
import { PathMessageResponse } from '../messages/dto/message.dto';
import { ChatroomsService } from './chatrooms.service';
import { ChatroomResponse } from './dto/chatroom.dto';
import { ChatroomDetailResponse, ChatroomGenerationResponse } from './dto/chatroom-detail.dto';

const RECENT_MESSAGES = 20;

@Injectable()
export class ChatroomDetailService {
  constructor(
    private readonly chatrooms: ChatroomsService,
    private readonly tree: ConversationTree,
    private readonly models: ModelPolicy,
  ) {}

  async get(userId: string, id: string): Promise<ChatroomDetailResponse> {
    const { chatroom, ownerTier } = await this.chatrooms.getWithOwnerTier(userId, id);
    return this.describe(chatroom, ownerTier);
  }

  /** The chatroom with the end of its active branch and what its next reply will be generated with. */
  async describe(chatroom: Chatroom, ownerTier: Tier): Promise<ChatroomDetailResponse> {
    const { messages, versions } = await this.tree.activePath(chatroom.userId, chatroom.id, {
      limit: RECENT_MESSAGES,
    });
    return {
      ...ChatroomResponse.from(chatroom),
      generation: ChatroomGenerationResponse.from(this.models.resolve(ownerTier, chatroom)),
      recentMessages: messages
        .reverse()
        .map((message) => PathMessageResponse.fromPath(message, versions.get(message.id))),
    };
  }
}
