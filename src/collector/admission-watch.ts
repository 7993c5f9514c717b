// The collector's admission reader: re-reads the admission objects and FailedCreate events every
// interval (constraint kinds come and go with their templates, so a fixed set of informers would
// miss new ones), and builds the Admission section from the latest read and the pods it is given.
import type { V1Pod } from '@kubernetes/client-node';
import { buildAdmissionSection, type AdmissionSection } from '../core/admission/cluster-section.js';
import { admissionObjectsFromApi, type AdmissionObjects } from '../core/admission/objects.js';
import { describeKubeError } from '../kube/api-error.js';
import { readAdmissionState, type AdmissionApiState } from '../kube/admission-source.js';
import type { KubeClients } from '../kube/kube-clients.js';
import { denialEventInputs, podAdmissionInputs } from './admission-inputs.js';

export interface AdmissionWatchOptions {
  readonly intervalMs: number;
  /** How far back FailedCreate events count. */
  readonly eventMaxAgeMs: number;
  readonly log: (level: 'info' | 'warn', message: string) => void;
  /** Called after a read changed what the section would show. */
  readonly onChange: () => void;
}

export class AdmissionWatch {
  private state: AdmissionApiState | null = null;
  /** The state's objects, parsed once per read rather than once per report build. */
  private objects: AdmissionObjects | null = null;
  private timer: NodeJS.Timeout | null = null;
  private reading: Promise<void> | null = null;
  private lastError: string | null = null;

  constructor(
    private readonly kube: KubeClients,
    private readonly options: AdmissionWatchOptions,
  ) {}

  start(): void {
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** One read (concurrent callers share it); failures are logged once per distinct error. */
  refresh(): Promise<void> {
    this.reading ??= (async () => {
      try {
        const next = await readAdmissionState(this.kube);
        const wasInstalled = this.state === null ? null : this.state.portieris || this.state.gatekeeper;
        if (wasInstalled !== (next.portieris || next.gatekeeper))
          this.options.log(
            'info',
            next.portieris || next.gatekeeper
              ? `admission: reading ${[next.portieris ? 'Portieris' : '', next.gatekeeper ? 'Gatekeeper' : ''].filter(Boolean).join(' and ')} objects`
              : 'admission: the cluster serves neither Portieris nor Gatekeeper CRDs; the Admission section stays empty',
          );
        for (const e of next.errors)
          if (!this.state?.errors.includes(e)) this.options.log('warn', `admission: ${e}`);
        this.state = next;
        this.objects = admissionObjectsFromApi(next.objects);
        this.lastError = null;
        this.options.onChange();
      } catch (err) {
        const message = describeKubeError(err);
        if (message !== this.lastError) this.options.log('warn', `admission: discovery failed: ${message}`);
        this.lastError = message;
      } finally {
        this.reading = null;
      }
    })();
    return this.reading;
  }

  /** null until the first read succeeded, and when the cluster runs no admission controller we read. */
  section(pods: readonly V1Pod[], nowMs: number): AdmissionSection | null {
    const s = this.state;
    if (s === null || !(s.portieris || s.gatekeeper)) return null;
    const section = buildAdmissionSection({
      portieris: s.portieris,
      gatekeeper: s.gatekeeper,
      objects: this.objects ?? admissionObjectsFromApi(s.objects),
      pods: podAdmissionInputs(pods),
      events: denialEventInputs(s.events, nowMs, this.options.eventMaxAgeMs),
    });
    return s.errors.length === 0
      ? section
      : { ...section, notes: [...section.notes, ...s.errors.map((e) => `not read: ${e}`)] };
  }
}
