/** Policy `namespace-default-deny-egress`: its rule (pure functions over Kubernetes objects) next to its declaration. */
import { parse as parseYaml } from "yaml";
import { GuardConfig } from "../lib/config";
import { resourcePolicy, stackPolicy, WORKLOAD_CONFIG, REGISTRY_KINDS, ROUTING_KINDS } from "../lib/policy";
import {
    ISTIO_NET,
    PROXY_UID,
    StackFinding,
    StackObject,
    GatewayFacts,
    gatewayFacts,
    isDefaultDenyEgress,
    isGatewayPod,
    isGatewayRelease,
    isTrue,
    networkPolicyHoles,
    selectsEgressGateway,
    selectsOnlyGateway,
    templateMeta,
    TRUE_VALUES,
} from "../lib/facts";
import { isIstioContainer } from "../lib/istio";
import {
    asArray,
    asObject,
    chartName,
    containerRefs,
    containerWhere,
    fqdn,
    gatewayReleaseLabels,
    hostCovers,
    isWorkloadKind,
    labelsMatch,
    podTemplatesOf,
    str,
} from "../../sdk/model";

/**
 * Every application namespace where the stack runs workloads (or installs a Helm release) needs a default-deny
 * egress NetworkPolicy in the same stack.
 */
export function defaultDenyFindings(objects: StackObject[], cfg: GuardConfig, facts: GatewayFacts): StackFinding[] {
    const exempt = new Set([...cfg.exemptNamespaces, ...facts.namespaces]);
    const workloads = new Map<string, StackObject[]>();
    const denied = new Set<string>();
    for (const o of objects) {
        if (o.patch || o.namespace === undefined || exempt.has(o.namespace)) continue;
        if (o.kind === "NetworkPolicy" && o.group === "networking.k8s.io") {
            if (isDefaultDenyEgress(o.props?.spec, cfg)) denied.add(o.namespace);
            continue;
        }
        const isWorkload =
            (isWorkloadKind(o.kind) && !podTemplatesOf(o.kind, o.props).every((t) => isGatewayPod(t.metadata, t.spec, cfg.gatewayLabels))) ||
            o.kind === "Release";
        if (isWorkload) {
            const list = workloads.get(o.namespace) ?? [];
            list.push(o);
            workloads.set(o.namespace, list);
        }
    }
    const out: StackFinding[] = [];
    for (const [ns, list] of workloads) {
        if (denied.has(ns)) continue;
        const names = list.slice(0, 3).map((o) => `${o.kind}/${o.name}`).join(", ") + (list.length > 3 ? `, and ${list.length - 3} more` : "");
        for (const o of list) {
            out.push({
                urn: o.urn,
                message: `namespace "${ns}" runs workloads (${names}) but the stack has no default-deny egress NetworkPolicy there: add a NetworkPolicy in "${ns}" with podSelector: {}, policyTypes: [Egress] and egress rules that allow only in-cluster peers (DNS, istiod, the egress gateway).`,
            });
        }
    }
    return out;
}

export const namespaceDefaultDenyEgress = stackPolicy({
    name: "namespace-default-deny-egress",
    appliesTo: (k) => isWorkloadKind(k) || k === "Release" || k === "NetworkPolicy" || k === "Service",
    subjects: isWorkloadKind,
    description: "Every application namespace the stack deploys workloads to must have a default-deny egress NetworkPolicy.",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Add a NetworkPolicy with podSelector: {} and policyTypes: [Egress] to the namespace, allowing only in-cluster peers (DNS, istiod, the egress gateway).",
    config: [...WORKLOAD_CONFIG, "inClusterCidrs", "allowedEgressCidrs", "discoverGatewayNamespaces"],
    check: (objects, cfg) => defaultDenyFindings(objects, cfg, gatewayFacts(objects, cfg)),
});
