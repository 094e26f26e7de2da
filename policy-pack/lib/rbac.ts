/**
 * RBAC around the egress gateway's namespace (docs/lockdown.md, "RBAC around the gateway's namespace"): what access
 * in that namespace undoes the lock-down, what a (Cluster)RoleBinding of the stack grants there, and who the
 * chart's own service account is. The RBAC semantics are sdk/model/rbac.ts (the API server's matching, the default
 * ClusterRoles, aggregation).
 */
import { GuardConfig } from "./config";
import { GatewayFacts, StackObject, isGatewayPod, isGatewayRelease } from "./facts";
import {
    BindingSubject,
    bindingSubjects,
    ClusterRoleView,
    clusterRoleView,
    formatSubject,
    gatewayReleaseName,
    isWorkloadKind,
    listAt,
    podTemplatesOf,
    RBAC_GROUP,
    RBAC_READ_VERBS,
    RBAC_WRITE_VERBS,
    resolveClusterRole,
    recordAt,
    rulesAllow,
    shown,
    valueAt,
} from "../../sdk/model";

/** One kind of access in the gateway's namespace that undoes the lock-down, and why. */
export interface SensitiveAccess {
    group: string;
    resources: string[];
    verbs: readonly string[];
    why: string;
}

const W = RBAC_WRITE_VERBS;
const ANY_OF_EXEC = ["create", "get"]; // websocket exec/attach/portforward were authorized as `get` before 1.31

/** What in the gateway's namespace lets its holder undo the lock-down (read only where noted). */
export const SENSITIVE_ACCESS: readonly SensitiveAccess[] = [
    { group: "", resources: ["pods"], verbs: W, why: "run pods there (with the gateway's labels they get its internet NetworkPolicy)" },
    {
        group: "",
        resources: ["pods/exec", "pods/attach", "pods/portforward"],
        verbs: ANY_OF_EXEC,
        why: "run commands in, or open connections from, the gateway's pods (their internet access)",
    },
    { group: "", resources: ["pods/ephemeralcontainers"], verbs: ["update", "patch"], why: "add containers to the gateway's pods (their network)" },
    {
        group: "",
        resources: ["secrets"],
        verbs: [...RBAC_READ_VERBS, ...W],
        why: "read or replace the namespace's Secrets (mutual TLS origination's client certificates)",
    },
    { group: "", resources: ["configmaps"], verbs: W, why: "replace istio-ca-root-cert, the root the gateway's proxy trusts istiod by" },
    { group: "", resources: ["services"], verbs: W, why: "re-point the gateway's Service" },
    { group: "", resources: ["serviceaccounts/token"], verbs: ["create"], why: "mint tokens of the gateway's service account (its mesh identity)" },
    { group: "", resources: ["serviceaccounts"], verbs: ["impersonate"], why: "act as the gateway's service account" },
    { group: "", resources: ["replicationcontrollers"], verbs: W, why: "run pods there" },
    {
        group: "apps",
        resources: ["deployments", "replicasets", "statefulsets", "daemonsets"],
        verbs: W,
        why: "change the gateway's Deployment or run other pods there",
    },
    {
        group: "extensions",
        resources: ["deployments", "replicasets", "daemonsets", "networkpolicies"],
        verbs: W,
        why: "run pods there or change its NetworkPolicies",
    },
    { group: "batch", resources: ["jobs", "cronjobs"], verbs: W, why: "run pods there" },
    { group: "networking.k8s.io", resources: ["networkpolicies"], verbs: W, why: "open the gateway's egress or ingress" },
    { group: "cilium.io", resources: ["ciliumnetworkpolicies"], verbs: W, why: "open the gateway's egress" },
    { group: "projectcalico.org", resources: ["networkpolicies"], verbs: W, why: "open the gateway's egress" },
    { group: "crd.projectcalico.org", resources: ["networkpolicies"], verbs: W, why: "open the gateway's egress" },
    {
        group: "security.istio.io",
        resources: ["authorizationpolicies", "peerauthentications", "requestauthentications"],
        verbs: W,
        why: "ALLOW anything at the gateway",
    },
    {
        group: "networking.istio.io",
        resources: ["gateways", "virtualservices", "destinationrules", "serviceentries", "sidecars", "envoyfilters", "workloadentries"],
        verbs: W,
        why: "take over a host's route or patch the gateway's Envoy",
    },
    { group: "telemetry.istio.io", resources: ["telemetries"], verbs: W, why: "turn the audit log off" },
    { group: "extensions.istio.io", resources: ["wasmplugins"], verbs: W, why: "run code in the gateway's Envoy" },
    {
        group: "gateway.networking.k8s.io",
        resources: ["gateways", "httproutes", "tlsroutes", "tcproutes", "grpcroutes"],
        verbs: W,
        why: "attach routes to the gateway",
    },
    { group: RBAC_GROUP, resources: ["roles", "rolebindings"], verbs: [...W, "bind", "escalate"], why: "grant themselves any of the above" },
];

export interface Grant {
    group: string;
    resource: string;
    verbs: string[];
    why: string;
}

/** The sensitive access `rules` grant (in a namespace, as a RoleBinding's or ClusterRoleBinding's role). */
export function sensitiveGrants(rules: readonly unknown[]): Grant[] {
    const out: Grant[] = [];
    for (const s of SENSITIVE_ACCESS) {
        for (const resource of s.resources) {
            const verbs = s.verbs.filter((verb) => rulesAllow(rules, { group: s.group, resource, verb }));
            if (verbs.length > 0) out.push({ group: s.group, resource, verbs, why: s.why });
        }
    }
    return out;
}

export function formatGrants(grants: Grant[]): string {
    const shown = grants.slice(0, 6).map((g) => `${g.verbs.join("/")} ${g.group ? `${g.group}/` : ""}${g.resource}`);
    return shown.join(", ") + (grants.length > 6 ? `, and ${grants.length - 6} more` : "");
}

/** What the role a binding references grants, as far as the stack shows it. */
export type RoleRules = { rules: unknown[]; open: boolean; what: string } | { unknown: string; what: string };

/** The role a binding references: a Role of `namespace` in the stack, or a ClusterRole (the stack's or a default). */
export function roleRulesOf(binding: unknown, namespace: string | undefined, roles: StackObject[], clusterRoles: ClusterRoleView[]): RoleRules {
    const ref = recordAt(binding, "roleRef");
    const name = typeof ref.name === "string" ? ref.name : "";
    const what = `${ref.kind === undefined || ref.kind === null ? "?" : shown(ref.kind)} ${name || "?"}`;
    if (ref.apiGroup !== RBAC_GROUP || name === "") return { unknown: `its roleRef is not an ${RBAC_GROUP} Role or ClusterRole`, what };
    if (ref.kind === "Role") {
        if (namespace === undefined) return { unknown: "a ClusterRoleBinding cannot reference a Role", what };
        const role = roles.find((r) => r.kind === "Role" && r.namespace === namespace && r.name === name);
        return role ? { rules: [...listAt(role.props, "rules")], open: false, what } : { unknown: `Role ${namespace}/${name} is not in this stack`, what };
    }
    if (ref.kind === "ClusterRole") {
        const r = resolveClusterRole(name, clusterRoles);
        return r ? { ...r, what } : { unknown: `ClusterRole ${name} is neither in this stack nor one of Kubernetes' defaults`, what };
    }
    return { unknown: `roleRef.kind ${JSON.stringify(ref.kind)} is neither Role nor ClusterRole`, what };
}

/**
 * The service accounts of the gateway's own pods in `namespace`: the istio/gateway chart's (`serviceAccount.name`,
 * else the release name; `serviceAccount.create: false` without a name runs as `default`, which is never counted)
 * for a gateway Release of the stack there, and the service account of the gateway's pods (in the gateway's
 * namespace and shape) in the objects. The chart's own Role lets it read the namespace's Secrets
 * (templates/role.yaml: `get`, `watch`, `list` on secrets, for credentialName); nothing else is excused.
 */
export function gatewayServiceAccounts(namespace: string, objects: StackObject[], cfg: GuardConfig, facts: GatewayFacts): Set<string> {
    const out = new Set<string>();
    for (const o of objects) {
        if (o.patch || o.namespace !== namespace) continue;
        if (o.kind === "Release" && isGatewayRelease(o.props, o.name, namespace, cfg)) {
            const sa = recordAt(o.props, "values", "serviceAccount");
            const name = typeof sa.name === "string" && sa.name !== "" ? sa.name : sa.create === false ? "default" : gatewayReleaseName(o.props, o.name);
            if (name !== "default") out.add(name);
        } else if (isWorkloadKind(o.kind)) {
            for (const t of podTemplatesOf(o.kind, o.props)) {
                if (!isGatewayPod(namespace, t.metadata, t.spec, cfg, facts.namespaces)) continue;
                const name = valueAt(t.spec, "serviceAccountName") ?? valueAt(t.spec, "serviceAccount");
                if (typeof name === "string" && name !== "" && name !== "default") out.add(name);
            }
        }
    }
    return out;
}

/** The grants a subject keeps once the chart's own Secrets read is excused for the gateway's service account. */
export function subjectGrants(subject: BindingSubject, grants: Grant[], gatewayNamespace: string, gatewaySAs: Set<string>): Grant[] {
    const own = subject.kind === "ServiceAccount" && subject.namespace === gatewayNamespace && gatewaySAs.has(subject.name);
    if (!own) return grants;
    return grants
        .map((g) =>
            g.group === "" && g.resource === "secrets" ? { ...g, verbs: g.verbs.filter((v) => !(RBAC_READ_VERBS as readonly string[]).includes(v)) } : g,
        )
        .filter((g) => g.verbs.length > 0);
}

export { formatSubject, bindingSubjects, clusterRoleView };
