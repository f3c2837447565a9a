/** The contract between the api (producer) and the worker (consumer). Job data carries ids only. */
export enum QueueName {
  Replies = 'replies',
}

export enum ReplyJobName {
  Generate = 'generate-reply',
}

export interface GenerateReplyJobData {
  replyId: string;
  /** The api request that enqueued the job, so api and worker log lines can be joined. */
  requestId?: string;
}

/** BullMQ ignores a second add with the same job id while the first job exists: enqueueing twice is a no-op. */
export const replyJobId = (replyId: string): string => `reply-${replyId}`;
