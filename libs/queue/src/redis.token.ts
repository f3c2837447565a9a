/** Injection token of each app's general-purpose Redis connection (commands, scripts, publishing). */
export const REDIS = Symbol('REDIS');
