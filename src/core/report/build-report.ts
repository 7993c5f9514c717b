// Builds the cluster report from every node's latest agent snapshot, the Node objects and kubelet's
// pull-failure events. A function of its input: the collector passes its state in and serves what
// comes out; what a build may reuse from the last one comes in as a memo the caller owns.
//
// Dedupe: agents give each finding a `key` that is the same on every node for the same problem
// (id + scope + subject), so a mirror outage seen by 500 nodes is one problem with 500 witnesses.
//
// Stages, in order: cluster (intent, version skew, drift) → nodes → problems → sections (mirrors,
// images) → causes → summary.
import { admissionFindings } from '../admission/findings.js';
import { causesOf } from '../causes/build-causes.js';
import type { Cause, ImageFailure } from '../causes/types.js';
import type { FindingId } from '../findings/catalogue.js';
import { findDrift, type NodeDrift } from './config-drift.js';
import { nodeStage, type ImageAcc, type NodeStage } from './node-stage.js';
import { addAgentProblems, mirrorProblems, ProblemGroups, witnessesFrom } from './problem-stage.js';
import { NO_MEMO, type ReportMemo } from './report-memo.js';
import { collectorFinding, pushTo, type AnyFinding } from './report-findings.js';
import { addEventImages, imageReports, mirrorReports } from './section-stage.js';
import type {
  ClusterInput,
  ClusterReport,
  ImageReport,
  MirrorReport,
  ReportFinding,
  ReportSummary,
} from './types.js';
import { versionSkew } from './version-skew.js';

/** MCO-based findings that explain a node's differing files better than the pool-majority guess. */
const EXPLAINS_DRIFT: ReadonlySet<string> = new Set<FindingId>([
  'mirror-config-not-rolled-out',
  'pool-paused',
  'mirror-config-drift',
]);

interface ClusterStage {
  /** Cluster-level problems (intent vs nodes, version skew) and the nodes each concerns. */
  readonly problems: { readonly finding: ReportFinding; readonly nodes: readonly string[] }[];
  readonly byNode: Map<string, ReportFinding[]>;
  /** Nodes whose configuration differs from their pool's majority, with no better explanation. */
  readonly drift: Map<string, NodeDrift>;
}

/** Stage "cluster": what concerns the cluster or a pool rather than one node's agent. */
function clusterStage(input: ClusterInput): ClusterStage {
  const problems: { finding: ReportFinding; nodes: readonly string[] }[] = [];
  const byNode = new Map<string, ReportFinding[]>();
  const add = (finding: ReportFinding, nodes: readonly string[]): void => {
    problems.push({ finding, nodes });
    for (const node of nodes) pushTo(byNode, node, finding);
  };
  for (const f of [...(input.intent?.findings ?? []), ...(input.collectorFindings ?? [])])
    add(
      {
        ...collectorFinding(f.id, f.key, f.message, {
          ...(f.fix === undefined ? {} : { fix: f.fix }),
          ...(f.image === undefined ? {} : { image: f.image }),
          ...(f.host === undefined ? {} : { host: f.host }),
        }),
        scope: f.scope ?? null,
        file: f.file ?? null,
        line: f.line ?? null,
      },
      f.nodes,
    );
  // Version skew is the pool's problem, witnessed by the nodes of every version involved.
  for (const { finding, nodes } of versionSkew(input.nodes)) add(finding, nodes);
  const drift = findDrift(
    input.nodes.flatMap((n) =>
      n.agent === null
        ? []
        : [{ name: n.name, pool: n.pool, configHash: n.agent.configHash, files: n.agent.files }],
    ),
  );
  for (const name of [...drift.keys()])
    if (byNode.get(name)?.some((f) => EXPLAINS_DRIFT.has(f.id))) drift.delete(name);
  return { problems, byNode, drift };
}

/** Stage "problems": agents' findings, the collector's own, the cluster's and the mirror aggregates. */
function problemStage(
  input: ClusterInput,
  cluster: ClusterStage,
  nodes: NodeStage,
  memo: ReportMemo,
): ProblemGroups {
  // What the collector adds after the agents' problems: an agent problem with one of these keys merges.
  const collectorMade: { readonly finding: AnyFinding; readonly nodes: readonly string[] }[] = [];
  nodes.ownWitnesses.forEach((witnesses, finding) => collectorMade.push({ finding, nodes: witnesses }));
  collectorMade.push(...cluster.problems, ...mirrorProblems(nodes.mirrors));
  // The images' sections look their problems up by key.
  const wanted = new Set<string>();
  for (const acc of nodes.images.values()) for (const k of acc.keys) wanted.add(k);
  const groups = new ProblemGroups((p) => memo.stable(p), wanted);
  addAgentProblems(
    groups,
    input.agentWitnesses ?? witnessesFrom(input.nodes),
    nodes.mirrors,
    memo,
    new Set(collectorMade.map((c) => c.finding.key)),
  );
  for (const { finding, nodes: witnesses } of collectorMade) groups.addOrMerge(finding, witnesses);
  return groups;
}

/**
 * Pods using an image on each node: the pod informer's count, else the pods of kubelet's pull
 * events; by image (node → pods), since causes ask from the image's side.
 */
function podsByImage(input: ClusterInput): (image: string) => ReadonlyMap<string, number> {
  const byImage = new Map<string, Map<string, number>>();
  const add = (image: string, node: string, count: number): void => {
    let nodes = byImage.get(image);
    if (nodes === undefined) byImage.set(image, (nodes = new Map()));
    nodes.set(node, count);
  };
  input.pods?.forEach((images, node) => images.forEach((count, image) => add(image, node, count)));
  const fromEvents = new Map<string, Set<string>>();
  for (const e of input.events) {
    if (input.pods?.get(e.node)?.has(e.image) === true) continue;
    const id = `${e.node}\0${e.image}`;
    let pods = fromEvents.get(id);
    if (pods === undefined) fromEvents.set(id, (pods = new Set()));
    pods.add(`${e.namespace}/${e.pod}`);
    add(e.image, e.node, pods.size);
  }
  const none = new Map<string, number>();
  return (image) => byImage.get(image) ?? none;
}

/** Stage "causes": what explains each failing image, and admission refusals (the pod never pulls). */
function causeStage(
  input: ClusterInput,
  problems: readonly ReportFinding[],
  groups: ProblemGroups,
  images: ReadonlyMap<string, ImageAcc>,
  memo: ReportMemo,
): readonly Cause[] {
  const failures: ImageFailure[] = [];
  // The problems failures name, found by key among the few the images asked for.
  const failureFindings = new Set<ReportFinding>();
  for (const [image, acc] of images)
    if (acc.failing.length > 0) {
      failures.push({ image, node: null, keys: [...acc.keys] });
      for (const key of acc.keys) {
        const problem = groups.get(key);
        if (problem !== undefined) failureFindings.add(problem);
      }
    }
  const admission = input.admission
    ? admissionFindings(input.admission).map((f) => ({ ...f, host: null, nodes: [], witnesses: 0 }))
    : [];
  const podsOn = podsByImage(input);
  return causesOf(
    {
      findings: admission.length === 0 ? problems : [...problems, ...admission],
      // Admission findings come after the problems, and one could share a problem's key.
      reportOrder: admission.length === 0,
      failures,
      failureFindings,
      podsOn,
      pods: (image, node) => (node === null ? 0 : (podsOn(image).get(node) ?? 0)),
    },
    memo.causes,
  );
}

function summaryOf(
  nodes: NodeStage,
  drifted: number,
  problems: number,
  mirrors: readonly MirrorReport[],
  images: readonly ImageReport[],
): ReportSummary {
  return {
    nodes: nodes.nodes.length,
    nodesWithAgent: nodes.nodes.length - nodes.withoutAgent,
    nodesSilent: nodes.silent,
    nodesWithoutAgent: nodes.withoutAgent,
    nodesWithErrors: nodes.withErrors,
    nodesDrifted: drifted,
    mirrors: mirrors.length,
    mirrorsFailing: mirrors.filter((m) => m.nodesFailing > 0).length,
    imagesFailing: images.filter((i) => i.nodesFailing.length > 0 || i.events.length > 0).length,
    problems,
    findings: nodes.totals,
  };
}

/** Where a report holds its problems by place. */
const PLACES = Symbol('problems by place');

export function buildReport(input: ClusterInput, memo: ReportMemo = NO_MEMO): ClusterReport {
  memo.begin();
  const cluster = clusterStage(input);
  const nodes = nodeStage(
    input,
    { clusterFindingsOf: (node) => cluster.byNode.get(node) ?? [], drift: cluster.drift },
    memo,
  );
  const groups = problemStage(input, cluster, nodes, memo);
  const problems = memo.sortProblems(groups.all());
  const byPlace = memo.problemsByPlace(problems);
  const mirrors = mirrorReports(nodes.mirrors, byPlace);
  addEventImages(nodes.images, input.events);
  const images = imageReports(nodes.images, input.events, byPlace, groups);
  const causes = causeStage(input, problems, groups, nodes.images, memo);
  memo.done();
  const report: ClusterReport = {
    schemaVersion: 1,
    generatedAt: new Date(input.nowMs).toISOString(),
    causes,
    summary: summaryOf(nodes, cluster.drift.size, problems.length, mirrors, images),
    problems,
    mirrors,
    images,
    findingClasses: nodes.classes,
    nodes: nodes.nodes,
    rollout: input.intent?.rollout ?? null,
    admission: input.admission ?? null,
  };
  // The report holds its problems by place (unseen: not enumerable) for as long as it lives, and a
  // memo reuses them that long (WeakReportMemo.problemsByPlace).
  Object.defineProperty(report, PLACES, { value: byPlace });
  return report;
}
