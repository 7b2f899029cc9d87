import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The process's Prometheus metrics, in one registry: every tenant's series carry a `tenant` label
 * (its code). Label values come from fixed sets (route templates, outcomes, plugin ids), never
 * from what a client sends, so the number of series stays bounded.
 */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry });

export const httpRequests = new Counter({
  name: 'http_requests_total',
  help: 'HTTP requests answered, by tenant, method, route template and status',
  labelNames: ['tenant', 'method', 'route', 'status'] as const,
  registers: [metricsRegistry],
});

export const httpDuration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'Time to answer an HTTP request, by tenant, method and route template',
  labelNames: ['tenant', 'method', 'route'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [metricsRegistry],
});

export type BookingOutcome = 'booked' | 'full' | 'refused';

export const bookings = new Counter({
  name: 'bookings_total',
  help: 'Booking attempts, by tenant and outcome (booked, full: no place left, refused: any other refusal)',
  labelNames: ['tenant', 'outcome'] as const,
  registers: [metricsRegistry],
});

export const smsSends = new Counter({
  name: 'otp_sms_total',
  help: 'SMS send attempts through each gateway (OTPs, appointment notices...), by tenant, gateway, purpose and outcome',
  labelNames: ['tenant', 'gateway', 'purpose', 'outcome'] as const,
  registers: [metricsRegistry],
});

export const certificatesIssued = new Counter({
  name: 'certificates_issued_total',
  help: 'Certificates issued, by tenant, format and kind',
  labelNames: ['tenant', 'format', 'kind'] as const,
  registers: [metricsRegistry],
});

/** What the queue-depth gauge reads at each scrape: each running platform's tenants' queues. */
export interface QueueDepthSource {
  code: string;
  queueDepths(): Promise<{ queue: string; depth: number }[]>;
}
const queueSources = new Set<() => readonly QueueDepthSource[]>();
/** A scrape waits at most this long for a tenant's queue counts; a slow tenant is left out of that scrape. */
const QUEUE_DEPTH_TIMEOUT_MS = 1_000;

export const jobQueueDepth = new Gauge({
  name: 'job_queue_depth',
  help: 'Jobs waiting in each tenant job queue (queued, including deferred), as pg-boss last counted them',
  labelNames: ['tenant', 'queue'] as const,
  registers: [metricsRegistry],
  async collect() {
    this.reset();
    const tenants = [...queueSources].flatMap((source) => source());
    await Promise.all(
      tenants.map(async (tenant) => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('timed out')), QUEUE_DEPTH_TIMEOUT_MS);
        });
        try {
          for (const { queue, depth } of await Promise.race([tenant.queueDepths(), timeout]))
            this.set({ tenant: tenant.code, queue }, depth);
        } catch {
          // A tenant whose database is slow or down has no depth this scrape; /readyz says why.
        } finally {
          clearTimeout(timer);
        }
      }),
    );
  },
});

/** Adds a platform's tenants to what the queue-depth gauge reads; returns the undo. */
export function watchQueueDepth(source: () => readonly QueueDepthSource[]): () => void {
  queueSources.add(source);
  return () => queueSources.delete(source);
}

/** Counts a booking attempt by how it ended, and passes its result or error on unchanged. */
export async function countBooking<T extends { replayed: boolean }>(tenant: string, attempt: Promise<T>): Promise<T> {
  try {
    const result = await attempt;
    if (!result.replayed) bookings.inc({ tenant, outcome: 'booked' });
    return result;
  } catch (error) {
    const { code, status } = error as { code?: string; status?: number };
    if (code === 'session-full') bookings.inc({ tenant, outcome: 'full' });
    else if (typeof status === 'number' && status < 500) bookings.inc({ tenant, outcome: 'refused' });
    throw error;
  }
}

/** One attempt to hand an SMS to a gateway: `sent` when it was accepted, `failed` otherwise. */
export function countSms(tenant: string, gateway: string, purpose: string, outcome: 'sent' | 'failed'): void {
  smsSends.inc({ tenant, gateway, purpose, outcome });
}

/** One certificate, counted once per format it was signed in. */
export function countCertificate(tenant: string, kind: string, formats: string[]): void {
  for (const format of formats) certificatesIssued.inc({ tenant, format, kind });
}
