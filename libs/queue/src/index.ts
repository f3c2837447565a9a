export * from './queue.contract';
export * from './redis-connection';
export * from './redis-keys';
export * from './redis-script';
export * from './redis.token';
export * from './reply-jobs';
export * from './redis.module';
