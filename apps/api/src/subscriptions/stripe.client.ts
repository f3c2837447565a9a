import { APP_CONFIG, AppConfig } from '@app/config';
import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { ErrorCode, ProblemException } from '../common/problem';

/** Stripe object ids are a prefix, an underscore and letters or digits; anything else names nothing at Stripe. */
const STRIPE_ID = /^[A-Za-z0-9_]{1,255}$/;

/** What the app needs of a Stripe subscription, read the same way whatever API version shaped it. */
export interface SubscriptionSnapshot {
  id: string;
  customerId: string;
  status: string;
  priceId: string | null;
  currentPeriodEnd: Date | null;
  cancelAtPeriodEnd: boolean;
  userId: string | null;
}

/**
 * The one place that talks to Stripe. Points the SDK at STRIPE_API_BASE_URL when set (tests use a local fake
 * speaking Stripe's REST API). Every POST carries an idempotency key.
 */
@Injectable()
export class StripeClient {
  private readonly stripe?: Stripe;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    const { apiKey, apiBaseUrl } = config.stripe;
    if (!apiKey) return;
    const base = apiBaseUrl ? new URL(apiBaseUrl) : undefined;
    this.stripe = new Stripe(apiKey, {
      ...(base
        ? {
            host: base.hostname,
            port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)),
            protocol: base.protocol.replace(':', '') as 'http' | 'https',
          }
        : {}),
      maxNetworkRetries: 2,
      timeout: 10_000,
    });
  }

  get configured(): boolean {
    return this.stripe !== undefined;
  }

  async createCustomer(userId: string, mobile: string): Promise<string> {
    const customer = await this.request((stripe) =>
      stripe.customers.create(
        { phone: mobile, metadata: { userId } },
        { idempotencyKey: `customer-${userId}` },
      ),
    );
    return customer.id;
  }

  async createProCheckout(customerId: string, userId: string): Promise<{ id: string; url: string }> {
    const session = await this.request((stripe) =>
      stripe.checkout.sessions.create(
        {
          mode: 'subscription',
          customer: customerId,
          client_reference_id: userId,
          line_items: [{ price: this.config.stripe.proPriceId, quantity: 1 }],
          metadata: { userId },
          subscription_data: { metadata: { userId } },
          success_url: this.config.stripe.successUrl,
          cancel_url: this.config.stripe.cancelUrl,
        },
        { idempotencyKey: `checkout-${randomUUID()}` },
      ),
    );
    if (!session.url) throw new Error('Stripe returned a Checkout Session without a URL');
    return { id: session.id, url: session.url };
  }

  async createPortal(customerId: string): Promise<string> {
    const session = await this.request((stripe) =>
      stripe.billingPortal.sessions.create(
        { customer: customerId, return_url: this.config.stripe.portalReturnUrl },
        { idempotencyKey: `portal-${randomUUID()}` },
      ),
    );
    return session.url;
  }

  /** Undefined when Stripe answers 4xx for the id (no such subscription, or not one it will look up for us). */
  async findSubscription(id: string): Promise<SubscriptionSnapshot | undefined> {
    if (!STRIPE_ID.test(id)) return undefined;
    let subscription: Stripe.Subscription;
    try {
      subscription = await this.request((stripe) => stripe.subscriptions.retrieve(id));
    } catch (error) {
      if (
        error instanceof Stripe.errors.StripeError &&
        (error.statusCode ?? 0) >= 400 &&
        (error.statusCode ?? 0) < 500
      )
        return undefined;
      throw error;
    }
    const item = subscription.items?.data?.[0];
    const periodEnd = (item as { current_period_end?: number } | undefined)?.current_period_end;
    return {
      id: subscription.id,
      customerId:
        typeof subscription.customer === 'string' ? subscription.customer : subscription.customer.id,
      status: subscription.status,
      priceId: item?.price?.id ?? null,
      currentPeriodEnd: periodEnd ? new Date(periodEnd * 1000) : null,
      cancelAtPeriodEnd: Boolean(subscription.cancel_at_period_end),
      userId: subscription.metadata?.userId ?? null,
    };
  }

  /** Verifies the signature over the exact bytes received, with Stripe's default 300 s timestamp tolerance. */
  constructEvent(rawBody: Buffer, signature: string): Stripe.Event {
    const secret = this.config.stripe.webhookSecret;
    if (!this.stripe || !secret) throw notConfigured();
    return this.stripe.webhooks.constructEvent(rawBody, signature, secret);
  }

  /**
   * Stripe unreachable, rate limiting us or failing on its side is an outage worth retrying (503, which also makes
   * Stripe redeliver a webhook), not a bug of ours (500).
   */
  private async request<T>(send: (stripe: Stripe) => Promise<T>): Promise<T> {
    if (!this.stripe) throw notConfigured();
    try {
      return await send(this.stripe);
    } catch (error) {
      if (!isStripeOutage(error)) throw error;
      throw new ProblemException(
        HttpStatus.SERVICE_UNAVAILABLE,
        ErrorCode.ServiceUnavailable,
        'Stripe cannot be reached right now; retry shortly',
        { headers: { 'Retry-After': '5' } },
      );
    }
  }
}

export function notConfigured(): ProblemException {
  return new ProblemException(
    HttpStatus.SERVICE_UNAVAILABLE,
    ErrorCode.BillingNotConfigured,
    'Billing is not configured: set STRIPE_API_KEY, STRIPE_WEBHOOK_SECRET and STRIPE_PRO_PRICE_ID',
  );
}

function isStripeOutage(error: unknown): boolean {
  return (
    error instanceof Stripe.errors.StripeConnectionError ||
    error instanceof Stripe.errors.StripeRateLimitError ||
    (error instanceof Stripe.errors.StripeError && (error.statusCode ?? 0) >= 500)
  );
}
