import pino from 'pino';

/**
 * Standard output written asynchronously: under load, log lines are batched into a few writes instead of one
 * blocking write each. pino flushes whatever is still buffered when the process exits.
 */
export function asyncStdout(): pino.DestinationStream {
  return pino.destination({ dest: 1, sync: false });
}
