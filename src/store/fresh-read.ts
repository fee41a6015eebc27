// Reads shared by concurrent callers without ever answering from the past. Callers that ask for the same
// key while no read of it has been sent yet share one read; a caller that arrives while a read is in
// flight does not join it — that read may have been sent before a change the caller must see was
// committed (a revoked token, say) — but the next one, sent as soon as the one in flight settles and
// shared by everyone who arrived meanwhile. So each caller gets the result of a read that started after
// it called, as it would alone, and under load one read answers many callers (one database round trip
// per request was the bottleneck of the gate under load on PostgreSQL).

interface KeyState<V> {
  /** The read sent and not yet settled. */
  running?: Promise<V> | undefined;
  /** The read that callers arriving now join: it is sent when `running` settles (or at once). */
  next?: Promise<V> | undefined;
}

const ignore = (): void => undefined;

/**
 * Wraps `read` so that concurrent calls for the same key share reads that start after each call. The key
 * is `keyOf(args)` (the arguments themselves by default); a shared read is made with the arguments of
 * the call that started waiting for it, so calls with one key must ask the same question.
 *
 * @example
 * const findToken = coalesceReads((hash: string) => auth.findTokenByHash(hash));
 * const [a, b] = await Promise.all([findToken(h), findToken(h)]); // one query
 */
export function coalesceReads<A, V>(
  read: (args: A) => Promise<V>,
  keyOf: (args: A) => unknown = (args) => args,
): (args: A) => Promise<V> {
  const states = new Map<unknown, KeyState<V>>();
  return (args) => {
    const key = keyOf(args);
    let state = states.get(key);
    if (state === undefined) {
      state = {};
      states.set(key, state);
    }
    if (state.next !== undefined) return state.next;
    const current = state;
    const after = current.running ? current.running.then(ignore, ignore) : Promise.resolve();
    const next = after.then(() => {
      current.next = undefined;
      const running = read(args);
      current.running = running;
      const settled = (): void => {
        if (current.running !== running) return;
        current.running = undefined;
        // Forget idle keys; a key with a read still to send keeps its state.
        if (current.next === undefined && states.get(key) === current) states.delete(key);
      };
      running.then(settled, settled);
      return running;
    });
    current.next = next;
    return next;
  };
}
