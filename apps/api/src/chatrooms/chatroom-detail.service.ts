import { Message } from '@app/database';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { MessageResponse } from '../messages/dto/message.dto';
import { ChatroomsService } from './chatrooms.service';
import { ChatroomResponse } from './dto/chatroom.dto';
import { ChatroomDetailResponse } from './dto/chatroom-detail.dto';

const RECENT_MESSAGES = 20;

@Injectable()
export class ChatroomDetailService {
  constructor(
    private readonly chatrooms: ChatroomsService,
    @InjectRepository(Message) private readonly messages: Repository<Message>,
  ) {}

  async get(userId: string, id: string): Promise<ChatroomDetailResponse> {
    const chatroom = await this.chatrooms.get(userId, id);
    const recent = await this.messages.find({
      where: { chatroomId: id, userId },
      order: { seq: 'DESC' },
      take: RECENT_MESSAGES,
    });
    return {
      ...ChatroomResponse.from(chatroom),
      recentMessages: recent.reverse().map((message) => MessageResponse.from(message)),
    };
  }
}
