// The artefact manifest: what a directory (a model, a dataset) is made of. A directory's digest is the
// SHA-256 of these bytes, so they must be one exact byte string per directory content:
// RFC 8785 (JCS) canonical JSON of `{ files: [{ digest, path, size }], mediaType }`, files sorted by the
// UTF-8 bytes of their path. Empty directories are not recorded; only regular files are.
//
// The bytes are produced here rather than through the general canonical-JSON module because the shape is
// fixed: JCS §3.2.3 sorts keys by UTF-16 code units ("digest" < "path" < "size", "files" < "mediaType"),
// §3.2.2.2 serialises strings exactly as ECMAScript JSON.stringify does (for well-formed strings, which
// the path checks guarantee), and §3.2.2.3 writes safe integers in plain decimal. manifest.test.ts checks
// the bytes against the `canonicalize` package for random manifests.
import { InputError } from '../errors.js';
import { digestOfBytes, isDigest, type Digest } from '../signing/digest.js';

export const MANIFEST_MEDIA_TYPE = 'application/vnd.signet.manifest.v1+json';

export interface ManifestEntry {
  /** Relative, `/`-separated, no `.`, `..` or empty segments, valid UTF-8. */
  readonly path: string;
  /** Bytes. */
  readonly size: number;
  /** The file's plain SHA-256. */
  readonly digest: Digest;
}

export interface Manifest {
  readonly mediaType: typeof MANIFEST_MEDIA_TYPE;
  /** Sorted by the UTF-8 bytes of `path`, no duplicates. */
  readonly files: readonly ManifestEntry[];
}

const ENTRY_KEYS = ['digest', 'path', 'size'];
const MANIFEST_KEYS = ['files', 'mediaType'];
// With the `u` flag a well-formed surrogate pair is one code point, so this matches lone surrogates only:
// a string holding one has no UTF-8 encoding.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const utf8 = new TextEncoder();
// Manifests built by createManifest or parseManifest: already validated, and frozen so they stay valid.
const checked = new WeakSet<Manifest>();

function sealed(files: ManifestEntry[]): Manifest {
  const manifest: Manifest = Object.freeze({ mediaType: MANIFEST_MEDIA_TYPE, files: Object.freeze(files) });
  checked.add(manifest);
  return manifest;
}

/**
 * Builds a manifest from entries in any order: validates every path, sorts by UTF-8 bytes, refuses
 * duplicates and a path that is both a file and a directory.
 *
 * @example
 * const manifest = createManifest([{ path: 'weights/model.bin', size: 4, digest }]);
 * const bytes = serializeManifest(manifest); // the object stored; its SHA-256 is the directory's digest
 */
export function createManifest(entries: Iterable<ManifestEntry>): Manifest {
  const keyed: { key: Buffer; entry: ManifestEntry }[] = [];
  for (const entry of entries) {
    assertEntry(entry, keyed.length);
    const { path, size, digest } = entry;
    keyed.push({ key: Buffer.from(path, 'utf8'), entry: Object.freeze({ path, size, digest }) });
  }
  keyed.sort((a, b) => Buffer.compare(a.key, b.key));
  const files = keyed.map((k) => k.entry);
  assertSortedUnique(
    files,
    keyed.map((k) => k.key),
  );
  return sealed(files);
}

/** The canonical bytes of a manifest (validated unless this module built it, so that no unsorted manifest
 * is ever hashed). */
export function serializeManifest(manifest: Manifest): Uint8Array {
  if (!checked.has(manifest)) {
    if (manifest.mediaType !== MANIFEST_MEDIA_TYPE) {
      throw invalid(`manifest mediaType must be ${JSON.stringify(MANIFEST_MEDIA_TYPE)}`);
    }
    manifest.files.forEach(assertEntry);
    assertSortedUnique(manifest.files);
  }
  return utf8.encode(canonicalText(manifest));
}

/** The manifest's digest: SHA-256 of its canonical bytes, which is the directory's digest. */
export function manifestDigest(manifest: Manifest): Digest {
  return digestOfBytes(serializeManifest(manifest));
}

/**
 * Parses manifest bytes from outside (an object store, an upload): attacker-controlled, so every field is
 * checked and the bytes must be exactly the canonical serialisation — one manifest, one byte string,
 * one digest. Throws INVALID_UTF8, INVALID_JSON (syntax, or not canonical) or INVALID_ARGUMENT (shape).
 */
export function parseManifest(bytes: Uint8Array): Manifest {
  let text: string;
  try {
    // ignoreBOM keeps a leading BOM in the text, so that it fails the canonical comparison below.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (cause) {
    throw new InputError('INVALID_UTF8', 'manifest is not valid UTF-8', { cause });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new InputError('INVALID_JSON', 'manifest is not valid JSON', { cause });
  }
  if (!isPlainObject(value) || !hasExactKeys(value, MANIFEST_KEYS)) {
    throw invalid('manifest must be an object with exactly the keys "files" and "mediaType"');
  }
  if (value['mediaType'] !== MANIFEST_MEDIA_TYPE) {
    throw invalid(`manifest mediaType must be ${JSON.stringify(MANIFEST_MEDIA_TYPE)}`);
  }
  const files = value['files'];
  if (!Array.isArray(files)) throw invalid('manifest "files" must be an array');
  const entries: ManifestEntry[] = files.map((file: unknown, index) => {
    if (!isPlainObject(file) || !hasExactKeys(file, ENTRY_KEYS)) {
      throw invalid(`manifest files[${index}] must have exactly the keys "digest", "path" and "size"`, index);
    }
    const entry = { path: file['path'], size: file['size'], digest: file['digest'] };
    assertEntry(entry, index);
    return entry;
  });
  assertSortedUnique(entries);
  const manifest = sealed(entries.map((entry) => Object.freeze(entry)));
  if (!Buffer.from(bytes).equals(utf8.encode(canonicalText(manifest)))) {
    throw new InputError('INVALID_JSON', 'manifest is not in canonical form (RFC 8785)');
  }
  return manifest;
}

/** Throws unless `path` may appear in a manifest; the error names the path. */
export function assertManifestPath(path: unknown, index?: number): asserts path is string {
  if (typeof path !== 'string' || path.length === 0)
    throw invalid('a manifest path must be a non-empty string', index);
  const shown = JSON.stringify(path.slice(0, 200));
  if (LONE_SURROGATE.test(path)) {
    throw new InputError('INVALID_UTF8', `manifest path ${shown} is not valid UTF-8`, { details: { index } });
  }
  if (path.includes('\0')) throw invalid(`manifest path ${shown} contains a NUL character`, index);
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw invalid(
        `manifest path ${shown} must be relative with "/" separators and no empty, "." or ".." segments`,
        index,
      );
    }
  }
}

// Safe while `manifest` has passed assertEntry/assertSortedUnique: every string is well formed.
function canonicalText(manifest: Manifest): string {
  const files = manifest.files.map(
    (f) => `{"digest":${JSON.stringify(f.digest)},"path":${JSON.stringify(f.path)},"size":${String(f.size)}}`,
  );
  return `{"files":[${files.join(',')}],"mediaType":${JSON.stringify(manifest.mediaType)}}`;
}

function assertEntry(
  entry: { path: unknown; size: unknown; digest: unknown },
  index: number,
): asserts entry is ManifestEntry {
  assertManifestPath(entry.path, index);
  if (typeof entry.size !== 'number' || !Number.isSafeInteger(entry.size) || entry.size < 0) {
    throw invalid(
      `manifest entry ${JSON.stringify(entry.path)}: size must be a non-negative safe integer`,
      index,
    );
  }
  if (!isDigest(entry.digest)) {
    throw invalid(
      `manifest entry ${JSON.stringify(entry.path)}: digest must be sha256:<64 lowercase hex>`,
      index,
    );
  }
}

// Strictly ascending by UTF-8 bytes (so no duplicates), and no path is also a directory of another path:
// a filesystem cannot hold both `a` as a file and `a/b`.
function assertSortedUnique(
  files: readonly ManifestEntry[],
  keys: readonly Buffer[] = files.map((f) => Buffer.from(f.path, 'utf8')),
): void {
  const paths = new Set<string>();
  let previous: Buffer | undefined;
  files.forEach((file, index) => {
    const key = keys[index] as Buffer;
    if (previous !== undefined) {
      const order = Buffer.compare(previous, key);
      if (order === 0) throw invalid(`manifest path ${JSON.stringify(file.path)} appears twice`, index);
      if (order > 0) throw invalid('manifest files must be sorted by the UTF-8 bytes of their path', index);
    }
    previous = key;
    paths.add(file.path);
  });
  for (const [index, file] of files.entries()) {
    for (let slash = file.path.indexOf('/'); slash !== -1; slash = file.path.indexOf('/', slash + 1)) {
      const parent = file.path.slice(0, slash);
      if (paths.has(parent)) {
        throw invalid(`manifest path ${JSON.stringify(parent)} is both a file and a directory`, index);
      }
    }
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasExactKeys(value: Record<string, unknown>, keys: readonly string[]): boolean {
  const own = Object.keys(value).sort();
  return own.length === keys.length && own.every((key, i) => key === keys[i]);
}

function invalid(message: string, index?: number): InputError {
  return new InputError('INVALID_ARGUMENT', message, index === undefined ? {} : { details: { index } });
}
