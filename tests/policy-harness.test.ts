/**
 * The analyzer harness: configuration and enforcement levels as the CLI and @pulumi/policy's server handle them,
 * unknown values during preview, Pulumi programs under the mock engine (yaml groups, Helm releases, the
 * EgressGateway component itself).
 */
import * as assert from "assert";
import * as k8s from "@pulumi/kubernetes";
import { EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { runProgram } from "../sdk/engine/mock-engine";
import { fromManifests, hasMandatory, policies, PolicyConfigError, PolicyResource, reconcileConfig, runPolicies, Violation } from "istio-egress-guard/lib";
import { fromCaptured } from "../sdk/render/objects";
import { K8sObject } from "../sdk/schema/validate";
import { defaultDeny, workload } from "./fixtures/policy/workloads";
import { asObject, isRecord } from "../sdk/model/read";
import { EgressMode } from "../sdk/args";

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

function byPolicy(vs: Violation[], policy: string): Violation[] {
    return vs.filter((v) => v.policy === policy);
}

const hostNetworkPod = workload("Pod", "p", "apps", { spec: { hostNetwork: true } });
const unprotected = workload("Deployment", "web", "shop");

describe("policy harness", function () {
    this.timeout(120000);

    describe("the pack", function () {
        it("has unique, stable names, descriptions, mandatory defaults and a config schema per policy", function () {
            const names = policies.map((p) => p.name);
            assert.deepStrictEqual(names, [
                "sidecar-injection-required",
                "no-traffic-capture-exclusions",
                "no-proxy-escape-privileges",
                "no-external-egress-networkpolicy",
                "no-gateway-impersonation",
                "namespace-default-deny-egress",
                "registry-only-outbound",
                "no-open-service-entry",
                "service-entry-via-egress-gateway",
                "no-external-service-endpoints",
                "egress-gateway-istio-mutual",
                "egress-gateway-cluster-ip",
                "egress-gateway-control",
                "egress-gateway-access-log",
                "egress-tls-origination-verified",
                "gateway-namespace-rbac",
                "gateway-cluster-rbac",
            ]);
            for (const p of policies) {
                assert.ok(p.description.length > 20 && p.description.endsWith("."), p.name);
                // gateway-cluster-rbac is advisory by design (cluster-wide grants are the cluster's RBAC review: its module comment)
                assert.strictEqual(p.enforcementLevel, p.name === "gateway-cluster-rbac" ? "advisory" : "mandatory", p.name);
                assert.ok(p.configSchema && !("enforcementLevel" in p.configSchema.properties), p.name);
                assert.ok(/^[a-z0-9-]+$/.test(p.name) && p.name !== "all");
            }
        });
    });

    describe("configuration", function () {
        it("applies the schema defaults the CLI would (getConfig sees them)", function () {
            const c = reconcileConfig(policies, {});
            assert.deepStrictEqual(c["no-proxy-escape-privileges"].exemptNamespaces, ["kube-system", "kube-public", "kube-node-lease", "istio-system"]);
            assert.deepStrictEqual(c["no-proxy-escape-privileges"].gatewayLabels, { istio: "egressgateway" });
            assert.deepStrictEqual(c["registry-only-outbound"].exemptNamespaces, []);
            assert.strictEqual(c["namespace-default-deny-egress"].enforcementLevel, "mandatory");
        });
        it("disables a policy, or makes it advisory, by config; `all` sets every level first", async function () {
            const objs = fromManifests([hostNetworkPod, defaultDeny("apps")]);
            assert.deepStrictEqual(
                byPolicy(await runPolicies(objs, { config: { "no-proxy-escape-privileges": "disabled" } }), "no-proxy-escape-privileges"),
                [],
            );
            const adv = await runPolicies(objs, { config: { "no-proxy-escape-privileges": { enforcementLevel: "advisory" } } });
            assert.strictEqual(adv.length, 1);
            assert.strictEqual(adv[0].enforcementLevel, "advisory");
            assert.strictEqual(hasMandatory(adv), false);
            const all = await runPolicies(objs, { config: { all: "advisory" } });
            assert.strictEqual(all[0].enforcementLevel, "advisory");
            const allThenOne = await runPolicies(objs, { config: { all: "disabled", "no-proxy-escape-privileges": "mandatory" } });
            assert.deepStrictEqual(
                allThenOne.map((v) => v.policy),
                ["no-proxy-escape-privileges"],
            );
            assert.strictEqual(allThenOne[0].enforcementLevel, "mandatory");
        });
        it("reports `remediate` as mandatory: stack policies cannot remediate, nor can these resource policies", async function () {
            const vs = await runPolicies(fromManifests([hostNetworkPod, unprotected]), {
                config: { "namespace-default-deny-egress": "remediate", "no-proxy-escape-privileges": { enforcementLevel: "remediate" } },
            });
            assert.ok(vs.length >= 3);
            assert.ok(
                vs.every((v) => v.enforcementLevel === "mandatory"),
                JSON.stringify(vs.map((v) => [v.policy, v.enforcementLevel])),
            );
            assert.strictEqual(byPolicy(vs, "namespace-default-deny-egress").length, 2);
        });
        it("keeps default properties the user does not override, per policy", async function () {
            const objs = fromManifests([
                workload("Pod", "p", "legacy", { spec: { hostNetwork: true } }),
                workload("Pod", "s", "kube-system", { spec: { hostNetwork: true } }),
            ]);
            const vs = byPolicy(
                await runPolicies(objs, { config: { "no-proxy-escape-privileges": { gatewayNamespaces: ["legacy"] } } }),
                "no-proxy-escape-privileges",
            );
            assert.deepStrictEqual(vs, [], "legacy is a gateway namespace now; kube-system stays exempt by default");
        });
        it("rejects what the CLI would reject, naming the policy and the property", function () {
            assert.throws(
                () => reconcileConfig(policies, { "no-such-policy": "advisory" }),
                (e: unknown) => e instanceof PolicyConfigError && /no-such-policy/.test(e.message),
            );
            assert.throws(
                () => reconcileConfig(policies, { "no-proxy-escape-privileges": "strict" }),
                /"no-proxy-escape-privileges": enforcement level "strict"/,
            );
            assert.throws(
                () => reconcileConfig(policies, { "no-proxy-escape-privileges": { exemptNamespaces: "kube-system" } }),
                /"no-proxy-escape-privileges": invalid config: exemptNamespaces must be array/,
            );
            assert.throws(
                () => reconcileConfig(policies, { "egress-gateway-istio-mutual": { gatewayLabels: {} } }),
                /gatewayLabels must NOT have fewer than 1 properties/,
            );
            assert.throws(() => reconcileConfig(policies, { "registry-only-outbound": { exemptNamespace: ["x"] } }), /unknown property "exemptNamespace"/);
        });
    });

    describe("unknown values during preview", function () {
        it("turns a read of an unknown value into the analyzer's advisory, without stopping other policies", async function () {
            const r: PolicyResource = {
                type: "kubernetes:apps/v1:Deployment",
                name: "web",
                urn: "urn:pulumi:dev::p::kubernetes:apps/v1:Deployment::web",
                props: {
                    metadata: { name: "web", namespace: "apps" },
                    spec: {
                        template: {
                            metadata: { annotations: { "traffic.sidecar.istio.io/excludeOutboundPorts": UNKNOWN } },
                            spec: { hostNetwork: true, containers: [{ name: "a", image: UNKNOWN }] },
                        },
                    },
                },
            };
            const vs = await runPolicies([r, ...fromManifests([defaultDeny("apps")])]);
            const adv = byPolicy(vs, "no-traffic-capture-exclusions");
            assert.strictEqual(adv.length, 1);
            assert.strictEqual(adv[0].enforcementLevel, "advisory");
            assert.match(
                adv[0].message,
                /^can't run policy 'no-traffic-capture-exclusions' from policy pack 'istio-egress-guard@v\d+\.\d+\.\d+' during preview: string value at \.spec\.template\.metadata\.annotations\.traffic\.sidecar\.istio\.io\/excludeOutboundPorts can't be known during preview$/,
            );
            // the rest of the resource is still judged by the other policies
            assert.strictEqual(byPolicy(vs, "no-proxy-escape-privileges").length, 1);
            assert.strictEqual(byPolicy(vs, "no-proxy-escape-privileges")[0].enforcementLevel, "mandatory");
        });
        it("a stack policy reports what it can and adds the advisory for the unknown resource", async function () {
            const unknownNs: PolicyResource = {
                type: "kubernetes:apps/v1:Deployment",
                name: "late",
                urn: "urn:pulumi:dev::p::kubernetes:apps/v1:Deployment::late",
                props: { metadata: { name: "late", namespace: UNKNOWN }, spec: { template: { spec: { containers: [] } } } },
            };
            const vs = byPolicy(await runPolicies([unknownNs, ...fromManifests([unprotected])]), "namespace-default-deny-egress");
            assert.deepStrictEqual(
                vs.map((v) => [v.enforcementLevel, v.resource.name]),
                [
                    ["mandatory", "web"],
                    ["advisory", "(stack)"],
                ],
            );
            assert.match(
                vs[1].message,
                /can't run policy 'namespace-default-deny-egress' .* during preview: string value at kubernetes:apps\/v1:Deployment::late \.metadata\.namespace/,
            );
        });
        it("withholds a stack policy's findings while an object that could satisfy them is unknown (no false mandatory)", async function () {
            const np = fromManifests([defaultDeny("shop")])[0];
            np.props = asObject(JSON.parse(JSON.stringify(np.props)));
            const spec = np.props.spec;
            assert.ok(isRecord(spec));
            spec.policyTypes = UNKNOWN;
            const vs = byPolicy(await runPolicies([np, ...fromManifests([unprotected])]), "namespace-default-deny-egress");
            assert.deepStrictEqual(
                vs.map((v) => v.enforcementLevel),
                ["advisory"],
            );
            assert.match(vs[0].message, /NetworkPolicy::shop\/default-deny-egress \.spec\.policyTypes can't be known/);
            // once known, the same stack is judged: the policy is a default-deny, so nothing to report
            assert.deepStrictEqual(byPolicy(await runPolicies(fromManifests([defaultDeny("shop"), unprotected])), "namespace-default-deny-egress"), []);
        });
    });

    describe("analyzer semantics for any policy", function () {
        const typed = (): ResourceValidationPolicy => {
            const fn = Object.assign((args: ResourceValidationArgs, report: ReportViolation) => report(`saw ${args.type}`), {
                __pulumiType: "kubernetes:core/v1:Pod",
            });
            return { name: "typed", description: "Typed.", enforcementLevel: "advisory", validateResource: fn };
        };
        it("honours a validation's attached type, notApplicable(), the pack level and stack URNs", async function () {
            const na: ResourceValidationPolicy = { name: "na", description: "NA.", validateResource: (args) => args.notApplicable("never") };
            const stack: StackValidationPolicy = {
                name: "stack",
                description: "Stack.",
                enforcementLevel: "mandatory",
                validateStack: (args, report) => {
                    for (const r of args.resources) if (r.parent) report(`child of ${r.parent.name}`, r.urn);
                },
            };
            const rs: PolicyResource[] = [
                { type: "kubernetes:core/v1:Pod", name: "a", urn: "urn:a", props: { metadata: { name: "a" } } },
                { type: "kubernetes:core/v1:Service", name: "b", urn: "urn:b", props: { metadata: { name: "b" } }, parent: "urn:a" },
            ];
            const vs = await runPolicies(rs, { policies: [typed(), na, stack], packEnforcementLevel: "mandatory" as EnforcementLevel });
            assert.deepStrictEqual(
                vs.map((v) => [v.policy, v.enforcementLevel, v.resource.name, v.message]),
                [
                    ["typed", "advisory", "a", "saw kubernetes:core/v1:Pod"],
                    ["stack", "mandatory", "b", "child of a"],
                ],
            );
        });
        it("fails the run when a policy throws something other than an unknown value", async function () {
            const broken: ResourceValidationPolicy = {
                name: "broken",
                description: "Broken.",
                validateResource: () => {
                    throw new TypeError("boom");
                },
            };
            await assert.rejects(
                runPolicies([{ type: "kubernetes:core/v1:Pod", name: "a", urn: "urn:a", props: {} }], { policies: [broken] }),
                /Error validating resource with policy 'broken' from policy pack 'istio-egress-guard@v[^']+': TypeError: boom/,
            );
        });
    });

    describe("Pulumi programs (mock engine)", function () {
        it("judges objects inside a yaml ConfigGroup, and unknown inputs during preview become advisories", async function () {
            const r = await runProgram(
                () => {
                    const ns = new k8s.core.v1.Namespace("shop", { metadata: { name: "shop" } });
                    new k8s.yaml.ConfigGroup("bundle", {
                        objs: [
                            workload("Deployment", "web", "shop", { labels: { "sidecar.istio.io/inject": "false" } }),
                            {
                                apiVersion: "networking.istio.io/v1",
                                kind: "ServiceEntry",
                                metadata: { name: "anything", namespace: "shop" },
                                spec: { hosts: ["*"], resolution: "DNS", ports: [{ number: 443, name: "tls", protocol: "TLS" }] },
                            },
                        ],
                    });
                    // status is not known until the namespace exists: unknown in preview
                    new k8s.apps.v1.Deployment("late", {
                        metadata: { name: "late", namespace: "shop" },
                        spec: {
                            selector: { matchLabels: { app: "late" } },
                            template: {
                                metadata: { labels: { app: "late" }, annotations: { "traffic.sidecar.istio.io/excludeOutboundPorts": ns.status.phase } },
                                spec: { containers: [{ name: "a", image: "x" }] },
                            },
                        },
                    });
                },
                { preview: true },
            );
            const input = fromCaptured(r.resources);
            assert.ok(
                input.every((x) => !x.type.startsWith("pulumi:pulumi:Stack") && x.type !== "kubernetes:yaml:ConfigGroup"),
                "components are not analysed",
            );
            const vs = await runPolicies(input);
            const brief = vs.map((v) => `${v.policy} ${v.enforcementLevel} ${v.resource.kind}/${v.resource.name}`).sort();
            assert.deepStrictEqual(brief, [
                "namespace-default-deny-egress mandatory Deployment/late",
                "no-open-service-entry mandatory ServiceEntry/anything",
                "no-traffic-capture-exclusions advisory Deployment/late",
                "service-entry-via-egress-gateway mandatory ServiceEntry/anything",
                "sidecar-injection-required mandatory Deployment/web",
            ]);
        });
        it("reads Helm releases as one resource: the istio/gateway chart's default LoadBalancer is caught", async function () {
            const r = await runProgram(() => {
                new k8s.helm.v3.Release("egw", {
                    name: "istio-egressgateway",
                    chart: "gateway",
                    namespace: "istio-egress",
                    repositoryOpts: { repo: "https://istio-release.storage.googleapis.com/charts" },
                    values: { replicaCount: 2 },
                });
            });
            const vs = await runPolicies(fromCaptured(r.resources));
            assert.deepStrictEqual(
                vs.map((v) => `${v.policy} ${v.resource.kind} ${v.resource.namespace}/${v.resource.name}`),
                ["egress-gateway-cluster-ip Release istio-egress/istio-egressgateway"],
            );
        });
        for (const preview of [false, true]) {
            it(`passes the EgressGateway component's own output with zero violations (${preview ? "preview" : "up"})`, async function () {
                const { EgressGateway } = await import("../sdk/component.js");
                const r = await runProgram(
                    () => {
                        new EgressGateway("egress", {
                            hosts: [
                                { host: "httpbin.org", mode: EgressMode.Http, allow: [{ namespaces: ["app-b"] }] },
                                { host: "api.example.com", mode: EgressMode.TlsOrigination, allow: [{ namespaces: ["app-b"] }] },
                                { host: "*.wikipedia.org", mode: EgressMode.Tls, upstreamHost: "www.wikipedia.org", allow: [{ namespaces: ["app-a"] }] },
                                { host: "partner.example.net", mode: EgressMode.MutualTlsOrigination, credentialName: "partner-client" },
                            ],
                            lockdown: { namespaces: [{ name: "app-a" }, { name: "app-b" }] },
                        });
                    },
                    { preview },
                );
                const vs = await runPolicies(fromCaptured(r.resources));
                assert.deepStrictEqual(
                    vs.map((v) => `${v.policy}: ${v.resource.kind}/${v.resource.name}: ${v.message}`),
                    [],
                );
                // and the pack does notice when an application team adds a bypass next to it
                const bypass = fromManifests([
                    workload("Deployment", "leaky", "app-a", { annotations: { "traffic.sidecar.istio.io/excludeOutboundIPRanges": "0.0.0.0/0" } }),
                ]);
                const withBypass = await runPolicies([...fromCaptured(r.resources), ...bypass]);
                // app-a has the component's default-deny, so only the exclusion itself is reported
                assert.deepStrictEqual(
                    withBypass.map((v) => `${v.policy} ${v.resource.name}`),
                    ["no-traffic-capture-exclusions leaky"],
                );
            });
        }
    });

    describe("a gateway with a custom namespace and custom labels", function () {
        it("needs gatewayNamespaces/gatewayLabels in the pack config, and then passes", async function () {
            const { EgressGateway } = await import("../sdk/component.js");
            const r = await runProgram(() => {
                new EgressGateway("egress", {
                    gateway: { namespace: "edge", labels: { app: "corp-egress" } },
                    hosts: [{ host: "api.example.com", mode: EgressMode.TlsOrigination, allow: [{ namespaces: ["shop"] }] }],
                    lockdown: { namespaces: [{ name: "shop" }] },
                });
            });
            const unconfigured = await runPolicies(fromCaptured(r.resources));
            assert.ok(unconfigured.length > 0);
            assert.ok(
                unconfigured.every((v) => v.resource.namespace === "edge"),
                JSON.stringify(unconfigured.map((v) => `${v.policy} ${v.resource.namespace}/${v.resource.name}: ${v.message}`)),
            );
            // The component selects its pods by its own label, unique to (namespace, release), not by gateway.labels
            // (issue 11, item 1): that is what the pack must be told.
            const labels = { gatewayLabels: { "istio-egress.io/gateway": "edge.egress-gateway" }, gatewayNamespaces: ["edge"] };
            const config = Object.fromEntries(
                policies
                    .filter((p) => p.configSchema?.properties.gatewayLabels)
                    .map((p) => [p.name, p.configSchema?.properties.gatewayNamespaces ? labels : { gatewayLabels: labels.gatewayLabels }]),
            );
            assert.deepStrictEqual(await runPolicies(fromCaptured(r.resources), { config }), []);
        });
    });

    describe("fromManifests", function () {
        it("derives Pulumi type tokens and unique URNs; expands kind: List", function () {
            const objs: K8sObject[] = [
                { apiVersion: "v1", kind: "List", metadata: { name: "" }, items: [workload("Pod", "a", "x"), workload("Pod", "a", "x")] },
                { apiVersion: "networking.istio.io/v1beta1", kind: "ServiceEntry", metadata: { name: "se" }, spec: {} },
            ];
            const rs = fromManifests(objs);
            assert.deepStrictEqual(
                rs.map((r) => r.type),
                ["kubernetes:core/v1:Pod", "kubernetes:core/v1:Pod", "kubernetes:networking.istio.io/v1beta1:ServiceEntry"],
            );
            assert.strictEqual(new Set(rs.map((r) => r.urn)).size, 3);
        });
    });
});
