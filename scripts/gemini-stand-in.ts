/**
 * A local stand-in for Gemini used by `npm run dev` when no Google key is configured: it speaks Gemini's REST
 * protocol on GEMINI_STAND_IN_PORT (default 8089) and streams a short reply to every prompt. The api's one
 * non-streamed request, a chatroom title, is answered with the first words of the conversation's first prompt.
 */
import { FakeGemini } from '@app/stand-ins';

const port = Number(process.env.GEMINI_STAND_IN_PORT ?? 8089);
const apiKey = process.env.GEMINI_API_KEY || 'local-stand-in';

const TITLE_WORDS = 5;

/** "User: plan three days in Lisbon please\n\nAssistant: …" → "Plan three days in Lisbon". */
function titleOf(conversation: string): string {
  const firstPrompt = /^User: (.*)$/m.exec(conversation)?.[1] ?? conversation;
  const words = firstPrompt.split(/\s+/).filter(Boolean).slice(0, TITLE_WORDS).join(' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const standIn = new FakeGemini(apiKey, (prompt, request) =>
  request.method === 'generateContent'
    ? { kind: 'answer', chunks: [titleOf(prompt)] }
    : {
        kind: 'answer',
        chunkDelayMs: 120,
        chunks: [
          'This is the local Gemini stand-in. ',
          'You asked: "',
          prompt.slice(0, 300),
          '". ',
          'Set GEMINI_API_KEY and empty GEMINI_BASE_URL in .env to talk to real Gemini.',
        ],
      },
);

standIn
  .start(port)
  .then((url) => console.log(`Gemini stand-in listening on ${url}`))
  .catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
