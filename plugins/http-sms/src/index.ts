/**
 * http-sms: an SMS gateway for any HTTP SMS API. The tenant's config describes the request (URL,
 * method, headers, body or query built from small templates), how to read the answer (success
 * statuses, where the message id is, a failure reported with a success status) and the gateway's
 * delivery-report payload. One plugin then serves Twilio-, Africa's Talking- or Kannel-style APIs
 * without code per vendor. It uses only the host's HTTP client (timeout-bound fetch).
 *
 * Templates know exactly `{{to}}`, `{{toNoPlus}}`, `{{text}}`, `{{reference}}` and
 * `{{secret.<name>}}` for the secrets the manifest declares; nothing else (no expressions, no
 * escapes). Values are substituted as plain strings and then encoded for where they go: JSON string
 * values in a json body, URL-encoding in a form body or the query string. A template that names
 * anything else is refused when the instance is created, so a typo fails at boot, not per message.
 */
import { randomUUID } from 'node:crypto';
import {
  smsParts as countSmsParts,
  type DeliveryReport,
  defineSmsGateway,
  type HttpResponse,
  type PluginContext,
  type SendResult,
  type SmsEncoding,
  type SmsGateway,
  type SmsMessage,
} from '@teeka/plugin-sdk';

/** The secrets a tenant may map (the manifest declares the same names); unmapped ones are ''. */
export const SECRET_NAMES = ['apiKey', 'basicAuth', 'accountId'] as const;
export type SecretName = (typeof SECRET_NAMES)[number];

/** Every placeholder a template may use, without the braces. */
export const PLACEHOLDERS: readonly string[] = ['to', 'toNoPlus', 'text', 'reference', ...SECRET_NAMES.map((name) => `secret.${name}`)];

/** Storage collection holding parsed delivery reports. */
export const RECEIPTS_COLLECTION = 'receipts';

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_SUCCESS_STATUSES: readonly number[] = [200, 201, 202];
export const DEFAULT_RETRYABLE_STATUSES: readonly number[] = [408, 429, 500, 502, 503, 504];

export type HttpMethod = 'POST' | 'PUT' | 'GET';
export type BodyFormat = 'json' | 'form' | 'none';
export type Scalar = string | number | boolean;

export interface RejectWhen {
  /** Dotted path into the JSON answer. */
  path: string;
  /** Rejected when the value there equals this (or one of these), compared as text. */
  equals?: Scalar | Scalar[];
  /** Rejected when the value there equals none of these (a missing value included). */
  notEquals?: Scalar | Scalar[];
  /** Whether such a rejection may be retried (default false). */
  retryable?: boolean;
}

export interface DeliveryReportConfig {
  idPath: string;
  statusPath: string;
  deliveredValues: string[];
  failedValues?: string[];
}

export interface HttpSmsConfig {
  /** The send endpoint, used as written (no placeholders). */
  url: string;
  method?: HttpMethod;
  /** Header templates by name. */
  headers?: Record<string, string>;
  /** Default: `none` for GET or when there is no body, `json` otherwise. */
  bodyFormat?: BodyFormat;
  /** Body field templates by name (json or form). */
  body?: Record<string, string>;
  /** Query-string parameter templates by name, added to `url`. */
  query?: Record<string, string>;
  timeoutMs?: number;
  success?: {
    statuses?: number[];
    messageIdPath?: string;
    rejectWhen?: RejectWhen;
  };
  retryableStatuses?: number[];
  deliveryReport?: DeliveryReportConfig;
}

/** `unknown`: a status in neither deliveredValues nor failedValues (e.g. `sent`, `Buffered`), or none. */
export type ReceiptStatus = 'delivered' | 'failed' | 'unknown';

/** What a delivery report says, as `handleDeliveryReport` returns it. */
export interface DeliveryReceipt {
  gatewayMessageId: string;
  status: ReceiptStatus;
}

/** What is kept in the `receipts` collection for each delivery report. */
export interface ReceiptRecord extends DeliveryReceipt {
  /** The gateway's own status value (e.g. `undelivered`), when it is a short string or number. */
  gatewayStatus?: string;
}

export type { SmsEncoding };

// ---------------------------------------------------------------------------------------------
// Message parts

/** How many SMS a gateway needs for `text`: the SDK's rule (`smsParts`), which the contract kit checks against. */
export function smsParts(text: string): { encoding: SmsEncoding; parts: number } {
  const { encoding, parts } = countSmsParts(text);
  return { encoding, parts };
}

// ---------------------------------------------------------------------------------------------
// Templates

type TemplatePart = { literal: string } | { placeholder: string };

/** A parsed template: literal text and known placeholders, nothing else. */
export class Template {
  constructor(readonly parts: readonly TemplatePart[]) {}

  /** Placeholders the template uses, e.g. `to`, `secret.apiKey`. */
  get placeholders(): string[] {
    return this.parts.flatMap((part) => ('placeholder' in part ? [part.placeholder] : []));
  }

  render(values: ReadonlyMap<string, string>): string {
    return this.parts.map((part) => ('literal' in part ? part.literal : (values.get(part.placeholder) ?? ''))).join('');
  }
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(`@teeka/plugin-http-sms: ${message}`);
    this.name = 'ConfigError';
  }
}

const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;
const PLACEHOLDER_LIST = PLACEHOLDERS.map((name) => `{{${name}}}`).join(', ');

/** Parses a template; `where` names it in errors (e.g. `config.headers.Authorization`). */
export function compileTemplate(source: unknown, where: string): Template {
  if (typeof source !== 'string') throw new ConfigError(`${where} must be a string template`);
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const match of source.matchAll(PLACEHOLDER)) {
    const name = (match[1] ?? '').trim();
    if (!PLACEHOLDERS.includes(name)) {
      throw new ConfigError(`${where} uses the unknown placeholder "${match[0]}"; the known placeholders are ${PLACEHOLDER_LIST}`);
    }
    const end = match.index + match[0].length;
    if (source[match.index - 1] === '{' || source[end] === '}') {
      throw new ConfigError(`${where} has "{{{" or "}}}": there is no raw form, placeholders are written like {{text}}`);
    }
    if (match.index > last) parts.push({ literal: source.slice(last, match.index) });
    parts.push({ placeholder: name });
    last = end;
  }
  if (last < source.length) parts.push({ literal: source.slice(last) });
  for (const part of parts) {
    if ('literal' in part && (part.literal.includes('{{') || part.literal.includes('}}'))) {
      throw new ConfigError(`${where} has unbalanced "{{" or "}}"; placeholders are written like {{text}}: ${PLACEHOLDER_LIST}`);
    }
  }
  return new Template(parts);
}

// ---------------------------------------------------------------------------------------------
// Dotted paths

/** Splits `a.b.0.c`; refuses empty segments. */
export function parsePath(path: unknown, where: string): string[] {
  if (typeof path !== 'string' || path === '') throw new ConfigError(`${where} must be a dotted path such as "sid" or "data.0.id"`);
  const segments = path.split('.');
  if (segments.some((segment) => segment === '')) throw new ConfigError(`${where} "${path}" has an empty segment`);
  return segments;
}

/**
 * The value at a dotted path: own properties of objects, and numeric indexes of arrays, only
 * (never `__proto__`, `constructor` or other inherited members). Undefined when absent. Never throws.
 */
export function valueAt(data: unknown, segments: readonly string[]): unknown {
  try {
    let current: unknown = data;
    for (const segment of segments) {
      if (Array.isArray(current)) {
        if (!/^(0|[1-9][0-9]{0,8})$/.test(segment)) return undefined;
        current = current[Number(segment)];
      } else if (current !== null && typeof current === 'object') {
        if (!Object.hasOwn(current, segment)) return undefined;
        current = (current as Record<string, unknown>)[segment];
      } else {
        return undefined;
      }
    }
    return current;
  } catch {
    return undefined;
  }
}

/** Longest id or status value taken from a gateway's answer. */
const MAX_VALUE_LENGTH = 256;

/** A non-empty string (trimmed) or finite number as a string; anything else undefined. */
function scalarText(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed !== '' && trimmed.length <= MAX_VALUE_LENGTH ? trimmed : undefined;
}

const sameValue = (value: unknown, expected: Scalar) =>
  value === expected ||
  ((typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') && String(value) === String(expected));

// ---------------------------------------------------------------------------------------------
// The compiled config

interface Plan {
  url: URL;
  method: HttpMethod;
  headers: [string, Template][];
  bodyFormat: BodyFormat;
  body: [string, Template][];
  query: [string, Template][];
  timeoutMs: number;
  successStatuses: Set<number>;
  retryableStatuses: Set<number>;
  messageIdPath?: { source: string; segments: string[] };
  rejectWhen?: { source: string; segments: string[]; match: Scalar[]; negate: boolean; retryable: boolean };
  deliveryReport?: { id: string[]; status: string[]; delivered: Set<string>; failed: Set<string> };
}

const METHODS: readonly HttpMethod[] = ['POST', 'PUT', 'GET'];
const BODY_FORMATS: readonly BodyFormat[] = ['json', 'form', 'none'];
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const foldStatus = (value: string) => value.trim().toLowerCase();

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

function templates(value: unknown, where: string): [string, Template][] {
  if (value === undefined) return [];
  if (!isRecord(value)) throw new ConfigError(`${where} must be an object of string templates`);
  return Object.entries(value).map(([key, source]) => {
    if (key === '') throw new ConfigError(`${where} has an empty name`);
    return [key, compileTemplate(source, `${where}.${key}`)];
  });
}

function statusList(value: unknown, fallback: readonly number[], where: string): Set<number> {
  if (value === undefined) return new Set(fallback);
  if (!Array.isArray(value) || !value.every((s) => Number.isInteger(s) && s >= 100 && s <= 599)) {
    throw new ConfigError(`${where} must be a list of HTTP statuses (100 to 599)`);
  }
  return new Set(value as number[]);
}

function scalarList(value: unknown, where: string): Scalar[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || !list.every((v) => ['string', 'number', 'boolean'].includes(typeof v))) {
    throw new ConfigError(`${where} must be a string, number or boolean, or a non-empty list of them`);
  }
  return list as Scalar[];
}

function stringSet(value: unknown, where: string): Set<string> {
  if (value === undefined) return new Set();
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v.trim() !== '')) {
    throw new ConfigError(`${where} must be a list of non-empty strings`);
  }
  return new Set(value.map(foldStatus));
}

/**
 * Checks a tenant's config and compiles its templates and paths. Throws a ConfigError naming the
 * field on anything the plugin could not use, so a broken config fails at start-up.
 */
export function compileConfig(config: HttpSmsConfig): Plan {
  if (!isRecord(config)) throw new ConfigError('config must be an object');

  let url: URL;
  try {
    url = new URL(String(config.url));
  } catch {
    throw new ConfigError('config.url must be an absolute http(s) URL');
  }
  if (typeof config.url !== 'string' || !['http:', 'https:'].includes(url.protocol)) {
    throw new ConfigError('config.url must be an absolute http(s) URL');
  }
  if (url.username !== '' || url.password !== '') {
    throw new ConfigError(
      'config.url must not hold user:password@; send credentials in a header, e.g. "Authorization": "Basic {{secret.basicAuth}}"',
    );
  }
  if (config.url.includes('{{')) {
    throw new ConfigError('config.url takes no placeholders; put what varies in config.query, config.headers or config.body');
  }

  const method = config.method ?? 'POST';
  if (!METHODS.includes(method)) throw new ConfigError(`config.method must be one of ${METHODS.join(', ')}`);

  const headers = templates(config.headers, 'config.headers');
  const seen = new Set<string>();
  for (const [name] of headers) {
    if (!HEADER_NAME.test(name)) throw new ConfigError(`config.headers has "${name}", which is not a valid HTTP header name`);
    if (seen.has(name.toLowerCase())) throw new ConfigError(`config.headers has "${name}" twice (header names ignore case)`);
    seen.add(name.toLowerCase());
  }
  const body = templates(config.body, 'config.body');
  const query = templates(config.query, 'config.query');

  const bodyFormat = config.bodyFormat ?? (method === 'GET' || config.body === undefined ? 'none' : 'json');
  if (!BODY_FORMATS.includes(bodyFormat)) throw new ConfigError(`config.bodyFormat must be one of ${BODY_FORMATS.join(', ')}`);
  if (method === 'GET' && bodyFormat !== 'none') throw new ConfigError('config.bodyFormat must be none with method GET (use config.query)');
  if (bodyFormat === 'none' && config.body !== undefined) {
    throw new ConfigError(
      'config.body is given but would not be sent: set config.bodyFormat to json or form (and the method to POST or PUT)',
    );
  }

  // The message must reach the gateway: a config that never sends the text or the number is a mistake.
  const used = new Set([...headers, ...body, ...query].flatMap(([, template]) => template.placeholders));
  if (!used.has('text'))
    throw new ConfigError('no template in config.body, config.query or config.headers uses {{text}}: the message would never be sent');
  if (!used.has('to') && !used.has('toNoPlus')) {
    throw new ConfigError(
      'no template in config.body, config.query or config.headers uses {{to}} or {{toNoPlus}}: the message would have no recipient',
    );
  }

  const timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1)
    throw new ConfigError('config.timeoutMs must be a positive whole number of milliseconds');

  const success = config.success ?? {};
  if (!isRecord(success)) throw new ConfigError('config.success must be an object');
  const plan: Plan = {
    url,
    method,
    headers,
    bodyFormat,
    body,
    query,
    timeoutMs,
    successStatuses: statusList(success.statuses, DEFAULT_SUCCESS_STATUSES, 'config.success.statuses'),
    retryableStatuses: statusList(config.retryableStatuses, DEFAULT_RETRYABLE_STATUSES, 'config.retryableStatuses'),
  };
  if (success.messageIdPath !== undefined) {
    plan.messageIdPath = { source: success.messageIdPath, segments: parsePath(success.messageIdPath, 'config.success.messageIdPath') };
  }
  if (success.rejectWhen !== undefined) {
    const rule = success.rejectWhen;
    if (!isRecord(rule)) throw new ConfigError('config.success.rejectWhen must be an object');
    if ((rule.equals === undefined) === (rule.notEquals === undefined)) {
      throw new ConfigError('config.success.rejectWhen needs exactly one of equals and notEquals');
    }
    const negate = rule.equals === undefined;
    plan.rejectWhen = {
      source: rule.path,
      segments: parsePath(rule.path, 'config.success.rejectWhen.path'),
      match: negate
        ? scalarList(rule.notEquals, 'config.success.rejectWhen.notEquals')
        : scalarList(rule.equals, 'config.success.rejectWhen.equals'),
      negate,
      retryable: rule.retryable === true,
    };
  }
  if (config.deliveryReport !== undefined) {
    const report = config.deliveryReport;
    if (!isRecord(report)) throw new ConfigError('config.deliveryReport must be an object');
    const delivered = stringSet(report.deliveredValues, 'config.deliveryReport.deliveredValues');
    const failed = stringSet(report.failedValues, 'config.deliveryReport.failedValues');
    const both = [...delivered].filter((value) => failed.has(value));
    if (both.length > 0) throw new ConfigError(`config.deliveryReport lists "${both[0]}" as both delivered and failed`);
    plan.deliveryReport = {
      id: parsePath(report.idPath, 'config.deliveryReport.idPath'),
      status: parsePath(report.statusPath, 'config.deliveryReport.statusPath'),
      delivered,
      failed,
    };
  }
  return plan;
}

// ---------------------------------------------------------------------------------------------
// Delivery-report payloads

/** Longest delivery-report payload read from text; webhook bodies are a few hundred bytes. */
const MAX_PAYLOAD_LENGTH = 100_000;

/**
 * A delivery-report payload as an object: a parsed object as is; text or bytes as JSON when it looks
 * like JSON, else as form fields; URLSearchParams as form fields. Undefined for anything else.
 */
function payloadObject(payload: unknown): unknown {
  if (payload instanceof URLSearchParams) return Object.fromEntries(payload);
  if (payload instanceof Uint8Array) {
    if (payload.byteLength > MAX_PAYLOAD_LENGTH) return undefined;
    return payloadObject(new TextDecoder().decode(payload));
  }
  if (typeof payload === 'string') {
    const text = payload.trim();
    if (text === '' || text.length > MAX_PAYLOAD_LENGTH) return undefined;
    if (text.startsWith('{') || text.startsWith('[')) {
      try {
        return JSON.parse(text);
      } catch {
        return undefined;
      }
    }
    return Object.fromEntries(new URLSearchParams(text));
  }
  return payload !== null && typeof payload === 'object' ? payload : undefined;
}

// ---------------------------------------------------------------------------------------------
// The gateway

/** A header value fetch can send: no control characters that end a header, only Latin-1. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Why a request failed before an answer, without its URL or anything it carried. */
function transportReason(error: unknown, timeoutMs: number): string {
  const names = [error, (error as { cause?: unknown } | null)?.cause].map((e) => (e as { name?: unknown } | null)?.name);
  if (names.includes('TimeoutError') || names.includes('AbortError')) return `the gateway did not answer within ${timeoutMs} ms`;
  const code = (error as { cause?: { code?: unknown } } | null)?.cause?.code ?? (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code)
    ? `could not reach the gateway (${code})`
    : 'could not reach the gateway';
}

async function discard(response: HttpResponse): Promise<void> {
  try {
    await response.text();
  } catch {
    // Only freeing the connection; the answer is not needed.
  }
}

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

class RequestError extends Error {}

export class HttpSmsGateway implements SmsGateway {
  // Private fields, so that inspecting or logging the instance never shows the secrets.
  readonly #context: PluginContext<HttpSmsConfig>;
  readonly #plan: Plan;
  readonly #secrets: Map<string, string>;
  /** Why the last send failed on the gateway's side (transport, retryable status); cleared by an accepted send. */
  #lastFailure: string | undefined;

  constructor(context: PluginContext<HttpSmsConfig>) {
    this.#context = context;
    this.#plan = compileConfig(context.config);
    this.#secrets = new Map(
      SECRET_NAMES.map((name) => {
        const value = context.secrets?.[name];
        return [`secret.${name}`, typeof value === 'string' ? value : ''];
      }),
    );
    // Names only, never values: help whoever sets up a tenant find an unmapped secret.
    const used = new Set([...this.#plan.headers, ...this.#plan.body, ...this.#plan.query].flatMap(([, t]) => t.placeholders));
    const empty = [...used].filter((name) => name.startsWith('secret.') && this.#secrets.get(name) === '');
    if (empty.length > 0) context.logger.warn('secrets used by the HTTP SMS config are empty', { secrets: empty.map((n) => n.slice(7)) });
    if (
      context.mode === 'production' &&
      this.#plan.url.protocol === 'http:' &&
      !['localhost', '127.0.0.1', '[::1]'].includes(this.#plan.url.hostname)
    ) {
      context.logger.warn('the HTTP SMS gateway URL is plain http: credentials and messages travel unencrypted', {
        gateway: this.#plan.url.host,
      });
    }
  }

  async send(message: SmsMessage): Promise<SendResult> {
    if (typeof message?.to !== 'string' || typeof message.text !== 'string') {
      return { status: 'rejected', reason: 'message needs a string `to` and `text`', retryable: false };
    }
    const reference = typeof message.reference === 'string' ? message.reference : '';
    const { encoding, parts } = smsParts(message.text);
    const fields = { gateway: this.#plan.url.host, reference: reference || undefined };

    let request: { url: string; method: HttpMethod; headers: Record<string, string>; body?: string };
    try {
      request = this.request(message.to, message.text, reference);
    } catch (error) {
      if (!(error instanceof RequestError)) throw error;
      return this.rejected(error.message, false, fields);
    }

    const started = performance.now();
    let response: HttpResponse;
    try {
      response = await this.#context.http.request(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        timeoutMs: this.#plan.timeoutMs,
      });
    } catch (error) {
      return this.rejected(transportReason(error, this.#plan.timeoutMs), true, fields);
    }
    const answered = { ...fields, httpStatus: response.status };

    if (!this.#plan.successStatuses.has(response.status)) {
      await discard(response);
      return this.rejected(`the gateway answered HTTP ${response.status}`, this.#plan.retryableStatuses.has(response.status), answered);
    }

    let answer: unknown;
    if (this.#plan.messageIdPath || this.#plan.rejectWhen) {
      try {
        answer = parseJson(await response.text());
      } catch (error) {
        return this.rejected(
          `${transportReason(error, this.#plan.timeoutMs)} (reading its answer to HTTP ${response.status})`,
          true,
          answered,
        );
      }
    } else {
      await discard(response);
    }

    const rule = this.#plan.rejectWhen;
    if (rule) {
      const value = valueAt(answer, rule.segments);
      const matches = rule.match.some((expected) => sameValue(value, expected));
      if (matches !== rule.negate) {
        const expected = rule.match.map((v) => JSON.stringify(v)).join(' or ');
        return this.rejected(
          `the gateway answered HTTP ${response.status} but reported a failure (${rule.source} ${rule.negate ? 'is not' : 'is'} ${expected})`,
          rule.retryable,
          answered,
        );
      }
    }

    let gatewayMessageId: string;
    if (this.#plan.messageIdPath) {
      const found = scalarText(valueAt(answer, this.#plan.messageIdPath.segments));
      if (found === undefined) {
        return this.rejected(
          `the gateway answered HTTP ${response.status} without a message id at "${this.#plan.messageIdPath.source}"; it may have sent the message, check config.success`,
          false,
          answered,
        );
      }
      gatewayMessageId = found;
    } else {
      gatewayMessageId = reference || randomUUID();
    }

    // Never the number, the text or a secret: only what helps find the message.
    this.#context.logger.info('SMS accepted by the HTTP gateway', {
      ...answered,
      gatewayMessageId,
      encoding,
      parts,
      durationMs: Math.round(performance.now() - started),
    });
    this.#lastFailure = undefined;
    return { status: 'accepted', gatewayMessageId, parts };
  }

  /**
   * Reads a delivery-report payload (a parsed JSON or form object, its text or bytes, or
   * URLSearchParams) with the configured paths, `unknown` statuses included. Undefined when there
   * is no deliveryReport config or no message id in the payload. Never throws.
   */
  readDeliveryReport(payload: unknown): ReceiptRecord | undefined {
    const config = this.#plan.deliveryReport;
    if (!config) return undefined;
    try {
      const data = payloadObject(payload);
      const gatewayMessageId = scalarText(valueAt(data, config.id));
      if (gatewayMessageId === undefined) return undefined;
      const gatewayStatus = scalarText(valueAt(data, config.status));
      const folded = gatewayStatus === undefined ? undefined : foldStatus(gatewayStatus);
      const status: ReceiptStatus =
        folded === undefined ? 'unknown' : config.delivered.has(folded) ? 'delivered' : config.failed.has(folded) ? 'failed' : 'unknown';
      return gatewayStatus === undefined ? { gatewayMessageId, status } : { gatewayMessageId, status, gatewayStatus };
    } catch {
      return undefined;
    }
  }

  /**
   * The SDK's hook, called by core's delivery webhook (`/hooks/sms/http-sms/<token>`): a report of
   * a message's fate, with the gateway's status value as `detail`. Undefined for anything that is
   * not one: intermediate statuses (`sent`, `queued`, `Buffered`), garbage, no deliveryReport
   * config. Never throws.
   */
  parseDeliveryReport(payload: unknown): DeliveryReport | undefined {
    const receipt = this.readDeliveryReport(payload);
    if (!receipt || receipt.status === 'unknown') return undefined;
    const report: DeliveryReport = { gatewayMessageId: receipt.gatewayMessageId, status: receipt.status };
    if (receipt.gatewayStatus !== undefined) report.detail = receipt.gatewayStatus;
    return report;
  }

  /**
   * Reads a delivery report (see readDeliveryReport) and keeps it in the plugin's `receipts`
   * collection, `unknown` statuses included. Resolves to `{ gatewayMessageId, status }`, or to
   * undefined (storing nothing) for a payload it cannot read; whatever the payload, it does not
   * throw. It rejects only when storage fails, so a caller can answer with an error and the gateway
   * send the report again.
   */
  async handleDeliveryReport(payload: unknown): Promise<DeliveryReceipt | undefined> {
    const receipt = this.readDeliveryReport(payload);
    if (!receipt) {
      this.#context.logger.warn(
        this.#plan.deliveryReport
          ? 'delivery report ignored: no message id at config.deliveryReport.idPath'
          : 'delivery report ignored: the config has no deliveryReport',
      );
      return undefined;
    }
    await this.#context.storage.append(RECEIPTS_COLLECTION, receipt);
    this.#context.logger.info('delivery report stored', { gatewayMessageId: receipt.gatewayMessageId, status: receipt.status });
    return { gatewayMessageId: receipt.gatewayMessageId, status: receipt.status };
  }

  async health() {
    if (this.#lastFailure) return { ok: false, detail: `the last send through ${this.#plan.url.host} failed: ${this.#lastFailure}` };
    return { ok: true, detail: `sends through ${this.#plan.url.host} (${this.#plan.method}); the gateway is not probed` };
  }

  async close(): Promise<void> {}

  /** Builds the request for one message. Throws RequestError when it cannot be sent as configured. */
  private request(to: string, text: string, reference: string) {
    const values = new Map(this.#secrets);
    values.set('to', to);
    values.set('toNoPlus', to.startsWith('+') ? to.slice(1) : to);
    values.set('text', text);
    values.set('reference', reference);

    const url = new URL(this.#plan.url);
    for (const [name, template] of this.#plan.query) url.searchParams.append(name, template.render(values));

    const headers: Record<string, string> = {};
    for (const [name, template] of this.#plan.headers) {
      const value = template.render(values);
      // Never the value in the reason: it may hold the text, the number or a secret.
      if (!HEADER_VALUE.test(value)) throw new RequestError(`header "${name}" would hold characters an HTTP header cannot carry`);
      headers[name] = value;
    }
    const hasContentType = Object.keys(headers).some((name) => name.toLowerCase() === 'content-type');

    let body: string | undefined;
    const fields = this.#plan.body.map(([name, template]): [string, string] => [name, template.render(values)]);
    if (this.#plan.bodyFormat === 'json') {
      body = JSON.stringify(Object.fromEntries(fields));
      if (!hasContentType) headers['Content-Type'] = 'application/json';
    } else if (this.#plan.bodyFormat === 'form') {
      body = new URLSearchParams(fields).toString();
      if (!hasContentType) headers['Content-Type'] = 'application/x-www-form-urlencoded';
    }
    return { url: url.href, method: this.#plan.method, headers, body };
  }

  private rejected(reason: string, retryable: boolean, fields: Record<string, unknown>): SendResult {
    this.#context.logger.warn('SMS rejected by the HTTP gateway', { ...fields, reason, retryable });
    if (retryable) this.#lastFailure = reason;
    return { status: 'rejected', reason, retryable };
  }
}

export default defineSmsGateway<HttpSmsConfig>({
  create: (context) => new HttpSmsGateway(context),
});
