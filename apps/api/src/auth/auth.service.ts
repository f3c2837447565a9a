import { APP_CONFIG, AppConfig } from '@app/config';
import { OtpPurpose } from '@app/database';
import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ErrorCode, ProblemException } from '../common/problem';
import { UsersService } from '../users/users.service';
import { OtpIssuedResponse, TokenResponse, VerifyOtpRequest, VerifyOtpResponse } from './dto/auth.dto';
import { OtpRateLimiter } from './otp-rate-limiter';
import { OtpService } from './otp.service';
import { PasswordAttemptThrottle } from './password-attempt-throttle';
import { PasswordHasher } from './password-hasher';
import { RevocationReason, TokenPair, TokenService } from './token.service';

const invalidOtp = (): ProblemException =>
  new ProblemException(
    HttpStatus.UNAUTHORIZED,
    ErrorCode.InvalidOtp,
    'The code is wrong, expired or already used',
  );

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly otps: OtpService,
    private readonly otpLimiter: OtpRateLimiter,
    private readonly passwords: PasswordHasher,
    private readonly passwordAttempts: PasswordAttemptThrottle,
    private readonly tokens: TokenService,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Issues a code whether or not the number has an account (login-or-register, and for password resets so the
   * answer never tells whether a number is registered).
   */
  async requestOtp(mobile: string, purpose: OtpPurpose, ip: string): Promise<OtpIssuedResponse> {
    await this.otpLimiter.consume(mobile, purpose, ip);
    const { code, expiresAt } = await this.otps.issue(mobile, purpose);
    return {
      mobile,
      ...(this.config.auth.otpInResponse ? { otp: code } : {}),
      expiresAt: expiresAt.toISOString(),
      expiresIn: this.config.auth.otpTtlSeconds,
    };
  }

  /**
   * A verified code proves the number. It creates the account of an unknown number; for a number registered but
   * never proven (an account from before this rule), it claims the account: the password and sessions someone set
   * up without proof are gone, replaced by what the prover chose. Name, email and password are ignored otherwise.
   */
  async verifyOtp(request: VerifyOtpRequest): Promise<VerifyOtpResponse> {
    const { mobile, otp, name, email, password } = request;
    if (!(await this.otps.verify(mobile, OtpPurpose.Login, otp))) throw invalidOtp();
    const passwordHash = password ? await this.passwords.hash(password) : null;
    const proven = await this.dataSource.transaction(async (manager) => {
      const account = await this.users.recordProof(manager, mobile, { name, email, passwordHash });
      if (account.outcome === 'claimed') {
        await this.tokens.revokeAllSessions(account.user.id, RevocationReason.NumberProven, { manager });
      }
      return account;
    });
    const tokens = await this.tokenResponse(await this.tokens.startSession(proven.user.id));
    return { ...tokens, account: proven.outcome };
  }

  async login(mobile: string, password: string): Promise<TokenResponse> {
    await this.passwordAttempts.takeAttempt(mobile);
    const user = await this.users.findByMobile(mobile);
    const matches = await this.passwords.verify(user?.passwordHash, password);
    if (!matches || !user?.verifiedAt) {
      throw new ProblemException(
        HttpStatus.UNAUTHORIZED,
        ErrorCode.InvalidCredentials,
        'Mobile number or password is wrong',
      );
    }
    await this.passwordAttempts.succeeded(mobile);
    return this.tokenResponse(await this.tokens.startSession(user.id));
  }

  /** A reset code proves the number too, so it also verifies a never-proven account. */
  async resetPassword(mobile: string, otp: string, newPassword: string): Promise<void> {
    if (!(await this.otps.verify(mobile, OtpPurpose.PasswordReset, otp))) throw invalidOtp();
    const user = await this.users.findByMobile(mobile);
    if (!user) throw invalidOtp();
    const passwordHash = await this.passwords.hash(newPassword);
    await this.dataSource.transaction(async (manager) => {
      await this.users.setPassword(user.id, passwordHash, manager);
      await this.users.markVerified(manager, user.id);
      await this.tokens.revokeAllSessions(user.id, RevocationReason.PasswordReset, { manager });
    });
  }

  async changePassword(
    userId: string,
    sessionId: string,
    currentPassword: string | undefined,
    newPassword: string,
  ): Promise<void> {
    const user = await this.users.getById(userId);
    if (user.passwordHash) {
      if (!currentPassword) {
        throw new ProblemException(
          HttpStatus.BAD_REQUEST,
          ErrorCode.PasswordRequired,
          'currentPassword is required because the account has a password',
          { errors: [{ field: 'currentPassword', message: 'currentPassword is required' }] },
        );
      }
      if (!(await this.passwords.verify(user.passwordHash, currentPassword))) {
        throw new ProblemException(
          HttpStatus.UNAUTHORIZED,
          ErrorCode.InvalidCredentials,
          'Current password is wrong',
        );
      }
    }
    await this.users.setPassword(user.id, await this.passwords.hash(newPassword));
    await this.tokens.revokeAllSessions(user.id, RevocationReason.PasswordChanged, {
      keepSessionId: sessionId,
    });
  }

  async refresh(refreshToken: string): Promise<TokenResponse> {
    return this.tokenResponse(await this.tokens.rotate(refreshToken));
  }

  logout(sessionId: string): Promise<void> {
    return this.tokens.revokeSession(sessionId, RevocationReason.Logout);
  }

  private async tokenResponse(pair: TokenPair): Promise<TokenResponse> {
    return {
      accessToken: pair.accessToken,
      refreshToken: pair.refreshToken,
      tokenType: 'Bearer',
      expiresIn: pair.expiresIn,
      user: await this.users.getProfile(pair.userId),
    };
  }
}
