import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderCausesDoc, renderFindingsDoc } from '../../scripts/findings-doc.js';
import { REPO } from '../support/cli.js';

describe('docs/findings.md', () => {
  it('is generated from the current catalogue (run `npm run docs` after changing it)', () => {
    expect(readFileSync(`${REPO}/docs/findings.md`, 'utf8')).toBe(renderFindingsDoc());
  });
});

describe('docs/causes.md', () => {
  it('is generated from the current cause catalogue (run `npm run docs` after changing it)', () => {
    expect(readFileSync(`${REPO}/docs/causes.md`, 'utf8')).toBe(renderCausesDoc());
  });
});
