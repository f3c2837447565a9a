export * from './queue.contract';
export * from './redis-connection';
export * from './redis-keys';
