import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import test from 'ava';
import { type Browser, chromium, type Page, type Request } from 'playwright-core';
import { PROJECT_ROOT } from '../../src/kernel/config/paths.js';

/**
 * Debian's Chromium driven by playwright-core (installed by .ci/run), shared by the browser tests:
 * the launch flags, axe-core checks, page weight and screenshots kept as test artefacts.
 */
export const CHROMIUM = '/usr/bin/chromium';

/** Chromium is installed, or this is CI (where its absence must fail). */
export const hasChromium = existsSync(CHROMIUM) || Boolean(process.env.CI);

/** `test.serial` where Chromium runs, else `test.skip`. */
export const browserTest = hasChromium ? test.serial : test.skip;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--host-resolver-rules=MAP *.localhost 127.0.0.1',
    ],
  });
}

let axeSource: string | undefined;
function axe(): string {
  if (!axeSource) {
    const require = createRequire(import.meta.url);
    axeSource = readFileSync(resolve(dirname(require.resolve('axe-core')), 'axe.min.js'), 'utf8');
  }
  return axeSource;
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[]; html: string; failureSummary?: string }[];
}

/** axe-core on the page as it stands (WCAG 2.x A and AA rules and best practice); answers the serious and critical violations. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  // Through the DevTools protocol: the pages' Content-Security-Policy (script-src 'self') refuses an
  // inline <script> (addScriptTag), and bypassing CSP would hide what the policy blocks.
  await page.evaluate(axe());
  const violations = await page.evaluate(async () => {
    // biome-ignore lint/suspicious/noExplicitAny: axe is injected as a global by its own script; no DOM types here
    const scope = globalThis as any;
    const result = await scope.axe.run(scope.document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
      resultTypes: ['violations'],
    });
    return result.violations as AxeViolation[];
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** One line per violation and element, for an assertion message. */
export function describeViolations(violations: AxeViolation[]): string {
  return violations
    .flatMap((v) => v.nodes.map((node) => `${v.impact} ${v.id} (${v.help}): ${JSON.stringify(node.target)} ${node.html.slice(0, 160)}`))
    .join('\n');
}

/** Saves a full-page screenshot as test-artifacts/screenshots/<tenant>/<name>.png. */
export async function screenshot(page: Page, tenant: string, name: string): Promise<void> {
  const folder = resolve(PROJECT_ROOT, 'test-artifacts/screenshots', tenant);
  mkdirSync(folder, { recursive: true });
  await page.screenshot({ path: resolve(folder, `${name}.png`), fullPage: true });
}

export interface PageWeight {
  /** Bytes over the wire (headers and body) of the document, style sheets and scripts. */
  bytes: number;
  /** Every URL the page asked for, images included. */
  urls: string[];
  failed: string[];
}

/** Loads `url` in a fresh page and weighs what came over the wire, images, fonts and media aside. */
export async function weigh(page: Page, url: string): Promise<PageWeight> {
  const requests: Promise<{ url: string; bytes: number; counted: boolean }>[] = [];
  const failed: string[] = [];
  const finished = (request: Request) => {
    const counted = !['image', 'font', 'media'].includes(request.resourceType());
    requests.push(
      request.sizes().then(
        (sizes) => ({ url: request.url(), bytes: sizes.responseHeadersSize + sizes.responseBodySize, counted }),
        (error: Error) => {
          failed.push(`${request.url()} sizes: ${error.message}`);
          return { url: request.url(), bytes: 0, counted };
        },
      ),
    );
  };
  page.on('requestfinished', finished);
  page.on('requestfailed', (request) => failed.push(`${request.url()} ${request.failure()?.errorText}`));
  // Until the network is quiet: what scripts fetch after the load counts too.
  await page.goto(url, { waitUntil: 'networkidle' });
  page.off('requestfinished', finished);
  const done = await Promise.all(requests);
  return { bytes: done.filter((r) => r.counted).reduce((sum, r) => sum + r.bytes, 0), urls: done.map((r) => r.url), failed };
}
