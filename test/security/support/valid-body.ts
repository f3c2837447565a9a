import { randomBytes, randomUUID } from 'node:crypto';
import { uniqueMobile } from '../../support/auth';
import { JsonSchema, OpenApiDocument, resolveSchema } from './openapi';

/** Chooses a value for one property, or returns undefined to let the schema decide. */
export type ValueChooser = (property: string, schema: JsonSchema) => unknown;

const E164 = '^\\+[1-9]\\d{6,14}$';

function matchesPattern(value: unknown, pattern: string | undefined): boolean {
  return pattern === undefined || (typeof value === 'string' && new RegExp(pattern).test(value));
}

function sampleString(schema: JsonSchema): string {
  if (schema.pattern === E164) return uniqueMobile();
  if (schema.pattern === '^\\d{6}$') return '123456';
  if (typeof schema.example === 'string' && matchesPattern(schema.example, schema.pattern)) {
    return fitLength(schema.example, schema);
  }
  if (schema.enum?.length) return String(schema.enum[0]);
  if (schema.format === 'email') return `${randomUUID().slice(0, 8)}@example.com`;
  if (schema.format === 'uuid') return randomUUID();
  if (schema.format === 'date-time') return new Date().toISOString();
  if (schema.pattern) {
    throw new Error(`No sample for a string with pattern ${schema.pattern}: teach valid-body.ts about it`);
  }
  return fitLength('valid sample text', schema);
}

function fitLength(value: string, schema: JsonSchema): string {
  const padded = value.padEnd(schema.minLength ?? 0, 'x');
  return schema.maxLength === undefined ? padded : padded.slice(0, schema.maxLength);
}

function sampleNumber(schema: JsonSchema): number {
  if (typeof schema.example === 'number') return schema.example;
  return schema.minimum ?? 1;
}

/**
 * A small body that passes the schema: only required properties (unless `includeOptional`), each from its example
 * when that is valid, else a plain value that fits the constraints. Mobile numbers are fresh on every call, so a body
 * that were wrongly accepted would create something the caller can look for.
 */
/**
 * Values the document cannot describe well enough. A refresh token is 20-200 characters for the validator, but the
 * document gives neither bound and its example is shorter: send one shaped like those the api issues.
 */
const knownValues: ValueChooser = (property) =>
  property === 'refreshToken' ? randomBytes(32).toString('base64url') : undefined;

export function validValue(
  document: OpenApiDocument,
  schema: JsonSchema,
  choose: ValueChooser = knownValues,
  includeOptional = false,
): unknown {
  const resolved = resolveSchema(document, schema);
  switch (resolved.type) {
    case 'object': {
      const required = new Set(resolved.required ?? []);
      const body: Record<string, unknown> = {};
      for (const [name, property] of Object.entries(resolved.properties ?? {})) {
        if (!required.has(name) && !includeOptional) continue;
        const chosen = choose(name, property);
        body[name] = chosen === undefined ? validValue(document, property, choose, includeOptional) : chosen;
      }
      return body;
    }
    case 'array':
      return resolved.items ? [validValue(document, resolved.items, choose, includeOptional)] : [];
    case 'string':
      return sampleString(resolved);
    case 'number':
    case 'integer':
      return sampleNumber(resolved);
    case 'boolean':
      return true;
    default:
      if (resolved.enum?.length) return resolved.enum[0];
      throw new Error(`No sample for schema ${JSON.stringify(resolved)}`);
  }
}

export function validBody(
  document: OpenApiDocument,
  schema: JsonSchema,
  choose?: ValueChooser,
): Record<string, unknown> {
  const body = validValue(document, schema, choose);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new Error('Expected an object schema for a request body');
  }
  return body as Record<string, unknown>;
}
