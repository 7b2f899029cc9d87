import { type TObject, type TSchema, Type } from '@sinclair/typebox';
import { CorrectionRequest, VerifyRequest } from '../certificates/schemas.js';
import { BeneficiaryChanges, NewBeneficiary, OtpConfirmation, OtpRequest } from '../registration/beneficiary-schemas.js';
import { AreaListQuery } from '../scheduling/area-api.js';
import { FacilityListQuery } from '../scheduling/facility-api.js';
import {
  AvailabilityQuery,
  IdempotencyKey,
  NewBooking,
  NewSession,
  NewSessions,
  Reschedule,
  SessionCancellation,
  SessionListQuery,
  SessionMove,
} from '../scheduling/session-schemas.js';
import * as R from './responses.js';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
/** `citizen`: a citizen's Bearer token (any sign-in form); `staff`: a member of staff's. */
export type Auth = 'citizen' | 'staff';

export interface ApiResponse {
  description: string;
  schema?: TSchema;
  /** Defaults to application/json (application/problem+json for native errors). */
  contentType?: string;
}

/** One operation as the document describes it. Paths use OpenAPI's `{name}` for parameters. */
export interface Operation {
  method: Method;
  path: string;
  summary: string;
  tags: string[];
  auth?: Auth;
  /** Query parameters: the route's own TypeBox object, one parameter per property. */
  query?: TObject;
  headers?: Record<string, { schema: TSchema; description: string; required?: boolean }>;
  body?: TSchema;
  responses: Record<string, ApiResponse>;
}

const problem = (description: string): ApiResponse => ({ description, schema: R.Problem, contentType: 'application/problem+json' });
const cowinError = (description: string): ApiResponse => ({ description, schema: R.CowinError });
const ok = (schema: TSchema, description = 'OK'): ApiResponse => ({ description, schema });
const pdf = (description: string): ApiResponse => ({ description, contentType: 'application/pdf' });

const NATIVE = {
  invalid: problem('The request failed validation: `errors` lists each field'),
  unauthorised: problem('No valid Bearer token'),
  notFound: problem('Not found'),
};
const COWIN = {
  invalid: cowinError('USRRES0001: bad or missing input'),
  unauthorised: { description: 'Unauthenticated access! (text/plain)', contentType: 'text/plain' },
  limited: cowinError('USRRES0429: rate limited; Retry-After says when to try again'),
};

const pinQuery = Type.Object({
  pincode: Type.String({ description: 'The postal code' }),
  date: Type.String({ description: 'DD-MM-YYYY' }),
});
const districtQuery = Type.Object({ district_id: Type.String(), date: Type.String({ description: 'DD-MM-YYYY' }) });
const centreQuery = Type.Object({ center_id: Type.String(), date: Type.String({ description: 'DD-MM-YYYY' }) });
const latLongQuery = Type.Object({ lat: Type.String(), long: Type.String() });
const withVaccine = (query: TObject) =>
  Type.Object({ ...query.properties, vaccine: Type.Optional(Type.String({ description: 'Only sessions of this vaccine' })) });

/** Co-WIN's session searches: public (cached, per-IP limit) and signed-in (fresh, vaccine filter, per-login limit). */
function cowinSearches(): Operation[] {
  const searches: [string, string, TObject, TSchema][] = [
    ['/cowin/v2/appointment/sessions/{variant}findByPin', 'Sessions on a day at centres with a PIN code', pinQuery, R.CowinSessionRows],
    ['/cowin/v2/appointment/sessions/{variant}findByDistrict', 'Sessions on a day in a district', districtQuery, R.CowinSessionRows],
    ['/cowin/v2/appointment/sessions/{variant}calendarByPin', 'Centres with sessions over 7 days, by PIN code', pinQuery, R.CowinCalendar],
    [
      '/cowin/v2/appointment/sessions/{variant}calendarByDistrict',
      'Centres with sessions over 7 days, by district',
      districtQuery,
      R.CowinCalendar,
    ],
    ['/cowin/v2/appointment/sessions/{variant}calendarByCenter', "One centre's sessions over 7 days", centreQuery, R.CowinCalendarByCentre],
    ['/cowin/v2/appointment/centers/{variant}findByLatLong', 'Centres within 10 km of a point', latLongQuery, R.CowinNearby],
  ];
  return searches.flatMap(([path, summary, query, schema]): Operation[] => [
    {
      method: 'get',
      path: path.replace('{variant}', 'public/'),
      summary,
      tags: ['Co-WIN public'],
      query,
      responses: { 200: ok(schema), 400: COWIN.invalid, 429: COWIN.limited },
    },
    {
      method: 'get',
      path: path.replace('{variant}', ''),
      summary: `${summary} (signed in: fresh, optional vaccine filter)`,
      tags: ['Co-WIN citizen'],
      auth: 'citizen',
      query: withVaccine(query),
      responses: { 200: ok(schema), 400: COWIN.invalid, 401: COWIN.unauthorised, 429: COWIN.limited },
    },
  ]);
}

/** Every operation the document describes, native API first, then the Co-WIN-compatible API. */
export const OPERATIONS: Operation[] = [
  // Sign-in.
  {
    method: 'post',
    path: '/api/v1/auth/otp',
    summary: 'Send a sign-in code by SMS',
    tags: ['Sign-in'],
    body: OtpRequest,
    responses: { 200: ok(R.OtpSent), 422: NATIVE.invalid, 429: problem('Too many codes asked for') },
  },
  {
    method: 'post',
    path: '/api/v1/auth/otp/confirm',
    summary: 'Exchange the code for a Bearer token',
    tags: ['Sign-in'],
    body: OtpConfirmation,
    responses: { 200: ok(R.SignedIn), 401: problem('Wrong or expired code'), 422: NATIVE.invalid },
  },
  {
    method: 'post',
    path: '/api/v1/auth/sign-out',
    summary: 'End this session',
    tags: ['Sign-in'],
    auth: 'citizen',
    responses: { 204: { description: 'Signed out' }, 401: NATIVE.unauthorised },
  },
  // Beneficiaries.
  {
    method: 'get',
    path: '/api/v1/document-types',
    summary: "The identity documents this country's beneficiaries register with",
    tags: ['Beneficiaries'],
    responses: { 200: ok(Type.Array(R.DocumentType)) },
  },
  {
    method: 'get',
    path: '/api/v1/beneficiaries',
    summary: "The account's beneficiaries, and how many it may have",
    tags: ['Beneficiaries'],
    auth: 'citizen',
    responses: { 200: ok(R.Beneficiaries), 401: NATIVE.unauthorised },
  },
  {
    method: 'post',
    path: '/api/v1/beneficiaries',
    summary: 'Register a beneficiary',
    tags: ['Beneficiaries'],
    auth: 'citizen',
    body: NewBeneficiary,
    responses: {
      201: ok(R.Beneficiary, 'Registered'),
      401: NATIVE.unauthorised,
      409: problem('At the account limit, or the document is registered already'),
      422: NATIVE.invalid,
    },
  },
  {
    method: 'get',
    path: '/api/v1/beneficiaries/{referenceId}',
    summary: 'One beneficiary',
    tags: ['Beneficiaries'],
    auth: 'citizen',
    responses: { 200: ok(R.Beneficiary), 401: NATIVE.unauthorised, 404: NATIVE.notFound },
  },
  {
    method: 'patch',
    path: '/api/v1/beneficiaries/{referenceId}',
    summary: 'Correct a beneficiary',
    tags: ['Beneficiaries'],
    auth: 'citizen',
    body: BeneficiaryChanges,
    responses: { 200: ok(R.Beneficiary), 401: NATIVE.unauthorised, 404: NATIVE.notFound, 422: NATIVE.invalid },
  },
  {
    method: 'delete',
    path: '/api/v1/beneficiaries/{referenceId}',
    summary: 'Remove a beneficiary (not one with an appointment or a dose)',
    tags: ['Beneficiaries'],
    auth: 'citizen',
    responses: {
      204: { description: 'Removed' },
      401: NATIVE.unauthorised,
      404: NATIVE.notFound,
      409: problem('Has an appointment or a dose'),
    },
  },
  // Centres and availability.
  {
    method: 'get',
    path: '/api/v1/areas',
    summary: 'Areas (states, districts...), by level or parent',
    tags: ['Centres'],
    query: AreaListQuery,
    responses: { 200: ok(R.AnyObject), 422: NATIVE.invalid },
  },
  {
    method: 'get',
    path: '/api/v1/areas/{level}/{id}',
    summary: 'One area',
    tags: ['Centres'],
    responses: { 200: ok(R.AnyObject), 404: NATIVE.notFound },
  },
  {
    method: 'get',
    path: '/api/v1/facilities',
    summary: 'Vaccination centres',
    tags: ['Centres'],
    query: FacilityListQuery,
    responses: { 200: ok(R.AnyObject), 422: NATIVE.invalid },
  },
  {
    method: 'get',
    path: '/api/v1/facilities/{id}',
    summary: 'One vaccination centre',
    tags: ['Centres'],
    responses: { 200: ok(R.Facility), 404: NATIVE.notFound },
  },
  {
    method: 'get',
    path: '/api/v1/availability',
    summary: 'Centres with their sessions and free places over a window (cached: see Cache-Control and Age)',
    tags: ['Scheduling'],
    query: AvailabilityQuery,
    responses: { 200: ok(R.Availability), 404: NATIVE.notFound, 422: NATIVE.invalid },
  },
  {
    method: 'get',
    path: '/api/v1/sessions',
    summary: "A centre's sessions on a day, with exact free places (never cached)",
    tags: ['Scheduling'],
    query: SessionListQuery,
    responses: { 200: ok(R.Sessions), 422: NATIVE.invalid },
  },
  // Booking.
  {
    method: 'post',
    path: '/api/v1/appointments',
    summary: "Book beneficiaries of the account into a session's slot",
    tags: ['Booking'],
    auth: 'citizen',
    headers: {
      'Idempotency-Key': {
        schema: IdempotencyKey,
        description: 'The same key and request answer the first booking again (Idempotent-Replayed: true)',
      },
    },
    body: NewBooking,
    responses: {
      201: ok(R.Booked, 'Booked'),
      401: NATIVE.unauthorised,
      404: NATIVE.notFound,
      409: problem('session-full, already-booked, session-cancelled...'),
      422: NATIVE.invalid,
    },
  },
  {
    method: 'get',
    path: '/api/v1/appointments',
    summary: "The account's appointments",
    tags: ['Booking'],
    auth: 'citizen',
    responses: { 200: ok(Type.Object({ appointments: Type.Array(R.Appointment) })), 401: NATIVE.unauthorised },
  },
  {
    method: 'post',
    path: '/api/v1/appointments/{id}/reschedule',
    summary: 'Move an appointment to another slot or session',
    tags: ['Booking'],
    auth: 'citizen',
    body: Reschedule,
    responses: {
      200: ok(R.Appointment),
      401: NATIVE.unauthorised,
      404: NATIVE.notFound,
      409: problem('Full, or moved too often'),
      422: NATIVE.invalid,
    },
  },
  {
    method: 'delete',
    path: '/api/v1/appointments/{id}',
    summary: 'Cancel an appointment; its place is given back',
    tags: ['Booking'],
    auth: 'citizen',
    responses: { 200: ok(R.Appointment), 401: NATIVE.unauthorised, 404: NATIVE.notFound, 409: problem('Not active') },
  },
  // Sessions (staff).
  {
    method: 'post',
    path: '/api/v1/staff/sessions',
    summary: 'Create a session',
    tags: ['Staff: sessions'],
    auth: 'staff',
    body: NewSession,
    responses: {
      201: ok(R.Session, 'Created (with stockWarnings when planned beyond stock)'),
      401: NATIVE.unauthorised,
      403: problem('Not allowed'),
      422: NATIVE.invalid,
    },
  },
  {
    method: 'post',
    path: '/api/v1/staff/sessions/bulk',
    summary: 'Create up to 100 sessions, all or none',
    tags: ['Staff: sessions'],
    auth: 'staff',
    body: NewSessions,
    responses: { 201: ok(R.AnyObject, 'Created'), 401: NATIVE.unauthorised, 403: problem('Not allowed'), 422: NATIVE.invalid },
  },
  {
    method: 'post',
    path: '/api/v1/staff/sessions/{id}/cancel',
    summary: 'Cancel a session (its appointments are cancelled and told)',
    tags: ['Staff: sessions'],
    auth: 'staff',
    body: SessionCancellation,
    responses: { 200: ok(R.AnyObject), 401: NATIVE.unauthorised, 404: NATIVE.notFound },
  },
  {
    method: 'post',
    path: '/api/v1/staff/sessions/{id}/move',
    summary: 'Move a session to another day',
    tags: ['Staff: sessions'],
    auth: 'staff',
    body: SessionMove,
    responses: { 200: ok(R.AnyObject), 401: NATIVE.unauthorised, 404: NATIVE.notFound, 422: NATIVE.invalid },
  },
  // Certificates.
  {
    method: 'get',
    path: '/api/v1/certificates',
    summary: "The account's certificates",
    tags: ['Certificates'],
    auth: 'citizen',
    responses: { 200: ok(R.Certificates), 401: NATIVE.unauthorised },
  },
  {
    method: 'get',
    path: '/api/v1/certificates/{id}',
    summary: 'One certificate with its payloads',
    tags: ['Certificates'],
    auth: 'citizen',
    responses: { 200: ok(R.AnyObject), 401: NATIVE.unauthorised, 404: NATIVE.notFound },
  },
  {
    method: 'post',
    path: '/api/v1/certificates/{id}/corrections',
    summary: 'Ask for a correction',
    tags: ['Certificates'],
    auth: 'citizen',
    body: CorrectionRequest,
    responses: { 200: ok(R.AnyObject), 401: NATIVE.unauthorised, 404: NATIVE.notFound, 422: NATIVE.invalid },
  },
  {
    method: 'post',
    path: '/api/v1/certificates/verify',
    summary: 'Verify a certificate payload (a QR code read)',
    tags: ['Certificates'],
    body: VerifyRequest,
    responses: { 200: ok(R.AnyObject), 422: NATIVE.invalid },
  },
  {
    method: 'get',
    path: '/api/v1/certificates/trust-list',
    summary: "The tenant's public keys, for verifiers",
    tags: ['Certificates'],
    responses: { 200: ok(R.AnyObject) },
  },
  {
    method: 'get',
    path: '/api/v1/certificates/revocations',
    summary: 'Revoked certificates',
    tags: ['Certificates'],
    responses: { 200: ok(R.AnyObject) },
  },
  // Co-WIN public.
  {
    method: 'get',
    path: '/cowin/v2/admin/location/states',
    summary: 'States (the first area level)',
    tags: ['Co-WIN public'],
    responses: { 200: ok(R.CowinStates), 429: COWIN.limited },
  },
  {
    method: 'get',
    path: '/cowin/v2/admin/location/districts/{state_id}',
    summary: "A state's districts (unknown state: an empty list)",
    tags: ['Co-WIN public'],
    responses: { 200: ok(R.CowinDistricts), 400: COWIN.invalid, 429: COWIN.limited },
  },
  ...cowinSearches(),
  ...['/cowin/v2/auth/public/generateOTP', '/cowin/v2/auth/generateOTP', '/cowin/v2/auth/generateMobileOTP'].map(
    (path): Operation => ({
      method: 'post',
      path,
      summary: path.endsWith('MobileOTP') ? "Send a sign-in code (the web app's form: `secret` required)" : 'Send a sign-in code',
      tags: ['Co-WIN citizen'],
      body: R.CowinMobileRequest,
      responses: { 200: ok(R.CowinOtpSent), 400: COWIN.invalid },
    }),
  ),
  ...['/cowin/v2/auth/public/confirmOTP', '/cowin/v2/auth/confirmOTP', '/cowin/v2/auth/validateMobileOtp'].map(
    (path): Operation => ({
      method: 'post',
      path,
      summary: 'Exchange the SHA-256 of the code for a Bearer token',
      tags: ['Co-WIN citizen'],
      body: R.CowinConfirmRequest,
      responses: { 200: ok(R.CowinConfirmed), 400: COWIN.invalid, 401: cowinError('Wrong or expired code') },
    }),
  ),
  // Co-WIN citizen.
  {
    method: 'post',
    path: '/cowin/v2/auth/getRecaptcha',
    summary: 'A captcha to answer when scheduling',
    tags: ['Co-WIN citizen'],
    auth: 'citizen',
    responses: { 200: ok(R.CowinCaptcha), 401: COWIN.unauthorised },
  },
  {
    method: 'get',
    path: '/cowin/v2/registration/beneficiary/idTypes',
    summary: 'Identity document types',
    tags: ['Co-WIN citizen'],
    auth: 'citizen',
    responses: { 200: ok(R.CowinIdTypes), 401: COWIN.unauthorised },
  },
  {
    method: 'get',
    path: '/cowin/v2/registration/beneficiary/genders',
    summary: 'Genders',
    tags: ['Co-WIN citizen'],
    auth: 'citizen',
    responses: { 200: ok(R.CowinGenders), 401: COWIN.unauthorised },
  },
  {
    method: 'post',
    path: '/cowin/v2/registration/beneficiary/new',
    summary: 'Register a beneficiary',
    tags: ['Co-WIN citizen'],
    auth: 'citizen',
    body: R.CowinNewBeneficiary,
    responses: { 200: ok(R.CowinBeneficiaryCreated), 400: COWIN.invalid, 401: COWIN.unauthorised, 409: cowinError('At the account limit') },
  },
  {
    method: 'post',
    path: '/cowin/v2/registration/beneficiary/delete',
    summary: 'Remove a beneficiary',
    tags: ['Co-WIN citizen'],
    auth: 'citizen',
    body: Type.Object({ beneficiary_reference_id: Type.String() }),
    responses: { 204: { description: 'Removed' }, 401: COWIN.unauthorised, 409: cowinError('Has an appointment or a dose') },
  },
  {
    method: 'get',
    path: '/cowin/v2/appointment/beneficiaries',
    summary: "The account's beneficiaries with their doses and appointments",
    tags: ['Co-WIN citizen'],
    auth: 'citizen',
    responses: { 200: ok(R.CowinBeneficiaries), 401: COWIN.unauthorised },
  },
  {
    method: 'post',
    path: '/cowin/v2/appointment/schedule',
    summary: 'Book beneficiaries into a session slot',
    tags: ['Co-WIN citizen'],
    auth: 'citizen',
    headers: { 'Idempotency-Key': { schema: IdempotencyKey, description: 'Honoured as on the native API' } },
    body: R.CowinSchedule,
    responses: {
      200: ok(R.CowinScheduled),
      400: COWIN.invalid,
      401: COWIN.unauthorised,
      409: cowinError('APPOIN0040: fully booked'),
    },
  },
  {
    method: 'post',
    path: '/cowin/v2/appointment/reschedule',
    summary: 'Move everyone booked together to another session, all or none',
    tags: ['Co-WIN citizen'],
    auth: 'citizen',
    body: R.CowinReschedule,
    responses: { 204: { description: 'Moved' }, 400: COWIN.invalid, 401: COWIN.unauthorised, 409: cowinError('APPOIN0040: fully booked') },
  },
  {
    method: 'post',
    path: '/cowin/v2/appointment/cancel',
    summary: 'Cancel a booking, or some of its beneficiaries',
    tags: ['Co-WIN citizen'],
    auth: 'citizen',
    body: R.CowinCancel,
    responses: { 204: { description: 'Cancelled' }, 400: COWIN.invalid, 401: COWIN.unauthorised },
  },
  ...['/cowin/v2/registration/certificate/public/download', '/cowin/v2/registration/certificate/download'].map(
    (path): Operation => ({
      method: 'get',
      path,
      summary: "The beneficiary's current certificate as PDF",
      tags: ['Co-WIN citizen'],
      auth: 'citizen',
      query: Type.Object({ beneficiary_reference_id: Type.String() }),
      responses: { 200: pdf('The certificate'), 400: COWIN.invalid, 401: COWIN.unauthorised },
    }),
  ),
  {
    method: 'get',
    path: '/cowin/v2/appointment/appointmentslip/download',
    summary: 'An appointment slip as PDF',
    tags: ['Co-WIN citizen'],
    auth: 'citizen',
    query: Type.Object({ appointment_id: Type.String() }),
    responses: { 200: pdf('The slip'), 400: COWIN.invalid, 401: COWIN.unauthorised },
  },
];
