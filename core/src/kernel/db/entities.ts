import { CertificateCorrectionSchema, CertificateSchema, SigningKeySchema } from '../../certificates/certificate.entity.js';
import { BatchSchema } from '../../inventory/batch.entity.js';
import { OpenVialSchema, StockBalanceSchema, StockMovementSchema, StockTransferSchema } from '../../inventory/stock.entity.js';
import { StoreSchema } from '../../inventory/store.entity.js';
import { SmsMessageSchema } from '../../messaging/sms-message.entity.js';
import { AccountSchema } from '../../registration/account.entity.js';
import { AuthSessionSchema } from '../../registration/auth-session.entity.js';
import { BeneficiarySchema } from '../../registration/beneficiary.entity.js';
import { OtpChallengeSchema } from '../../registration/otp-challenge.entity.js';
import { StaffRoleSchema, StaffUserSchema } from '../../registration/staff-user.entity.js';
import { AppointmentSchema } from '../../scheduling/appointment.entity.js';
import { AreaSchema } from '../../scheduling/area.entity.js';
import { FacilitySchema } from '../../scheduling/facility.entity.js';
import { SessionCapacitySchema, SessionSlotSchema, VaccinationSessionSchema } from '../../scheduling/session.entity.js';
import { WebhookSubscriptionSchema } from '../../subscriptions/subscription.entity.js';
import { AefiCaseSchema, AefiFollowUpSchema } from '../../vaccination/aefi/aefi.entity.js';
import { DoseRecordSchema } from '../../vaccination/dose-record.entity.js';
import { AuditEntrySchema } from '../audit/audit-entry.entity.js';
import { PluginRecordSchema } from '../plugins/plugin-record.entity.js';

/** Every entity of every module; one tenant database holds them all. */
export const entities = [
  PluginRecordSchema,
  AuditEntrySchema,
  AccountSchema,
  OtpChallengeSchema,
  AuthSessionSchema,
  BeneficiarySchema,
  StaffUserSchema,
  StaffRoleSchema,
  SmsMessageSchema,
  AreaSchema,
  FacilitySchema,
  DoseRecordSchema,
  VaccinationSessionSchema,
  SessionCapacitySchema,
  SessionSlotSchema,
  AppointmentSchema,
  StoreSchema,
  BatchSchema,
  StockTransferSchema,
  StockBalanceSchema,
  StockMovementSchema,
  OpenVialSchema,
  AefiCaseSchema,
  AefiFollowUpSchema,
  SigningKeySchema,
  CertificateSchema,
  CertificateCorrectionSchema,
  WebhookSubscriptionSchema,
];
