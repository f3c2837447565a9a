/**
 * A local stand-in for Gemini used by `npm run dev` when no Google key is configured: it speaks Gemini's REST
 * protocol on GEMINI_STAND_IN_PORT (default 8089) and streams a short reply to every prompt.
 */
import { FakeGemini } from '@app/stand-ins';

const port = Number(process.env.GEMINI_STAND_IN_PORT ?? 8089);
const apiKey = process.env.GEMINI_API_KEY || 'local-stand-in';

const standIn = new FakeGemini(apiKey, (prompt) => ({
  kind: 'answer',
  chunkDelayMs: 120,
  chunks: [
    'This is the local Gemini stand-in. ',
    'You asked: "',
    prompt.slice(0, 300),
    '". ',
    'Set GEMINI_API_KEY and empty GEMINI_BASE_URL in .env to talk to real Gemini.',
  ],
}));

standIn
  .start(port)
  .then((url) => console.log(`Gemini stand-in listening on ${url}`))
  .catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
