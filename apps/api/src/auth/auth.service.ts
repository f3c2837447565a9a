import { APP_CONFIG, AppConfig } from '@app/config';
import { OtpPurpose } from '@app/database';
import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { ErrorCode, ProblemException } from '../common/problem';
import { UserProfileResponse } from '../users/dto/user-profile.dto';
import { UsersService } from '../users/users.service';
import { OtpIssuedResponse, SignupRequest, TokenResponse } from './dto/auth.dto';
import { OtpRateLimiter } from './otp-rate-limiter';
import { OtpService } from './otp.service';
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
    private readonly tokens: TokenService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async signup(request: SignupRequest): Promise<UserProfileResponse> {
    const passwordHash = request.password ? await this.passwords.hash(request.password) : null;
    const user = await this.users.create({ ...request, passwordHash });
    return UserProfileResponse.from(user);
  }

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

  async verifyOtp(mobile: string, otp: string): Promise<TokenResponse> {
    if (!(await this.otps.verify(mobile, OtpPurpose.Login, otp))) throw invalidOtp();
    const user = await this.users.findOrCreate(mobile);
    return this.tokenResponse(await this.tokens.startSession(user.id));
  }

  async login(mobile: string, password: string): Promise<TokenResponse> {
    const user = await this.users.findByMobile(mobile);
    if (!(await this.passwords.verify(user?.passwordHash, password)) || !user) {
      throw new ProblemException(
        HttpStatus.UNAUTHORIZED,
        ErrorCode.InvalidCredentials,
        'Mobile number or password is wrong',
      );
    }
    return this.tokenResponse(await this.tokens.startSession(user.id));
  }

  async resetPassword(mobile: string, otp: string, newPassword: string): Promise<void> {
    if (!(await this.otps.verify(mobile, OtpPurpose.PasswordReset, otp))) throw invalidOtp();
    const user = await this.users.findByMobile(mobile);
    if (!user) throw invalidOtp();
    await this.users.setPassword(user.id, await this.passwords.hash(newPassword));
    await this.tokens.revokeAllSessions(user.id, RevocationReason.PasswordReset);
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
    await this.tokens.revokeAllSessions(user.id, RevocationReason.PasswordChanged, sessionId);
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
