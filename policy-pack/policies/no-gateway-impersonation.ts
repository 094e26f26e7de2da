/** Policy `no-gateway-impersonation`: its rule (pure functions over Kubernetes objects) next to its declaration. */
import { GuardConfig } from "../lib/config";
import { resourcePolicy } from "../lib/policy";
import { claimsGatewayIdentity, isGatewayPod } from "../lib/facts";
import { isWorkloadKind, podTemplatesOf, valueAt } from "../../sdk/model";

/**
 * Pods that carry the egress gateway's labels without being the gateway: outside the gateway namespaces (whatever
 * they run), or inside them running anything but Istio's proxy in Istio's shape. Istio applies a Gateway's selector
 * in every namespace, and the gateway's AuthorizationPolicies, Service and NetworkPolicy select pods by those labels,
 * so an impostor would receive the mesh's egress traffic or the gateway's internet access.
 */
export function impersonationProblems(kind: string, obj: unknown, cfg: GuardConfig, namespace?: string): string[] {
    const out: string[] = [];
    for (const t of podTemplatesOf(kind, obj)) {
        if (!claimsGatewayIdentity(valueAt(t.metadata, "labels"), cfg)) continue;
        if (isGatewayPod(namespace, t.metadata, t.spec, cfg, cfg.gatewayNamespaces)) continue;
        const where = t.path.replace(/\.spec$/, "").replace(/^spec$/, "");
        const labels = Object.entries(cfg.gatewayLabels)
            .map(([k, v]) => `${k}: ${v}`)
            .join(", ");
        const inGatewayNs = namespace !== undefined && cfg.gatewayNamespaces.includes(namespace);
        const why = inGatewayNs
            ? "but the pod runs other containers than Istio's proxy (in Istio's shape)"
            : `outside the gateway namespaces (${cfg.gatewayNamespaces.join(", ")}), where no pod is the egress gateway`;
        out.push(
            `${where ? `${where}.` : ""}metadata.labels carry the egress gateway's labels (${labels}) ${why}: Istio applies the egress Gateway's selector in every namespace, and the gateway's NetworkPolicy, Service and AuthorizationPolicies select these labels; remove those labels.`,
        );
    }
    return out;
}

export const noGatewayImpersonation = resourcePolicy({
    name: "no-gateway-impersonation",
    appliesTo: isWorkloadKind,
    description: "Only the egress gateway's own pods may carry the egress gateway's labels.",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Remove the egress gateway's labels from pods that are not the gateway; the gateway's NetworkPolicy, Service and AuthorizationPolicies select pods by them.",
    config: ["exemptNamespaces", "gatewayNamespaces", "gatewayLabels", "trustedProxyImages"],
    configDefaults: { exemptNamespaces: [] },
    scopeByNamespace: "exempt-only",
    check: (o, cfg) => impersonationProblems(o.kind, o.props, cfg, o.namespace),
});
