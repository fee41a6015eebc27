// Registers the commands on the program. One file per command family, loaded only when needed: a
// command's module pulls in what it uses (the review renderer, schema validators, YAML), and
// `signet hash` or `signet gate` should not pay for modules they never call on every start.
import type { Command } from 'commander';

import type { Output } from './output.js';

type Register = (program: Command, out: Output) => void;

const FAMILIES: Readonly<Record<string, () => Promise<Register>>> = {
  init: async () => (await import('./init.js')).registerInitCommand,
  hash: async () => {
    const [{ registerHashCommand }, { openHomeObjectStore }] = await Promise.all([
      import('./hash.js'),
      import('./home-context.js'),
    ]);
    // A directory's manifest is stored as an object when there is a home to store it in.
    return (program, out) => registerHashCommand(program, out, { openObjectStore: openHomeObjectStore });
  },
  demo: async () => (await import('./demo.js')).registerDemoCommand,
  object: async () => (await import('./object.js')).registerObjectCommands,
  log: async () => (await import('./log.js')).registerLogCommands,
  verify: async () => (await import('./verify.js')).registerVerifyCommand,
  people: async () => (await import('./people.js')).registerPeopleCommands,
  policy: async () => (await import('./policy.js')).registerPolicyCommands,
  promotion: async () => (await import('./promotion.js')).registerPromotionCommands,
  promote: async () => (await import('./promote.js')).registerPromoteCommand,
  pipeline: async () => (await import('./pipeline.js')).registerPipelineCommands,
  serve: async () => (await import('./serve.js')).registerServeCommand,
  tokens: async () => (await import('./tokens.js')).registerTokenCommands,
  monitor: async () => (await import('./monitor.js')).registerMonitorCommands,
  db: async () => (await import('./db.js')).registerDbCommands,
};

/** Which family defines each top-level command. */
const FAMILY_OF: Readonly<Record<string, string>> = {
  init: 'init',
  hash: 'hash',
  demo: 'demo',
  object: 'object',
  log: 'log',
  verify: 'verify',
  keys: 'people',
  identity: 'people',
  roles: 'people',
  users: 'people',
  policy: 'policy',
  model: 'promotion',
  dataset: 'promotion',
  propose: 'promotion',
  review: 'promotion',
  approve: 'promotion',
  reject: 'promotion',
  seal: 'promotion',
  gate: 'promotion',
  revoke: 'promotion',
  show: 'promotion',
  replay: 'promotion',
  promote: 'promote',
  pipeline: 'pipeline',
  serve: 'serve',
  tokens: 'tokens',
  monitor: 'monitor',
  db: 'db',
};

/**
 * Registers the family of the command named first in `argv`, or every family (for the overview help,
 * an unknown command, or an option first).
 */
export async function registerCommands(
  program: Command,
  out: Output,
  argv: readonly string[] = [],
): Promise<void> {
  const first = argv[0];
  const family = first !== undefined ? FAMILY_OF[first] : undefined;
  const wanted = family !== undefined ? [family] : Object.keys(FAMILIES);
  const registers = await Promise.all(wanted.map((name) => FAMILIES[name]!()));
  // Registered in a fixed order so that the overview help lists commands the same way every time.
  for (const register of registers) register(program, out);
}

export const COMMAND_NAMES: readonly string[] = Object.keys(FAMILY_OF);
