import { QueryFailedError, QueryRunnerAlreadyReleasedError } from 'typeorm';
import { isDependencyOutage } from './dependency-outage';

const withCode = (message: string, code: string): Error => Object.assign(new Error(message), { code });

describe('isDependencyOutage', () => {
  it.each([
    ['PostgreSQL refusing connections', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    [
      'PostgreSQL ending sessions on shutdown',
      withCode('terminating connection due to administrator command', '57P01'),
    ],
    ['a pooled connection dropped', new Error('Connection terminated unexpectedly')],
    ['a transaction whose connection dropped before its commit', new QueryRunnerAlreadyReleasedError()],
    ['the pool waiting too long for a connection', new Error('timeout exceeded when trying to connect')],
    [
      'Redis refusing commands while offline',
      new Error("Stream isn't writeable and enableOfflineQueue options is false"),
    ],
    [
      'Redis giving up on a command',
      new Error('Reached the max retries per request limit (which is 1). MaxRetriesPerRequest'),
    ],
  ])('counts %s as an outage', (_name, error) => {
    expect(isDependencyOutage(error)).toBe(true);
  });

  it.each([
    ['a unique violation', new QueryFailedError('INSERT', [], withCode('duplicate key value', '23505'))],
    ['a programming error', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['something that is not an Error', 'ECONNREFUSED'],
  ])('does not count %s as an outage', (_name, error) => {
    expect(isDependencyOutage(error)).toBe(false);
  });
});
