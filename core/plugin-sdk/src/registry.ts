/**
 * A client for national ID registries that speak Teeka's registry protocol (see the SDK README,
 * "Online registry verification"):
 *
 *     POST <url>   Content-Type: application/json
 *     {"documentType":"nin","number":"12345678901","name":"…","birthYear":1990,"birthDate":"1990-01-31","gender":"female"}
 *     → 200 {"result":"verified" | "mismatch" | "not-found"}
 *
 * Each attempt has a timeout; timeouts, 5xx and network errors are retried with exponential back-off
 * and jitter (4xx never are); a circuit breaker (opossum) opens after `failureThreshold` consecutive
 * failed attempts and then answers `unavailable` at once, without contacting the registry, until it
 * lets one trial request through after `resetAfterMs`. `verify` never throws: whatever goes wrong is
 * `{ status: 'unavailable' }`, so a registry that is down can never break registration.
 */
import CircuitBreaker from 'opossum';
import type { HttpClient, PluginLogger } from './context.js';
import type { OnlineVerificationResult, PersonClaims } from './kinds/id-verifier.js';

/** The answers a registry may give, as `{"result": …}` in a 200 response. */
export const REGISTRY_RESULTS = ['verified', 'mismatch', 'not-found'] as const;
/** One of {@link REGISTRY_RESULTS}. */
export type RegistryResult = (typeof REGISTRY_RESULTS)[number];

/** The request body of the protocol. Plugins send only the claims the person gave. */
/** The request body of the registry protocol. Plugins send only the claims the person gave. */
export interface RegistryRequest {
  /** The plugin's document type code, e.g. `nin`. */
  documentType: string;
  /** The normalised document number. */
  number: string;
  /** Name as the person gave it. */
  name?: string;
  /** Year of birth. */
  birthYear?: number;
  /** ISO 8601 date, `YYYY-MM-DD`. */
  birthDate?: string;
  /** Gender as the person gave it. */
  gender?: string;
}

/** Longest name or gender sent; longer values are left out rather than cut (a cut name would mismatch). */
const MAX_CLAIM_LENGTH = 256;

/**
 * The request body for one document: the plugin's document type and normalised number, plus the
 * claims the person gave that are well formed (a non-empty name and gender, an integer birth year,
 * a `YYYY-MM-DD` birth date). Claims that are missing or malformed are left out.
 */
export function registryRequest(documentType: string, number: string, person?: PersonClaims): RegistryRequest {
  const body: RegistryRequest = { documentType, number };
  if (!person || typeof person !== 'object') return body;
  const { name, birthYear, birthDate, gender } = person;
  if (typeof name === 'string' && name.trim() !== '' && name.length <= MAX_CLAIM_LENGTH) body.name = name.trim();
  if (typeof birthYear === 'number' && Number.isInteger(birthYear) && birthYear >= 1800 && birthYear <= 9999) body.birthYear = birthYear;
  if (typeof birthDate === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(birthDate)) body.birthDate = birthDate;
  if (typeof gender === 'string' && gender.trim() !== '' && gender.length <= MAX_CLAIM_LENGTH) body.gender = gender.trim();
  return body;
}

/** Options of {@link createRegistryClient}. */
export interface RegistryClientOptions {
  /** The registry's endpoint; http or https. */
  url: string;
  /** Milliseconds one attempt may take, response body included (default 3000). */
  timeoutMs?: number;
  /** Further attempts after a timeout, a 5xx or a network error (default 2; 4xx are never retried). */
  retries?: number;
  /** Consecutive failed attempts that open the circuit (default 5). */
  failureThreshold?: number;
  /** Milliseconds the circuit stays open before one trial request is let through (default 30000). */
  resetAfterMs?: number;
  /** Base of the exponential back-off between attempts, in milliseconds (default 100). */
  retryDelayMs?: number;
  /** Extra request headers, e.g. an API key the registry asks for. */
  headers?: Record<string, string>;
  /** Where failures are reported (kind and HTTP status only: never the body or the number). */
  logger?: PluginLogger;
}

/** What {@link RegistryClient.verify} resolves with (the same as {@link OnlineVerificationResult}). */
export type RegistryVerification = OnlineVerificationResult;
/** The circuit breaker's state: `closed` (asking), `open` (answering `unavailable` at once), `half-open` (one trial request), `closed-down` (after `close()`). */
export type CircuitState = 'closed' | 'open' | 'half-open' | 'closed-down';

/** A client for one registry endpoint, made by {@link createRegistryClient}. */
export interface RegistryClient {
  /** Asks the registry about one document. Never throws and never rejects. */
  verify(body: RegistryRequest | object): Promise<RegistryVerification>;
  /** The circuit breaker's state, for health reports. */
  state(): CircuitState;
  /** Stops the breaker's timers; later calls to `verify` answer `unavailable`. */
  close(): void;
}

/** Defaults of {@link RegistryClientOptions}. */
export const REGISTRY_DEFAULTS = Object.freeze({
  timeoutMs: 3000,
  retries: 2,
  failureThreshold: 5,
  resetAfterMs: 30_000,
  retryDelayMs: 100,
});

/** Longest back-off between two attempts, whatever the base and the attempt. */
const MAX_RETRY_DELAY_MS = 2000;
/** Longest Retry-After hint passed on (an hour): a registry's bigger number is treated as this. */
const MAX_RETRY_AFTER_SECONDS = 3600;
/** A registry answer is a few bytes; anything much bigger is not one. */
const MAX_RESPONSE_CHARS = 16_384;

type FailureKind = 'timeout' | 'network' | 'server' | 'client' | 'protocol';

/** Why one attempt failed; thrown inside the breaker so opossum can count it. */
class RegistryAttemptError extends Error {
  constructor(
    readonly kind: FailureKind,
    readonly httpStatus?: number,
    /** From the registry's Retry-After header, if it sent one. */
    readonly retryAfterSeconds?: number,
  ) {
    super(`registry attempt failed: ${kind}${httpStatus ? ` ${httpStatus}` : ''}`);
  }

  /** Worth another attempt now: a timeout, a network error or a 5xx without a Retry-After. */
  get retryable(): boolean {
    if (this.retryAfterSeconds !== undefined) return false;
    return this.kind === 'timeout' || this.kind === 'network' || this.kind === 'server';
  }

  /**
   * The registry answered, so it is up: a 4xx (other than 429) is our request's fault and does not
   * count towards opening the circuit.
   */
  get registryIsHealthy(): boolean {
    return this.kind === 'client' && this.httpStatus !== 429;
  }
}

function checkOptions(options: RegistryClientOptions) {
  const fail = (message: string): never => {
    throw new TypeError(`createRegistryClient: ${message}`);
  };
  let url: URL | undefined;
  try {
    url = new URL(options?.url);
  } catch {
    fail('url is not a URL');
  }
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:') fail('url must be http or https');
  const number = (name: keyof typeof REGISTRY_DEFAULTS, min: number, integer: boolean) => {
    const value = options[name] ?? REGISTRY_DEFAULTS[name];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
      fail(`${name} must be ${integer ? 'an integer' : 'a number'} of at least ${min}`);
    }
    return value;
  };
  return {
    url: String(url),
    timeoutMs: number('timeoutMs', 1, false),
    retries: number('retries', 0, true),
    failureThreshold: number('failureThreshold', 1, true),
    resetAfterMs: number('resetAfterMs', 1, false),
    retryDelayMs: number('retryDelayMs', 0, false),
  };
}

/** Seconds from a Retry-After header (delta-seconds or an HTTP date), or undefined. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const text = value.trim();
  const seconds = /^\d+$/.test(text) ? Number(text) : Math.ceil((Date.parse(text) - now) / 1000);
  if (!Number.isFinite(seconds)) return undefined;
  return Math.min(Math.max(seconds, 1), MAX_RETRY_AFTER_SECONDS);
}

function headerValue(headers: Record<string, string> | undefined, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Creates a client for one registry endpoint. Throws (a TypeError) only on options that cannot work. */
export function createRegistryClient(http: HttpClient, options: RegistryClientOptions): RegistryClient {
  const config = checkOptions(options);
  const headers = { ...options.headers, 'content-type': 'application/json', accept: 'application/json' };
  const logger = options.logger;

  /** One HTTP attempt: resolves with the registry's answer or throws a RegistryAttemptError. */
  const attempt = async (payload: string): Promise<RegistryResult> => {
    let response: Awaited<ReturnType<HttpClient['request']>>;
    let text: string;
    try {
      response = await http.request(config.url, { method: 'POST', headers, body: payload, timeoutMs: config.timeoutMs });
      text = response.status === 200 ? await response.text() : '';
    } catch (error) {
      const name = (error as { name?: unknown } | null)?.name;
      throw new RegistryAttemptError(name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network');
    }
    const retryAfter = parseRetryAfter(headerValue(response.headers, 'retry-after'));
    if (response.status >= 500) throw new RegistryAttemptError('server', response.status, retryAfter);
    if (response.status >= 400) throw new RegistryAttemptError('client', response.status, retryAfter);
    if (response.status !== 200 || typeof text !== 'string' || text.length > MAX_RESPONSE_CHARS) {
      throw new RegistryAttemptError('protocol', response.status);
    }
    let answer: unknown;
    try {
      answer = JSON.parse(text);
    } catch {
      throw new RegistryAttemptError('protocol', response.status);
    }
    const result = (answer as { result?: unknown } | null)?.result;
    if (typeof result !== 'string' || !(REGISTRY_RESULTS as readonly string[]).includes(result)) {
      throw new RegistryAttemptError('protocol', response.status);
    }
    return result as RegistryResult;
  };

  const breaker = new CircuitBreaker(attempt, {
    // opossum's timeout covers the whole attempt, body included, even if the HttpClient ignored ours.
    timeout: config.timeoutMs,
    resetTimeout: config.resetAfterMs,
    // Opening is decided by consecutive failures below, never by opossum's rolling error rate
    // (which can never exceed 100 %); a failed trial request in half-open still re-opens it.
    errorThresholdPercentage: 100,
    enableSnapshots: false,
    errorFilter: (error: unknown) => error instanceof RegistryAttemptError && error.registryIsHealthy,
  });

  let consecutiveFailures = 0;
  let openedAt = 0;
  breaker.on('failure', () => {
    consecutiveFailures += 1;
    if (consecutiveFailures >= config.failureThreshold && !breaker.opened) breaker.open();
  });
  breaker.on('success', () => {
    consecutiveFailures = 0;
  });
  breaker.on('open', () => {
    consecutiveFailures = 0;
    openedAt = Date.now();
    logger?.warn('registry circuit opened', { resetAfterMs: config.resetAfterMs });
  });
  breaker.on('close', () => logger?.info('registry circuit closed'));

  /** Whole seconds until the breaker lets a trial request through (at least 1). */
  const secondsUntilHalfOpen = () => Math.max(1, Math.ceil((openedAt + config.resetAfterMs - Date.now()) / 1000));
  const isShortCircuited = () => breaker.opened || (breaker.halfOpen && !breaker.pendingClose);

  const unavailable = (retryAfterSeconds?: number): RegistryVerification =>
    retryAfterSeconds === undefined ? { status: 'unavailable' } : { status: 'unavailable', retryAfterSeconds };

  const verify = async (body: RegistryRequest | object): Promise<RegistryVerification> => {
    try {
      if (breaker.isShutdown) return unavailable();
      let payload: string;
      try {
        payload = JSON.stringify(body);
        if (typeof payload !== 'string' || body === null || typeof body !== 'object') throw new TypeError('not an object');
      } catch {
        logger?.warn('registry request could not be serialised');
        return unavailable();
      }
      for (let attemptNo = 0; ; attemptNo++) {
        if (isShortCircuited()) return unavailable(secondsUntilHalfOpen());
        try {
          return { status: await breaker.fire(payload) };
        } catch (error) {
          if (breaker.isShutdown) return unavailable();
          const code = (error as { code?: unknown } | null)?.code;
          if (code === 'EOPENBREAKER') return unavailable(secondsUntilHalfOpen());
          // opossum's own timeout (ETIMEDOUT) is a timeout like the HttpClient's.
          const failure =
            error instanceof RegistryAttemptError ? error : code === 'ETIMEDOUT' ? new RegistryAttemptError('timeout') : undefined;
          if (!failure) {
            logger?.warn('registry attempt failed', { kind: 'unexpected', attempt: attemptNo + 1 });
            return unavailable(1);
          }
          logger?.warn('registry attempt failed', { kind: failure.kind, httpStatus: failure.httpStatus, attempt: attemptNo + 1 });
          if (failure.retryAfterSeconds !== undefined) return unavailable(failure.retryAfterSeconds);
          if (breaker.opened) return unavailable(secondsUntilHalfOpen());
          if (!failure.retryable || attemptNo >= config.retries) {
            // A 4xx (but 429) is our request's fault, or our credentials': waiting will not help, so no hint.
            return failure.kind === 'client' && failure.httpStatus !== 429 ? unavailable() : unavailable(1);
          }
          const ceiling = Math.min(config.retryDelayMs * 2 ** attemptNo, MAX_RETRY_DELAY_MS);
          await sleep(ceiling / 2 + Math.random() * (ceiling / 2));
        }
      }
    } catch {
      return unavailable(1);
    }
  };

  return {
    verify,
    state: () => {
      if (breaker.isShutdown) return 'closed-down';
      if (breaker.opened) return 'open';
      if (breaker.halfOpen) return 'half-open';
      return 'closed';
    },
    close: () => {
      if (!breaker.isShutdown) breaker.shutdown();
    },
  };
}
