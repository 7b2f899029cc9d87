import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS with a default export; under nodenext it arrives one level deep.
type AddFormats = (ajv: Ajv) => Ajv;
const addFormats: AddFormats =
  (addFormatsModule as unknown as { default?: AddFormats }).default ?? (addFormatsModule as unknown as AddFormats);

/** One ajv per purpose, with defaults filled in and every error reported, not just the first. */
export function createAjv(options: { useDefaults?: boolean } = {}): Ajv {
  const ajv = new Ajv({ allErrors: true, useDefaults: options.useDefaults ?? true, strict: false, verbose: true });
  addFormats(ajv);
  return ajv;
}

/** Turns ajv errors into lines a person can act on: `/languages/default: must be ...`. */
export function describeErrors(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((error) => {
    const where = error.instancePath || '(top level)';
    switch (error.keyword) {
      case 'additionalProperties':
        return `${where}: unknown property "${error.params.additionalProperty}"`;
      case 'required':
        return `${where}: missing required property "${error.params.missingProperty}"`;
      case 'enum':
        return `${where}: must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
      case 'pattern':
        return `${where}: ${JSON.stringify(error.data)} does not match ${error.params.pattern}`;
      default:
        return `${where}: ${error.message}`;
    }
  });
}

export function validateWith<T>(validate: ValidateFunction, value: unknown): { ok: true; value: T } | { ok: false; errors: string[] } {
  return validate(value) ? { ok: true, value: value as T } : { ok: false, errors: describeErrors(validate.errors) };
}
