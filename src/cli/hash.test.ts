import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Command, CommanderError } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';

import { parseManifest } from '../artefact/manifest.js';
import { EXIT_ERROR, EXIT_OK, exitCodeOf, isSignetError } from '../errors.js';
import { digestOfBytes, type Digest } from '../signing/digest.js';
import type { ObjectStore } from '../store/object-store.js';
import { PROGRESS_THRESHOLD_BYTES, registerHashCommand, type HashCommandDeps } from './hash.js';
import type { Output } from './output.js';

const base = mkdtempSync(join(tmpdir(), 'signet-hash-cli-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

// The same wiring as main.ts (exitOverride, output through Output, coded errors mapped to exit codes),
// with only this command registered.
async function run(argv: string[], deps: HashCommandDeps = {}, isTTY = false): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const out: Output = {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    isTTY,
    json: false,
    exitCode: undefined,
  };
  const program = new Command('signet')
    .exitOverride()
    .configureOutput({ writeOut: (s) => out.stdout(s), writeErr: (s) => out.stderr(s) });
  registerHashCommand(program, out, deps);
  let code: number;
  try {
    await program.parseAsync(argv, { from: 'user' });
    code = out.exitCode ?? EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      code = error.exitCode === 0 ? EXIT_OK : EXIT_ERROR;
    } else {
      if (isSignetError(error)) {
        if (out.json)
          out.stdout(JSON.stringify({ error: { code: error.code, message: error.message } }) + '\n');
        stderr += `signet: error [${error.code}]: ${error.message}\n`;
      }
      code = exitCodeOf(error);
    }
  }
  return { code, stdout, stderr };
}

function memoryStore(): ObjectStore & { readonly objects: Map<Digest, Uint8Array> } {
  const objects = new Map<Digest, Uint8Array>();
  const unused = (): never => {
    throw new Error('not used by hash');
  };
  return {
    objects,
    put: (bytes) => {
      const digest = digestOfBytes(bytes);
      const created = !objects.has(digest);
      objects.set(digest, bytes);
      return Promise.resolve({ digest, size: bytes.length, created });
    },
    putStream: unused,
    get: unused,
    getStream: unused,
    has: (digest) => Promise.resolve(objects.has(digest)),
    list: unused,
  };
}

function sha256Hex(bytes: string | Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

describe('signet hash', () => {
  const file = join(base, 'model.bin');
  writeFileSync(file, 'weights');
  const dir = join(base, 'model-dir');
  mkdirSync(join(dir, 'sub'), { recursive: true });
  writeFileSync(join(dir, 'a.txt'), 'a');
  writeFileSync(join(dir, 'sub', 'b.txt'), 'bb');
  writeFileSync(join(dir, 'scratch.tmp'), 'noise');

  it('prints a file digest like sha256sum, with the sha256: prefix', async () => {
    const result = await run(['hash', file]);
    expect(result).toEqual({ code: 0, stdout: `sha256:${sha256Hex('weights')}  ${file}\n`, stderr: '' });
  });

  it('prints JSON for a file', async () => {
    const result = await run(['hash', file, '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      digest: `sha256:${sha256Hex('weights')}`,
      kind: 'file',
      size: 7,
      fileCount: 1,
    });
  });

  it('stores a directory manifest when there is a home, and says so', async () => {
    const store = memoryStore();
    const result = await run(['hash', dir, '--json'], { openObjectStore: () => Promise.resolve(store) });
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as { digest: Digest; manifest: Digest };
    expect(json).toMatchObject({ kind: 'directory', size: 8, fileCount: 3, manifestStored: true });
    expect(json.manifest).toBe(json.digest);
    const bytes = store.objects.get(json.digest);
    expect(bytes && `sha256:${sha256Hex(bytes)}`).toBe(json.digest);
    expect(parseManifest(bytes ?? new Uint8Array()).files.map((f) => f.path)).toEqual([
      'a.txt',
      'scratch.tmp',
      'sub/b.txt',
    ]);

    const human = await run(['hash', dir], { openObjectStore: () => Promise.resolve(store) });
    expect(human.stdout).toBe(
      `${json.digest}  ${dir}\ndirectory: 3 files, 8 B; manifest stored as an object under this digest\n`,
    );
  });

  it('says when there is no home to store the manifest in', async () => {
    const result = await run(['hash', dir], { openObjectStore: () => Promise.resolve(undefined) });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/manifest not stored \(no Signet home\)\n$/);
    const json = await run(['hash', dir, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ manifestStored: false });
  });

  it('takes --ignore several times, before or after the path', async () => {
    const all = JSON.parse((await run(['hash', dir, '--json'])).stdout) as { fileCount: number };
    const fewer = JSON.parse(
      (await run(['hash', '--ignore', '*.tmp', dir, '--ignore', 'sub/', '--json'])).stdout,
    ) as {
      fileCount: number;
    };
    expect(all.fileCount).toBe(3);
    expect(fewer.fileCount).toBe(1);
  });

  it('refuses a symbolic link with exit 2 and a coded error, unless --follow-symlinks', async () => {
    const link = join(base, 'link.bin');
    symlinkSync(file, link);
    const refused = await run(['hash', link]);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain('[UNSUPPORTED_FILE_TYPE]');
    const asJson = await run(['hash', link, '--json']);
    expect(asJson.code).toBe(2);
    expect(JSON.parse(asJson.stdout)).toMatchObject({ error: { code: 'UNSUPPORTED_FILE_TYPE' } });
    const followed = await run(['hash', link, '--follow-symlinks']);
    expect(followed.code).toBe(0);
    expect(followed.stdout).toBe(`sha256:${sha256Hex('weights')}  ${link}\n`);
  });

  it('refuses a FIFO and a missing path with exit 2', async () => {
    const fifo = join(base, 'pipe');
    execFileSync('mkfifo', [fifo]);
    expect(await run(['hash', fifo])).toMatchObject({ code: 2, stdout: '' });
    const missing = await run(['hash', join(base, 'missing'), '--json']);
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout)).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('exits 2 on a usage error and 0 on --help', async () => {
    expect((await run(['hash'])).code).toBe(2);
    const help = await run(['hash', '--help']);
    expect(help.code).toBe(0);
    for (const text of ['--json', '--follow-symlinks', '--ignore <glob>', 'sha256sum', 'manifest']) {
      expect(help.stdout).toContain(text);
    }
  });

  describe('progress bar', () => {
    // Sparse: large enough for the bar, quick to create and to read.
    const big = join(base, 'big.bin');
    writeFileSync(big, '');
    truncateSync(big, PROGRESS_THRESHOLD_BYTES + 1024 * 1024);

    it('shows bytes, rate and ETA on a terminal for inputs over 256 MiB', async () => {
      const result = await run(['hash', big], {}, true);
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(/hashing .*% \| .* of 257\.0 MiB \| .*\/s \| ETA /);
      expect(result.stdout).toMatch(/^sha256:[0-9a-f]{64} {2}/);
    });

    it('stays silent on a pipe, with --json, and for small inputs', async () => {
      expect((await run(['hash', big], {}, false)).stderr).toBe('');
      expect((await run(['hash', big, '--json'], {}, true)).stderr).toBe('');
      expect((await run(['hash', file], {}, true)).stderr).toBe('');
    });
  });
});
