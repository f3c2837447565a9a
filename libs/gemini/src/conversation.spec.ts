import { buildContents, ConversationTurn } from './conversation';

const turn = (role: 'user' | 'model', text: string): ConversationTurn => ({ role, text });
const texts = (contents: ReturnType<typeof buildContents>): string[] =>
  contents.map((c) => `${c.role}:${c.parts?.[0].text}`);

describe('buildContents', () => {
  it('sends the whole history with user and model roles when it fits', () => {
    const contents = buildContents(
      [turn('user', 'hi'), turn('model', 'hello'), turn('user', 'how are you?')],
      1000,
    );
    expect(texts(contents)).toEqual(['user:hi', 'model:hello', 'user:how are you?']);
  });

  it('drops the oldest turns first to fit the budget, keeping the prompt', () => {
    const history = [
      turn('user', 'a'.repeat(50)),
      turn('model', 'b'.repeat(50)),
      turn('user', 'c'.repeat(20)),
      turn('model', 'd'.repeat(20)),
      turn('user', 'prompt'),
    ];
    const contents = buildContents(history, 60);
    expect(texts(contents)).toEqual([`user:${'c'.repeat(20)}`, `model:${'d'.repeat(20)}`, 'user:prompt']);
  });

  it('never starts with a model turn after trimming', () => {
    const history = [turn('user', 'x'.repeat(100)), turn('model', 'short'), turn('user', 'prompt')];
    expect(texts(buildContents(history, 20))).toEqual(['user:prompt']);
  });

  it('merges consecutive turns of the same role', () => {
    const history = [turn('user', 'first, unanswered'), turn('user', 'second')];
    expect(texts(buildContents(history, 1000))).toEqual(['user:first, unanswered\n\nsecond']);
  });

  it('cuts a prompt longer than the whole budget to its end', () => {
    expect(texts(buildContents([turn('user', '0123456789')], 4))).toEqual(['user:6789']);
  });
});
