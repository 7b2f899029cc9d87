import { type Static, Type } from '@sinclair/typebox';

/** Request bodies of the certificates API, as JSON Schema (OpenAPI-ready). */
export const CorrectionRequest = Type.Object(
  {
    field: Type.Union([Type.Literal('name'), Type.Literal('birthDate'), Type.Literal('document'), Type.Literal('passport')]),
    /** The corrected value; a document as `<type>:<number>` (or the number alone, for the same type). */
    value: Type.String({ minLength: 1, maxLength: 200, pattern: '^[^\\u0000-\\u001f<>]+$' }),
    reason: Type.String({ minLength: 1, maxLength: 500 }),
  },
  { additionalProperties: false },
);
export type CorrectionRequest = Static<typeof CorrectionRequest>;

export const VerifyRequest = Type.Object({ payload: Type.String({ minLength: 1, maxLength: 20_000 }) }, { additionalProperties: false });

export const CorrectionQuery = Type.Object(
  { state: Type.Optional(Type.Union([Type.Literal('requested'), Type.Literal('approved'), Type.Literal('rejected')])) },
  { additionalProperties: false },
);

export const RotateRequest = Type.Object(
  { format: Type.Union([Type.Literal('eu-dcc'), Type.Literal('shc'), Type.Literal('w3c-vc')]) },
  { additionalProperties: false },
);
