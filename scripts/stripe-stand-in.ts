/**
 * A local stand-in for Stripe used by `npm run dev`: it speaks Stripe's REST protocol to the api on the port of
 * STRIPE_API_BASE_URL (default 12111), serves a Checkout page and a billing portal of its own, and sends signed
 * webhooks to the api when you pay or cancel there. Its key and webhook secret are those of .env.
 */
import { loadDotEnvFile } from '@app/config';
import { FakeStripe } from '@app/stand-ins';

loadDotEnvFile();
const base = new URL(process.env.STRIPE_API_BASE_URL || 'http://127.0.0.1:12111');
const apiKey = process.env.STRIPE_API_KEY || 'sk_test_local_stand_in';
const webhookSecret = process.env.STRIPE_WEBHOOK_SECRET || 'whsec_local_stand_in';

const standIn = new FakeStripe(apiKey, webhookSecret);
standIn.webhookUrl =
  process.env.STRIPE_STAND_IN_WEBHOOK_URL || `http://127.0.0.1:${process.env.PORT || 3000}/webhook/stripe`;

standIn
  .start(Number(base.port || 12111))
  .then((url) =>
    console.log(`Stripe stand-in listening on ${url}, sending webhooks to ${standIn.webhookUrl}`),
  )
  .catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
