/** Policy `egress-gateway-cluster-ip`: its rule (pure functions over Kubernetes objects) next to its declaration. */
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

export function gatewayServiceProblems(kind: string, obj: any, resourceName: string, namespace: string, cfg: GuardConfig): string[] {
    if (kind === "Release") {
        if (!isGatewayRelease(obj, resourceName, namespace, cfg)) return [];
        const type = obj?.values?.service?.type;
        if (type === "ClusterIP" || type === "None") return [];
        return [
            type === undefined
                ? `values.service.type is not set and the istio/gateway chart defaults it to LoadBalancer, exposing the egress gateway outside the cluster: set values.service.type: ClusterIP.`
                : `values.service.type is ${type}, exposing the egress gateway outside the cluster: set values.service.type: ClusterIP.`,
        ];
    }
    if (kind === "Service") {
        if (!labelsMatch(cfg.gatewayLabels, obj?.spec?.selector)) return [];
        const type = obj?.spec?.type ?? "ClusterIP";
        if (type === "LoadBalancer" || type === "NodePort") {
            return [`spec.type is ${type}, exposing the egress gateway outside the cluster: set spec.type: ClusterIP.`];
        }
        if (asArray(obj?.spec?.externalIPs).length > 0) {
            return [`spec.externalIPs exposes the egress gateway outside the cluster: remove them.`];
        }
    }
    return [];
}

export const egressGatewayClusterIp = resourcePolicy({
    name: "egress-gateway-cluster-ip",
    appliesTo: (k) => k === "Release" || k === "Service",
    description: "The egress gateway's Service must be ClusterIP, not reachable from outside the cluster.",
    enforcementLevel: "mandatory",
    remediationSteps: "Set service.type: ClusterIP in the istio/gateway release values (the chart defaults to LoadBalancer).",
    config: ["exemptNamespaces", "gatewayNamespaces", "gatewayLabels"],
    configDefaults: { exemptNamespaces: [] },
    scopeByNamespace: "exempt-only",
    check: (o, cfg) =>
        o.kind === "Release" || (o.kind === "Service" && o.group === "")
            ? gatewayServiceProblems(o.kind, o.props, o.name, o.namespace ?? "default", cfg)
            : [],
});
