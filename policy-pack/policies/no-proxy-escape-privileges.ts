/** Policy `no-proxy-escape-privileges`: its rule (pure functions over Kubernetes objects) next to its declaration. */
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

const ESCAPE_CAPS = new Set(["NET_ADMIN", "NET_RAW", "ALL"]);

/** Host networking, the proxy's UID/GID 1337, and capabilities that rewrite or sidestep the pod's iptables. */
export function escapePrivilegeProblems(kind: string, obj: any, cfg: GuardConfig): string[] {
    const out: string[] = [];
    for (const t of podTemplatesOf(kind, obj)) {
        if (isGatewayPod(t.metadata, t.spec, cfg.gatewayLabels)) continue;
        const spec = t.spec;
        if (isTrue(spec?.hostNetwork)) {
            out.push(`${t.path}.hostNetwork: true runs the pod in the node's network namespace, where no sidecar captures its traffic: remove it.`);
        }
        const podSc = asObject(spec?.securityContext);
        for (const ref of containerRefs(spec)) {
            const c = ref.c;
            if (isIstioContainer(c)) continue;
            const sc = asObject(c?.securityContext);
            for (const field of ["runAsUser", "runAsGroup"]) {
                const own = sc[field];
                const effective = own !== undefined && own !== null ? own : podSc[field];
                if (effective !== undefined && Number(effective) === PROXY_UID) {
                    const inherited = own === undefined || own === null ? ` (inherited from ${t.path}.securityContext)` : "";
                    out.push(`${t.path}.${containerWhere(ref)} runs with ${field} 1337${inherited}, the sidecar's own identity, whose traffic is never redirected: use another ${field === "runAsUser" ? "UID" : "GID"}.`);
                }
            }
            for (const x of asArray(asObject(sc.capabilities).add)) {
                const cap = String(x).toUpperCase().replace(/^CAP_/, "");
                if (!ESCAPE_CAPS.has(cap)) continue;
                out.push(`${t.path}.${containerWhere(ref)} adds capability ${cap}, which lets it rewrite the pod's iptables or use raw sockets around the sidecar: drop it.`);
            }
            if (isTrue(sc.privileged)) {
                out.push(`${t.path}.${containerWhere(ref)} is privileged and can rewrite the pod's iptables around the sidecar: set securityContext.privileged to false.`);
            }
        }
    }
    return out;
}

export const noProxyEscapePrivileges = resourcePolicy({
    name: "no-proxy-escape-privileges",
    appliesTo: isWorkloadKind,
    description: "Pods must not escape the sidecar's iptables: no hostNetwork, UID/GID 1337, NET_ADMIN, NET_RAW or privileged containers.",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Drop hostNetwork, run as a UID/GID other than 1337, drop NET_ADMIN/NET_RAW/ALL from capabilities.add and set privileged: false.",
    config: WORKLOAD_CONFIG,
    scopeByNamespace: "workloads",
    check: (o, cfg) => escapePrivilegeProblems(o.kind, o.props, cfg),
});
