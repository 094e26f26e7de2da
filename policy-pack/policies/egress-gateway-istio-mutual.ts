/** Policy `egress-gateway-istio-mutual`: its rule (pure functions over Kubernetes objects) next to its declaration. */
import { GuardConfig } from "../lib/config";
import { resourcePolicy } from "../lib/policy";
import { selectsEgressGateway } from "../lib/facts";
import { listAt, shown, valueAt } from "../../sdk/model";

/** Servers of an egress Gateway that do not require Istio mTLS. */
export function gatewayTlsProblems(kind: string, group: string, obj: unknown, cfg: GuardConfig): string[] {
    if (kind !== "Gateway" || group !== "networking.istio.io") return [];
    if (!selectsEgressGateway(valueAt(obj, "spec", "selector"), cfg.gatewayLabels)) return [];
    const out: string[] = [];
    listAt(obj, "spec", "servers").forEach((s, i) => {
        const mode = valueAt(s, "tls", "mode");
        if (mode !== "ISTIO_MUTUAL") {
            out.push(
                `spec.servers[${i}] (port ${shown(valueAt(s, "port", "number"))}) has tls.mode ${mode === undefined || mode === null ? "unset" : shown(mode)}: without ISTIO_MUTUAL the egress gateway accepts connections from any client and cannot check its identity: set tls.mode: ISTIO_MUTUAL.`,
            );
        }
    });
    return out;
}

export const egressGatewayIstioMutual = resourcePolicy({
    name: "egress-gateway-istio-mutual",
    appliesTo: (k) => k === "Gateway",
    description: "Every server of the egress Gateway must require Istio mTLS (tls.mode ISTIO_MUTUAL).",
    enforcementLevel: "mandatory",
    remediationSteps: "Set tls.mode: ISTIO_MUTUAL on every server of Gateways that select the egress gateway.",
    config: ["exemptNamespaces", "gatewayLabels"],
    configDefaults: { exemptNamespaces: [] },
    scopeByNamespace: "exempt-only",
    check: (o, cfg) => gatewayTlsProblems(o.kind, o.group, o.props, cfg),
});
