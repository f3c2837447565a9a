import { APP_CONFIG, AppConfig } from '@app/config';
import { Subscription, Tier, User } from '@app/database';
import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import Stripe from 'stripe';
import { DataSource, EntityManager } from 'typeorm';
import { ErrorCode, ProblemException } from '../common/problem';
import { returnedRows } from '@app/database';
import { Clock } from '../quota/clock';
import { notConfigured, StripeClient, SubscriptionSnapshot } from './stripe.client';
import { tierForSubscription } from './tier-policy';

export interface WebhookOutcome {
  duplicate: boolean;
}

/**
 * Applies Stripe webhooks. The signature is checked on the raw body. Subscription state is never taken from the
 * event payload: it is re-fetched from Stripe, so events can arrive late, twice or out of order and the stored state
 * still ends up as Stripe's current one. The event id is recorded in the same transaction as the change it causes.
 */
@Injectable()
export class StripeWebhookService {
  private readonly logger = new Logger(StripeWebhookService.name);

  constructor(
    private readonly stripe: StripeClient,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async handle(rawBody: Buffer | undefined, signature: string | undefined): Promise<WebhookOutcome> {
    if (!this.stripe.configured) throw notConfigured();
    const event = this.verify(rawBody, signature);
    const subscriptionId = subscriptionIdOf(event);
    const snapshot = subscriptionId ? await this.stripe.retrieveSubscription(subscriptionId) : undefined;

    return this.dataSource.transaction(async (manager) => {
      const inserted = returnedRows<{ id: string }>(
        await manager.query(
          `INSERT INTO stripe_events (id, type, stripe_created_at) VALUES ($1, $2, to_timestamp($3))
           ON CONFLICT (id) DO NOTHING RETURNING id`,
          [event.id, event.type, event.created],
        ),
      );
      if (inserted.length === 0) return { duplicate: true };
      if (snapshot) await this.apply(manager, snapshot, linkedUserId(event));
      else
        this.logger.log({ eventId: event.id, type: event.type }, 'Stripe event acknowledged without changes');
      return { duplicate: false };
    });
  }

  private verify(rawBody: Buffer | undefined, signature: string | undefined): Stripe.Event {
    if (!rawBody || !signature) throw invalidSignature('Missing Stripe-Signature header or body');
    try {
      return this.stripe.constructEvent(rawBody, signature);
    } catch (error) {
      throw invalidSignature(error instanceof Error ? error.message : 'Signature verification failed');
    }
  }

  private async apply(
    manager: EntityManager,
    snapshot: SubscriptionSnapshot,
    eventUserId: string | null,
  ): Promise<void> {
    const users = manager.getRepository(User);
    let user = await users.findOneBy({ stripeCustomerId: snapshot.customerId });
    const claimedUserId = eventUserId ?? snapshot.userId;
    if (!user && claimedUserId) {
      user = await users.findOneBy({ id: claimedUserId });
      if (user && !user.stripeCustomerId)
        await users.update({ id: user.id }, { stripeCustomerId: snapshot.customerId });
      else if (user?.stripeCustomerId !== snapshot.customerId) user = null;
    }
    if (!user) {
      this.logger.warn(
        { subscriptionId: snapshot.id, customerId: snapshot.customerId },
        'Stripe subscription of an unknown customer ignored',
      );
      return;
    }

    const subscriptions = manager.getRepository(Subscription);
    const existing = await subscriptions.findOne({
      where: { stripeSubscriptionId: snapshot.id },
      lock: { mode: 'pessimistic_write' },
    });
    const now = this.clock.now();
    const pastDueSince = snapshot.status === 'past_due' ? (existing?.pastDueSince ?? now) : null;
    await subscriptions.upsert(
      {
        userId: user.id,
        stripeSubscriptionId: snapshot.id,
        stripeCustomerId: snapshot.customerId,
        priceId: snapshot.priceId,
        status: snapshot.status,
        currentPeriodEnd: snapshot.currentPeriodEnd,
        cancelAtPeriodEnd: snapshot.cancelAtPeriodEnd,
        pastDueSince,
      },
      ['stripeSubscriptionId'],
    );

    const all = await subscriptions.findBy({ userId: user.id });
    const grace = this.config.stripe.pastDueGraceDays;
    const tiers = all.map((row) => tierForSubscription(row.status, row.pastDueSince, now, grace));
    const tier = tiers.includes(Tier.Pro) ? Tier.Pro : Tier.Basic;
    await users.update({ id: user.id }, { tier });
    this.logger.log(
      { userId: user.id, subscriptionId: snapshot.id, status: snapshot.status, tier },
      'Subscription synced from Stripe',
    );
  }
}

function invalidSignature(detail: string): ProblemException {
  return new ProblemException(
    HttpStatus.BAD_REQUEST,
    ErrorCode.InvalidWebhookSignature,
    `Invalid Stripe webhook: ${detail}`,
  );
}

/** The subscription an event is about, for the event types that change a tier; undefined for the rest. */
export function subscriptionIdOf(event: Stripe.Event): string | undefined {
  const object = event.data.object as unknown as Record<string, unknown>;
  const id = (value: unknown): string | undefined =>
    typeof value === 'string'
      ? value
      : typeof value === 'object' && value !== null
        ? ((value as { id?: string }).id ?? undefined)
        : undefined;
  switch (event.type) {
    case 'checkout.session.completed':
      return object.mode === 'subscription' ? id(object.subscription) : undefined;
    case 'customer.subscription.created':
    case 'customer.subscription.updated':
    case 'customer.subscription.deleted':
      return id(object.id);
    case 'invoice.paid':
    case 'invoice.payment_failed': {
      const parent = object.parent as { subscription_details?: { subscription?: unknown } } | undefined;
      return id(parent?.subscription_details?.subscription) ?? id(object.subscription);
    }
    default:
      return undefined;
  }
}

function linkedUserId(event: Stripe.Event): string | null {
  if (event.type !== 'checkout.session.completed') return null;
  const session = event.data.object;
  return session.client_reference_id ?? session.metadata?.userId ?? null;
}
