// Registering a model or a dataset uploaded first as an object (single-file artefacts): the object is
// copied out of the store (re-hashed on the way) into a temporary file, and registered from there as
// the CLI registers a file, so the record is the same whichever way it came.
import path from 'node:path';

import { getToFile } from '../../app/objects.js';
import { registerDataset, registerModel } from '../../app/register.js';
import { InputError } from '../../errors.js';
import type { Digest } from '../../signing/digest.js';
import { callerOf } from '../auth.js';
import { readBody, type ApiApp, type RouteDeps } from '../deps.js';
import { withTempDir, writeJsonFile } from '../temp.js';

interface RegisterModelBody {
  readonly name: string;
  readonly artefact: Digest;
  readonly class?: string;
  readonly family?: string;
  readonly hyperparameters?: Record<string, unknown>;
  readonly inputContract?: Record<string, unknown>;
}

interface RegisterDatasetBody {
  readonly label: string;
  readonly artefact: Digest;
  readonly format?: string;
}

export function registerRegistrationRoutes(app: ApiApp, deps: RouteDeps): void {
  const { home } = deps;

  app.post('/v1/models', async (c) => {
    callerOf(c);
    const body = await readBody<RegisterModelBody>(c, deps, 'RegisterModelRequest');
    const result = await withTempDir(home, async (dir) => {
      const file = await copyObject(deps, body.artefact, dir, 'model');
      return registerModel(home, file, {
        name: body.name,
        ...(body.class !== undefined ? { class: body.class } : {}),
        ...(body.family !== undefined ? { family: body.family } : {}),
        ...(body.hyperparameters !== undefined
          ? { hyperparametersFile: await writeJsonFile(dir, 'hyperparameters.json', body.hyperparameters) }
          : {}),
        ...(body.inputContract !== undefined
          ? { inputContractFile: await writeJsonFile(dir, 'input-contract.json', body.inputContract) }
          : {}),
      });
    });
    return c.json({ registration: result.registration, ...result.record }, 201);
  });

  app.post('/v1/datasets', async (c) => {
    callerOf(c);
    const body = await readBody<RegisterDatasetBody>(c, deps, 'RegisterDatasetRequest');
    const result = await withTempDir(home, async (dir) => {
      // Without a format the file has no extension, so the format is `unknown`, as for such a file.
      const file = await copyObject(deps, body.artefact, dir, 'dataset');
      return registerDataset(home, file, {
        label: body.label,
        ...(body.format !== undefined ? { format: body.format } : {}),
      });
    });
    return c.json(
      {
        registration: result.registration,
        ...result.record,
        ...(result.unprofiled !== undefined ? { unprofiled: result.unprofiled } : {}),
      },
      201,
    );
  });
}

async function copyObject({ home }: RouteDeps, digest: Digest, dir: string, name: string): Promise<string> {
  if (!(await home.objects.has(digest))) {
    throw new InputError(
      'NOT_FOUND',
      `object ${digest} is not in the store: upload the artefact first (PUT /v1/objects/${digest})`,
      { details: { digest } },
    );
  }
  const file = path.join(dir, name);
  await getToFile(home.objects, digest, file);
  return file;
}
