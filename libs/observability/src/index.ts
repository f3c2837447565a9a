export * from './metrics-registry';
export * from './operator-credentials';
export * from './log-destination';
export * from './credential-redaction';
