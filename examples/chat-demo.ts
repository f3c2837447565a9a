/**
 * A tour of the API through the generated SDK: log in with an OTP, create a chatroom, send a message, stream the
 * answer to the terminal (and the chatroom's generated title), steer the conversation (edit the prompt, regenerate
 * the answer, fork the chatroom), and print the subscription status. Run against a running stack:
 *   API_URL=http://127.0.0.1:3000 npm run example
 */
import {
  createChatroom,
  createClient,
  createConfig,
  editPrompt,
  forkChatroom,
  getSubscriptionStatus,
  regenerateReply,
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
  // Untitled: the chatroom gets a title from its first exchange.
  const { data: room } = await createChatroom({ client, body: {}, throwOnError: true });
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
    if (event.type === 'title') process.stdout.write(`\n[the chatroom is now called "${event.title}"]`);
    if (event.type === 'final') final = event.message;
  }
  process.stdout.write('\n');
  if (final?.status !== 'completed')
    throw new Error(`Reply ended as ${String(final?.status)}: ${JSON.stringify(final?.error)}`);

  // Steer: a new version of the prompt (a new branch), another answer to it, and a copy of the conversation.
  const { data: edited } = await editPrompt({
    client,
    path: { id: room.id, messageId: sent.message.id },
    body: { content: 'Give me two tips for writing clear code.' },
    query: { wait: 30 },
    throwOnError: true,
  });
  console.log(`edited > ${edited.message.content}\n${edited.reply.content}`);
  const { data: again } = await regenerateReply({
    client,
    path: { id: room.id, messageId: edited.reply.id },
    query: { wait: 30 },
    throwOnError: true,
  });
  console.log(`regenerated: ${again.reply.content}`);
  const { data: fork } = await forkChatroom({ client, path: { id: room.id }, body: {}, throwOnError: true });
  const last = fork.recentMessages.at(-1);
  console.log(
    `forked "${fork.title}": ${fork.recentMessages.length} messages, ending with "${last?.content}"`,
  );

  const { data: status } = await getSubscriptionStatus({ client, throwOnError: true });
  console.log(
    `Tier ${status.tier}: ${status.usage.used}/${status.usage.limit} prompts used today, resets ${status.usage.resetsAt}`,
  );
}

main().catch((error: unknown) => {
  console.error('Demo failed:', error);
  process.exit(1);
});
