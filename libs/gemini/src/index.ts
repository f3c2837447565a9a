export * from './gemini-error';
export * from './gemini.client';
export * from './gemini-endpoint';
