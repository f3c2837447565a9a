/**
 * Writes postman/gemini-chat.postman_collection.json from openapi.json (openapi-to-postmanv2), with `baseUrl` and
 * `jwt_token` collection variables, bearer auth from `jwt_token`, and a "Quick flow" folder that logs in with an OTP
 * and calls protected endpoints (the part `npm run newman` runs). Output is deterministic (generated ids removed).
 * With `--check`, fails when the committed collection differs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { convert } from 'openapi-to-postmanv2';

const root = join(__dirname, '..');
const target = join(root, 'postman', 'gemini-chat.postman_collection.json');

type Json = Record<string, unknown>;

/** Generated ids, and saved example responses (the converter fills unspecified fields with random values). */
const OMITTED_KEYS = new Set(['id', '_postman_id', 'response']);

function withoutIds(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutIds);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Json)
        .filter(([key]) => !OMITTED_KEYS.has(key))
        .map(([key, inner]) => [key, withoutIds(inner)]),
    );
  }
  return value;
}

const json = { key: 'Content-Type', value: 'application/json' };
const step = (
  name: string,
  method: string,
  path: string,
  body: object | undefined,
  test: string[],
): Json => ({
  name,
  event: [{ listen: 'test', script: { type: 'text/javascript', exec: test } }],
  request: {
    method,
    header: body ? [json] : [],
    ...(body ? { body: { mode: 'raw', raw: JSON.stringify(body, null, 2) } } : {}),
    url: { raw: `{{baseUrl}}${path}`, host: ['{{baseUrl}}'], path: path.split('/').filter(Boolean) },
  },
});

const quickFlow: Json = {
  name: 'Quick flow',
  description: 'Log in with an OTP and call protected endpoints; run by `npm run newman`.',
  item: [
    step('Health', 'GET', '/health', undefined, ["pm.test('alive', () => pm.response.to.have.status(200));"]),
    step('Send OTP', 'POST', '/auth/send-otp', { mobile: '{{mobile}}' }, [
      "pm.test('code issued', () => pm.response.to.have.status(200));",
      "pm.collectionVariables.set('otp', pm.response.json().otp);",
    ]),
    step('Verify OTP', 'POST', '/auth/verify-otp', { mobile: '{{mobile}}', otp: '{{otp}}' }, [
      "pm.test('tokens issued', () => pm.response.to.have.status(200));",
      "pm.collectionVariables.set('jwt_token', pm.response.json().accessToken);",
    ]),
    step('Me', 'GET', '/user/me', undefined, [
      "pm.test('profile', () => pm.response.to.have.status(200));",
      "pm.test('basic tier', () => pm.expect(pm.response.json().tier).to.eql('basic'));",
    ]),
    step('Create chatroom', 'POST', '/chatroom', { title: 'From Postman' }, [
      "pm.test('created', () => pm.response.to.have.status(201));",
      "pm.collectionVariables.set('chatroom_id', pm.response.json().id);",
    ]),
    step('List chatrooms', 'GET', '/chatroom', undefined, [
      "pm.test('listed', () => pm.response.to.have.status(200));",
      "pm.test('contains the new chatroom', () => pm.expect(pm.response.json().items.map(r => r.id)).to.include(pm.collectionVariables.get('chatroom_id')));",
    ]),
    step('Subscription status', 'GET', '/subscription/status', undefined, [
      "pm.test('status', () => pm.response.to.have.status(200));",
    ]),
  ],
};

async function main(): Promise<void> {
  const spec = readFileSync(join(root, 'openapi.json'), 'utf8');
  const collection = await new Promise<Json>((resolve, reject) =>
    convert(
      { type: 'string', data: spec },
      { folderStrategy: 'Tags', requestParametersResolution: 'Example' },
      (error, result) => {
        if (error || !result?.result || !result.output) {
          return reject(error instanceof Error ? error : new Error(result?.reason ?? 'conversion failed'));
        }
        resolve(result.output[0].data as Json);
      },
    ),
  );
  const document = withoutIds({
    ...collection,
    item: [quickFlow, ...(collection.item as Json[])],
    auth: { type: 'bearer', bearer: [{ key: 'token', value: '{{jwt_token}}', type: 'string' }] },
    variable: [
      { key: 'baseUrl', value: 'http://localhost:3000', type: 'string' },
      { key: 'jwt_token', value: '', type: 'string' },
      { key: 'mobile', value: '+14155550123', type: 'string' },
      { key: 'otp', value: '', type: 'string' },
      { key: 'chatroom_id', value: '', type: 'string' },
    ],
  });
  const text = `${JSON.stringify(document, null, 2)}\n`;
  if (process.argv.includes('--check')) {
    if (readFileSync(target, 'utf8') !== text) {
      console.error('The Postman collection is out of date: run `npm run postman` and commit the result.');
      process.exit(1);
    }
    console.log('The Postman collection is up to date');
    return;
  }
  writeFileSync(target, text);
  console.log(`Wrote ${target}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
