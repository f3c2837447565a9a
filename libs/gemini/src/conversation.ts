import type { Content } from '@google/genai';

export interface ConversationTurn {
  role: 'user' | 'model';
  text: string;
}

/**
 * Turns the chatroom's history (oldest first, ending with the prompt being answered) into Gemini `contents` that fit
 * the character budget. The oldest turns are dropped first; the prompt itself is always kept (cut to the budget if
 * it alone exceeds it). Consecutive turns of one role (a prompt whose reply failed, followed by another prompt) are
 * merged, and the history never starts with a model turn, as Gemini expects alternating roles starting with the user.
 */
export function buildContents(turns: ConversationTurn[], charBudget: number): Content[] {
  const merged: ConversationTurn[] = [];
  for (const turn of turns) {
    const previous = merged.at(-1);
    if (previous && previous.role === turn.role) previous.text = `${previous.text}\n\n${turn.text}`;
    else merged.push({ ...turn });
  }
  const prompt = merged.pop();
  if (!prompt) return [];

  const kept: ConversationTurn[] = [];
  let remaining = charBudget - prompt.text.length;
  for (let index = merged.length - 1; index >= 0 && remaining > 0; index--) {
    if (merged[index].text.length > remaining) break;
    remaining -= merged[index].text.length;
    kept.unshift(merged[index]);
  }
  while (kept[0]?.role === 'model') kept.shift();

  const promptText = prompt.text.length > charBudget ? prompt.text.slice(-charBudget) : prompt.text;
  return [...kept, { role: prompt.role, text: promptText }].map((turn) => ({
    role: turn.role,
    parts: [{ text: turn.text }],
  }));
}
