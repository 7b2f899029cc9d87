import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { Settings } from '../kernel/config/settings.js';

/** Exit codes of every command: 0 all is well, 1 problems were found, 2 the command line is wrong. */
export const EXIT = { ok: 0, problems: 1, usage: 2 } as const;

/** A command line the CLI cannot run: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface Io {
  out(line: string): void;
  err(line: string): void;
  /** The progress bar is drawn only when stderr is a terminal. */
  stderrIsTty: boolean;
}

export interface CommandContext extends Io {
  settings: Settings;
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

export interface Command {
  /** `tenant new`, `migrate`. */
  name: string;
  summary: string;
  /** `teeka tenant new <code> [options]`. */
  usage: string;
  /** Text after the usage line: arguments, options, examples. */
  help: string;
  options?: Options;
  /** Positional arguments: at least `min`, at most `max`. */
  positionals: { min: number; max: number };
  run(context: CommandContext): Promise<number>;
}

export const HELP_OPTION: Options = { help: { type: 'boolean', short: 'h' } };

/** Parses a command's arguments strictly: unknown options and wrong counts are usage errors. */
export function parseCommandArgs(
  command: Command,
  args: string[],
): { values: CommandContext['values']; positionals: string[]; help: boolean } {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options: { ...HELP_OPTION, ...(command.options ?? {}) }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify a positional argument.*$/s, ''), command.usage);
  }
  const help = parsed.values.help === true;
  const { positionals } = parsed;
  if (!help) {
    if (positionals.length < command.positionals.min) throw new UsageError(`missing argument(s)`, command.usage);
    if (positionals.length > command.positionals.max)
      throw new UsageError(`unexpected argument "${positionals[command.positionals.max]}"`, command.usage);
  }
  return { values: parsed.values as CommandContext['values'], positionals, help };
}

/** A tenant code as the CLI accepts it: two lower-case letters (the file name of tenants/<code>.yaml). */
export function tenantCode(value: string | undefined, usage: string): string {
  const code = (value ?? '').trim();
  if (!/^[a-z]{2}$/i.test(code))
    throw new UsageError(`"${value}" is not a tenant code (two letters, the ISO 3166-1 alpha-2 code, e.g. ke)`, usage);
  return code.toLowerCase();
}

export function stringOption(values: CommandContext['values'], name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}
