// Registers every command on the program. One file per command family.
import type { Command } from 'commander';

import { registerInitCommand } from './init.js';
import { registerLogCommands } from './log.js';
import { registerObjectCommands } from './object.js';
import type { Output } from './output.js';
import { registerPeopleCommands } from './people.js';
import { registerVerifyCommand } from './verify.js';

export function registerCommands(program: Command, out: Output): void {
  registerInitCommand(program, out);
  registerObjectCommands(program, out);
  registerLogCommands(program, out);
  registerVerifyCommand(program, out);
  registerPeopleCommands(program, out);
}
