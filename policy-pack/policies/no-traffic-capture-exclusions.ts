/** Policy `no-traffic-capture-exclusions`: its rule (pure functions over Kubernetes objects) next to its declaration. */
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

const EXCLUSION_ANNOTATIONS: Record<string, string> = {
    "traffic.sidecar.istio.io/excludeOutboundIPRanges": "sends traffic to these ranges around the sidecar",
    "traffic.sidecar.istio.io/excludeOutboundPorts": "sends traffic on these ports around the sidecar",
    "traffic.sidecar.istio.io/includeOutboundPorts": "selects outbound ports for capture instead of capturing every port",
    "traffic.sidecar.istio.io/excludeInterfaces": "sends traffic on these interfaces around the sidecar",
    "traffic.sidecar.istio.io/kubevirtInterfaces": "sends traffic from these interfaces around the sidecar",
};

const EXCLUSION_ENTRIES = Object.entries(EXCLUSION_ANNOTATIONS);

/** Pod annotations, and istiod Helm values, that exclude outbound traffic from the sidecar's capture. */
export function captureExclusionProblems(kind: string, obj: any, cfg: GuardConfig): string[] {
    const out: string[] = [];
    if (kind === "Release") {
        if (chartName(obj?.chart) !== "istiod") return out;
        const proxy = asObject(asObject(asObject(obj?.values).global).proxy);
        if (proxy.includeIPRanges !== undefined && String(proxy.includeIPRanges).trim() !== "*") {
            out.push(`values.global.proxy.includeIPRanges: "${proxy.includeIPRanges}" leaves outbound traffic to other addresses uncaptured mesh-wide: set it to "*" (or remove it).`);
        }
        for (const k of ["excludeIPRanges", "excludeOutboundPorts"]) {
            if (proxy[k] !== undefined && String(proxy[k]).trim() !== "") {
                out.push(`values.global.proxy.${k}: "${proxy[k]}" exempts outbound traffic from capture mesh-wide: remove it.`);
            }
        }
        return out;
    }
    for (const t of podTemplatesOf(kind, obj)) {
        if (isGatewayPod(t.metadata, t.spec, cfg.gatewayLabels)) continue;
        const annotations = asObject(t.metadata?.annotations);
        const include = annotations["traffic.sidecar.istio.io/includeOutboundIPRanges"];
        if (include !== undefined && String(include).trim() !== "*") {
            out.push(
                String(include).trim() === ""
                    ? `${templateMeta(t.path)}.annotations traffic.sidecar.istio.io/includeOutboundIPRanges is empty, so no outbound traffic is redirected to the sidecar: remove it.`
                    : `${templateMeta(t.path)}.annotations traffic.sidecar.istio.io/includeOutboundIPRanges: "${include}" leaves traffic to every other address uncaptured: remove it (the default "*" captures all).`,
            );
        }
        for (const [key, what] of EXCLUSION_ENTRIES) {
            const v = annotations[key];
            if (v !== undefined && String(v).trim() !== "") {
                out.push(`${templateMeta(t.path)}.annotations ${key}: "${v}" ${what}, bypassing the egress gateway: remove it.`);
            }
        }
    }
    return out;
}

export const noTrafficCaptureExclusions = resourcePolicy({
    name: "no-traffic-capture-exclusions",
    appliesTo: (k) => isWorkloadKind(k) || k === "Release",
    meshWide: (k) => k === "Release",
    description: "Outbound traffic must not be excluded from the sidecar's capture (IP ranges, ports, interfaces).",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Remove the traffic.sidecar.istio.io/* outbound exclusion annotations from pod templates and global.proxy include/exclude settings from the istiod values.",
    config: WORKLOAD_CONFIG,
    scopeByNamespace: "workloads",
    check: (o, cfg) => captureExclusionProblems(o.kind, o.props, cfg),
});
