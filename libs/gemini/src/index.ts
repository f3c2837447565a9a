export * from './gemini-error';
export * from './gemini.client';
export * from './gemini-endpoint';
export * from './model-policy';
export * from './model-policy.module';
