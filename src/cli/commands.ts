// Registers every command on the program. One file per command family.
import type { Command } from 'commander';

import path from 'node:path';

import { homeExists, OBJECTS_DIR, resolveHomeDir } from '../app/home.js';
import { createFsObjectStore } from '../store/fs-object-store.js';
import { registerDemoCommand } from './demo.js';
import { registerHashCommand } from './hash.js';
import { registerInitCommand } from './init.js';
import { registerLogCommands } from './log.js';
import { registerObjectCommands } from './object.js';
import type { Output } from './output.js';
import { registerPeopleCommands } from './people.js';
import { registerPolicyCommands } from './policy.js';
import { registerPromotionCommands } from './promotion.js';
import { registerVerifyCommand } from './verify.js';

export function registerCommands(program: Command, out: Output): void {
  registerInitCommand(program, out);
  registerHashCommand(program, out, {
    // A directory's manifest is stored as an object when there is a home to store it in.
    openObjectStore: async () => {
      const dir = resolveHomeDir();
      return homeExists(dir) ? createFsObjectStore(path.join(dir, OBJECTS_DIR)) : undefined;
    },
  });
  registerDemoCommand(program, out);
  registerObjectCommands(program, out);
  registerLogCommands(program, out);
  registerVerifyCommand(program, out);
  registerPeopleCommands(program, out);
  registerPolicyCommands(program, out);
  registerPromotionCommands(program, out);
}
