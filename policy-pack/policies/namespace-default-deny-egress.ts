/** Policy `namespace-default-deny-egress`: its rule (pure functions over Kubernetes objects) next to its declaration. */
import { GuardConfig } from "../lib/config";
import { stackPolicy, WORKLOAD_CONFIG } from "../lib/policy";
import { StackFinding, StackObject, GatewayFacts, gatewayFacts, networkPolicyHoles } from "../lib/facts";
import {
    isWorkloadKind,
    podTemplatesOf,
    networkPolicyFlavour,
    NETWORK_POLICY_KINDS,
    NETWORKING_K8S,
    recordAt,
    selectorMatches,
    valueAt,
} from "../../sdk/model";
import { defaultDenyScope } from "../lib/netpol";
import { hasEgressType } from "../lib/facts";

/** Does a Kubernetes label selector select these labels? A selector the API server would reject selects nothing. */
function selects(selector: unknown, labels: Record<string, string>): boolean {
    try {
        // Read as the API server's shape; a field of another type makes selectorMatches throw, caught here: selects nothing.
        return selectorMatches(recordAt(selector), labels);
    } catch {
        return false;
    }
}

/**
 * Every application namespace where the stack runs workloads (or installs a Helm release) must keep them from
 * reaching the outside at L3: a default-deny egress policy for the whole namespace (a Kubernetes NetworkPolicy with
 * `podSelector: {}` and `Egress`, or its Cilium, Calico or AdminNetworkPolicy equivalent, namespaced or
 * cluster-wide) that opens nothing external; or, for a workload, every pod template selected by Kubernetes
 * NetworkPolicies that isolate it for egress and open nothing external. One finding per namespace, on its first
 * unprotected workload (the message names the others).
 */
export function defaultDenyFindings(objects: StackObject[], cfg: GuardConfig, facts: GatewayFacts): StackFinding[] {
    const exempt = new Set([...cfg.exemptNamespaces, ...facts.namespaces]);
    const workloads = new Map<string, StackObject[]>();
    const denied = new Set<string>();
    const isolating = new Map<string, { spec: unknown; open: boolean }[]>();
    const namespaceObjects = new Map<string, StackObject>();
    let clusterWide = false;
    for (const o of objects) {
        if (o.patch) continue;
        if (o.kind === "Namespace" && o.group === "") {
            namespaceObjects.set(o.name, o);
            continue;
        }
        if (networkPolicyFlavour(o.group, o.kind) !== undefined) {
            const scope = defaultDenyScope(o.group, o.kind, o.props, cfg);
            if (scope === "cluster") clusterWide = true;
            if (o.namespace === undefined) continue;
            if (scope === "namespace") denied.add(o.namespace);
            const spec = valueAt(o.props, "spec");
            if (o.group === NETWORKING_K8S && hasEgressType(spec)) {
                const list = isolating.get(o.namespace) ?? [];
                list.push({ spec, open: networkPolicyHoles(spec, cfg).length > 0 });
                isolating.set(o.namespace, list);
            }
            continue;
        }
        if (o.namespace === undefined || exempt.has(o.namespace)) continue;
        if (isWorkloadKind(o.kind) || o.kind === "Release") {
            const list = workloads.get(o.namespace) ?? [];
            list.push(o);
            workloads.set(o.namespace, list);
        }
    }
    if (clusterWide) return [];
    const out: StackFinding[] = [];
    for (const [ns, list] of workloads) {
        if (denied.has(ns)) continue;
        const policies = isolating.get(ns) ?? [];
        const open = list.filter((o) => {
            if (o.kind === "Release") return true;
            const templates = podTemplatesOf(o.kind, o.props);
            if (templates.length === 0) return false;
            return !templates.every((t) => {
                // As before: a label of another type than string stays in (selectorMatches compares by identity).
                const labels = recordAt(t.metadata, "labels") as Record<string, string>;
                const selecting = policies.filter((p) => selects(valueAt(p.spec, "podSelector"), labels));
                return selecting.length > 0 && selecting.every((p) => !p.open);
            });
        });
        if (open.length === 0) continue;
        const names =
            open
                .slice(0, 3)
                .map((o) => `${o.kind}/${o.name}`)
                .join(", ") + (open.length > 3 ? `, and ${open.length - 3} more` : "");
        out.push({
            urn: open[0].urn,
            message: `namespace "${ns}" runs workloads (${names}) that no default-deny egress policy in the stack confines to the cluster: add a NetworkPolicy in "${ns}" with podSelector: {}, policyTypes: [Egress] and egress rules that allow only in-cluster peers (DNS, istiod, the egress gateway), or its Cilium/Calico/AdminNetworkPolicy equivalent.`,
        });
    }
    return out;
}

export const namespaceDefaultDenyEgress = stackPolicy({
    name: "namespace-default-deny-egress",
    appliesTo: (k) => isWorkloadKind(k) || k === "Release" || k === "Namespace" || NETWORK_POLICY_KINDS.has(k),
    subjects: (k) => isWorkloadKind(k) || k === "Namespace",
    description:
        "Every application namespace the stack deploys workloads to must have a default-deny egress policy (NetworkPolicy, or its Cilium, Calico or AdminNetworkPolicy equivalent).",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Add a NetworkPolicy with podSelector: {} and policyTypes: [Egress] to the namespace, allowing only in-cluster peers (DNS, istiod, the egress gateway).",
    config: [...WORKLOAD_CONFIG, "inClusterCidrs", "allowedEgressCidrs", "discoverGatewayNamespaces"],
    check: (objects, cfg) => defaultDenyFindings(objects, cfg, gatewayFacts(objects, cfg)),
});
