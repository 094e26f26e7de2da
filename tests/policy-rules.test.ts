/**
 * Every rule of the istio-egress-guard pack, violating and compliant, run through the analyzer harness exactly as
 * `pulumi preview --policy-pack` would run the pack's policy objects.
 */
import * as assert from "assert";
import { K8sObject } from "../sdk/schema/validate";
import { Violation, fromManifests, hasMandatory, runPolicies } from "istio-egress-guard/lib";
import { INJECTED_INIT, INJECTED_PROXY, WORKLOAD_KINDS, defaultDeny, workload } from "./fixtures/policy/workloads";
import { isRecord, listAt, recordAt } from "../sdk/model/read";

async function check(objs: K8sObject[], config?: Record<string, unknown>): Promise<Violation[]> {
    return runPolicies(fromManifests(objs), { config });
}

function only(vs: Violation[], policy: string): Violation[] {
    return vs.filter((v) => v.policy === policy);
}

/** Findings of one policy for a workload placed in a namespace that has its default-deny. */
async function findings(policy: string, obj: K8sObject, config?: Record<string, unknown>): Promise<Violation[]> {
    const ns = obj.metadata.namespace ?? "default";
    return only(await check([obj, defaultDeny(ns)], config), policy);
}

describe("policy rules", function () {
    describe("sidecar-injection-required", function () {
        const P = "sidecar-injection-required";
        for (const kind of WORKLOAD_KINDS) {
            it(`flags sidecar.istio.io/inject: "false" on a ${kind}'s pod (label)`, async function () {
                const vs = await findings(P, workload(kind, "web", "apps", { labels: { "sidecar.istio.io/inject": "false" } }));
                assert.strictEqual(vs.length, 1, JSON.stringify(vs));
                assert.strictEqual(vs[0].enforcementLevel, "mandatory");
                assert.strictEqual(vs[0].resource.kind, kind);
                assert.strictEqual(vs[0].resource.namespace, "apps");
                assert.strictEqual(vs[0].resource.name, "web");
                assert.match(vs[0].message, /sidecar\.istio\.io\/inject: "false".*remove it/);
            });
            it(`passes a ${kind} that keeps its sidecar`, async function () {
                const vs = await findings(P, workload(kind, "web", "apps", { labels: { "sidecar.istio.io/inject": "true" } }));
                assert.deepStrictEqual(vs, []);
            });
        }
        it("flags the annotation form, and any value Istio reads as 'do not inject'", async function () {
            for (const value of ["false", "no", "off", "disabled"]) {
                const vs = await findings(P, workload("Deployment", "web", "apps", { annotations: { "sidecar.istio.io/inject": value } }));
                assert.strictEqual(vs.length, 1, value);
                assert.match(vs[0].message, /annotations sidecar\.istio\.io\/inject/);
            }
        });
        it("lets the label win over the annotation, as the injector does", async function () {
            const vs = await findings(
                P,
                workload("Deployment", "web", "apps", { labels: { "sidecar.istio.io/inject": "true" }, annotations: { "sidecar.istio.io/inject": "false" } }),
            );
            assert.deepStrictEqual(vs, []);
        });
        it("flags istio.io/dataplane-mode: none and a non-REDIRECT interceptionMode", async function () {
            const vs = await findings(
                P,
                workload("StatefulSet", "db", "apps", {
                    labels: { "istio.io/dataplane-mode": "none" },
                    annotations: { "sidecar.istio.io/interceptionMode": "NONE" },
                }),
            );
            assert.strictEqual(vs.length, 2);
            assert.ok(vs.some((v) => /dataplane-mode: none/.test(v.message)));
            assert.ok(vs.some((v) => /interceptionMode: "NONE"/.test(v.message)));
            const ok = await findings(P, workload("StatefulSet", "db", "apps", { annotations: { "sidecar.istio.io/interceptionMode": "REDIRECT" } }));
            assert.deepStrictEqual(ok, []);
        });
        it("flags Namespace objects that switch injection off, not those that enable it", async function () {
            const ns = (labels: Record<string, string>, annotations?: Record<string, string>): K8sObject => ({
                apiVersion: "v1",
                kind: "Namespace",
                metadata: { name: "apps", labels, ...(annotations ? { annotations } : {}) },
            });
            assert.strictEqual(only(await check([ns({ "istio-injection": "disabled" })]), P).length, 1);
            assert.strictEqual(only(await check([ns({ "sidecar.istio.io/inject": "false" })]), P).length, 1);
            assert.strictEqual(only(await check([ns({}, { "sidecar.istio.io/inject": "false" })]), P).length, 1);
            assert.strictEqual(only(await check([ns({ "istio.io/dataplane-mode": "none" })]), P).length, 1);
            assert.deepStrictEqual(only(await check([ns({ "istio-injection": "enabled" })]), P), []);
            assert.deepStrictEqual(only(await check([ns({ "istio.io/dataplane-mode": "ambient", "istio-injection": "disabled" })]), P), []);
            // kube-system is exempt by default
            const sys: K8sObject = { apiVersion: "v1", kind: "Namespace", metadata: { name: "kube-system", labels: { "istio-injection": "disabled" } } };
            assert.deepStrictEqual(only(await check([sys]), P), []);
        });
    });

    describe("no-traffic-capture-exclusions", function () {
        const P = "no-traffic-capture-exclusions";
        const cases: [string, string][] = [
            ["traffic.sidecar.istio.io/excludeOutboundIPRanges", "0.0.0.0/0"],
            ["traffic.sidecar.istio.io/excludeOutboundIPRanges", "169.254.169.254/32"],
            ["traffic.sidecar.istio.io/includeOutboundIPRanges", "10.0.0.0/8"],
            ["traffic.sidecar.istio.io/includeOutboundIPRanges", ""],
            ["traffic.sidecar.istio.io/excludeOutboundPorts", "443"],
            ["traffic.sidecar.istio.io/includeOutboundPorts", "80"],
            ["traffic.sidecar.istio.io/excludeInterfaces", "eth1"],
            ["traffic.sidecar.istio.io/kubevirtInterfaces", "net1"],
        ];
        cases.forEach(([key, value], i) => {
            const kind = WORKLOAD_KINDS[i % WORKLOAD_KINDS.length];
            it(`flags ${key}: "${value}" on a ${kind}`, async function () {
                const vs = await findings(P, workload(kind, "web", "apps", { annotations: { [key]: value } }));
                assert.strictEqual(vs.length, 1, JSON.stringify(vs));
                assert.ok(vs[0].message.includes(key), vs[0].message);
                assert.strictEqual(vs[0].resource.kind, kind);
            });
        });
        it('passes includeOutboundIPRanges: "*" and empty exclusions', async function () {
            for (const kind of WORKLOAD_KINDS) {
                const vs = await findings(
                    P,
                    workload(kind, "web", "apps", {
                        annotations: {
                            "traffic.sidecar.istio.io/includeOutboundIPRanges": "*",
                            "traffic.sidecar.istio.io/excludeOutboundPorts": "",
                            "traffic.sidecar.istio.io/excludeInboundPorts": "15020",
                        },
                    }),
                );
                assert.deepStrictEqual(vs, [], kind);
            }
        });
        it("flags mesh-wide exclusions in the istiod release values", async function () {
            const vs = only(
                await runPolicies([
                    {
                        type: "kubernetes:helm.sh/v3:Release",
                        name: "istiod",
                        urn: "urn:pulumi:s::p::kubernetes:helm.sh/v3:Release::istiod",
                        props: {
                            chart: "istiod",
                            namespace: "istio-control",
                            values: { global: { proxy: { includeIPRanges: "10.0.0.0/8", excludeIPRanges: "1.2.3.4/32" } } },
                        },
                    },
                ]),
                P,
            );
            assert.strictEqual(vs.length, 2);
            assert.ok(vs.every((v) => v.resource.kind === "Release"));
            const ok = only(
                await runPolicies([
                    {
                        type: "kubernetes:helm.sh/v3:Release",
                        name: "istiod",
                        urn: "urn:pulumi:s::p::kubernetes:helm.sh/v3:Release::istiod",
                        props: { chart: "istiod", namespace: "istio-control", values: { global: { proxy: { includeIPRanges: "*" } } } },
                    },
                ]),
                P,
            );
            assert.deepStrictEqual(ok, []);
        });
    });

    describe("no-proxy-escape-privileges", function () {
        const P = "no-proxy-escape-privileges";
        it("flags hostNetwork on every workload kind", async function () {
            for (const kind of WORKLOAD_KINDS) {
                const vs = await findings(P, workload(kind, "web", "apps", { spec: { hostNetwork: true } }));
                assert.strictEqual(vs.length, 1, kind);
                assert.match(vs[0].message, /hostNetwork: true/);
            }
        });
        it("flags UID 1337 and GID 1337 in containers and init containers", async function () {
            const vs = await findings(
                P,
                workload("Deployment", "web", "apps", {
                    spec: {
                        initContainers: [{ name: "setup", image: "busybox", securityContext: { runAsGroup: 1337 } }],
                        containers: [{ name: "app", image: "app", securityContext: { runAsUser: 1337 } }],
                    },
                }),
            );
            assert.strictEqual(vs.length, 2, JSON.stringify(vs));
            assert.ok(vs.some((v) => /initContainers\[0\] "setup" runs with runAsGroup 1337/.test(v.message)));
            assert.ok(vs.some((v) => /containers\[0\] "app" runs with runAsUser 1337/.test(v.message)));
        });
        it("flags a pod-level runAsUser 1337 unless every container overrides it", async function () {
            const inherited = await findings(P, workload("CronJob", "job", "apps", { spec: { securityContext: { runAsUser: 1337 } } }));
            assert.strictEqual(inherited.length, 1);
            assert.match(inherited[0].message, /inherited from spec\.jobTemplate\.spec\.template\.spec\.securityContext/);
            const overridden = await findings(
                P,
                workload("CronJob", "job", "apps", {
                    spec: { securityContext: { runAsUser: 1337 }, containers: [{ name: "app", image: "app", securityContext: { runAsUser: 1000 } }] },
                }),
            );
            assert.deepStrictEqual(overridden, []);
            // fsGroup 1337 was passed before issue 9; it is the setgid route to the proxy's GID (see the attacker tests).
            const fsGroup = await findings(P, workload("Job", "job", "apps", { spec: { securityContext: { fsGroup: 1337, runAsUser: 1000 } } }));
            assert.strictEqual(fsGroup.length, 1, "fsGroup 1337 puts the proxy's GID within a setgid binary's reach");
        });
        it("flags NET_ADMIN, NET_RAW (with or without CAP_), ALL and privileged", async function () {
            const vs = await findings(
                P,
                workload("DaemonSet", "agent", "apps", {
                    spec: {
                        containers: [
                            { name: "a", image: "x", securityContext: { capabilities: { add: ["NET_ADMIN", "CAP_NET_RAW"] } } },
                            { name: "b", image: "y", securityContext: { privileged: true } },
                            { name: "c", image: "z", securityContext: { capabilities: { add: ["ALL"] } } },
                        ],
                    },
                }),
            );
            assert.strictEqual(vs.length, 4, JSON.stringify(vs.map((v) => v.message)));
            const ok = await findings(
                P,
                workload("DaemonSet", "agent", "apps", {
                    spec: {
                        containers: [
                            {
                                name: "a",
                                image: "x",
                                securityContext: { runAsUser: 1000, capabilities: { add: ["NET_BIND_SERVICE"], drop: ["ALL"] }, privileged: false },
                            },
                        ],
                    },
                }),
            );
            assert.deepStrictEqual(ok, []);
        });
        it("does not flag Istio's injected istio-init / istio-proxy containers", async function () {
            for (const kind of ["Pod", "ReplicaSet"] as const) {
                const vs = await findings(
                    P,
                    workload(kind, "web", "apps", { spec: { initContainers: [INJECTED_INIT], containers: [{ name: "app", image: "app" }, INJECTED_PROXY] } }),
                );
                assert.deepStrictEqual(vs, [], kind);
            }
        });
        it("flags a container that only borrows the proxy's name", async function () {
            const vs = await findings(
                P,
                workload("Pod", "web", "apps", {
                    spec: {
                        containers: [
                            { name: "app", image: "app" },
                            { name: "istio-proxy", image: "evil/proxy:1", securityContext: { runAsUser: 1337 } },
                        ],
                    },
                }),
            );
            assert.strictEqual(vs.length, 1);
        });
    });

    describe("no-external-egress-networkpolicy", function () {
        const P = "no-external-egress-networkpolicy";
        const np = (spec: Record<string, unknown>, namespace = "apps"): K8sObject => ({
            apiVersion: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            metadata: { name: "np", namespace },
            spec,
        });
        it("flags an ipBlock reaching public addresses, even with private exceptions", async function () {
            const vs = only(
                await check([
                    np({
                        podSelector: { matchLabels: { app: "web" } },
                        policyTypes: ["Egress"],
                        egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] } }] }],
                    }),
                ]),
                P,
            );
            assert.strictEqual(vs.length, 1);
            assert.match(vs[0].message, /egress\[0\]\.to\[0\]\.ipBlock 0\.0\.0\.0\/0 .*outside the cluster/);
            const single = only(await check([np({ podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: "203.0.113.7/32" } }] }] })]), P);
            assert.strictEqual(single.length, 1, "policyTypes defaults to include Egress when egress rules exist");
            const v6 = only(
                await check([np({ podSelector: {}, policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: "::/0", except: ["fc00::/7"] } }] }] })]),
                P,
            );
            assert.strictEqual(v6.length, 1);
        });
        it("flags an empty egress rule and a rule without `to`", async function () {
            const vs = only(await check([np({ podSelector: {}, policyTypes: ["Egress"], egress: [{}, { ports: [{ port: 443 }] }] })]), P);
            assert.strictEqual(vs.length, 2);
            assert.match(vs[1].message, /egress\[1\] has no "to", so it allows every destination on its ports/);
        });
        it("passes in-cluster ipBlocks, selectors, ingress-only policies and configured CIDRs", async function () {
            assert.deepStrictEqual(
                only(
                    await check([
                        np({
                            podSelector: {},
                            policyTypes: ["Egress"],
                            egress: [{ to: [{ ipBlock: { cidr: "10.96.0.0/12" } }, { namespaceSelector: {} }, { podSelector: { matchLabels: { a: "b" } } }] }],
                        }),
                    ]),
                    P,
                ),
                [],
            );
            assert.deepStrictEqual(only(await check([np({ podSelector: {}, policyTypes: ["Ingress"], ingress: [{}], egress: [{}] })]), P), []);
            const cfg = { [P]: { allowedEgressCidrs: ["203.0.113.0/24"] } };
            assert.deepStrictEqual(only(await check([np({ podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: "203.0.113.7/32" } }] }] })], cfg), P), []);
        });
        it("treats only the configured ranges as in-cluster when inClusterCidrs is set", async function () {
            const spec = { podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: "192.168.10.0/24" } }] }] };
            assert.deepStrictEqual(only(await check([np(spec)]), P), []);
            const vs = only(await check([np(spec)], { [P]: { inClusterCidrs: ["10.0.0.0/16", "10.96.0.0/12"] } }), P);
            assert.strictEqual(vs.length, 1);
        });
        it("names a malformed CIDR", async function () {
            const vs = only(await check([np({ podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: "10.0.0.300/8" } }] }] })]), P);
            assert.strictEqual(vs.length, 1);
            assert.match(vs[0].message, /"10\.0\.0\.300\/8" is not an IPv4 or IPv6 CIDR/);
        });
        it("lets the egress gateway's own pods, and the gateway/system namespaces, reach the internet", async function () {
            const gw = {
                podSelector: { matchLabels: { istio: "egressgateway" } },
                policyTypes: ["Egress"],
                egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] } }] }],
            };
            assert.deepStrictEqual(only(await check([np(gw, "istio-egress")]), P), []);
            // Issue 9: the gateway's labels grant nothing outside a gateway namespace, and in one only a selector that
            // can match nothing but the gateway's pods is the gateway's (before, both passed).
            assert.strictEqual(only(await check([np(gw, "edge")]), P).length, 1);
            const open = { podSelector: {}, policyTypes: ["Egress"], egress: [{}] };
            assert.strictEqual(only(await check([np(open, "istio-egress")]), P).length, 1);
            assert.deepStrictEqual(only(await check([np(open, "kube-system")]), P), []);
            assert.strictEqual(only(await check([np(open, "default")]), P).length, 1);
        });
    });

    describe("no-gateway-impersonation", function () {
        const P = "no-gateway-impersonation";
        const gatewayLabels = { istio: "egressgateway" };
        it("flags application pods carrying the gateway's labels, in any namespace (the gateway's included)", async function () {
            for (const [kind, ns] of [
                ["Deployment", "apps"],
                ["Pod", "istio-egress"],
                ["CronJob", "default"],
            ] as const) {
                const vs = await findings(P, workload(kind, "fake", ns, { labels: gatewayLabels }));
                assert.strictEqual(vs.length, 1, `${kind} in ${ns}`);
                assert.match(vs[0].message, /carry the egress gateway's labels \(istio: egressgateway\)/);
            }
        });
        it("passes the gateway's own pods and pods without those labels", async function () {
            const real = workload("Deployment", "istio-egressgateway", "istio-egress", {
                labels: gatewayLabels,
                spec: { containers: [{ name: "istio-proxy", image: "auto" }] },
            });
            assert.deepStrictEqual(await findings(P, real), []);
            // Issue 9: the same pod outside the gateway namespaces is a finding (it passed before).
            assert.strictEqual((await findings(P, { ...real, metadata: { ...real.metadata, namespace: "edge" } })).length, 1);
            assert.deepStrictEqual(await findings(P, workload("Deployment", "web", "apps", { labels: { istio: "ingressgateway" } })), []);
        });
        it("closes the NetworkPolicy exemption: a policy for the gateway's labels is fine, an impostor under it is not", async function () {
            const np: K8sObject = {
                apiVersion: "networking.k8s.io/v1",
                kind: "NetworkPolicy",
                metadata: { name: "gw-internet", namespace: "apps" },
                spec: { podSelector: { matchLabels: gatewayLabels }, policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }] },
            };
            const vs = await check([np, workload("Deployment", "fake", "apps", { labels: gatewayLabels }), defaultDeny("apps")]);
            // Issue 9: the NetworkPolicy's gateway selector no longer exempts it outside a gateway namespace (the decoy chain).
            assert.deepStrictEqual(vs.map((v) => `${v.policy} ${v.resource.kind}/${v.resource.name}`).sort(), [
                "no-external-egress-networkpolicy NetworkPolicy/gw-internet",
                "no-gateway-impersonation Deployment/fake",
            ]);
        });
    });

    describe("namespace-default-deny-egress (stack)", function () {
        const P = "namespace-default-deny-egress";
        it("flags each application namespace without a default-deny egress policy, once, naming its workloads", async function () {
            // Issue 9: one finding per namespace (before: one per workload).
            const vs = only(await check([workload("Deployment", "web", "shop"), workload("CronJob", "report", "shop"), workload("Pod", "p", undefined)]), P);
            assert.deepStrictEqual(vs.map((v) => `${v.resource.kind}/${v.resource.namespace}/${v.resource.name}`).sort(), [
                "Deployment/shop/web",
                "Pod/default/p",
            ]);
            assert.match(vs.find((v) => v.resource.namespace === "shop")!.message, /Deployment\/web, CronJob\/report/);
            assert.ok(vs.every((v) => v.enforcementLevel === "mandatory"));
            assert.match(vs[0].message, /podSelector: \{\}, policyTypes: \[Egress\]/);
        });
        it("passes once the namespace has one", async function () {
            assert.deepStrictEqual(only(await check([workload("Deployment", "web", "shop"), defaultDeny("shop")]), P), []);
        });
        it("does not count a policy that selects some pods, lacks Egress, or opens the internet", async function () {
            const base = defaultDeny("shop");
            // A policy selecting other pods (issue 9: one selecting all of this workload's pods isolates it, see below).
            const baseSpec = recordAt(base, "spec");
            const partial = { ...base, spec: { ...baseSpec, podSelector: { matchLabels: { app: "other" } } } };
            const ingressOnly = { ...base, spec: { podSelector: {}, policyTypes: ["Ingress"] } };
            const leaky = { ...base, spec: { ...baseSpec, egress: [...listAt(baseSpec, "egress"), { to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }] } };
            for (const np of [partial, ingressOnly, leaky]) {
                assert.strictEqual(only(await check([workload("Deployment", "web", "shop"), np]), P).length, 1, JSON.stringify(np.spec));
            }
        });
        it("exempts system namespaces and namespaces where the stack runs the egress gateway", async function () {
            // Issue 9: a gateway Release discovers its namespace; gateway-looking pods no longer do (a decoy pod used to).
            const release = fromManifests([]).concat([
                {
                    type: "kubernetes:helm.sh/v3:Release",
                    name: "egw",
                    urn: "urn:pulumi:s::p::kubernetes:helm.sh/v3:Release::egw",
                    props: { chart: "gateway", name: "istio-egressgateway", namespace: "edge", values: { service: { type: "ClusterIP" } } },
                },
            ]);
            const sidecar = workload("Deployment", "helper", "edge");
            const run = (objs: K8sObject[], config?: Record<string, unknown>) =>
                runPolicies([...fromManifests(objs), ...release], { config }).then((vs) => only(vs, P));
            assert.deepStrictEqual(await run([workload("DaemonSet", "agent", "kube-system"), sidecar]), []);
            // discovery can be switched off, and then "edge" is an application namespace like any other
            const vs = await run([sidecar], { [P]: { discoverGatewayNamespaces: false } });
            assert.deepStrictEqual(vs.map((v) => v.resource.name).sort(), ["helper"]);
            assert.match(vs[0].message, /Deployment\/helper, Release\/istio-egressgateway/);
            const gatewayPod = workload("Deployment", "egw", "edge", {
                labels: { istio: "egressgateway" },
                spec: { containers: [{ name: "istio-proxy", image: "auto" }] },
            });
            assert.strictEqual(only(await check([gatewayPod, sidecar]), P).length, 1, "a gateway-looking pod does not exempt its namespace");
        });
        it("counts a Helm release as a workload of its namespace", async function () {
            const vs = only(
                await runPolicies([
                    {
                        type: "kubernetes:helm.sh/v3:Release",
                        name: "redis",
                        urn: "urn:pulumi:s::p::kubernetes:helm.sh/v3:Release::redis",
                        props: { chart: "redis", namespace: "data", values: {} },
                    },
                ]),
                P,
            );
            assert.strictEqual(vs.length, 1);
            assert.strictEqual(vs[0].resource.namespace, "data");
        });
    });

    describe("registry-only-outbound", function () {
        const P = "registry-only-outbound";
        const sidecar = (mode: string, namespace = "apps"): K8sObject => ({
            apiVersion: "networking.istio.io/v1",
            kind: "Sidecar",
            metadata: { name: "default", namespace },
            spec: { outboundTrafficPolicy: { mode } },
        });
        it("flags a Sidecar with ALLOW_ANY, in any namespace (the root namespace applies mesh-wide)", async function () {
            assert.strictEqual(only(await check([sidecar("ALLOW_ANY")]), P).length, 1);
            assert.strictEqual(only(await check([sidecar("ALLOW_ANY", "istio-system")]), P).length, 1);
            assert.deepStrictEqual(only(await check([sidecar("REGISTRY_ONLY")]), P), []);
        });
        it("flags ALLOW_ANY in the istiod release values, an IstioOperator and the mesh ConfigMap", async function () {
            const release = {
                type: "kubernetes:helm.sh/v3:Release",
                name: "istiod",
                urn: "urn:pulumi:s::p::kubernetes:helm.sh/v3:Release::istiod",
                props: { chart: "istiod", namespace: "istio-system", values: { meshConfig: { outboundTrafficPolicy: { mode: "ALLOW_ANY" } } } },
            };
            assert.strictEqual(only(await runPolicies([release]), P).length, 1);
            const gwRelease = { ...release, props: { ...release.props, chart: "gateway" } };
            assert.deepStrictEqual(only(await runPolicies([gwRelease]), P), []);
            const iop: K8sObject = {
                apiVersion: "install.istio.io/v1alpha1",
                kind: "IstioOperator",
                metadata: { name: "mesh", namespace: "istio-system" },
                spec: { meshConfig: { outboundTrafficPolicy: { mode: "ALLOW_ANY" } } },
            };
            assert.strictEqual(only(await check([iop]), P).length, 1);
            const cm = (mode: string): K8sObject => ({
                apiVersion: "v1",
                kind: "ConfigMap",
                metadata: { name: "istio", namespace: "istio-system" },
                data: { mesh: `accessLogFile: /dev/stdout\noutboundTrafficPolicy:\n  mode: ${mode}\n` },
            });
            assert.strictEqual(only(await check([cm("ALLOW_ANY")]), P).length, 1);
            assert.deepStrictEqual(only(await check([cm("REGISTRY_ONLY")]), P), []);
        });
    });

    describe("no-open-service-entry", function () {
        const P = "no-open-service-entry";
        const se = (spec: Record<string, unknown>): K8sObject => ({
            apiVersion: "networking.istio.io/v1",
            kind: "ServiceEntry",
            metadata: { name: "se", namespace: "istio-egress" },
            spec: { location: "MESH_EXTERNAL", ...spec },
        });
        it('flags host "*"', async function () {
            const vs = only(await check([se({ hosts: ["*"], resolution: "DNS", ports: [{ number: 443, name: "tls", protocol: "TLS" }] })]), P);
            assert.strictEqual(vs.length, 1);
            assert.match(vs[0].message, /"\*"/);
        });
        it("flags a TCP (or protocol-less) port with resolution NONE (explicit or default) and no addresses", async function () {
            assert.strictEqual(only(await check([se({ hosts: ["db.example.com"], ports: [{ number: 5432, name: "pg", protocol: "TCP" }] })]), P).length, 1);
            assert.strictEqual(only(await check([se({ hosts: ["db.example.com"], resolution: "NONE", ports: [{ number: 5432, name: "pg" }] })]), P).length, 1);
        });
        it("passes addresses, DNS resolution, or TLS/HTTPS ports (the component's wildcard entry)", async function () {
            assert.deepStrictEqual(
                only(
                    await check([se({ hosts: ["db.example.com"], addresses: ["203.0.113.10/32"], ports: [{ number: 5432, name: "pg", protocol: "TCP" }] })]),
                    P,
                ),
                [],
            );
            assert.deepStrictEqual(
                only(await check([se({ hosts: ["db.example.com"], resolution: "DNS", ports: [{ number: 5432, name: "pg", protocol: "TCP" }] })]), P),
                [],
            );
            assert.deepStrictEqual(
                only(await check([se({ hosts: ["*.example.com"], resolution: "NONE", ports: [{ number: 443, name: "tls-443", protocol: "TLS" }] })]), P),
                [],
            );
        });
    });

    describe("service-entry-via-egress-gateway (stack)", function () {
        const P = "service-entry-via-egress-gateway";
        const GW_HOST = "istio-egressgateway.istio-egress.svc.cluster.local";
        const se = (host: string, extra: Record<string, unknown> = {}, namespace = "istio-egress"): K8sObject => ({
            apiVersion: "networking.istio.io/v1",
            kind: "ServiceEntry",
            metadata: { name: host.replace(/\*/g, "wild").replace(/\./g, "-"), namespace },
            spec: { hosts: [host], location: "MESH_EXTERNAL", resolution: "DNS", ports: [{ number: 443, name: "tls", protocol: "TLS" }], ...extra },
        });
        const gateway: K8sObject = {
            apiVersion: "networking.istio.io/v1",
            kind: "Gateway",
            metadata: { name: "egress", namespace: "istio-egress" },
            spec: {
                selector: { istio: "egressgateway" },
                servers: [{ port: { number: 443, name: "tls", protocol: "TLS" }, hosts: ["*"], tls: { mode: "ISTIO_MUTUAL" } }],
            },
        };
        const vs = (host: string, meshDest: string, gwDest: string, gwRef = "istio-egress/egress"): K8sObject => ({
            apiVersion: "networking.istio.io/v1",
            kind: "VirtualService",
            metadata: { name: "vs", namespace: "istio-egress" },
            spec: {
                hosts: [host],
                gateways: ["mesh", gwRef],
                tls: [{ match: [{ gateways: ["mesh"], port: 443, sniHosts: [host] }], route: [{ destination: { host: meshDest, port: { number: 443 } } }] }],
                tcp: [{ match: [{ gateways: [gwRef], port: 443 }], route: [{ destination: { host: gwDest, port: { number: 443 } } }] }],
            },
        });
        it("flags a ServiceEntry that nothing routes (the direct pattern)", async function () {
            const vs1 = only(await check([se("api.example.com")]), P);
            assert.strictEqual(vs1.length, 1);
            assert.match(vs1[0].message, /no VirtualService routes it/);
            assert.strictEqual(vs1[0].resource.kind, "ServiceEntry");
        });
        it("passes a host routed mesh → gateway Service → host", async function () {
            assert.deepStrictEqual(only(await check([se("api.example.com"), gateway, vs("api.example.com", GW_HOST, "api.example.com")]), P), []);
            // short Service names resolve in the VirtualService's namespace
            assert.deepStrictEqual(
                only(await check([se("api.example.com"), gateway, vs("api.example.com", "istio-egressgateway", "api.example.com", "egress")]), P),
                [],
            );
        });
        it("flags a missing leg: mesh leg to something else, or gateway leg to the wrong place", async function () {
            const noMesh = only(await check([se("api.example.com"), gateway, vs("api.example.com", "api.example.com", "api.example.com")]), P);
            assert.strictEqual(noMesh.length, 1);
            assert.match(noMesh[0].message, /from the mesh to the egress gateway's Service/);
            const noGw = only(await check([se("api.example.com"), gateway, vs("api.example.com", GW_HOST, "other.example.com")]), P);
            assert.strictEqual(noGw.length, 1);
            assert.match(noGw[0].message, /bound to the egress Gateway/);
            const ingress: K8sObject = {
                ...gateway,
                metadata: { name: "ingress", namespace: "apps" },
                spec: { ...recordAt(gateway, "spec"), selector: { istio: "ingressgateway" } },
            };
            const viaIngress = only(await check([se("api.example.com"), ingress, vs("api.example.com", GW_HOST, "api.example.com", "apps/ingress")]), P);
            assert.strictEqual(viaIngress.length, 1, "a gateway leg on an ingress Gateway does not count");
        });
        it("passes a wildcard routed to a concrete upstream, whose own entry is exported to the gateway namespace only", async function () {
            const objs = [
                se("*.example.com", { resolution: "NONE" }),
                se("www.example.com", { exportTo: ["."] }),
                gateway,
                vs("*.example.com", GW_HOST, "www.example.com"),
            ];
            assert.deepStrictEqual(only(await check(objs), P), []);
            // exported everywhere, the upstream entry is a direct path; VS host *.example.com covers it, though
            const wildcardOnly = only(await check([se("*.example.com", { resolution: "NONE" }), gateway, vs("*.example.com", GW_HOST, "*.example.com")]), P);
            assert.strictEqual(wildcardOnly.length, 1, "a wildcard's gateway leg needs a concrete upstream");
        });
        it("needs the mesh leg to be visible wherever the ServiceEntry is (VirtualService exportTo)", async function () {
            const hidden = vs("api.example.com", GW_HOST, "api.example.com");
            assert.ok(isRecord(hidden.spec));
            hidden.spec.exportTo = ["."];
            const vs1 = only(await check([se("api.example.com"), gateway, hidden]), P);
            assert.strictEqual(vs1.length, 1, "sidecars outside istio-egress do not see the VirtualService");
            assert.match(vs1[0].message, /from the mesh to the egress gateway's Service/);
            const narrowSe = se("api.example.com", { exportTo: [".", "shop"] });
            const vsShop = vs("api.example.com", GW_HOST, "api.example.com");
            assert.ok(isRecord(vsShop.spec));
            vsShop.spec.exportTo = ["shop", "istio-egress", "other"];
            assert.deepStrictEqual(only(await check([narrowSe, gateway, vsShop]), P), []);
        });
        it("ignores MESH_INTERNAL entries and exempt namespaces; honours configured gateway Service hosts", async function () {
            assert.deepStrictEqual(only(await check([se("db.internal", { location: "MESH_INTERNAL" }, "apps")]), P), []);
            assert.deepStrictEqual(only(await check([se("api.example.com", {}, "legacy")], { [P]: { exemptNamespaces: ["legacy"] } }), P), []);
            const custom = "egw.edge.svc.cluster.local";
            const objs = [se("api.example.com"), gateway, vs("api.example.com", custom, "api.example.com")];
            assert.strictEqual(only(await check(objs), P).length, 1);
            assert.deepStrictEqual(only(await check(objs, { [P]: { gatewayServiceHosts: [custom] } }), P), []);
        });
        it("learns the gateway Service from an istio/gateway Release in the stack", async function () {
            const objs = fromManifests([se("api.example.com"), gateway, vs("api.example.com", "egw.edge.svc.cluster.local", "api.example.com", "edge/egress")]);
            objs.push({
                type: "kubernetes:helm.sh/v3:Release",
                name: "egw",
                urn: "urn:pulumi:s::p::kubernetes:helm.sh/v3:Release::egw",
                props: { chart: "gateway", name: "egw", namespace: "edge", values: { labels: { istio: "egressgateway" }, service: { type: "ClusterIP" } } },
            });
            // the Gateway referenced as edge/egress is not in the stack, but edge hosts the gateway: trusted
            assert.deepStrictEqual(only(await runPolicies(objs), P), []);
        });
        it("accepts the Gateway API (GAMMA) pattern: a route on the ServiceEntry to the Gateway's Service, and on the Gateway to the host", async function () {
            const gw: K8sObject = {
                apiVersion: "gateway.networking.k8s.io/v1",
                kind: "Gateway",
                metadata: { name: "egw", namespace: "istio-egress" },
                spec: { gatewayClassName: "istio", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] },
            };
            const leg1: K8sObject = {
                apiVersion: "gateway.networking.k8s.io/v1",
                kind: "HTTPRoute",
                metadata: { name: "leg1", namespace: "istio-egress" },
                spec: {
                    parentRefs: [{ kind: "ServiceEntry", group: "networking.istio.io", name: "api-example-com" }],
                    rules: [{ backendRefs: [{ name: "egw-istio", port: 80 }] }],
                },
            };
            const leg2: K8sObject = {
                apiVersion: "gateway.networking.k8s.io/v1",
                kind: "HTTPRoute",
                metadata: { name: "leg2", namespace: "istio-egress" },
                spec: {
                    parentRefs: [{ name: "egw" }],
                    rules: [{ backendRefs: [{ kind: "Hostname", group: "networking.istio.io", name: "api.example.com", port: 80 }] }],
                },
            };
            assert.deepStrictEqual(only(await check([se("api.example.com"), gw, leg1, leg2]), P), []);
            assert.strictEqual(only(await check([se("api.example.com"), gw, leg1]), P).length, 1);
        });
        it("treats ServiceEntries of a waypoint-enrolled namespace (ambient) as routed", async function () {
            const ns: K8sObject = { apiVersion: "v1", kind: "Namespace", metadata: { name: "istio-egress", labels: { "istio.io/use-waypoint": "waypoint" } } };
            assert.deepStrictEqual(only(await check([se("api.example.com"), ns]), P), []);
            const none: K8sObject = { ...ns, metadata: { name: "istio-egress", labels: { "istio.io/use-waypoint": "none" } } };
            assert.strictEqual(only(await check([se("api.example.com"), none]), P).length, 1);
        });
    });

    describe("egress-gateway-istio-mutual", function () {
        const P = "egress-gateway-istio-mutual";
        const gw = (selector: Record<string, string>, tls?: Record<string, unknown>): K8sObject => ({
            apiVersion: "networking.istio.io/v1beta1",
            kind: "Gateway",
            metadata: { name: "g", namespace: "istio-egress" },
            spec: { selector, servers: [{ port: { number: 443, name: "tls", protocol: "TLS" }, hosts: ["api.example.com"], ...(tls ? { tls } : {}) }] },
        });
        it("flags an egress Gateway server without ISTIO_MUTUAL (unset, PASSTHROUGH)", async function () {
            assert.strictEqual(only(await check([gw({ istio: "egressgateway" })]), P).length, 1);
            const vs = only(await check([gw({ istio: "egressgateway" }, { mode: "PASSTHROUGH" })]), P);
            assert.strictEqual(vs.length, 1);
            assert.match(vs[0].message, /tls\.mode PASSTHROUGH.*ISTIO_MUTUAL/);
        });
        it("passes ISTIO_MUTUAL, and ignores Gateways of other (ingress) gateways", async function () {
            assert.deepStrictEqual(only(await check([gw({ istio: "egressgateway" }, { mode: "ISTIO_MUTUAL" })]), P), []);
            assert.deepStrictEqual(only(await check([gw({ istio: "ingressgateway" }, { mode: "SIMPLE", credentialName: "x" })]), P), []);
        });
        it("follows configured gateway labels", async function () {
            const cfg = { [P]: { gatewayLabels: { app: "edge-proxy" } } };
            assert.strictEqual(only(await check([gw({ app: "edge-proxy" })], cfg), P).length, 1);
            assert.deepStrictEqual(only(await check([gw({ istio: "egressgateway" })], cfg), P), []);
        });
    });

    describe("egress-gateway-cluster-ip", function () {
        const P = "egress-gateway-cluster-ip";
        const release = (values: Record<string, unknown>, namespace = "istio-egress", name = "istio-egressgateway") => ({
            type: "kubernetes:helm.sh/v3:Release",
            name,
            urn: `urn:pulumi:s::p::kubernetes:helm.sh/v3:Release::${name}`,
            props: { chart: "gateway", name, namespace, repositoryOpts: { repo: "https://istio-release.storage.googleapis.com/charts" }, values },
        });
        it("flags a gateway release without service.type (the chart defaults to LoadBalancer) or with LoadBalancer/NodePort", async function () {
            const missing = only(await runPolicies([release({})]), P);
            assert.strictEqual(missing.length, 1);
            assert.match(missing[0].message, /defaults it to LoadBalancer/);
            assert.strictEqual(only(await runPolicies([release({ service: { type: "NodePort" } })]), P).length, 1);
            // outside the gateway namespace, recognised by its labels
            assert.strictEqual(only(await runPolicies([release({ labels: { istio: "egressgateway" } }, "edge", "egw")]), P).length, 1);
        });
        it("passes ClusterIP, and ignores ingress gateway releases", async function () {
            assert.deepStrictEqual(only(await runPolicies([release({ service: { type: "ClusterIP" } })]), P), []);
            assert.deepStrictEqual(only(await runPolicies([release({}, "istio-ingress", "istio-ingressgateway")]), P), []);
        });
        it("flags a LoadBalancer Service selecting the gateway pods (rendered chart)", async function () {
            const svc = (type: string): K8sObject => ({
                apiVersion: "v1",
                kind: "Service",
                metadata: { name: "istio-egressgateway", namespace: "istio-egress" },
                spec: { type, selector: { app: "istio-egressgateway", istio: "egressgateway" }, ports: [{ name: "https", port: 443 }] },
            });
            assert.strictEqual(only(await check([svc("LoadBalancer")]), P).length, 1);
            assert.deepStrictEqual(only(await check([svc("ClusterIP")]), P), []);
        });
    });

    describe("scope", function () {
        it("judges objects without a namespace as in `default`, and skips exempt and gateway namespaces", async function () {
            const bad = { labels: { "sidecar.istio.io/inject": "false" }, spec: { hostNetwork: true } };
            const inDefault = await check([workload("Deployment", "web", undefined, bad)]);
            assert.ok(inDefault.some((v) => v.policy === "sidecar-injection-required" && v.resource.namespace === "default"));
            for (const ns of ["kube-system", "kube-public", "kube-node-lease", "istio-system", "istio-egress"]) {
                const vs = await check([workload("Deployment", "web", ns, bad)]);
                assert.deepStrictEqual(vs, [], ns);
            }
        });
        it("uses a configured exempt list instead of the default", async function () {
            const bad = workload("Deployment", "web", "legacy", { spec: { hostNetwork: true } });
            const P = "no-proxy-escape-privileges";
            assert.strictEqual(only(await check([bad, defaultDeny("legacy")]), P).length, 1);
            assert.deepStrictEqual(only(await check([bad, defaultDeny("legacy")], { [P]: { exemptNamespaces: ["legacy"] } }), P), []);
            // replacing the list drops the defaults: kube-system is judged now
            const sys = workload("DaemonSet", "cni", "kube-system", { spec: { hostNetwork: true } });
            assert.strictEqual(only(await check([sys], { [P]: { exemptNamespaces: ["legacy"] } }), P).length, 1);
        });
        it("does not flag the egress gateway's own pods in the gateway namespace, and flags the same pod elsewhere", async function () {
            // Issue 9: before, the gateway's shape and labels exempted the pod wherever it ran.
            const pod = (ns: string) =>
                workload("Deployment", "egw", ns, {
                    labels: { istio: "egressgateway", "istio.io/dataplane-mode": "none" },
                    annotations: { "inject.istio.io/templates": "gateway" },
                    spec: { containers: [{ name: "istio-proxy", image: "auto", securityContext: { runAsUser: 1337, runAsGroup: 1337 } }] },
                });
            assert.deepStrictEqual(await check([pod("istio-egress")]), []);
            const vs = await check([pod("edge")]);
            assert.ok(
                vs.some((v) => v.policy === "no-gateway-impersonation"),
                JSON.stringify(vs),
            );
        });
        it("judges every pod template of a List resource and DeploymentPatch resources", async function () {
            const list = {
                type: "kubernetes:apps/v1:DeploymentList",
                name: "l",
                urn: "urn:pulumi:s::p::kubernetes:apps/v1:DeploymentList::l",
                props: { items: [workload("Deployment", "a", "apps"), workload("Deployment", "b", "apps", { spec: { hostNetwork: true } })] },
            };
            const vs = only(await runPolicies([list]), "no-proxy-escape-privileges");
            assert.strictEqual(vs.length, 1);
            assert.match(vs[0].message, /^items\[1\]\.spec\.template\.spec\.hostNetwork/);
            const patch = {
                type: "kubernetes:apps/v1:DeploymentPatch",
                name: "p",
                urn: "urn:pulumi:s::p::kubernetes:apps/v1:DeploymentPatch::p",
                props: {
                    metadata: { name: "web", namespace: "apps" },
                    spec: { template: { metadata: { annotations: { "traffic.sidecar.istio.io/excludeOutboundPorts": "443" } } } },
                },
            };
            assert.strictEqual(only(await runPolicies([patch]), "no-traffic-capture-exclusions").length, 1);
        });
        it("reports nothing for a compliant application namespace", async function () {
            const objs = WORKLOAD_KINDS.map((k, i) => workload(k, `w${i}`, "shop", { spec: { securityContext: { runAsUser: 1000, runAsGroup: 1000 } } }));
            const vs = await check([...objs, defaultDeny("shop")]);
            assert.deepStrictEqual(vs, []);
            assert.strictEqual(hasMandatory(vs), false);
        });
    });

    describe("the reference's table of bypass vectors (each in-scope row)", function () {
        const release = (chart: string, values: Record<string, unknown>) => ({
            type: "kubernetes:helm.sh/v3:Release",
            name: chart,
            urn: `urn:pulumi:s::p::kubernetes:helm.sh/v3:Release::${chart}`,
            props: { chart, namespace: "istio-system", values },
        });
        const np = (egress: unknown[]): K8sObject => ({
            apiVersion: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            metadata: { name: "np", namespace: "apps" },
            spec: { podSelector: {}, policyTypes: ["Egress"], egress },
        });
        const se = (spec: Record<string, unknown>): K8sObject => ({
            apiVersion: "networking.istio.io/v1alpha3",
            kind: "ServiceEntry",
            metadata: { name: "se", namespace: "apps" },
            spec,
        });
        const rows: [string, () => Promise<Violation[]>, string][] = [
            [
                "inject label false",
                () => check([workload("Deployment", "w", "apps", { labels: { "sidecar.istio.io/inject": "false" } })]),
                "sidecar-injection-required",
            ],
            [
                "inject annotation (deprecated form)",
                () => check([workload("Pod", "w", "apps", { annotations: { "sidecar.istio.io/inject": "false" } })]),
                "sidecar-injection-required",
            ],
            [
                "namespace with injection switched off",
                () => check([{ apiVersion: "v1", kind: "Namespace", metadata: { name: "apps", labels: { "istio-injection": "disabled" } } }]),
                "sidecar-injection-required",
            ],
            [
                "istio.io/dataplane-mode: none (ambient)",
                () => check([workload("Job", "w", "apps", { labels: { "istio.io/dataplane-mode": "none" } })]),
                "sidecar-injection-required",
            ],
            ["hostNetwork: true", () => check([workload("DaemonSet", "w", "apps", { spec: { hostNetwork: true } })]), "no-proxy-escape-privileges"],
            [
                "excludeOutboundIPRanges",
                () => check([workload("StatefulSet", "w", "apps", { annotations: { "traffic.sidecar.istio.io/excludeOutboundIPRanges": "0.0.0.0/0" } })]),
                "no-traffic-capture-exclusions",
            ],
            [
                "includeOutboundIPRanges empty",
                () => check([workload("ReplicaSet", "w", "apps", { annotations: { "traffic.sidecar.istio.io/includeOutboundIPRanges": "" } })]),
                "no-traffic-capture-exclusions",
            ],
            [
                "excludeOutboundPorts",
                () => check([workload("CronJob", "w", "apps", { annotations: { "traffic.sidecar.istio.io/excludeOutboundPorts": "443" } })]),
                "no-traffic-capture-exclusions",
            ],
            [
                "includeOutboundPorts",
                () => check([workload("Job", "w", "apps", { annotations: { "traffic.sidecar.istio.io/includeOutboundPorts": "8080" } })]),
                "no-traffic-capture-exclusions",
            ],
            [
                "excludeInterfaces",
                () => check([workload("Pod", "w", "apps", { annotations: { "traffic.sidecar.istio.io/excludeInterfaces": "net1" } })]),
                "no-traffic-capture-exclusions",
            ],
            [
                "kubevirtInterfaces",
                () => check([workload("Pod", "w", "apps", { annotations: { "traffic.sidecar.istio.io/kubevirtInterfaces": "net1" } })]),
                "no-traffic-capture-exclusions",
            ],
            [
                "sidecar.istio.io/interceptionMode",
                () => check([workload("Deployment", "w", "apps", { annotations: { "sidecar.istio.io/interceptionMode": "TPROXY" } })]),
                "sidecar-injection-required",
            ],
            [
                "mesh-wide global.proxy.includeIPRanges",
                () => runPolicies([release("istiod", { global: { proxy: { includeIPRanges: "10.0.0.0/8" } } })]),
                "no-traffic-capture-exclusions",
            ],
            [
                "mesh-wide global.proxy.excludeIPRanges",
                () => runPolicies([release("istiod", { global: { proxy: { excludeIPRanges: "0.0.0.0/0" } } })]),
                "no-traffic-capture-exclusions",
            ],
            [
                "UID 1337 in a container",
                () => check([workload("Deployment", "w", "apps", { spec: { containers: [{ name: "a", image: "a", securityContext: { runAsUser: 1337 } }] } })]),
                "no-proxy-escape-privileges",
            ],
            [
                "GID 1337 in an init container",
                () =>
                    check([
                        workload("Deployment", "w", "apps", { spec: { initContainers: [{ name: "i", image: "i", securityContext: { runAsGroup: 1337 } }] } }),
                    ]),
                "no-proxy-escape-privileges",
            ],
            [
                "NET_ADMIN",
                () =>
                    check([
                        workload("Pod", "w", "apps", {
                            spec: { containers: [{ name: "a", image: "a", securityContext: { capabilities: { add: ["NET_ADMIN"] } } }] },
                        }),
                    ]),
                "no-proxy-escape-privileges",
            ],
            [
                "NET_RAW",
                () =>
                    check([
                        workload("Pod", "w", "apps", {
                            spec: { containers: [{ name: "a", image: "a", securityContext: { capabilities: { add: ["NET_RAW"] } } }] },
                        }),
                    ]),
                "no-proxy-escape-privileges",
            ],
            [
                "privileged",
                () => check([workload("Pod", "w", "apps", { spec: { containers: [{ name: "a", image: "a", securityContext: { privileged: true } }] } })]),
                "no-proxy-escape-privileges",
            ],
            [
                "ALLOW_ANY in the mesh config",
                () => runPolicies([release("istiod", { meshConfig: { outboundTrafficPolicy: { mode: "ALLOW_ANY" } } })]),
                "registry-only-outbound",
            ],
            [
                "ALLOW_ANY in a Sidecar",
                () =>
                    check([
                        {
                            apiVersion: "networking.istio.io/v1beta1",
                            kind: "Sidecar",
                            metadata: { name: "s", namespace: "apps" },
                            spec: { outboundTrafficPolicy: { mode: "ALLOW_ANY" } },
                        },
                    ]),
                "registry-only-outbound",
            ],
            [
                "ServiceEntry resolution NONE, TCP, no addresses",
                () => check([se({ hosts: ["db.example.com"], resolution: "NONE", ports: [{ number: 3306, name: "tcp", protocol: "TCP" }] })]),
                "no-open-service-entry",
            ],
            [
                "ServiceEntry host *",
                () => check([se({ hosts: ["*"], resolution: "DNS", ports: [{ number: 443, name: "tls", protocol: "TLS" }] })]),
                "no-open-service-entry",
            ],
            [
                "wildcard ServiceEntry reached directly (SNI spoofing)",
                () => check([se({ hosts: ["*.example.com"], ports: [{ number: 443, name: "tls", protocol: "TLS" }] })]),
                "service-entry-via-egress-gateway",
            ],
            ["NetworkPolicy opening external CIDRs", () => check([np([{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }])]), "no-external-egress-networkpolicy"],
            ["NetworkPolicy opening all egress", () => check([np([{}])]), "no-external-egress-networkpolicy"],
            [
                "pods posing as the egress gateway (its NetworkPolicy applies to them)",
                () => check([workload("Deployment", "w", "apps", { labels: { istio: "egressgateway" } })]),
                "no-gateway-impersonation",
            ],
        ];
        for (const [vector, run, policy] of rows) {
            it(`${vector} → ${policy} (mandatory)`, async function () {
                const vs = only(await run(), policy);
                assert.ok(vs.length >= 1, `${vector} is caught by ${policy}`);
                assert.ok(vs.every((v) => v.enforcementLevel === "mandatory"));
            });
        }
    });
});
