import { findUnacceptableJson, MAX_JSON_DEPTH, unsupportedBody } from './request-hygiene';

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

describe('unsupportedBody', () => {
  const withBody = (headers: Record<string, string>) => ({ 'content-length': '10', ...headers });

  it('accepts UTF-8 JSON, with or without a charset, and requests without a body', () => {
    expect(unsupportedBody(withBody({ 'content-type': 'application/json' }))).toBeUndefined();
    expect(
      unsupportedBody(withBody({ 'content-type': 'application/json; charset="UTF-8"' })),
    ).toBeUndefined();
    expect(unsupportedBody(withBody({ 'content-type': 'application/merge-patch+json' }))).toBeUndefined();
    expect(unsupportedBody({ 'content-type': 'text/plain' })).toBeUndefined();
  });

  it('refuses forms, compressed bodies and other charsets', () => {
    expect(unsupportedBody(withBody({ 'content-type': 'application/x-www-form-urlencoded' }))).toContain(
      'application/json',
    );
    expect(
      unsupportedBody(withBody({ 'content-type': 'application/json', 'content-encoding': 'br' })),
    ).toContain('Content-Encoding br');
    expect(unsupportedBody(withBody({ 'content-type': 'application/json;charset=latin1' }))).toContain(
      'charset latin1',
    );
  });
});
