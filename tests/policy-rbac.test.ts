/**
 * RBAC around the egress gateway's namespace (issue 11, "RBAC around it"; docs/lockdown.md names the check):
 * `gateway-namespace-rbac` (mandatory) for RoleBindings in a gateway namespace, `gateway-cluster-rbac` (advisory)
 * for ClusterRoleBindings, judged with the API server's RBAC semantics (sdk/model/rbac.ts). Each test: the trick,
 * and the same binding without it.
 */
import * as assert from "assert";
import { K8sObject } from "../sdk/schema/validate";
import { gatewayReleaseName, ruleAllows, resolveClusterRole, clusterRoleView } from "../sdk/model";
import { fromManifests, PolicyResource, runPolicies, Violation } from "istio-egress-guard/lib";
import { componentOutput, FULL_ARGS, packConfigFor } from "./fixtures/policy/component";
import { asObject } from "../sdk/model/read";

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const out = componentOutput(FULL_ARGS, { team: false });
const GW_NS = out.plan.gateway.namespace;
const release = out.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release")!;
/** The chart's service account: `serviceAccount.name`, else the release name (templates/_helpers.tpl). */
const GW_SA = gatewayReleaseName(release.props, release.name);
const config = packConfigFor(out.plan);
const RBAC = "rbac.authorization.k8s.io/v1";

const role = (name: string, rules: unknown[], ns = GW_NS): K8sObject => ({ apiVersion: RBAC, kind: "Role", metadata: { name, namespace: ns }, rules });
const clusterRole = (name: string, rules: unknown[], labels?: Record<string, string>, aggregationRule?: unknown): K8sObject => ({
    apiVersion: RBAC,
    kind: "ClusterRole",
    metadata: { name, ...(labels ? { labels } : {}) },
    rules,
    ...(aggregationRule ? { aggregationRule } : {}),
});
const subjectsOf = (s: unknown[] | string) => (typeof s === "string" ? [{ kind: "ServiceAccount", name: s }] : s);
const binding = (name: string, roleRef: { kind: string; name: string }, subjects: unknown[] | string, ns = GW_NS): K8sObject => ({
    apiVersion: RBAC,
    kind: "RoleBinding",
    metadata: { name, namespace: ns },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", ...roleRef },
    subjects: subjectsOf(subjects),
});
const clusterBinding = (name: string, roleName: string, subjects: unknown[]): K8sObject => ({
    apiVersion: RBAC,
    kind: "ClusterRoleBinding",
    metadata: { name },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: roleName },
    subjects,
});
const DEPLOYER = [{ kind: "ServiceAccount", name: "deployer", namespace: "ci" }];
/** The istio/gateway chart's own Role and RoleBinding (templates/role.yaml), as `helm template` renders them. */
const chartRole = role(GW_SA, [{ apiGroups: [""], resources: ["secrets"], verbs: ["get", "watch", "list"] }]);
const chartBinding = binding(GW_SA, { kind: "Role", name: GW_SA }, GW_SA);

async function run(objs: K8sObject[], base: PolicyResource[] = out.resources, cfg: Record<string, unknown> = config): Promise<Violation[]> {
    return (await runPolicies([...base, ...fromManifests(objs)], { config: cfg })).filter((v) => v.policy.endsWith("-rbac"));
}
const brief = (vs: Violation[]) => vs.map((v) => `${v.policy} ${v.enforcementLevel} ${v.resource.kind}/${v.resource.name}`).sort();

describe("policy pack: RBAC around the gateway's namespace (gateway-namespace-rbac, gateway-cluster-rbac)", function () {
    this.timeout(60000);

    it("the component's output with the chart's own Role and RoleBinding passes (the gateway reads its namespace's Secrets)", async function () {
        assert.deepStrictEqual(await run([chartRole, chartBinding]), []);
    });

    it("`helm template` output (check, no Release): the gateway pods' service account is the chart's", async function () {
        const deployment = (sa: string, containers: unknown[]): K8sObject => ({
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: GW_SA, namespace: GW_NS },
            spec: {
                selector: { matchLabels: out.plan.gateway.labels },
                template: {
                    metadata: { labels: { ...out.plan.gateway.labels, "sidecar.istio.io/inject": "true" } },
                    spec: { serviceAccountName: sa, containers },
                },
            },
        });
        const proxy = [{ name: "istio-proxy", image: "auto" }];
        assert.deepStrictEqual(await run([deployment(GW_SA, proxy), chartRole, chartBinding], []), []);
        // the trick: a pod that is not the gateway's shape does not make its service account the gateway's
        const vs = await run([deployment(GW_SA, [{ name: "app", image: "curl" }]), chartRole, chartBinding], []);
        assert.ok(
            vs.some((v) => v.policy === "gateway-namespace-rbac" && /get\/list\/watch secrets/.test(v.message)),
            JSON.stringify(vs.map((v) => v.message)),
        );
    });

    describe("the chart's own service account is excused for reading Secrets, and nothing else", function () {
        it("the same Role bound to a group of every service account of the namespace", async function () {
            const vs = await run([chartRole, binding(GW_SA, { kind: "Role", name: GW_SA }, [{ kind: "Group", name: `system:serviceaccounts:${GW_NS}` }])]);
            assert.deepStrictEqual(brief(vs), [`gateway-namespace-rbac mandatory RoleBinding/${GW_SA}`]);
            assert.match(vs[0].message, /get\/list\/watch secrets/);
        });
        it("the same Role bound to another service account (same name, another namespace)", async function () {
            const vs = await run([chartRole, binding(GW_SA, { kind: "Role", name: GW_SA }, [{ kind: "ServiceAccount", name: GW_SA, namespace: "app-a" }])]);
            assert.deepStrictEqual(brief(vs), [`gateway-namespace-rbac mandatory RoleBinding/${GW_SA}`]);
        });
        it("the gateway's own service account given write on Secrets", async function () {
            const vs = await run([role(GW_SA, [{ apiGroups: [""], resources: ["secrets"], verbs: ["get", "watch", "list", "update"] }]), chartBinding]);
            assert.deepStrictEqual(brief(vs), [`gateway-namespace-rbac mandatory RoleBinding/${GW_SA}`]);
            assert.match(vs[0].message, /update secrets/);
            assert.doesNotMatch(vs[0].message, /get\/list\/watch/, "its read is still excused");
        });
    });

    describe("RoleBindings in the gateway namespace", function () {
        for (const name of ["cluster-admin", "admin", "edit"]) {
            it(`to the default ClusterRole ${name}`, async function () {
                const vs = await run([binding("ops", { kind: "ClusterRole", name }, DEPLOYER)]);
                assert.deepStrictEqual(brief(vs), ["gateway-namespace-rbac mandatory RoleBinding/ops"]);
                assert.match(vs[0].message, /pods\/exec/);
            });
        }
        it("to view: nothing sensitive (read-only, no Secrets)", async function () {
            assert.deepStrictEqual(await run([binding("ops", { kind: "ClusterRole", name: "view" }, DEPLOYER)]), []);
        });
        it("the trick: a stack ClusterRole aggregated into view adds write to view", async function () {
            const add = (labels?: Record<string, string>) =>
                clusterRole("sneaky", [{ apiGroups: ["networking.istio.io"], resources: ["virtualservices"], verbs: ["create"] }], labels);
            const vs = await run([
                add({ "rbac.authorization.k8s.io/aggregate-to-view": "true" }),
                binding("ops", { kind: "ClusterRole", name: "view" }, DEPLOYER),
            ]);
            assert.deepStrictEqual(brief(vs), ["gateway-namespace-rbac mandatory RoleBinding/ops"]);
            assert.match(vs[0].message, /create networking\.istio\.io\/virtualservices/);
            // without the aggregation label the role is not part of view
            assert.deepStrictEqual(await run([add(), binding("ops", { kind: "ClusterRole", name: "view" }, DEPLOYER)]), []);
        });

        const rules: [string, unknown[], boolean][] = [
            ["pods/exec by */exec", [{ apiGroups: [""], resources: ["*/exec"], verbs: ["create"] }], true],
            ["pods/portforward with get (websocket)", [{ apiGroups: [""], resources: ["pods/portforward"], verbs: ["get"] }], true],
            ["ephemeral containers", [{ apiGroups: [""], resources: ["pods/ephemeralcontainers"], verbs: ["patch"] }], true],
            ["patch on everything", [{ apiGroups: ["*"], resources: ["*"], verbs: ["patch"] }], true],
            [
                "update on the gateway's Deployment only (resourceNames still grant)",
                [{ apiGroups: ["apps"], resources: ["deployments"], verbs: ["update"], resourceNames: ["egress-gateway"] }],
                true,
            ],
            ["AuthorizationPolicies", [{ apiGroups: ["security.istio.io"], resources: ["authorizationpolicies"], verbs: ["create"] }], true],
            ["Telemetries", [{ apiGroups: ["telemetry.istio.io"], resources: ["telemetries"], verbs: ["delete"] }], true],
            ["NetworkPolicies", [{ apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"], verbs: ["*"] }], true],
            ["Gateway API routes", [{ apiGroups: ["gateway.networking.k8s.io"], resources: ["httproutes"], verbs: ["create"] }], true],
            ["RoleBindings (grant anything)", [{ apiGroups: ["rbac.authorization.k8s.io"], resources: ["rolebindings"], verbs: ["create"] }], true],
            ["bind any role", [{ apiGroups: ["rbac.authorization.k8s.io"], resources: ["roles"], verbs: ["bind"] }], true],
            ["Secrets read", [{ apiGroups: [""], resources: ["secrets"], verbs: ["list"] }], true],
            // without the trick
            ["pods/* (does not match pods/exec in Kubernetes' matching)", [{ apiGroups: [""], resources: ["pods/*"], verbs: ["create"] }], false],
            [
                "read-only Istio objects",
                [{ apiGroups: ["networking.istio.io", "security.istio.io"], resources: ["*"], verbs: ["get", "list", "watch"] }],
                false,
            ],
            ["write on another group's objects", [{ apiGroups: ["monitoring.coreos.com"], resources: ["servicemonitors"], verbs: ["*"] }], false],
            ["write on pods in another API group", [{ apiGroups: ["metrics.k8s.io"], resources: ["pods"], verbs: ["create"] }], false],
            ["events", [{ apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] }], false],
        ];
        for (const [what, r, flagged] of rules) {
            it(`a Role with ${what}: ${flagged ? "reported" : "passes"}`, async function () {
                const vs = await run([role("custom", r), binding("custom", { kind: "Role", name: "custom" }, DEPLOYER)]);
                assert.deepStrictEqual(brief(vs), flagged ? ["gateway-namespace-rbac mandatory RoleBinding/custom"] : []);
            });
        }

        it("fails closed on a role it cannot see: not in the stack, in another namespace, an unknown ClusterRole, an open aggregation", async function () {
            for (const objs of [
                [binding("x", { kind: "Role", name: "custom" }, DEPLOYER)],
                [role("custom", [], "app-a"), binding("x", { kind: "Role", name: "custom" }, DEPLOYER)],
                [binding("x", { kind: "ClusterRole", name: "vendor-operator" }, DEPLOYER)],
                [
                    clusterRole("agg", [], undefined, { clusterRoleSelectors: [{ matchLabels: { "example.com/aggregate-to-agg": "true" } }] }),
                    binding("x", { kind: "ClusterRole", name: "agg" }, DEPLOYER),
                ],
            ]) {
                const vs = await run(objs);
                assert.deepStrictEqual(brief(vs), ["gateway-namespace-rbac mandatory RoleBinding/x"], JSON.stringify(objs.map((o) => o.kind)));
                assert.match(vs[0].message, /the pack cannot see (what|all) it grants/);
            }
            // the same Role in the stack, in the binding's namespace, read-only: passes
            assert.deepStrictEqual(
                await run([
                    role("custom", [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }]),
                    binding("x", { kind: "Role", name: "custom" }, DEPLOYER),
                ]),
                [],
            );
        });

        it("only the gateway's namespaces: the same binding in an application namespace is not this rule's", async function () {
            assert.deepStrictEqual(await run([binding("ops", { kind: "ClusterRole", name: "admin" }, DEPLOYER, "app-a")]), []);
        });

        it("a binding without subjects grants nothing", async function () {
            assert.deepStrictEqual(await run([binding("ops", { kind: "ClusterRole", name: "admin" }, [])]), []);
        });

        it("a discovered gateway namespace (the gateway Release's) is judged too", async function () {
            const moved = { ...release, props: { ...release.props, namespace: "edge" } };
            const vs = await run(
                [binding("ops", { kind: "ClusterRole", name: "edit" }, DEPLOYER, "edge")],
                [moved],
                packConfigFor(out.plan, { namespaces: false }),
            );
            assert.deepStrictEqual(brief(vs), ["gateway-namespace-rbac mandatory RoleBinding/ops"]);
        });
    });

    describe("ClusterRoleBindings (advisory)", function () {
        it("cluster-admin for an operator's service account reaches the gateway's namespace", async function () {
            const vs = await run([
                clusterBinding("argocd-application-controller", "cluster-admin", [
                    { kind: "ServiceAccount", name: "argocd-application-controller", namespace: "argocd" },
                ]),
            ]);
            assert.deepStrictEqual(brief(vs), ["gateway-cluster-rbac advisory ClusterRoleBinding/argocd-application-controller"]);
            assert.match(vs[0].message, new RegExp(`in every namespace, the egress gateway's "${GW_NS}" included`));
        });
        it("a stack ClusterRole with cluster-wide Secrets write, and an unknown ClusterRole", async function () {
            const vs = await run([
                clusterRole("cert-manager-controller", [
                    { apiGroups: [""], resources: ["secrets"], verbs: ["get", "list", "watch", "create", "update", "delete"] },
                ]),
                clusterBinding("cert-manager", "cert-manager-controller", [{ kind: "ServiceAccount", name: "cert-manager", namespace: "cert-manager" }]),
                clusterBinding("vendor", "vendor-operator", [{ kind: "ServiceAccount", name: "vendor", namespace: "vendor" }]),
            ]);
            assert.deepStrictEqual(brief(vs), [
                "gateway-cluster-rbac advisory ClusterRoleBinding/cert-manager",
                "gateway-cluster-rbac advisory ClusterRoleBinding/vendor",
            ]);
        });
        it("without the trick: view, system:auth-delegator and read-only roles pass", async function () {
            const sa = [{ kind: "ServiceAccount", name: "metrics-server", namespace: "kube-system" }];
            assert.deepStrictEqual(
                await run([
                    clusterBinding("a", "view", sa),
                    clusterBinding("b", "system:auth-delegator", sa),
                    clusterRole("reader", [{ apiGroups: ["*"], resources: ["pods", "services"], verbs: ["get", "list", "watch"] }]),
                    clusterBinding("c", "reader", sa),
                ]),
                [],
            );
        });
        it("a stack without the gateway is not judged (an operator's own stack)", async function () {
            assert.deepStrictEqual(await run([clusterBinding("ops", "cluster-admin", DEPLOYER)], [], {}), []);
        });
        it("can be made mandatory by config", async function () {
            const cfg = { ...config, "gateway-cluster-rbac": { ...asObject(config["gateway-cluster-rbac"]), enforcementLevel: "mandatory" } };
            const vs = await run([clusterBinding("ops", "cluster-admin", DEPLOYER)], out.resources, cfg);
            assert.deepStrictEqual(brief(vs), ["gateway-cluster-rbac mandatory ClusterRoleBinding/ops"]);
        });
    });

    it("preview: an unknown roleRef withholds only that binding; an unknown Role withholds the findings", async function () {
        const unknownRef = binding("late", { kind: "ClusterRole", name: UNKNOWN }, DEPLOYER);
        const vs = await run([unknownRef, binding("ops", { kind: "ClusterRole", name: "edit" }, DEPLOYER)]);
        assert.deepStrictEqual(brief(vs), ["gateway-namespace-rbac advisory Stack/(stack)", "gateway-namespace-rbac mandatory RoleBinding/ops"].sort());
        const unknownRole = role("custom", [{ apiGroups: [""], resources: ["pods"], verbs: [UNKNOWN] }]);
        const ws = await run([unknownRole, binding("x", { kind: "Role", name: "custom" }, DEPLOYER)]);
        assert.deepStrictEqual(
            ws.map((v) => v.enforcementLevel),
            ["advisory"],
        );
    });

    it("the RBAC model follows Kubernetes' matching and aggregation", function () {
        assert.strictEqual(
            ruleAllows({ apiGroups: [""], resources: ["*/exec"], verbs: ["create"] }, { group: "", resource: "pods/exec", verb: "create" }),
            true,
        );
        assert.strictEqual(
            ruleAllows({ apiGroups: [""], resources: ["pods/*"], verbs: ["create"] }, { group: "", resource: "pods/exec", verb: "create" }),
            false,
        );
        assert.strictEqual(
            ruleAllows({ apiGroups: [""], resources: ["pods"], verbs: ["create"] }, { group: "", resource: "pods/exec", verb: "create" }),
            false,
        );
        assert.strictEqual(ruleAllows({ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }, { group: "x", resource: "y/z", verb: "bind" }), true);
        const admin = resolveClusterRole("admin", [])!;
        assert.strictEqual(admin.open, false);
        assert.ok(
            admin.rules.some((r) => ruleAllows(r, { group: "", resource: "pods/exec", verb: "create" })),
            "admin ⊇ edit",
        );
        assert.ok(admin.rules.some((r) => ruleAllows(r, { group: "rbac.authorization.k8s.io", resource: "rolebindings", verb: "create" })));
        assert.ok(
            !resolveClusterRole("edit", [])!.rules.some((r) => ruleAllows(r, { group: "rbac.authorization.k8s.io", resource: "rolebindings", verb: "create" })),
        );
        assert.ok(!resolveClusterRole("view", [])!.rules.some((r) => ruleAllows(r, { group: "", resource: "secrets", verb: "get" })));
        const custom = clusterRoleView({ metadata: { name: "agg" }, aggregationRule: { clusterRoleSelectors: [{ matchLabels: { a: "b" } }] } });
        assert.strictEqual(resolveClusterRole("agg", [custom])!.open, true);
    });
});
