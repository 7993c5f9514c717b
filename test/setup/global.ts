import { ensureSystemPackages } from '../support/system-packages.js';

export default function setup(): void {
  ensureSystemPackages();
}
