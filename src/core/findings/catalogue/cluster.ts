import type { FindingDefinition } from '../types.js';

/** Findings the collector raises about the cluster as a whole (agents, drift, kubelet pull events). */
export const CLUSTER_FINDINGS = {
  'agent-silent': {
    severity: 'warning',
    title:
      'The agent on this node has sent nothing for several heartbeat intervals; its findings may be stale.',
    fix: 'Check the mirrorscope-agent pod on the node (`oc -n <ns> get pod -o wide`, its logs, and the node network path to the collector).',
  },
  'agent-missing': {
    severity: 'warning',
    title: 'No mirrorscope agent has ever reported from this node, so its pulls are not simulated.',
    fix: "Check that the mirrorscope-agent DaemonSet tolerates the node's taints and that its pod on the node is running.",
  },
  'agent-limit-exceeded': {
    severity: 'warning',
    title:
      'The agent on this node sent more than the collector keeps for one node (findings, registry hosts, images or bytes); the excess was dropped, so what the report shows for the node is incomplete.',
    fix: 'A healthy agent stays far below these limits: check the agent pod on the node (its version and logs). A compromised node or a stolen agent token can also cause this.',
  },
  'node-config-drift': {
    severity: 'warning',
    title:
      "The node's container registries configuration differs from the one most nodes of its pool run (a failed or pending MachineConfig rollout, or a hand edit).",
    fix: "Compare the files named with a node of the same pool; check the MachineConfigPool status (`oc get mcp`) and the node's machineconfiguration.openshift.io annotations.",
  },
  'mirror-unreachable-from-nodes': {
    severity: 'error',
    title: 'Some nodes cannot reach a mirror or registry host their configuration sends pulls to.',
    fix: 'Check the network path (firewall, proxy, DNS) from the failing nodes to the host, or the host itself.',
  },
  'mirror-auth-failing': {
    severity: 'error',
    title: 'A mirror or registry host rejects the credentials (or their absence) of some nodes.',
    fix: "Add or correct the host's entry in the pull secret (/var/lib/kubelet/config.json on the node).",
  },
  'mirror-credentials-only-in-pod-secret': {
    severity: 'error',
    title:
      "A mirror the image resolves to has credentials only in the pod's pull secrets, not in the node's auth file: containers/image sends the kubelet's credentials only to sources on the requested image's registry, so the mirror gets the node's credentials (none) and, when it requires authentication, answers unauthorized.",
    fix: "Add the mirror's credentials to the node's auth file: on OpenShift the cluster pull secret (`oc set data secret/pull-secret -n openshift-config --from-file=.dockerconfigjson=<merged file>`), elsewhere CRI-O's global_auth_file (/var/lib/kubelet/config.json) on every node.",
  },
  'pod-pull-secret-unreadable': {
    severity: 'info',
    title:
      "mirrorscope cannot tell whether a pod's pull secret holds credentials for a mirror its image reaches with the node's credentials only: the secret could not be read (RBAC refused it, or it is not valid).",
    fix: 'Deploy the collector with the pod-pull-secrets component (`get` on secrets, never `list`), or check the keys of the secret by hand.',
  },
  'mirror-tls-failing': {
    severity: 'error',
    title: "Some nodes do not trust a mirror or registry host's TLS certificate.",
    fix: 'Add the CA to the cluster (image.config.openshift.io additionalTrustedCA) so it lands in /etc/docker/certs.d/<host>/ on every node.',
  },
  'pull-blocked': {
    severity: 'error',
    title:
      'A real pull failed: the registry is blocked in registries.conf (or the source may not be contacted).',
    fix: 'Unblock the registry, or add a mirror that serves the image.',
  },
  'pull-manifest-unknown': {
    severity: 'error',
    title:
      'A real pull failed: a source answered that it does not have the image (manifest or repository unknown).',
    fix: 'Mirror the image (with `oc mirror`/`skopeo copy --all`) into the source named, or fix the mirror path mapping.',
  },
  'pull-blob-missing': {
    severity: 'error',
    title:
      'A real pull failed: the source that served the manifest lacks a blob (layer or config); CRI-O does not try the next mirror after that.',
    fix: 'Mirror the image again completely into that mirror (oc-mirror, skopeo copy --all); `mirrorscope trace IMAGE` names the mirror and the blob.',
  },
  'pull-unauthorized': {
    severity: 'error',
    title: 'A real pull failed: a source refused the pull (authentication required or access denied).',
    fix: 'Add or correct credentials for the host in the pull secret; note that mirrors get only credentials for their own host.',
  },
  'pull-tls-untrusted': {
    severity: 'error',
    title: "A real pull failed: the node did not trust a source's TLS certificate.",
    fix: 'Install the CA for the host (/etc/docker/certs.d/<host>/ via image.config additionalTrustedCA).',
  },
  'pull-http-to-https': {
    severity: 'error',
    title: 'A real pull failed: a source speaks plain HTTP but is not marked insecure.',
    fix: 'Serve the registry over TLS, or set insecure = true for it (insecureRegistries in image.config).',
  },
  'pull-unreachable': {
    severity: 'error',
    title: 'A real pull failed: a source could not be reached (DNS, connection refused, timeout, proxy).',
    fix: 'Check the network path from the node to the host, and the host itself.',
  },
  'pull-signature-missing': {
    severity: 'error',
    title: 'A real pull failed: the policy requires a signature and none was found.',
    fix: 'Publish the signatures where registries.d says (lookaside or sigstore attachments), including for mirrors.',
  },
  'pull-signature-rejected': {
    severity: 'error',
    title: 'A real pull failed: the signature policy rejected the image.',
    fix: 'Check policy.json (and /etc/crio/policies/<namespace>.json) for the image scope, and the signing identity.',
  },
  'pull-rate-limited': {
    severity: 'error',
    title:
      'A real pull failed: a source is rate limiting the node (often the upstream registry behind a missing mirror).',
    fix: 'Make the mirror serve the image so pulls stop falling back to the rate-limited source.',
  },
  'pull-failed': {
    severity: 'error',
    title: 'A real pull failed for a reason mirrorscope does not classify.',
    fix: 'Read the full error text; run `mirrorscope trace` for the image on the node.',
  },
  'mirror-config-render-failed': {
    severity: 'error',
    title:
      'The machine-config-operator rejects the ICSP/IDMS/ITMS/image.config objects; the error is only in its controller log and no node gets the change.',
    fix: 'Correct the objects as the error says (`mirrorscope render -f <objects>` prints the same text).',
  },
  'icsp-deprecated': {
    severity: 'info',
    title:
      'An ImageContentSourcePolicy is in use; it is deprecated since OpenShift 4.13 in favour of ImageDigestMirrorSet.',
    fix: 'Apply the equivalent ImageDigestMirrorSet given in the finding, then delete the ImageContentSourcePolicy.',
  },
  'mirror-order-surprise': {
    severity: 'warning',
    title:
      'The MCO merged the mirror lists of a source into an order the objects do not state: lists interleaved by byte order, a conflicting order broken, or the source placed inside the mirror list.',
    fix: 'Give every object naming the source the same relative mirror order, and never list the source as a mirror.',
  },
  'mirror-config-not-generated': {
    severity: 'error',
    title:
      "The pool's generated registries MachineConfig (99-<pool>-generated-registries) does not carry what the mirror objects render to, although they render without error: the machine-config-controller failed or stalled.",
    fix: "Read the controller's reason in the machine-config-controller log (`oc logs -n openshift-machine-config-operator deploy/machine-config-controller -c machine-config-controller`).",
  },
  'mirror-config-not-rolled-out': {
    severity: 'warning',
    title:
      "Some nodes of a pool still run a rendered config whose registry files differ from the pool's target: they pull with the old mirror configuration until they update.",
    fix: 'Wait for the rollout (`oc get mcp`); a Degraded node needs its reason fixed before the pool moves on.',
  },
  'mirror-config-drift': {
    severity: 'error',
    title:
      "The registry files a node uses are not the ones the mirror objects rendered: a later MachineConfig replaces the generated files in the pool's rendered config, or the files on the node were edited by hand.",
    fix: 'Express the change as ImageDigestMirrorSet/ImageTagMirrorSet/image.config objects, delete the overriding MachineConfig, and restore hand-edited files.',
  },
  'pool-paused': {
    severity: 'warning',
    title:
      'A paused MachineConfigPool holds back a change of registry files: its nodes keep the old mirror configuration until it is unpaused.',
    fix: 'Unpause the pool (`oc patch mcp <pool> --type merge -p \'{"spec":{"paused":false}}\'`) when the update may proceed.',
  },
  'machine-config-unreadable': {
    severity: 'warning',
    title:
      'A MachineConfig holds registry files whose Ignition data URL or compression cannot be decoded; they are left out of the comparisons.',
    fix: 'Check the MachineConfig named (`oc get mc <name> -o yaml`); the MCO would refuse it too.',
  },
} as const satisfies Record<string, FindingDefinition>;
