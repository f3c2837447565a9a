export * from './usage-ledger';
export * from './usage-limits';
export * from './usage-period';
export * from './usage.module';
