import { Tier, User } from '@app/database';
import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { ErrorCode, ProblemException } from '../common/problem';
import { UsageService } from '../usage/usage.service';
import { CurrentUserResponse, UserProfileResponse } from './dto/user-profile.dto';

/** What the prover of a number chose for an account it creates or claims. */
export interface AccountDetails {
  name?: string | null;
  email?: string | null;
  passwordHash?: string | null;
}

/** What a proof did: registered the number, claimed a never-verified account, or met an account already proven. */
export const ACCOUNT_OUTCOMES = ['created', 'claimed', 'existing'] as const;
export type AccountOutcome = (typeof ACCOUNT_OUTCOMES)[number];

export interface ProvenAccount {
  user: User;
  outcome: AccountOutcome;
}

@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly usage: UsageService,
  ) {}

  findByMobile(mobile: string): Promise<User | null> {
    return this.users.findOneBy({ mobile });
  }

  async getById(id: string): Promise<User> {
    const user = await this.users.findOneBy({ id });
    if (!user)
      throw new ProblemException(HttpStatus.UNAUTHORIZED, ErrorCode.Unauthorized, 'Account no longer exists');
    return user;
  }

  /**
   * Records that the number was just proven by an OTP, inside the caller's transaction. An unknown number gets its
   * account; a registered but never verified one is claimed: whatever was set before the proof (name, email,
   * password) is replaced by the prover's choice. An already verified account is left as it is.
   */
  async recordProof(manager: EntityManager, mobile: string, details: AccountDetails): Promise<ProvenAccount> {
    const chosen = {
      name: details.name ?? null,
      email: details.email ?? null,
      passwordHash: details.passwordHash ?? null,
      verifiedAt: () => 'now()',
    };
    const users = manager.getRepository(User);
    const created = await users
      .createQueryBuilder()
      .insert()
      .values({ mobile, tier: Tier.Basic, ...chosen })
      .orIgnore()
      .returning('id')
      .execute();
    if ((created.raw as unknown[]).length === 1)
      return { user: await this.getFrom(users, mobile), outcome: 'created' };

    const claimed = await users
      .createQueryBuilder()
      .update()
      .set(chosen)
      .where('mobile = :mobile AND verified_at IS NULL', { mobile })
      .returning('id')
      .execute();
    const outcome: AccountOutcome = (claimed.raw as unknown[]).length === 1 ? 'claimed' : 'existing';
    return { user: await this.getFrom(users, mobile), outcome };
  }

  /**
   * A password reset code proves the number as well as a login code does: on a never-verified account it drops the
   * name and email set before the proof (the caller replaces the password).
   */
  async markVerified(manager: EntityManager, userId: string): Promise<void> {
    await manager.query(
      `UPDATE users SET verified_at = now(), name = NULL, email = NULL WHERE id = $1 AND verified_at IS NULL`,
      [userId],
    );
  }

  async setPassword(userId: string, passwordHash: string, manager = this.users.manager): Promise<void> {
    await manager.update(User, { id: userId }, { passwordHash });
  }

  private async getFrom(users: Repository<User>, mobile: string): Promise<User> {
    const user = await users.findOneBy({ mobile });
    if (!user) throw new Error(`User ${mobile} vanished within its own transaction`);
    return user;
  }

  async getProfile(userId: string): Promise<UserProfileResponse> {
    return UserProfileResponse.from(await this.getById(userId));
  }

  async getCurrentUser(userId: string): Promise<CurrentUserResponse> {
    const [profile, summary] = await Promise.all([this.getProfile(userId), this.usage.summary(userId)]);
    return { ...profile, ...summary };
  }
}
