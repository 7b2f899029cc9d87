import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type PDFDocumentClass from 'pdfkit';
import QRCode from 'qrcode';
import { TOKENS } from '../di/tokens.js';
import type { PluginRegistry } from '../plugins/plugin-registry.js';
import type { Tenant } from '../tenancy/tenant.js';
import { registerFonts, type TextSurface } from './pdf-text.js';

/**
 * What the PDFs the platform prints share (the appointment slip, the vaccination certificate): an
 * A4 document with the Noto fonts registered, collected into a buffer; labels in a language the
 * tenant may not offer (English beside the citizen's language); QR codes drawn as vector squares.
 */

export type Translate = (key: string, options?: Record<string, unknown>) => string;

export const A4 = { width: 595.28, height: 841.89 } as const;

export interface PdfDocument {
  doc: PDFKit.PDFDocument;
  /** The same document, as the text drawing (pdf-text.ts) sees it. */
  surface: TextSurface;
  /** Ends the document; resolves to its bytes. */
  finish(): Promise<Buffer>;
}

/**
 * pdfkit, loaded on the first PDF rather than at start: with fontkit, brotli and their Unicode
 * tables it is ~7 MiB of heap and ~2 MiB of source, in every process, and many processes print
 * no PDF for a long time. `require` (pdfkit ships CommonJS) keeps `newPdf` synchronous.
 */
let pdfkit: typeof PDFDocumentClass | undefined;
function PDFDocument(): typeof PDFDocumentClass {
  pdfkit ??= createRequire(import.meta.url)('pdfkit') as typeof PDFDocumentClass;
  return pdfkit;
}

export function newPdf(options: { title: string; author: string; lang: string; margin: number }): PdfDocument {
  const doc = new (PDFDocument())({
    size: 'A4',
    margin: options.margin,
    info: { Title: options.title, Author: options.author },
    lang: options.lang,
    displayTitle: true,
  } as PDFKit.PDFDocumentOptions);
  const surface = doc as unknown as TextSurface;
  registerFonts(surface);
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  return {
    doc,
    surface,
    finish() {
      doc.end();
      return done;
    },
  };
}

/**
 * A namespace's strings in a language, whether or not the tenant offers it: a tenant that does not
 * offer English still has the English language pack installed, and its strings are read from it
 * (missing keys answer ''). Tenant overrides apply only to the languages the tenant offers.
 */
export function languageT(tenant: Tenant, lng: string, namespace: string): Translate {
  if (tenant.i18n.hasResourceBundle(lng, namespace)) return tenant.i18n.getFixedT(lng) as unknown as Translate;
  const registry = tenant.container.resolve<PluginRegistry>(TOKENS.PluginRegistry);
  const directory = registry.language(lng)?.directory;
  const file = directory ? join(directory, `${namespace}.json`) : '';
  const strings = file && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  return (key, options = {}) => {
    let node: unknown = strings;
    for (const part of key.replace(new RegExp(`^${namespace}:`), '').split('.'))
      node = (node as Record<string, unknown> | undefined)?.[part];
    if (typeof node !== 'string') return '';
    return node.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => String(options[name] ?? ''));
  };
}

/** A QR code as its segments (each with its mode) and error correction, as formats require. */
export interface QrSegments {
  segments: { data: string; mode: 'alphanumeric' | 'numeric' | 'byte' }[];
  errorCorrection: 'L' | 'M' | 'Q' | 'H';
}

/** The QR code's modules (dark = true), row by row. A plain string is left to qrcode's segmentation. */
export function qrModules(content: string | QrSegments, errorCorrection: 'L' | 'M' | 'Q' | 'H' = 'M'): boolean[][] {
  const { modules } =
    typeof content === 'string'
      ? QRCode.create(content, { errorCorrectionLevel: errorCorrection })
      : QRCode.create(content.segments.map((s) => ({ data: s.data, mode: s.mode })) as never, {
          errorCorrectionLevel: content.errorCorrection,
        });
  return Array.from({ length: modules.size }, (_, row) =>
    Array.from({ length: modules.size }, (_, column) => Boolean(modules.get(row, column))),
  );
}

/**
 * Draws a QR code `size` points wide (quiet zone of four modules included) at (x, y): one path of
 * the dark runs of each row, filled once, so no hairline shows between neighbouring modules.
 */
export function drawQrCode(doc: PDFKit.PDFDocument, modules: boolean[][], x: number, y: number, size: number): void {
  const quiet = 4;
  const cell = size / (modules.length + 2 * quiet);
  doc.save().rect(x, y, size, size).fill('#ffffff');
  doc.fillColor('#000000');
  for (const [row, cells] of modules.entries()) {
    let start = -1;
    for (let column = 0; column <= cells.length; column++) {
      const dark = column < cells.length && cells[column];
      if (dark && start < 0) start = column;
      if (!dark && start >= 0) {
        doc.rect(x + (start + quiet) * cell, y + (row + quiet) * cell, (column - start) * cell, cell);
        start = -1;
      }
    }
  }
  doc.fill().restore();
}
