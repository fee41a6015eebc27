// The `signet` command line. Each command lives in its own file and registers itself on the program;
// this file owns the exit-code contract: 0 ok, 1 a verification failure or a "no", 2 bad input or an error.
import { Command, CommanderError } from 'commander';

import { EXIT_ERROR, EXIT_OK, exitCodeOf, isSignetError } from '../errors.js';
import { registerCommands } from './commands.js';
import { createOutput, type Output } from './output.js';

export const VERSION = '0.1.0';

export async function createProgram(out: Output, argv: readonly string[] = []): Promise<Command> {
  const program = new Command('signet')
    .description(
      'Signet seals model-promotion decisions as signed, content-addressed events in a verifiable ' +
        'append-only log, and gates deployment on them.\n\n' +
        'Home: $SIGNET_HOME, or ./.signet when unset.\n' +
        'Exit codes: 0 ok, 1 a verification failure or a "no", 2 bad input or an error.',
    )
    .version(VERSION)
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => out.stdout(s),
      writeErr: (s) => out.stderr(s),
    });
  await registerCommands(program, out, argv);
  return program;
}

/** Runs the CLI and returns the exit code; never throws, never prints a stack trace alone. */
export async function main(argv: readonly string[], out: Output = createOutput()): Promise<number> {
  let program: Command;
  try {
    program = await createProgram(out, argv);
  } catch (error) {
    return reportError(error, out);
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return out.exitCode ?? EXIT_OK;
  } catch (error) {
    return reportError(error, out);
  }
}

function reportError(error: unknown, out: Output): number {
  if (error instanceof CommanderError) {
    // --help and --version end through here with exit code 0; usage errors are bad input.
    return error.exitCode === 0 ? EXIT_OK : EXIT_ERROR;
  }
  if (isSignetError(error)) {
    if (out.json) {
      out.stdout(
        JSON.stringify({ error: { code: error.code, message: error.message, details: error.details } }) +
          '\n',
      );
    }
    out.stderr(`signet: error [${error.code}]: ${error.message}\n`);
    return exitCodeOf(error);
  }
  const message = error instanceof Error ? error.message : String(error);
  out.stderr(`signet: internal error: ${message}\n`);
  if (process.env['SIGNET_DEBUG'] && error instanceof Error && error.stack) out.stderr(error.stack + '\n');
  return EXIT_ERROR;
}
