import { type Logger, pino } from 'pino';
import { redact, redactString } from './redact.js';

export type { Logger };

/**
 * Structured JSON logs on stdout. Every record passes through `redact`, so a careless
 * `log.info({ to: phone })` or a message that embeds a number still logs nothing personal.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => redact(object) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((arg) => (typeof arg === 'string' ? redactString(arg) : arg)) as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
}
