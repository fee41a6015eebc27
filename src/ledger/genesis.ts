// The genesis entry: the first entry of every log. It names the log key and states that the discipline
// starts at this entry's log time and applies forward only: earlier promotions are never recorded as
// events (DESIGN invariant 7; the seed's "Don't try to retrofit historical promotions").
import { digestOfBytes } from '../signing/digest.js';
import { predicateTypeOf, subjectOf, type EntryDraft } from './entry.js';

export const GENESIS_KIND = 'genesis';
export const GENESIS_PREDICATE_TYPE = predicateTypeOf(GENESIS_KIND);

export const DISCIPLINE_STATEMENT =
  'Model promotions are recorded in this log as sealed events from the log time of this genesis entry ' +
  'forward. No earlier promotion is recorded as an event; older models may carry legacy evidence, ' +
  'labelled as such, never as events.';

export interface GenesisInput {
  readonly origin: string;
  /** Raw 32-byte Ed25519 public key of the log. */
  readonly logPublicKey: Uint8Array;
  /** The first admin: their identity and raw Ed25519 public key. */
  readonly admin?: { readonly identity: string; readonly publicKey: Uint8Array };
}

export function createGenesisDraft(input: GenesisInput): EntryDraft {
  const keyDigest = digestOfBytes(input.logPublicKey);
  return {
    subject: [subjectOf('log-key', keyDigest)],
    predicateType: GENESIS_PREDICATE_TYPE,
    predicate: {
      origin: input.origin,
      logKey: {
        algorithm: 'ed25519',
        publicKey: Buffer.from(input.logPublicKey).toString('base64'),
        digest: keyDigest,
      },
      discipline: {
        startsAt: 'log.time',
        forwardOnly: true,
        statement: DISCIPLINE_STATEMENT,
      },
      ...(input.admin
        ? {
            admin: {
              identity: input.admin.identity,
              scheme: 'ed25519',
              publicKey: Buffer.from(input.admin.publicKey).toString('base64'),
            },
          }
        : {}),
    },
  };
}
