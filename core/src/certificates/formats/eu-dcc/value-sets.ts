import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { describeErrors } from '../../../kernel/config/json-schema.js';
import { PROJECT_ROOT } from '../../../kernel/config/paths.js';
import type { CertificateDose } from '../../record.js';

/**
 * The EU DCC payload schema (1.3.3) and the official value sets, shipped in `data/` (see its
 * README for provenance), and the rules that pick a dose's codes from them.
 */
const DATA = join(PROJECT_ROOT, 'core/src/certificates/formats/eu-dcc/data');

interface ValueSet {
  valueSetId: string;
  valueSetValues: Record<string, { display: string; active: boolean }>;
}
interface EncodingInstruction {
  'vaccine-code': string;
  'vaccine-manufacturer': string;
  'sct-codes': string[];
}
export interface EuDccData {
  validate: ValidateFunction;
  diseases: ValueSet;
  prophylaxis: ValueSet;
  products: ValueSet;
  manufacturers: ValueSet;
  countries: ValueSet;
  instructions: Record<string, EncodingInstruction>;
}

type AddFormats = (ajv: Ajv2020) => Ajv2020;
const addFormats: AddFormats =
  (addFormatsModule as unknown as { default?: AddFormats }).default ?? (addFormatsModule as unknown as AddFormats);

let loaded: EuDccData | undefined;
/** Read once, on first use: importing the format does no I/O. */
export function euDccData(): EuDccData {
  if (!loaded) {
    const read = (file: string) => JSON.parse(readFileSync(join(DATA, file), 'utf8'));
    // The schema is JSON Schema 2020-12 and carries `valueset-uri` annotations ajv does not know.
    const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: true });
    addFormats(ajv);
    loaded = {
      validate: ajv.compile(read('DCC.combined-schema.json')),
      diseases: read('valueset-disease-agent-targeted.json'),
      prophylaxis: read('valueset-vaccine-prophylaxis.json'),
      products: read('valueset-vaccine-medicinal-product.json'),
      manufacturers: read('valueset-vaccine-mah-manf.json'),
      countries: read('valueset-country-2-codes.json'),
      instructions: read('valueset-vaccine-encoding-instructions.json').valueSetValues,
    };
  }
  return loaded;
}

/** A value set's entry for a code: own entries only (a code "constructor" is not in any set). */
export const entryOf = (set: ValueSet, code: string) => (Object.hasOwn(set.valueSetValues, code) ? set.valueSetValues[code] : undefined);

/** Schema errors as lines (`/v/0/dt: must match format "date"`), none when the payload is valid. */
export function schemaErrors(payload: unknown): string[] {
  const { validate } = euDccData();
  return validate(payload) ? [] : describeErrors(validate.errors);
}

/** The generic SNOMED CT code "COVID-19 vaccine", listed for every product in the encoding instructions. */
export const GENERIC_PROPHYLAXIS = '28531000087107';

export interface DoseCodes {
  vp: string;
  mp: string;
  ma: string;
}

/**
 * `vp`, `mp` and `ma` for a dose. The tenant file's codes win when the value sets hold them
 * (and are not deprecated); otherwise the codes come from the EU encoding instructions for the
 * product the brand names (COVISHIELD -> Covishield, ORG-100001981, 29061000087103).
 *
 * A product the value sets do not list (CORBEVAX, ZyCoV-D): the value set guidance lets `mp`
 * and `ma` carry another identifier when a vaccine has no code there, as the set itself does for
 * products outside the Union Register ("Covaxin", "Sputnik-V", "Bharat-Biotech"). So `mp` is the
 * brand and `ma` the holder or manufacturer, written the same way: letters, digits and hyphens
 * ("CORBEVAX", "Biological-E-Limited"). `vp` then falls back to the generic COVID-19 vaccine
 * code: the ATC code J07BX03 that older guidance used is deprecated in the shipped value set.
 */
export function doseCodes(dose: CertificateDose): DoseCodes {
  const data = euDccData();
  const { codes } = dose.vaccine;
  const instruction = findInstruction(data, dose);

  const mp = codes.euProduct ?? instruction?.['vaccine-code'] ?? registeredName(dose.vaccine.name);
  const maName = dose.vaccine.marketingAuthorisationHolder ?? dose.vaccine.manufacturer;
  const ma =
    codes.euManufacturer ??
    instruction?.['vaccine-manufacturer'] ??
    (maName ? (codeByDisplay(data.manufacturers, maName) ?? registeredName(maName)) : undefined);
  if (!ma) throw new Error(`EU DCC: vaccine "${dose.vaccine.code}" has no manufacturer or EU manufacturer code`);
  for (const [field, code, set] of [
    ['mp', mp, data.products],
    ['ma', ma, data.manufacturers],
  ] as const) {
    const entry = entryOf(set, code);
    if (entry && !entry.active) throw new Error(`EU DCC: ${field} "${code}" is deprecated in ${set.valueSetId}`);
    if (!code) throw new Error(`EU DCC: vaccine "${dose.vaccine.code}" gives no ${field}`);
  }

  const active = (code: string | undefined) => code !== undefined && entryOf(data.prophylaxis, code)?.active === true;
  const specific = instruction?.['sct-codes'].filter((code) => code !== GENERIC_PROPHYLAXIS && active(code)).at(-1);
  const vp = active(codes.snomed) ? codes.snomed! : (specific ?? GENERIC_PROPHYLAXIS);
  return { vp, mp, ma };
}

const fold = (text: string) => text.toLowerCase().replace(/[^a-z0-9]/g, '');

function findInstruction(data: EuDccData, dose: CertificateDose): EncodingInstruction | undefined {
  const all = Object.entries(data.instructions);
  const byProduct = dose.vaccine.codes.euProduct
    ? all.find(([, instruction]) => instruction['vaccine-code'] === dose.vaccine.codes.euProduct)
    : undefined;
  if (byProduct) return byProduct[1];
  const names = [dose.vaccine.name, dose.vaccine.code].map(fold);
  const byName = all.find(([name, instruction]) => {
    const display = entryOf(data.products, instruction['vaccine-code'])?.display ?? '';
    return [name, instruction['vaccine-code'], display].some((candidate) => names.includes(fold(candidate)));
  });
  // A deprecated product's entry only names its successor: never pick it by name.
  return byName && entryOf(data.products, byName[1]['vaccine-code'])?.active === true ? byName[1] : undefined;
}

function codeByDisplay(set: ValueSet, name: string): string | undefined {
  return Object.entries(set.valueSetValues).find(([, value]) => value.active && fold(value.display) === fold(name))?.[0];
}

/** "Biological E. Limited" -> "Biological-E-Limited": the form the value sets use for unregistered products. */
function registeredName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 80);
}
