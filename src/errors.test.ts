// messageOf: the message of any thrown value, and of Node's AggregateError for a refused connection.
import { describe, expect, it } from 'vitest';

import { messageOf, StoreError } from './errors.js';

describe('messageOf', () => {
  it('gives an error its message and anything else its string', () => {
    expect(messageOf(new StoreError('STORE_FAILURE', 'the disk is full'))).toBe('the disk is full');
    expect(messageOf('plain text')).toBe('plain text');
    expect(messageOf(42)).toBe('42');
  });

  it('spells out an AggregateError without a message (a refused connection to localhost) by its inner errors', () => {
    const refused = new AggregateError(
      [new Error('connect ECONNREFUSED ::1:5432'), new Error('connect ECONNREFUSED 127.0.0.1:5432')],
      '',
    );
    expect(messageOf(refused)).toBe('connect ECONNREFUSED ::1:5432; connect ECONNREFUSED 127.0.0.1:5432');
    expect(messageOf(new AggregateError([], ''))).toBe('connection failed');
    expect(messageOf(new AggregateError([new Error('x')], 'two failed'))).toBe('two failed');
  });
});
