// The node condition the collector keeps on every node (type ImagePullsPredicted), decided from the
// node's prediction and what the Node already carries. Positive polarity, like Ready: True means
// every image in use there is predicted to pull, False that some would fail, Unknown that the agent
// went quiet. Nothing is written before the agent's first scan (a condition never claims health
// before a check ran), and the condition is removed once the agent has been gone for the grace period.
import { traceCommand } from '../causes/commands.js';
import { plural, reasonOf, type NodePrediction } from './predictions.js';

export const CONDITION_TYPE = 'ImagePullsPredicted';
/** Kubernetes does not bound a condition message, but `oc describe node` shows it on one line. */
const MAX_MESSAGE = 1024;

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface ConditionValue {
  readonly status: ConditionStatus;
  readonly reason: string;
  readonly message: string;
}

/** The condition as the Node status carries it (times as RFC 3339 strings). */
export interface NodeCondition extends ConditionValue {
  readonly type: string;
  readonly lastTransitionTime: string;
  readonly lastHeartbeatTime: string;
}

export interface ConditionTiming {
  readonly nowMs: number;
  /** When the collector started: a node with no agent since then counts as gone from this moment. */
  readonly startedMs: number;
  /** Past this long without its agent, a node's condition is removed. */
  readonly goneAfterMs: number;
}

/** What the node's condition should be: a value, `remove` it, or `keep` whatever is there. */
export type ConditionTarget = ConditionValue | 'remove' | 'keep';

function clip(text: string): string {
  return text.length <= MAX_MESSAGE ? text : `${text.slice(0, MAX_MESSAGE - 1)}…`;
}

function failingMessage(p: NodePrediction): string {
  const top = p.failing[0]!;
  const topCount = p.failing.filter((f) => f.cause === top.cause).length;
  const head = `${p.failing.length} of ${plural(p.imagesChecked, 'image')} in use would fail to pull`;
  const why =
    top.cause === null
      ? 'no finding explains it yet'
      : `${top.cause.title}${topCount < p.failing.length ? ` (${plural(topCount, 'image')})` : ''}`;
  const others = p.causes.length - (top.cause === null ? 0 : 1);
  const more = others > 0 ? `; ${plural(others, 'more cause')}` : '';
  const trace = traceCommand({ kind: 'cluster' }, top.image, p.node);
  return clip(`${head}: ${why}${more}. Trace: ${trace}`);
}

export function conditionTarget(p: NodePrediction, t: ConditionTiming): ConditionTarget {
  const goneSince = p.agent === 'connected' ? null : (p.lastSeenMs ?? t.startedMs);
  if (goneSince !== null && t.nowMs - goneSince > t.goneAfterMs) return 'remove';
  if (p.agent === 'missing') return 'keep';
  if (p.agent === 'silent')
    return {
      status: 'Unknown',
      reason: 'AgentSilent',
      message: `The mirrorscope agent on this node has been silent since ${new Date(goneSince!).toISOString()}; the last prediction may be out of date.`,
    };
  if (!p.scanned) return 'keep';
  if (p.failing.length > 0)
    return {
      status: 'False',
      reason: reasonOf(p.failing[0]!.cause?.kind ?? 'pull-failure'),
      message: failingMessage(p),
    };
  return {
    status: 'True',
    reason: 'ImagesPullable',
    message:
      p.imagesChecked === 0
        ? 'No image is in use on this node.'
        : `All ${plural(p.imagesChecked, 'image')} in use on this node are predicted to pull.`,
  };
}

/** Why a condition is written: in the order the writer serves them when the API budget is short. */
export type WriteReason = 'transition' | 'new' | 'update' | 'heartbeat' | 'remove';
export const WRITE_PRIORITY: Readonly<Record<WriteReason, number>> = {
  transition: 0,
  new: 1,
  remove: 2,
  update: 3,
  heartbeat: 4,
};

export type ConditionWrite =
  | { readonly reason: Exclude<WriteReason, 'remove'>; readonly condition: NodeCondition }
  | { readonly reason: 'remove'; readonly condition: null };

/**
 * The write that brings `current` (the node's condition of our type, if any) to `target`, or null
 * when none is due. lastTransitionTime moves only with the status; lastHeartbeatTime is refreshed
 * when something is written anyway, else once `heartbeatMs` has passed.
 */
export function conditionWrite(
  target: ConditionTarget,
  current: NodeCondition | undefined,
  nowMs: number,
  heartbeatMs: number,
): ConditionWrite | null {
  if (target === 'keep') return null;
  if (target === 'remove') return current === undefined ? null : { reason: 'remove', condition: null };
  const now = new Date(nowMs).toISOString();
  const condition = (transitionAt: string): NodeCondition => ({
    type: CONDITION_TYPE,
    status: target.status,
    reason: target.reason,
    message: target.message,
    lastTransitionTime: transitionAt,
    lastHeartbeatTime: now,
  });
  if (current === undefined) return { reason: 'new', condition: condition(now) };
  if (current.status !== target.status) return { reason: 'transition', condition: condition(now) };
  const kept = current.lastTransitionTime || now;
  if (current.reason !== target.reason || current.message !== target.message)
    return { reason: 'update', condition: condition(kept) };
  const beat = Date.parse(current.lastHeartbeatTime);
  if (Number.isNaN(beat) || nowMs - beat >= heartbeatMs)
    return { reason: 'heartbeat', condition: condition(kept) };
  return null;
}

/**
 * The heartbeat period actually used: never so short that heartbeats alone would take more than
 * half the write budget (`qps`), so changes always find room.
 */
export function effectiveHeartbeatMs(heartbeatMs: number, nodes: number, qps: number): number {
  return Math.max(heartbeatMs, Math.ceil((nodes / (qps / 2)) * 1000));
}
