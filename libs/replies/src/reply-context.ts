import type { Content } from '@google/genai';

/** What a reply is generated from: earlier completed exchanges (oldest first) and the prompt it answers. */
export interface ReplyContext {
  exchanges: { prompt: string; reply: string }[];
  prompt: string;
}

/** Gemini `contents`: alternating user and model turns, ending with the prompt being answered. */
export function toContents(context: ReplyContext): Content[] {
  const turn = (role: 'user' | 'model', text: string): Content => ({ role, parts: [{ text }] });
  return [
    ...context.exchanges.flatMap((exchange) => [
      turn('user', exchange.prompt),
      turn('model', exchange.reply),
    ]),
    turn('user', context.prompt),
  ];
}
