import type { TSchema } from '@sinclair/typebox';
import { OPERATIONS, type Operation } from './operations.js';

/** A TypeBox schema as plain JSON Schema: TypeBox's symbol-keyed markers dropped, nothing else changed. */
function plain(schema: TSchema): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema));
}

function parameters(operation: Operation): Parameter[] {
  const found: Parameter[] = [];
  for (const [, name] of operation.path.matchAll(/\{(\w+)\}/g))
    found.push({ name, in: 'path', required: true, schema: { type: 'string' } });
  if (operation.query) {
    const required = new Set(operation.query.required ?? []);
    for (const [name, schema] of Object.entries(operation.query.properties)) {
      const { description, ...rest } = plain(schema) as { description?: string };
      found.push({ name, in: 'query', required: required.has(name), ...(description ? { description } : {}), schema: rest });
    }
  }
  for (const [name, header] of Object.entries(operation.headers ?? {})) {
    found.push({ name, in: 'header', required: header.required ?? false, description: header.description, schema: plain(header.schema) });
  }
  return found;
}

function describe(operation: Operation): DocumentedOperation {
  const responses = Object.fromEntries(
    Object.entries(operation.responses).map(([status, response]) => {
      const contentType = response.contentType ?? 'application/json';
      const content =
        response.schema || contentType !== 'application/json'
          ? { [contentType]: response.schema ? { schema: plain(response.schema) } : {} }
          : undefined;
      return [status, { description: response.description, ...(content ? { content } : {}) }];
    }),
  );
  const params = parameters(operation);
  return {
    operationId: `${operation.method}${operation.path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`,
    summary: operation.summary,
    tags: operation.tags,
    ...(params.length ? { parameters: params } : {}),
    ...(operation.body ? { requestBody: { required: true, content: { 'application/json': { schema: plain(operation.body) } } } } : {}),
    ...(operation.auth ? { security: [{ [operation.auth === 'staff' ? 'staffBearer' : 'citizenBearer']: [] }] } : {}),
    responses,
  };
}

type Media = Record<string, { schema?: Record<string, unknown> }>;
type Parameter = { name: string; in: string; required: boolean; description?: string; schema: Record<string, unknown> };

/** The parts of the document the docs page reads. */
export interface DocumentedOperation {
  operationId: string;
  summary: string;
  tags: string[];
  security?: unknown[];
  parameters?: Parameter[];
  requestBody?: { required: boolean; content: Media };
  responses: Record<string, { description: string; content?: Media }>;
}

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description: string };
  servers: { url: string }[];
  paths: Record<string, Record<string, DocumentedOperation>>;
  [key: string]: unknown;
}

export interface DocumentOptions {
  /** The tenant's public URL, without a trailing slash: the document's one server. */
  serverUrl: string;
  /** The tenant's name for people, e.g. "India". */
  title: string;
  version?: string;
}

/**
 * The OpenAPI 3.1 document of a tenant's API: the native API under /api/v1 and the
 * Co-WIN-compatible API under /cowin. Request schemas are the routes' own TypeBox schemas (the
 * ones `validate()` checks), so the document cannot drift from what is enforced.
 */
export function openApiDocument(options: DocumentOptions, operations: readonly Operation[] = OPERATIONS): OpenApiDocument {
  const paths: Record<string, Record<string, DocumentedOperation>> = {};
  for (const operation of operations) {
    paths[operation.path] ??= {};
    paths[operation.path][operation.method] = describe(operation);
  }
  const tags = [...new Set(operations.flatMap((operation) => operation.tags))].map((name) => ({ name }));
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    info: {
      title: `Teeka API: ${options.title}`,
      version: options.version ?? '1',
      description:
        'The native API (`/api/v1`, errors as `application/problem+json`) and the Co-WIN-compatible API (`/cowin`, errors as `{errorCode, error}`). Citizens sign in with an SMS code and send the token as `Authorization: Bearer`.',
    },
    servers: [{ url: options.serverUrl }],
    tags,
    paths,
    components: {
      securitySchemes: {
        citizenBearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A citizen token from any sign-in form' },
        staffBearer: { type: 'http', scheme: 'bearer', description: 'A staff token from POST /api/v1/staff/sign-in' },
      },
    },
  };
}
