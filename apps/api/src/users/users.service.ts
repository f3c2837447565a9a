import { Tier, User } from '@app/database';
import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { QueryFailedError, Repository } from 'typeorm';
import { ErrorCode, ProblemException } from '../common/problem';
import { toUsageResponse } from '../quota/dto/usage.dto';
import { PromptQuotaService } from '../quota/prompt-quota.service';
import { CurrentUserResponse, UserProfileResponse } from './dto/user-profile.dto';

export interface NewUser {
  mobile: string;
  name?: string | null;
  email?: string | null;
  passwordHash?: string | null;
}

const UNIQUE_VIOLATION = '23505';

@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly quota: PromptQuotaService,
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

  async create(newUser: NewUser): Promise<User> {
    try {
      return await this.users.save(
        this.users.create({
          mobile: newUser.mobile,
          name: newUser.name ?? null,
          email: newUser.email ?? null,
          passwordHash: newUser.passwordHash ?? null,
          tier: Tier.Basic,
        }),
      );
    } catch (error) {
      if (
        error instanceof QueryFailedError &&
        (error.driverError as { code?: string }).code === UNIQUE_VIOLATION
      ) {
        throw new ProblemException(
          HttpStatus.CONFLICT,
          ErrorCode.MobileAlreadyRegistered,
          'This mobile number is already registered; log in with /auth/send-otp',
        );
      }
      throw error;
    }
  }

  /** Login-or-register: the account of a number appears when its first login code is verified. */
  async findOrCreate(mobile: string): Promise<User> {
    await this.users
      .createQueryBuilder()
      .insert()
      .into(User)
      .values({ mobile, tier: Tier.Basic })
      .orIgnore()
      .execute();
    const user = await this.findByMobile(mobile);
    if (!user) throw new Error(`User ${mobile} vanished right after its insert`);
    return user;
  }

  async setPassword(userId: string, passwordHash: string): Promise<void> {
    await this.users.update({ id: userId }, { passwordHash });
  }

  async getProfile(userId: string): Promise<UserProfileResponse> {
    return UserProfileResponse.from(await this.getById(userId));
  }

  async getCurrentUser(userId: string): Promise<CurrentUserResponse> {
    const [profile, usage] = await Promise.all([this.getProfile(userId), this.quota.usage(userId)]);
    return { ...profile, usage: toUsageResponse(usage) };
  }
}
