import { Controller, Get, Post } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentUser, type AuthenticatedUser } from '../auth/current-user.decorator';
import { ProblemResponse } from '../common/problem.dto';
import { Authenticated } from '../common/public.decorator';
import { CheckoutResponse, PortalResponse, SubscriptionStatusResponse } from './dto/subscription.dto';
import { SubscriptionsService } from './subscriptions.service';

@ApiTags('subscriptions')
@Authenticated()
@Controller()
export class SubscriptionsController {
  constructor(private readonly subscriptions: SubscriptionsService) {}

  @Post('subscribe/pro')
  @ApiOperation({
    operationId: 'subscribePro',
    summary: 'Start a Stripe Checkout for the Pro plan',
    description:
      'Send the browser to `checkoutUrl`; the tier changes when Stripe confirms the payment by webhook.',
  })
  @ApiCreatedResponse({ type: CheckoutResponse })
  @ApiConflictResponse({ description: 'Already on Pro', type: ProblemResponse })
  @ApiServiceUnavailableResponse({ description: 'Billing is not configured', type: ProblemResponse })
  subscribePro(@CurrentUser() user: AuthenticatedUser): Promise<CheckoutResponse> {
    return this.subscriptions.startProCheckout(user.id);
  }

  @Post('subscription/portal')
  @ApiOperation({
    operationId: 'openBillingPortal',
    summary: 'Open the Stripe Billing Portal (cancel, change card)',
  })
  @ApiCreatedResponse({ type: PortalResponse })
  @ApiConflictResponse({ description: 'No billing account yet', type: ProblemResponse })
  @ApiServiceUnavailableResponse({ description: 'Billing is not configured', type: ProblemResponse })
  async openBillingPortal(@CurrentUser() user: AuthenticatedUser): Promise<PortalResponse> {
    return { url: await this.subscriptions.openPortal(user.id) };
  }

  @Get('subscription/status')
  @ApiOperation({
    operationId: 'getSubscriptionStatus',
    summary: "Your tier, subscription and today's prompt usage",
  })
  @ApiOkResponse({ type: SubscriptionStatusResponse })
  getSubscriptionStatus(@CurrentUser() user: AuthenticatedUser): Promise<SubscriptionStatusResponse> {
    return this.subscriptions.status(user.id);
  }
}
