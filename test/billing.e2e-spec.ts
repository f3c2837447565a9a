import { FakeStripe } from '@app/stand-ins';
import { spawnApi } from './support/api';
import { postJson, signIn, SignedIn } from './support/auth';
import { ApiClient } from './support/http';
import { Stack, STACK_TIMEOUT_MS, startStack } from './support/stack';

interface Status {
  tier: string;
  status: string | null;
  currentPeriodEnd: string | null;
  cancelAtPeriodEnd: boolean;
  usage: { used: number; limit: number; remaining: number; resetsAt: string };
}

describe('subscriptions with Stripe', () => {
  const stripe = new FakeStripe();
  let stack: Stack;
  let api: ApiClient;

  beforeAll(async () => {
    await stripe.start();
    stack = await startStack(
      {
        STRIPE_API_KEY: stripe.apiKey,
        STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
        STRIPE_PRO_PRICE_ID: 'price_pro',
        STRIPE_API_BASE_URL: stripe.url,
        STRIPE_SUCCESS_URL: 'https://app.example.com/billing/success',
        STRIPE_CANCEL_URL: 'https://app.example.com/billing/cancel',
        BASIC_DAILY_LIMIT: '5',
        PRO_DAILY_LIMIT: '1000',
      },
      { worker: false },
    );
    api = new ApiClient(stack.api.url);
  }, STACK_TIMEOUT_MS);
  afterAll(async () => {
    await stack?.stop();
    await stripe.stop();
  }, STACK_TIMEOUT_MS);

  const deliver = (payload: string, signature?: string): Promise<Response> =>
    fetch(`${stack.api.url}/webhook/stripe`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(signature ? { 'stripe-signature': signature } : {}),
      },
      body: payload,
    });
  const status = async (user: SignedIn): Promise<Status> =>
    (await api.as(user.accessToken).get<Status>('/subscription/status')).body;

  /** Checkout, then Stripe's checkout.session.completed for an active subscription. */
  async function upgrade(user: SignedIn): Promise<{ subscriptionId: string; customerId: string }> {
    const checkout = await api
      .as(user.accessToken)
      .post<{ checkoutUrl: string; sessionId: string }>('/subscribe/pro');
    expect(checkout.status).toBe(201);
    const customerId = (
      await stack.database.query<{ stripe_customer_id: string }>(
        'SELECT stripe_customer_id FROM users WHERE id = $1',
        [user.user.id],
      )
    )[0].stripe_customer_id;
    const subscriptionId = `sub_${user.user.id.slice(0, 8)}${Date.now()}`;
    stripe.setSubscription({
      id: subscriptionId,
      customer: customerId,
      status: 'active',
      metadata: { userId: user.user.id },
    });
    const event = stripe.signedEvent('checkout.session.completed', {
      id: checkout.body.sessionId,
      object: 'checkout.session',
      mode: 'subscription',
      customer: customerId,
      subscription: subscriptionId,
      client_reference_id: user.user.id,
      metadata: { userId: user.user.id },
    });
    expect((await deliver(event.payload, event.signature)).status).toBe(200);
    return { subscriptionId, customerId };
  }

  describe('checkout', () => {
    it('creates the customer once, server-side, and a subscription Checkout Session for the Pro price', async () => {
      const user = await signIn(stack.api.url);
      stripe.requests.length = 0;
      const first = await api
        .as(user.accessToken)
        .post<{ checkoutUrl: string; sessionId: string }>('/subscribe/pro');
      const second = await api.as(user.accessToken).post('/subscribe/pro');
      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      expect(first.body.checkoutUrl.startsWith(`${stripe.url}/checkout/cs_test_`)).toBe(true);
      const customers = stripe.requests.filter((request) => request.path === '/v1/customers');
      const sessions = stripe.requests.filter((request) => request.path === '/v1/checkout/sessions');
      expect(customers).toHaveLength(1);
      expect(sessions).toHaveLength(2);
      expect(sessions[0].params).toMatchObject({
        mode: 'subscription',
        'line_items[0][price]': 'price_pro',
        client_reference_id: user.user.id,
        'metadata[userId]': user.user.id,
        'subscription_data[metadata][userId]': user.user.id,
        success_url: 'https://app.example.com/billing/success',
        cancel_url: 'https://app.example.com/billing/cancel',
      });
      for (const request of [...customers, ...sessions]) expect(request.idempotencyKey).toBeTruthy();
    });

    it('takes success and cancel URLs from config, never from the request', async () => {
      const user = await signIn(stack.api.url);
      stripe.requests.length = 0;
      const response = await api
        .as(user.accessToken)
        .post('/subscribe/pro', { success_url: 'https://evil.example' }, { host: 'evil.example' });
      expect(response.status).toBe(201);
      const [session] = stripe.requests.filter((request) => request.path === '/v1/checkout/sessions');
      expect(session.params.success_url).toBe('https://app.example.com/billing/success');
    });

    it('upgrades to Pro on checkout.session.completed and answers 409 to a second checkout', async () => {
      const user = await signIn(stack.api.url);
      expect((await status(user)).tier).toBe('basic');
      await upgrade(user);
      expect(await status(user)).toMatchObject({
        tier: 'pro',
        status: 'active',
        cancelAtPeriodEnd: false,
        usage: { limit: 1000 },
      });
      const again = await api.as(user.accessToken).post('/subscribe/pro');
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ code: 'ALREADY_PRO' });
    });

    it('opens the billing portal for a customer, and answers 409 without one', async () => {
      const user = await signIn(stack.api.url);
      expect((await api.as(user.accessToken).post('/subscription/portal')).status).toBe(409);
      await upgrade(user);
      const portal = await api.as(user.accessToken).post<{ url: string }>('/subscription/portal');
      expect(portal.status).toBe(201);
      expect(portal.body.url.startsWith(`${stripe.url}/portal/`)).toBe(true);
    });
  });

  describe('webhook', () => {
    it('downgrades to Basic on customer.subscription.deleted', async () => {
      const user = await signIn(stack.api.url);
      const { subscriptionId, customerId } = await upgrade(user);
      stripe.setSubscription({ id: subscriptionId, customer: customerId, status: 'canceled' });
      const event = stripe.signedEvent('customer.subscription.deleted', {
        id: subscriptionId,
        object: 'subscription',
        status: 'canceled',
      });
      expect((await deliver(event.payload, event.signature)).status).toBe(200);
      expect(await status(user)).toMatchObject({ tier: 'basic', status: 'canceled', usage: { limit: 5 } });
    });

    it('rejects a missing, forged, re-signed, tampered or stale signature with 400 and changes nothing', async () => {
      const user = await signIn(stack.api.url);
      await api.as(user.accessToken).post('/subscribe/pro');
      const [{ stripe_customer_id: customerId }] = await stack.database.query<{ stripe_customer_id: string }>(
        'SELECT stripe_customer_id FROM users WHERE id = $1',
        [user.user.id],
      );
      const subscriptionId = `sub_forged_${Date.now()}`;
      stripe.setSubscription({ id: subscriptionId, customer: customerId, status: 'active' });
      const object = { id: subscriptionId, object: 'subscription', status: 'active', customer: customerId };
      const good = stripe.signedEvent('customer.subscription.updated', object);
      const wrongSecret = stripe.signedEvent('customer.subscription.updated', object, {
        secret: 'whsec_attacker',
      });
      const stale = stripe.signedEvent('customer.subscription.updated', object, {
        timestamp: Math.floor(Date.now() / 1000) - 600,
      });
      const attempts: [string, string | undefined][] = [
        [good.payload, undefined],
        [good.payload, 't=123,v1=deadbeef'],
        [wrongSecret.payload, wrongSecret.signature],
        [good.payload.replace('"active"', '"trialing"'), good.signature],
        [JSON.stringify(JSON.parse(good.payload), null, 2), good.signature],
        [stale.payload, stale.signature],
      ];
      for (const [payload, signature] of attempts) {
        const response = await deliver(payload, signature);
        expect(response.status).toBe(400);
        expect(await response.json()).toMatchObject({ code: 'INVALID_WEBHOOK_SIGNATURE' });
      }
      expect((await status(user)).tier).toBe('basic');
      expect(
        await stack.database.query('SELECT id FROM stripe_events WHERE id IN ($1, $2)', [
          good.eventId,
          stale.eventId,
        ]),
      ).toHaveLength(0);
    });

    it.each([
      ['null', 'null'],
      ['an empty object', '{}'],
      ['an array', '[]'],
      [
        'an event without created',
        JSON.stringify({ id: 'evt_no_created', object: 'event', type: 'invoice.paid', data: { object: {} } }),
      ],
      [
        'an event id of 300 characters',
        JSON.stringify({
          id: `evt_${'x'.repeat(296)}`,
          type: 'invoice.paid',
          created: 1,
          data: { object: {} },
        }),
      ],
      [
        'an event without data.object',
        JSON.stringify({ id: 'evt_no_object', type: 'invoice.paid', created: 1, data: null }),
      ],
      [
        'a created date PostgreSQL cannot store',
        JSON.stringify({ id: 'evt_far_future', type: 'invoice.paid', created: 1e15, data: { object: {} } }),
      ],
    ])(
      'rejects a signed body that is not a proper event (%s) with 400 and stores nothing',
      async (_name, payload) => {
        const before = await stack.database.query('SELECT id FROM stripe_events');
        const response = await deliver(payload, stripe.sign(payload));
        expect(response.status).toBe(400);
        expect(await response.json()).toMatchObject({ code: 'INVALID_WEBHOOK_EVENT' });
        expect(await stack.database.query('SELECT id FROM stripe_events')).toHaveLength(before.length);
      },
    );

    it.each([
      ['customer.subscription.updated', { id: 'sub_unknown_to_stripe', object: 'subscription' }],
      [
        'invoice.paid',
        { object: 'invoice', parent: { subscription_details: { subscription: 'sub_unknown_to_stripe_2' } } },
      ],
      ['customer.subscription.updated', { id: '../../v1/customers', object: 'subscription' }],
      [
        'checkout.session.completed',
        { mode: 'subscription', subscription: 'sub_unknown_3', client_reference_id: 'not-a-uuid' },
      ],
    ])('acknowledges a genuine %s that cannot apply, recording why', async (type, object) => {
      const event = stripe.signedEvent(type, object);
      const response = await deliver(event.payload, event.signature);
      expect(response.status).toBe(200);
      const [row] = await stack.database.query<{ ignored_reason: string | null }>(
        'SELECT ignored_reason FROM stripe_events WHERE id = $1',
        [event.eventId],
      );
      expect(row.ignored_reason).toMatch(/Stripe does not know subscription/);
    });

    it('accepts a genuine event larger than BODY_LIMIT_BYTES, up to STRIPE_WEBHOOK_BODY_LIMIT_BYTES', async () => {
      const event = stripe.signedEvent('customer.updated', {
        object: 'customer',
        metadata: { padding: 'x'.repeat(70_000) },
      });
      const response = await deliver(event.payload, event.signature);
      expect(response.status).toBe(200);
      const tooLarge = await postJson(`${stack.api.url}/chatroom`, { title: 'x'.repeat(70_000) });
      expect(tooLarge.status).toBe(413);
    });

    it('applies an event delivered 5 times (also concurrently) once', async () => {
      const user = await signIn(stack.api.url);
      const { subscriptionId, customerId } = await upgrade(user);
      stripe.setSubscription({ id: subscriptionId, customer: customerId, status: 'canceled' });
      const event = stripe.signedEvent('customer.subscription.deleted', {
        id: subscriptionId,
        object: 'subscription',
      });
      const answers = await Promise.all(
        Array.from({ length: 5 }, () => deliver(event.payload, event.signature)),
      );
      const bodies = (await Promise.all(answers.map((answer) => answer.json()))) as { duplicate: boolean }[];
      expect(answers.every((answer) => answer.status === 200)).toBe(true);
      expect(bodies.filter((body) => !body.duplicate)).toHaveLength(1);
      expect(
        await stack.database.query('SELECT id FROM stripe_events WHERE id = $1', [event.eventId]),
      ).toHaveLength(1);
      expect((await status(user)).tier).toBe('basic');
    });

    it('is order-independent: an older "updated (active)" arriving after "deleted" leaves the user Basic', async () => {
      const user = await signIn(stack.api.url);
      const { subscriptionId, customerId } = await upgrade(user);
      const older = stripe.signedEvent(
        'customer.subscription.updated',
        { id: subscriptionId, object: 'subscription', status: 'active' },
        { created: Math.floor(Date.now() / 1000) - 60 },
      );
      stripe.setSubscription({ id: subscriptionId, customer: customerId, status: 'canceled' });
      const newer = stripe.signedEvent('customer.subscription.deleted', {
        id: subscriptionId,
        object: 'subscription',
        status: 'canceled',
      });
      expect((await deliver(newer.payload, newer.signature)).status).toBe(200);
      expect((await deliver(older.payload, older.signature)).status).toBe(200);
      expect((await status(user)).tier).toBe('basic');
    });

    it('keeps Pro through the past_due grace period, reading invoice.payment_failed', async () => {
      const user = await signIn(stack.api.url);
      const { subscriptionId, customerId } = await upgrade(user);
      stripe.setSubscription({ id: subscriptionId, customer: customerId, status: 'past_due' });
      const failed = stripe.signedEvent('invoice.payment_failed', {
        id: 'in_test',
        object: 'invoice',
        parent: { type: 'subscription_details', subscription_details: { subscription: subscriptionId } },
      });
      expect((await deliver(failed.payload, failed.signature)).status).toBe(200);
      expect(await status(user)).toMatchObject({ tier: 'pro', status: 'past_due' });
    });

    it('acknowledges unknown event types without changes', async () => {
      const event = stripe.signedEvent('customer.created', { id: 'cus_unknown', object: 'customer' });
      const response = await deliver(event.payload, event.signature);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ received: true, duplicate: false });
    });
  });

  describe('daily prompt quota', () => {
    const send = (user: SignedIn, roomId: string, content: string, headers: Record<string, string> = {}) =>
      api.as(user.accessToken).post(`/chatroom/${roomId}/message`, { content }, headers);

    it('stops a Basic user at the 6th prompt with 429, the limit, the reset and rate-limit headers', async () => {
      const user = await signIn(stack.api.url);
      const room = (await api.as(user.accessToken).post<{ id: string }>('/chatroom')).body.id;
      for (let index = 1; index <= 5; index++) {
        const accepted = await send(user, room, `prompt ${index}`);
        expect(accepted.status).toBe(202);
        expect(accepted.headers.get('x-ratelimit-limit')).toBe('5');
        expect(accepted.headers.get('x-ratelimit-remaining')).toBe(String(5 - index));
      }
      const sixth = await send(user, room, 'prompt 6');
      expect(sixth.status).toBe(429);
      expect(sixth.body).toMatchObject({ code: 'DAILY_QUOTA_EXCEEDED', status: 429 });
      expect(String(sixth.body.detail)).toMatch(/5 prompts.*00:00 UTC/);
      expect(Number(sixth.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(sixth.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(Number(sixth.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
      expect(
        await stack.database.query('SELECT id FROM messages WHERE chatroom_id = $1', [room]),
      ).toHaveLength(10);
      expect((await status(user)).usage).toMatchObject({ used: 5, limit: 5, remaining: 0 });
      expect((await api.as(user.accessToken).get('/user/me')).body).toMatchObject({
        usage: { used: 5, limit: 5 },
      });
    });

    it('accepts the 6th prompt once a signed webhook makes the user Pro', async () => {
      const user = await signIn(stack.api.url);
      const room = (await api.as(user.accessToken).post<{ id: string }>('/chatroom')).body.id;
      for (let index = 1; index <= 5; index++) expect((await send(user, room, `p${index}`)).status).toBe(202);
      expect((await send(user, room, 'p6')).status).toBe(429);
      await upgrade(user);
      const sixth = await send(user, room, 'p6 again');
      expect(sixth.status).toBe(202);
      expect(sixth.headers.get('x-ratelimit-limit')).toBe('1000');
    });

    it("does not charge rejected requests: validation errors, other users' chatrooms, idempotent replays", async () => {
      const user = await signIn(stack.api.url);
      const other = await signIn(stack.api.url);
      const room = (await api.as(user.accessToken).post<{ id: string }>('/chatroom')).body.id;
      const othersRoom = (await api.as(other.accessToken).post<{ id: string }>('/chatroom')).body.id;
      expect((await send(user, room, '')).status).toBe(400);
      expect((await send(user, othersRoom, 'not mine')).status).toBe(404);
      const key = { 'idempotency-key': `quota-${Date.now()}` };
      expect((await send(user, room, 'counted once', key)).status).toBe(202);
      expect((await send(user, room, 'counted once', key)).status).toBe(202);
      expect((await status(user)).usage.used).toBe(1);
    });

    it(
      'accepts exactly 5 of 20 concurrent prompts from a Basic user across two api processes',
      async () => {
        const second = await spawnApi(stack.env);
        try {
          const user = await signIn(stack.api.url);
          const room = (await api.as(user.accessToken).post<{ id: string }>('/chatroom')).body.id;
          const clients = [api.as(user.accessToken), new ApiClient(second.url, user.accessToken)];
          const answers = await Promise.all(
            Array.from({ length: 20 }, (_, index) =>
              clients[index % 2].post(`/chatroom/${room}/message`, { content: `race ${index}` }),
            ),
          );
          const statuses = answers.map((answer) => answer.status);
          expect(statuses.filter((code) => code === 202)).toHaveLength(5);
          expect(statuses.filter((code) => code === 429)).toHaveLength(15);
          expect(
            await stack.database.query(`SELECT id FROM messages WHERE chatroom_id = $1 AND role = 'model'`, [
              room,
            ]),
          ).toHaveLength(5);
          expect((await status(user)).usage.used).toBe(5);
        } finally {
          await second.stop();
        }
      },
      STACK_TIMEOUT_MS,
    );

    it('resets at 00:00 UTC', async () => {
      const { Clock } = await import('../apps/api/src/quota/clock');
      const clock = stack.api.app.get(Clock, { strict: false });
      const user = await signIn(stack.api.url);
      const room = (await api.as(user.accessToken).post<{ id: string }>('/chatroom')).body.id;
      const lateEvening = new Date('2030-01-01T23:59:00Z');
      const spy = jest.spyOn(clock, 'now').mockReturnValue(lateEvening);
      try {
        for (let index = 1; index <= 5; index++)
          expect((await send(user, room, `late ${index}`)).status).toBe(202);
        const blocked = await send(user, room, 'late 6');
        expect(blocked.status).toBe(429);
        expect(blocked.headers.get('retry-after')).toBe('60');
        spy.mockReturnValue(new Date('2030-01-02T00:00:01Z'));
        expect((await send(user, room, 'next day')).status).toBe(202);
      } finally {
        spy.mockRestore();
      }
    });
  });

  describe('when Stripe cannot be reached', () => {
    it(
      'answers checkout with 503 and Retry-After, never 500, and leaves the user Basic',
      async () => {
        const cut = await startStack(
          {
            STRIPE_API_KEY: stripe.apiKey,
            STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
            STRIPE_PRO_PRICE_ID: 'price_pro',
            STRIPE_API_BASE_URL: 'http://127.0.0.1:9',
          },
          { worker: false },
        );
        try {
          const client = new ApiClient(cut.api.url, (await signIn(cut.api.url)).accessToken);
          const checkout = await client.post('/subscribe/pro');
          expect(checkout.status).toBe(503);
          expect(checkout.headers.get('retry-after')).toBe('5');
          expect(checkout.body).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
          expect((await client.get<{ tier: string }>('/subscription/status')).body.tier).toBe('basic');
        } finally {
          await cut.stop();
        }
      },
      STACK_TIMEOUT_MS,
    );
  });

  describe('without Stripe configured', () => {
    it(
      'still starts and answers billing endpoints with 503 BILLING_NOT_CONFIGURED',
      async () => {
        const bare = await startStack({}, { worker: false });
        try {
          const user = await signIn(bare.api.url);
          const client = new ApiClient(bare.api.url, user.accessToken);
          for (const response of [
            await client.post('/subscribe/pro'),
            await client.post('/subscription/portal'),
          ]) {
            expect(response.status).toBe(503);
            expect(response.body).toMatchObject({ code: 'BILLING_NOT_CONFIGURED' });
          }
          const webhook = await fetch(`${bare.api.url}/webhook/stripe`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{}',
          });
          expect(webhook.status).toBe(503);
          expect((await client.get('/subscription/status')).status).toBe(200);
        } finally {
          await bare.stop();
        }
      },
      STACK_TIMEOUT_MS,
    );
  });
});
