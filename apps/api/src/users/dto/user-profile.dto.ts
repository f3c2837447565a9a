import { Tier, User } from '@app/database';
import { ApiProperty } from '@nestjs/swagger';
import { UsageResponse } from '../../quota/dto/usage.dto';
import { MonthlyTokensResponse } from '../../usage/dto/usage-report.dto';

export class UserProfileResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: '+14155550123' })
  mobile!: string;

  @ApiProperty({ type: String, nullable: true, example: 'Ada Lovelace' })
  name!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'email', example: 'ada@example.com' })
  email!: string | null;

  @ApiProperty({ enum: Tier, enumName: 'Tier' })
  tier!: Tier;

  @ApiProperty({ description: 'Whether /auth/login with a password is possible' })
  hasPassword!: boolean;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  static from(user: User): UserProfileResponse {
    return {
      id: user.id,
      mobile: user.mobile,
      name: user.name,
      email: user.email,
      tier: user.tier,
      hasPassword: user.passwordHash !== null,
      createdAt: user.createdAt.toISOString(),
    };
  }
}

export class CurrentUserResponse extends UserProfileResponse {
  @ApiProperty({ type: UsageResponse, description: "Today's prompts (UTC day) against the daily limit" })
  usage!: UsageResponse;

  @ApiProperty({ type: MonthlyTokensResponse, description: "This month's tokens against the monthly budget" })
  tokens!: MonthlyTokensResponse;
}
