import type { EntityManager } from '@mikro-orm/postgresql';
import { inject, injectable } from 'tsyringe';
import { TOKENS } from '../kernel/di/tokens.js';
import { NotFoundError, ValidationError } from '../kernel/errors.js';
import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';
import { Area } from './area.entity.js';

export interface AreaView {
  id: number;
  level: string;
  code: string | null;
  name: string;
}

export interface AreaDetail extends AreaView {
  parent: { level: string; id: number } | null;
  children: number;
}

/** Reads the tenant's administrative areas, named in the request's language where a name exists. */
@injectable()
export class AreaService {
  constructor(
    @inject(TOKENS.EntityManager) private readonly em: EntityManager,
    @inject(TOKENS.TenantConfig) private readonly config: TenantConfig,
    @inject(TOKENS.Language) private readonly lng: string,
  ) {}

  /**
   * Areas of a level, optionally only the children of a parent (an id at the level above).
   * With neither, the top level. A parent without a level means the level below the top.
   */
  async list(query: { level?: string; parent?: number }): Promise<AreaView[]> {
    const { levels } = this.config.areas;
    const level = query.level ?? (query.parent === undefined ? levels[0] : levels[1]);
    const depth = level === undefined ? -1 : levels.indexOf(level);
    if (depth < 0)
      throw new ValidationError(`unknown area level ${query.level ?? '(below the top)'}`, [{ path: '/level', code: 'choice' }]);
    if (query.parent !== undefined && depth === 0) {
      throw new ValidationError(`${level} is the top level and has no parent`, [{ path: '/parent', code: 'invalid' }]);
    }
    const where = query.parent === undefined ? { level } : { level, parentLevel: levels[depth - 1], parentId: query.parent };
    const areas = await this.em.find(Area, where);
    const collator = new Intl.Collator(this.lng);
    return areas.map((area) => this.view(area)).sort((a, b) => collator.compare(a.name, b.name) || a.id - b.id);
  }

  async get(level: string, id: number): Promise<AreaDetail> {
    const area = await this.em.findOne(Area, { level, id });
    if (!area) throw new NotFoundError(`no ${level} ${id}`);
    const children = await this.em.count(Area, { parentLevel: level, parentId: id });
    return {
      ...this.view(area),
      parent: area.parentLevel != null && area.parentId != null ? { level: area.parentLevel, id: area.parentId } : null,
      children,
    };
  }

  private view(area: Area): AreaView {
    return { id: area.id, level: area.level, code: area.code ?? null, name: area.names?.[this.lng] ?? area.name };
  }
}
