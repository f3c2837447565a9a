import { APP_CONFIG, AppConfig } from '@app/config';
import { RefreshToken, returnedRows, Session } from '@app/database';
import { REDIS, RedisKeys } from '@app/queue';
import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { InjectDataSource } from '@nestjs/typeorm';
import Redis from 'ioredis';
import { createHash, createSecretKey, KeyObject, randomBytes } from 'node:crypto';
import { DataSource, EntityManager, IsNull, Not } from 'typeorm';
import { ErrorCode, ProblemException } from '../common/problem';
import { AuthenticatedUser } from './current-user.decorator';
import { CLOCK_SKEW_SECONDS, SessionStates } from './session-states';
import { TokenSubject, VerifiedTokens } from './verified-tokens';

export const JWT_ISSUER = 'gemini-chat-backend';
export const JWT_AUDIENCE = 'gemini-chat-api';
export const ACCESS_TOKEN_TYPE = 'access';

export interface AccessTokenClaims {
  sub: string;
  sid: string;
  typ: typeof ACCESS_TOKEN_TYPE;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  userId: string;
  sessionId: string;
}

export enum RevocationReason {
  Logout = 'logout',
  RefreshTokenReuse = 'refresh_token_reuse',
  PasswordChanged = 'password_changed',
  PasswordReset = 'password_reset',
  /** The number's first OTP proof: sessions opened before it were not the owner's to open. */
  NumberProven = 'number_proven',
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/**
 * Sessions and their tokens. Access tokens are short-lived JWTs naming their session; refresh tokens are opaque,
 * stored hashed, single-use and rotated, and reusing one revokes its whole session.
 */
@Injectable()
export class TokenService {
  private readonly logger = new Logger(TokenService.name);
  /**
   * A KeyObject, made once: given a string, jsonwebtoken first tries (and fails) to parse it as a PEM public key on
   * every verification, which cost a third of the api's CPU on an authenticated GET (docs/benchmarks.md).
   */
  private readonly verificationKey: KeyObject;
  private readonly verifiedTokens = new VerifiedTokens();

  constructor(
    private readonly jwt: JwtService,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly sessionStates: SessionStates,
  ) {
    this.verificationKey = createSecretKey(Buffer.from(config.auth.jwtSecret, 'utf8'));
  }

  /**
   * Who a bearer token belongs to, or undefined when it is not one of our live access tokens: HS256 only (so
   * `alg: none` and key confusion fail), issuer, audience and type checked, `exp` and `iat` required and no further
   * apart than the lifetime this api issues, and the session behind it still live.
   */
  async authenticate(accessToken: string): Promise<AuthenticatedUser | undefined> {
    const subject = this.verifiedSubject(accessToken);
    if (!subject) return undefined;
    return (await this.isSessionActive(subject.sessionId, subject.userId))
      ? { id: subject.userId, sessionId: subject.sessionId }
      : undefined;
  }

  private verifiedSubject(accessToken: string): TokenSubject | undefined {
    const now = Date.now() / 1000;
    const known = this.verifiedTokens.get(accessToken, Math.floor(now));
    if (known) return known;
    let claims: Record<string, unknown>;
    try {
      claims = this.jwt.verify<Record<string, unknown>>(accessToken, {
        // @nestjs/jwt types the key as string | Buffer; jsonwebtoken takes a KeyObject.
        secret: this.verificationKey as unknown as Buffer,
        algorithms: ['HS256'],
        issuer: JWT_ISSUER,
        audience: JWT_AUDIENCE,
      });
    } catch {
      return undefined;
    }
    const { sub, sid, typ, iat, exp } = claims;
    const wellFormed =
      typ === ACCESS_TOKEN_TYPE &&
      typeof sub === 'string' &&
      UUID.test(sub) &&
      typeof sid === 'string' &&
      UUID.test(sid) &&
      typeof iat === 'number' &&
      typeof exp === 'number' &&
      iat <= now + CLOCK_SKEW_SECONDS &&
      exp - iat <= this.config.auth.accessTokenTtlSeconds;
    if (!wellFormed) return undefined;
    const subject = { userId: sub, sessionId: sid, expiresAt: exp };
    this.verifiedTokens.remember(accessToken, subject);
    return subject;
  }

  async startSession(userId: string): Promise<TokenPair> {
    const days = this.config.auth.refreshTokenTtlDays;
    const session = await this.dataSource.getRepository(Session).save({
      userId,
      expiresAt: new Date(Date.now() + days * 86_400_000),
      revokedAt: null,
      revokedReason: null,
    });
    return this.issuePair(userId, session.id);
  }

  /** Exchanges a refresh token for a new pair. Exactly one of several concurrent exchanges of one token succeeds. */
  async rotate(refreshToken: string): Promise<TokenPair> {
    const tokenHash = hashToken(refreshToken);
    const rotated = returnedRows<{ session_id: string; user_id: string }>(
      await this.dataSource.query(
        `UPDATE refresh_tokens AS token SET rotated_at = now()
         FROM sessions AS session
        WHERE token.token_hash = $1 AND token.rotated_at IS NULL
          AND session.id = token.session_id AND session.revoked_at IS NULL AND session.expires_at > now()
        RETURNING token.session_id, session.user_id`,
        [tokenHash],
      ),
    );

    if (rotated.length === 1) return this.issuePair(rotated[0].user_id, rotated[0].session_id);

    const known = await this.dataSource
      .getRepository(RefreshToken)
      .findOne({ where: { tokenHash, rotatedAt: Not(IsNull()) } });
    if (known) await this.revokeSession(known.sessionId, RevocationReason.RefreshTokenReuse);
    throw new ProblemException(
      HttpStatus.UNAUTHORIZED,
      ErrorCode.InvalidRefreshToken,
      'Refresh token is invalid, expired or already used; log in again',
    );
  }

  /** Redis learns of the revocation first: when it cannot, the call fails and the session stays as it was. */
  async revokeSession(sessionId: string, reason: RevocationReason): Promise<void> {
    await this.sessionStates.markRevoked([sessionId]);
    await this.dataSource
      .getRepository(Session)
      .update({ id: sessionId, revokedAt: IsNull() }, { revokedAt: () => 'now()', revokedReason: reason });
    await this.announceRevoked([sessionId]);
  }

  /**
   * Revokes every live session of the user, except `keepSessionId` when given; in `manager`'s transaction if given,
   * else in one of its own, so that the revoked sessions are marked in Redis before the revocation commits.
   */
  async revokeAllSessions(
    userId: string,
    reason: RevocationReason,
    options: { keepSessionId?: string; manager?: EntityManager } = {},
  ): Promise<void> {
    const { keepSessionId, manager } = options;
    const revoke = async (transaction: EntityManager): Promise<string[]> => {
      const query = transaction
        .createQueryBuilder()
        .update(Session)
        .set({ revokedAt: () => 'now()', revokedReason: reason })
        .where('user_id = :userId AND revoked_at IS NULL', { userId });
      if (keepSessionId) query.andWhere('id <> :keepSessionId', { keepSessionId });
      const result = await query.returning('id').execute();
      const revoked = (result.raw as { id: string }[]).map((row) => row.id);
      await this.sessionStates.markRevoked(revoked);
      return revoked;
    };
    const revoked = manager ? await revoke(manager) : await this.dataSource.transaction(revoke);
    await this.announceRevoked(revoked);
  }

  /**
   * Tells every api process, so streams and waits opened with these sessions end at once (the per-request session
   * check covers everything else). Best effort: the row is already revoked.
   */
  private async announceRevoked(sessionIds: string[]): Promise<void> {
    const channel = this.keys.sessionRevokedChannel();
    await Promise.all(sessionIds.map((id) => this.redis.publish(channel, id))).catch((error: unknown) =>
      this.logger.warn({ err: error }, 'Could not announce revoked sessions'),
    );
  }

  /**
   * The per-request check behind every access token: its session must still be live, and its account proven (a
   * session of a never-verified account, opened with a password set before proof, is worth nothing). Answered by
   * Redis when it knows (SessionStates), else by PostgreSQL, whose answer Redis then keeps.
   */
  async isSessionActive(sessionId: string, userId: string): Promise<boolean> {
    const known = await this.sessionStates.isLive(sessionId, userId);
    if (known !== undefined) return known;
    const rows = await this.dataSource.query<{ expires_at: Date }[]>(
      `SELECT sessions.expires_at FROM sessions JOIN users ON users.id = sessions.user_id
        WHERE sessions.id = $1 AND sessions.user_id = $2 AND sessions.revoked_at IS NULL
          AND sessions.expires_at > now() AND users.verified_at IS NOT NULL`,
      [sessionId, userId],
    );
    if (rows.length !== 1) return false;
    this.sessionStates.rememberLive(sessionId, userId, rows[0].expires_at);
    return true;
  }

  private async issuePair(userId: string, sessionId: string): Promise<TokenPair> {
    const refreshToken = randomBytes(32).toString('base64url');
    await this.dataSource
      .getRepository(RefreshToken)
      .insert({ sessionId, tokenHash: hashToken(refreshToken) });
    const claims: AccessTokenClaims = { sub: userId, sid: sessionId, typ: ACCESS_TOKEN_TYPE };
    const expiresIn = this.config.auth.accessTokenTtlSeconds;
    const accessToken = await this.jwt.signAsync(claims, {
      algorithm: 'HS256',
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      expiresIn,
    });
    return { accessToken, refreshToken, expiresIn, userId, sessionId };
  }
}
