import { decodeCursor, encodeCursor } from './pagination';

const ID = '3f1c2a9e-0000-4000-8000-000000000000';
const cursorAt = (t: string): string => Buffer.from(JSON.stringify({ t, i: ID })).toString('base64url');

describe('page cursors', () => {
  it('round-trips a position', () => {
    const at = new Date('2026-11-24T10:00:00.000Z');
    expect(decodeCursor(encodeCursor({ at, id: ID }))).toEqual({ at, id: ID });
  });

  it.each([
    '-271821-04-20T00:00:00.000Z',
    '-005000-01-01T00:00:00.000Z',
    '+275760-09-13T00:00:00.000Z',
    'soon',
  ])('refuses a date PostgreSQL cannot store or that is not a date (%s) as the client’s mistake', (t) => {
    expect(() => decodeCursor(cursorAt(t))).toThrow('cursor is not a valid page cursor');
  });
});
