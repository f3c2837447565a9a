export * from './metrics-registry';
export * from './operator-credentials';
export * from './log-destination';
export * from './auth-failure-counter';
export * from './credential-redaction';
