// `signet hash PATH`: the content digest of a model or dataset, file or directory (DESIGN.md "Formats →
// Digest"). A directory's manifest is stored as an object when a Signet home exists, so that the digest
// can be opened again later.
import type { Command } from 'commander';

import { hashArtefact, type ArtefactHash } from '../app/hash-artefact.js';
import { SignetError } from '../errors.js';
import type { ObjectStore } from '../store/object-store.js';
import { printJson, type Output } from './output.js';
import { createProgress, formatBytes } from './progress.js';

export interface HashCommandDeps {
  /** The home's object store, or undefined when there is no Signet home (the manifest is then not kept). */
  readonly openObjectStore?: () => Promise<ObjectStore | undefined>;
}

export { PROGRESS_THRESHOLD_BYTES } from './progress.js';

interface HashOptions {
  readonly json?: boolean;
  readonly followSymlinks?: boolean;
  readonly ignore?: string[];
}

export function registerHashCommand(program: Command, out: Output, deps: HashCommandDeps = {}): void {
  program
    .command('hash')
    .description('Print the content digest of a file or a directory (a model, a dataset)')
    .argument('<path>', 'the file or directory to hash')
    .option('--json', 'print { digest, kind, size, fileCount, manifest?, manifestStored? } as JSON')
    .option(
      '--follow-symlinks',
      'hash the targets of symbolic links instead of refusing them (loops are refused)',
    )
    .option(
      '--ignore <glob>',
      'leave out matching entries of a directory; repeat for several patterns',
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .addHelpText(
      'after',
      [
        '',
        "Digests are sha256:<64 hex>. A file's digest is its plain SHA-256, so `sha256sum` agrees.",
        "A directory's digest is the SHA-256 of its manifest: canonical JSON listing every regular file by",
        'relative path (sorted by UTF-8 bytes) with its size and SHA-256. Empty directories are not listed.',
        'When a Signet home exists the manifest is stored as an object under that digest.',
        '',
        'Symbolic links are refused unless --follow-symlinks; FIFOs, sockets and devices are always refused.',
        'A file that changes while it is hashed is an error, never a digest.',
        '',
        'Ignore patterns match paths relative to the directory: `*` and `?` stay within a name, `**` spans',
        'directories, a pattern without "/" matches a name at any depth (".git", "*.pyc"), one with "/" is',
        'anchored at the top ("logs/*.txt"), a trailing "/" matches directories only. Quote them.',
        '',
        'Files are hashed in parallel on every core; inputs over 256 MiB show a progress bar on a terminal.',
        '',
        'Examples:',
        '  signet hash model.safetensors',
        "  signet hash models/credit-scorecard --ignore .git --ignore '*.tmp'",
        '  signet hash datasets/2024-q4 --json',
        '',
      ].join('\n'),
    )
    .action(async (path: string, opts: HashOptions) => {
      out.json = Boolean(opts.json);
      const progress = createProgress(out, !opts.json, 'hashing');
      let result: ArtefactHash;
      try {
        result = await hashArtefact(path, {
          followSymlinks: Boolean(opts.followSymlinks),
          ignore: opts.ignore ?? [],
          onProgress: progress.update,
        });
      } finally {
        progress.stop();
      }

      let stored: boolean | undefined;
      if (result.kind === 'directory') {
        const store = await deps.openObjectStore?.();
        if (store !== undefined) {
          const put = await store.put(result.manifest);
          if (put.digest !== result.digest) {
            throw new SignetError(
              'INTERNAL',
              `the object store filed the manifest under ${put.digest}, not ${result.digest}`,
            );
          }
        }
        stored = store !== undefined;
      }

      if (opts.json) {
        return printJson(out, {
          digest: result.digest,
          kind: result.kind,
          size: result.size,
          fileCount: result.fileCount,
          ...(result.kind === 'directory' ? { manifest: result.digest, manifestStored: stored } : {}),
        });
      }
      out.stdout(`${result.digest}  ${path}\n`);
      if (result.kind === 'directory') {
        const files = `${result.fileCount} file${result.fileCount === 1 ? '' : 's'}, ${formatBytes(result.size)}`;
        out.stdout(
          stored
            ? `directory: ${files}; manifest stored as an object under this digest\n`
            : `directory: ${files}; manifest not stored (no Signet home)\n`,
        );
      }
    });
}
