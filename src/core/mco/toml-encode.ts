// Encodes a RegistriesConfValue exactly as BurntSushi/toml's Encoder (v1.2–v1.5, as vendored by the
// MCO) writes the Go struct: plain keys first in struct order, then tables; two-space indentation
// per nesting level; a blank line before each table header; `prefix` and `short-name-mode` always
// written, `omitempty` fields only when set; nil lists and maps omitted.
import type { EndpointValue, RegistriesConfValue, RegistryValue } from './registries-model.js';

const CONTROL_ESCAPES: Readonly<Record<string, string>> = {
  '\b': '\\b',
  '\t': '\\t',
  '\n': '\\n',
  '\f': '\\f',
  '\r': '\\r',
};

/** BurntSushi `writeQuoted` (its dblQuotedReplacer). */
export function tomlQuote(s: string): string {
  if (/^[\x20\x21\x23-\x5b\x5d-\x7e]*$/.test(s)) return `"${s}"`;
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (CONTROL_ESCAPES[ch] !== undefined) out += CONTROL_ESCAPES[ch];
    else if (cp < 0x20 || cp === 0x7f) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : tomlQuote(key);
}

function stringArray(list: readonly string[]): string {
  return `[${list.map(tomlQuote).join(', ')}]`;
}

class Writer {
  private out = '';

  /** `enc.newline()`: nothing before the first byte. */
  newline(): void {
    if (this.out !== '') this.out += '\n';
  }

  keyValue(indent: string, key: string, value: string): void {
    this.out += `${indent}${tomlKey(key)} = ${value}`;
    this.newline();
  }

  header(indent: string, text: string): void {
    this.newline();
    this.out += `${indent}${text}`;
    this.newline();
  }

  text(): string {
    return this.out;
  }
}

function endpointFields(w: Writer, indent: string, e: EndpointValue): void {
  if (e.location !== '') w.keyValue(indent, 'location', tomlQuote(e.location));
  if (e.insecure) w.keyValue(indent, 'insecure', 'true');
  if (e.pullFromMirror !== '') w.keyValue(indent, 'pull-from-mirror', tomlQuote(e.pullFromMirror));
}

function registryTable(w: Writer, reg: RegistryValue): void {
  w.header('', '[[registry]]');
  w.keyValue('  ', 'prefix', tomlQuote(reg.prefix));
  endpointFields(w, '  ', reg);
  if (reg.blocked) w.keyValue('  ', 'blocked', 'true');
  if (reg.mirrorByDigestOnly) w.keyValue('  ', 'mirror-by-digest-only', 'true');
  for (const mirror of reg.mirrors) {
    w.header('  ', '[[registry.mirror]]');
    endpointFields(w, '    ', mirror);
  }
}

export interface EncodeOptions {
  /** containers/image ≥ 5.30 has `additional-layer-store-auth-helper` (no omitempty). */
  readonly alsHelperField: boolean;
}

export function encodeRegistriesConf(conf: RegistriesConfValue, options: EncodeOptions): string {
  const w = new Writer();
  // An empty (non-nil) registry list is a plain array value, and comes first in struct order.
  if (conf.registries !== null && conf.registries.length === 0) w.keyValue('', 'registry', '[]');
  if (conf.unqualifiedSearchRegistries !== null)
    w.keyValue('', 'unqualified-search-registries', stringArray(conf.unqualifiedSearchRegistries));
  if (conf.credentialHelpers !== null)
    w.keyValue('', 'credential-helpers', stringArray(conf.credentialHelpers));
  w.keyValue('', 'short-name-mode', tomlQuote(conf.shortNameMode));
  if (options.alsHelperField)
    w.keyValue('', 'additional-layer-store-auth-helper', tomlQuote(conf.additionalLayerStoreAuthHelper));
  for (const reg of conf.registries ?? []) registryTable(w, reg);
  if (conf.aliases !== null) {
    w.header('', '[aliases]');
    const keys = [...conf.aliases.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const key of keys) w.keyValue('  ', key, tomlQuote(conf.aliases.get(key)!));
  }
  return w.text();
}
