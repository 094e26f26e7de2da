/** Policy `no-external-egress-networkpolicy`: its rule (pure functions over Kubernetes objects) next to its declaration. */
import { GuardConfig } from "../lib/config";
import { resourcePolicy } from "../lib/policy";
import { NETWORK_POLICY_KINDS, str, valueAt } from "../../sdk/model";
import { egressHoles } from "../lib/netpol";

/**
 * What a network policy opens outside the cluster (see lib/netpol.ts for every flavour's semantics). A policy is the
 * egress gateway's, and may open the internet, only inside a gateway namespace and only when its selector can match
 * nothing but the gateway's pods: no `podSelector: {}`, no requirement that admits other values.
 */
export function networkPolicyProblems(kind: string, obj: unknown, cfg: GuardConfig, group = "networking.k8s.io", namespace?: string): string[] {
    // As the pack reads it (namespaceAndName): a namespace that is not a non-empty string is "default".
    return egressHoles(group, kind, obj, namespace ?? str(valueAt(obj, "metadata", "namespace")) ?? "default", cfg);
}

export const noExternalEgressNetworkPolicy = resourcePolicy({
    name: "no-external-egress-networkpolicy",
    appliesTo: (k) => NETWORK_POLICY_KINDS.has(k),
    description:
        "Network policies (Kubernetes, Cilium, Calico, AdminNetworkPolicy) must not open egress outside the cluster to pods other than the egress gateway's.",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Give every egress rule in-cluster peers; replace ipBlocks/CIDRs/entities/FQDNs outside the cluster by routing through the egress gateway (or list a required CIDR in allowedEgressCidrs).",
    config: ["exemptNamespaces", "gatewayNamespaces", "gatewayLabels", "inClusterCidrs", "allowedEgressCidrs"],
    scopeByNamespace: "exempt-only",
    check: (o, cfg) => egressHoles(o.group, o.kind, o.props, o.namespace, cfg),
});
