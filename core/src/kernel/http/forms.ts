import { TeekaError, ValidationError } from '../errors.js';
import { noStore } from './cache-headers.js';
import { type AppContext, tenantScope } from './state.js';

/**
 * What server-rendered pages share: rendering in the tenant's theme, a refused form shown again
 * with localised messages, redirects after a POST, and form bodies read as text.
 */

/** What a refused form shows: a summary at the top (role=alert) and a message next to each field. */
export interface FormProblem {
  title: string;
  items: { href?: string; text: string }[];
  fields: Record<string, string>;
}

/** The element a field error belongs to, and its (translated) label; `undefined` for none. */
export type FieldOf = (path: string) => { id: string; label: string } | undefined;

/**
 * A refusal as a form shows it. Field errors (`errors:fields.<code>`) go next to their field and
 * into the summary as links, in `order` (the page's order of element ids); the rest as text.
 */
export function formProblem(ctx: AppContext, error: TeekaError, fieldOf: FieldOf, order: string[] = []): FormProblem {
  const { t } = ctx.state;
  const title = t(`errors:${error.code}.title`);
  if (!(error instanceof ValidationError) || error.fields.length === 0) {
    return { title, items: [{ text: t(`errors:${error.code}.detail`, error.params) }], fields: {} };
  }
  const problem: FormProblem = { title, items: [], fields: {} };
  const onPage: { order: number; href: string; text: string }[] = [];
  for (const { path, code } of error.fields) {
    // A form only ever sends text, so "wrong type" means "not in the expected format" here.
    const message = t(`errors:fields.${code === 'type' ? 'format' : code}`);
    const field = fieldOf(path);
    if (!field) problem.items.push({ text: message });
    else if (!problem.fields[field.id]) {
      problem.fields[field.id] = message;
      const text = t('registration:form.fieldError', { field: field.label, message });
      const at = order.indexOf(field.id);
      onPage.push({ order: at < 0 ? order.length : at, href: `#${field.id}`, text });
    }
  }
  problem.items.push(...onPage.sort((a, b) => a.order - b.order).map(({ href, text }) => ({ href, text })));
  return problem;
}

/**
 * Runs what a form asks for. A TeekaError (a service's refusal) shows the form again with its
 * messages and the error's status; anything else goes on to the error handler.
 */
export async function submitForm(
  ctx: AppContext,
  action: () => Promise<void>,
  showForm: (error: TeekaError) => Promise<void> | void,
): Promise<void> {
  try {
    await action();
  } catch (error) {
    if (!(error instanceof TeekaError)) throw error;
    ctx.state.log.debug({ code: error.code, status: error.status }, 'form refused');
    ctx.status = error.status;
    // A limit or an outage says when to try again (the message says it in words too).
    const retryAfter = (error as { retryAfterSeconds?: number }).retryAfterSeconds;
    if (retryAfter) ctx.set('Retry-After', String(retryAfter));
    await showForm(error);
  }
}

export function renderPage(ctx: AppContext, page: string, context: Record<string, unknown>): void {
  const { tenant } = tenantScope(ctx);
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = tenant.theme.render(page, context, tenant.renderData(ctx.state.lng));
}

export function seeOther(ctx: AppContext, url: string): void {
  ctx.redirect(url);
  ctx.status = 303;
}

export function formBody(ctx: AppContext): Record<string, unknown> {
  const body = ctx.request.body;
  return body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

export const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** A form or query value that may be repeated (checkboxes), as a list of non-empty texts. */
export const texts = (value: unknown): string[] => [...new Set((Array.isArray(value) ? value : [value]).map(text).filter(Boolean))];

/** Digits as people may type them on Arabic or Devanagari keyboards, as ASCII digits. */
const DIGIT_ZEROS = [0x0660, 0x06f0, 0x0966];
export function asciiDigits(value: string): string {
  return value.replace(/[\u0660-\u0669\u06f0-\u06f9\u0966-\u096f]/g, (digit) => {
    const point = digit.codePointAt(0)!;
    return String(point - DIGIT_ZEROS.find((zero) => point >= zero && point <= zero + 9)!);
  });
}

export { noStore };
