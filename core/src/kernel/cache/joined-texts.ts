/**
 * The JSON texts of a list's items joined with commas, as one buffer, with where each item starts:
 * any run of consecutive items is then one slice of that buffer. Availability answers cut a
 * calendar (a few days) out of each centre's sessions (ascending by date, see AvailabilityEntry):
 * one slice per centre, instead of a kept string per session to look up, join and encode again
 * for every answer.
 */
export class JoinedTexts {
  private readonly bytes: Buffer;
  /** Byte offset of each item, and one past the end (as if a comma followed the last item). */
  private readonly starts: Uint32Array;

  constructor(texts: readonly string[]) {
    this.bytes = keptBytes(texts.join(','));
    this.starts = new Uint32Array(texts.length + 1);
    let at = 0;
    texts.forEach((text, i) => {
      this.starts[i] = at;
      at += Buffer.byteLength(text) + 1;
    });
    this.starts[texts.length] = at;
  }

  /** Items [from, to) joined with commas (no copy). */
  slice(from: number, to: number): Buffer {
    return to <= from ? EMPTY : this.bytes.subarray(this.starts[from], this.starts[to] - 1);
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * A text's UTF-8 bytes in a buffer of their own, for bytes kept a long time: Buffer.from puts
 * small texts in slices of a shared 8 KiB pool, and one kept slice keeps its whole pool alive.
 */
export function keptBytes(text: string): Buffer {
  const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
  bytes.write(text);
  return bytes;
}

/** Whether `part` is `list[from]`, `list[from + 1]`, … (the same objects, in order). */
export function isRunOf<T>(part: readonly T[], list: readonly T[], from: number): boolean {
  if (from < 0 || from + part.length > list.length) return false;
  for (let i = 0; i < part.length; i++) if (part[i] !== list[from + i]) return false;
  return true;
}

/** Buffers and texts as one new buffer (texts as UTF-8). */
export function concatBytes(parts: readonly (Buffer | string)[]): Buffer {
  return Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : part)));
}
