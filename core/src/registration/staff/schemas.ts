import { type Static, Type } from '@sinclair/typebox';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './passwords.js';
import { ROLES, SCOPE_TYPES } from './permissions.js';

/** Request bodies of the staff API, as JSON Schema (OpenAPI-ready). */

/** Stored lower-case; typed in any case (`Asha.Rao` is `asha.rao`). */
export const USERNAME = /^[a-z0-9][a-z0-9._-]{2,63}$/;
const NewUsername = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$' });
const DisplayName = Type.String({ minLength: 1, maxLength: 200, pattern: '^[^\\u0000-\\u001f<>]+$' });
const NewPassword = Type.String({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH });
const TotpCode = Type.String({ pattern: '^[0-9]{6}$' });

export const RoleGrant = Type.Object(
  {
    role: Type.Union(ROLES.map((role) => Type.Literal(role))),
    scopeType: Type.Union(SCOPE_TYPES.map((type) => Type.Literal(type))),
    /** Area id or facility id; absent for the platform and the tenant. */
    scopeId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$' })),
  },
  { additionalProperties: false },
);
export type RoleGrant = Static<typeof RoleGrant>;

export const SignIn = Type.Object(
  {
    // Loose on purpose: a sign-in never tells which names could exist.
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH }),
    totp: Type.Optional(TotpCode),
  },
  { additionalProperties: false },
);
export type SignIn = Static<typeof SignIn>;

export const NewStaffUser = Type.Object(
  {
    username: NewUsername,
    displayName: DisplayName,
    password: NewPassword,
    roles: Type.Array(RoleGrant, { minItems: 1, maxItems: 20 }),
  },
  { additionalProperties: false },
);
export type NewStaffUser = Static<typeof NewStaffUser>;

export const TotpConfirmation = Type.Object({ code: TotpCode }, { additionalProperties: false });

export const AuditQuery = Type.Object({ limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,3}$' })) });
