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
} from "../../sdk/model";

export function networkPolicyProblems(kind: string, obj: any, cfg: GuardConfig): string[] {
    if (kind !== "NetworkPolicy") return [];
    if (selectsOnlyGateway(obj?.spec, cfg.gatewayLabels)) return [];
    return networkPolicyHoles(obj?.spec, cfg);
}

export const noExternalEgressNetworkPolicy = resourcePolicy({
    name: "no-external-egress-networkpolicy",
    appliesTo: (k) => k === "NetworkPolicy",
    description: "NetworkPolicies must not open egress outside the cluster to pods other than the egress gateway.",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Give every egress rule a `to` with in-cluster peers; replace ipBlocks outside the cluster by routing through the egress gateway (or list a required CIDR in allowedEgressCidrs).",
    config: [...WORKLOAD_CONFIG, "inClusterCidrs", "allowedEgressCidrs"],
    scopeByNamespace: "workloads",
    check: (o, cfg) => (o.group === "networking.k8s.io" ? networkPolicyProblems(o.kind, o.props, cfg) : []),
});
