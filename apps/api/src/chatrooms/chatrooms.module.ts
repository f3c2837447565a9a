import { Chatroom, Message } from '@app/database';
import { ModelPolicyModule } from '@app/gemini';
import { RepliesModule } from '@app/replies';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BranchesService } from './branches.service';
import { ChatroomDetailService } from './chatroom-detail.service';
import { ChatroomListCache } from './chatroom-list.cache';
import { ChatroomsController } from './chatrooms.controller';
import { ChatroomsService } from './chatrooms.service';

@Module({
  imports: [TypeOrmModule.forFeature([Chatroom, Message]), RepliesModule, ModelPolicyModule],
  controllers: [ChatroomsController],
  providers: [ChatroomsService, ChatroomDetailService, BranchesService, ChatroomListCache],
  exports: [ChatroomsService, ChatroomListCache],
})
export class ChatroomsModule {}
