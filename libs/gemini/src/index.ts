export * from './gemini-error';
export * from './gemini.client';
