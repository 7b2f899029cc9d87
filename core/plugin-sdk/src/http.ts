import type { HttpClient } from './context.js';

/**
 * The HttpClient the host gives plugins: fetch with a timeout on every request (5 s unless the
 * plugin asks otherwise), so a slow registry or gateway can never hold a request forever, and
 * redirects refused.
 */
export function fetchHttpClient(defaultTimeoutMs = 5000): HttpClient {
  return {
    async request(url, options = {}) {
      const response = await fetch(url, {
        method: options.method ?? 'GET',
        headers: options.headers,
        body: options.body,
        signal: AbortSignal.timeout(options.timeoutMs ?? defaultTimeoutMs),
        // A gateway or registry has no business redirecting: following one could carry API-key
        // headers to another host (fetch drops only Authorization across origins).
        redirect: 'error',
      });
      return {
        status: response.status,
        headers: Object.fromEntries(response.headers),
        text: () => response.text(),
        json: <T>() => response.json() as Promise<T>,
      };
    },
  };
}
