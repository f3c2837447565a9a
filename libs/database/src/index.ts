export * from './data-source-options';
export * from './database.module';
export * from './dependency-outage';
export * from './entities';
export * from './migrate';
export * from './returned-rows';
