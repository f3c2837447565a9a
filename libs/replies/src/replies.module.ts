import { Module } from '@nestjs/common';
import { ConversationTree } from './conversation-tree';
import { ReplyChannel } from './reply-channel';
import { ReplyLifecycle } from './reply-lifecycle';
import { ReplyRepository } from './reply-repository';

/** The reply engine and the conversation tree it writes, for both apps. Needs the app's `RedisModule` and `DatabaseModule`. */
@Module({
  providers: [ReplyRepository, ReplyChannel, ReplyLifecycle, ConversationTree],
  exports: [ReplyLifecycle, ReplyChannel, ReplyRepository, ConversationTree],
})
export class RepliesModule {}
