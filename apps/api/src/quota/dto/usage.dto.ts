import { ApiProperty } from '@nestjs/swagger';
import { QuotaUsage } from '../prompt-quota.service';

export class UsageResponse {
  @ApiProperty({ example: 2, description: 'Prompts accepted today (UTC)' })
  used!: number;

  @ApiProperty({ example: 5 })
  limit!: number;

  @ApiProperty({ example: 3 })
  remaining!: number;

  @ApiProperty({ format: 'date-time', description: 'Next 00:00 UTC' })
  resetsAt!: string;
}

export function toUsageResponse(usage: QuotaUsage): UsageResponse {
  return {
    used: usage.used,
    limit: usage.limit,
    remaining: usage.remaining,
    resetsAt: usage.resetsAt.toISOString(),
  };
}
