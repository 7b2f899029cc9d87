import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import PDFDocument from 'pdfkit';
import { TOKENS } from '../kernel/di/tokens.js';
import type { PluginRegistry } from '../kernel/plugins/plugin-registry.js';
import type { Tenant } from '../kernel/tenancy/tenant.js';
import type { AppointmentCard } from './page-views.js';
import { drawText, registerFonts, type TextSurface } from './pdf-text.js';
import { qrModules } from './slip-qr.js';

type Translate = (key: string, options?: Record<string, unknown>) => string;

const A4 = { width: 595.28, height: 841.89 };
const MARGIN = 50;
const QR_SIZE = 140;

/**
 * English for the labels printed beside the citizen's language. A tenant that does not offer
 * English still has the English language pack installed: its scheduling strings are read from it.
 */
function english(tenant: Tenant): Translate {
  if (tenant.i18n.hasResourceBundle('en', 'scheduling')) return tenant.i18n.getFixedT('en') as unknown as Translate;
  const registry = tenant.container.resolve<PluginRegistry>(TOKENS.PluginRegistry);
  const directory = registry.language('en')?.directory;
  const file = directory ? join(directory, 'scheduling.json') : '';
  const strings = file && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  return (key) => {
    let node: unknown = strings;
    for (const part of key.replace(/^scheduling:/, '').split('.')) node = (node as Record<string, unknown> | undefined)?.[part];
    return typeof node === 'string' ? node : '';
  };
}

/**
 * The appointment slip as a PDF: every label in the citizen's language with English beside it,
 * the security code large, and the appointment id as a QR code drawn as vector squares.
 */
export async function slipPdf(tenant: Tenant, lng: string, slip: AppointmentCard, t: Translate): Promise<Buffer> {
  const en = lng === 'en' ? undefined : english(tenant);
  const rtl = tenant.renderData(lng).dir === 'rtl';
  const label = (key: string) => {
    const local = t(`scheduling:slip.${key}`);
    const beside = en?.(`scheduling:slip.${key}`);
    return beside && beside !== local ? `${local} · ${beside}` : local;
  };
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    info: { Title: `${t('scheduling:slip.title')} ${slip.id}`, Author: tenant.renderData(lng).siteName },
    lang: lng,
  } as PDFKit.PDFDocumentOptions);
  const surface = doc as unknown as TextSurface;
  registerFonts(surface);
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const full = A4.width - 2 * MARGIN;
  const column = full - QR_SIZE - 20;
  const x = rtl ? MARGIN + QR_SIZE + 20 : MARGIN;
  let y = MARGIN;
  y = drawText(surface, tenant.renderData(lng).siteName, MARGIN, y, full, { size: 11, color: '#555555', rtl });
  y = drawText(surface, label('title'), MARGIN, y + 4, full, { size: 20, rtl });
  const top = y + 10;

  drawQr(doc, slip.id, rtl ? MARGIN : A4.width - MARGIN - QR_SIZE, top);
  y = top;
  const rows: [string, string][] = [
    ['name', slip.name],
    ['referenceId', slip.referenceId],
    ['appointmentId', slip.id],
    ['centre', slip.centre],
    ['address', slip.address],
    ['date', slip.day],
    ['slot', slip.slot],
    ['vaccine', slip.vaccine],
    ['dose', slip.dose],
    ['state', slip.state],
  ];
  for (const [key, value] of rows) {
    if (!value) continue;
    y = drawText(surface, label(key), x, y, column, { size: 9, color: '#555555', rtl });
    y = drawText(surface, value, x, y, column, { size: 13, rtl }) + 4;
  }
  y = Math.max(y, top + QR_SIZE) + 12;
  y = drawText(surface, label('securityCode'), MARGIN, y, full, { size: 11, color: '#555555', rtl });
  y = drawText(surface, slip.securityCode.split('').join(' '), MARGIN, y, full, { size: 40, rtl });
  drawText(surface, t('scheduling:slip.instructions'), MARGIN, y + 8, full, { size: 10, color: '#333333', rtl });
  doc.end();
  return done;
}

function drawQr(doc: PDFKit.PDFDocument, id: string, x: number, y: number): void {
  const modules = qrModules(id);
  const quiet = 4;
  const cell = QR_SIZE / (modules.length + 2 * quiet);
  doc.save().fillColor('#000000');
  for (const [row, cells] of modules.entries()) {
    for (const [column, dark] of cells.entries()) {
      if (dark) doc.rect(x + (column + quiet) * cell, y + (row + quiet) * cell, cell, cell);
    }
  }
  doc.fill().restore();
}
