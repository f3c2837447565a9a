import { Subscription, Tier, User } from '@app/database';
import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { ErrorCode, ProblemException } from '../common/problem';
import { UsageService } from '../usage/usage.service';
import { CheckoutResponse, SubscriptionStatusResponse } from './dto/subscription.dto';
import { notConfigured, StripeClient } from './stripe.client';

@Injectable()
export class SubscriptionsService {
  constructor(
    private readonly stripe: StripeClient,
    private readonly usage: UsageService,
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectRepository(Subscription) private readonly subscriptions: Repository<Subscription>,
  ) {}

  /**
   * Starts a Stripe Checkout for Pro. The user's Stripe customer is created here, server-side, and linked to the
   * user before anything is paid, so webhooks can always be matched back to the user.
   */
  async startProCheckout(userId: string): Promise<CheckoutResponse> {
    if (!this.stripe.configured) throw notConfigured();
    const user = await this.userOrFail(userId);
    if (user.tier === Tier.Pro) {
      throw new ProblemException(
        HttpStatus.CONFLICT,
        ErrorCode.AlreadyPro,
        'You are already on Pro; manage it in the billing portal',
      );
    }
    let customerId = user.stripeCustomerId;
    if (!customerId) {
      customerId = await this.stripe.createCustomer(user.id, user.mobile);
      await this.users.update({ id: user.id }, { stripeCustomerId: customerId });
    }
    const session = await this.stripe.createProCheckout(customerId, user.id);
    return { checkoutUrl: session.url, sessionId: session.id };
  }

  async openPortal(userId: string): Promise<string> {
    if (!this.stripe.configured) throw notConfigured();
    const user = await this.userOrFail(userId);
    if (!user.stripeCustomerId) {
      throw new ProblemException(
        HttpStatus.CONFLICT,
        ErrorCode.NoSubscription,
        'You have no billing account yet; subscribe with POST /subscribe/pro first',
      );
    }
    return this.stripe.createPortal(user.stripeCustomerId);
  }

  async status(userId: string): Promise<SubscriptionStatusResponse> {
    const user = await this.userOrFail(userId);
    const latest = await this.subscriptions.findOne({ where: { userId }, order: { updatedAt: 'DESC' } });
    return {
      tier: user.tier,
      status: latest?.status ?? null,
      currentPeriodEnd: latest?.currentPeriodEnd?.toISOString() ?? null,
      cancelAtPeriodEnd: latest?.cancelAtPeriodEnd ?? false,
      ...(await this.usage.summary(userId)),
    };
  }

  private async userOrFail(userId: string): Promise<User> {
    const user = await this.users.findOneBy({ id: userId });
    if (!user)
      throw new ProblemException(HttpStatus.UNAUTHORIZED, ErrorCode.Unauthorized, 'Account no longer exists');
    return user;
  }
}
