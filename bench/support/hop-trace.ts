import type * as DiagnosticsChannel from 'node:diagnostics_channel';

/** One timed step inside an app: an HTTP request it served, a fetch it made, a query, a Redis command or message. */
export interface TraceEvent {
  app: 'api' | 'worker';
  kind: 'http' | 'fetch' | 'pg' | 'redis' | 'notification';
  label: string;
  /** Milliseconds on the machine's clock (performance.timeOrigin + performance.now()): comparable across processes. */
  start: number;
  end: number;
}

type Recorded = Omit<TraceEvent, 'app'>;
type Callback = (...args: unknown[]) => unknown;

/**
 * Runs inside an app (it is stringified into an `--import` preload, so it may use nothing but its argument): records
 * what the app does while tracing is on, answering `trace-start` and `trace-stop` over the IPC channel. It reads
 * Node's and ioredis's diagnostics channels (subscribed only while tracing) and wraps pg's Client#query, whose
 * cost with tracing off is one boolean test per query. Nothing of it ships: the apps carry no timing code.
 */
function installHopTrace(load: (id: string) => unknown): void {
  const dc = load('node:diagnostics_channel') as typeof DiagnosticsChannel;
  const { createHash } = load('node:crypto') as typeof import('node:crypto');
  const now = (): number => performance.timeOrigin + performance.now();
  let events: Recorded[] = [];
  let tracing = false;

  const withoutPrefix = (key: unknown): string => (typeof key === 'string' ? key : '').replace(/^[^:]*:/, '');
  const short = (text: string): string => text.replace(/\s+/g, ' ').trim().slice(0, 72);

  // Lua scripts are sent by SHA1: remember which name each defined script has.
  const scriptNames = new Map<string, string>();
  const Redis = (load('ioredis') as { default: { prototype: Record<string, Callback> } }).default;
  const defineCommand = Redis.prototype.defineCommand;
  Redis.prototype.defineCommand = function (this: unknown, ...args: unknown[]) {
    const [name, definition] = args as [string, { lua: string }];
    scriptNames.set(createHash('sha1').update(definition.lua).digest('hex'), name);
    return defineCommand.apply(this, args);
  };
  const emit = Redis.prototype.emit;
  Redis.prototype.emit = function (this: unknown, event: unknown, ...args: unknown[]) {
    if (tracing && event === 'message') {
      const at = now();
      events.push({ kind: 'notification', label: `message ${withoutPrefix(args[0])}`, start: at, end: at });
    }
    return emit.call(this, event, ...args);
  };

  const pg = load('pg') as { Client: { prototype: { query: Callback } } };
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: unknown, ...args: unknown[]) {
    if (!tracing) return query.apply(this, args);
    const start = now();
    const sql = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text;
    const done = (): void => void events.push({ kind: 'pg', label: short(sql ?? '?'), start, end: now() });
    const callbackAt = args.findIndex((arg) => typeof arg === 'function');
    if (callbackAt >= 0) {
      const callback = args[callbackAt] as Callback;
      args[callbackAt] = function (this: unknown, ...results: unknown[]) {
        done();
        return callback.apply(this, results);
      };
      return query.apply(this, args);
    }
    const result = query.apply(this, args) as { then?: (ok: () => void, failed: () => void) => void };
    if (typeof result?.then === 'function') result.then(done, done);
    return result;
  };

  const started = new WeakMap<object, number>();
  const redisLabel = (context: { command: string; args: string[] }): string => {
    const [first, , firstKey] = context.args;
    if (context.command === 'evalsha') return `evalsha ${scriptNames.get(first) ?? withoutPrefix(firstKey)}`;
    if (context.command === 'eval') return `eval ${withoutPrefix(firstKey)}`;
    return `${context.command} ${withoutPrefix(first)}`;
  };
  const ignore = (): void => undefined;
  const redisCommands = {
    end: ignore,
    asyncStart: ignore,
    error: ignore,
    start: (context: object) => void started.set(context, now()),
    asyncEnd: (context: object) => {
      const start = started.get(context);
      const command = context as { command: string; args: string[] };
      if (start !== undefined) events.push({ kind: 'redis', label: redisLabel(command), start, end: now() });
    },
  };
  type Message = { request: object & { method?: string; url?: string; origin?: string; path?: string } };
  const onStart = (message: unknown): void => void started.set((message as Message).request, now());
  const onServed = (message: unknown): void => {
    const { request } = message as Message;
    const start = started.get(request);
    if (start !== undefined)
      events.push({ kind: 'http', label: `${request.method} ${request.url}`, start, end: now() });
  };
  const onFetched = (message: unknown): void => {
    const { request } = message as Message;
    const start = started.get(request);
    if (start !== undefined)
      events.push({ kind: 'fetch', label: `${request.method} ${request.path}`, start, end: now() });
  };
  const channels: [string, (message: unknown) => void][] = [
    ['http.server.request.start', onStart],
    ['http.server.response.finish', onServed],
    ['undici:request:create', onStart],
    ['undici:request:trailers', onFetched],
  ];
  const redisChannel = dc.tracingChannel('ioredis:command');

  process.on('message', (message) => {
    if (message === 'trace-start') {
      events = [];
      if (!tracing) {
        for (const [name, listener] of channels) dc.subscribe(name, listener);
        redisChannel.subscribe(redisCommands);
      }
      tracing = true;
      process.send?.({ tracing });
    }
    if (message === 'trace-stop') {
      if (tracing) {
        for (const [name, listener] of channels) dc.unsubscribe(name, listener);
        redisChannel.unsubscribe(redisCommands);
      }
      tracing = false;
      process.send?.({ trace: events });
      events = [];
    }
  });
}

/** The ESM source loaded with `--import` into a traced app. */
export const HOP_TRACE_PRELOAD = `import { createRequire } from 'node:module';
(${installHopTrace.toString()})(createRequire(process.cwd() + '/'));`;
