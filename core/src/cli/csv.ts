/** One CSV record with the line of the file it starts on (1 is the header). */
export interface CsvRow {
  line: number;
  values: Record<string, string>;
}

export class CsvError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

/**
 * RFC 4180 CSV: a header line, then records; fields may be quoted ("a, b", "say ""hi"""), quoted
 * fields may span lines, CRLF or LF, a leading BOM is ignored, and blank lines are skipped.
 */
export function parseCsv(text: string): { header: string[]; rows: CsvRow[] } {
  const records: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endRecord = () => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0] === '')) records.push({ line: start, fields });
    fields = [];
    field = '';
  };
  for (; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
    } else if (c === '"' && field === '') {
      quoted = true;
    } else if (c === ',') {
      fields.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      start = line;
    } else {
      field += c;
    }
  }
  if (quoted) throw new CsvError(start, 'a quoted field is not closed');
  if (field !== '' || fields.length > 0) endRecord();
  if (records.length === 0) throw new CsvError(1, 'the file is empty: a header line is needed');
  const [head, ...body] = records;
  const header = head.fields.map((name) => name.trim());
  const seen = new Set<string>();
  for (const name of header) {
    if (name === '') throw new CsvError(1, 'a column has no name');
    if (seen.has(name)) throw new CsvError(1, `column "${name}" appears twice`);
    seen.add(name);
  }
  const rows = body.map((record) => {
    if (record.fields.length !== header.length) {
      throw new CsvError(record.line, `${record.fields.length} fields, but the header has ${header.length}`);
    }
    return { line: record.line, values: Object.fromEntries(header.map((name, index) => [name, record.fields[index].trim()])) };
  });
  return { header, rows };
}

/** A progress bar on a terminal (stderr): `[#####-----] 50% 500/1000 rows`. Does nothing elsewhere. */
export class ProgressBar {
  private last = -1;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly total: number,
    private readonly label: string,
    private readonly enabled = stream.isTTY === true,
  ) {}

  update(done: number): void {
    if (!this.enabled || this.total === 0) return;
    const percent = Math.floor((done / this.total) * 100);
    if (percent === this.last) return;
    this.last = percent;
    const width = 30;
    const filled = Math.round((percent / 100) * width);
    this.stream.write(`\r${this.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${percent}% ${done}/${this.total}`);
  }

  done(): void {
    if (this.enabled && this.last >= 0) this.stream.write('\n');
  }
}
