import { APP_CONFIG, AppConfig } from '@app/config';
import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { createSecretKey } from 'node:crypto';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AuthenticatedUser } from './current-user.decorator';
import {
  ACCESS_TOKEN_TYPE,
  AccessTokenClaims,
  JWT_AUDIENCE,
  JWT_ISSUER,
  TokenService,
} from './token.service';

/**
 * Bearer tokens from the Authorization header only, HS256 only (so `alg: none` and key-confusion tricks fail),
 * issuer and audience checked, and the session behind the token must still be live.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy) {
  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly tokens: TokenService,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // A KeyObject, made once: given a string, jsonwebtoken first tries (and fails) to parse it as a PEM public key
      // on every verification, which cost a third of the api's CPU on an authenticated GET (docs/benchmarks.md).
      // @types/passport-jwt only lists string | Buffer; jsonwebtoken takes a KeyObject.
      secretOrKey: createSecretKey(Buffer.from(config.auth.jwtSecret, 'utf8')) as unknown as Buffer,
      algorithms: ['HS256'],
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      ignoreExpiration: false,
    });
  }

  async validate(claims: Partial<AccessTokenClaims>): Promise<AuthenticatedUser> {
    if (
      claims.typ !== ACCESS_TOKEN_TYPE ||
      typeof claims.sub !== 'string' ||
      typeof claims.sid !== 'string'
    ) {
      throw new UnauthorizedException('Not an access token');
    }
    if (!(await this.tokens.isSessionActive(claims.sid, claims.sub))) {
      throw new UnauthorizedException('Session has ended; log in again');
    }
    return { id: claims.sub, sessionId: claims.sid };
  }
}
