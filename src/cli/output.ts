// Where the CLI writes. Injected so that tests can run commands in process and read what they printed.

export interface Output {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether stderr is a terminal (progress bars only there). */
  readonly isTTY: boolean;
  /** Set by a command that printed JSON, so that an error is also printed as JSON. */
  json: boolean;
  /** Set by a command whose answer is "no" (exit 1) without an error. */
  exitCode: number | undefined;
}

export function createOutput(): Output {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    isTTY: Boolean(process.stderr.isTTY),
    json: false,
    exitCode: undefined,
  };
}

/** Prints a value as JSON with a trailing newline. */
export function printJson(out: Output, value: unknown): void {
  out.stdout(JSON.stringify(value, null, 2) + '\n');
}
