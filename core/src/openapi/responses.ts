import { type TSchema, Type } from '@sinclair/typebox';

/**
 * Response shapes for the OpenAPI document (requests reuse the routes' own TypeBox schemas).
 * Objects list what clients may rely on as required and stay open to additions, so a new field
 * is never a breaking change; the tests check real answers against these.
 */
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const IsoDate = Type.String({ format: 'date' });
const IsoDateTime = Type.String({ format: 'date-time' });
const Uuid = Type.String({ format: 'uuid' });

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer({ minimum: 400, maximum: 599 }),
    code: Type.String({ description: 'Stable error code clients may switch on' }),
    detail: Type.String(),
    instance: Type.String(),
    requestId: Type.String(),
    errors: Type.Optional(
      Type.Array(Type.Object({ path: Type.String(), code: Type.String(), message: Type.String() }), {
        description: 'Each field that failed validation',
      }),
    ),
  },
  { title: 'Problem (RFC 9457)' },
);

// Native API.
export const OtpSent = Type.Object({ txnId: Uuid });
export const SignedIn = Type.Object({ token: Type.String(), expiresAt: IsoDateTime });

export const DocumentType = Type.Object({
  type: Type.String(),
  label: Type.String(),
  inputMask: Type.Optional(Type.String()),
  example: Type.Optional(Type.String()),
});

export const Beneficiary = Type.Object({
  referenceId: Type.String(),
  name: Type.String(),
  gender: Type.String(),
  birthYear: Type.Integer(),
  birthDate: Nullable(IsoDate),
  document: Type.Object({ type: Type.String(), masked: Type.String() }),
  comorbidities: Type.Array(Type.String()),
  consentVersion: Type.String(),
  consentAt: IsoDateTime,
  createdAt: IsoDateTime,
});
export const Beneficiaries = Type.Object({ beneficiaries: Type.Array(Beneficiary), limit: Type.Integer() });

export const Session = Type.Object({
  id: Uuid,
  facilityId: Type.Integer(),
  date: IsoDate,
  vaccine: Type.String(),
  minAge: Type.Integer(),
  maxAge: Nullable(Type.Integer()),
  doses: Type.Array(
    Type.Object({ dose: Type.Integer(), onlineCapacity: Type.Integer(), available: Type.Integer(), walkin: Type.Integer() }),
  ),
  state: Type.Union([Type.Literal('active'), Type.Literal('cancelled')]),
  bookableFrom: Nullable(IsoDateTime),
  slots: Type.Array(Type.Object({ label: Type.String(), capacity: Type.Integer(), available: Type.Integer() })),
});
export const Sessions = Type.Object({ sessions: Type.Array(Session) });

export const Facility = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  address: Nullable(Type.String()),
  area: Type.Object({ level: Type.String(), id: Type.Integer() }),
  postalCode: Nullable(Type.String()),
  latitude: Type.Number(),
  longitude: Type.Number(),
  hours: Type.Object({ from: Type.String(), to: Type.String() }),
  feeType: Type.String(),
  fees: Type.Record(Type.String(), Type.String()),
  currency: Type.String(),
  distanceKm: Type.Optional(Type.Number()),
});

export const Availability = Type.Object({
  from: IsoDate,
  days: Type.Integer(),
  centres: Type.Array(Type.Object({ facility: Facility, sessions: Type.Array(Session) })),
});

export const Appointment = Type.Object({
  id: Uuid,
  beneficiary: Type.String({ description: 'The beneficiary reference id' }),
  sessionId: Uuid,
  facilityId: Type.Integer(),
  date: IsoDate,
  vaccine: Type.String(),
  slot: Type.String(),
  dose: Type.Integer(),
  securityCode: Type.String(),
  state: Type.String(),
  reschedules: Type.Integer(),
  intervalException: Nullable(Type.String()),
  createdAt: IsoDateTime,
  cancelledAt: Nullable(IsoDateTime),
});
export const Booked = Type.Object({ appointments: Type.Array(Appointment) });

export const Certificates = Type.Object({ certificates: Type.Array(Type.Object({ id: Type.String() })) });
export const AnyObject = Type.Object({});

// The Co-WIN-compatible API (docs/cowin.md; production's field names and JSON types).
export const CowinError = Type.Object({ errorCode: Type.String(), error: Type.String() }, { title: 'Co-WIN error' });
export const CowinStates = Type.Object({
  states: Type.Array(Type.Object({ state_id: Type.Integer(), state_name: Type.String(), state_name_l: Type.Optional(Type.String()) })),
  ttl: Type.Integer(),
});
export const CowinDistricts = Type.Object({
  districts: Type.Array(
    Type.Object({
      state_id: Type.Integer(),
      district_id: Type.Integer(),
      district_name: Type.String(),
      district_name_l: Type.Optional(Type.String()),
    }),
  ),
  ttl: Type.Integer(),
});
const CowinDate = Type.String({ pattern: '^\\d{2}-\\d{2}-\\d{4}$', description: 'DD-MM-YYYY' });
const CowinCentre = {
  center_id: Type.Integer(),
  name: Type.String(),
  address: Type.String(),
  state_name: Type.String(),
  district_name: Type.String(),
  block_name: Type.String(),
  pincode: Type.Integer(),
  lat: Type.Integer(),
  long: Type.Integer(),
  from: Type.String({ pattern: '^\\d{2}:\\d{2}:\\d{2}$' }),
  to: Type.String({ pattern: '^\\d{2}:\\d{2}:\\d{2}$' }),
  fee_type: Type.Union([Type.Literal('Free'), Type.Literal('Paid')]),
};
const CowinSessionFields = {
  session_id: Uuid,
  date: CowinDate,
  available_capacity: Type.Integer(),
  available_capacity_dose1: Type.Integer(),
  available_capacity_dose2: Type.Integer(),
  min_age_limit: Type.Integer(),
  max_age_limit: Type.Optional(Type.Integer()),
  allow_all_age: Type.Boolean(),
  vaccine: Type.String(),
  slots: Type.Array(Type.String()),
};
export const CowinSessionRows = Type.Object({
  sessions: Type.Array(Type.Object({ ...CowinCentre, ...CowinSessionFields, fee: Type.String() })),
});
const CowinCalendarCentre = Type.Object({
  ...CowinCentre,
  sessions: Type.Array(Type.Object(CowinSessionFields)),
  vaccine_fees: Type.Optional(Type.Array(Type.Object({ vaccine: Type.String(), fee: Type.String() }))),
});
export const CowinCalendar = Type.Object({ centers: Type.Array(CowinCalendarCentre) });
export const CowinCalendarByCentre = Type.Object({
  centers: Type.Union([CowinCalendarCentre, Type.Object({}, { additionalProperties: false })], { description: '{} when none' }),
});
export const CowinNearby = Type.Object({
  centers: Type.Array(
    Type.Object({
      center_id: Type.Integer(),
      name: Type.String(),
      district_name: Type.String(),
      state_name: Type.String(),
      location: Type.String(),
      pincode: Type.String(),
      block_name: Type.String(),
      lat: Type.String(),
      long: Type.String(),
    }),
  ),
  ttl: Type.Integer(),
});
export const CowinOtpSent = Type.Object({ txnId: Uuid });
export const CowinConfirmed = Type.Object({
  token: Type.String(),
  isNewAccount: Type.Optional(Type.Union([Type.Literal('Y'), Type.Literal('N')], { description: 'Only on /auth/confirmOTP' })),
});
export const CowinMobileRequest = Type.Object({ mobile: Type.String(), secret: Type.Optional(Type.String()) });
export const CowinConfirmRequest = Type.Object({
  otp: Type.String({ description: 'SHA-256 hex of the code' }),
  txnId: Uuid,
});
export const CowinIdTypes = Type.Object({
  types: Type.Array(Type.Object({ type: Type.String(), type_l: Type.Optional(Type.String()), id: Type.Integer(), code: Type.String() })),
  ttl: Type.Integer(),
});
export const CowinGenders = Type.Object({
  genders: Type.Array(Type.Object({ gender: Type.String(), gender_l: Type.Optional(Type.String()), id: Type.Integer() })),
  ttl: Type.Integer(),
});
/** Co-WIN clients send numbers as strings or numbers: both are accepted. */
const CowinNumber = Type.Union([Type.String(), Type.Integer()]);
export const CowinNewBeneficiary = Type.Object({
  name: Type.String(),
  birth_year: CowinNumber,
  gender_id: CowinNumber,
  photo_id_type: Type.Union([Type.Integer(), Type.String()], { description: 'The position in idTypes, or the type code' }),
  photo_id_number: Type.String(),
  comorbidity_ind: Type.Optional(Type.Union([Type.Literal('Y'), Type.Literal('N')])),
  consent_version: Type.Optional(Type.String()),
});
export const CowinBeneficiaryCreated = Type.Object({ beneficiary_reference_id: Type.String() });
export const CowinBeneficiaries = Type.Object({
  beneficiaries: Type.Array(
    Type.Object({
      beneficiary_reference_id: Type.String(),
      name: Type.String(),
      birth_year: Type.String(),
      gender: Type.String(),
      mobile_number: Type.String(),
      photo_id_type: Type.String(),
      photo_id_number: Type.String(),
      comorbidity_ind: Type.Union([Type.Literal('Y'), Type.Literal('N')]),
      vaccination_status: Type.String(),
      vaccine: Type.String(),
      dose1_date: Type.String(),
      dose2_date: Type.String(),
      appointments: Type.Array(
        Type.Object({ appointment_id: Uuid, session_id: Uuid, date: CowinDate, slot: Type.String(), dose: Type.Integer() }),
      ),
    }),
  ),
});
export const CowinSchedule = Type.Object({
  session_id: Uuid,
  slot: Type.String(),
  beneficiaries: Type.Array(Type.String()),
  dose: CowinNumber,
  captcha: Type.Optional(Type.String()),
});
export const CowinScheduled = Type.Object({ appointment_confirmation_no: Type.String(), appointment_id: Uuid });
export const CowinReschedule = Type.Object({ appointment_id: Uuid, session_id: Uuid, slot: Type.String() });
export const CowinCancel = Type.Object({ appointment_id: Uuid, beneficiariesToCancel: Type.Optional(Type.Array(Type.String())) });
export const CowinCaptcha = Type.Object({ captcha: Type.String({ description: 'SVG' }) });
