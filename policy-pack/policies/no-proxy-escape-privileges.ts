/** Policy `no-proxy-escape-privileges`: its rule (pure functions over Kubernetes objects) next to its declaration. */
import { GuardConfig } from "../lib/config";
import { resourcePolicy, WORKLOAD_CONFIG } from "../lib/policy";
import { PROXY_UID, isTrue } from "../lib/facts";
import { isIstioContainer, istioShapeViolation } from "../lib/istio";
import { listAt, containerRefs, containerWhere, isWorkloadKind, podTemplatesOf, yaml11Bool, yaml11Int, recordAt, valueAt } from "../../sdk/model";

const ESCAPE_CAPS = new Set(["NET_ADMIN", "NET_RAW", "ALL"]);

/**
 * Host networking, the proxy's identity (UID/GID 1337: istio-iptables returns the proxy's own traffic by
 * `-m owner --uid-owner 1337` / `--gid-owner 1337`, `tools/istio-iptables/pkg/capture/run.go`), and capabilities
 * that rewrite or sidestep the pod's iptables. Numbers and booleans are read as the API server's YAML decoder reads
 * them (`"02471"` is 1337, `"on"` is true; see sdk/model/yaml11.ts).
 */
export function escapePrivilegeProblems(kind: string, obj: unknown, cfg: GuardConfig): string[] {
    const out: string[] = [];
    for (const t of podTemplatesOf(kind, obj)) {
        const spec = t.spec;
        if (isTrue(valueAt(spec, "hostNetwork"))) {
            out.push(
                `${t.path}.hostNetwork: ${JSON.stringify(valueAt(spec, "hostNetwork"))} runs the pod in the node's network namespace, where no sidecar captures its traffic: remove it.`,
            );
        }
        const podSc = recordAt(spec, "securityContext");
        const refs = containerRefs(spec);
        const ordinary = refs.filter((r) => !isIstioContainer(r, cfg.trustedProxyImages));
        // fsGroup / supplementalGroups 1337 put the proxy's GID among every container's groups: a process can then
        // make a setgid-1337 binary on a volume and run with GID 1337, unless no_new_privs blocks setgid
        // (allowPrivilegeEscalation: false on every container that gets the group).
        const groups: [string, unknown[]][] = [
            ["fsGroup", [podSc.fsGroup]],
            ["supplementalGroups", listAt(podSc, "supplementalGroups")],
        ];
        for (const [field, values] of groups) {
            if (!values.some((v) => yaml11Int(v) === PROXY_UID)) continue;
            const escalating = ordinary.filter((r) => yaml11Bool(valueAt(r.c, "securityContext", "allowPrivilegeEscalation")) !== false);
            if (escalating.length === 0) continue;
            out.push(
                `${t.path}.securityContext.${field} includes 1337, the proxy's GID, and ${escalating.map((r) => containerWhere(r)).join(", ")} may escalate privileges: a setgid-1337 binary would run with the proxy's group, whose traffic is never redirected; use another group, or set allowPrivilegeEscalation: false on every container.`,
            );
        }
        for (const ref of refs) {
            const c = recordAt(ref.c);
            const named = c.name === "istio-init" || c.name === "istio-proxy" || c.name === "istio-validation";
            const why = named ? istioShapeViolation(ref, cfg.trustedProxyImages) : undefined;
            if (named && why === undefined) continue;
            const not = why ? ` (not Istio's own container: ${why})` : "";
            const sc = recordAt(c, "securityContext");
            for (const field of ["runAsUser", "runAsGroup"]) {
                const own = sc[field];
                const effective = own !== undefined && own !== null ? own : podSc[field];
                if (yaml11Int(effective) === PROXY_UID) {
                    const inherited = own === undefined || own === null ? ` (inherited from ${t.path}.securityContext)` : "";
                    out.push(
                        `${t.path}.${containerWhere(ref)}${not} runs with ${field} ${JSON.stringify(effective)}${inherited}, the sidecar's own identity 1337, whose traffic is never redirected: use another ${field === "runAsUser" ? "UID" : "GID"}.`,
                    );
                }
            }
            for (const x of listAt(sc, "capabilities", "add")) {
                const cap = String(x).toUpperCase().replace(/^CAP_/, "");
                if (!ESCAPE_CAPS.has(cap)) continue;
                out.push(
                    `${t.path}.${containerWhere(ref)}${not} adds capability ${cap}, which lets it rewrite the pod's iptables or use raw sockets around the sidecar: drop it.`,
                );
            }
            if (isTrue(sc.privileged)) {
                out.push(
                    `${t.path}.${containerWhere(ref)}${not} is privileged and can rewrite the pod's iptables around the sidecar: set securityContext.privileged to false.`,
                );
            }
        }
    }
    return out;
}

export const noProxyEscapePrivileges = resourcePolicy({
    name: "no-proxy-escape-privileges",
    appliesTo: isWorkloadKind,
    description:
        "Pods must not escape the sidecar's iptables: no hostNetwork, UID/GID 1337 (also through fsGroup/supplementalGroups), NET_ADMIN, NET_RAW or privileged containers, except Istio's own containers in Istio's shape.",
    enforcementLevel: "mandatory",
    remediationSteps: "Drop hostNetwork, run as a UID/GID other than 1337, drop NET_ADMIN/NET_RAW/ALL from capabilities.add and set privileged: false.",
    config: [...WORKLOAD_CONFIG, "trustedProxyImages"],
    scopeByNamespace: "workloads",
    check: (o, cfg) => escapePrivilegeProblems(o.kind, o.props, cfg),
});
