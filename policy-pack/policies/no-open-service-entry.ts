/** Policy `no-open-service-entry`: its rule (pure functions over Kubernetes objects) next to its declaration. */
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

/** A `*` host, or a TCP port with passthrough resolution and no addresses (matches every destination on the port). */
export function openServiceEntryProblems(kind: string, group: string, obj: any): string[] {
    if (kind !== "ServiceEntry" || group !== "networking.istio.io") return [];
    const out: string[] = [];
    const spec = obj?.spec;
    if (asArray(spec?.hosts).includes("*")) {
        out.push(`spec.hosts contains "*", which makes every host reachable: list the external hosts by name.`);
    }
    const resolution = spec?.resolution ?? "NONE";
    if (resolution === "NONE" && asArray(spec?.addresses).length === 0) {
        asArray(spec?.ports).forEach((p, i) => {
            const proto = String(p?.protocol ?? "").toUpperCase();
            if (proto === "" || proto === "TCP") {
                out.push(`spec.ports[${i}] (${p?.number}) is TCP with resolution NONE and no addresses, so it matches every destination on port ${p?.number}: set addresses, use resolution DNS, or use a TLS/HTTP protocol.`);
            }
        });
    }
    return out;
}

export const noOpenServiceEntry = resourcePolicy({
    name: "no-open-service-entry",
    appliesTo: (k) => k === "ServiceEntry",
    description: "ServiceEntries must name their hosts and must not pass through every destination on a TCP port.",
    enforcementLevel: "mandatory",
    remediationSteps: 'Replace host "*" with the external host names; give TCP ports addresses or use resolution DNS.',
    config: ["exemptNamespaces"],
    configDefaults: { exemptNamespaces: [] },
    scopeByNamespace: "exempt-only",
    check: (o) => openServiceEntryProblems(o.kind, o.group, o.props),
});
