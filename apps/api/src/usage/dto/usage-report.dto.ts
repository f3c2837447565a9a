import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export class UsageReportQuery {
  @ApiPropertyOptional({
    example: '2026-12-01',
    description: 'First day (UTC, YYYY-MM-DD); default: the 1st of this month',
  })
  @IsOptional()
  @Matches(DATE, { message: 'from must be a date such as 2026-12-01' })
  from?: string;

  @ApiPropertyOptional({
    example: '2026-12-31',
    description: 'Last day, included; default: today. At most 366 days after `from`.',
  })
  @IsOptional()
  @Matches(DATE, { message: 'to must be a date such as 2026-12-31' })
  to?: string;
}

export class UsageCountersResponse {
  @ApiProperty({ example: 4, description: 'Prompts accepted: new prompts, edits and regenerations' })
  prompts!: number;

  @ApiProperty({ example: 3 })
  repliesCompleted!: number;

  @ApiProperty({ example: 1 })
  repliesFailed!: number;

  @ApiProperty({ example: 0 })
  repliesCancelled!: number;

  @ApiProperty({ example: 812 })
  promptTokens!: number;

  @ApiProperty({ example: 1024 })
  outputTokens!: number;

  @ApiProperty({ example: 256, description: 'Tokens Gemini spent thinking, where it reports them' })
  thinkingTokens!: number;

  @ApiProperty({
    example: 2092,
    description: 'Prompt, output and thinking tokens: what the monthly budget counts',
  })
  totalTokens!: number;

  @ApiProperty({
    example: 40,
    description: 'Tokens the service spent for you (chatroom titles); not in your budget',
  })
  systemTokens!: number;
}

export class UsageDayResponse extends UsageCountersResponse {
  @ApiProperty({
    example: '2026-12-03',
    description: 'UTC day; a reply counts on the day its prompt was accepted',
  })
  day!: string;
}

export class UsageReportResponse {
  @ApiProperty({ example: '2026-12-01' })
  from!: string;

  @ApiProperty({ example: '2026-12-03' })
  to!: string;

  @ApiProperty({
    type: [UsageDayResponse],
    description: 'One row per day of the range, oldest first (zeros included)',
  })
  days!: UsageDayResponse[];

  @ApiProperty({ type: UsageCountersResponse, description: 'The sums of the days' })
  totals!: UsageCountersResponse;
}

export class MonthlyTokensResponse {
  @ApiProperty({
    example: 12400,
    description: "This month's tokens (UTC calendar month) used by stored replies",
  })
  used!: number;

  @ApiProperty({
    example: 2048,
    description: 'Reserved by replies still being generated (each reserves its output cap)',
  })
  reserved!: number;

  @ApiProperty({
    type: Number,
    nullable: true,
    example: 250000,
    description: 'The monthly budget; null: unlimited',
  })
  limit!: number | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    example: 235552,
    description: 'What is left to reserve; null: unlimited',
  })
  remaining!: number | null;

  @ApiProperty({ format: 'date-time', description: 'The 1st of next month, 00:00 UTC' })
  resetsAt!: string;
}
