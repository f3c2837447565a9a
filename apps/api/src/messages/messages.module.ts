import { Message } from '@app/database';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ChatroomsModule } from '../chatrooms/chatrooms.module';
import { RepliesQueueModule } from '../queue/replies-queue.module';
import { QuotaModule } from '../quota/quota.module';
import { MessagesController } from './messages.controller';
import { MessagesService } from './messages.service';
import { ReplyEventsService } from './reply-events.service';
import { ReplyStreamReader } from './reply-stream.reader';

@Module({
  imports: [TypeOrmModule.forFeature([Message]), ChatroomsModule, RepliesQueueModule, QuotaModule],
  controllers: [MessagesController],
  providers: [MessagesService, ReplyStreamReader, ReplyEventsService],
})
export class MessagesModule {}
