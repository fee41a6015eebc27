// The page of a ledger entry that is not a promotion (genesis, policy, role grants, identity keys,
// deployments, rejections, revocations, population shifts): its stamp and its statement as stored.
// Promotions have the event page.
import { markup } from '../../review/html.js';
import { code, count, facts, time } from './fragments.js';
import type { LedgerEntryRow } from './ledger.js';
import { page } from './layout.js';
import { ledgerPath } from './paths.js';

export interface EntryPageData {
  readonly identity?: string;
  readonly entry: LedgerEntryRow;
  /** The in-toto statement the entry's envelope carries, as pretty-printed JSON. */
  readonly statement: string;
}

export function renderEntryPage(data: EntryPageData): string {
  const { entry } = data;
  const index = count(entry.index, 'an entry index');
  const body = markup`<p class="kicker">Ledger entry</p>
<h1>#${index}: ${entry.kind}</h1>
${facts([
  ['Index', index],
  ['Kind', entry.kind],
  ['Log time', time(entry.time)],
  ['Id', code(entry.id)],
])}
<p><a href="${ledgerPath({ prove: entry.index })}#prove">Prove its inclusion under the current checkpoint</a></p>
<section id="statement" aria-labelledby="statement-heading">
<h2 id="statement-heading">Statement</h2>
<pre>${data.statement}</pre>
</section>`;
  return page({ title: `Entry ${index}`, identity: data.identity, active: 'ledger', body });
}
