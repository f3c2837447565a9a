export * from './queue.contract';
export * from './redis-connection';
export * from './redis-keys';
export * from './reply-jobs';
export * from './reply-stream';
