import type { Command } from 'commander';

import { getToFile, putFile, verifyObjects } from '../app/objects.js';
import { parseDigest } from '../signing/digest.js';
import { withHome } from './home-context.js';
import { printJson, type Output } from './output.js';
import { EXIT_NO } from '../errors.js';

export function registerObjectCommands(program: Command, out: Output): void {
  const object = program
    .command('object')
    .description('Write-once objects stored under the SHA-256 of their bytes');

  object
    .command('put')
    .description('Store a file (or standard input with "-"); a put of bytes already stored is a no-op')
    .argument('<file>', 'the file to store, or - for standard input')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, opts: { json?: boolean }) => {
      out.json = Boolean(opts.json);
      const result = await withHome((home) =>
        file === '-' ? home.objects.putStream(process.stdin) : putFile(home.objects, file),
      );
      if (opts.json) return printJson(out, result);
      out.stdout(`${result.digest}  ${result.size} bytes${result.created ? '' : ' (already stored)'}\n`);
    });

  object
    .command('get')
    .description('Write an object to standard output or a file; its bytes are re-hashed on the way')
    .argument('<digest>', 'the object digest, sha256:<64 hex>')
    .option('-o, --output <file>', 'write to this file (only once the digest checked out)')
    .action(async (digestText: string, opts: { output?: string }) => {
      const digest = parseDigest(digestText, 'object digest');
      await withHome(async (home) => {
        if (opts.output !== undefined) return getToFile(home.objects, digest, opts.output);
        // To a pipe the bytes stream as they are read; a mismatch found at the end exits non-zero.
        for await (const chunk of home.objects.getStream(digest)) {
          if (!process.stdout.write(chunk))
            await new Promise((resolve) => process.stdout.once('drain', resolve));
        }
      });
    });

  object
    .command('verify')
    .description('Re-hash one object, or every object when no digest is given; exit 1 naming each bad one')
    .argument('[digest]', 'the object digest (default: all objects)')
    .option('--json', 'print the result as JSON')
    .action(async (digestText: string | undefined, opts: { json?: boolean }) => {
      out.json = Boolean(opts.json);
      const only = digestText === undefined ? undefined : parseDigest(digestText, 'object digest');
      const report = await withHome((home) => verifyObjects(home.objects, only));
      if (report.problems.length > 0) out.exitCode = EXIT_NO;
      if (opts.json) return printJson(out, { ok: report.problems.length === 0, ...report });
      for (const problem of report.problems)
        out.stdout(`BAD ${problem.digest}: [${problem.code}] ${problem.message}\n`);
      out.stdout(
        report.problems.length === 0
          ? `ok: ${report.checked} object(s) intact\n`
          : `FAILED: ${report.problems.length} of ${report.checked} object(s) bad\n`,
      );
    });
}
