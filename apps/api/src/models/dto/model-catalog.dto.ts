import { Tier } from '@app/database';
import { ApiProperty } from '@nestjs/swagger';

export class ModelOptionResponse {
  @ApiProperty({ example: 'gemini-2.5-flash' })
  id!: string;

  @ApiProperty({ description: 'Whether your tier may choose it for a chatroom' })
  available!: boolean;

  @ApiProperty({
    enum: Tier,
    enumName: 'Tier',
    isArray: true,
    example: ['basic', 'pro'],
    description: 'The tiers that may use it',
  })
  tiers!: Tier[];
}

export class RangeResponse {
  @ApiProperty({ example: 0 })
  min!: number;

  @ApiProperty({ example: 2 })
  max!: number;
}

export class GenerationLimitsResponse {
  @ApiProperty({ example: 2048, description: 'The highest `maxOutputTokens` your tier may set' })
  maxOutputTokens!: number;

  @ApiProperty({
    example: 2048,
    description: 'What a reply is capped to when its chatroom sets no `maxOutputTokens`',
  })
  defaultMaxOutputTokens!: number;

  @ApiProperty({ type: RangeResponse })
  temperature!: RangeResponse;

  @ApiProperty({ example: 4000, description: 'In Unicode code points' })
  systemInstructionMaxLength!: number;
}

export class ModelCatalogResponse {
  @ApiProperty({ enum: Tier, enumName: 'Tier', example: 'basic' })
  tier!: Tier;

  @ApiProperty({
    example: 'gemini-2.5-flash',
    description: 'What a chatroom without a model of its own uses',
  })
  defaultModel!: string;

  @ApiProperty({
    type: [ModelOptionResponse],
    description: 'Every configured model, and whether it is yours to use',
  })
  models!: ModelOptionResponse[];

  @ApiProperty({ type: GenerationLimitsResponse, description: "Your tier's bounds on chatroom settings" })
  limits!: GenerationLimitsResponse;
}
