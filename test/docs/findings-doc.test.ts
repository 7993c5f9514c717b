import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderFindingsDoc } from '../../scripts/findings-doc.js';
import { REPO } from '../support/cli.js';

describe('docs/findings.md', () => {
  it('is generated from the current catalogue (run `npm run docs` after changing it)', () => {
    expect(readFileSync(`${REPO}/docs/findings.md`, 'utf8')).toBe(renderFindingsDoc());
  });
});
