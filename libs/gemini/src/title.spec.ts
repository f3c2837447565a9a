import { cleanTitle } from './gemini.client';

describe('cleanTitle', () => {
  it.each([
    ['"Lisbon in three days."', 'Lisbon in three days'],
    ['Title: **Weekend in Porto**', 'Weekend in Porto'],
    ['\n\n  Budget travel tips\nA second line', 'Budget travel tips'],
    ['“Ideas for dinner”', 'Ideas for dinner'],
    ['', ''],
  ])('turns %j into %j', (text, title) => {
    expect(cleanTitle(text)).toBe(title);
  });

  it('keeps at most 80 code points, counting emoji as the database does', () => {
    expect([...cleanTitle('❤️'.repeat(100))]).toHaveLength(80);
  });
});
