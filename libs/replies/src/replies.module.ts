import { Module } from '@nestjs/common';
import { ReplyChannel } from './reply-channel';
import { ReplyLifecycle } from './reply-lifecycle';
import { ReplyRepository } from './reply-repository';

/** The reply engine, for both apps. Needs the app's `RedisModule` and `DatabaseModule`. */
@Module({
  providers: [ReplyRepository, ReplyChannel, ReplyLifecycle],
  exports: [ReplyLifecycle, ReplyChannel, ReplyRepository],
})
export class RepliesModule {}
