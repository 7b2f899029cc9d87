#!/usr/bin/env node
/**
 * `teeka`: the platform's command line (npm bin of @teeka/core: `npx teeka --help`).
 * Exit codes: 0 ok, 1 problems found (the report says which), 2 usage error.
 */
import 'reflect-metadata';
import { resolve } from 'node:path';
import { readSettings } from '../kernel/config/settings.js';
import { ConfigError } from '../kernel/errors.js';
import { type Command, EXIT, type Io, parseCommandArgs, UsageError } from './args.js';
import { keysRotate, migrate } from './commands/database.js';
import { importCommand } from './commands/import.js';
import { pluginNew } from './commands/plugin.js';
import { tenantCheck, tenantNew, tenantProvision } from './commands/tenant.js';
import { translationsMissing } from './commands/translations.js';

/** Command groups (`teeka tenant new`) and single commands (`teeka migrate`, `teeka import <kind>`). */
const GROUPS: Record<string, { summary: string; commands: Record<string, Command> } | Command> = {
  tenant: { summary: 'create, check and provision tenants', commands: { new: tenantNew, check: tenantCheck, provision: tenantProvision } },
  import: importCommand,
  plugin: { summary: 'create plugin packages', commands: { new: pluginNew } },
  keys: { summary: 'certificate signing keys', commands: { rotate: keysRotate } },
  migrate,
  translations: { summary: 'translation work', commands: { missing: translationsMissing } },
};

/** `tenant new <code>`: the usage up to its options, padded for the command list. */
const brief = (command: Command) =>
  command.usage
    .replace(/^teeka /, '')
    .split(/ \[| --/)[0]
    .padEnd(34);

const isCommand = (entry: (typeof GROUPS)[string]): entry is Command => 'run' in entry;

function mainHelp(): string {
  const lines = [
    'Usage: teeka [--root <dir>] <command> [options]',
    '',
    'Teeka command line: tenants, data imports, plugins, keys, migrations and translations.',
    '',
    'Commands:',
  ];
  for (const entry of Object.values(GROUPS)) {
    if (isCommand(entry)) lines.push(`  ${brief(entry)} ${entry.summary}`);
    else for (const command of Object.values(entry.commands)) lines.push(`  ${brief(command)} ${command.summary}`);
  }
  lines.push(
    '',
    'Global options:',
    '  --root <dir>     project folder (tenants/, locales/, themes/, plugins/); default: this checkout, or TEEKA_ROOT',
    '  -h, --help       help for teeka or for a command: teeka tenant --help, teeka tenant new --help',
    '',
    'Environment: DATABASE_URL (else the embedded PostgreSQL server), TEEKA_DB_PREFIX, NODE_ENV=production',
    '(production rules: no development-only plugins, no generated secrets).',
    'Exit codes: 0 ok, 1 problems found, 2 usage error. Documentation: docs/cli.md',
  );
  return lines.join('\n');
}

function groupHelp(name: string, group: { summary: string; commands: Record<string, Command> }): string {
  return [
    `Usage: teeka ${name} <${Object.keys(group.commands).join('|')}> [options]`,
    '',
    `${name}: ${group.summary}.`,
    '',
    'Commands:',
    ...Object.values(group.commands).map((command) => `  ${command.name.padEnd(22)} ${command.summary}`),
    '',
    `Help on one: teeka ${name} <command> --help`,
  ].join('\n');
}

const commandHelp = (command: Command) => `Usage: ${command.usage}\n\n${command.summary}.\n\n${command.help}`;

export async function runCli(argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const args = [...argv];
  let root = env.TEEKA_ROOT;
  try {
    while (args[0]?.startsWith('-')) {
      const flag = args.shift()!;
      if (flag === '-h' || flag === '--help') {
        io.out(mainHelp());
        return EXIT.ok;
      }
      if (flag === '--root' || flag.startsWith('--root=')) {
        const value = flag.includes('=') ? flag.slice('--root='.length) : args.shift();
        if (!value) throw new UsageError('--root needs a folder');
        root = resolve(value);
        continue;
      }
      throw new UsageError(`unknown option ${flag}`);
    }
    const name = args.shift();
    if (!name) {
      io.err(mainHelp());
      return EXIT.usage;
    }
    if (name === 'help') {
      io.out(mainHelp());
      return EXIT.ok;
    }
    const entry = GROUPS[name];
    if (!entry) throw new UsageError(`unknown command "${name}"`);
    let command: Command;
    if (isCommand(entry)) {
      command = entry;
    } else {
      const sub = args.shift();
      if (!sub || sub === '--help' || sub === '-h') {
        if (sub) {
          io.out(groupHelp(name, entry));
          return EXIT.ok;
        }
        io.err(groupHelp(name, entry));
        return EXIT.usage;
      }
      const found = entry.commands[sub];
      if (!found)
        throw new UsageError(`unknown command "${name} ${sub}" (${Object.keys(entry.commands).join(', ')})`, groupHelp(name, entry));
      command = found;
    }
    const { values, positionals, help } = parseCommandArgs(command, args);
    if (help) {
      io.out(commandHelp(command));
      return EXIT.ok;
    }
    const settings = readSettings({ ...env, TEEKA_ROOT: root });
    return await command.run({ ...io, settings, values, positionals });
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`teeka: ${error.message}`);
      io.err(
        error.usage
          ? `usage: ${error.usage.replace(/^Usage: /, '')}\n(teeka --help for all commands)`
          : 'run teeka --help for the commands',
      );
      return EXIT.usage;
    }
    if (error instanceof ConfigError) {
      io.err(`teeka: ${error.message}`);
      return EXIT.problems;
    }
    io.err(`teeka: ${(error as Error).stack ?? String(error)}`);
    return EXIT.problems;
  }
}

const io: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  stderrIsTty: process.stderr.isTTY === true,
};
// Exit now: discovered plugins may hold timers (circuit breakers, keep-alive agents) that would keep
// the process waiting. Writes to pipes and files are synchronous on the platforms Teeka runs on.
process.exit(await runCli(process.argv.slice(2), io));
