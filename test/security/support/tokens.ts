import { createHmac } from 'node:crypto';

export interface JwtClaims {
  sub?: unknown;
  sid?: unknown;
  typ?: unknown;
  iss?: unknown;
  aud?: unknown;
  iat?: number;
  exp?: number;
  [claim: string]: unknown;
}

const base64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

export function decodeClaims(token: string): JwtClaims {
  const [, payload] = token.split('.');
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as JwtClaims;
}

/** An HS256 JWT, signed as the api signs them (or with any other secret). */
export function signHs256(claims: JwtClaims, secret: string): string {
  const unsigned = `${base64url({ alg: 'HS256', typ: 'JWT' })}.${base64url(claims)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

/** An unsigned JWT (`alg: none`), the classic attempt to skip signature checks. */
export function unsignedToken(claims: JwtClaims): string {
  return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.`;
}

export interface ForgedTokens {
  expired: string;
  wronglySigned: string;
  algNone: string;
}

/**
 * Three tokens built from a genuine one: the same user and live session, so each fails for exactly one reason.
 * `expired` has the right secret but an `exp` in the past; `wronglySigned` is current but signed with another secret;
 * `algNone` is current and unsigned.
 */
export function forgeFrom(genuine: string, secret: string): ForgedTokens {
  const claims = decodeClaims(genuine);
  const now = Math.floor(Date.now() / 1000);
  return {
    expired: signHs256({ ...claims, iat: now - 3600, exp: now - 60 }, secret),
    wronglySigned: signHs256(claims, `${secret}-but-not-the-one-the-api-uses`),
    algNone: unsignedToken(claims),
  };
}
