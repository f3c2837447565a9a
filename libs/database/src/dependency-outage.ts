const OUTAGE_MESSAGES =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Connection is closed|Stream isn't writeable|enableOfflineQueue|Command timed out|MaxRetriesPerRequest|Driver not Connected|Connection terminated|timeout exceeded when trying to connect|the database system is (shutting down|starting up)|terminating connection/i;

/** PostgreSQL's admin_shutdown: the server is stopping and ended the session. */
const ADMIN_SHUTDOWN = '57P01';

/**
 * TypeORM releases a transaction's connection when the connection fails, so the statement after the failure (often
 * the COMMIT) reports this instead of the network error. Nothing in the apps releases a runner while using it.
 */
const RUNNER_RELEASED = 'QueryRunnerAlreadyReleasedError';

/**
 * Whether an error says PostgreSQL or Redis is unreachable: an outage, worth retrying once it is over, not a bug.
 * The api answers such errors with 503; the worker puts the job back without spending one of its attempts.
 */
export function isDependencyOutage(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return (
    error.name === RUNNER_RELEASED ||
    OUTAGE_MESSAGES.test(error.message) ||
    (typeof code === 'string' && OUTAGE_MESSAGES.test(code)) ||
    code === ADMIN_SHUTDOWN
  );
}
