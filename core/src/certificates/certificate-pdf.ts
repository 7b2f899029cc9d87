import { A4, drawQrCode, languageT, newPdf, qrModules, type Translate } from '../kernel/pdf/pdf-document.js';
import { drawText, type LineStyle } from '../kernel/pdf/pdf-text.js';
import { drawSvgLogo } from '../kernel/pdf/svg-logo.js';
import type { Tenant } from '../kernel/tenancy/tenant.js';
import { type CertificateView, centreName, dayLabel, instantLabel } from './certificate-view.js';
import type { FormatId } from './record.js';

const MARGIN = 40;
const WIDTH = A4.width - 2 * MARGIN;
const BAND = 84;
const LOGO = 56;
const QR_MAX = 200;
const GREY = '#555555';
const INK = '#1a1a1a';
const RULE = '#c8c8c8';
/** Formats printed as QR codes, in this order: the ones verifier apps read. The VC is a download. */
const PRINTED: FormatId[] = ['eu-dcc', 'shc'];

/** The dose table's columns (widths in points, 515 in all) and their label keys. */
const COLUMNS = [
  { key: 'dose', width: 46 },
  { key: 'date', width: 64 },
  { key: 'vaccine', width: 112 },
  { key: 'batch', width: 72 },
  { key: 'centre', width: 123 },
  { key: 'vaccinator', width: 98 },
] as const;

/**
 * The vaccination certificate as a PDF (A4): the tenant's colour band, logo and issuer; the title
 * and every label in the citizen's language, the tenant's official language and English (for
 * travel), each once; the person, the dose history, and the QR codes of the formats verifiers read
 * (EU DCC, SMART Health Card), drawn as vector squares with each format's own segments and error
 * correction. Noto fonts are embedded (subsets) and shaped by fontkit: Devanagari conjuncts and
 * vowel signs, Arabic joining, right-to-left lines.
 */
export async function certificatePdf(tenant: Tenant, lng: string, view: CertificateView, t: Translate): Promise<Buffer> {
  const data = tenant.renderData(lng);
  const rtl = data.dir === 'rtl';
  const tokens = tenant.theme.tokens;
  const primary = tokens.primaryColor ?? '#1d4f91';
  const contrast = tokens.primaryContrast ?? '#ffffff';
  const accent = tokens.accentColor ?? primary;
  const official = tenant.config.languages.default;
  const translations = [t, ...[official, 'en'].filter((other) => other !== lng).map((other) => languageT(tenant, other, 'certificates'))];
  /** A label in each language, each text once (a language that says the same adds nothing). */
  const all = (key: string, options?: Record<string, unknown>): string[] => [
    ...new Set(translations.map((translate) => translate(key, options)).filter(Boolean)),
  ];
  const label = (key: string, options?: Record<string, unknown>) => all(key, options).join(' · ');
  const { record } = view;

  const { doc, surface, finish } = newPdf({
    title: `${t('certificates:title')} ${view.certificateId}`,
    author: record.issuer.name,
    lang: lng,
    // The layout places everything itself; a small page margin keeps pdfkit from turning pages.
    margin: 10,
  });
  /** Where a box `width` wide that starts `x` from the leading edge goes on the page. */
  const at = (x: number, width: number) => (rtl ? A4.width - x - width : x);
  const text = (value: string, x: number, y: number, width: number, style: Partial<LineStyle> & { size: number }) =>
    drawText(surface, value, at(x, width), y, width, { color: INK, rtl, ...style });

  // The band: the theme's colour, its logo, the issuer and the site.
  doc.rect(0, 0, A4.width, BAND).fill(primary);
  const logo = tenant.theme.assets.get(tokens.logo ?? '');
  const drawn = logo ? drawSvgLogo(doc, logo.body.toString('utf8'), at(MARGIN, LOGO), (BAND - LOGO) / 2, LOGO) : false;
  const beside = drawn ? LOGO + 14 : 0;
  let y = text(record.issuer.name, MARGIN + beside, 20, WIDTH - beside, { size: 15, bold: true, color: contrast });
  text(data.siteName, MARGIN + beside, y, WIDTH - beside, { size: 10, color: contrast });

  // The title in each language, the kind of certificate, and a warning if it is no longer current.
  y = BAND + 16;
  const [title, ...others] = all('certificates:title');
  y = text(title, MARGIN, y, WIDTH, { size: 19, bold: true, color: primary });
  for (const other of others) y = text(other, MARGIN, y, WIDTH, { size: 12, color: '#333333' });
  y = text(label(`certificates:kindTitle.${view.kind}`), MARGIN, y + 2, WIDTH, { size: 11, bold: true, color: accent });
  if (view.state !== 'active')
    y = text(label(`certificates:state.${view.state}`), MARGIN, y, WIDTH, { size: 11, bold: true, color: '#b00020' });
  y += 8;
  doc
    .moveTo(MARGIN, y)
    .lineTo(A4.width - MARGIN, y)
    .lineWidth(0.8)
    .strokeColor(RULE)
    .stroke();
  y += 10;

  // The person and the certificate, in two columns.
  const half = (WIDTH - 20) / 2;
  const field = (key: string, value: string | undefined, x: number, from: number, bold = false) => {
    if (!value) return from;
    const below = text(label(`certificates:field.${key}`), x, from, half, { size: 7.5, color: GREY });
    return text(value, x, below, half, { size: 11, bold }) + 5;
  };
  const person = record.person;
  let left = field('name', person.name, MARGIN, y, true);
  left = field('birthDate', person.birthDate, MARGIN, left);
  left = field('sex', person.sex ? label(`certificates:sex.${person.sex}`) : undefined, MARGIN, left);
  left = field('document', view.document ? `${view.document.label} ${view.document.masked}` : undefined, MARGIN, left);
  left = field('passport', person.identifier?.type === 'passport' ? person.identifier.value : undefined, MARGIN, left);
  let right = field('certificateId', view.certificateId, MARGIN + half + 20, y);
  right = field('referenceId', view.referenceId, MARGIN + half + 20, right);
  right = field('issuedAt', instantLabel(tenant, lng, record.issuedAt), MARGIN + half + 20, right);
  right = field('version', String(record.version), MARGIN + half + 20, right);
  right = field('nextDose', record.nextDoseFrom ? dayLabel(tenant, lng, record.nextDoseFrom) : undefined, MARGIN + half + 20, right);
  y = Math.max(left, right) + 6;

  // The dose history.
  y = text(label('certificates:doses.heading'), MARGIN, y, WIDTH, { size: 12, bold: true, color: primary }) + 2;
  const cells = (row: string[][], from: number, header: boolean) => {
    let bottom = from;
    let x = MARGIN;
    for (const [index, column] of COLUMNS.entries()) {
      let cellY = from + 4;
      for (const [line, value] of row[index].entries()) {
        if (!value) continue;
        const style = header
          ? { size: line === 0 ? 8 : 7, bold: line === 0, color: line === 0 ? INK : GREY }
          : { size: line === 0 ? 9 : 7.5, color: line === 0 ? INK : GREY };
        cellY = text(value, x + 3, cellY, column.width - 6, style);
      }
      bottom = Math.max(bottom, cellY + 3);
      x += column.width;
    }
    return bottom;
  };
  const headerTop = y;
  const header = COLUMNS.map((column) => all(`certificates:doses.${column.key}`));
  // The tint goes under the header's text, so its height is reckoned from the lines before drawing.
  const headerHeight = Math.max(...header.map((lines) => 4 + lines.length * 12)) + 6;
  doc.rect(MARGIN, headerTop, WIDTH, headerHeight).fill('#f0f2f5');
  y = Math.max(cells(header, headerTop, true), headerTop + headerHeight);
  for (const dose of record.doses) {
    const booster = dose.doseNumber > dose.totalDoses;
    const local = centreName(view, dose.centre, lng);
    const english = centreName(view, dose.centre, 'en');
    const row = [
      booster ? [String(dose.doseNumber), ...all('certificates:doses.booster')] : [`${dose.doseNumber}/${dose.totalDoses}`],
      [dose.date],
      [dose.vaccine.name, dose.vaccine.manufacturer ?? ''],
      [dose.lotNumber],
      english !== local ? [local, english] : [local],
      [dose.practitioner ?? '—'],
    ];
    doc
      .moveTo(MARGIN, y)
      .lineTo(A4.width - MARGIN, y)
      .lineWidth(0.5)
      .strokeColor(RULE)
      .stroke();
    y = cells(row, y, false);
  }
  doc
    .moveTo(MARGIN, y)
    .lineTo(A4.width - MARGIN, y)
    .lineWidth(0.8)
    .strokeColor(RULE)
    .stroke();

  // The QR codes, side by side at the foot of the page (on a page of their own if the table is long).
  const codes = PRINTED.flatMap((format) => {
    const issued = view.formats.find((f) => f.format === format);
    return issued?.qr[0] ? [{ format, spec: issued.qr[0] }] : [];
  });
  if (codes.length > 0) {
    const gap = 24;
    const size = Math.min(QR_MAX, (WIDTH - gap * (codes.length - 1)) / codes.length);
    const names = codes.map(({ format }) => all(`certificates:format.${format}`));
    const namesHeight = Math.max(...names.map((lines) => lines.length)) * 13;
    const footer = 12 * all('certificates:pdf.verifyHint').length + 10;
    let top = A4.height - MARGIN - footer - size - namesHeight;
    if (y + 16 > top) {
      doc.addPage();
      top = MARGIN + 20;
    }
    const slot = WIDTH / codes.length;
    for (const [index, { spec }] of codes.entries()) {
      const x = at(MARGIN + index * slot, slot);
      let nameY = top;
      for (const [line, name] of names[index].entries()) {
        nameY = drawText(surface, name, x, nameY, slot, {
          size: line === 0 ? 9.5 : 8,
          bold: line === 0,
          color: line === 0 ? INK : GREY,
          rtl,
          center: true,
        });
      }
      drawQrCode(doc, qrModules(spec), x + (slot - size) / 2, top + namesHeight, size);
    }
  }
  // One line per language: a sentence in Arabic and one in English read badly run into one line.
  const hints = all('certificates:pdf.verifyHint');
  let hintY = A4.height - MARGIN - 12 * hints.length;
  for (const hint of hints) hintY = text(hint, MARGIN, hintY, WIDTH, { size: 8, color: GREY, center: true });
  return finish();
}
