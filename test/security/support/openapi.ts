/** The parts of an OpenAPI 3 document the security suites read. */
export interface JsonSchema {
  $ref?: string;
  allOf?: JsonSchema[];
  type?: string;
  format?: string;
  pattern?: string;
  enum?: unknown[];
  example?: unknown;
  default?: unknown;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  nullable?: boolean;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
}

interface ParameterObject {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: JsonSchema;
}

interface OperationObject {
  operationId?: string;
  security?: Record<string, string[]>[];
  parameters?: ParameterObject[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: JsonSchema }> };
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OperationObject>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

export interface Operation {
  /** `GET /chatroom/{id}`, as the document writes it. */
  key: string;
  method: string;
  path: string;
  operationId: string;
  authenticated: boolean;
  pathParams: string[];
  queryParams: ParameterObject[];
  headerParams: ParameterObject[];
  /** The resolved schema of the JSON request body, when the operation takes one. */
  jsonBody?: JsonSchema;
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace']);

export async function fetchOpenApiDocument(apiUrl: string): Promise<OpenApiDocument> {
  const response = await fetch(`${apiUrl}/docs-json`);
  if (!response.ok) throw new Error(`GET /docs-json answered ${response.status}`);
  return (await response.json()) as OpenApiDocument;
}

/** Follows `$ref`s and merges `allOf`, so callers see one plain schema. */
export function resolveSchema(document: OpenApiDocument, schema: JsonSchema): JsonSchema {
  if (schema.$ref) {
    const name = schema.$ref.replace('#/components/schemas/', '');
    const target = document.components?.schemas?.[name];
    if (!target) throw new Error(`Unresolvable schema reference ${schema.$ref}`);
    return resolveSchema(document, target);
  }
  if (schema.allOf) {
    const { allOf, ...rest } = schema;
    return allOf.reduce<JsonSchema>(
      (merged, part) => ({ ...resolveSchema(document, part), ...merged }),
      rest,
    );
  }
  return schema;
}

export function listOperations(document: OpenApiDocument): Operation[] {
  return Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.entries(operations)
      .filter(([method]) => HTTP_METHODS.has(method))
      .map(([method, operation]): Operation => {
        const parameters = operation.parameters ?? [];
        const bodySchema = operation.requestBody?.content?.['application/json']?.schema;
        return {
          key: `${method.toUpperCase()} ${path}`,
          method: method.toUpperCase(),
          path,
          operationId: operation.operationId ?? `${method} ${path}`,
          authenticated: (operation.security ?? []).length > 0,
          pathParams: [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]),
          queryParams: parameters.filter((parameter) => parameter.in === 'query'),
          headerParams: parameters.filter((parameter) => parameter.in === 'header'),
          jsonBody: bodySchema ? resolveSchema(document, bodySchema) : undefined,
        };
      }),
  );
}

/** The path with its `{param}` placeholders replaced, each value percent-encoded. */
export function fillPath(path: string, values: Record<string, string>): string {
  return path.replace(/\{([^}]+)\}/g, (_placeholder, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`No value for path parameter ${name} of ${path}`);
    return encodeURIComponent(value);
  });
}
