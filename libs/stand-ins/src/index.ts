export * from './fake-gemini';
export * from './fake-stripe';
