import { createHash, timingSafeEqual } from 'node:crypto';

/** Compares digests, so neither the length nor the content of a secret leaks through timing. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string): Buffer => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** True when an `Authorization` header is `Bearer <token>` with exactly the configured token. */
export function bearerTokenMatches(authorization: string | undefined, token: string): boolean {
  const match = /^Bearer (\S+)$/i.exec(authorization ?? '');
  return match !== null && sameSecret(match[1], token);
}

/** True when an `Authorization` header is HTTP Basic with exactly the configured user name and password. */
export function basicCredentialsMatch(
  authorization: string | undefined,
  username: string,
  password: string,
): boolean {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(authorization ?? '');
  if (!match) return false;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  if (separator < 0) return false;
  const userMatches = sameSecret(decoded.slice(0, separator), username);
  const passwordMatches = sameSecret(decoded.slice(separator + 1), password);
  return userMatches && passwordMatches;
}
