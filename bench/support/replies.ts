import { sleep } from './http';
import { BenchStack } from './stack';

/** Replies not final yet (queued or generating). */
export async function backlog(stack: BenchStack): Promise<number> {
  const [row] = await stack.database.query<{ count: string }>(
    `SELECT count(*) FROM messages WHERE role = 'model' AND status IN ('queued', 'generating')`,
  );
  return Number(row.count);
}

/** Waits until every reply is final; fails after `timeoutMs`. */
export async function waitForDrain(stack: BenchStack, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while ((await backlog(stack)) > 0) {
    if (performance.now() > deadline) throw new Error(`replies still open after ${timeoutMs} ms`);
    await sleep(100);
  }
}
