import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { MANIFEST_MEDIA_TYPE, parseManifest } from '../artefact/manifest.js';
import { isSignetError } from '../errors.js';
import { hashArtefact, type ArtefactHash } from './hash-artefact.js';
import { hashFiles, type FileJob } from './hash-pool.js';

const base = mkdtempSync(join(tmpdir(), 'signet-hash-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let counter = 0;
function freshDir(): string {
  const dir = join(base, `case-${++counter}`);
  mkdirSync(dir);
  return dir;
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function sha256sum(path: string): string {
  return execFileSync('sha256sum', ['--', path], { encoding: 'utf8' }).slice(0, 64);
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return isSignetError(error) ? error.code : `not a SignetError: ${String(error)}`;
  }
  return undefined;
}

/** Writes files (path → content) in the given order, creating parent directories. */
function writeTree(dir: string, files: readonly (readonly [string, Uint8Array | string])[]): void {
  for (const [path, content] of files) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

// Sizes around both read sizes (256 KiB synchronous, 2 MiB pipelined) and not multiples of either.
// The largest is over the 8 MiB from which a lone worker reads ahead.
const CONTENT: readonly (readonly [string, Uint8Array])[] = [
  ['weights/model.bin', randomBytes(9 * 1024 * 1024 + 12_345)],
  ['weights/part-2.bin', randomBytes(2 * 1024 * 1024)],
  ['config.json', Buffer.from('{"layers":3}\n')],
  ['a/b/c/deep.txt', randomBytes(256 * 1024 + 1)],
  ['empty', new Uint8Array(0)],
  ['naïve ☃ 😀.txt', Buffer.from('unicode name')],
];

function expectDirectory(
  result: ArtefactHash,
): asserts result is Extract<ArtefactHash, { kind: 'directory' }> {
  expect(result.kind).toBe('directory');
}

describe('hashArtefact on a file', () => {
  it('is the plain SHA-256, as sha256sum and node:crypto compute it', async () => {
    const dir = freshDir();
    for (const [name, content] of CONTENT) {
      const path = join(dir, name.replaceAll('/', '_'));
      writeFileSync(path, content);
      const result = await hashArtefact(path);
      expect(result).toEqual({
        kind: 'file',
        digest: `sha256:${sha256Hex(content)}`,
        size: content.length,
        fileCount: 1,
      });
      expect(result.digest).toBe(`sha256:${sha256sum(path)}`);
    }
  });

  it('hashes the empty file', async () => {
    const path = join(freshDir(), 'empty');
    writeFileSync(path, '');
    const result = await hashArtefact(path);
    expect(result.digest).toBe('sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(result.size).toBe(0);
  });

  it('gives the same digest with either read mode and any chunk boundary', async () => {
    const dir = freshDir();
    writeTree(dir, CONTENT);
    const jobs = CONTENT.map(([name, content]) => {
      const path = join(dir, name);
      const stats = lstatSync(path, { bigint: true });
      const job: FileJob = {
        path,
        displayPath: name,
        size: content.length,
        dev: stats.dev,
        ino: stats.ino,
        noFollow: true,
      };
      return job;
    });
    const expected = CONTENT.map(([, content]) => `sha256:${sha256Hex(content)}`);
    for (const readMode of ['sync', 'pipelined'] as const) {
      for (const concurrency of [1, 3]) {
        expect(await hashFiles(jobs, { readMode, concurrency })).toEqual(expected);
      }
    }
  });

  it('reports NOT_FOUND for a missing path, INVALID_ARGUMENT for an empty one', async () => {
    expect(await codeOf(hashArtefact(join(base, 'no-such-file')))).toBe('NOT_FOUND');
    expect(await codeOf(hashArtefact(join(base, 'no-such-dir', 'file')))).toBe('NOT_FOUND');
    expect(await codeOf(hashArtefact(''))).toBe('INVALID_ARGUMENT');
  });
});

describe('hashArtefact on a directory', () => {
  it('is the SHA-256 of the manifest, which lists every file with its size and digest', async () => {
    const dir = freshDir();
    writeTree(dir, CONTENT);
    const result = await hashArtefact(dir);
    expectDirectory(result);
    expect(result.digest).toBe(`sha256:${sha256Hex(result.manifest)}`);
    expect(result.fileCount).toBe(CONTENT.length);
    expect(result.size).toBe(CONTENT.reduce((sum, [, c]) => sum + c.length, 0));
    const manifest = parseManifest(result.manifest);
    expect(manifest.mediaType).toBe(MANIFEST_MEDIA_TYPE);
    const expected = CONTENT.map(([path, content]) => ({
      path,
      size: content.length,
      digest: `sha256:${sha256Hex(content)}`,
    }));
    expected.sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
    expect(manifest.files).toEqual(expected);
    for (const file of manifest.files) expect(file.digest).toBe(`sha256:${sha256sum(join(dir, file.path))}`);
  });

  it('does not depend on creation order or on the number of workers', async () => {
    const first = freshDir();
    const second = freshDir();
    writeTree(first, CONTENT);
    writeTree(second, [...CONTENT].reverse());
    const reference = await hashArtefact(first);
    for (const concurrency of [1, 2, 3, 16]) {
      expect((await hashArtefact(second, { concurrency })).digest).toBe(reference.digest);
    }
  });

  it('changes when a byte, a name or a size changes', async () => {
    const dir = freshDir();
    writeTree(dir, [
      ['a.txt', 'hello'],
      ['b.txt', 'world'],
    ]);
    const before = (await hashArtefact(dir)).digest;
    writeFileSync(join(dir, 'b.txt'), 'worle');
    const flipped = (await hashArtefact(dir)).digest;
    expect(flipped).not.toBe(before);
    rmSync(join(dir, 'b.txt'));
    writeFileSync(join(dir, 'c.txt'), 'worle');
    expect((await hashArtefact(dir)).digest).not.toBe(flipped);
  });

  it('hashes the empty directory to the empty manifest', async () => {
    const dir = freshDir();
    mkdirSync(join(dir, 'only-empty-subdirectories', 'deeper'), { recursive: true });
    const result = await hashArtefact(dir);
    expectDirectory(result);
    expect(Buffer.from(result.manifest).toString('utf8')).toBe(
      `{"files":[],"mediaType":"${MANIFEST_MEDIA_TYPE}"}`,
    );
    expect(result).toMatchObject({ size: 0, fileCount: 0, digest: `sha256:${sha256Hex(result.manifest)}` });
  });

  it('leaves out ignored entries, matched by name at any depth or anchored', async () => {
    const clean = freshDir();
    writeTree(clean, [
      ['model.bin', 'weights'],
      ['sub/data.csv', 'a,b'],
    ]);
    const noisy = freshDir();
    writeTree(noisy, [
      ['model.bin', 'weights'],
      ['sub/data.csv', 'a,b'],
      ['.git/HEAD', 'ref: main'],
      ['sub/.git/config', '[core]'],
      ['scratch.tmp', 'x'],
      ['sub/deeper/more.tmp', 'y'],
      ['logs/run-1.txt', 'z'],
    ]);
    execFileSync('mkfifo', [join(noisy, 'sub', 'control.fifo')]);
    symlinkSync('model.bin', join(noisy, 'latest'));
    const ignore = ['.git', '*.tmp', 'logs/', '*.fifo', '/latest'];
    expect((await hashArtefact(noisy, { ignore })).digest).toBe((await hashArtefact(clean)).digest);
    expect(await codeOf(hashArtefact(noisy, { ignore: ['.git', '*.tmp', 'logs/'] }))).toBe(
      'UNSUPPORTED_FILE_TYPE',
    );
  });

  it('refuses a malformed ignore pattern', async () => {
    expect(await codeOf(hashArtefact(freshDir(), { ignore: ['!keep'] }))).toBe('INVALID_ARGUMENT');
  });

  it('refuses a file name that is not UTF-8', async () => {
    const dir = freshDir();
    writeFileSync(Buffer.concat([Buffer.from(dir + '/bad-'), Buffer.from([0xff, 0xfe])]), 'x');
    expect(await codeOf(hashArtefact(dir))).toBe('INVALID_UTF8');
  });

  it('reports progress in bytes, from 0 to the total', async () => {
    const dir = freshDir();
    writeTree(dir, CONTENT);
    const calls: [number, number][] = [];
    const result = await hashArtefact(dir, { onProgress: (done, total) => calls.push([done, total]) });
    expect(calls[0]).toEqual([0, result.size]);
    expect(calls.at(-1)).toEqual([result.size, result.size]);
    for (let i = 1; i < calls.length; i++)
      expect(calls[i]?.[0]).toBeGreaterThanOrEqual(calls[i - 1]?.[0] ?? 0);
  });

  it('refuses a bad concurrency', async () => {
    const dir = freshDir();
    writeTree(dir, [['a', 'a']]);
    expect(await codeOf(hashArtefact(dir, { concurrency: 0 }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(hashArtefact(dir, { concurrency: 1.5 }))).toBe('INVALID_ARGUMENT');
  });
});

describe('symbolic links and special files', () => {
  it('refuses a symbolic link, naming it, unless asked to follow it', async () => {
    const dir = freshDir();
    writeTree(dir, [
      ['real/model.bin', 'weights'],
      ['other.txt', 'other'],
    ]);
    symlinkSync('real/model.bin', join(dir, 'link.bin'));
    let error: unknown;
    try {
      await hashArtefact(dir);
    } catch (e) {
      error = e;
    }
    expect(isSignetError(error) && error.code).toBe('UNSUPPORTED_FILE_TYPE');
    expect(isSignetError(error) && error.details?.['path']).toBe(join(dir, 'link.bin'));

    // Followed, the link is hashed as the file it points to, under the link's own name.
    const copy = freshDir();
    writeTree(copy, [
      ['real/model.bin', 'weights'],
      ['other.txt', 'other'],
      ['link.bin', 'weights'],
    ]);
    expect((await hashArtefact(dir, { followSymlinks: true })).digest).toBe(
      (await hashArtefact(copy)).digest,
    );
  });

  it('follows a symbolic link to a directory, and the top-level path being a link', async () => {
    const dir = freshDir();
    writeTree(dir, [
      ['target/a.txt', 'a'],
      ['target/b/c.txt', 'c'],
    ]);
    symlinkSync('target', join(dir, 'alias'));
    const top = join(dir, 'top-link');
    symlinkSync(join(dir, 'target'), top);
    expect(await codeOf(hashArtefact(top))).toBe('UNSUPPORTED_FILE_TYPE');
    const followed = await hashArtefact(top, { followSymlinks: true });
    expect(followed.digest).toBe((await hashArtefact(join(dir, 'target'))).digest);
    const whole = await hashArtefact(dir, { followSymlinks: true, ignore: ['/top-link'] });
    expectDirectory(whole);
    expect(parseManifest(whole.manifest).files.map((f) => f.path)).toEqual([
      'alias/a.txt',
      'alias/b/c.txt',
      'target/a.txt',
      'target/b/c.txt',
    ]);
  });

  it('refuses symbolic link loops and dangling links when following', async () => {
    const dir = freshDir();
    writeTree(dir, [['sub/a.txt', 'a']]);
    symlinkSync('..', join(dir, 'sub', 'up'));
    expect(await codeOf(hashArtefact(dir, { followSymlinks: true }))).toBe('UNSUPPORTED_FILE_TYPE');

    const self = freshDir();
    symlinkSync('self', join(self, 'self'));
    expect(await codeOf(hashArtefact(self, { followSymlinks: true }))).toBe('UNSUPPORTED_FILE_TYPE');

    const dangling = freshDir();
    symlinkSync('nowhere', join(dangling, 'broken'));
    expect(await codeOf(hashArtefact(dangling, { followSymlinks: true }))).toBe('NOT_FOUND');
  });

  it('always refuses a FIFO, in a directory, as the path, or behind a followed link', async () => {
    const dir = freshDir();
    writeTree(dir, [['a.txt', 'a']]);
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    let error: unknown;
    try {
      await hashArtefact(dir);
    } catch (e) {
      error = e;
    }
    expect(isSignetError(error) && error.code).toBe('UNSUPPORTED_FILE_TYPE');
    expect(isSignetError(error) && error.details?.['path']).toBe(fifo);
    expect(await codeOf(hashArtefact(fifo))).toBe('UNSUPPORTED_FILE_TYPE');
    expect(await codeOf(hashArtefact(dir, { followSymlinks: true }))).toBe('UNSUPPORTED_FILE_TYPE');
    const linked = freshDir();
    symlinkSync(fifo, join(linked, 'to-pipe'));
    expect(await codeOf(hashArtefact(linked, { followSymlinks: true }))).toBe('UNSUPPORTED_FILE_TYPE');
  });

  it('refuses a character device', async () => {
    expect(await codeOf(hashArtefact('/dev/null'))).toBe('UNSUPPORTED_FILE_TYPE');
  });
});

describe('a file that changes while it is hashed', () => {
  function jobFor(path: string, overrides: Partial<FileJob> = {}): FileJob {
    const stats = lstatSync(path, { bigint: true });
    return {
      path,
      displayPath: path,
      size: Number(stats.size),
      dev: stats.dev,
      ino: stats.ino,
      noFollow: true,
      ...overrides,
    };
  }

  it('is refused when its size, identity or type differs from what the walk saw', async () => {
    const dir = freshDir();
    const path = join(dir, 'f');
    writeFileSync(path, randomBytes(1024 * 1024));
    const job = jobFor(path);
    for (const readMode of ['sync', 'pipelined'] as const) {
      expect(await codeOf(hashFiles([{ ...job, size: job.size + 1 }], { readMode }))).toBe(
        'INVALID_ARGUMENT',
      );
      expect(await codeOf(hashFiles([{ ...job, size: job.size - 1 }], { readMode }))).toBe(
        'INVALID_ARGUMENT',
      );
      expect(await codeOf(hashFiles([{ ...job, ino: job.ino + 1n }], { readMode }))).toBe('INVALID_ARGUMENT');
    }
    rmSync(path);
    expect(await codeOf(hashFiles([job]))).toBe('NOT_FOUND');
    execFileSync('mkfifo', [path]); // opened non-blocking, so this cannot hang
    expect(await codeOf(hashFiles([{ ...job, ino: lstatSync(path, { bigint: true }).ino }]))).toBe(
      'UNSUPPORTED_FILE_TYPE',
    );
    rmSync(path);
    symlinkSync(join(dir, 'elsewhere'), path);
    writeFileSync(join(dir, 'elsewhere'), 'x');
    expect(await codeOf(hashFiles([job]))).toBe('UNSUPPORTED_FILE_TYPE'); // O_NOFOLLOW
  });

  it('is an error, never a digest, when the file keeps growing', async () => {
    const path = join(freshDir(), 'growing.log');
    writeFileSync(path, randomBytes(8 * 1024 * 1024));
    // A separate process appends as fast as it can for the whole hash.
    const writer = spawn('sh', ['-c', `while :; do printf 0123456789abcdef >> '${path}'; done`], {
      stdio: 'ignore',
    });
    try {
      const start = lstatSync(path).size;
      while (lstatSync(path).size === start) await new Promise((r) => setTimeout(r, 5));
      for (const concurrency of [1, 2]) {
        expect(await codeOf(hashArtefact(path, { concurrency }))).toBe('INVALID_ARGUMENT');
      }
    } finally {
      writer.kill();
    }
  });
});
