import type { EntityManager } from '@mikro-orm/postgresql';
import type { DependencyContainer } from 'tsyringe';
import { TOKENS } from '../kernel/di/tokens.js';
import { dateTimeFormat } from '../kernel/i18n/intl-cache.js';
import type { Tenant } from '../kernel/tenancy/tenant.js';
import { BeneficiaryService } from '../registration/beneficiary-service.js';
import { CertificateService } from './certificate-service.js';
import type { CertificateRecord, FormatId, Issued } from './record.js';

/**
 * One certificate as the citizen's page and the PDF show it: the signed record, the person's
 * document (masked, from registration), each centre's name in the tenant's languages, and the
 * formats in the order they are printed (EU DCC for travel first).
 */
export interface CertificateView {
  certificateId: string;
  kind: CertificateRecord['kind'];
  version: number;
  state: string;
  issuedAt: string;
  revokedAt?: string;
  referenceId: string;
  record: CertificateRecord;
  /** The identity document as registered, masked; undefined if the person is no longer listed. */
  document?: { type: string; label: string; masked: string };
  /** Each centre's names by language (`names.en`...), beside the name the record was signed with. */
  centres: Map<number, Record<string, string>>;
  formats: Issued[];
}

const ORDER: FormatId[] = ['eu-dcc', 'shc', 'w3c-vc'];

export async function certificateView(
  container: DependencyContainer,
  accountId: string,
  certificateId: string,
  t: (key: string) => string,
): Promise<CertificateView> {
  const found = await container.resolve(CertificateService).get(accountId, certificateId);
  const people = container.resolve(BeneficiaryService);
  const person = (await people.list(accountId)).find((p) => p.referenceId === found.beneficiary);
  const labels = new Map(people.documentTypes().map(({ type, labelKey }) => [type, t(labelKey)]));
  const ids = [...new Set(found.record.doses.map((dose) => dose.centre.id))];
  const em = container.resolve<EntityManager>(TOKENS.EntityManager);
  const rows = ids.length
    ? await em.execute<{ id: number; names: Record<string, string> | null }[]>(
        `select id, names from facility where id in (${ids.map(() => '?').join(', ')})`,
        ids,
      )
    : [];
  return {
    certificateId: found.certificateId,
    kind: found.kind,
    version: found.version,
    state: found.state,
    issuedAt: found.issuedAt,
    ...(found.revokedAt ? { revokedAt: found.revokedAt } : {}),
    referenceId: found.beneficiary,
    record: found.record,
    ...(person
      ? {
          document: {
            type: person.document.type,
            label: labels.get(person.document.type) ?? person.document.type,
            masked: person.document.masked,
          },
        }
      : {}),
    centres: new Map(rows.map((row) => [Number(row.id), row.names ?? {}])),
    formats: ORDER.flatMap((format) => (found.formats[format] ? [found.formats[format]] : [])),
  };
}

/** A centre's name in a language: the tenant's translation, else the name the record was signed with. */
export function centreName(view: CertificateView, centre: { id: number; name: string }, lng: string): string {
  return view.centres.get(centre.id)?.[lng] ?? centre.name;
}

/** An instant as the language writes it, in the tenant's time zone. */
export function instantLabel(tenant: Tenant, lng: string, iso: string): string {
  return dateTimeFormat(tenant.locale(lng), { dateStyle: 'long', timeStyle: 'short', timeZone: tenant.config.timeZone })
    .format(new Date(iso))
    .replace(/\u202f/g, '\u00a0');
}

/** A calendar day (`YYYY-MM-DD`, or just `YYYY`) as the language writes it; a year stays a year. */
export function dayLabel(tenant: Tenant, lng: string, date: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return date;
  return dateTimeFormat(tenant.locale(lng), { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(`${date}T00:00:00Z`));
}
