import { Client, createClient, createConfig } from '@app/sdk';

/** An SDK client bound to one api and, optionally, one access token: e2e suites call the API as clients do. */
export function sdkClient(baseUrl: string, accessToken?: string): Client {
  return createClient(createConfig({ baseUrl, ...(accessToken ? { auth: () => accessToken } : {}) }));
}
