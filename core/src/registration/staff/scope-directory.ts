/**
 * Where facilities and areas sit in the tenant's administrative tree. Permissions ask it whether a
 * facility or an area lies inside a district officer's area. The scheduling module, which brings
 * areas and facilities, registers its own implementation under SCOPE_DIRECTORY in the tenant's
 * container; until then every staff service uses NoAreasYet.
 */
export interface ScopeDirectory {
  /** The area a facility belongs to, or undefined when the facility is unknown. */
  areaOfFacility(facilityId: string): Promise<string | undefined>;
  /** Whether `area` lies inside `ancestor` (at any depth). Equal ids are decided by the caller. */
  isAreaWithin(area: string, ancestor: string): Promise<boolean>;
}

export const SCOPE_DIRECTORY = Symbol('ScopeDirectory');

/**
 * The directory before areas and facilities exist: it knows none. So a district officer covers
 * only its own area, no facility and no sub-area, and therefore cannot yet grant facility roles
 * (facility-manager, vaccinator); a tenant administrator does that until scheduling arrives.
 */
export class NoAreasYet implements ScopeDirectory {
  async areaOfFacility(): Promise<string | undefined> {
    return undefined;
  }

  async isAreaWithin(): Promise<boolean> {
    return false;
  }
}
