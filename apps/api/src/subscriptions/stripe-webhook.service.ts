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
  /** Why a genuine event changed nothing; also stored in stripe_events.ignored_reason. */
  ignoredReason?: string;
}

/** What a verified event must look like before anything is stored for it: it fits the stripe_events columns. */
const EVENT_ID_MAX_LENGTH = 255;
const EVENT_TYPE_MAX_LENGTH = 100;
/** 9999-12-31T23:59:59Z: the last second every layer (JavaScript, PostgreSQL) stores alike. */
const LATEST_TIMESTAMP = 253_402_300_799;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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
    const event = assertWellFormed(this.verify(rawBody, signature));
    const subscriptionId = subscriptionIdOf(event);
    const snapshot = subscriptionId ? await this.stripe.findSubscription(subscriptionId) : undefined;

    return this.dataSource.transaction(async (manager) => {
      const inserted = returnedRows<{ id: string }>(
        await manager.query(
          `INSERT INTO stripe_events (id, type, stripe_created_at) VALUES ($1, $2, to_timestamp($3))
           ON CONFLICT (id) DO NOTHING RETURNING id`,
          [event.id, event.type, event.created],
        ),
      );
      if (inserted.length === 0) return { duplicate: true };
      const ignoredReason = !subscriptionId
        ? 'no subscription change to apply for this event type'
        : !snapshot
          ? `Stripe does not know subscription ${subscriptionId}`
          : await this.apply(manager, snapshot, linkedUserId(event));
      if (ignoredReason) {
        await manager.query('UPDATE stripe_events SET ignored_reason = $2 WHERE id = $1', [
          event.id,
          ignoredReason.slice(0, 200),
        ]);
        this.logger.log(
          { eventId: event.id, type: event.type, ignoredReason },
          'Stripe event acknowledged without changes',
        );
      }
      return { duplicate: false, ...(ignoredReason ? { ignoredReason } : {}) };
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

  /** Returns why nothing changed, or undefined once the subscription and the user's tier are synced. */
  private async apply(
    manager: EntityManager,
    snapshot: SubscriptionSnapshot,
    eventUserId: string | null,
  ): Promise<string | undefined> {
    const users = manager.getRepository(User);
    let user = await users.findOneBy({ stripeCustomerId: snapshot.customerId });
    const claimedUserId = [eventUserId, snapshot.userId].find((id) => id !== null && UUID.test(id));
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
      return `customer ${snapshot.customerId} is not linked to any user`;
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
    return undefined;
  }
}

function invalidSignature(detail: string): ProblemException {
  return new ProblemException(
    HttpStatus.BAD_REQUEST,
    ErrorCode.InvalidWebhookSignature,
    `Invalid Stripe webhook: ${detail}`,
  );
}

/**
 * A signature proves Stripe (or whoever holds the secret) sent the bytes, not that they are an event this code can
 * store: those that are not are refused with 400, before anything is written.
 */
function assertWellFormed(event: unknown): Stripe.Event {
  const problem = eventShapeProblem(event);
  if (problem) {
    throw new ProblemException(
      HttpStatus.BAD_REQUEST,
      ErrorCode.InvalidWebhookEvent,
      `Signed, but not a Stripe event this endpoint can process: ${problem}`,
    );
  }
  return event as Stripe.Event;
}

function eventShapeProblem(event: unknown): string | undefined {
  if (typeof event !== 'object' || event === null || Array.isArray(event))
    return 'the body is not an event object';
  const { id, type, created, data } = event as Record<string, unknown>;
  const isText = (value: unknown, max: number): boolean =>
    typeof value === 'string' && value.length > 0 && value.length <= max;
  if (!isText(id, EVENT_ID_MAX_LENGTH)) return `id must be a string of 1-${EVENT_ID_MAX_LENGTH} characters`;
  if (!isText(type, EVENT_TYPE_MAX_LENGTH))
    return `type must be a string of 1-${EVENT_TYPE_MAX_LENGTH} characters`;
  if (
    typeof created !== 'number' ||
    !Number.isInteger(created) ||
    created < 0 ||
    created > LATEST_TIMESTAMP
  ) {
    return 'created must be a Unix timestamp';
  }
  const object = (data as { object?: unknown } | null | undefined)?.object;
  if (typeof object !== 'object' || object === null) return 'data.object must be an object';
  return undefined;
}

/** The subscription an event is about, for the event types that change a tier; undefined for the rest. */
export function subscriptionIdOf(event: Stripe.Event): string | undefined {
  const object = event.data.object as unknown as Record<string, unknown>;
  const id = (value: unknown): string | undefined => {
    const candidate = typeof value === 'object' && value !== null ? (value as { id?: unknown }).id : value;
    return typeof candidate === 'string' ? candidate : undefined;
  };
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
  const linked: unknown = session.client_reference_id ?? session.metadata?.userId;
  return typeof linked === 'string' ? linked : null;
}
