import { findUnacceptableJson, MAX_JSON_DEPTH } from './request-hygiene';

const nestedArrays = (levels: number): unknown => JSON.parse(`${'['.repeat(levels)}${']'.repeat(levels)}`);

describe('findUnacceptableJson', () => {
  it('accepts ordinary bodies, including emoji and other non-ASCII text', () => {
    expect(findUnacceptableJson({ title: 'Trip ✈️ to Zürich', tags: ['a', 1, null, true] })).toBeUndefined();
    expect(findUnacceptableJson(undefined)).toBeUndefined();
  });

  it('names the field that holds a NUL character', () => {
    expect(findUnacceptableJson({ content: 'a\u0000b' })).toEqual({
      field: 'content',
      message: 'content must not contain the NUL character (U+0000)',
    });
  });

  it('finds an unpaired surrogate in a nested value and in a key', () => {
    expect(findUnacceptableJson({ user: { emails: ['ok', '\ud800@example.com'] } })?.field).toBe(
      'user.emails[1]',
    );
    expect(findUnacceptableJson({ ['\udc00']: 1 })?.message).toContain('unpaired surrogate');
  });

  it('refuses nesting past the limit without walking all of it', () => {
    expect(findUnacceptableJson(nestedArrays(MAX_JSON_DEPTH))).toBeUndefined();
    expect(findUnacceptableJson(nestedArrays(MAX_JSON_DEPTH + 1))?.message).toContain(
      `nested deeper than ${MAX_JSON_DEPTH} levels`,
    );
    expect(findUnacceptableJson(nestedArrays(100_000))).toBeDefined();
  });
});
