// The agent ⇄ collector WebSocket protocol, version 1. One module, shared by both ends, so the
// schema is written down once. Every message is one JSON text frame `{"v":1,"type":…,…}`.
//
// agent → collector
//   hello         first message after the upgrade: who the agent is and what it runs on
//   snapshot      the agent's whole current state (after welcome, after every reconnect, on request);
//                 its findings as bodies (`findings`) or, to a collector that offers it, as digests
//                 (`findingRefs`, see below)
//   delta         findings that appeared or cleared since the last snapshot/delta
//   finding-bodies  the answer to a findings-request: the JSON text of each finding asked for
//   trace-result  the answer to a trace-request
//   heartbeat     every heartbeatIntervalMs, so a live agent whose scans are quiet is not "silent"
// collector → agent
//   welcome       the answer to hello: heartbeat interval, the collector's version, and
//                 `findingDigests: true` when it takes snapshots by reference
//   images        every image the pods on this node use (replaces the previous set), and the
//                 node's containerRuntimeVersion (the CRI-O version the agent simulates)
//   trace-request run a trace on this node (optionally for a pod namespace) and answer with trace-result
//   snapshot-request  send a fresh snapshot
//   findings-request  send the bodies of these digests of snapshot `seq` (finding-bodies)
//
// The collector never needs history: a reconnecting agent sends hello + snapshot, and the snapshot
// replaces everything the collector knew about that node.
//
// Findings by reference (additive to v1). The nodes of a pool mostly report the same findings, so
// resending their bodies in every snapshot is most of the collector's ingest work. A finding's
// digest is the base64url SHA-256 of its JSON text exactly as the agent serializes it
// (`JSON.stringify`, see finding-digest.ts). A collector that keeps a table of bodies says
// `findingDigests: true` in welcome; only then does an agent send `findingRefs` (the digests, in
// the order of its findings) instead of `findings`, so an old agent (always bodies) works with a
// new collector, and a new agent with an old collector (no capability: bodies). The agent sends
// its snapshot after welcome, once it knows. The collector looks each digest up; for those it does
// not hold it sends findings-request {seq, digests}, and the agent answers with finding-bodies
// {seq, bodies}; the snapshot is applied when every body is there (the deltas sent meanwhile after
// it, in order). An agent asked for what it no longer has sends a full snapshot instead. Deltas keep
// their bodies: they carry what changed on one node, which the collector mostly does not hold.
// The collector hashes every body it receives and refuses (closes the connection) a body that is
// not the text of a digest it asked for, so no agent can make another node report its text. Its
// table is a bounded cache; a miss only costs asking again.
// What a reference tells the agent: whether the collector holds a finding with that exact text (it
// is not asked for it). A snapshot can test many guesses at once, so no rate makes this expensive;
// it is harmless because findings carry no secrets by construction (credentials never appear in a
// finding), a guess must be a whole finding byte for byte (key, message, node-specific text), and
// the answer is one bit about a text the guesser already has: at most that some node reports it
// (what any reader of the report sees); so the collector does not hide it.
//
// Bodies inline (additive to v1). The request above costs a round trip per connection, which in a
// reconnect storm is most of what remains of the collector's work per agent. So a collector's
// welcome may also carry `findingFilter` (finding-filter.ts): a Bloom filter of the digests it
// holds for the hello's configHash (those that two nodes of that class sent though it held them:
// what the class shares), cached per class and bounded (at most 6,144 digests, 16 KiB; a class that
// shares more gets none). An agent so welcomed sends `findingRefs` for every finding plus
// `findingBodies`: the texts of the digests the filter lacks, in the order of their references (at
// most 512 Ki characters of them; the rest are left to the request). The collector hashes each
// inline body as it hashes finding-bodies: one that is not the text of the next reference with its
// digest (forged, unasked, twice, out of order) or not a finding closes the connection (1008), and
// nothing of the message is kept. A false positive (a digest the filter claims and the table lacks) falls
// back to findings-request; a body inline that the collector held costs only its bytes. An older
// agent ignores the filter (references, then the request); an older collector sends none, and a
// newer agent then sends references only. An empty filter (an unknown class) asks for every body.
// What the filter tells an agent: the same bit per text as a reference (above), now before it asks,
// for the held digests of the class it names in hello (any class: hello's configHash is the
// agent's word), blurred by false positives, plus roughly how many digests that class shares (the
// filter's size, a power of two). Its bits cannot be turned back into digests, let alone texts:
// testing a text needs the text. So it reveals nothing a snapshot by reference does not, and the
// same reasoning holds: not hidden.
import { SEVERITIES, type NodeFinding, type Severity } from '../core/findings/types.js';
import type { ConfigFileDigest, HostProbe, ImageStatus, RuntimeInfo } from '../core/node-state.js';
import type { NodeAuthState, SourceCredentialStatus } from '../core/credentials/source-credentials.js';
import { isOverridablePath } from '../core/what-if/overridable-paths.js';
import { FindingFilter, MAX_FILTER_BITS, type WireFindingFilter } from './finding-filter.js';

export const PROTOCOL_VERSION = 1;
/** WebSocket `maxPayload` on both ends; a snapshot of 300 images with all findings fits easily. */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/** Path of the agent endpoint on the collector. */
export const AGENT_PATH = '/api/v1/agents';
/** The collector's what-if endpoint (POST runs one, GET answers the last). */
export const WHAT_IF_PATH = '/api/v1/what-if';
/** Audience of the projected service-account token the agent presents. */
export const TOKEN_AUDIENCE = 'mirrorscope';

/** A finding as it travels: the node finding, exactly (defined once, in core). */
export type WireFinding = NodeFinding;

export type { ConfigFileDigest, HostProbe, ImageStatus, RuntimeInfo } from '../core/node-state.js';

export interface HelloMessage {
  readonly v: 1;
  readonly type: 'hello';
  readonly node: string;
  readonly agentVersion: string;
  readonly configHash: string;
  readonly pod: { readonly name: string | null; readonly namespace: string | null };
}

export interface SnapshotMessage {
  readonly v: 1;
  readonly type: 'snapshot';
  readonly seq: number;
  readonly generatedAt: string;
  readonly configHash: string;
  /** Hash and path of every config file read, for drift detection against the pool's rendered config. */
  readonly files: readonly ConfigFileDigest[];
  readonly findings: readonly WireFinding[];
  readonly hosts: readonly HostProbe[];
  readonly images: readonly ImageStatus[];
  readonly scan: { readonly at: string; readonly durationMs: number; readonly probes: number } | null;
  readonly runtime?: RuntimeInfo;
}

/** A snapshot whose findings travel as digests (only to a collector that welcomed with `findingDigests`). */
export interface SnapshotRefsMessage extends Omit<SnapshotMessage, 'findings'> {
  /**
   * The base64url SHA-256 of each finding's JSON text, in the order of the agent's findings. The
   * parser checks only that each is a 43-character string: the collector checks the form of those
   * its table does not hold (isFindingDigest), since a digest it holds is well-formed already.
   */
  readonly findingRefs: readonly string[];
  /**
   * The texts of the findings whose digests the welcome's `findingFilter` lacks, in the order of
   * their references (each distinct text once). Only after a welcome with a filter. Optional.
   */
  readonly findingBodies?: readonly string[];
}

/** The answer to a findings-request: each body's JSON text, exactly as its digest was taken. */
export interface FindingBodiesMessage {
  readonly v: 1;
  readonly type: 'finding-bodies';
  /** The `seq` of the snapshot the request was about. */
  readonly seq: number;
  readonly bodies: readonly string[];
}

export interface DeltaMessage {
  readonly v: 1;
  readonly type: 'delta';
  readonly seq: number;
  readonly configHash: string;
  readonly added: readonly WireFinding[];
  readonly cleared: readonly string[];
  readonly hosts: readonly HostProbe[];
  readonly images: readonly ImageStatus[];
}

export interface TraceResultMessage {
  readonly v: 1;
  readonly type: 'trace-result';
  readonly requestId: string;
  /** The same JSON document `mirrorscope trace --json` prints, or null with an error. */
  readonly trace: unknown;
  readonly error: { readonly code: string; readonly message: string } | null;
}

export interface HeartbeatMessage {
  readonly v: 1;
  readonly type: 'heartbeat';
  readonly seq: number;
  readonly at: string;
}

export type AgentMessage =
  | HelloMessage
  | SnapshotMessage
  | SnapshotRefsMessage
  | DeltaMessage
  | FindingBodiesMessage
  | TraceResultMessage
  | HeartbeatMessage;

export interface WelcomeMessage {
  readonly v: 1;
  readonly type: 'welcome';
  readonly collectorVersion: string;
  readonly heartbeatIntervalMs: number;
  /** The collector takes snapshots with `findingRefs` and asks for the bodies it lacks. Optional. */
  readonly findingDigests?: boolean;
  /**
   * With findingDigests: the digests the collector holds for the hello's configHash; the snapshot
   * then carries the bodies the filter lacks inline (`findingBodies`). Optional.
   */
  readonly findingFilter?: WireFindingFilter;
}

export interface ImagesMessage {
  readonly v: 1;
  readonly type: 'images';
  /** Increases with every change; the agent ignores an older generation. */
  readonly generation: number;
  readonly images: readonly string[];
  /**
   * The node's `status.nodeInfo.containerRuntimeVersion` (e.g. `cri-o://1.29.4-2.rhaos4.16.el9`),
   * null when the collector does not know it. Optional: a collector before 0.2 omits it.
   */
  readonly runtimeVersion?: string | null;
}

export interface TraceRequestMessage {
  readonly v: 1;
  readonly type: 'trace-request';
  readonly requestId: string;
  readonly image: string;
  readonly all: boolean;
  readonly timeoutMs: number;
  /** The pod's namespace: CRI-O ≥ 1.28 verifies with signature_policy_dir/<namespace>.json. Optional. */
  readonly namespace?: string | null;
  /**
   * For a trace of a pod's pull: the credentials the kubelet would send, in its order (pod pull
   * secrets matched as its keyring matches). Secret values: only over the authenticated link, never
   * logged. Optional.
   */
  readonly pullCredentials?: readonly WirePullCredential[];
  /**
   * What-if: trace with these files in place of the node's, for this trace only (never written to
   * disk). Optional. An agent that honours it says so in its answer (`trace.configOverride`, the
   * paths it replaced); an older agent ignores it, so an answer without that is not a what-if.
   */
  readonly config?: ConfigOverride | null;
}

export interface WirePullCredential {
  /** `namespace/name` of the Secret, and the key that matched: for the trace's text. */
  readonly secret: string;
  readonly key: string;
  readonly username: string;
  readonly password: string;
}

/** The most a configuration override may carry, all its files together. */
export const MAX_CONFIG_OVERRIDE_BYTES = 1024 * 1024;

export interface ConfigOverride {
  /** Node path → the file's text, or null: the file is absent. Only the files the MCO's registries rendering writes. */
  readonly files: Readonly<Record<string, string | null>>;
}

export interface SnapshotRequestMessage {
  readonly v: 1;
  readonly type: 'snapshot-request';
}

export interface FindingsRequestMessage {
  readonly v: 1;
  readonly type: 'findings-request';
  /** The `seq` of the snapshot whose references these are. */
  readonly seq: number;
  readonly digests: readonly string[];
}

export type CollectorMessage =
  WelcomeMessage | ImagesMessage | TraceRequestMessage | SnapshotRequestMessage | FindingsRequestMessage;

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

type Json = Record<string, unknown>;

function object(value: unknown, what: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ProtocolError(`${what} must be an object`);
  return value as Json;
}

function str(o: Json, key: string, max = 4096): string {
  const v = o[key];
  if (typeof v !== 'string') throw new ProtocolError(`"${key}" must be a string`);
  if (v.length > max) throw new ProtocolError(`"${key}" is longer than ${max} characters`);
  return v;
}

/** A string or null; a missing key counts as null. */
function strOrNull(o: Json, key: string, max = 4096): string | null {
  return o[key] === null || o[key] === undefined ? null : str(o, key, max);
}

function num(o: Json, key: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new ProtocolError(`"${key}" must be a finite number`);
  return v;
}

function numOrNull(o: Json, key: string): number | null {
  return o[key] === null || o[key] === undefined ? null : num(o, key);
}

function bool(o: Json, key: string): boolean {
  const v = o[key];
  if (typeof v !== 'boolean') throw new ProtocolError(`"${key}" must be a boolean`);
  return v;
}

function list<T>(o: Json, key: string, item: (v: unknown, i: number) => T, max = 100_000): T[] {
  const v = o[key];
  if (!Array.isArray(v)) throw new ProtocolError(`"${key}" must be an array`);
  if (v.length > max) throw new ProtocolError(`"${key}" has more than ${max} entries`);
  return v.map(item);
}

const KNOWN_SEVERITIES: ReadonlySet<string> = new Set(SEVERITIES);

function severity(o: Json, key: string): Severity {
  const v = str(o, key);
  if (!KNOWN_SEVERITIES.has(v)) throw new ProtocolError(`unknown severity "${v}"`);
  return v as Severity;
}

/** How each field of a finding is read: the compiler holds this to `NodeFinding`, field for field. */
const FINDING_FIELD_READERS: {
  readonly [F in keyof WireFinding]-?: (o: Json, key: F) => WireFinding[F];
} = {
  key: (o, k) => str(o, k, 1024),
  id: (o, k) => str(o, k, 128),
  severity,
  message: (o, k) => str(o, k, 16_384),
  file: (o, k) => strOrNull(o, k),
  line: numOrNull,
  scope: (o, k) => strOrNull(o, k),
  fix: (o, k) => str(o, k, 16_384),
  image: (o, k) => strOrNull(o, k, 1024),
  host: (o, k) => strOrNull(o, k, 512),
  // Only a string counts: an agent that sends anything else has not marked the finding stale.
  stale: (o, k) => (typeof o[k] === 'string' ? str(o, k, 16_384) : undefined),
};

const R = FINDING_FIELD_READERS;

/**
 * Every field through its reader, written out in the order of NODE_FINDING_FIELDS, not looped over:
 * a snapshot carries thousands of findings, and one object literal gives every parsed finding the
 * same shape (test/unit/finding-type.test.ts holds this to the field list).
 */
function finding(value: unknown): WireFinding {
  const o = object(value, 'finding');
  const f: WireFinding = {
    key: R.key(o, 'key'),
    id: R.id(o, 'id'),
    severity: R.severity(o, 'severity'),
    message: R.message(o, 'message'),
    file: R.file(o, 'file'),
    line: R.line(o, 'line'),
    scope: R.scope(o, 'scope'),
    fix: R.fix(o, 'fix'),
    image: R.image(o, 'image'),
    host: R.host(o, 'host'),
  };
  const stale = R.stale(o, 'stale');
  return stale === undefined ? f : { ...f, stale };
}

/** A finding's JSON text as finding-bodies carries it (its digest is checked before this). */
export function parseFindingBody(text: string): WireFinding {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ProtocolError('a finding body is not valid JSON');
  }
  return finding(value);
}

/** Most bytes of one finding's JSON text (its longest fields are 16 KiB each). */
export const MAX_FINDING_BODY_CHARS = 64 * 1024;
/**
 * Most digests in a snapshot or a findings-request: ten times the findings a collector keeps for a
 * node, and a request naming them all still fits in one message.
 */
export const MAX_FINDING_REFS = 50_000;
const DIGEST = /^[A-Za-z0-9_-]{43}$/;
const DIGEST_CHARS = 43;
const MAX_FILTER_BYTES = MAX_FILTER_BITS / 8;

/** Whether `d` has the form of a base64url SHA-256 digest. */
export function isFindingDigest(d: string): boolean {
  return DIGEST.test(d);
}

export const NOT_A_DIGEST = '"findingRefs" entries must be base64url SHA-256 digests';

function digests(o: Json, key: string): string[] {
  return list(
    o,
    key,
    (d) => {
      if (typeof d !== 'string' || !DIGEST.test(d))
        throw new ProtocolError(`"${key}" entries must be base64url SHA-256 digests`);
      return d;
    },
    MAX_FINDING_REFS,
  );
}

/**
 * A snapshot's references, the parsed array itself (no copy): strings of a digest's length, their
 * form left to the collector's lookup (SnapshotRefsMessage.findingRefs).
 */
function refs(o: Json): string[] {
  const v = o.findingRefs;
  if (!Array.isArray(v)) throw new ProtocolError('"findingRefs" must be an array');
  if (v.length > MAX_FINDING_REFS)
    throw new ProtocolError(`"findingRefs" has more than ${MAX_FINDING_REFS} entries`);
  for (let i = 0; i < v.length; i++) {
    const d: unknown = v[i];
    if (typeof d !== 'string' || d.length !== DIGEST_CHARS) throw new ProtocolError(NOT_A_DIGEST);
  }
  return v as string[];
}

/** Finding texts (finding-bodies, a snapshot's inline bodies): the parsed array itself. */
function bodyTexts(o: Json, key: string): string[] {
  const v = o[key];
  if (!Array.isArray(v)) throw new ProtocolError(`"${key}" must be an array`);
  if (v.length > MAX_FINDING_REFS)
    throw new ProtocolError(`"${key}" has more than ${MAX_FINDING_REFS} entries`);
  for (let i = 0; i < v.length; i++) {
    const b: unknown = v[i];
    if (typeof b !== 'string' || b.length > MAX_FINDING_BODY_CHARS)
      throw new ProtocolError(
        `"${key}" entries must be strings of at most ${MAX_FINDING_BODY_CHARS} characters`,
      );
  }
  return v as string[];
}

function findingFilter(value: unknown): WireFindingFilter {
  const o = object(value, 'findingFilter');
  const wire = { hashes: num(o, 'hashes'), bits: str(o, 'bits', Math.ceil((MAX_FILTER_BYTES * 4) / 3)) };
  try {
    FindingFilter.fromWire(wire);
  } catch (err) {
    throw new ProtocolError(`"findingFilter": ${(err as Error).message}`);
  }
  return wire;
}

function hostProbe(value: unknown): HostProbe {
  const o = object(value, 'host');
  return {
    host: str(o, 'host', 512),
    reachable: bool(o, 'reachable'),
    outcome: str(o, 'outcome', 64),
    latencyMs: numOrNull(o, 'latencyMs'),
    probedAt: str(o, 'probedAt', 64),
  };
}

function imageStatus(value: unknown): ImageStatus {
  const o = object(value, 'image');
  // Written out, optional fields added after (no spreads): a snapshot carries every image of the node.
  const status: Mutable<ImageStatus> = {
    image: str(o, 'image', 1024),
    pullable: bool(o, 'pullable'),
    source: strOrNull(o, 'source', 1024),
    digest: strOrNull(o, 'digest', 256),
    findingKeys: list(o, 'findingKeys', (k) => {
      if (typeof k !== 'string') throw new ProtocolError('"findingKeys" entries must be strings');
      return k;
    }),
  };
  if (o.resolution !== undefined) status.resolution = str(o, 'resolution', 4096);
  if (o.sources !== undefined) status.sources = list(o, 'sources', sourceCredentialStatus, 256);
  return status;
}

const NODE_AUTH_STATES: readonly string[] = ['found', 'none', 'unknown'];

function sourceCredentialStatus(value: unknown): SourceCredentialStatus {
  const o = object(value, 'source');
  const nodeAuth = str(o, 'nodeAuth', 16);
  if (!NODE_AUTH_STATES.includes(nodeAuth)) throw new ProtocolError(`unknown nodeAuth "${nodeAuth}"`);
  return {
    reference: str(o, 'reference', 1024),
    host: str(o, 'host', 512),
    mirror: bool(o, 'mirror'),
    kubeletCredentials: bool(o, 'kubeletCredentials'),
    nodeAuth: nodeAuth as NodeAuthState,
    detail: strOrNull(o, 'detail', 1024),
  };
}

function pullCredential(value: unknown): WirePullCredential {
  const o = object(value, 'pull credential');
  return {
    secret: str(o, 'secret', 512),
    key: str(o, 'key', 1024),
    username: str(o, 'username', 4096),
    password: str(o, 'password', 16_384),
  };
}

const RUNTIME_SOURCES: readonly string[] = ['flag', 'collector'];

function runtimeInfo(value: unknown): RuntimeInfo {
  const o = object(value, 'runtime');
  if (o.name !== 'crio') throw new ProtocolError('"runtime.name" must be "crio"');
  const source = strOrNull(o, 'source', 16);
  if (source !== null && !RUNTIME_SOURCES.includes(source))
    throw new ProtocolError(`unknown runtime source "${source}"`);
  return {
    name: 'crio',
    version: strOrNull(o, 'version', 64),
    containersImage: strOrNull(o, 'containersImage', 64),
    source: source as RuntimeInfo['source'],
  };
}

function fileDigest(value: unknown): ConfigFileDigest {
  const o = object(value, 'file');
  return { path: str(o, 'path'), sha256: str(o, 'sha256', 64) };
}

function parseJson(text: string): Json {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ProtocolError('message is not valid JSON');
  }
  const o = object(value, 'message');
  if (o.v !== PROTOCOL_VERSION)
    throw new ProtocolError(
      `unsupported protocol version ${JSON.stringify(o.v)} (this end speaks ${PROTOCOL_VERSION})`,
    );
  return o;
}

/**
 * A snapshot, with bodies or by reference. Its object literals are written out (no spread of
 * optional parts): the collector parses one per agent, thousands a second in a reconnect storm.
 */
function snapshot(o: Json): SnapshotMessage | SnapshotRefsMessage {
  const scanJson = o.scan === null ? null : object(o.scan, 'scan');
  const seq = num(o, 'seq');
  const generatedAt = str(o, 'generatedAt', 64);
  const configHash = str(o, 'configHash', 128);
  const files = list(o, 'files', fileDigest, 10_000);
  const byReference = o.findingRefs !== undefined;
  if (byReference && o.findings !== undefined)
    throw new ProtocolError('a snapshot carries "findings" or "findingRefs", not both');
  if (!byReference && o.findingBodies !== undefined)
    throw new ProtocolError('"findingBodies" come only with "findingRefs"');
  const findings = byReference ? null : list(o, 'findings', finding);
  const findingRefs = byReference ? refs(o) : null;
  const findingBodies = byReference && o.findingBodies !== undefined ? bodyTexts(o, 'findingBodies') : null;
  const hosts = list(o, 'hosts', hostProbe, 10_000);
  const images = list(o, 'images', imageStatus);
  const scan =
    scanJson === null
      ? null
      : {
          at: str(scanJson, 'at', 64),
          durationMs: num(scanJson, 'durationMs'),
          probes: num(scanJson, 'probes'),
        };
  const runtime = o.runtime === undefined ? undefined : runtimeInfo(o.runtime);
  if (findingRefs === null) {
    const m: Mutable<SnapshotMessage> = {
      v: 1,
      type: 'snapshot',
      seq,
      generatedAt,
      configHash,
      files,
      findings: findings!,
      hosts,
      images,
      scan,
    };
    if (runtime !== undefined) m.runtime = runtime;
    return m;
  }
  const m: Mutable<SnapshotRefsMessage> = {
    v: 1,
    type: 'snapshot',
    seq,
    generatedAt,
    configHash,
    files,
    findingRefs,
    hosts,
    images,
    scan,
  };
  if (findingBodies !== null) m.findingBodies = findingBodies;
  if (runtime !== undefined) m.runtime = runtime;
  return m;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Validates a message from an agent; throws ProtocolError with a reason a log line can carry. */
export function parseAgentMessage(text: string): AgentMessage {
  const o = parseJson(text);
  switch (o.type) {
    case 'hello': {
      const pod = object(o.pod, 'pod');
      return {
        v: 1,
        type: 'hello',
        node: str(o, 'node', 253),
        agentVersion: str(o, 'agentVersion', 64),
        configHash: str(o, 'configHash', 128),
        pod: {
          name: strOrNull(pod, 'name', 253),
          namespace: strOrNull(pod, 'namespace', 253),
        },
      };
    }
    case 'snapshot':
      return snapshot(o);
    case 'delta':
      return {
        v: 1,
        type: 'delta',
        seq: num(o, 'seq'),
        configHash: str(o, 'configHash', 128),
        added: list(o, 'added', finding),
        cleared: list(o, 'cleared', (k) => {
          if (typeof k !== 'string') throw new ProtocolError('"cleared" entries must be strings');
          return k;
        }),
        hosts: list(o, 'hosts', hostProbe, 10_000),
        images: list(o, 'images', imageStatus),
      };
    case 'finding-bodies':
      return { v: 1, type: 'finding-bodies', seq: num(o, 'seq'), bodies: bodyTexts(o, 'bodies') };
    case 'trace-result': {
      const error = o.error === null ? null : object(o.error, 'error');
      return {
        v: 1,
        type: 'trace-result',
        requestId: str(o, 'requestId', 128),
        trace: o.trace ?? null,
        error:
          error === null ? null : { code: str(error, 'code', 64), message: str(error, 'message', 16_384) },
      };
    }
    case 'heartbeat':
      return { v: 1, type: 'heartbeat', seq: num(o, 'seq'), at: str(o, 'at', 64) };
    default:
      throw new ProtocolError(`unknown agent message type ${JSON.stringify(o.type)}`);
  }
}

function configOverride(value: unknown): ConfigOverride {
  const o = object(value, 'config');
  const files = object(o.files, 'config.files');
  const out: Record<string, string | null> = {};
  let bytes = 0;
  for (const [path, text] of Object.entries(files)) {
    if (!isOverridablePath(path))
      throw new ProtocolError(
        `config.files: ${JSON.stringify(path.slice(0, 256))} is not a file a what-if may replace`,
      );
    if (text !== null && typeof text !== 'string')
      throw new ProtocolError('config.files values must be strings or null');
    bytes += path.length + (text === null ? 0 : Buffer.byteLength(text));
    if (bytes > MAX_CONFIG_OVERRIDE_BYTES)
      throw new ProtocolError(`config.files: more than ${MAX_CONFIG_OVERRIDE_BYTES} bytes`);
    out[path] = text;
  }
  return { files: out };
}

/** Validates a message from the collector. */
export function parseCollectorMessage(text: string): CollectorMessage {
  const o = parseJson(text);
  switch (o.type) {
    case 'welcome':
      return {
        v: 1,
        type: 'welcome',
        collectorVersion: str(o, 'collectorVersion', 64),
        heartbeatIntervalMs: num(o, 'heartbeatIntervalMs'),
        ...(o.findingDigests === true ? { findingDigests: true } : {}),
        ...(o.findingDigests === true && o.findingFilter !== undefined
          ? { findingFilter: findingFilter(o.findingFilter) }
          : {}),
      };
    case 'images':
      return {
        v: 1,
        type: 'images',
        generation: num(o, 'generation'),
        images: list(o, 'images', (v) => {
          if (typeof v !== 'string' || v.length > 1024)
            throw new ProtocolError('"images" entries must be strings of at most 1024 characters');
          return v;
        }),
        ...(o.runtimeVersion === undefined ? {} : { runtimeVersion: strOrNull(o, 'runtimeVersion', 256) }),
      };
    case 'trace-request':
      return {
        v: 1,
        type: 'trace-request',
        requestId: str(o, 'requestId', 128),
        image: str(o, 'image', 1024),
        all: bool(o, 'all'),
        timeoutMs: num(o, 'timeoutMs'),
        ...(o.namespace === undefined ? {} : { namespace: strOrNull(o, 'namespace', 63) }),
        ...(o.pullCredentials === undefined
          ? {}
          : { pullCredentials: list(o, 'pullCredentials', pullCredential, 64) }),
        ...(o.config === undefined || o.config === null ? {} : { config: configOverride(o.config) }),
      };
    case 'snapshot-request':
      return { v: 1, type: 'snapshot-request' };
    case 'findings-request':
      return { v: 1, type: 'findings-request', seq: num(o, 'seq'), digests: digests(o, 'digests') };
    default:
      throw new ProtocolError(`unknown collector message type ${JSON.stringify(o.type)}`);
  }
}

export function encode(message: AgentMessage | CollectorMessage): string {
  return JSON.stringify(message);
}
