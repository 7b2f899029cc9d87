import { dateTimeFormat, numberFormat } from '../kernel/i18n/intl-cache.js';
import type { TenantConfig } from '../kernel/tenancy/tenant-config.js';
import { AGE_BANDS, type AreaInfo, type DashboardData, GENDERS, type Tally } from './dashboard-service.js';
import { barChart, type ChartPoint, columnChart } from './svg-chart.js';

/**
 * The dashboard page's view: every figure through Intl in the page's language, every text
 * through i18next, each chart followed by a table of the same figures. Pure: the same data and
 * language give the same page.
 */
export interface ViewOptions {
  lng: string;
  locale: string;
  rtl: boolean;
  t: (key: string, options?: Record<string, unknown>) => string;
  config: TenantConfig;
  computedAt: number;
  /** The first-level area to drill into (`?area=state:21`), already checked to exist. */
  area?: AreaInfo;
}

interface Row {
  head: string;
  href?: string;
  cells: string[];
}

interface Section {
  id: string;
  heading: string;
  chart: string;
  caption: string;
  columns: string[];
  rows: Row[];
}

const areaName = (area: AreaInfo, lng: string): string => area.names?.[lng] ?? area.name;

export function dashboardView(data: DashboardData, o: ViewOptions) {
  const { t } = o;
  const n = (value: number) => numberFormat(o.locale).format(value);
  const percent = (value: number) => numberFormat(o.locale, { style: 'percent', maximumFractionDigits: 1 }).format(value);
  const day = (date: string, options: Intl.DateTimeFormatOptions) =>
    dateTimeFormat(o.locale, { ...options, timeZone: 'UTC' }).format(new Date(`${date}T00:00:00Z`));
  const doses = t('dashboard:column.doses');

  const section = (
    id: string,
    heading: string,
    points: (ChartPoint & { href?: string; extra?: string[] })[],
    extraColumns: string[] = [],
  ) => ({
    id,
    heading,
    chart: barChart({ id: `chart-${id}`, title: heading, desc: t('dashboard:chart.barDesc', { what: heading }), rtl: o.rtl }, points),
    caption: heading,
    columns: [t(`dashboard:column.${id}`), doses, ...extraColumns],
    rows: points.map((p) => ({ head: p.label, href: p.href, cells: [p.display, ...(p.extra ?? [])] })),
  });
  const point = (label: string, tally: Tally) => ({ label, value: tally.doses, display: n(tally.doses) });

  // Doses per day: a column chart over the last days, oldest first.
  const days = data.days.map((d) => ({ label: day(d.day, { day: 'numeric', month: 'short' }), value: d.doses, display: n(d.doses) }));
  const first = data.days[0]?.day;
  const last = data.days.at(-1)?.day;
  const dailyHeading = t('dashboard:daily.heading');
  const daily: Section = {
    id: 'daily',
    heading: dailyHeading,
    chart: columnChart(
      {
        id: 'chart-daily',
        title: dailyHeading,
        desc: t('dashboard:daily.desc', {
          days: n(data.days.length),
          from: first ? day(first, { dateStyle: 'long' }) : '',
          to: last ? day(last, { dateStyle: 'long' }) : '',
        }),
        rtl: o.rtl,
      },
      days,
    ),
    caption: t('dashboard:daily.caption', { days: n(data.days.length) }),
    columns: [t('dashboard:column.day'), doses],
    rows: data.days.map((d) => ({ head: day(d.day, { dateStyle: 'medium' }), cells: [n(d.doses)] })),
  };

  // Areas: the first level, or the second level inside the area asked for; coverage where a population is known.
  const [top, second] = o.config.areas.levels;
  const known = new Map(data.areas.map((a) => [`${a.level}:${a.id}`, a]));
  // Only areas with areas below them (in the seed) link to a drill-down.
  const parents = new Set(data.areas.filter((a) => a.level === second).map((a) => a.parentId));
  const coverageOf = (tally: Tally, population: number | null | undefined) =>
    population ? percent(tally.firstDoses / population) : t('dashboard:coverage.none');
  const areaRows = o.area
    ? data.bySubArea
        .filter((row) => row.parentId === o.area!.id)
        .map((row) => ({ area: known.get(`${second}:${row.id}`), tally: row.tally, id: row.id, href: undefined }))
    : data.byArea.map((row) => ({
        area: row.id === null ? undefined : known.get(`${top}:${row.id}`),
        tally: row.tally,
        id: row.id,
        href: row.id === null || !parents.has(row.id) ? undefined : `/dashboard?area=${encodeURIComponent(`${top}:${row.id}`)}#area`,
      }));
  const anyPopulation = areaRows.some((row) => row.area?.population);
  const collator = new Intl.Collator(o.locale);
  const areaPoints = areaRows
    .map((row) => ({
      ...point(row.area ? areaName(row.area, o.lng) : row.id === null ? t('dashboard:area.unknown') : String(row.id), row.tally),
      href: row.href,
      extra: anyPopulation
        ? [n(row.tally.firstDoses), row.area?.population ? n(row.area.population) : '–', coverageOf(row.tally, row.area?.population)]
        : [],
    }))
    .sort((a, b) => b.value - a.value || collator.compare(a.label, b.label));
  const areaHeading = o.area ? t('dashboard:area.within', { area: areaName(o.area, o.lng) }) : t('dashboard:area.heading');
  const area = section(
    'area',
    areaHeading,
    areaPoints,
    anyPopulation ? [t('dashboard:column.firstDoses'), t('dashboard:column.population'), t('dashboard:column.coverage')] : [],
  );

  const vaccineName = (code: string) => o.config.vaccines.find((v) => v.code === code)?.name ?? code;
  const vaccine = section(
    'vaccine',
    t('dashboard:vaccine.heading'),
    data.byVaccine.map((row) => point(vaccineName(row.key), row.tally)).sort((a, b) => b.value - a.value),
  );
  const doseOrder = (key: string) => (key === 'booster' ? Number.MAX_SAFE_INTEGER : Number(key));
  const dose = section(
    'dose',
    t('dashboard:dose.heading'),
    [...data.byDose]
      .sort((a, b) => doseOrder(a.key) - doseOrder(b.key))
      .map((row) =>
        point(row.key === 'booster' ? t('dashboard:dose.booster') : t('dashboard:dose.numbered', { dose: n(Number(row.key)) }), row.tally),
      ),
  );
  const bandLabel = (band: string) => {
    if (band === 'under-12') return t('dashboard:age.under', { age: n(12) });
    if (band === '60+') return t('dashboard:age.over', { age: n(60) });
    const [from, to] = band.split('-').map(Number);
    return t('dashboard:age.range', { from: n(from), to: n(to) });
  };
  const age = section(
    'age',
    t('dashboard:age.heading'),
    AGE_BANDS.flatMap((band) => {
      const row = data.byAge.find((r) => r.key === band);
      return row || band !== 'under-12' ? [point(bandLabel(band), row?.tally ?? emptyTally)] : [];
    }),
  );
  const genderLabel: Record<string, string> = {
    F: t('dashboard:gender.F'),
    M: t('dashboard:gender.M'),
    O: t('dashboard:gender.O'),
  };
  const gender = section(
    'gender',
    t('dashboard:gender.heading'),
    GENDERS.map((g) => point(genderLabel[g], data.byGender.find((r) => r.key === g)?.tally ?? emptyTally)),
  );

  const population = (() => {
    const tops = data.areas.filter((a) => a.level === top);
    return tops.length > 0 && tops.every((a) => a.population) ? tops.reduce((sum, a) => sum + (a.population ?? 0), 0) : undefined;
  })();
  const asOf = dateTimeFormat(o.locale, { dateStyle: 'long', timeStyle: 'short', timeZone: o.config.timeZone }).format(
    new Date(o.computedAt),
  );
  return {
    title: t('dashboard:title'),
    asOf: t('dashboard:asOf', { time: asOf }),
    asOfIso: new Date(o.computedAt).toISOString(),
    empty: data.totals.doses === 0,
    headlines: [
      { label: t('dashboard:headline.doses'), value: n(data.totals.doses) },
      { label: t('dashboard:headline.people'), value: n(data.totals.people) },
      { label: t('dashboard:headline.complete'), value: n(data.totals.complete) },
      { label: t('dashboard:headline.boosters'), value: n(data.totals.boosters) },
      ...(population ? [{ label: t('dashboard:headline.coverage'), value: percent(data.totals.firstDoses / population) }] : []),
    ],
    drilled: o.area ? { name: areaName(o.area, o.lng) } : undefined,
    sections: [daily, area, vaccine, dose, age, gender],
  };
}

const emptyTally: Tally = { doses: 0, firstDoses: 0, people: 0, complete: 0, boosters: 0 };
