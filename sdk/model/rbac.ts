/**
 * Kubernetes RBAC as the API server evaluates it (pure): what a PolicyRule allows, what a Role or ClusterRole
 * grants (aggregation included), Kubernetes' default ClusterRoles, and who a binding's subjects are.
 * Sources (kubernetes/kubernetes 1.36):
 * - pkg/apis/rbac/v1/evaluation_helpers.go `VerbMatches`, `APIGroupMatches`, `ResourceMatches` (`*`, exact, and
 *   `*` followed by `/subresource`; `pods/*` does not match `pods/exec`), `ResourceNameMatches`;
 * - pkg/registry/rbac/validation/rule.go `appliesToUser` (a ServiceAccount subject without a namespace is in the
 *   binding's namespace), `VisitRulesFor` (a ClusterRoleBinding's rules apply in every namespace; a RoleBinding's
 *   in its own, whether it references a Role of that namespace or a ClusterRole);
 * - pkg/controller/clusterroleaggregation: a ClusterRole with an `aggregationRule` gets the union of the rules of
 *   every other ClusterRole its label selectors match (its own `rules` are overwritten);
 * - plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go: the default ClusterRoles (`cluster-admin`, and
 *   `admin` ⊇ `edit` ⊇ `view` by aggregation, with the `system:aggregate-to-*` roles holding their rules).
 */
import { asArray, asObject, listAt, recordAt, shown, stringRecord, valueAt } from "./read";
import { selectorMatches } from "./selectors";

export interface PolicyRule {
    apiGroups?: string[];
    resources?: string[];
    verbs?: string[];
    resourceNames?: string[];
    nonResourceURLs?: string[];
}

/** A request on a resource: `resource` may be `pods/exec` (resource and subresource). */
export interface ResourceRequest {
    group: string;
    resource: string;
    verb: string;
}

export const RBAC_GROUP = "rbac.authorization.k8s.io";
export const RBAC_WRITE_VERBS = ["create", "update", "patch", "delete", "deletecollection"] as const;
export const RBAC_READ_VERBS = ["get", "list", "watch"] as const;

const strings = (v: unknown): string[] => asArray(v).filter((x): x is string => typeof x === "string");

/**
 * Whether `rule` allows `req`, by verb, API group and resource as the API server matches them. `resourceNames`
 * is deliberately ignored (a rule limited to some names still grants on those names: counted as a grant).
 */
export function ruleAllows(rule: unknown, req: ResourceRequest): boolean {
    const r = asObject(rule);
    const verbs = strings(r.verbs);
    if (!verbs.includes("*") && !verbs.includes(req.verb)) return false;
    const groups = strings(r.apiGroups);
    if (!groups.includes("*") && !groups.includes(req.group)) return false;
    const slash = req.resource.indexOf("/");
    const sub = slash >= 0 ? req.resource.slice(slash + 1) : "";
    return strings(r.resources).some((res) => res === "*" || res === req.resource || (sub !== "" && res === `*/${sub}`));
}

/** A ClusterRole as the aggregation controller sees it: name, labels, rules, aggregation selectors. */
export interface ClusterRoleView {
    name: string;
    labels: Record<string, string>;
    rules: unknown[];
    /** `aggregationRule.clusterRoleSelectors`, when the role aggregates. */
    aggregation?: unknown[];
}

const AGG = (to: "admin" | "edit" | "view") => ({ [`rbac.authorization.k8s.io/aggregate-to-${to}`]: "true" });
const READ = [...RBAC_READ_VERBS];
const WRITE = [...RBAC_WRITE_VERBS];
const RW = [...READ, ...WRITE];
const rule = (verbs: string[], apiGroups: string[], resources: string[]): PolicyRule => ({ verbs, apiGroups, resources });

/** bootstrappolicy.go viewRules (read-only, no Secrets). */
const VIEW_RULES: PolicyRule[] = [
    rule(
        READ,
        [""],
        [
            "pods",
            "replicationcontrollers",
            "replicationcontrollers/scale",
            "serviceaccounts",
            "services",
            "services/status",
            "endpoints",
            "persistentvolumeclaims",
            "persistentvolumeclaims/status",
            "configmaps",
        ],
    ),
    rule(
        READ,
        [""],
        ["limitranges", "resourcequotas", "bindings", "pods/status", "resourcequotas/status", "namespaces/status", "replicationcontrollers/status", "pods/log"],
    ),
    rule(READ, [""], ["namespaces"]),
    rule(READ, ["", "events.k8s.io"], ["events"]),
    rule(READ, ["discovery.k8s.io"], ["endpointslices"]),
    rule(
        READ,
        ["apps"],
        [
            "controllerrevisions",
            "statefulsets",
            "statefulsets/status",
            "statefulsets/scale",
            "daemonsets",
            "daemonsets/status",
            "deployments",
            "deployments/status",
            "deployments/scale",
            "replicasets",
            "replicasets/status",
            "replicasets/scale",
        ],
    ),
    rule(READ, ["autoscaling"], ["horizontalpodautoscalers", "horizontalpodautoscalers/status"]),
    rule(READ, ["batch"], ["jobs", "cronjobs", "cronjobs/status", "jobs/status"]),
    rule(
        READ,
        ["extensions"],
        [
            "daemonsets",
            "daemonsets/status",
            "deployments",
            "deployments/scale",
            "deployments/status",
            "ingresses",
            "ingresses/status",
            "replicasets",
            "replicasets/scale",
            "replicasets/status",
            "replicationcontrollers/scale",
            "networkpolicies",
        ],
    ),
    rule(READ, ["policy"], ["poddisruptionbudgets", "poddisruptionbudgets/status"]),
    rule(READ, ["networking.k8s.io"], ["networkpolicies", "ingresses", "ingresses/status"]),
];

/** bootstrappolicy.go editRules. */
const EDIT_RULES: PolicyRule[] = [
    rule(READ, [""], ["pods/attach", "pods/proxy", "pods/exec", "pods/portforward", "secrets", "services/proxy"]),
    rule(["impersonate"], [""], ["serviceaccounts"]),
    rule(WRITE, [""], ["pods", "pods/attach", "pods/proxy", "pods/exec", "pods/portforward"]),
    rule(["create"], [""], ["pods/eviction"]),
    rule(
        WRITE,
        [""],
        [
            "replicationcontrollers",
            "replicationcontrollers/scale",
            "serviceaccounts",
            "services",
            "services/proxy",
            "persistentvolumeclaims",
            "configmaps",
            "secrets",
        ],
    ),
    rule(["create"], [""], ["serviceaccounts/token"]),
    rule(WRITE, ["", "events.k8s.io"], ["events"]),
    rule(
        WRITE,
        ["apps"],
        ["statefulsets", "statefulsets/scale", "daemonsets", "deployments", "deployments/scale", "deployments/rollback", "replicasets", "replicasets/scale"],
    ),
    rule(WRITE, ["autoscaling"], ["horizontalpodautoscalers"]),
    rule(WRITE, ["batch"], ["jobs", "cronjobs"]),
    rule(
        WRITE,
        ["extensions"],
        [
            "daemonsets",
            "deployments",
            "deployments/scale",
            "deployments/rollback",
            "ingresses",
            "replicasets",
            "replicasets/scale",
            "replicationcontrollers/scale",
            "networkpolicies",
        ],
    ),
    rule(WRITE, ["policy"], ["poddisruptionbudgets"]),
    rule(WRITE, ["networking.k8s.io"], ["networkpolicies", "ingresses"]),
    rule(RW, ["coordination.k8s.io"], ["leases"]),
];

/**
 * Kubernetes' default ClusterRoles that a stack commonly binds, as bootstrappolicy.go defines them: `cluster-admin`,
 * the aggregated `admin`/`edit`/`view` and the `system:aggregate-to-*` roles behind them, and narrow roles that
 * grant nothing on namespaced resources but reviews (`system:auth-delegator`, `system:basic-user`) or URLs.
 */
export const DEFAULT_CLUSTER_ROLES: readonly ClusterRoleView[] = [
    { name: "cluster-admin", labels: {}, rules: [rule(["*"], ["*"], ["*"]), { verbs: ["*"], nonResourceURLs: ["*"] }] },
    { name: "admin", labels: {}, rules: [], aggregation: [{ matchLabels: AGG("admin") }] },
    { name: "edit", labels: AGG("admin"), rules: [], aggregation: [{ matchLabels: AGG("edit") }] },
    { name: "view", labels: AGG("edit"), rules: [], aggregation: [{ matchLabels: AGG("view") }] },
    {
        name: "system:aggregate-to-admin",
        labels: AGG("admin"),
        rules: [rule(["create"], ["authorization.k8s.io"], ["localsubjectaccessreviews"]), rule(RW, [RBAC_GROUP], ["roles", "rolebindings"])],
    },
    { name: "system:aggregate-to-edit", labels: AGG("edit"), rules: EDIT_RULES },
    { name: "system:aggregate-to-view", labels: AGG("view"), rules: VIEW_RULES },
    {
        name: "system:auth-delegator",
        labels: {},
        rules: [rule(["create"], ["authentication.k8s.io"], ["tokenreviews"]), rule(["create"], ["authorization.k8s.io"], ["subjectaccessreviews"])],
    },
    { name: "system:basic-user", labels: {}, rules: [rule(["create"], ["authorization.k8s.io"], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"])] },
    {
        name: "system:discovery",
        labels: {},
        rules: [{ verbs: ["get"], nonResourceURLs: ["/api", "/api/*", "/apis", "/apis/*", "/openapi", "/openapi/*", "/version", "/version/"] }],
    },
    { name: "system:public-info-viewer", labels: {}, rules: [{ verbs: ["get"], nonResourceURLs: ["/livez", "/readyz", "/healthz", "/version", "/version/"] }] },
    {
        name: "system:monitoring",
        labels: {},
        rules: [{ verbs: ["get"], nonResourceURLs: ["/metrics", "/metrics/slis", "/livez", "/readyz", "/healthz", "/livez/*", "/readyz/*", "/healthz/*"] }],
    },
    {
        name: "system:service-account-issuer-discovery",
        labels: {},
        rules: [
            {
                verbs: ["get"],
                nonResourceURLs: ["/.well-known/openid-configuration", "/.well-known/openid-configuration/", "/openid/v1/jwks", "/openid/v1/jwks/"],
            },
        ],
    },
];

/** A ClusterRole object (`rbac.authorization.k8s.io/v1`) as the aggregation controller reads it. */
export function clusterRoleView(obj: unknown): ClusterRoleView {
    const labels = stringRecord(valueAt(obj, "metadata", "labels"));
    const agg = valueAt(obj, "aggregationRule");
    return {
        name: shown(valueAt(obj, "metadata", "name") ?? ""),
        labels,
        rules: listAt(obj, "rules"),
        ...(agg !== undefined && agg !== null ? { aggregation: listAt(agg, "clusterRoleSelectors") } : {}),
    };
}

export interface ResolvedRole {
    rules: unknown[];
    /**
     * Whether the rules may be incomplete: the role aggregates (directly or through another) by selectors that
     * ClusterRoles outside the given set may match. The default admin/edit/view are taken as Kubernetes defines
     * them plus what the given set aggregates into them.
     */
    open: boolean;
}

/**
 * The effective rules of a ClusterRole among `roles` (the stack's, over Kubernetes' defaults): its own, or for an
 * aggregated role the union of the rules of every other role its selectors match, transitively (the aggregation
 * controller keeps each aggregated role's rules up to date, so a role aggregated into another carries its own
 * aggregation). Undefined when no role of that name is known.
 */
export function resolveClusterRole(name: string, roles: readonly ClusterRoleView[]): ResolvedRole | undefined {
    const byName = new Map<string, ClusterRoleView>();
    for (const r of DEFAULT_CLUSTER_ROLES) byName.set(r.name, r);
    for (const r of roles) byName.set(r.name, r); // a stack role of a default's name replaces it (the API server has one)
    const all = [...byName.values()];
    const seen = new Set<string>();
    const resolve = (n: string): ResolvedRole | undefined => {
        const role = byName.get(n);
        if (!role) return undefined;
        if (!role.aggregation) return { rules: [...role.rules], open: false };
        if (seen.has(n)) return { rules: [], open: false };
        seen.add(n);
        const rules: unknown[] = [];
        // Kubernetes' own aggregated roles are taken as defined plus what `roles` add; any other aggregated role may
        // also collect ClusterRoles of the cluster that are not among `roles`.
        let open = !DEFAULT_CLUSTER_ROLES.includes(role);
        for (const sel of role.aggregation) {
            for (const other of all) {
                if (other.name === n) continue;
                let matches = false;
                try {
                    matches = selectorMatches(recordAt(sel), other.labels);
                } catch {
                    open = true; // a selector the API server would reject: fail closed
                }
                if (!matches) continue;
                const r = resolve(other.name);
                if (r) {
                    rules.push(...r.rules);
                    open ||= r.open;
                }
            }
        }
        seen.delete(n);
        return { rules, open };
    };
    return resolve(name);
}

/** Whether any of `rules` allows `req`. */
export function rulesAllow(rules: readonly unknown[], req: ResourceRequest): boolean {
    return rules.some((r) => ruleAllows(r, req));
}

/** A binding's subject, its ServiceAccount namespace defaulted as the API server does (rule.go appliesToUser). */
export interface BindingSubject {
    kind: string;
    name: string;
    /** For a ServiceAccount. */
    namespace?: string;
}

export function bindingSubjects(binding: unknown, bindingNamespace: string | undefined): BindingSubject[] {
    return listAt(binding, "subjects").map((s) => {
        const o = recordAt(s);
        const kind = shown(o.kind ?? "");
        const ns = typeof o.namespace === "string" && o.namespace !== "" ? o.namespace : kind === "ServiceAccount" ? bindingNamespace : undefined;
        return { kind, name: shown(o.name ?? ""), ...(ns !== undefined ? { namespace: ns } : {}) };
    });
}

/** A subject for messages: `ServiceAccount ns/name`, `Group name`, `User name`. */
export function formatSubject(s: BindingSubject): string {
    return s.kind === "ServiceAccount" ? `ServiceAccount ${s.namespace ?? "?"}/${s.name}` : `${s.kind} ${s.name}`;
}
