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

interface CheckoutSession {
  id: string;
  customer: string;
  userId: string | null;
  priceId: string;
  successUrl: string;
  cancelUrl: string;
  subscriptionId?: string;
}

interface PortalSession {
  id: string;
  customer: string;
  returnUrl: string;
}

/** What paying a Checkout Session or cancelling in the portal did: the webhooks sent and the api's answers. */
export interface StandInOutcome {
  subscriptionId: string;
  deliveries: { type: string; status: number }[];
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font:16px system-ui,sans-serif;max-width:32rem;margin:4rem auto}button{font-size:1rem;padding:.5rem 1rem}</style>
</head><body><p><small>Local Stripe stand-in: no card, no money, nothing leaves this machine.</small></p>
<h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

/**
 * A local stand-in for the Stripe API, for exactly the calls the app makes: form-encoded POSTs to /v1/customers,
 * /v1/checkout/sessions and /v1/billing_portal/sessions, and GET /v1/subscriptions/:id. Tests set subscriptions'
 * current state and sign webhook payloads as Stripe does.
 *
 * Its Checkout and portal URLs are pages of its own: paying (`POST <checkoutUrl>/pay`) makes the subscription
 * active and sends checkout.session.completed, customer.subscription.created and invoice.paid, signed, to
 * `webhookUrl`; cancelling (`POST <portalUrl>/cancel`) sends customer.subscription.deleted. `npm run dev` runs
 * one (scripts/stripe-stand-in.ts) so the billing cycle works on one machine.
 */
export class FakeStripe {
  readonly requests: RecordedStripeRequest[] = [];
  readonly subscriptions = new Map<string, FakeSubscription>();
  /** Where paying and cancelling deliver their webhooks, e.g. http://127.0.0.1:3000/webhook/stripe. */
  webhookUrl?: string;
  private readonly checkoutSessions = new Map<string, CheckoutSession>();
  private readonly portalSessions = new Map<string, PortalSession>();
  private server?: Server;
  private readonly signer = new Stripe('sk_test_fake');

  constructor(
    readonly apiKey = 'sk_test_fake',
    readonly webhookSecret = 'whsec_fake_secret',
  ) {}

  get url(): string {
    return `http://127.0.0.1:${(this.server?.address() as AddressInfo | null)?.port}`;
  }

  async start(port = 0): Promise<string> {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
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

  /** What the customer does on the Checkout page: the subscription becomes active and Stripe's webhooks go out. */
  async payCheckout(sessionId: string): Promise<StandInOutcome> {
    const session = this.checkoutSessions.get(sessionId);
    if (!session) throw new Error(`No such checkout session: ${sessionId}`);
    const subscriptionId = session.subscriptionId ?? id('sub');
    session.subscriptionId = subscriptionId;
    const subscription: FakeSubscription = {
      id: subscriptionId,
      customer: session.customer,
      status: 'active',
      priceId: session.priceId,
      metadata: session.userId ? { userId: session.userId } : {},
    };
    this.setSubscription(subscription);
    const deliveries = [
      await this.deliver('checkout.session.completed', {
        id: session.id,
        object: 'checkout.session',
        mode: 'subscription',
        status: 'complete',
        payment_status: 'paid',
        customer: session.customer,
        subscription: subscriptionId,
        client_reference_id: session.userId,
        metadata: session.userId ? { userId: session.userId } : {},
      }),
      await this.deliver('customer.subscription.created', toStripeSubscription(subscription)),
      await this.deliver('invoice.paid', {
        id: id('in'),
        object: 'invoice',
        customer: session.customer,
        status: 'paid',
        parent: { type: 'subscription_details', subscription_details: { subscription: subscriptionId } },
      }),
    ];
    return { subscriptionId, deliveries };
  }

  /** What the customer does in the billing portal: every live subscription of theirs ends now. */
  async cancelInPortal(portalSessionId: string): Promise<StandInOutcome[]> {
    const portal = this.portalSessions.get(portalSessionId);
    if (!portal) throw new Error(`No such portal session: ${portalSessionId}`);
    const live = [...this.subscriptions.values()].filter(
      (subscription) => subscription.customer === portal.customer && subscription.status !== 'canceled',
    );
    const outcomes: StandInOutcome[] = [];
    for (const subscription of live) {
      subscription.status = 'canceled';
      outcomes.push({
        subscriptionId: subscription.id,
        deliveries: [await this.deliver('customer.subscription.deleted', toStripeSubscription(subscription))],
      });
    }
    return outcomes;
  }

  private async deliver(type: string, object: object): Promise<{ type: string; status: number }> {
    if (!this.webhookUrl) return { type, status: 0 };
    const { payload, signature } = this.signedEvent(type, object as Record<string, unknown>);
    const response = await fetch(this.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      body: payload,
    });
    await response.arrayBuffer();
    return { type, status: response.status };
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    const path = (request.url ?? '').split('?')[0];
    if (!path.startsWith('/v1/')) return this.handlePage(request, response, path);
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
      this.checkoutSessions.set(sessionId, {
        id: sessionId,
        customer: params.customer,
        userId: params.client_reference_id ?? params['metadata[userId]'] ?? null,
        priceId: params['line_items[0][price]'] ?? 'price_pro',
        successUrl: params.success_url,
        cancelUrl: params.cancel_url,
      });
      return this.send(response, 200, {
        id: sessionId,
        object: 'checkout.session',
        mode: params.mode,
        customer: params.customer,
        client_reference_id: params.client_reference_id ?? null,
        url: `${this.url}/checkout/${sessionId}`,
        status: 'open',
      });
    }
    if (request.method === 'POST' && path === '/v1/billing_portal/sessions') {
      const portalId = id('bps');
      this.portalSessions.set(portalId, {
        id: portalId,
        customer: params.customer,
        returnUrl: params.return_url,
      });
      return this.send(response, 200, {
        id: portalId,
        object: 'billing_portal.session',
        customer: params.customer,
        url: `${this.url}/portal/${portalId}`,
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

  /**
   * The hosted pages: GET shows a page with one button, POST …/pay or …/cancel acts. A browser (form post) is sent
   * on to the app's return URL; curl gets the outcome as JSON.
   */
  private async handlePage(request: IncomingMessage, response: ServerResponse, path: string): Promise<void> {
    const match = /^\/(checkout|portal)\/([A-Za-z0-9_]+)(\/pay|\/cancel)?$/.exec(path);
    const checkout = match?.[1] === 'checkout' ? this.checkoutSessions.get(match[2]) : undefined;
    const portal = match?.[1] === 'portal' ? this.portalSessions.get(match[2]) : undefined;
    if (!match || (!checkout && !portal)) {
      return this.send(response, 404, {
        error: { type: 'invalid_request_error', message: `No page at ${path}` },
      });
    }
    const action = match[3];
    if (request.method === 'GET' && !action) {
      const html = checkout
        ? page(
            'Upgrade to Pro',
            `<p>Customer ${escapeHtml(checkout.customer)}, price ${escapeHtml(checkout.priceId)}.</p>
<form method="post" action="${escapeHtml(path)}/pay"><button>Pay (test mode)</button></form>
<p><a href="${escapeHtml(checkout.cancelUrl)}">Back without paying</a></p>`,
          )
        : page(
            'Billing portal',
            `<p>Customer ${escapeHtml(portal!.customer)}.</p>
<form method="post" action="${escapeHtml(path)}/cancel"><button>Cancel subscription</button></form>
<p><a href="${escapeHtml(portal!.returnUrl)}">Return</a></p>`,
          );
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
      return;
    }
    const wantsPay = checkout && action === '/pay';
    const wantsCancel = portal && action === '/cancel';
    if (request.method !== 'POST' || !(wantsPay || wantsCancel)) {
      return this.send(response, 405, { error: { type: 'invalid_request_error', message: 'Use POST' } });
    }
    const outcome = wantsPay ? await this.payCheckout(checkout.id) : await this.cancelInPortal(portal!.id);
    const returnUrl = wantsPay ? checkout.successUrl : portal!.returnUrl;
    if ((request.headers.accept ?? '').includes('text/html')) {
      response.writeHead(303, { location: returnUrl }).end();
      return;
    }
    return this.send(response, 200, { returnUrl, outcome });
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
