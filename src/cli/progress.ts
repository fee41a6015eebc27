// A progress bar on stderr for long work over a known number of bytes (hashing, ingesting traffic).
import { performance } from 'node:perf_hooks';

import { SingleBar } from 'cli-progress';

import type { Output } from './output.js';

/** Inputs larger than this get a progress bar (on a terminal, without --json). */
export const PROGRESS_THRESHOLD_BYTES = 256 * 1024 * 1024;

export interface Progress {
  readonly update: (done: number, total: number) => void;
  readonly stop: () => void;
}

// A bar on stderr with bytes, rate and ETA — only on a terminal and for inputs large enough to wait for;
// never on a pipe or with --json, where it would be noise in someone's logs.
export function createProgress(out: Output, wanted: boolean, verb: string): Progress {
  let bar: SingleBar | undefined;
  let started = 0;
  const payload = (done: number): { done: string; rate: string } => {
    const seconds = (performance.now() - started) / 1000;
    return { done: formatBytes(done), rate: seconds > 0 ? `${formatBytes(done / seconds)}/s` : '-' };
  };
  return {
    update: (done, total) => {
      if (!wanted || !out.isTTY || total <= PROGRESS_THRESHOLD_BYTES) return;
      if (bar === undefined) {
        started = performance.now();
        bar = new SingleBar({
          format: `${verb} {bar} {percentage}% | {done} of {totalText} | {rate} | ETA {eta_formatted}`,
          hideCursor: true,
          clearOnComplete: true,
          etaBuffer: 50,
          // Through Output, so tests can read it. cli-progress only calls write() and reads isTTY and
          // columns (readline's cursor helpers write escape sequences through write()).
          stream: {
            isTTY: true,
            columns: process.stderr.columns || 80,
            write: (text: string) => {
              out.stderr(text);
              return true;
            },
          } as unknown as NodeJS.WritableStream,
        });
        bar.start(total, done, { ...payload(done), totalText: formatBytes(total) });
        return;
      }
      bar.update(done, payload(done));
    },
    stop: () => bar?.stop(),
  };
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}
