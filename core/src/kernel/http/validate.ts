import type { Static, TSchema } from '@sinclair/typebox';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { createAjv } from '../config/json-schema.js';
import { ValidationError } from '../errors.js';

/**
 * Request validation against TypeBox schemas (plain JSON Schema, so they go into OpenAPI as
 * they are). Failures become a 422 problem listing each field with a stable code; the handler
 * never sees invalid input.
 */
// Request bodies are taken as sent: no defaults filled in behind the caller's back.
const ajv = createAjv({ useDefaults: false });
const compiled = new WeakMap<TSchema, ValidateFunction>();

const CODES: Record<string, string> = {
  required: 'required',
  type: 'type',
  minLength: 'too-short',
  maxLength: 'too-long',
  pattern: 'format',
  format: 'format',
  enum: 'choice',
  const: 'choice',
  anyOf: 'choice',
  minimum: 'range',
  maximum: 'range',
  minItems: 'too-few',
  maxItems: 'too-many',
  uniqueItems: 'duplicate',
  additionalProperties: 'unknown-field',
};

function field(error: ErrorObject): { path: string; code: string } {
  if (error.keyword === 'required') return { path: `${error.instancePath}/${error.params.missingProperty}`, code: 'required' };
  if (error.keyword === 'additionalProperties') {
    return { path: `${error.instancePath}/${error.params.additionalProperty}`, code: 'unknown-field' };
  }
  return { path: error.instancePath || '/', code: CODES[error.keyword] ?? 'invalid' };
}

export function validate<T extends TSchema>(schema: T, value: unknown): Static<T> {
  let check = compiled.get(schema);
  if (!check) {
    check = ajv.compile(schema);
    compiled.set(schema, check);
  }
  if (check(value)) return value as Static<T>;
  const fields = (check.errors ?? []).map(field);
  const unique = fields.filter((f, i) => fields.findIndex((g) => g.path === f.path) === i);
  throw new ValidationError('request failed validation', unique);
}
