import { randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import Stripe from 'stripe';

export interface RecordedStripeRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  idempotencyKey: string | undefined;
}

export interface FakeSubscription {
  id: string;
  customer: string;
  status: string;
  priceId?: string;
  currentPeriodEnd?: number;
  cancelAtPeriodEnd?: boolean;
  metadata?: Record<string, string>;
}

const id = (prefix: string): string => `${prefix}_${randomBytes(8).toString('hex')}`;

/**
 * A local stand-in for the Stripe API, for exactly the calls the app makes: form-encoded POSTs to /v1/customers,
 * /v1/checkout/sessions and /v1/billing_portal/sessions, and GET /v1/subscriptions/:id. Tests set subscriptions'
 * current state and sign webhook payloads as Stripe does.
 */
export class FakeStripe {
  readonly requests: RecordedStripeRequest[] = [];
  readonly subscriptions = new Map<string, FakeSubscription>();
  private server?: Server;
  private readonly signer = new Stripe('sk_test_fake');

  constructor(
    readonly apiKey = 'sk_test_fake',
    readonly webhookSecret = 'whsec_fake_secret',
  ) {}

  get url(): string {
    return `http://127.0.0.1:${(this.server?.address() as AddressInfo | null)?.port}`;
  }

  async start(): Promise<string> {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this.url;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => (this.server ? this.server.close(resolve) : resolve(undefined)));
  }

  setSubscription(subscription: FakeSubscription): void {
    this.subscriptions.set(subscription.id, subscription);
  }

  /** A webhook delivery as Stripe sends it: the JSON body and its Stripe-Signature header. */
  signedEvent(
    type: string,
    object: Record<string, unknown>,
    options: { id?: string; created?: number; secret?: string; timestamp?: number } = {},
  ): { payload: string; signature: string; eventId: string } {
    const eventId = options.id ?? id('evt');
    const payload = JSON.stringify({
      id: eventId,
      object: 'event',
      api_version: '2026-10-28.endive',
      created: options.created ?? Math.floor(Date.now() / 1000),
      type,
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      data: { object },
    });
    const signature = this.signer.webhooks.generateTestHeaderString({
      payload,
      secret: options.secret ?? this.webhookSecret,
      ...(options.timestamp ? { timestamp: options.timestamp } : {}),
    });
    return { payload, signature, eventId };
  }

  /** Any bytes, signed as Stripe signs a delivery: for payloads that are not well-formed events. */
  sign(payload: string): string {
    return this.signer.webhooks.generateTestHeaderString({ payload, secret: this.webhookSecret });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    const path = (request.url ?? '').split('?')[0];
    this.requests.push({
      method: request.method ?? 'GET',
      path,
      params,
      idempotencyKey: request.headers['idempotency-key'] as string | undefined,
    });
    if (request.headers.authorization !== `Bearer ${this.apiKey}`) {
      return this.send(response, 401, {
        error: { type: 'invalid_request_error', message: 'Invalid API Key provided' },
      });
    }

    if (request.method === 'POST' && path === '/v1/customers') {
      return this.send(response, 200, {
        id: id('cus'),
        object: 'customer',
        phone: params.phone ?? null,
        metadata: {},
      });
    }
    if (request.method === 'POST' && path === '/v1/checkout/sessions') {
      const sessionId = id('cs_test');
      return this.send(response, 200, {
        id: sessionId,
        object: 'checkout.session',
        mode: params.mode,
        customer: params.customer,
        client_reference_id: params.client_reference_id ?? null,
        url: `https://checkout.stripe.com/c/pay/${sessionId}`,
        status: 'open',
      });
    }
    if (request.method === 'POST' && path === '/v1/billing_portal/sessions') {
      return this.send(response, 200, {
        id: id('bps'),
        object: 'billing_portal.session',
        customer: params.customer,
        url: `https://billing.stripe.com/p/session/${id('test')}`,
      });
    }
    const subscriptionMatch = /^\/v1\/subscriptions\/([^/]+)$/.exec(path);
    if (request.method === 'GET' && subscriptionMatch) {
      const subscription = this.subscriptions.get(subscriptionMatch[1]);
      if (!subscription) {
        return this.send(response, 404, {
          error: {
            type: 'invalid_request_error',
            code: 'resource_missing',
            message: `No such subscription: '${subscriptionMatch[1]}'`,
          },
        });
      }
      return this.send(response, 200, toStripeSubscription(subscription));
    }
    return this.send(response, 404, {
      error: {
        type: 'invalid_request_error',
        message: `Unrecognized request URL (${request.method}: ${path})`,
      },
    });
  }

  private send(response: ServerResponse, status: number, body: object): void {
    response
      .writeHead(status, { 'content-type': 'application/json', 'request-id': id('req') })
      .end(JSON.stringify(body));
  }
}

function toStripeSubscription(subscription: FakeSubscription): object {
  const periodEnd = subscription.currentPeriodEnd ?? Math.floor(Date.now() / 1000) + 30 * 86_400;
  return {
    id: subscription.id,
    object: 'subscription',
    customer: subscription.customer,
    status: subscription.status,
    cancel_at_period_end: subscription.cancelAtPeriodEnd ?? false,
    metadata: subscription.metadata ?? {},
    items: {
      object: 'list',
      data: [
        {
          id: id('si'),
          object: 'subscription_item',
          current_period_end: periodEnd,
          current_period_start: periodEnd - 30 * 86_400,
          price: { id: subscription.priceId ?? 'price_pro', object: 'price' },
        },
      ],
    },
  };
}
