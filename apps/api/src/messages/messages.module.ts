import { Message } from '@app/database';
import { ModelPolicyModule } from '@app/gemini';
import { RepliesModule } from '@app/replies';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ChatroomsModule } from '../chatrooms/chatrooms.module';
import { RepliesQueueModule } from '../queue/replies-queue.module';
import { QuotaModule } from '../quota/quota.module';
import { UsageModule } from '../usage/usage.module';
import { MessagesController } from './messages.controller';
import { MessagesService } from './messages.service';
import { TurnsService } from './turns.service';
import { ReplyEventsService } from './reply-events.service';
import { ReplyEventHub } from './reply-event-hub';
import { StreamLeases } from './stream-leases';

@Module({
  imports: [
    TypeOrmModule.forFeature([Message]),
    RepliesModule,
    ChatroomsModule,
    RepliesQueueModule,
    QuotaModule,
    UsageModule,
    ModelPolicyModule,
  ],
  controllers: [MessagesController],
  providers: [MessagesService, TurnsService, ReplyEventHub, StreamLeases, ReplyEventsService],
})
export class MessagesModule {}
