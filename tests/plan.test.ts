import * as assert from "assert";
import { EgressGatewayArgs, EgressMode } from "../sdk/args";
import { valueAt } from "../sdk/model/read";
import { ArgsError, buildPlan, hostKey, hostNameProblem } from "../sdk/plan";

/** Asserts that building the plan fails with a problem on `field` whose rule matches `rule`. */
function rejects(args: EgressGatewayArgs, field: string, rule: RegExp, name = "egress"): void {
    assert.throws(
        () => buildPlan(name, args),
        (err: unknown) => {
            assert.ok(err instanceof ArgsError, `expected ArgsError, got ${String(err)}`);
            const hit = err.problems.find((p) => p.field === field);
            assert.ok(hit, `no problem on ${field}; got ${JSON.stringify(err.problems)}`);
            assert.match(hit.rule, rule);
            return true;
        },
    );
}

const http = (host: string, extra: object = {}) => ({ host, mode: EgressMode.Http, ...extra });
const tls = (host: string, extra: object = {}) => ({ host, mode: EgressMode.Tls, ...extra });

describe("plan: defaults", () => {
    it("defaults the gateway to istio-egress / egress-gateway / its own selector label, ClusterIP", () => {
        // Not istio-egressgateway / istio=egressgateway: those are the stock egress gateway's (issue 11, item 1).
        const plan = buildPlan("egress", {});
        assert.strictEqual(plan.gateway.namespace, "istio-egress");
        assert.strictEqual(plan.gateway.serviceHost, "egress-gateway.istio-egress.svc.cluster.local");
        assert.deepStrictEqual(plan.gateway.labels, { "istio-egress.io/gateway": "istio-egress.egress-gateway" });
        assert.deepStrictEqual(plan.gateway.podLabels, {
            app: "egress-gateway",
            istio: "egress-gateway",
            "istio-egress.io/gateway": "istio-egress.egress-gateway",
            "sidecar.istio.io/inject": "true",
        });
        assert.strictEqual(valueAt(plan.release!.values, "service", "type"), "ClusterIP");
        assert.deepStrictEqual(plan.release!.values.labels, { "istio-egress.io/gateway": "istio-egress.egress-gateway" });
        assert.strictEqual(plan.release!.values.replicaCount, 2);
        assert.deepStrictEqual(plan.release!.values.autoscaling, { enabled: false });
        assert.deepStrictEqual(plan.release!.values.podDisruptionBudget, { minAvailable: 1 });
        assert.strictEqual(plan.gateway.httpPort.targetPort, 80);
        assert.strictEqual(plan.gateway.tlsPort.targetPort, 443);
        assert.strictEqual(plan.lockdown.accessLogs, true);
        assert.strictEqual(plan.lockdown.allowInCluster, true);
    });

    it("applies per-mode port defaults and derives the SNI and destination", () => {
        const plan = buildPlan("egress", {
            hosts: [
                http("a.example.com"),
                { host: "b.example.com", mode: EgressMode.TlsOrigination },
                tls("c.example.com"),
                { host: "d.example.com", mode: EgressMode.MutualTlsOrigination, credentialName: "d-client" },
                tls("*.wikipedia.org", { upstreamHost: "www.wikipedia.org" }),
            ],
        });
        const at = (host: string) => plan.hosts.find((h) => h.host === host)!;
        const [a, b, c, d, w] = ["a.example.com", "b.example.com", "c.example.com", "d.example.com", "*.wikipedia.org"].map(at);
        assert.deepStrictEqual([a.appPort, a.targetPort, a.http, a.gatewayPort.port], [80, 80, true, 80]);
        assert.deepStrictEqual([b.appPort, b.targetPort, b.http, b.origination?.mode], [80, 443, true, "SIMPLE"]);
        assert.deepStrictEqual(b.origination?.subjectAltNames, ["b.example.com"]);
        assert.deepStrictEqual([c.appPort, c.targetPort, c.http, c.gatewayPort.port], [443, 443, false, 443]);
        assert.deepStrictEqual([d.origination?.mode, d.origination?.credentialName], ["MUTUAL", "d-client"]);
        assert.deepStrictEqual([w.wildcard, w.destinationHost, w.sni, w.key], [true, "www.wikipedia.org", "www.wikipedia.org", "wildcard-wikipedia-org"]);
        assert.deepStrictEqual(plan.lockdown.externalPorts, [80, 443]);
    });

    it("derives the gateway's container ports from the Helm values, not from constants", () => {
        const plan = buildPlan("egress", {
            gateway: {
                values: {
                    service: {
                        ports: [
                            { name: "http2", port: 80, targetPort: 8080 },
                            { name: "https", port: 443, targetPort: 8443 },
                        ],
                    },
                },
            },
        });
        assert.strictEqual(plan.gateway.httpPort.targetPort, 8080);
        assert.strictEqual(plan.gateway.tlsPort.targetPort, 8443);
    });

    it("keys hosts by name, one-to-one and bounded in length", () => {
        assert.strictEqual(hostKey("api.example.com"), "host-api-example-com");
        assert.notStrictEqual(hostKey("a-b.com"), hostKey("a.b-com"));
        const long = `${"x".repeat(60)}.example.com`;
        assert.ok(hostKey(long).length <= 63, "a DNS label (names are now bounded by the label limit, sdk/plan/names.ts)");
        assert.notStrictEqual(hostKey(long), hostKey(`${"x".repeat(60)}.example.org`));
        assert.match(hostKey(long), /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    });

    it("normalises access rules: namespaces, principals in the trust domain, any authenticated", () => {
        const plan = buildPlan("egress", {
            hosts: [http("a.example.com", { allow: [{ namespaces: ["team-a"], serviceAccounts: ["team-b/api"] }, {}] })],
            lockdown: { trustDomain: "corp.example" },
        });
        const [r1, r2] = plan.hosts[0].allow;
        assert.deepStrictEqual(r1.namespaces, ["team-a"]);
        assert.deepStrictEqual(r1.principals, ["corp.example/ns/team-b/sa/api"]);
        assert.strictEqual(r1.anyAuthenticated, false);
        assert.strictEqual(r2.anyAuthenticated, true);
    });
});

describe("plan: validation (field + rule, fail-closed)", () => {
    it("collects every problem at once", () => {
        try {
            buildPlan("egress", { hosts: [http("BAD.com"), { host: "x.example.com", mode: EgressMode.Http, port: 0 }] });
            assert.fail("expected an ArgsError");
        } catch (err) {
            assert.ok(err instanceof ArgsError);
            assert.deepStrictEqual(err.problems.map((p) => p.field).sort(), ["hosts[0].host", "hosts[1].port"]);
        }
    });

    describe("host names (RFC 1123, wildcard rules)", () => {
        const cases: [string, RegExp][] = [
            ["*", /bare `\*`/],
            ["", /non-empty/],
            ["Api.Example.com", /lowercase/],
            ["api..example.com", /RFC 1123/],
            ["-api.example.com", /RFC 1123/],
            ["api_x.example.com", /RFC 1123/],
            [`${"a".repeat(64)}.example.com`, /RFC 1123/],
            ["localhost", /at least one dot/],
            ["*.com", /top-level domain/],
            ["api.*.example.com", /leftmost label/],
            ["*api.example.com", /leftmost label/],
            ["10.0.0.1", /not an IP address/],
            [`${"a.".repeat(127)}com`, /253/],
        ];
        for (const [host, rule] of cases) {
            it(`rejects ${JSON.stringify(host.length > 40 ? host.slice(0, 40) + "…" : host)}`, () => {
                rejects({ hosts: [tls(host, host.startsWith("*.") ? { upstreamHost: "www.example.com" } : {})] }, "hosts[0].host", rule);
            });
        }
        it("accepts FQDNs and *.domain wildcards", () => {
            assert.strictEqual(hostNameProblem("api.example.com"), undefined);
            assert.strictEqual(hostNameProblem("xn--bcher-kva.de"), undefined); // (.example is reserved, RFC 2606: refused)
            assert.strictEqual(hostNameProblem("*.wikipedia.org"), undefined);
        });
    });

    it("rejects ports outside 1-65535 and non-integers", () => {
        rejects({ hosts: [http("a.example.com", { port: 0 })] }, "hosts[0].port", /1 to 65535/);
        rejects({ hosts: [http("a.example.com", { port: 65536 })] }, "hosts[0].port", /1 to 65535/);
        rejects({ hosts: [http("a.example.com", { targetPort: 80.5 })] }, "hosts[0].targetPort", /integer/);
    });

    it("rejects unknown modes", () => {
        rejects(
            { hosts: [{ host: "a.example.com", mode: "PASSTHROUGH" as EgressMode }] },
            "hosts[0].mode",
            /one of HTTP, TLS_ORIGINATION, TLS, MUTUAL_TLS_ORIGINATION/,
        );
    });

    it("rejects mode/field combinations that cannot work", () => {
        rejects({ hosts: [tls("a.example.com", { allow: [{ paths: ["/x"] }] })] }, "hosts[0].allow[0]", /HTTP-speaking mode/);
        rejects({ hosts: [http("a.example.com", { credentialName: "c" })] }, "hosts[0].credentialName", /origination modes/);
        rejects(
            { hosts: [{ host: "a.example.com", mode: EgressMode.TlsOrigination, credentialName: "c" }] },
            "hosts[0].credentialName",
            /only for MUTUAL_TLS_ORIGINATION/,
        );
        rejects({ hosts: [{ host: "a.example.com", mode: EgressMode.MutualTlsOrigination }] }, "hosts[0].credentialName", /required/);
        rejects(
            { hosts: [{ host: "a.example.com", mode: EgressMode.MutualTlsOrigination, credentialName: "other-ns/secret" }] },
            "hosts[0].credentialName",
            /gateway's namespace/,
        );
        rejects({ hosts: [{ host: "a.example.com", mode: EgressMode.TlsOrigination, subjectAltNames: [] }] }, "hosts[0].subjectAltNames", /verify/);
        rejects({ hosts: [{ host: "a.example.com", mode: EgressMode.TlsOrigination, port: 443, targetPort: 443 }] }, "hosts[0].targetPort", /must differ/);
        rejects({ hosts: [http("a.example.com", { allow: [{ methods: ["get"] }] })] }, "hosts[0].allow[0].methods[0]", /uppercase/);
        rejects(
            { hosts: [http("a.example.com", { allow: [{ serviceAccounts: ["just-a-name"] }] })] },
            "hosts[0].allow[0].serviceAccounts[0]",
            /namespace\/serviceaccount/,
        );
        rejects({ hosts: [http("a.example.com", { deny: [{ namespaces: ["Bad_NS"] }] })] }, "hosts[0].deny[0].namespaces[0]", /DNS-1123/);
    });

    it("enforces the wildcard rules", () => {
        rejects({ hosts: [http("*.example.com", { upstreamHost: "www.example.com" })] }, "hosts[0].mode", /needs mode TLS/);
        rejects({ hosts: [tls("*.example.com")] }, "hosts[0].upstreamHost", /required for a wildcard/);
        rejects({ hosts: [tls("*.example.com", { upstreamHost: "www.other.org" })] }, "hosts[0].upstreamHost", /under \*\.example\.com/);
        rejects({ hosts: [tls("api.example.com", { upstreamHost: "www.example.com" })] }, "hosts[0].upstreamHost", /only for wildcard/);
        rejects({ hosts: [tls("*.example.com", { upstreamHost: "www.example.com" }), tls("www.example.com")] }, "hosts[0].upstreamHost", /also listed/);
    });

    it("rejects duplicate hosts and conflicting protocols on one port", () => {
        rejects({ hosts: [http("a.example.com"), tls("a.example.com")] }, "hosts[1].host", /duplicates hosts\[0\]/);
        rejects(
            { hosts: [http("a.example.com", { port: 8443 }), tls("b.example.com", { port: 8443 })] },
            "hosts[1].port",
            /port 8443 is TLS for b\.example\.com but plain HTTP/,
        );
        // An origination host exposes only its HTTP port to sidecars: the TLS port it lands on is no conflict.
        assert.doesNotThrow(() => buildPlan("egress", { hosts: [{ host: "a.example.com", mode: EgressMode.TlsOrigination }, tls("b.example.com")] }));
        rejects(
            { hosts: [{ host: "a.example.com", mode: EgressMode.TlsOrigination, port: 8443, targetPort: 443 }, tls("b.example.com", { port: 8443 })] },
            "hosts[1].port",
            /port 8443 is TLS for b\.example\.com but plain HTTP for a\.example\.com/,
        );
    });

    it("keeps the gateway fail-closed", () => {
        rejects({ gateway: { values: { service: { type: "LoadBalancer" } } } }, "gateway.values.service.type", /must stay ClusterIP/);
        rejects({ gateway: { values: { labels: { istio: "ingressgateway" } } } }, "gateway.values.labels", /labels that select the gateway pods/);
        rejects({ gateway: { values: { service: { ports: [{ name: "http2", port: 80 }] } } } }, "gateway.values.service.ports", /must expose port 443/);
        rejects({ gateway: { replicas: 1, podDisruptionBudgetMinAvailable: 1 } }, "gateway.podDisruptionBudgetMinAvailable", /evicted/);
        rejects({ gateway: { autoscaling: { enabled: true, minReplicas: 3, maxReplicas: 2 } } }, "gateway.autoscaling.maxReplicas", /at least minReplicas/);
        rejects({ gateway: { labels: {} } }, "gateway.labels", /non-empty/);
        rejects({ gateway: { namespace: "Istio_Egress" } }, "gateway.namespace", /DNS-1123/);
    });

    it("validates namespaces, extra CIDRs and the component name", () => {
        rejects({ lockdown: { namespaces: [{ name: "istio-egress" }] } }, "lockdown.namespaces[0].name", /gateway's own namespace/);
        rejects({ lockdown: { namespaces: [{ name: "kube-system" }] } }, "lockdown.namespaces[0].name", /application namespace/);
        rejects({ lockdown: { namespaces: [{ name: "a" }, { name: "a" }] } }, "lockdown.namespaces[1].name", /duplicates/);
        rejects({ lockdown: { namespaces: [{ name: "UPPER" }] } }, "lockdown.namespaces[0].name", /DNS-1123/);
        rejects({ lockdown: { extraEgressCidrs: [{ name: "all", cidr: "0.0.0.0/0", ports: [443] }] } }, "lockdown.extraEgressCidrs[0].cidr", /too wide/);
        rejects({ lockdown: { extraEgressCidrs: [{ name: "api", cidr: "10.0.0.1", ports: [443] }] } }, "lockdown.extraEgressCidrs[0].cidr", /CIDR/);
        rejects({ lockdown: { extraEgressCidrs: [{ name: "api", cidr: "10.0.0.1/32", ports: [] }] } }, "lockdown.extraEgressCidrs[0].ports", /at least one/);
        rejects({ lockdown: { clusterCidrs: ["nope"] } }, "lockdown.clusterCidrs[0]", /CIDR/);
        rejects({}, "name", /DNS-1123 label/, "My_Egress");
    });
});

describe("plan: gateway.chart must be named after the istio/gateway chart", () => {
    // istio-egress-guard recognises the gateway's Release by its chart's name (sdk/model/kinds.ts chartName: a
    // path's last element, a `.tgz` without its version), as `helm pull istio/gateway [--untar]` names it. A chart
    // under another name is not the gateway to the pack, which then rejects every route of a correct stack (found by
    // `pulumi preview --policy-pack` in e2e/pulumi, with the e2e tools' `share/gateway-chart`).
    for (const chart of ["gateway", "/charts/gateway", "/charts/gateway/", "./gateway-1.29.2.tgz", "oci://registry.example/istio/gateway"]) {
        it(`accepts ${chart}`, () => {
            assert.strictEqual(buildPlan("egress", { gateway: { chart } }).release!.chart, chart);
        });
    }
    for (const chart of ["/tmp/share/gateway-chart", "./istio-gateway-1.29.2.tgz", "istio-gateway", "oci://registry.example/istio/egress"]) {
        it(`rejects ${chart}, naming the convention`, () => {
            rejects({ gateway: { chart } }, "gateway.chart", /named after the istio\/gateway chart.*gateway-<version>\.tgz/);
        });
    }
});
