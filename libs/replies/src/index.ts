export * from './conversation-tree';
export * from './replies.module';
export * from './reply-channel';
export * from './reply-context';
export * from './reply-lifecycle';
export * from './reply-repository';
export * from './reply-status';
export * from './reply-stream.protocol';
