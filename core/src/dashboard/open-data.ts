import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';
import type { AreaInfo, OpenDataRow } from './dashboard-service.js';

/**
 * The open data: doses per day by first-level area, vaccine and dose number, as CSV (RFC 4180:
 * a header row, CRLF line ends, fields quoted when they hold a comma, a quote or a line break)
 * and as JSON with the same fields. Names are the areas' official names (the seed file's `name`).
 */
export const OPEN_DATA_COLUMNS = ['date', 'area_level', 'area_id', 'area_code', 'area_name', 'vaccine', 'dose_number', 'doses'] as const;

export interface OpenDataRecord {
  date: string;
  area_level: string | null;
  area_id: number | null;
  area_code: string | null;
  area_name: string | null;
  vaccine: string;
  dose_number: number;
  doses: number;
}

export function openDataRecords(rows: OpenDataRow[], areas: AreaInfo[], config: TenantConfig): OpenDataRecord[] {
  const [top] = config.areas.levels;
  const byId = new Map(areas.filter((a) => a.level === top).map((a) => [a.id, a]));
  return rows.map((row) => {
    const area = row.areaId === null ? undefined : byId.get(row.areaId);
    return {
      date: row.date,
      area_level: row.areaId === null ? null : top,
      area_id: row.areaId,
      area_code: area?.code ?? null,
      area_name: area?.name ?? null,
      vaccine: row.vaccine,
      dose_number: row.doseNumber,
      doses: row.doses,
    };
  });
}

const field = (value: string | number | null): string => {
  const text = value === null ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

export function toCsv(records: OpenDataRecord[]): string {
  const lines = [OPEN_DATA_COLUMNS.join(','), ...records.map((r) => OPEN_DATA_COLUMNS.map((c) => field(r[c])).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}
