/**
 * A tour of the API through the generated SDK: log in with an OTP, create a chatroom, send a message, stream the
 * answer to the terminal, and print the subscription status. Run against a running stack:
 *   API_URL=http://127.0.0.1:3000 npm run example
 */
import {
  createChatroom,
  createClient,
  createConfig,
  getSubscriptionStatus,
  sendMessage,
  sendOtp,
  streamReplyEvents,
  verifyOtp,
} from '../libs/sdk/src';

const baseUrl = process.env.API_URL ?? 'http://127.0.0.1:3000';
const mobile = process.env.DEMO_MOBILE ?? `+919${String(Math.floor(Math.random() * 1e9)).padStart(9, '0')}`;

async function main(): Promise<void> {
  const anonymous = createClient(createConfig({ baseUrl }));
  const { data: issued } = await sendOtp({ client: anonymous, body: { mobile }, throwOnError: true });
  if (!issued.otp)
    throw new Error('The api does not return OTPs (OTP_IN_RESPONSE=false): cannot log in unattended');
  const { data: tokens } = await verifyOtp({
    client: anonymous,
    body: { mobile, otp: issued.otp },
    throwOnError: true,
  });
  console.log(`Logged in as ${tokens.user.mobile} (${tokens.user.tier})`);

  const client = createClient(createConfig({ baseUrl, auth: () => tokens.accessToken }));
  const { data: room } = await createChatroom({ client, body: { title: 'SDK demo' }, throwOnError: true });
  const prompt = 'Give me one tip for writing clear code.';
  const { data: sent } = await sendMessage({
    client,
    path: { id: room.id },
    body: { content: prompt },
    throwOnError: true,
  });
  console.log(`> ${prompt}`);

  let final: Record<string, unknown> | undefined;
  let printed = false;
  for await (const event of streamReplyEvents({
    baseUrl,
    accessToken: tokens.accessToken,
    chatroomId: room.id,
    messageId: sent.reply.id,
  })) {
    if (event.type === 'delta') {
      process.stdout.write(event.text);
      printed = true;
    }
    if (event.type === 'reset' && printed) process.stdout.write('\n[Gemini failed mid-answer; retrying]\n');
    if (event.type === 'final') final = event.message;
  }
  process.stdout.write('\n');
  if (final?.status !== 'completed')
    throw new Error(`Reply ended as ${String(final?.status)}: ${JSON.stringify(final?.error)}`);

  const { data: status } = await getSubscriptionStatus({ client, throwOnError: true });
  console.log(
    `Tier ${status.tier}: ${status.usage.used}/${status.usage.limit} prompts used today, resets ${status.usage.resetsAt}`,
  );
}

main().catch((error: unknown) => {
  console.error('Demo failed:', error);
  process.exit(1);
});
