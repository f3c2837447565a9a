import { Tier } from '@app/database';
import { ApiProperty } from '@nestjs/swagger';
import { UsageResponse } from '../../quota/dto/usage.dto';
import { MonthlyTokensResponse } from '../../usage/dto/usage-report.dto';

export class CheckoutResponse {
  @ApiProperty({
    example: 'https://checkout.stripe.com/c/pay/cs_test_a1b2c3',
    description: 'Send the browser here',
  })
  checkoutUrl!: string;

  @ApiProperty({ example: 'cs_test_a1b2c3' })
  sessionId!: string;
}

export class PortalResponse {
  @ApiProperty({ example: 'https://billing.stripe.com/p/session/test_a1b2c3' })
  url!: string;
}

export class SubscriptionStatusResponse {
  @ApiProperty({ enum: Tier, enumName: 'Tier' })
  tier!: Tier;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'active',
    description: "Stripe's subscription status; null if never subscribed",
  })
  status!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  currentPeriodEnd!: string | null;

  @ApiProperty()
  cancelAtPeriodEnd!: boolean;

  @ApiProperty({ type: UsageResponse, description: "Today's prompts (UTC day) against the daily limit" })
  usage!: UsageResponse;

  @ApiProperty({ type: MonthlyTokensResponse, description: "This month's tokens against the monthly budget" })
  tokens!: MonthlyTokensResponse;
}

export class WebhookAckResponse {
  @ApiProperty({ example: true })
  received!: boolean;

  @ApiProperty({ example: false, description: 'True when this event id was already processed' })
  duplicate!: boolean;
}
