import type { EntityManager } from '@mikro-orm/postgresql';
import { inject, injectable } from 'tsyringe';
import { TOKENS } from '../di/tokens.js';
import { AuditEntry } from './audit-entry.entity.js';

export interface RequestOrigin {
  ip: string;
  userAgent: string;
}

export interface AuditRecord {
  actorType: 'staff' | 'citizen' | 'system';
  actorId?: string;
  action: string;
  targetType?: string;
  targetId?: string;
  /** Never personal data: ids, counts, role names. */
  details?: Record<string, unknown>;
}

/**
 * Writes audit entries in the request's unit of work, so an entry is stored exactly when the
 * action it records is (the caller's flush commits both).
 */
@injectable()
export class AuditLog {
  constructor(
    @inject(TOKENS.EntityManager) private readonly em: EntityManager,
    @inject(TOKENS.RequestOrigin) private readonly origin: RequestOrigin,
  ) {}

  /**
   * The entry as an insert statement with its values, for a caller that writes it inside a
   * statement of its own (a `with audited as (…)` part): one round trip fewer than `record` and
   * its flush, on paths that run for every dose.
   */
  insert(entry: AuditRecord, from?: string): { sql: string; params: unknown[] } {
    const values = '?::timestamptz, ?, ?::uuid, ?, ?, ?, ?, ?, ?::jsonb';
    return {
      // With `from` (a CTE's name), one entry per row of it: none when the step it records wrote nothing.
      sql: `insert into audit_entry (at, actor_type, actor_id, action, target_type, target_id, ip, user_agent, details)
            ${from ? `select ${values} from ${from}` : `values (${values})`}`,
      params: [
        new Date(),
        entry.actorType,
        entry.actorId ?? null,
        entry.action,
        entry.targetType ?? null,
        entry.targetId ?? null,
        this.origin.ip.slice(0, 64),
        this.origin.userAgent.slice(0, 200),
        JSON.stringify(entry.details ?? {}),
      ],
    };
  }

  record(entry: AuditRecord): void {
    this.em.persist(
      this.em.create(AuditEntry, {
        actorType: entry.actorType,
        actorId: entry.actorId ?? null,
        action: entry.action,
        targetType: entry.targetType ?? null,
        targetId: entry.targetId ?? null,
        ip: this.origin.ip.slice(0, 64),
        userAgent: this.origin.userAgent.slice(0, 200),
        details: entry.details ?? {},
        at: new Date(),
      }),
    );
  }
}
