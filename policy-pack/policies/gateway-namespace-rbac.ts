/**
 * Policy `gateway-namespace-rbac` (stack, mandatory): no RoleBinding in a gateway namespace may grant what undoes
 * the lock-down there — write access to pods, workloads, NetworkPolicies, Istio's routing, security and telemetry
 * objects, RBAC; `pods/exec`, `attach`, `portforward`; Secrets access (lib/rbac.ts SENSITIVE_ACCESS) — to anyone
 * but the gateway's own service account reading Secrets (the istio/gateway chart's Role). docs/lockdown.md, "RBAC
 * around the gateway's namespace", names this check.
 *
 * A RoleBinding grants its role's rules in its own namespace, whether the role is a Role of that namespace or a
 * ClusterRole (kubernetes pkg/registry/rbac/validation/rule.go VisitRulesFor). The role is resolved from the stack
 * (Roles of the binding's namespace, ClusterRoles with their aggregation) over Kubernetes' default ClusterRoles
 * (cluster-admin, admin, edit, view, ...: sdk/model/rbac.ts). A binding to a role the pack cannot see — not in the
 * stack, or a stack ClusterRole that aggregates roles by selectors the cluster's other ClusterRoles may match — is
 * a finding too (fail closed): a RoleBinding in the gateway's namespace is rare and deliberate, and its author can
 * add the role to the stack or the security team can exempt the binding by config (`exemptObjects`) once reviewed.
 *
 * Mandatory: the gateway's namespace is the gateway's, and write access there is the whole of its lock-down.
 * (ClusterRoleBindings, which operators commonly hold, are `gateway-cluster-rbac`'s, advisory.)
 */
import { GuardConfig } from "../lib/config";
import { stackPolicy } from "../lib/policy";
import { GatewayFacts, StackFinding, StackObject, gatewayFacts } from "../lib/facts";
import {
    bindingSubjects,
    clusterRoleView,
    formatGrants,
    formatSubject,
    gatewayServiceAccounts,
    roleRulesOf,
    sensitiveGrants,
    subjectGrants,
} from "../lib/rbac";
import { ClusterRoleView, isWorkloadKind, RBAC_GROUP } from "../../sdk/model";

export const RBAC_KINDS = new Set(["Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"]);

/** What the bindings of one stack are judged against: its Roles, ClusterRoles and the gateway's service accounts. */
export interface RbacContext {
    roles: StackObject[];
    clusterRoles: ClusterRoleView[];
    gatewaySAs: (namespace: string) => Set<string>;
}

export function rbacContext(objects: StackObject[], cfg: GuardConfig, facts: GatewayFacts): RbacContext {
    const sas = new Map<string, Set<string>>();
    return {
        roles: objects.filter((o) => o.kind === "Role" && o.group === RBAC_GROUP && !o.patch),
        clusterRoles: objects.filter((o) => o.kind === "ClusterRole" && o.group === RBAC_GROUP && !o.patch).map((o) => clusterRoleView(o.props)),
        gatewaySAs: (ns) => {
            let s = sas.get(ns);
            if (!s) sas.set(ns, (s = gatewayServiceAccounts(ns, objects, cfg, facts)));
            return s;
        },
    };
}

/** What a binding grants in the gateway namespaces `gatewayNamespaces` (its own, for a RoleBinding): the messages. */
export function bindingProblems(binding: StackObject, gatewayNamespaces: string[], ctx: RbacContext): string[] {
    const { roles, clusterRoles } = ctx;
    const subjects = bindingSubjects(binding.props, binding.namespace);
    if (subjects.length === 0) return [];
    const where =
        binding.kind === "RoleBinding"
            ? `in the gateway namespace "${binding.namespace}"`
            : `in every namespace, the egress gateway's ${gatewayNamespaces.map((n) => `"${n}"`).join(", ")} included`;
    const rr = roleRulesOf(binding.props, binding.kind === "RoleBinding" ? binding.namespace : undefined, roles, clusterRoles);
    const who = subjects.map(formatSubject).join(", ");
    if ("unknown" in rr) {
        return [
            `${binding.kind} binds ${rr.what} for ${who} ${where}, but ${rr.unknown}: the pack cannot see what it grants there (write, exec or Secrets access undoes the egress lock-down); define the role in this stack, or exempt the binding by config (exemptObjects) once reviewed.`,
        ];
    }
    const grants = sensitiveGrants(rr.rules);
    const holders = subjects
        .map((s) => ({ s, g: gatewayNamespaces.reduce((acc, ns) => subjectGrants(s, acc, ns, ctx.gatewaySAs(ns)), grants) }))
        .filter((x) => x.g.length > 0);
    if (holders.length === 0) {
        if (!rr.open) return [];
        return [
            `${binding.kind} binds ${rr.what} for ${who} ${where}, and that ClusterRole aggregates ClusterRoles by labels that roles outside this stack may carry: the pack cannot see all it grants there; bind a role without an aggregationRule, or exempt the binding by config (exemptObjects) once reviewed.`,
        ];
    }
    const whys = [...new Set(holders.flatMap((h) => h.g.map((g) => g.why)))];
    return [
        `${binding.kind} grants ${holders.map((h) => formatSubject(h.s)).join(", ")} ${formatGrants(holders[0].g)} ${where} (through ${rr.what}): with that they can ${whys.slice(0, 3).join("; ")}${whys.length > 3 ? "; ..." : ""} — undo the egress lock-down; keep write, exec and Secrets access in the gateway's namespace to the platform's deployer (docs/lockdown.md, "RBAC around the gateway's namespace"), or exempt the binding by config (exemptObjects) once reviewed.`,
    ];
}

export function gatewayNamespaceRbacFindings(objects: StackObject[], cfg: GuardConfig, facts: GatewayFacts = gatewayFacts(objects, cfg)): StackFinding[] {
    const out: StackFinding[] = [];
    let ctx: RbacContext | undefined;
    for (const o of objects) {
        if (o.kind !== "RoleBinding" || o.group !== RBAC_GROUP || o.patch || o.namespace === undefined || !facts.namespaces.has(o.namespace)) continue;
        ctx ??= rbacContext(objects, cfg, facts);
        for (const message of bindingProblems(o, [o.namespace], ctx)) out.push({ urn: o.urn, message });
    }
    return out;
}

export const gatewayNamespaceRbac = stackPolicy({
    name: "gateway-namespace-rbac",
    appliesTo: (k) => RBAC_KINDS.has(k) || k === "Release" || isWorkloadKind(k),
    subjects: (k) => k === "RoleBinding",
    description: "No RoleBinding in the egress gateway's namespace may grant write, exec or Secrets access there, but the gateway's own Secrets read.",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Remove the RoleBinding, or bind a Role without write access to pods, workloads, NetworkPolicies, Istio objects or RBAC, without pods/exec, attach, portforward and without Secrets access; the platform's deployer is the only writer of the gateway's namespace.",
    config: ["gatewayNamespaces", "gatewayLabels", "discoverGatewayNamespaces", "trustedProxyImages"],
    check: (objects, cfg) => gatewayNamespaceRbacFindings(objects, cfg),
});
