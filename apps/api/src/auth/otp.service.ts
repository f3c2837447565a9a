import { APP_CONFIG, AppConfig } from '@app/config';
import { OtpChallenge, OtpPurpose } from '@app/database';
import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { returnedRows } from '@app/database';
import { generateOtp, OTP_MAX_FAILED_ATTEMPTS, OtpHasher } from './otp-code';

export interface IssuedOtp {
  code: string;
  expiresAt: Date;
}

@Injectable()
export class OtpService {
  private readonly hasher: OtpHasher;

  constructor(
    @InjectRepository(OtpChallenge) private readonly challenges: Repository<OtpChallenge>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.hasher = new OtpHasher(config.auth.jwtSecret);
  }

  /** A new code kills every live code of the same number and purpose. */
  async issue(mobile: string, purpose: OtpPurpose): Promise<IssuedOtp> {
    const code = generateOtp();
    const expiresAt = new Date(Date.now() + this.config.auth.otpTtlSeconds * 1000);
    await this.challenges.manager.transaction(async (manager) => {
      await manager.update(
        OtpChallenge,
        { mobile, purpose, consumedAt: IsNull() },
        { consumedAt: () => 'now()' },
      );
      await manager.insert(OtpChallenge, {
        mobile,
        purpose,
        codeHash: this.hasher.hash(mobile, purpose, code),
        expiresAt,
      });
    });
    return { code, expiresAt };
  }

  /**
   * True exactly once per code. Wrong, expired, exhausted and already used codes all answer false, the same way.
   * Consumption is one conditional UPDATE, so concurrent submissions of the right code yield one success.
   */
  async verify(mobile: string, purpose: OtpPurpose, code: string): Promise<boolean> {
    const live = await this.challenges
      .createQueryBuilder('otp')
      .where('otp.mobile = :mobile AND otp.purpose = :purpose', { mobile, purpose })
      .andWhere('otp.consumed_at IS NULL AND otp.expires_at > now()')
      .orderBy('otp.created_at', 'DESC')
      .getOne();
    if (!live) return false;

    if (!this.hasher.matches(live.codeHash, mobile, purpose, code)) {
      await this.challenges.query(
        `UPDATE otp_challenges
            SET failed_attempts = failed_attempts + 1,
                consumed_at = CASE WHEN failed_attempts + 1 >= $2 THEN now() ELSE consumed_at END
          WHERE id = $1 AND consumed_at IS NULL`,
        [live.id, OTP_MAX_FAILED_ATTEMPTS],
      );
      return false;
    }

    const consumed = returnedRows<{ id: string }>(
      await this.challenges.query(
        `UPDATE otp_challenges SET consumed_at = now()
        WHERE id = $1 AND consumed_at IS NULL AND expires_at > now() AND failed_attempts < $2
        RETURNING id`,
        [live.id, OTP_MAX_FAILED_ATTEMPTS],
      ),
    );
    return consumed.length === 1;
  }
}
