/**
 * Policy `gateway-cluster-rbac` (stack, advisory): a ClusterRoleBinding grants its ClusterRole's rules in every
 * namespace (kubernetes pkg/registry/rbac/validation/rule.go VisitRulesFor), the egress gateway's included, so one
 * that grants what `gateway-namespace-rbac` refuses there (write, exec, Secrets access: lib/rbac.ts) undoes the
 * lock-down as surely. Judged in stacks that hold the gateway (a gateway Release, or objects in a gateway
 * namespace); a ClusterRole the pack cannot see (not in the stack nor a Kubernetes default, or aggregating roles
 * outside the stack) is reported too.
 *
 * Advisory by default: cluster-wide write to pods, workloads or Secrets is what most operators hold (cert-manager,
 * Argo CD, Flux, the Prometheus operator, Istio's own gateway controller), and each is as powerful in every
 * application namespace as in the gateway's — whether to trust it is the cluster's RBAC review, which a mandatory
 * finding on every such stack would only teach to disable. The advisory names each one so the reviewer sees it;
 * set the policy to mandatory (and exempt the reviewed bindings by config) where that review is this pack.
 */
import { GuardConfig } from "../lib/config";
import { stackPolicy } from "../lib/policy";
import { GatewayFacts, StackFinding, StackObject, gatewayFacts, isGatewayRelease } from "../lib/facts";
import { bindingProblems, RBAC_KINDS, RbacContext, rbacContext } from "./gateway-namespace-rbac";
import { isWorkloadKind, RBAC_GROUP } from "../../sdk/model";

/** The gateway namespaces this stack holds the gateway in: a gateway Release's, or one with objects of the stack. */
function heldGatewayNamespaces(objects: StackObject[], cfg: GuardConfig, facts: GatewayFacts): string[] {
    const out = new Set<string>();
    for (const o of objects) {
        if (o.patch) continue;
        const ns = o.kind === "Namespace" ? o.name : o.namespace;
        if (ns === undefined || !facts.namespaces.has(ns)) continue;
        if (o.kind === "Release" && !isGatewayRelease(o.props, o.name, ns, cfg)) continue;
        out.add(ns);
    }
    return [...out].sort();
}

export function gatewayClusterRbacFindings(objects: StackObject[], cfg: GuardConfig, facts: GatewayFacts = gatewayFacts(objects, cfg)): StackFinding[] {
    const held = heldGatewayNamespaces(objects, cfg, facts);
    if (held.length === 0) return [];
    const out: StackFinding[] = [];
    let ctx: RbacContext | undefined;
    for (const o of objects) {
        if (o.kind !== "ClusterRoleBinding" || o.group !== RBAC_GROUP || o.patch) continue;
        ctx ??= rbacContext(objects, cfg, facts);
        for (const message of bindingProblems(o, held, ctx)) out.push({ urn: o.urn, message });
    }
    return out;
}

export const gatewayClusterRbac = stackPolicy({
    name: "gateway-cluster-rbac",
    appliesTo: (k) => RBAC_KINDS.has(k) || k === "Release" || k === "Namespace" || isWorkloadKind(k),
    subjects: (k) => k === "ClusterRoleBinding",
    description: "ClusterRoleBindings that grant write, exec or Secrets access in every namespace reach the egress gateway's namespace too.",
    enforcementLevel: "advisory",
    remediationSteps:
        "Review each ClusterRoleBinding named: bind a narrower ClusterRole, or a Role per namespace outside the gateway's; exempt the reviewed ones by config (exemptObjects), and set this policy to mandatory if the review belongs here.",
    config: ["gatewayNamespaces", "gatewayLabels", "discoverGatewayNamespaces", "trustedProxyImages"],
    check: (objects, cfg) => gatewayClusterRbacFindings(objects, cfg),
});
