export * from './metrics-registry';
export * from './operator-credentials';
