import { describe, expect, it } from 'vitest';

import type { Policy } from '../../policy/index.js';
import { renderPolicyPage } from './policy.js';

const document: Policy = {
  version: 1,
  description: 'Retail credit models',
  defaults: {
    tier: 'standard',
    psi: { material: 0.25 },
    oncallRole: 'oncall',
    contexts: ['retail-credit/uk'],
  },
  tiers: {
    standard: {
      description: 'Reviewed downstream.',
      committee: { roles: ['model-risk', 'credit-risk'], quorum: 2 },
    },
    high: { committee: { roles: ['model-risk'], quorum: 3 } },
  },
  models: { churn: { oncallRole: 'ml-oncall' } },
};

describe('the policy page', () => {
  it('shows the policy in force: version, digest, who applied it and when, the document', () => {
    const html = renderPolicyPage({
      policy: {
        version: 2,
        digest: `sha256:${'7'.repeat(64)}`,
        appliedBy: 'admin@bank.example',
        appliedAt: '2026-11-01T08:00:00.000Z',
        text: 'version: 1\ndescription: "<b>"\n',
        format: 'yaml',
        document,
      },
    });
    expect(html).toContain('<h1>Materiality policy, version 2</h1>');
    expect(html).toContain('<dd>admin@bank.example</dd>');
    expect(html).toContain('The document (YAML)');
    expect(html).toContain('<pre>version: 1\ndescription: &quot;&lt;b&gt;&quot;\n</pre>');
  });

  it('summarises the on-call role and each tier committee', () => {
    const html = renderPolicyPage({
      policy: { version: 1, digest: 'd', appliedBy: 'a', appliedAt: 't', text: '{}', document },
    });
    expect(html).toContain('<dt>On-call role (default)</dt><dd><code>oncall</code></dd>');
    expect(html).toContain(
      '<tr><th scope="row">high</th><td>—</td><td>model-risk</td><td class="num">3</td></tr>',
    );
    expect(html).toContain(
      '<tr><th scope="row">standard</th><td>Reviewed downstream.</td><td>model-risk, credit-risk</td><td class="num">2</td></tr>',
    );
    expect(html).toContain('<th scope="row">churn</th><td class="muted">default</td><td>ml-oncall</td>');
    expect(html).toContain('The document (JSON)');
  });

  it('says what holds when no policy is in force', () => {
    expect(renderPolicyPage({})).toContain('No materiality policy is in force.');
  });
});
