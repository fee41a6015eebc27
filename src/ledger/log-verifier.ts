// Verifies a log from its raw parts, trusting nothing but the log's genesis key: every entry's signature,
// stamp (origin, index, time order) and shape; the root recomputed from the leaves; the checkpoint's
// signature and root; and, given an earlier checkpoint, that the log is consistent with it. Key rotations
// (`log-key` entries, log-keys.ts) are followed as they come: each entry and checkpoint must be signed by
// the key in force at its position, and an announcement must be signed by the key in force and carry the
// new key's proof of possession over a tree head of this log.
// Pure: it takes bytes and returns facts. The app layer and the standalone verifier feed it.
import { VerificationError, SignetError } from '../errors.js';
import { equalBytes, type Digest } from '../signing/digest.js';
import { openCheckpoint, type Checkpoint } from './checkpoint.js';
import { isRecord, openEntry, type OpenedEntry } from './entry.js';
import { GENESIS_KIND } from './genesis.js';
import {
  applyLogKeyRotation,
  LOG_KEY_KIND,
  LogKeys,
  readLogKeyRotation,
  type LogKeyEpoch,
} from './log-keys.js';
import { verifyEnvelope, parseEnvelope } from '../signing/dsse.js';
import { MemoryTree, verifyConsistency } from './merkle.js';

export interface LogVerifierOptions {
  readonly origin: string;
  /** The genesis key: the key the genesis entry must name, and the start of the chain of rotations. */
  readonly logPublicKey: Uint8Array;
}

export interface LogSummary {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Uint8Array;
  readonly kinds: Readonly<Record<string, number>>;
  readonly firstTime: string | undefined;
  readonly lastTime: string | undefined;
  /** The log's keys, the genesis key first, with the entries each signs (one until a rotation). */
  readonly logKeys: readonly LogKeyEpoch[];
}

export class LogVerifier {
  private readonly tree = new MemoryTree();
  private readonly kinds: Record<string, number> = {};
  private lastTime: string | undefined;
  private firstTime: string | undefined;
  private logKeys: LogKeys;

  constructor(private readonly options: LogVerifierOptions) {
    this.logKeys = LogKeys.fromGenesisKey(options.logPublicKey);
  }

  get size(): number {
    return this.tree.size;
  }

  /** The keys learned so far; `current` signs the next entry. */
  get keys(): LogKeys {
    return this.logKeys;
  }

  /**
   * Checks the next entry. `storedId` is the id the store files it under, when it has one: it must be
   * the SHA-256 of the envelope bytes.
   */
  add(envelope: Uint8Array, storedId?: Digest): OpenedEntry {
    const index = this.tree.size;
    let entry: OpenedEntry;
    const inForce = this.logKeys.current;
    try {
      entry = openEntry(envelope, inForce.publicKey);
    } catch (error) {
      throw entryError(index, error, this.otherSigner(envelope, inForce));
    }
    const fail = (message: string): never => {
      throw new VerificationError('INCONSISTENT_LOG', `entry ${index} (${entry.id}): ${message}`, {
        details: { index, id: entry.id },
      });
    };
    if (storedId !== undefined && storedId !== entry.id) {
      fail(`stored under id ${storedId}, but its bytes hash to ${entry.id}`);
    }
    const stamp = entry.statement.predicate.log;
    if (stamp.index !== index) fail(`its stamp says index ${stamp.index}`);
    if (stamp.origin !== this.options.origin) fail(`its stamp names origin ${JSON.stringify(stamp.origin)}`);
    if (this.lastTime !== undefined && stamp.time < this.lastTime) {
      throw new VerificationError(
        'TIME_WENT_BACKWARDS',
        `entry ${index} (${entry.id}): log time ${stamp.time} is before the previous entry's ${this.lastTime}`,
        { details: { index, id: entry.id } },
      );
    }
    if ((index === 0) !== (entry.kind === GENESIS_KIND)) {
      fail(index === 0 ? 'the first entry must be the genesis entry' : 'a second genesis entry');
    }
    if (index === 0) {
      // The genesis entry names the log: it must name the key and origin being verified.
      const problem = genesisMismatch(entry.statement.predicate, this.options);
      if (problem) fail(problem);
    }
    if (entry.kind === LOG_KEY_KIND) {
      // Announced by the key in force (just checked); the tree head it extends is recomputed here.
      const rotation = readLogKeyRotation(entry);
      this.logKeys = applyLogKeyRotation(
        this.logKeys,
        entry,
        rotation,
        this.tree.root(rotation.extends.size),
      );
    }
    this.tree.append(entry.leafHash);
    this.kinds[entry.kind] = (this.kinds[entry.kind] ?? 0) + 1;
    this.firstTime ??= stamp.time;
    this.lastTime = stamp.time;
    return entry;
  }

  /** Checks a signed checkpoint against the entries added so far (it may be of an earlier size). */
  checkCheckpoint(note: Uint8Array, what = 'checkpoint'): Checkpoint {
    let checkpoint: Checkpoint;
    try {
      checkpoint = openCheckpoint(note, this.options.origin, this.logKeys);
    } catch (error) {
      if (error instanceof SignetError) {
        throw new VerificationError(
          error.code === 'BAD_SIGNATURE' ? 'BAD_SIGNATURE' : 'INCONSISTENT_LOG',
          `${what}: ${error.message}`,
          { cause: error },
        );
      }
      throw error;
    }
    if (checkpoint.origin !== this.options.origin) {
      throw new VerificationError(
        'INCONSISTENT_LOG',
        `${what} is for origin ${JSON.stringify(checkpoint.origin)}`,
      );
    }
    if (checkpoint.size > this.tree.size) {
      throw new VerificationError(
        'INCONSISTENT_LOG',
        `${what} covers ${checkpoint.size} entries but the log has only ${this.tree.size}: entries are missing`,
        { details: { checkpointSize: checkpoint.size, entries: this.tree.size } },
      );
    }
    const root = this.tree.root(checkpoint.size);
    if (!equalBytes(root, checkpoint.rootHash)) {
      throw new VerificationError(
        'ROOT_MISMATCH',
        `${what} root for size ${checkpoint.size} differs from the root recomputed from the entries`,
        { details: { size: checkpoint.size } },
      );
    }
    return checkpoint;
  }

  /** Checks a consistency proof from an earlier checkpoint to the current tree, as a remote client would. */
  checkConsistencyProof(earlier: Checkpoint, proof: readonly Uint8Array[]): void {
    verifyConsistency(earlier.size, this.tree.size, earlier.rootHash, this.tree.root(this.tree.size), proof);
  }

  summary(): LogSummary {
    return {
      origin: this.options.origin,
      size: this.tree.size,
      rootHash: this.tree.root(this.tree.size),
      kinds: { ...this.kinds },
      firstTime: this.firstTime,
      lastTime: this.lastTime,
      logKeys: this.logKeys.epochs,
    };
  }

  // For the message only: which other known key signed an entry that the key in force did not (the
  // stale instance that kept signing with a retired key is the case worth naming).
  private otherSigner(envelope: Uint8Array, inForce: LogKeyEpoch): string | undefined {
    try {
      const parsed = parseEnvelope(envelope);
      for (const epoch of this.logKeys.epochs) {
        if (epoch === inForce) continue;
        try {
          verifyEnvelope(parsed, [epoch.publicKey]);
          return `it is signed by the retired log key ${epoch.keyId}, not by ${inForce.keyId}, the key in force`;
        } catch {
          // not this key
        }
      }
    } catch {
      // unparsable: the error itself says so
    }
    return undefined;
  }
}

function genesisMismatch(
  predicate: Readonly<Record<string, unknown>>,
  log: LogVerifierOptions,
): string | undefined {
  if (predicate['origin'] !== log.origin)
    return `the genesis entry names origin ${JSON.stringify(predicate['origin'])}`;
  const logKey = predicate['logKey'];
  const publicKey = isRecord(logKey) ? logKey['publicKey'] : undefined;
  if (typeof publicKey !== 'string' || !equalBytes(Buffer.from(publicKey, 'base64'), log.logPublicKey)) {
    return 'the genesis entry names another log key';
  }
  return undefined;
}

function entryError(index: number, error: unknown, signer?: string): VerificationError {
  if (error instanceof SignetError) {
    const code = error.code === 'BAD_SIGNATURE' ? 'BAD_SIGNATURE' : 'INCONSISTENT_LOG';
    const message = code === 'BAD_SIGNATURE' && signer !== undefined ? signer : error.message;
    return new VerificationError(code, `entry ${index}: ${message}`, {
      cause: error,
      details: { index },
    });
  }
  return new VerificationError('INCONSISTENT_LOG', `entry ${index}: ${String(error)}`, {
    details: { index },
  });
}
