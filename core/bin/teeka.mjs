#!/usr/bin/env node
// The `teeka` command. A committed launcher, so that `npm ci` can link the bin before anything is
// built; the CLI itself is compiled TypeScript under dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write('teeka: not built yet. Run `npm run build` first.\n');
  process.exit(2);
}
await import(main);
