import fc from 'fast-check';
import { JsonSchema, OpenApiDocument, Operation } from './openapi';
import { validValue } from './valid-body';

/**
 * A generated request, before the suite's live values (access token, real ids) are filled in: those change during
 * the run (a fuzzed logout ends the session, a fuzzed delete removes the chatroom), the shapes do not.
 */
export interface RequestSpec {
  pathValues: Record<string, PathValue>;
  query: [string, string][];
  auth: AuthValue;
  headers: Record<string, string>;
  body: BodySpec;
  contentType: string | null;
}

export type PathValue =
  { kind: 'real'; index: number } | { kind: 'encoded'; value: string } | { kind: 'raw'; value: string };
export type AuthValue =
  { kind: 'genuine' } | { kind: 'none' } | { kind: 'header'; value: string } | { kind: 'tampered' };
export type BodySpec =
  | { kind: 'none' }
  | { kind: 'json'; value: unknown }
  | { kind: 'mutated'; overrides: Record<string, unknown>; omit: string[]; extra: Record<string, unknown> }
  | { kind: 'text'; value: string };

/** Characters Node lets through in a header value: printable ASCII and Latin-1. */
const headerChar = fc
  .oneof(
    { weight: 4, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
    { weight: 1, arbitrary: fc.integer({ min: 0xa0, max: 0xff }) },
  )
  .map((code) => String.fromCharCode(code));
const headerText = (maxLength = 60): fc.Arbitrary<string> => fc.string({ unit: headerChar, maxLength });

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
const nastyString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({
    unit: fc.oneof(loneSurrogate, fc.constantFrom('\u0000', '\u202e', '\ufeff', '\ud83d\ude00', 'é')),
  }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'null',
    'undefined',
    '<script>alert(1)</script>',
    "' OR 1=1 --",
    '%00',
    '../../etc/passwd',
  ),
  fc.integer({ min: 7_990, max: 8_010 }).map((length) => 'x'.repeat(length)),
  // Around every length limit (100, 200, 254 code points), in characters validators and PostgreSQL count apart:
  // a heart with its variation selector, a letter with one, a family emoji (one grapheme, five code points).
  fc
    .tuple(fc.constantFrom('❤️', 'a\uFE0F', '👩‍👩‍👧', '😀', 'é'), fc.integer({ min: 20, max: 260 }))
    .map(([grapheme, times]) => grapheme.repeat(times)),
  fc.string({ unit: 'grapheme', minLength: 90, maxLength: 260 }),
  fc.integer({ min: 1, max: 3 }).map((times) => '\u{1F600}'.repeat(4_000 * times)),
);

const deepNesting = fc
  .tuple(fc.integer({ min: 1, max: 3_000 }), fc.boolean())
  .map(([depth, arrays]) =>
    arrays ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth),
  );

const weirdValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: nastyString },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(null, true, false, 0, -1, 1e308, -0, 2 ** 53, [], {}, [''], { $gt: '' }),
  },
  { weight: 1, arbitrary: fc.double() },
  // Parsed nesting stays shallow enough for fast-check to print; the deep kind is sent as raw text below.
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 1, max: 100 })
      .map((depth) => JSON.parse('['.repeat(depth) + ']'.repeat(depth)) as unknown),
  },
);

const invalidJsonText = fc.oneof(
  fc.constantFrom(
    '{',
    '}',
    '{"a":',
    '{"title": "x",}',
    "{'title': 'x'}",
    'nul',
    'undefined',
    '[1,2',
    '{"a":1}{"b":2}',
    '\u0000',
    '\ufeff{}',
    '{"__proto__": {"isAdmin": true}}',
    '{"constructor": {"prototype": {"isAdmin": true}}}',
    'null',
    '1',
    '"just a string"',
    'true',
    '[]',
    '{"a":1e999999}',
    '{"a":"\\ud800"}',
  ),
  fc.string({ unit: 'binary', maxLength: 300 }),
  deepNesting,
  fc.integer({ min: 64 * 1024, max: 70 * 1024 }).map((length) => `{"title":"${'y'.repeat(length)}"}`),
);

/** Stripe-shaped objects an event may carry, with any field replaced by something odd. */
const stripeObjectLike = fc.record(
  {
    id: fc.oneof(fc.constantFrom('sub_unknown_to_stripe', 'cs_fuzz'), weirdValue),
    object: fc.constantFrom('subscription', 'invoice', 'checkout.session'),
    mode: fc.oneof(fc.constant('subscription'), weirdValue),
    subscription: fc.oneof(fc.constant('sub_unknown_to_stripe'), weirdValue),
    customer: weirdValue,
    client_reference_id: weirdValue,
    metadata: fc.oneof(fc.record({ userId: weirdValue }), weirdValue),
    parent: fc.oneof(
      fc.record({ subscription_details: fc.record({ subscription: weirdValue }) }),
      weirdValue,
    ),
  },
  { requiredKeys: [] },
);

/** Webhook bodies the suite signs as Stripe would: genuine in origin, malformed or inapplicable in content. */
const stripeEventLike: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(null, {}, [], 'evt', 0) },
  {
    weight: 6,
    arbitrary: fc.record(
      {
        id: fc.oneof(
          fc.uuid().map((uuid) => `evt_${uuid.replace(/-/g, '')}`),
          fc.integer({ min: 250, max: 320 }).map((length) => `evt_${'e'.repeat(length)}`),
          weirdValue,
        ),
        object: fc.constant('event'),
        type: fc.oneof(
          fc.constantFrom(
            'checkout.session.completed',
            'customer.subscription.created',
            'customer.subscription.updated',
            'customer.subscription.deleted',
            'invoice.paid',
            'invoice.payment_failed',
            'customer.updated',
          ),
          weirdValue,
        ),
        created: fc.oneof(
          fc.integer({ min: 0, max: 2 ** 31 }),
          fc.constantFrom(-1, 1e15, 1.5, '1'),
          weirdValue,
        ),
        data: fc.oneof(fc.record({ object: fc.oneof(stripeObjectLike, weirdValue) }), weirdValue),
      },
      { requiredKeys: [] },
    ),
  },
);

export const STRIPE_WEBHOOK_PATH = '/webhook/stripe';

function bodyFor(operation: Operation): fc.Arbitrary<BodySpec> {
  if (operation.path === STRIPE_WEBHOOK_PATH) {
    return fc.oneof(
      { weight: 6, arbitrary: fc.record({ kind: fc.constant('json' as const), value: stripeEventLike }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('text' as const), value: invalidJsonText }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
    );
  }
  const properties = Object.keys(operation.jsonBody?.properties ?? {});
  const keys = properties.length > 0 ? fc.constantFrom(...properties) : fc.string();
  const mutated = fc.record({
    kind: fc.constant('mutated' as const),
    overrides: fc.dictionary(keys, weirdValue, { maxKeys: 3 }),
    omit: fc.subarray(properties),
    extra: fc.oneof(
      { weight: 4, arbitrary: fc.constant({}) },
      { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 20 }), weirdValue, { maxKeys: 2 }) },
    ),
  });
  return fc.oneof(
    { weight: operation.jsonBody ? 5 : 1, arbitrary: mutated },
    {
      weight: 2,
      arbitrary: fc.record({ kind: fc.constant('json' as const), value: fc.jsonValue({ maxDepth: 4 }) }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('text' as const), value: invalidJsonText }) },
    { weight: operation.jsonBody ? 1 : 4, arbitrary: fc.constant({ kind: 'none' as const }) },
  );
}

const contentType = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json') },
  { weight: 2, arbitrary: fc.constant(null) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=----fuzz',
      'application/json; charset=utf-16',
      'application/json; charset=latin1',
      'APPLICATION/JSON',
      'application/merge-patch+json',
      'application/octet-stream',
      'application/json, text/plain',
      '*/*',
      '',
    ),
  },
  { weight: 1, arbitrary: headerText(40) },
);

const pathValue: fc.Arbitrary<PathValue> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('real' as const), index: fc.nat(2) }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('encoded' as const), value: fc.uuid({ version: 4 }) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('encoded' as const),
      value: fc.oneof(
        fc.uuid(),
        fc.string(),
        fc.string({ unit: 'grapheme', minLength: 1 }),
        fc.integer({ min: 90, max: 5_000 }).map((length) => 'a'.repeat(length)),
        fc.constantFrom(
          '0',
          '-1',
          'null',
          '00000000-0000-0000-0000-000000000000',
          'FFFFFFFF-FFFF-4FFF-BFFF-FFFFFFFFFFFF',
        ),
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('raw' as const),
      value: fc.constantFrom(
        '%',
        '%zz',
        '%00',
        '%E0%A4%A',
        '..%2F..%2F',
        '%2e%2e',
        '%u0000',
        '%ff%fe',
        '%F0%9F%98',
        ';x=1',
        '..',
        '.',
      ),
    }),
  },
);

/** A query value for one documented parameter: in range (kept small, `wait` holds the answer), out of range, junk. */
function queryValue(schema: JsonSchema | undefined): fc.Arbitrary<string> {
  if (schema?.type === 'number' || schema?.type === 'integer') {
    const minimum = schema.minimum ?? 0;
    return fc.oneof(
      { weight: 3, arbitrary: fc.integer({ min: minimum, max: minimum + 1 }).map(String) },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          String((schema.maximum ?? 100) + 1),
          String(minimum - 1),
          '1e309',
          'NaN',
          'Infinity',
          '0x10',
          '1.5',
          ' 1',
          '',
          '-0',
          '99999999999999999999999',
        ),
      },
      { weight: 1, arbitrary: fc.string() },
    );
  }
  return fc.oneof(
    { weight: 2, arbitrary: fc.string() },
    { weight: 2, arbitrary: cursorLike },
    { weight: 1, arbitrary: fc.integer({ min: 150, max: 3_000 }).map((length) => 'c'.repeat(length)) },
  );
}

/** Base64url JSON shaped like a page cursor, with dates across the whole JavaScript range and odd ids. */
const cursorLike = fc
  .record({
    t: fc.oneof(
      fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
      fc.constantFrom(
        '2026-13-45',
        '',
        'now',
        '1970-01-01',
        '-271821-04-20T00:00:00.000Z',
        '-005000-01-01T00:00:00.000Z',
        '0000-01-01T00:00:00.000Z',
        '+010000-01-01T00:00:00.000Z',
        '+275760-09-13T00:00:00.000Z',
      ),
      fc.integer(),
    ),
    i: fc.oneof(fc.uuid(), fc.string(), fc.constant('ffffffff-ffff-ffff-ffff-ffffffffffff')),
  })
  .map((position) => Buffer.from(JSON.stringify(position)).toString('base64url'));

const optionalHeaders = fc.record(
  {
    'idempotency-key': fc.oneof(
      fc.stringMatching(/^[A-Za-z0-9_\-:.]{1,100}$/),
      fc.constantFrom('', ' ', 'k'.repeat(101), 'key with spaces'),
      headerText(),
    ),
    'last-event-id': fc.oneof(
      fc.constantFrom(
        '0',
        '0-0',
        '1-0',
        '$',
        '+',
        '-',
        '99999999999999999999-99999999999999999999',
        '18446744073709551616-0',
      ),
      headerText(),
    ),
    'stripe-signature': fc.oneof(fc.constantFrom('t=1,v1=abc', 't=,v1=', 'v1='), headerText(200)),
    'cache-control': fc.constantFrom('no-cache', 'no-store', 'max-age=0', 'garbage'),
    'x-forwarded-for': fc.oneof(
      fc.ipV4(),
      fc.ipV6(),
      fc.constantFrom('unknown', '1.1.1.1, 2.2.2.2', ''),
      headerText(),
    ),
    accept: fc.constantFrom('text/event-stream', '*/*', 'application/xml', 'garbage'),
  },
  { requiredKeys: [] },
);

const authValue: fc.Arbitrary<AuthValue> = fc.oneof(
  { weight: 16, arbitrary: fc.constant({ kind: 'genuine' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'tampered' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('header' as const),
      value: fc.oneof(
        headerText(300).map((text) => `Bearer ${text}`),
        fc.constantFrom(
          'Bearer',
          'Bearer ',
          'Basic dXNlcjpwYXNz',
          'Bearer a.b.c',
          'Bearer eyJ.eyJ.',
          'Bearer ....',
          'Token x',
        ),
        headerText(),
      ),
    }),
  },
);

export function requestFor(operation: Operation): fc.Arbitrary<RequestSpec> {
  const queryParams = [
    ...operation.queryParams.map((parameter) =>
      fc.option(
        queryValue(parameter.schema).map((value): [string, string] => [parameter.name, value]),
        { nil: undefined },
      ),
    ),
    fc.option(fc.tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 })), {
      nil: undefined,
      freq: 5,
    }),
  ];
  return fc.record({
    pathValues: fc.record(Object.fromEntries(operation.pathParams.map((name) => [name, pathValue]))),
    query: fc
      .tuple(...queryParams)
      .map((pairs) => pairs.filter((pair): pair is [string, string] => pair !== undefined)),
    auth: authValue,
    headers: optionalHeaders.map((headers) =>
      Object.fromEntries(Object.entries(headers).filter(([, value]) => value !== undefined)),
    ),
    body: bodyFor(operation),
    contentType,
  });
}

/** The body bytes to send: a mutated valid body starts from one that passes the schema. */
export function bodyText(
  document: OpenApiDocument,
  operation: Operation,
  body: BodySpec,
): string | undefined {
  switch (body.kind) {
    case 'none':
      return undefined;
    case 'json':
      return JSON.stringify(body.value);
    case 'text':
      return body.value;
    case 'mutated': {
      const base = operation.jsonBody
        ? (validValue(document, operation.jsonBody, undefined, true) as Record<string, unknown>)
        : {};
      for (const name of body.omit) delete base[name];
      return JSON.stringify({ ...base, ...body.extra, ...body.overrides });
    }
  }
}
