/** The UTC calendar day of `date`, as PostgreSQL writes a `date`: `2026-12-03`. */
export function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** The first day of `date`'s UTC calendar month: `2026-12-01`. */
export function utcMonth(date: Date): string {
  return `${date.toISOString().slice(0, 7)}-01`;
}

export function nextUtcMidnight(date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + 1));
}

export function nextUtcMonth(date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1));
}

/** Whole seconds from `now` until `then`, at least 1: a Retry-After. */
export function secondsUntil(then: Date, now: Date): number {
  return Math.max(1, Math.ceil((then.getTime() - now.getTime()) / 1000));
}
