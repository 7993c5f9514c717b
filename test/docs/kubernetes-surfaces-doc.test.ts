// docs/kubernetes-surfaces.md documents every flag of the collector's writes, and its examples use
// the reason and condition type the code writes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KUBE_WRITE_FLAGS } from '../../src/cli/commands/collector-write-flags.js';
import { CONDITION_TYPE } from '../../src/core/kube-writes/node-condition.js';
import { EVENT_REASON } from '../../src/core/kube-writes/events.js';
import { REPO } from '../support/cli.js';

const doc = readFileSync(`${REPO}/docs/kubernetes-surfaces.md`, 'utf8');

describe('docs/kubernetes-surfaces.md', () => {
  it('documents every write flag', () => {
    for (const flag of Object.keys(KUBE_WRITE_FLAGS)) expect(doc, flag).toContain(`--${flag}`);
  });

  it('names the condition type and Event reason the collector writes', () => {
    expect(doc).toContain(`  ${CONDITION_TYPE}  False`);
    expect(doc).toContain(`Warning   ${EVENT_REASON}`);
  });
});
