import type { JobsOptions, Queue } from 'bullmq';
import { GenerateReplyJobData, ReplyJobName, replyJobId } from './queue.contract';

/** Name of the custom backoff strategy the worker registers (exponential with full jitter, honouring Retry-After). */
export const REPLY_BACKOFF = 'gemini-backoff';

/** Retention of finished jobs; attempts are set per job by whoever enqueues it (GEMINI_MAX_ATTEMPTS, or what a re-enqueued reply has left). */
export const REPLY_JOB_OPTIONS: JobsOptions = {
  removeOnComplete: { age: 3600, count: 10_000 },
  removeOnFail: { age: 7 * 86_400, count: 10_000 },
};

/**
 * Adds the job that generates a reply. The job id is derived from the reply id, so a second add while the job
 * exists is ignored by BullMQ.
 */
export async function enqueueReply(
  queue: Queue,
  replyId: string,
  options: { attempts: number; requestId?: string },
): Promise<void> {
  const data: GenerateReplyJobData = {
    replyId,
    ...(options.requestId ? { requestId: options.requestId } : {}),
  };
  await queue.add(ReplyJobName.Generate, data, {
    ...REPLY_JOB_OPTIONS,
    jobId: replyJobId(replyId),
    attempts: options.attempts,
    backoff: { type: REPLY_BACKOFF },
  });
}
