export * from './generated';
export { client } from './generated/client.gen';
export { createClient, createConfig } from './generated/client';
export type { Client } from './generated/client';
export * from './stream';
