import { randomUUID } from 'node:crypto';
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { IdVerifier } from '@teeka/plugin-sdk';
import { inject, injectable } from 'tsyringe';
import type { TenantCrypto } from '../kernel/crypto/tenant-crypto.js';
import { isUniqueViolation } from '../kernel/db/unique-violation.js';
import { TOKENS } from '../kernel/di/tokens.js';
import { NotFoundError, ValidationError } from '../kernel/errors.js';
import type { Logger } from '../kernel/log/logger.js';
import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';
import { Account } from './account.entity.js';
import { Beneficiary } from './beneficiary.entity.js';
import type { BeneficiaryChanges, NewBeneficiary } from './beneficiary-schemas.js';
import { deletionGuards } from './deletion-guards.js';
import { BeneficiaryLimitError, BeneficiaryLockedError, DocumentRegisteredError, RegistryUnavailableError } from './errors.js';
import { parseMobileNumber } from './phone-numbers.js';
import { newReferenceId } from './reference-id.js';

export interface BeneficiaryView {
  referenceId: string;
  name: string;
  gender: string;
  birthYear: number;
  birthDate: string | null;
  document: { type: string; masked: string };
  comorbidities: string[];
  consentVersion: string;
  consentAt: string;
  createdAt: string;
}

interface CheckedDocument {
  type: string;
  verifier: string;
  normalized: string;
  hash: string;
  enc: Buffer;
  masked: string;
}

/**
 * The people registered under a citizen's account. Identity documents are validated by the
 * tenant's ID plugin, registered once per tenant (keyed hash, unique), stored encrypted and
 * shown masked.
 */
@injectable()
export class BeneficiaryService {
  constructor(
    @inject(TOKENS.EntityManager) private readonly em: EntityManager,
    @inject(TOKENS.TenantConfig) private readonly tenant: TenantConfig,
    @inject(TOKENS.Crypto) private readonly crypto: TenantCrypto,
    @inject(TOKENS.IdVerifiers) private readonly verifiers: Map<string, IdVerifier>,
    @inject(TOKENS.Logger) private readonly log: Logger,
  ) {}

  async list(accountId: string): Promise<BeneficiaryView[]> {
    const found = await this.em.find(Beneficiary, { account: accountId }, { orderBy: { createdAt: 'asc' } });
    return found.map((beneficiary) => this.view(beneficiary));
  }

  async get(accountId: string, referenceId: string): Promise<BeneficiaryView> {
    return this.view(await this.load(accountId, referenceId));
  }

  async create(accountId: string, input: NewBeneficiary): Promise<BeneficiaryView> {
    return this.view(await this.register(accountId, input));
  }

  /**
   * A walk-in registered by staff at a centre: the document is checked like a citizen's. With a
   * mobile number the person joins the account of that number (created if new, so the citizen
   * sees them after signing in, within the account's limit); without one they belong to no
   * account. Answers the stored beneficiary.
   */
  async registerAtCentre(input: NewBeneficiary, mobile?: string): Promise<Beneficiary> {
    let accountId: string | null = null;
    if (mobile !== undefined) {
      const phone = parseMobileNumber(mobile, this.tenant);
      if (!phone) throw new ValidationError('not a mobile number of this country', [{ path: '/mobile', code: 'phone-invalid' }]);
      const [row] = await this.em.execute<{ id: string }[]>(
        `insert into account (id, phone_hash, phone_enc, language, created_at) values (?, ?, ?, ?, now())
         on conflict (phone_hash) do update set phone_hash = excluded.phone_hash
         returning id`,
        [randomUUID(), this.crypto.keyedHash('phone', phone), this.crypto.encrypt(phone), this.tenant.languages.default],
      );
      accountId = row.id;
    }
    return this.register(accountId, input);
  }

  /** The beneficiary registered with this document, if any (the number is checked by the ID plugin first). */
  async findByDocument(type: string, number: string): Promise<Beneficiary | null> {
    const document = this.checkDocument(type, number, '/document');
    return this.em.findOne(Beneficiary, { documentHash: document.hash });
  }

  private async register(accountId: string | null, input: NewBeneficiary): Promise<Beneficiary> {
    const document = this.checkDocument(input.document.type, input.document.number, '/document');
    this.checkBirth(input.birthYear, input.birthDate ?? null);
    await this.verifyOnline(document, input);
    return this.uniqueDocument(() =>
      this.em.transactional(async (em) => {
        let account: Account | null = null;
        if (accountId !== null) {
          // Locking the account row serialises concurrent registrations, so the limit holds.
          account = await em.findOneOrFail(Account, { id: accountId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
          const count = await em.count(Beneficiary, { account: accountId });
          const limit = this.tenant.limits.beneficiariesPerAccount;
          if (count >= limit) throw new BeneficiaryLimitError(limit);
        }
        const beneficiary = em.create(Beneficiary, {
          id: randomUUID(),
          referenceId: newReferenceId(),
          account,
          name: input.name.trim(),
          gender: input.gender,
          birthYear: input.birthYear,
          birthDate: input.birthDate ?? null,
          documentType: document.type,
          documentVerifier: document.verifier,
          documentHash: document.hash,
          documentEnc: document.enc,
          documentMasked: document.masked,
          comorbiditiesEnc: this.sealComorbidities(input.comorbidities),
          consentVersion: input.consentVersion,
          consentAt: new Date(),
          createdAt: new Date(),
          updatedAt: new Date(),
        });
        em.persist(beneficiary);
        await em.flush();
        this.log.debug({ referenceId: beneficiary.referenceId, documentType: document.type }, 'beneficiary registered');
        return beneficiary;
      }),
    );
  }

  async update(accountId: string, referenceId: string, changes: BeneficiaryChanges): Promise<BeneficiaryView> {
    const beneficiary = await this.load(accountId, referenceId);
    const birthYear = changes.birthYear ?? beneficiary.birthYear;
    const birthDate = changes.birthDate === undefined ? beneficiary.birthDate : changes.birthDate;
    this.checkBirth(birthYear, birthDate ?? null);
    if (changes.document) {
      const document = this.checkDocument(changes.document.type, changes.document.number, '/document');
      await this.verifyOnline(document, {
        name: changes.name ?? beneficiary.name,
        gender: changes.gender ?? beneficiary.gender,
        birthYear,
        birthDate: birthDate ?? undefined,
      });
      Object.assign(beneficiary, {
        documentType: document.type,
        documentVerifier: document.verifier,
        documentHash: document.hash,
        documentEnc: document.enc,
        documentMasked: document.masked,
      });
    }
    if (changes.name !== undefined) beneficiary.name = changes.name.trim();
    if (changes.gender !== undefined) beneficiary.gender = changes.gender;
    if (changes.comorbidities !== undefined) beneficiary.comorbiditiesEnc = this.sealComorbidities(changes.comorbidities);
    beneficiary.birthYear = birthYear;
    beneficiary.birthDate = birthDate ?? null;
    return this.uniqueDocument(async () => {
      await this.em.flush();
      return this.view(beneficiary);
    });
  }

  async remove(accountId: string, referenceId: string): Promise<void> {
    const beneficiary = await this.load(accountId, referenceId);
    for (const guard of deletionGuards) {
      const reason = await guard(this.em, beneficiary.id);
      if (reason) throw new BeneficiaryLockedError(reason);
    }
    await this.em.remove(beneficiary).flush();
  }

  /** The document types this tenant accepts, from its ID plugins. */
  documentTypes(): { type: string; verifier: string; labelKey: string; inputMask: string; example: string }[] {
    return [...this.verifiers].flatMap(([verifier, plugin]) =>
      plugin.documentTypes().map((type) => ({
        type: type.code,
        verifier,
        labelKey: `${verifier}:${type.labelKey}`,
        inputMask: type.inputMask,
        example: type.example,
      })),
    );
  }

  private async load(accountId: string, referenceId: string): Promise<Beneficiary> {
    // Someone else's beneficiary is "not found", never "forbidden": ids reveal nothing.
    const beneficiary = await this.em.findOne(Beneficiary, { referenceId, account: accountId });
    if (!beneficiary) throw new NotFoundError('no such beneficiary');
    return beneficiary;
  }

  private checkDocument(type: string, number: string, path: string): CheckedDocument {
    const owner = [...this.verifiers].find(([, plugin]) => plugin.documentTypes().some((t) => t.code === type));
    if (!owner) throw new ValidationError('unknown document type', [{ path: `${path}/type`, code: 'document-type-unknown' }]);
    const [verifier, plugin] = owner;
    const result = plugin.validate(type, number);
    if (!result.valid) this.log.debug({ documentType: type, reason: result.reason }, 'document refused');
    if (!result.valid)
      throw new ValidationError('invalid document number', [{ path: `${path}/number`, code: `document-${result.reason}` }]);
    return {
      type,
      verifier,
      normalized: result.normalized,
      hash: this.crypto.keyedHash(`document:${type}`, result.normalized),
      enc: this.crypto.encrypt(result.normalized),
      masked: plugin.mask(type, result.normalized),
    };
  }

  /**
   * Where the tenant's plugin can ask a national registry about this document type, the person's
   * details must match the registry. A registry that cannot be asked is a "try later" for that
   * document only: document types that need no online check never wait for it.
   */
  private async verifyOnline(
    document: CheckedDocument,
    person: { name: string; gender: string; birthYear: number; birthDate?: string | null },
  ): Promise<void> {
    const plugin = this.verifiers.get(document.verifier);
    const type = plugin?.documentTypes().find((t) => t.code === document.type);
    if (!plugin?.verifyOnline || !type?.onlineVerification) return;
    const unavailable = { status: 'unavailable' as const, retryAfterSeconds: undefined };
    // The SDK's registry client bounds its own calls, but a plugin may not use it: core bounds the
    // check too, so a registry that never answers costs the citizen seconds, not a hung request.
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<typeof unavailable>((resolve) => {
      timer = setTimeout(() => resolve(unavailable), this.tenant.limits.registry.timeoutMs);
    });
    const asked = plugin
      .verifyOnline(document.type, document.normalized, {
        name: person.name,
        gender: person.gender,
        birthYear: person.birthYear,
        ...(person.birthDate ? { birthDate: person.birthDate } : {}),
      })
      .catch(() => unavailable);
    const result = await Promise.race([asked, deadline]).finally(() => clearTimeout(timer));
    this.log.debug({ documentType: document.type, registry: result.status }, 'online document check');
    if (result.status === 'verified') return;
    if (result.status === 'unavailable') throw new RegistryUnavailableError(result.retryAfterSeconds ?? 60);
    throw new ValidationError('the registry does not confirm this document', [
      { path: '/document/number', code: result.status === 'mismatch' ? 'document-mismatch' : 'document-not-found' },
    ]);
  }

  private checkBirth(year: number, date: string | null): void {
    const thisYear = new Date().getUTCFullYear();
    if (year > thisYear || year < thisYear - 130)
      throw new ValidationError('birth year out of range', [{ path: '/birthYear', code: 'range' }]);
    if (date && (Number(date.slice(0, 4)) !== year || new Date(date) > new Date())) {
      throw new ValidationError('birth date does not match the year', [{ path: '/birthDate', code: 'birth-date-mismatch' }]);
    }
  }

  private sealComorbidities(list: string[] | undefined): Buffer | null {
    const known = new Set(this.tenant.registration.comorbidities);
    const index = (list ?? []).findIndex((code) => !known.has(code));
    if (index >= 0) throw new ValidationError('unknown condition', [{ path: `/comorbidities/${index}`, code: 'choice' }]);
    return list && list.length > 0 ? this.crypto.encrypt(JSON.stringify(list)) : null;
  }

  /** The unique index is the source of truth for "registered once": map its violation. */
  private async uniqueDocument<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (isUniqueViolation(error, 'document_hash')) {
        throw new DocumentRegisteredError();
      }
      throw error;
    }
  }

  private view(beneficiary: Beneficiary): BeneficiaryView {
    return {
      referenceId: beneficiary.referenceId,
      name: beneficiary.name,
      gender: beneficiary.gender,
      birthYear: beneficiary.birthYear,
      birthDate: beneficiary.birthDate ?? null,
      document: { type: beneficiary.documentType, masked: beneficiary.documentMasked },
      comorbidities: beneficiary.comorbiditiesEnc ? JSON.parse(this.crypto.decrypt(Buffer.from(beneficiary.comorbiditiesEnc))) : [],
      consentVersion: beneficiary.consentVersion,
      consentAt: beneficiary.consentAt.toISOString(),
      createdAt: beneficiary.createdAt.toISOString(),
    };
  }
}
