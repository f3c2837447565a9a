import { Controller, Headers, HttpCode, HttpStatus, Post, RawBodyRequest, Req } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiHeader,
  ApiOkResponse,
  ApiPayloadTooLargeResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ProblemResponse } from '../common/problem.dto';
import { Public } from '../common/public.decorator';
import { WebhookAckResponse } from './dto/subscription.dto';
import { StripeWebhookService } from './stripe-webhook.service';

export const STRIPE_WEBHOOK_PATH = '/webhook/stripe';

@ApiTags('subscriptions')
@Controller('webhook')
export class StripeWebhookController {
  constructor(private readonly webhooks: StripeWebhookService) {}

  @Public()
  @Post('stripe')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    operationId: 'receiveStripeWebhook',
    summary: 'Stripe webhook endpoint (called by Stripe, signed)',
    description:
      'Verifies `Stripe-Signature` over the raw body; idempotent by event id; unknown event types are acknowledged.',
  })
  @ApiHeader({ name: 'Stripe-Signature', required: true })
  @ApiOkResponse({
    type: WebhookAckResponse,
    description:
      'Applied, a duplicate, or a genuine event that cannot apply (acknowledged, with the reason stored)',
  })
  @ApiBadRequestResponse({
    description:
      'Missing or invalid signature (INVALID_WEBHOOK_SIGNATURE), or signed but not a proper event (INVALID_WEBHOOK_EVENT)',
    type: ProblemResponse,
  })
  @ApiPayloadTooLargeResponse({
    description: 'Body over STRIPE_WEBHOOK_BODY_LIMIT_BYTES',
    type: ProblemResponse,
  })
  @ApiServiceUnavailableResponse({ description: 'Billing is not configured', type: ProblemResponse })
  async receiveStripeWebhook(
    @Req() request: RawBodyRequest<FastifyRequest>,
    @Headers('stripe-signature') signature: string | undefined,
  ): Promise<WebhookAckResponse> {
    const outcome = await this.webhooks.handle(request.rawBody, signature);
    return { received: true, duplicate: outcome.duplicate };
  }
}
