/** Policy `no-gateway-impersonation`: its rule (pure functions over Kubernetes objects) next to its declaration. */
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
 * Pods that carry the egress gateway's labels without being the gateway (only Istio's proxy container). The
 * gateway's NetworkPolicy, AuthorizationPolicies and Service select pods by those labels, so an impostor would get
 * the gateway's internet access and receive the mesh's egress traffic.
 */
export function impersonationProblems(kind: string, obj: any, cfg: GatewayLabelsConfig): string[] {
    const out: string[] = [];
    for (const t of podTemplatesOf(kind, obj)) {
        if (!labelsMatch(cfg.gatewayLabels, t.metadata?.labels)) continue;
        if (isGatewayPod(t.metadata, t.spec, cfg.gatewayLabels)) continue;
        const where = t.path.replace(/\.spec$/, "").replace(/^spec$/, "");
        const labels = Object.entries(cfg.gatewayLabels).map(([k, v]) => `${k}: ${v}`).join(", ");
        out.push(`${where ? `${where}.` : ""}metadata.labels carry the egress gateway's labels (${labels}) but the pod runs other containers than Istio's proxy: the gateway's NetworkPolicy, Service and AuthorizationPolicies would apply to it; remove those labels.`);
    }
    return out;
}

type GatewayLabelsConfig = Pick<GuardConfig, "gatewayLabels">;

export const noGatewayImpersonation = resourcePolicy({
    name: "no-gateway-impersonation",
    appliesTo: isWorkloadKind,
    description: "Only the egress gateway's own pods may carry the egress gateway's labels.",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Remove the egress gateway's labels from pods that are not the gateway; the gateway's NetworkPolicy, Service and AuthorizationPolicies select pods by them.",
    config: ["exemptNamespaces", "gatewayLabels"],
    configDefaults: { exemptNamespaces: [] },
    scopeByNamespace: "exempt-only",
    check: (o, cfg) => impersonationProblems(o.kind, o.props, cfg),
});
