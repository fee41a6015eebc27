// Registers every command on the program. One file per command family.
import type { Command } from 'commander';

import type { Output } from './output.js';

export function registerCommands(_program: Command, _out: Output): void {}
