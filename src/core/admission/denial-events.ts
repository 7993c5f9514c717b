// Admission denials as controllers report them: a ReplicaSet, Job or DaemonSet whose pod the API
// server refused gets a `FailedCreate` event, "Error creating: admission webhook "NAME" denied the
// request: TEXT" (the workload controllers' own wording around the API server's). TEXT is Gatekeeper's
// `[constraint] message` lines or Portieris' "\n"-led list of denials; each line becomes one denial,
// classified when its wording is one mirrorscope knows exactly.

export const GATEKEEPER_WEBHOOK = 'validation.gatekeeper.sh';
export const PORTIERIS_WEBHOOK = 'trust.hooks.securityenforcement.admission.cloud.ibm.com';

export type AdmissionDenialKind =
  'admission-no-policy' | 'admission-signature-missing' | 'admission-repo-not-allowed';

export interface AdmissionDenial {
  readonly controller: 'portieris' | 'gatekeeper' | 'other';
  /** The webhook's name as the API server quotes it. */
  readonly webhook: string;
  /** The Gatekeeper constraint's name; null for Portieris (its texts name no policy). */
  readonly constraint: string | null;
  /** The image the text names, when it names one. */
  readonly image: string | null;
  readonly container: string | null;
  /** One denial line, as the controller wrote it. */
  readonly message: string;
  /** null: a denial whose wording is not one of the known kinds. */
  readonly kind: AdmissionDenialKind | null;
}

const HEAD = /admission webhook "([^"]+)" denied the request: ?/;
const GATEKEEPER_LINE = /^\[(?:denied by )?([^\]]+)\] (.*)$/s;
const REPO_MESSAGE =
  /^(?:container|initContainer|ephemeralContainer) <(.*?)> has an invalid image repo <(.*?)>, (?:allowed|disallowed) repos are /;
const PORTIERIS_NO_POLICY =
  /^Deny "((?:[^"\\]|\\.)*)", (?:no image policies or cluster polices|no matching repositories in .*)$/;
const NO_SIGNATURE = 'simple: policy denied the request: A signature was required, but no signature exists';

function unquoteGo(s: string): string {
  try {
    return JSON.parse(`"${s}"`) as string;
  } catch {
    return s;
  }
}

function gatekeeperDenial(webhook: string, line: string): AdmissionDenial {
  const m = GATEKEEPER_LINE.exec(line);
  const constraint = m?.[1] ?? null;
  const message = m?.[2] ?? line;
  const repo = REPO_MESSAGE.exec(message);
  return {
    controller: 'gatekeeper',
    webhook,
    constraint,
    image: repo?.[2] ?? null,
    container: repo?.[1] ?? null,
    message: line,
    kind: repo === null ? null : 'admission-repo-not-allowed',
  };
}

function portierisDenial(webhook: string, line: string): AdmissionDenial {
  const noPolicy = PORTIERIS_NO_POLICY.exec(line);
  return {
    controller: 'portieris',
    webhook,
    constraint: null,
    image: noPolicy === null ? null : unquoteGo(noPolicy[1]!),
    container: null,
    message: line,
    kind:
      noPolicy !== null
        ? 'admission-no-policy'
        : line === NO_SIGNATURE
          ? 'admission-signature-missing'
          : null,
  };
}

/** The denials an event message quotes; empty when it quotes no admission webhook denial. */
export function parseAdmissionDenials(eventMessage: string): AdmissionDenial[] {
  const head = HEAD.exec(eventMessage);
  if (head === null) return [];
  const webhook = head[1]!;
  const text = eventMessage.slice(head.index + head[0].length);
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  // Gatekeeper's validating webhooks are all named *.gatekeeper.sh.
  if (webhook === GATEKEEPER_WEBHOOK || webhook.endsWith('.gatekeeper.sh'))
    return lines.map((l) => gatekeeperDenial(webhook, l));
  if (webhook === PORTIERIS_WEBHOOK) return lines.map((l) => portierisDenial(webhook, l));
  return [
    {
      controller: 'other',
      webhook,
      constraint: null,
      image: null,
      container: null,
      message: text.trim(),
      kind: null,
    },
  ];
}
