import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative } from 'node:path';

export interface Asset {
  /** Fingerprinted URL path, e.g. `/assets/site.3f2a9c1b0d.css`: cacheable for a year. */
  url: string;
  body: Buffer;
  contentType: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

function walk(directory: string): string[] {
  if (!existsSync(directory)) return [];
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(directory, entry.name)) : [join(directory, entry.name)],
  );
}

/**
 * The assets of a theme chain, later (more specific) themes overriding earlier ones by path.
 * Read and hashed once when the tenant starts; served from memory.
 */
export function collectAssets(themeDirsBaseFirst: string[]): Map<string, Asset> {
  const byName = new Map<string, Asset>();
  for (const themeDir of themeDirsBaseFirst) {
    const root = join(themeDir, 'assets');
    for (const file of walk(root)) {
      const name = relative(root, file).split('\\').join('/');
      const body = readFileSync(file);
      const hash = createHash('sha256').update(body).digest('hex').slice(0, 10);
      const ext = extname(name);
      byName.set(name, {
        url: `/assets/${name.slice(0, -ext.length)}.${hash}${ext}`,
        body,
        contentType: TYPES[ext] ?? 'application/octet-stream',
        etag: `"${hash}"`,
      });
    }
  }
  return byName;
}
