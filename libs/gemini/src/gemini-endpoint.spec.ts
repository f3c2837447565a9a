import { AppConfig, loadConfig } from '@app/config';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { assertGeminiReachable, GeminiEndpointError } from './gemini-endpoint';

const config = (env: Record<string, string>): AppConfig =>
  loadConfig({
    JWT_SECRET_KEY: 'q3Vx9n2LkT0bZ+R7yWc1sJ4pHdA8mEoFgU6iN5tBvXrYaK/lQwCzMeSfPhDjGuIO',
    OTP_IN_RESPONSE: 'false',
    ...env,
  });

describe('assertGeminiReachable', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((_request, response) => response.writeHead(404).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => new Promise((resolve) => server.close(resolve)));

  it('refuses to start in production when GEMINI_BASE_URL answers nothing, saying what to set', async () => {
    const check = assertGeminiReachable(
      config({ NODE_ENV: 'production', GEMINI_BASE_URL: 'http://127.0.0.1:9' }),
    );
    await expect(check).rejects.toThrow(GeminiEndpointError);
    await expect(check).rejects.toThrow('leave GEMINI_BASE_URL empty');
  });

  it('accepts any HTTP answer in production', async () => {
    await expect(
      assertGeminiReachable(config({ NODE_ENV: 'production', GEMINI_BASE_URL: url })),
    ).resolves.toBeUndefined();
  });

  it('checks nothing outside production or without GEMINI_BASE_URL', async () => {
    await expect(
      assertGeminiReachable(config({ GEMINI_BASE_URL: 'http://127.0.0.1:9' })),
    ).resolves.toBeUndefined();
    await expect(assertGeminiReachable(config({ NODE_ENV: 'production' }))).resolves.toBeUndefined();
  });
});
