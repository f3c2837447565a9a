import { APP_CONFIG, AppConfig } from '@app/config';
import { Chatroom, Message } from '@app/database';
import { ModelPolicyModule } from '@app/gemini';
import { RepliesModule } from '@app/replies';
import { createKeyvNonBlocking } from '@keyv/redis';
import { CacheModule } from '@nestjs/cache-manager';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BranchesService } from './branches.service';
import { ChatroomDetailService } from './chatroom-detail.service';
import { ChatroomListCache } from './chatroom-list.cache';
import { ChatroomsController } from './chatrooms.controller';
import { ChatroomsService } from './chatrooms.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([Chatroom, Message]),
    RepliesModule,
    ModelPolicyModule,
    // @keyv/redis is the maintained Redis store of cache-manager 7 (cache-manager-redis-yet targets cache-manager 5).
    // The non-blocking variant answers "not cached" at once when Redis is down instead of queueing commands.
    CacheModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        stores: [
          createKeyvNonBlocking(
            { url: config.redis.url, socket: { connectTimeout: 2000 } },
            { namespace: config.redis.prefix, keyPrefixSeparator: ':' },
          ),
        ],
        ttl: config.chat.chatroomCacheTtlSeconds * 1000,
      }),
    }),
  ],
  controllers: [ChatroomsController],
  providers: [ChatroomsService, ChatroomDetailService, BranchesService, ChatroomListCache],
  exports: [ChatroomsService, ChatroomListCache],
})
export class ChatroomsModule {}
