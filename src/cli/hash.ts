// `signet hash PATH`: the content digest of a model or dataset, file or directory (DESIGN.md "Formats →
// Digest"). A directory's manifest is stored as an object when a Signet home exists, so that the digest
// can be opened again later.
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';

import { hashArtefact, type ArtefactHash } from '../app/hash-artefact.js';
import { SignetError } from '../errors.js';
import type { ObjectStore } from '../store/object-store.js';
import { printJson, type Output } from './output.js';

export interface HashCommandDeps {
  /** The home's object store, or undefined when there is no Signet home (the manifest is then not kept). */
  readonly openObjectStore?: () => Promise<ObjectStore | undefined>;
}

/** Inputs larger than this get a progress bar (on a terminal, without --json). */
export const PROGRESS_THRESHOLD_BYTES = 256 * 1024 * 1024;

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
      const progress = createProgress(out, !opts.json);
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

interface Progress {
  readonly update: (done: number, total: number) => void;
  readonly stop: () => void;
}

// A bar on stderr with bytes, rate and ETA — only on a terminal and for inputs large enough to wait for;
// never on a pipe or with --json, where it would be noise in someone's logs.
function createProgress(out: Output, wanted: boolean): Progress {
  let bar: SingleBar | undefined;
  let started = 0;
  const payload = (done: number): { done: string; rate: string } => {
    const seconds = (performance.now() - started) / 1000;
    return { done: formatBytes(done), rate: seconds > 0 ? `${formatBytes(done / seconds)}/s` : '-' };
  };
  return {
    update: (done, total) => {
      if (!wanted || !out.isTTY || total <= PROGRESS_THRESHOLD_BYTES) return;
      if (bar === undefined) {
        started = performance.now();
        bar = new SingleBar({
          format: 'hashing {bar} {percentage}% | {done} of {totalText} | {rate} | ETA {eta_formatted}',
          hideCursor: true,
          clearOnComplete: true,
          etaBuffer: 50,
          // Through Output, so tests can read it. cli-progress only calls write() and reads isTTY and
          // columns (readline's cursor helpers write escape sequences through write()).
          stream: {
            isTTY: true,
            columns: process.stderr.columns || 80,
            write: (text: string) => {
              out.stderr(text);
              return true;
            },
          } as unknown as NodeJS.WritableStream,
        });
        bar.start(total, done, { ...payload(done), totalText: formatBytes(total) });
        return;
      }
      bar.update(done, payload(done));
    },
    stop: () => bar?.stop(),
  };
}

function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}
