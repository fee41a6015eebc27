// People's Ed25519 keys live in their own config folder — `$SIGNET_KEYS_DIR`, else
// `$XDG_CONFIG_HOME/signet/keys`, else `~/.config/signet/keys` — never inside a Signet home, so that
// whoever can read the home (or a backup of it) cannot sign as its users.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';

import { assertIdentityId } from '../authority/actor.js';
import { InputError } from '../errors.js';
import { createSigner, generateKeyPair, keyIdOf, publicKeyFromPem, type Signer } from '../signing/keys.js';
import { isCode } from '../store/fs-object-store.js';
import { resolveHomeDir } from './home.js';

export function resolveKeysDir(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env['SIGNET_KEYS_DIR'];
  if (explicit) return path.resolve(explicit);
  const config = env['XDG_CONFIG_HOME'] || path.join(homedir(), '.config');
  return path.resolve(config, 'signet', 'keys');
}

export interface UserKeyFiles {
  readonly identity: string;
  readonly keyId: string;
  readonly privateKeyFile: string;
  readonly publicKeyFile: string;
}

function filesOf(dir: string, identity: string): { privateKeyFile: string; publicKeyFile: string } {
  return {
    privateKeyFile: path.join(dir, `${identity}.key.pem`),
    publicKeyFile: path.join(dir, `${identity}.pub.pem`),
  };
}

export async function createUserKey(
  identity: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<UserKeyFiles> {
  assertIdentityId(identity, '--identity');
  const dir = resolveKeysDir(env);
  const home = resolveHomeDir(env);
  if (dir === home || dir.startsWith(home + path.sep)) {
    throw new InputError(
      'INVALID_ARGUMENT',
      `the keys folder ${dir} is inside the Signet home ${home}; keep keys out of it`,
    );
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const keys = generateKeyPair();
  const files = filesOf(dir, identity);
  try {
    await writeFile(files.privateKeyFile, keys.privatePem, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if (isCode(error, 'EEXIST')) {
      throw new InputError(
        'INVALID_ARGUMENT',
        `a key for ${identity} already exists at ${files.privateKeyFile}`,
      );
    }
    throw error;
  }
  await chmod(files.privateKeyFile, 0o600);
  await writeFile(files.publicKeyFile, keys.publicPem, { mode: 0o644 });
  return { identity, keyId: keyIdOf(keys.publicKey), ...files };
}

/** The signer of `identity` (for `--as ID`), from the user's keys folder. */
export async function loadUserSigner(
  identity: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Signer> {
  assertIdentityId(identity, '--as');
  const { privateKeyFile } = filesOf(resolveKeysDir(env), identity);
  let pem: string;
  try {
    pem = await readFile(privateKeyFile, 'utf8');
  } catch (error) {
    if (isCode(error, 'ENOENT')) {
      throw new InputError(
        'NOT_FOUND',
        `no key for ${identity} in ${path.dirname(privateKeyFile)}: run \`signet keys create --identity ${identity}\``,
      );
    }
    throw error;
  }
  return createSigner(pem);
}

/** Reads a PEM public key file given on the command line. */
export async function readPublicKeyFile(file: string, what: string): Promise<Uint8Array> {
  let pem: string;
  try {
    pem = await readFile(file, 'utf8');
  } catch {
    throw new InputError('NOT_FOUND', `cannot read the ${what} file ${file}`);
  }
  return publicKeyFromPem(pem);
}
