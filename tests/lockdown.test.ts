import { SPECIAL_PURPOSE_IPV4, SPECIAL_PURPOSE_IPV6 } from "../sdk/model";
/**
 * The lock-down manifests as objects: exact names, namespaces and specs per scenario, schema validity, naming
 * stability, CIDR arithmetic and the fail-closed defaults. What the objects *do* is evaluated in
 * lockdown-promises.test.ts.
 */
import * as assert from "assert";
import { EgressGatewayArgs, EgressMode } from "../sdk/args";
import { ArgsError, buildPlan } from "../sdk/plan";
import { gatewayContainerPorts, internetIpBlocks, lockdownManifests, LockdownManifests } from "../sdk/manifests/lockdown";
import { K8sObject, schemaErrors } from "../sdk/schema/validate";
import { listAt, recordAt, stringAt, valueAt } from "../sdk/model/read";
import { cidrContains, isIPv4MappedCidr, parseCidr, parseIp, wireAddress } from "../sdk/model";

const MANAGED = { "app.kubernetes.io/managed-by": "istio-egress", "app.kubernetes.io/part-of": "eg" };
/** The gateway pods' selector: the component's own label, unique to (namespace, release) (issue 11, item 1). */
const GW = { "istio-egress.io/gateway": "istio-egress.egress-gateway" };

function render(args: EgressGatewayArgs, name = "eg"): LockdownManifests {
    return lockdownManifests(buildPlan(name, args));
}
function all(m: LockdownManifests): K8sObject[] {
    return [...m.gatewayNamespace, ...m.protectedNamespaces];
}
function find(objs: K8sObject[], kind: string, namespace: string, name: string): K8sObject {
    const o = objs.find((x) => x.kind === kind && x.metadata.namespace === namespace && x.metadata.name === name);
    assert.ok(o, `no ${kind} ${namespace}/${name}; have ${objs.map((x) => `${x.kind} ${x.metadata.namespace}/${x.metadata.name}`).join(", ")}`);
    return o;
}
function ids(objs: K8sObject[]): string[] {
    return objs.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`);
}

/** Scenarios used across the file; every object of every scenario must validate against the published schemas. */
const SCENARIOS: Record<string, EgressGatewayArgs> = {
    minimal: {},
    asm: {
        hosts: [{ host: "www.aliyun.com", mode: EgressMode.Http, allow: [{}], deny: [{ namespaces: ["demo-frontend"] }] }],
        lockdown: { namespaces: [{ name: "demo-frontend" }, { name: "demo-server" }] },
    },
    everything: {
        gateway: {
            namespace: "egress",
            labels: { app: "egw", tier: "edge" },
            values: {
                service: {
                    ports: [
                        { name: "http2", port: 80, targetPort: 8080 },
                        { name: "https", port: 443, targetPort: 8443 },
                    ],
                },
            },
        },
        hosts: [
            {
                host: "api.example.com",
                mode: EgressMode.Http,
                allow: [{ namespaces: ["team-a"], paths: ["/v1/*"], methods: ["GET"] }],
                deny: [{ serviceAccounts: ["team-a/batch"] }],
            },
            { host: "billing.example.com", mode: EgressMode.TlsOrigination, allow: [{ serviceAccounts: ["team-b/payments"] }] },
            {
                host: "secure.example.com",
                mode: EgressMode.Tls,
                allow: [{ namespaces: ["team-a", "team-b"], serviceAccounts: ["ops/robot"] }],
                deny: [{ namespaces: ["team-b"] }],
            },
            { host: "partner.example.com", mode: EgressMode.MutualTlsOrigination, credentialName: "partner-client" },
            { host: "*.wikipedia.org", mode: EgressMode.Tls, upstreamHost: "en.wikipedia.org", allow: [{}] },
        ],
        lockdown: {
            namespaces: [{ name: "team-a" }, { name: "team-b", registryOnlySidecar: false }],
            allowInCluster: false,
            extraEgressCidrs: [
                { name: "kube-apiserver", cidr: "34.1.2.3/32", ports: [443] },
                { name: "metrics-v6", cidr: "fd12:3456:0:0::/64", ports: [9090, 9091] },
            ],
            clusterCidrs: ["10.96.0.0/12", "34.118.224.0/20", "fd00:10:96::/112"],
            istiodNamespace: "mesh",
            istiodLabels: { app: "istiod", "istio.io/rev": "stable" },
            dnsNamespace: "dns",
            dnsLabels: { "k8s-app": "coredns" },
            trustDomain: "corp.example",
            accessLogs: false,
        },
    },
};

describe("lockdown manifests: exact objects", () => {
    it("renders the ASM tutorial scenario object for object", () => {
        const m = render(SCENARIOS.asm);
        const meta = (name: string, namespace: string) => ({ name, namespace, labels: MANAGED });
        const dnsTo = [
            { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } },
        ];
        const istiodTo = [
            { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "istio-system" } }, podSelector: { matchLabels: { app: "istiod" } } },
        ];
        const dnsPorts = [
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
        ];
        const np = (name: string, namespace: string, spec: object) => ({
            apiVersion: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            metadata: meta(name, namespace),
            spec,
        });
        const gwPorts = [
            { protocol: "TCP", port: 80 },
            { protocol: "TCP", port: 443 },
        ];
        const appNs = (ns: string) => [
            np(`eg-deny-egress`, ns, { podSelector: {}, policyTypes: ["Egress"] }),
            np(`eg-egress-dns`, ns, { podSelector: {}, policyTypes: ["Egress"], egress: [{ to: dnsTo, ports: dnsPorts }] }),
            np(`eg-egress-istiod`, ns, { podSelector: {}, policyTypes: ["Egress"], egress: [{ to: istiodTo, ports: [{ protocol: "TCP", port: 15012 }] }] }),
            np(`eg-egress-gateway`, ns, {
                podSelector: {},
                policyTypes: ["Egress"],
                egress: [
                    {
                        to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "istio-egress" } }, podSelector: { matchLabels: GW } }],
                        ports: gwPorts,
                    },
                ],
            }),
            np(`eg-egress-in-cluster`, ns, { podSelector: {}, policyTypes: ["Egress"], egress: [{ to: [{ namespaceSelector: {} }] }] }),
            {
                apiVersion: "networking.istio.io/v1",
                kind: "Sidecar",
                metadata: meta(`eg-registry-only`, ns),
                spec: { egress: [{ hosts: ["*/*"] }], outboundTrafficPolicy: { mode: "REGISTRY_ONLY" } },
            },
        ];
        assert.deepStrictEqual(m.protectedNamespaces, [...appNs("demo-frontend"), ...appNs("demo-server")]);

        const gwSel = { matchLabels: GW };
        const hostOp = { hosts: ["www.aliyun.com", "www.aliyun.com:*"], ports: ["80"] };
        assert.deepStrictEqual(m.gatewayNamespace, [
            np("eg-deny-all", "istio-egress", { podSelector: {}, policyTypes: ["Ingress", "Egress"] }),
            // Pods of every namespace, on the two mTLS listener ports only: identity is checked by the ISTIO_MUTUAL
            // servers and the AuthorizationPolicies (issue 11, item 4).
            np("eg-ingress", "istio-egress", {
                podSelector: gwSel,
                policyTypes: ["Ingress"],
                ingress: [{ from: [{ namespaceSelector: {} }], ports: gwPorts }],
            }),
            np("eg-egress-dns", "istio-egress", { podSelector: gwSel, policyTypes: ["Egress"], egress: [{ to: dnsTo, ports: dnsPorts }] }),
            np("eg-egress-istiod", "istio-egress", {
                podSelector: gwSel,
                policyTypes: ["Egress"],
                egress: [{ to: istiodTo, ports: [{ protocol: "TCP", port: 15012 }] }],
            }),
            np("eg-egress-internet", "istio-egress", {
                podSelector: gwSel,
                policyTypes: ["Egress"],
                egress: [
                    {
                        to: [
                            { ipBlock: { cidr: "0.0.0.0/0", except: internetIpBlocks([])[0].except } },
                            { ipBlock: { cidr: "::/0", except: internetIpBlocks([])[1].except } },
                        ],
                        ports: [{ protocol: "TCP", port: 80 }],
                    },
                ],
            }),
            {
                apiVersion: "security.istio.io/v1",
                kind: "PeerAuthentication",
                metadata: meta("eg-strict-mtls", "istio-egress"),
                spec: { mtls: { mode: "STRICT" } },
            },
            { apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: meta("eg-default-deny", "istio-egress"), spec: { selector: gwSel } },
            {
                apiVersion: "security.istio.io/v1",
                kind: "AuthorizationPolicy",
                metadata: meta("eg-allow", "istio-egress"),
                spec: { selector: gwSel, action: "ALLOW", rules: [{ from: [{ source: { principals: ["*"] } }], to: [{ operation: hostOp }] }] },
            },
            {
                apiVersion: "security.istio.io/v1",
                kind: "AuthorizationPolicy",
                metadata: meta("eg-deny", "istio-egress"),
                spec: { selector: gwSel, action: "DENY", rules: [{ from: [{ source: { namespaces: ["demo-frontend"] } }], to: [{ operation: hostOp }] }] },
            },
            {
                apiVersion: "telemetry.istio.io/v1",
                kind: "Telemetry",
                metadata: meta("eg-access-logs", "istio-egress"),
                spec: { selector: gwSel, accessLogging: [{ providers: [{ name: "envoy" }] }] },
            },
        ]);
    });

    it("derives every port, label, namespace and identity from the plan (custom gateway, istiod, DNS, trust domain)", () => {
        const m = render(SCENARIOS.everything);
        const objs = all(m);
        // gateway.labels {app: egw, tier: edge} go on the pods; the objects select the component's own label.
        const gwSel = { matchLabels: { "istio-egress.io/gateway": "egress.egress-gateway" } };
        // Gateway container ports come from the Helm values' targetPorts.
        const toGw = valueAt(find(objs, "NetworkPolicy", "team-a", "eg-egress-gateway"), "spec", "egress", 0);
        assert.deepStrictEqual(valueAt(toGw, "to"), [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "egress" } }, podSelector: gwSel }]);
        assert.deepStrictEqual(valueAt(toGw, "ports"), [
            { protocol: "TCP", port: 8080 },
            { protocol: "TCP", port: 8443 },
        ]);
        assert.deepStrictEqual(valueAt(find(objs, "NetworkPolicy", "egress", "eg-ingress"), "spec", "ingress", 0, "ports"), valueAt(toGw, "ports"));
        assert.deepStrictEqual(valueAt(find(objs, "NetworkPolicy", "team-b", "eg-egress-dns"), "spec", "egress", 0, "to"), [
            { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "dns" } }, podSelector: { matchLabels: { "k8s-app": "coredns" } } },
        ]);
        assert.deepStrictEqual(valueAt(find(objs, "NetworkPolicy", "egress", "eg-egress-istiod"), "spec", "egress", 0, "to"), [
            {
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "mesh" } },
                podSelector: { matchLabels: { app: "istiod", "istio.io/rev": "stable" } },
            },
        ]);
        // The internet: external ports of all hosts; cluster CIDRs outside the private ranges are excluded, canonically.
        const internet = recordAt(find(objs, "NetworkPolicy", "egress", "eg-egress-internet"), "spec");
        assert.deepStrictEqual(internet.podSelector, gwSel);
        assert.deepStrictEqual(valueAt(internet, "egress", 0, "ports"), [
            { protocol: "TCP", port: 80 },
            { protocol: "TCP", port: 443 },
        ]);
        assert.deepStrictEqual(listAt(internet, "egress", 0, "to", 0, "ipBlock", "except").slice(-1), ["34.118.224.0/20"]);
        assert.deepStrictEqual(
            valueAt(internet, "egress", 0, "to", 1, "ipBlock", "except"),
            internetIpBlocks([])[1].except,
            "fd00:10:96::/112 is inside fc00::/7",
        );
        // Extra CIDRs: one clearly named policy each, on their TCP ports only.
        assert.deepStrictEqual(valueAt(find(objs, "NetworkPolicy", "team-a", "eg-allow-cidr-kube--apiserver"), "spec"), {
            podSelector: {},
            policyTypes: ["Egress"],
            egress: [{ to: [{ ipBlock: { cidr: "34.1.2.3/32" } }], ports: [{ protocol: "TCP", port: 443 }] }],
        });
        assert.deepStrictEqual(valueAt(find(objs, "NetworkPolicy", "team-b", "eg-allow-cidr-metrics--v6"), "spec", "egress"), [
            {
                to: [{ ipBlock: { cidr: "fd12:3456::/64" } }],
                ports: [
                    { protocol: "TCP", port: 9090 },
                    { protocol: "TCP", port: 9091 },
                ],
            },
        ]);
        // allowInCluster: false → no in-cluster policy; registryOnlySidecar false for team-b only; accessLogs false → no Telemetry.
        assert.deepStrictEqual(ids(m.protectedNamespaces), [
            "NetworkPolicy team-a/eg-deny-egress",
            "NetworkPolicy team-a/eg-egress-dns",
            "NetworkPolicy team-a/eg-egress-istiod",
            "NetworkPolicy team-a/eg-egress-gateway",
            "NetworkPolicy team-a/eg-allow-cidr-kube--apiserver",
            "NetworkPolicy team-a/eg-allow-cidr-metrics--v6",
            "Sidecar team-a/eg-registry-only",
            "NetworkPolicy team-b/eg-deny-egress",
            "NetworkPolicy team-b/eg-egress-dns",
            "NetworkPolicy team-b/eg-egress-istiod",
            "NetworkPolicy team-b/eg-egress-gateway",
            "NetworkPolicy team-b/eg-allow-cidr-kube--apiserver",
            "NetworkPolicy team-b/eg-allow-cidr-metrics--v6",
        ]);
        assert.ok(!m.gatewayNamespace.some((o) => o.kind === "Telemetry"));
    });

    it("builds one ALLOW and one DENY rule per (host, entry), sorted by host: SNI for TLS, Host + paths/methods for HTTP", () => {
        const objs = all(render(SCENARIOS.everything));
        const sel = { matchLabels: { "istio-egress.io/gateway": "egress.egress-gateway" } };
        const allow = find(objs, "AuthorizationPolicy", "egress", "eg-allow").spec;
        const deny = find(objs, "AuthorizationPolicy", "egress", "eg-deny").spec;
        const tlsTo = [{ operation: { ports: ["8443"] } }];
        assert.deepStrictEqual(allow, {
            selector: sel,
            action: "ALLOW",
            rules: [
                // *.wikipedia.org: allow [{}] → any mTLS identity; the outer SNI is the wildcard's upstream.
                { from: [{ source: { principals: ["*"] } }], to: tlsTo, when: [{ key: "connection.sni", values: ["en.wikipedia.org"] }] },
                {
                    from: [{ source: { namespaces: ["team-a"] } }],
                    to: [{ operation: { hosts: ["api.example.com", "api.example.com:*"], ports: ["8080"], paths: ["/v1/*"], methods: ["GET"] } }],
                },
                {
                    from: [{ source: { principals: ["corp.example/ns/team-b/sa/payments"] } }],
                    to: [{ operation: { hosts: ["billing.example.com", "billing.example.com:*"], ports: ["8080"] } }],
                },
                // partner.example.com has no allow rule: nobody reaches it.
                {
                    from: [{ source: { namespaces: ["team-a", "team-b"] } }, { source: { principals: ["corp.example/ns/ops/sa/robot"] } }],
                    to: tlsTo,
                    when: [{ key: "connection.sni", values: ["secure.example.com"] }],
                },
            ],
        });
        assert.deepStrictEqual(deny, {
            selector: sel,
            action: "DENY",
            rules: [
                {
                    from: [{ source: { principals: ["corp.example/ns/team-a/sa/batch"] } }],
                    to: [{ operation: { hosts: ["api.example.com", "api.example.com:*"], ports: ["8080"] } }],
                },
                { from: [{ source: { namespaces: ["team-b"] } }], to: tlsTo, when: [{ key: "connection.sni", values: ["secure.example.com"] }] },
            ],
        });
        assert.deepStrictEqual(find(objs, "AuthorizationPolicy", "egress", "eg-default-deny").spec, { selector: sel });
    });

    it("every object of every scenario validates against the published Kubernetes / Istio schemas", async () => {
        let count = 0;
        for (const [name, args] of Object.entries(SCENARIOS)) {
            for (const obj of all(render(args))) {
                assert.deepStrictEqual(await schemaErrors(obj), [], `${name}: ${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name}`);
                count++;
            }
        }
        assert.ok(count > 40, `validated ${count} objects`);
    });

    it("the schema check is live: a broken object is reported", async () => {
        const np = find(all(render(SCENARIOS.asm)), "NetworkPolicy", "demo-frontend", "eg-egress-dns");
        const broken = { ...np, spec: { ...recordAt(np, "spec"), egress: [{ to: [{ ipBlock: {} }] }] } };
        assert.notDeepStrictEqual(await schemaErrors(broken), []);
    });
});

describe("lockdown manifests: names and structure", () => {
    it("names are unique per kind and namespace, prefixed with the component's name, DNS-1123, at most 253 characters", () => {
        for (const args of Object.values(SCENARIOS)) {
            const objs = all(render(args, "my-egress"));
            const keys = objs.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`);
            assert.strictEqual(new Set(keys).size, keys.length, `duplicates in ${keys.join(",")}`);
            for (const o of objs) {
                assert.ok(o.metadata.name.startsWith("my--egress-"), `${o.metadata.name}: the component's name, its dash escaped`);
                assert.match(o.metadata.name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
                assert.ok(o.metadata.name.length <= 253);
                assert.ok(o.metadata.namespace, `${o.metadata.name} has a namespace`);
            }
        }
    });

    it("names are keyed by namespace and purpose: reordering or adding namespaces, hosts and CIDRs renames nothing", () => {
        const base = SCENARIOS.everything;
        const shuffled: EgressGatewayArgs = {
            ...base,
            hosts: [...base.hosts!].reverse(),
            lockdown: {
                ...base.lockdown,
                namespaces: [{ name: "new-team" }, ...[...base.lockdown!.namespaces!].reverse()],
                extraEgressCidrs: [{ name: "dns-upstream", cidr: "8.8.8.8/32", ports: [853] }, ...[...base.lockdown!.extraEgressCidrs!].reverse()],
            },
        };
        const before = all(render(base));
        const after = all(render(shuffled));
        const key = (o: K8sObject) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`;
        const afterByKey = new Map(after.map((o) => [key(o), o]));
        for (const o of before) {
            const same = afterByKey.get(key(o));
            assert.ok(same, `${key(o)} was renamed or dropped`);
            if (o.metadata.namespace !== "egress" && o.kind === "NetworkPolicy" && !o.metadata.name.includes("allow-")) {
                // A protected namespace's baseline objects are untouched by changes elsewhere.
                assert.deepStrictEqual(same, o, `${key(o)} changed`);
            }
        }
        // Authorization rules are sorted by host: reordering hosts does not even change the policies.
        assert.deepStrictEqual(find(after, "AuthorizationPolicy", "egress", "eg-allow"), find(before, "AuthorizationPolicy", "egress", "eg-allow"));
        assert.deepStrictEqual(find(after, "AuthorizationPolicy", "egress", "eg-deny"), find(before, "AuthorizationPolicy", "egress", "eg-deny"));
        assert.ok(afterByKey.has("NetworkPolicy/new-team/eg-deny-egress"));
        assert.ok(afterByKey.has("NetworkPolicy/team-a/eg-allow-cidr-dns--upstream"));
    });

    it("authorization stays O(1) objects however many hosts and rules there are", () => {
        const count = (n: number) =>
            all(
                render({
                    hosts: Array.from({ length: n }, (_, i) => ({
                        host: `h${i}.example.com`,
                        mode: EgressMode.Http,
                        allow: [{ namespaces: [`ns${i}`] }],
                        deny: [{ serviceAccounts: [`ns${i}/bad`] }],
                    })),
                }),
            ).filter((o) => o.kind === "AuthorizationPolicy");
        const one = count(1);
        const many = count(40);
        assert.deepStrictEqual(ids(many), ids(one));
        assert.strictEqual(
            listAt(
                many.find((o) => valueAt(o, "spec", "action") === "ALLOW" && valueAt(o, "spec", "rules")),
                "spec",
                "rules",
            ).length,
            40,
        );
        assert.strictEqual(
            listAt(
                many.find((o) => valueAt(o, "spec", "action") === "DENY"),
                "spec",
                "rules",
            ).length,
            40,
        );
    });

    it("gateway container ports are the Service targetPorts the routing uses, deduplicated", () => {
        assert.deepStrictEqual(gatewayContainerPorts(buildPlan("eg", {})), [80, 443]);
        const plan = buildPlan("eg", {
            gateway: {
                values: {
                    service: {
                        ports: [
                            { name: "http2", port: 80, targetPort: 8080 },
                            { name: "https", port: 443, targetPort: 8443 },
                            { name: "extra", port: 9000 },
                        ],
                    },
                },
            },
        });
        assert.deepStrictEqual(gatewayContainerPorts(plan), [8080, 8443], "only the HTTP and TLS listeners, not every Service port");
    });
});

describe("lockdown manifests: fail-closed defaults", () => {
    it("a host without allow rules gets no ALLOW rule; with no allow rule at all there is no ALLOW policy besides the default deny", () => {
        const objs = all(
            render({
                hosts: [
                    { host: "nobody.example.com", mode: EgressMode.Http },
                    { host: "tls.example.com", mode: EgressMode.Tls, deny: [{ namespaces: ["x"] }] },
                ],
            }),
        );
        const authz = objs.filter((o) => o.kind === "AuthorizationPolicy");
        assert.deepStrictEqual(
            authz.map((o) => o.metadata.name),
            ["eg-default-deny", "eg-deny"],
        );
        assert.ok(!JSON.stringify(authz.filter((o) => (valueAt(o, "spec", "action") ?? "ALLOW") === "ALLOW")).includes("nobody.example.com"));
        const partial = all(
            render({
                hosts: [
                    { host: "nobody.example.com", mode: EgressMode.Http },
                    { host: "some.example.com", mode: EgressMode.Http, allow: [{}] },
                ],
            }),
        );
        assert.ok(!JSON.stringify(find(partial, "AuthorizationPolicy", "istio-egress", "eg-allow")).includes("nobody.example.com"));
    });

    it("every AuthorizationPolicy and Telemetry selects the gateway pods in the gateway's namespace (never mesh-wide)", () => {
        for (const args of Object.values(SCENARIOS)) {
            const plan = buildPlan("eg", args);
            for (const o of lockdownManifests(plan).gatewayNamespace.filter((x) => x.kind === "AuthorizationPolicy" || x.kind === "Telemetry")) {
                assert.strictEqual(o.metadata.namespace, plan.gateway.namespace);
                assert.deepStrictEqual(valueAt(o, "spec", "selector"), { matchLabels: plan.gateway.labels }, `${o.metadata.name} selector`);
                assert.ok(Object.keys(recordAt(o, "spec", "selector", "matchLabels")).length > 0);
                assert.ok(!valueAt(o, "spec", "targetRef") && !valueAt(o, "spec", "targetRefs"));
            }
            for (const o of all(lockdownManifests(plan))) {
                assert.notStrictEqual(o.metadata.namespace, plan.lockdown.istiod.namespace, "nothing lands in the root namespace");
            }
        }
    });

    it("nothing ever emits ALLOW_ANY, an allow-all rule or an ipBlock in a protected namespace other than the opt-in CIDRs", () => {
        for (const args of Object.values(SCENARIOS)) {
            const plan = buildPlan("eg", args);
            const m = lockdownManifests(plan);
            assert.ok(!JSON.stringify(m).includes("ALLOW_ANY"));
            for (const o of all(m)) {
                if (o.kind === "AuthorizationPolicy") {
                    for (const r of listAt(o, "spec", "rules")) {
                        assert.ok(listAt(r, "from").length > 0 && listAt(r, "to").length > 0, `${o.metadata.name}: every rule names sources and a destination`);
                    }
                }
                if (o.kind !== "NetworkPolicy") continue;
                for (const r of [...listAt(o, "spec", "egress"), ...listAt(o, "spec", "ingress")]) {
                    const peers = listAt(valueAt(r, "to") ?? valueAt(r, "from"));
                    assert.ok(peers.length > 0, `${o.metadata.name}: a rule without peers would allow everyone`);
                    if (!o.metadata.name.endsWith("-in-cluster")) {
                        assert.ok(listAt(r, "ports").length > 0, `${o.metadata.name}: a rule without ports opens every port`);
                    }
                    const blocks = peers
                        .filter((p) => valueAt(p, "ipBlock"))
                        .map((p) => {
                            const cidr = stringAt(p, "ipBlock", "cidr");
                            assert.ok(cidr !== undefined, `${o.metadata.name}: an ipBlock names its cidr`);
                            return cidr;
                        });
                    if (o.metadata.namespace !== plan.gateway.namespace) {
                        const allowed = plan.lockdown.extraEgressCidrs.map((e) => parseCidr(e.cidr));
                        for (const b of blocks) {
                            assert.ok(
                                allowed.some((a) => a.prefix === parseCidr(b).prefix && cidrContains(a, b.split("/")[0])),
                                `${o.metadata.name}: ipBlock ${b} is not an opt-in extra CIDR`,
                            );
                            assert.match(o.metadata.name, /-allow-/);
                        }
                    }
                }
            }
        }
    });

    it("the in-cluster allow selects pods only (namespaceSelector {}), and disappears with allowInCluster: false", () => {
        const on = render({ lockdown: { namespaces: [{ name: "app" }] } });
        assert.deepStrictEqual(valueAt(find(on.protectedNamespaces, "NetworkPolicy", "app", "eg-egress-in-cluster"), "spec", "egress"), [
            { to: [{ namespaceSelector: {} }] },
        ]);
        const off = render({ lockdown: { namespaces: [{ name: "app" }], allowInCluster: false } });
        assert.ok(!off.protectedNamespaces.some((o) => o.metadata.name.endsWith("-in-cluster")));
    });

    it("with no hosts, the gateway gets no internet rule (an empty ports list would open every port)", () => {
        const m = render({ lockdown: { namespaces: [{ name: "app" }] } });
        assert.ok(!m.gatewayNamespace.some((o) => o.metadata.name.endsWith("-egress-internet")));
        assert.ok(m.gatewayNamespace.some((o) => o.metadata.name === "eg-deny-all"));
    });

    it("with no protected namespace, the gateway's ingress is still pods only, on the mTLS ports only (never an empty `from`)", () => {
        const m = render({ hosts: [{ host: "a.example.com", mode: EgressMode.Http, allow: [{}] }] });
        assert.deepStrictEqual(m.protectedNamespaces, []);
        const ingress = m.gatewayNamespace.filter((o) => valueAt(o, "spec", "ingress"));
        assert.deepStrictEqual(
            ingress.map((o) => valueAt(o, "spec", "ingress")),
            [
                [
                    {
                        from: [{ namespaceSelector: {} }],
                        ports: [
                            { protocol: "TCP", port: 80 },
                            { protocol: "TCP", port: 443 },
                        ],
                    },
                ],
            ],
        );
        assert.deepStrictEqual(valueAt(find(m.gatewayNamespace, "NetworkPolicy", "istio-egress", "eg-deny-all"), "spec", "policyTypes"), ["Ingress", "Egress"]);
    });

    it("PeerAuthentication STRICT is namespace-wide in the gateway's namespace", () => {
        const plan = buildPlan("eg", SCENARIOS.everything);
        const pa = lockdownManifests(plan).gatewayNamespace.filter((o) => o.kind === "PeerAuthentication");
        assert.deepStrictEqual(pa, [
            {
                apiVersion: "security.istio.io/v1",
                kind: "PeerAuthentication",
                metadata: { name: "eg-strict-mtls", namespace: "egress", labels: MANAGED },
                spec: { mtls: { mode: "STRICT" } },
            },
        ]);
    });

    it("rejects a gateway namespace shared with istiod or the cluster DNS (its default deny would cut them off)", () => {
        const problems = (args: EgressGatewayArgs) => {
            try {
                buildPlan("eg", args);
            } catch (err) {
                assert.ok(err instanceof ArgsError);
                return err.problems;
            }
            return [];
        };
        const p1 = problems({ gateway: { namespace: "istio-system" } });
        assert.ok(
            p1.some((p) => p.field === "gateway.namespace" && /istiod/.test(p.rule)),
            JSON.stringify(p1),
        );
        const p2 = problems({ gateway: { namespace: "infra" }, lockdown: { dnsNamespace: "infra" } });
        assert.ok(
            p2.some((p) => p.field === "gateway.namespace" && /DNS/.test(p.rule)),
            JSON.stringify(p2),
        );
        assert.deepStrictEqual(problems({ gateway: { namespace: "infra" } }), []);
    });
});

describe("lockdown manifests: the internet ipBlocks", () => {
    // Every special-purpose range (sdk/model/special-ranges.ts), in the table's order; the issue named these.
    const v4Base = SPECIAL_PURPOSE_IPV4.map((r) => r.cidr);
    // Not ::ffff:0:0/96: the API server refuses IPv4-mapped prefixes in an ipBlock (sdk/model/k8s-cidr.ts).
    const v6Base = SPECIAL_PURPOSE_IPV6.map((r) => r.cidr).filter(
        (c) => c !== "::/128" && c !== "::1/128" && c !== "fd00:ec2::254/128" && c !== "::ffff:0:0/96",
    ); // inside ::/96, fc00::/7

    function assertValid(blocks: { cidr: string; except: string[] }[]): void {
        for (const b of blocks) {
            const outer = parseCidr(b.cidr);
            assert.strictEqual(new Set(b.except).size, b.except.length, `duplicates in ${b.except.join(",")}`);
            for (const e of b.except) {
                const inner = parseCidr(e);
                // k8s: each except must be a strict subset of cidr, and never IPv4-mapped (Go parses it as IPv4).
                assert.ok(!isIPv4MappedCidr(e), `${e} is IPv4-mapped: the API server refuses it`);
                assert.ok(
                    inner.family === outer.family && inner.prefix > outer.prefix && cidrContains(outer, e.split("/")[0]),
                    `${e} not strictly inside ${b.cidr}`,
                );
                for (const other of b.except) {
                    const o = parseCidr(other);
                    const covers = other !== e && o.family === inner.family && o.prefix <= inner.prefix && cidrContains(o, e.split("/")[0]);
                    assert.ok(!covers, `${e} is inside ${other}: listed twice`);
                }
            }
        }
    }

    it("excludes every IANA special-purpose range, cloud metadata, NAT64 and 6to4 by default", () => {
        const blocks = internetIpBlocks([]);
        assert.deepStrictEqual(blocks, [
            { cidr: "0.0.0.0/0", except: v4Base.filter((c) => c !== "100.100.100.200/32") },
            { cidr: "::/0", except: v6Base },
        ]);
        for (const named of ["0.0.0.0/8", "192.0.0.0/24", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4", "168.63.129.16/32"])
            assert.ok(blocks[0].except.includes(named), named);
        for (const named of ["64:ff9b::/96", "64:ff9b:1::/48", "2002::/16", "fe80::/10", "fc00::/7"]) assert.ok(blocks[1].except.includes(named), named);
        assertValid(blocks);
    });

    it("never excepts an IPv4-mapped IPv6 prefix, which the API server refuses (found by e2e: pulumi up against kube-apiserver)", () => {
        // k8s ValidateIPBlock: Go's ParseCIDR turns ::ffff:0:0/96 into an IPv4 network, never "a strict subset" of ::/0.
        const blocks = internetIpBlocks(["::ffff:10.0.0.0/104"]);
        for (const b of blocks) for (const e of b.except) assert.ok(!isIPv4MappedCidr(e), `${b.cidr} excepts ${e}`);
        assert.ok(!blocks[1].except.includes("::ffff:0:0/96"));
        // The translation prefixes that carry IPv4 inside IPv6 packets stay excepted.
        for (const named of ["64:ff9b::/96", "2002::/16", "2001::/23"]) assert.ok(blocks[1].except.includes(named), named);
        // A cluster CIDR written IPv4-mapped is refused by the plan, naming the field (the API server would refuse it later).
        assert.throws(
            () =>
                buildPlan("egress", {
                    hosts: [{ host: "api.example.com", mode: EgressMode.Tls, allow: [{ namespaces: ["a"] }] }],
                    lockdown: { namespaces: [{ name: "a" }], clusterCidrs: ["::ffff:10.0.0.0/104"] },
                }),
            (e: unknown) => e instanceof ArgsError && /lockdown\.clusterCidrs\[0\].*IPv4-mapped/.test(String((e as Error).message)),
        );
    });

    it("adds cluster CIDRs outside those ranges, each once, canonically, per family", () => {
        const blocks = internetIpBlocks([
            "10.96.0.0/12",
            "100.100.0.0/16",
            "34.118.230.7/20",
            "34.118.224.0/20",
            "2600:1900:4000:0000::/44",
            "fd00::/8",
            "169.254.169.254/32",
        ]);
        assert.deepStrictEqual(blocks, [
            { cidr: "0.0.0.0/0", except: [...v4Base.filter((c) => c !== "100.100.100.200/32"), "34.118.224.0/20"] },
            { cidr: "::/0", except: [...v6Base, "2600:1900:4000::/44"] },
        ]);
        assertValid(blocks);
    });

    it("a cluster CIDR that covers a built-in range replaces it (no range listed inside another)", () => {
        const blocks = internetIpBlocks(["10.0.0.0/7", "172.0.0.0/8"]);
        assert.deepStrictEqual(blocks[0].except, [
            ...v4Base.filter((c) => !["10.0.0.0/8", "100.100.100.200/32", "172.16.0.0/12"].includes(c)),
            "10.0.0.0/7",
            "172.0.0.0/8",
        ]);
        assertValid(blocks);
    });

    it("a family with every address excluded gets no block at all (an except equal to cidr is invalid)", () => {
        assert.deepStrictEqual(
            internetIpBlocks(["0.0.0.0/0"]).map((b) => b.cidr),
            ["::/0"],
        );
        assert.deepStrictEqual(
            internetIpBlocks(["::/0"]).map((b) => b.cidr),
            ["0.0.0.0/0"],
        );
    });

    it("the metadata endpoint and private addresses are never inside the gateway's internet", () => {
        for (const clusterCidrs of [[], ["10.96.0.0/12"], ["34.118.224.0/20", "fd00:1::/64"]]) {
            const blocks = internetIpBlocks(clusterCidrs);
            // A mapped address (::ffff:10.0.0.1) is sent as IPv4: judged as the IPv4 address (sdk/model/k8s-cidr.ts).
            const inside = (text: string) => {
                const ip = wireAddress(parseIp(text)!);
                return blocks.some((b) => cidrContains(parseCidr(b.cidr), ip) && !b.except.some((e) => cidrContains(parseCidr(e), ip)));
            };
            for (const ip of [
                "169.254.169.254",
                "168.63.129.16",
                "0.1.2.3",
                "192.0.0.170",
                "198.18.0.1",
                "224.0.0.251",
                "240.0.0.1",
                "64:ff9b::a00:1",
                "64:ff9b:1::1",
                "2002:a00:1::1",
                "::ffff:10.0.0.1",
                "10.1.2.3",
                "172.20.0.1",
                "192.168.1.1",
                "100.100.100.200",
                "127.0.0.1",
                "fd00:ec2::254",
                "fe80::1",
                "::1",
            ]) {
                assert.strictEqual(inside(ip), false, `${ip} open with cluster CIDRs ${clusterCidrs.join(",")}`);
            }
            assert.strictEqual(inside("93.184.216.34"), true);
            assert.strictEqual(inside("2606:2800:220:1:248:1893:25c8:1946"), true);
        }
    });
});
