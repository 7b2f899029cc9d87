import { type Static, Type } from '@sinclair/typebox';

/** Request bodies of the beneficiary API, as JSON Schema (OpenAPI-ready). */
const Name = Type.String({ minLength: 1, maxLength: 200, pattern: '^[^\\u0000-\\u001f<>]+$' });
const Gender = Type.Union([Type.Literal('M'), Type.Literal('F'), Type.Literal('O')]);
const BirthYear = Type.Integer({ minimum: 1900, maximum: 2100 });
const BirthDate = Type.String({ format: 'date' });
const Document = Type.Object(
  {
    type: Type.String({ minLength: 1, maxLength: 40 }),
    number: Type.String({ minLength: 1, maxLength: 64 }),
  },
  { additionalProperties: false },
);
const Comorbidities = Type.Array(Type.String({ minLength: 1, maxLength: 60 }), { maxItems: 20, uniqueItems: true });

export const NewBeneficiary = Type.Object(
  {
    name: Name,
    gender: Gender,
    birthYear: BirthYear,
    birthDate: Type.Optional(BirthDate),
    document: Document,
    comorbidities: Type.Optional(Comorbidities),
    consentVersion: Type.String({ minLength: 1, maxLength: 20 }),
  },
  { additionalProperties: false },
);
export type NewBeneficiary = Static<typeof NewBeneficiary>;

export const BeneficiaryChanges = Type.Object(
  {
    name: Type.Optional(Name),
    gender: Type.Optional(Gender),
    birthYear: Type.Optional(BirthYear),
    birthDate: Type.Optional(Type.Union([BirthDate, Type.Null()])),
    document: Type.Optional(Document),
    comorbidities: Type.Optional(Comorbidities),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type BeneficiaryChanges = Static<typeof BeneficiaryChanges>;

export const OtpRequest = Type.Object({ mobile: Type.String({ minLength: 1, maxLength: 40 }) }, { additionalProperties: false });
export const OtpConfirmation = Type.Object(
  {
    txnId: Type.String({ format: 'uuid' }),
    otp: Type.String({ pattern: '^[0-9]{6}$' }),
  },
  { additionalProperties: false },
);
