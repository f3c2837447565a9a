import { FakeStripe } from '@app/stand-ins';
import { signIn } from './support/auth';
import { ApiClient } from './support/http';
import { Stack, STACK_TIMEOUT_MS, startStack } from './support/stack';

interface Status {
  tier: string;
  status: string | null;
}

/** The billing cycle of README's local walkthrough, driven through the Stripe stand-in's own pages. */
describe('the local billing cycle through the Stripe stand-in', () => {
  const stripe = new FakeStripe('sk_test_local_stand_in', 'whsec_local_stand_in');
  let stack: Stack;

  beforeAll(async () => {
    await stripe.start();
    stack = await startStack(
      {
        STRIPE_API_KEY: stripe.apiKey,
        STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
        STRIPE_PRO_PRICE_ID: 'price_local_pro',
        STRIPE_API_BASE_URL: stripe.url,
        STRIPE_SUCCESS_URL: 'http://localhost:3000/docs?checkout=success',
        STRIPE_PORTAL_RETURN_URL: 'http://localhost:3000/docs',
        BASIC_DAILY_LIMIT: '5',
      },
      { worker: false },
    );
    stripe.webhookUrl = `${stack.api.url}/webhook/stripe`;
  }, STACK_TIMEOUT_MS);
  afterAll(async () => {
    await stack?.stop();
    await stripe.stop();
  }, STACK_TIMEOUT_MS);

  it('goes Basic → Checkout → Pro → portal → cancel → Basic', async () => {
    const client = new ApiClient(stack.api.url, (await signIn(stack.api.url)).accessToken);
    const status = async (): Promise<Status> => (await client.get<Status>('/subscription/status')).body;
    expect(await status()).toMatchObject({ tier: 'basic', status: null });

    const checkout = await client.post<{ checkoutUrl: string }>('/subscribe/pro');
    expect(checkout.status).toBe(201);
    expect(checkout.body.checkoutUrl.startsWith(`${stripe.url}/checkout/`)).toBe(true);
    const checkoutPage = await fetch(checkout.body.checkoutUrl);
    expect(checkoutPage.status).toBe(200);
    expect(await checkoutPage.text()).toContain('Pay (test mode)');

    const paid = await fetch(`${checkout.body.checkoutUrl}/pay`, {
      method: 'POST',
      headers: { accept: 'text/html' },
      redirect: 'manual',
    });
    expect(paid.status).toBe(303);
    expect(paid.headers.get('location')).toBe('http://localhost:3000/docs?checkout=success');
    expect(await status()).toMatchObject({ tier: 'pro', status: 'active' });

    const portal = await client.post<{ url: string }>('/subscription/portal');
    expect(portal.status).toBe(201);
    const portalUrl = portal.body.url;
    expect(portalUrl.startsWith(`${stripe.url}/portal/`)).toBe(true);
    expect(await (await fetch(portalUrl)).text()).toContain('Cancel subscription');

    const cancelled = await fetch(`${portalUrl}/cancel`, { method: 'POST' });
    expect(cancelled.status).toBe(200);
    const outcome = (await cancelled.json()) as {
      outcome: { deliveries: { type: string; status: number }[] }[];
    };
    expect(outcome.outcome.flatMap((each) => each.deliveries)).toEqual([
      { type: 'customer.subscription.deleted', status: 200 },
    ]);
    expect(await status()).toMatchObject({ tier: 'basic', status: 'canceled' });
  });

  it('signs every webhook it sends so the api accepts it', async () => {
    const client = new ApiClient(stack.api.url, (await signIn(stack.api.url)).accessToken);
    const checkout = await client.post<{ sessionId: string }>('/subscribe/pro');
    const outcome = await stripe.payCheckout(checkout.body.sessionId);
    expect(outcome.deliveries).toEqual([
      { type: 'checkout.session.completed', status: 200 },
      { type: 'customer.subscription.created', status: 200 },
      { type: 'invoice.paid', status: 200 },
    ]);
  });
});
