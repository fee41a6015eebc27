import { describe, expect, it } from 'vitest';

import { renderModelsPage } from './models.js';

const D = (c: string): string => `sha256:${c.repeat(64)}`;
const T = '2026-11-02T09:15:00.000Z';

describe('the models page', () => {
  it('shows each model: versions by digest, their promotions with route and context, their deployments', () => {
    const html = renderModelsPage({
      models: [
        {
          name: 'credit-scorecard',
          versions: [
            {
              digest: D('a'),
              promotions: [
                {
                  entry: { index: 42, id: D('1'), time: T },
                  context: 'retail-credit/uk',
                  route: { materiality: 'low', tier: 'standard' },
                },
                {
                  entry: { index: 45, id: D('2'), time: T },
                  context: 'retail-credit/ie',
                  route: { materiality: 'material', tier: 'high' },
                  revokedBy: { index: 46, id: D('3'), time: T },
                },
              ],
              deployments: [
                {
                  entry: { index: 43, id: D('4'), time: T },
                  context: 'retail-credit/uk',
                  decision: 'allow',
                  requestedBy: 'deployer@bank.example',
                },
                {
                  entry: { index: 44, id: D('5'), time: T },
                  context: 'retail-credit/fr',
                  decision: 'deny',
                  reasons: ['no promotion'],
                },
              ],
            },
            { digest: D('b'), promotions: [], deployments: [] },
          ],
        },
      ],
      deployments: { from: 40, to: 46, perVersion: 20 },
    });
    expect(html).toContain('<h2>credit-scorecard</h2>');
    expect(html).toContain(`<h3>Version <code>${D('a')}</code></h3>`);
    expect(html).toContain('<td><a href="/ledger/42"');
    expect(html).toContain(
      '<td>retail-credit/uk</td><td><span class="badge route-low">low</span></td><td>standard</td><td>in force</td>',
    );
    expect(html).toContain('revoked</span> by <a href="/ledger/46"');
    expect(html).toContain(
      '<td>retail-credit/uk</td><td>deployer@bank.example</td><td><span class="badge decision-allow">✓ allow</span>',
    );
    expect(html).toContain(
      '<td>retail-credit/fr</td><td><span class="muted">signet gate on the home</span></td><td><span class="badge decision-deny">',
    );
    expect(html).toContain(
      '<span class="badge decision-deny">✗ deny</span></td><td><span class="pre-text">no promotion</span>',
    );
    expect(html).toContain('No promotion sealed for this version.');
    expect(html).toContain('No deployment was asked for among entries #40–#46 of the log.');
    expect(html).toContain(
      '<caption>Deployments (gate decisions): the latest 20, newest first, among entries #40–#46 of the log</caption>',
    );
    expect(html).toContain('<a href="/models" aria-current="page">Models</a>');
  });

  it('says when there is nothing yet', () => {
    const html = renderModelsPage({ models: [], deployments: { from: 0, to: -1, perVersion: 20 } });
    expect(html).toContain('No model has been promoted yet.');
    expect(html).toContain('the entries of the log (none yet)');
  });

  it('says which entries the gate decisions were looked for in: all of a short log', () => {
    const html = renderModelsPage({
      models: [{ name: 'm', versions: [{ digest: D('c'), promotions: [], deployments: [] }] }],
      deployments: { from: 0, to: 11, perVersion: 5 },
    });
    expect(html).toContain('(at most 5, newest first, among all 12 entries of the log)');
    expect(html).toContain('No deployment was asked for among all 12 entries of the log.');
  });
});
