/** Policy `no-external-egress-networkpolicy`: its rule (pure functions over Kubernetes objects) next to its declaration. */
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
    networkPolicyFlavour,
    NETWORK_POLICY_KINDS,
} from "../../sdk/model";
import { egressHoles } from "../lib/netpol";

/**
 * What a network policy opens outside the cluster (see lib/netpol.ts for every flavour's semantics). A policy is the
 * egress gateway's, and may open the internet, only inside a gateway namespace and only when its selector can match
 * nothing but the gateway's pods: no `podSelector: {}`, no requirement that admits other values.
 */
export function networkPolicyProblems(kind: string, obj: any, cfg: GuardConfig, group = "networking.k8s.io", namespace?: string): string[] {
    return egressHoles(group, kind, obj, namespace ?? (obj?.metadata?.namespace ?? "default"), cfg);
}

export const noExternalEgressNetworkPolicy = resourcePolicy({
    name: "no-external-egress-networkpolicy",
    appliesTo: (k) => NETWORK_POLICY_KINDS.has(k),
    description: "Network policies (Kubernetes, Cilium, Calico, AdminNetworkPolicy) must not open egress outside the cluster to pods other than the egress gateway's.",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Give every egress rule in-cluster peers; replace ipBlocks/CIDRs/entities/FQDNs outside the cluster by routing through the egress gateway (or list a required CIDR in allowedEgressCidrs).",
    config: ["exemptNamespaces", "gatewayNamespaces", "gatewayLabels", "inClusterCidrs", "allowedEgressCidrs"],
    scopeByNamespace: "exempt-only",
    check: (o, cfg) => egressHoles(o.group, o.kind, o.props, o.namespace, cfg),
});
