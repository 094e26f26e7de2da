/**
 * The checks on `gateway.values`, the Helm values the component passes to the istio/gateway chart on top of its
 * own. Pure. Keys that change the gateway's identity, exposure or pod contents are refused: with them, the
 * lock-down around the gateway would guard something else than the pod the chart installs. What each key does
 * is read from the chart (istio/istio manifests/charts/gateway: templates/deployment.yaml, service.yaml,
 * networkpolicy.yaml, _helpers.tpl, zzz_profile.yaml). The typed args are the way to set what is allowed to
 * change: replicas, autoscaling, the PodDisruptionBudget, labels, resources, the release name, the pods'
 * placement (spread, node selector, tolerations) and drain.
 *
 * Values may contain Outputs (and Promises), except under `service` (the plan derives the gateway's container
 * ports from `service.ports`). The plan checks what it can see; the component checks the resolved values again
 * before the release is created and fails the deployment naming the field (sdk/manifests/gateway.ts).
 */
import { isPending } from "../schema/args";
import type { ArgsProblem } from "../schema/args";

/** Keys refused wherever they are set (even to an empty value): the path, and why. */
export const REFUSED_VALUES: ReadonlyArray<{ path: string; why: string }> = [
    { path: "_internal_defaults_do_not_set", why: "the chart merges it under every other value, so it would bypass every check here" },
    { path: "name", why: "renames the gateway's Deployment and Service, so every route would point at a Service that does not exist; set gateway.releaseName" },
    { path: "labels", why: "replaces the labels that select the gateway pods (the chart's and the component's own); set gateway.labels for extra pod labels" },
    { path: "replicaCount", why: "set gateway.replicas (at least 1)" },
    { path: "autoscaling", why: "set gateway.autoscaling" },
    { path: "podDisruptionBudget", why: "set gateway.podDisruptionBudgetMinAvailable" },
    { path: "resources", why: "set gateway.resources" },
    { path: "serviceAccount", why: "changes the gateway's identity: its service account names its mTLS principal" },
    {
        path: "revision",
        why: "moves the gateway to another control-plane revision without labelling its namespace for that revision's injector; set gateway.revision",
    },
    { path: "networkGateway", why: "turns the gateway into a multi-network gateway, exposing other ports (15443, istiod's 15012)" },
    { path: "networkGatewayPorts", why: "exposes multi-network gateway ports" },
    {
        path: "additionalContainers",
        why: "adds containers to the gateway pod: they share its network, so they get its internet access without its identity checks and logs",
    },
    { path: "initContainers", why: "adds containers to the gateway pod, with its network access" },
    { path: "volumes", why: "changes the gateway pod's contents" },
    { path: "volumeMounts", why: "changes the gateway container's contents" },
    { path: "lifecycle", why: "runs commands in the gateway container, with its internet access" },
    { path: "readinessProbe.exec", why: "runs a command in the gateway container, with its internet access" },
    { path: "securityContext", why: "replaces the chart's pod security context" },
    {
        path: "containerSecurityContext",
        why: "replaces the chart's hardened container security context (no capabilities, no privilege escalation, read-only root)",
    },
    {
        path: "env",
        why: "sets the gateway proxy's environment, which pilot-agent reads its configuration from (CA_ADDR, PROXY_CONFIG, ISTIO_META_*, XDS_ROOT_CA, ...: where its certificates and config come from); set gateway.drain for the drain variables",
    },
    { path: "envVarFrom", why: "sets the gateway proxy's environment from Secrets or ConfigMaps, which pilot-agent reads its configuration from" },
    { path: "dnsPolicy", why: "changes how the gateway resolves the external hosts: another resolver could send an allowed name anywhere" },
    { path: "dnsConfig", why: "changes how the gateway resolves the external hosts: another resolver could send an allowed name anywhere" },
    { path: "global.networkPolicy", why: "the chart's own NetworkPolicy allows the gateway all egress, voiding the lock-down's" },
    { path: "service.externalIPs", why: "exposes the gateway outside the cluster" },
    { path: "service.loadBalancerIP", why: "is for a LoadBalancer Service; the gateway stays ClusterIP" },
    { path: "service.loadBalancerSourceRanges", why: "is for a LoadBalancer Service; the gateway stays ClusterIP" },
    { path: "service.loadBalancerClass", why: "is for a LoadBalancer Service; the gateway stays ClusterIP" },
    { path: "service.allocateLoadBalancerNodePorts", why: "is for a LoadBalancer Service; the gateway stays ClusterIP" },
    { path: "service.externalTrafficPolicy", why: "is for a Service exposed outside the cluster; the gateway stays ClusterIP" },
    { path: "service.healthCheckNodePort", why: "is for a Service exposed outside the cluster; the gateway stays ClusterIP" },
    { path: "service.selectorLabels", why: "changes which pods the gateway Service sends traffic to" },
];

/** Pod and object annotations the chart sets that must keep their value (they make the pod an Istio gateway). */
const REQUIRED_ANNOTATIONS: Readonly<Record<string, string>> = { "inject.istio.io/templates": "gateway", "sidecar.istio.io/inject": "true" };
/** Istio's annotation domains (istio.io, *.istio.io): injection, interception, proxy config, exportTo. */
const ISTIO_ANNOTATION = /^([a-z0-9.-]*\.)?istio\.io\//;
const POLLUTING_KEYS = new Set(["__proto__", "constructor", "prototype"]);

function isPlainObject(v: unknown): v is Record<string, unknown> {
    return v !== null && typeof v === "object" && !Array.isArray(v) && !isPending(v);
}

/** Whether `v` holds an Output or a Promise anywhere. */
export function containsPending(v: unknown): boolean {
    if (isPending(v)) return true;
    if (Array.isArray(v)) return v.some(containsPending);
    if (v !== null && typeof v === "object") return Object.values(v).some(containsPending);
    return false;
}

export interface ValuesCheck {
    problems: ArgsProblem[];
    /** Whether some check could not be made because a value is an Output (it is made once it resolves). */
    pending: boolean;
}

/**
 * Checks the user's `gateway.values` (not merged). `resolved` says whether Outputs have resolved (deploy time):
 * before, a value that is an Output is skipped (and `pending` set); after, none may remain.
 */
export function helmValuesProblems(values: unknown, field = "gateway.values"): ValuesCheck {
    const problems: ArgsProblem[] = [];
    let pending = false;
    if (values === undefined) return { problems, pending };
    if (isPending(values)) {
        return { problems: [{ field, rule: "must be a map of Helm values, not an Output (Outputs are accepted inside it, except under service)" }], pending };
    }
    if (!isPlainObject(values)) return { problems: [{ field, rule: "must be a map of Helm values" }], pending };

    const scan = (v: unknown, at: string) => {
        if (isPending(v)) {
            pending = true;
            return;
        }
        if (Array.isArray(v)) v.forEach((x, i) => scan(x, `${at}[${i}]`));
        else if (v !== null && typeof v === "object") {
            for (const k of Object.keys(v)) {
                if (POLLUTING_KEYS.has(k)) problems.push({ field: `${at}.${k}`, rule: "is not a Helm value (a key that would change an object's prototype)" });
                else scan((v as Record<string, unknown>)[k], `${at}.${k}`);
            }
        }
    };
    scan(values, field);

    /** The value at `path`: `{known: false}` when an Output stands on the way. */
    const at = (path: string): { known: boolean; present: boolean; value?: unknown } => {
        let cur: unknown = values;
        for (const part of path.split(".")) {
            if (isPending(cur)) return { known: false, present: false };
            if (!isPlainObject(cur) || !Object.prototype.hasOwnProperty.call(cur, part)) return { known: true, present: false };
            cur = cur[part];
        }
        return { known: true, present: true, value: cur };
    };
    for (const r of REFUSED_VALUES) {
        const v = at(r.path);
        if (!v.known) pending = true;
        else if (v.present) problems.push({ field: `${field}.${r.path}`, rule: `must not be set: it ${r.why}` });
    }

    const service = at("service");
    if (service.present) {
        if (containsPending(service.value)) {
            problems.push({
                field: `${field}.service`,
                rule: "must be plain values, not Outputs: the lock-down derives the gateway's container ports from service.ports",
            });
        } else if (!isPlainObject(service.value)) {
            problems.push({ field: `${field}.service`, rule: "must be a map" });
        } else if (service.value.type !== undefined && service.value.type !== "ClusterIP") {
            problems.push({
                field: `${field}.service.type`,
                rule: `must stay ClusterIP: an egress gateway must not be reachable from outside the cluster; got ${JSON.stringify(service.value.type)}`,
            });
        }
    }
    const tolerations = at("tolerations");
    if (!tolerations.known || isPending(tolerations.value)) {
        pending = true;
    } else if (tolerations.present) {
        if (!Array.isArray(tolerations.value)) {
            problems.push({ field: `${field}.tolerations`, rule: "must be a list of tolerations" });
        } else {
            tolerations.value.forEach((t, i) => {
                if (isPending(t) || (isPlainObject(t) && isPending(t.key))) pending = true;
                else if (!isPlainObject(t) || typeof t.key !== "string" || t.key === "") {
                    problems.push({
                        field: `${field}.tolerations[${i}].key`,
                        rule: "must name the taint's key: a key-less toleration tolerates every taint, the control plane's included (or set gateway.tolerations)",
                    });
                }
            });
        }
    }
    for (const key of ["podAnnotations", "annotations", "service.annotations"]) {
        const a = at(key);
        if (!a.known) {
            pending = true;
            continue;
        }
        if (!a.present) continue;
        if (isPending(a.value)) {
            pending = true;
            continue;
        }
        if (!isPlainObject(a.value)) {
            problems.push({ field: `${field}.${key}`, rule: "must be a map of annotations" });
            continue;
        }
        for (const [k, v] of Object.entries(a.value)) {
            if (!ISTIO_ANNOTATION.test(k)) continue;
            if (isPending(v)) {
                pending = true;
            } else if (!(k in REQUIRED_ANNOTATIONS) || REQUIRED_ANNOTATIONS[k] !== v) {
                problems.push({
                    field: `${field}.${key}["${k}"]`,
                    rule: "must not be set: Istio annotations decide whether the pod gets the gateway proxy, how its traffic is captured and which namespaces see it",
                });
            }
        }
    }
    return { problems, pending };
}

/** Deep merge for Helm values: objects merge key by key, everything else (arrays, Outputs) is replaced. */
export function mergeValues(base: Record<string, unknown>, override: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(override)) {
        if (POLLUTING_KEYS.has(k)) continue;
        out[k] = isPlainObject(v) && isPlainObject(out[k]) ? mergeValues(out[k], v) : v;
    }
    return out;
}
