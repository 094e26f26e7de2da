import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { AccessRow, buildAccessReport, formatReportTable, reportToMermaid } from "../sdk/analysis/report";
import { hostCovers } from "../sdk/model";
import type { K8sObject } from "../sdk/schema/validate";
import { recordAt } from "../sdk/model/read";
import { yamlObjects } from "./helpers/captured";

const GW_SVC = "istio-egressgateway.istio-egress.svc.cluster.local";

/** The fields of an object besides apiVersion, kind, name and namespace (metadata: labels and the like, merged in). */
interface Rest {
    metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
    [k: string]: unknown;
}

function obj(apiVersion: string, kind: string, namespace: string | undefined, name: string, rest: Rest = {}): K8sObject {
    const { metadata, ...fields } = rest;
    return { apiVersion, kind, metadata: metadata ? { name, namespace, ...metadata } : { name, ...(namespace ? { namespace } : {}) }, ...fields };
}
const nsObj = (name: string, labels: Record<string, string> = { "istio-injection": "enabled" }) =>
    obj("v1", "Namespace", undefined, name, { metadata: { labels } });
const deploy = (namespace: string, name: string, sa: string, labels: Record<string, string> = { app: name }, extra: Record<string, unknown> = {}) =>
    obj("apps/v1", "Deployment", namespace, name, {
        spec: {
            selector: { matchLabels: labels },
            template: { metadata: { labels }, spec: { serviceAccountName: sa, containers: [{ name: "app", image: "curl" }], ...extra } },
        },
    });
const np = (namespace: string, name: string, spec: Record<string, unknown>) => obj("networking.k8s.io/v1", "NetworkPolicy", namespace, name, { spec });
const istio = (kind: string, namespace: string, name: string, spec: Record<string, unknown>) =>
    obj(`${kind === "AuthorizationPolicy" ? "security" : kind === "Telemetry" ? "telemetry" : "networking"}.istio.io/v1`, kind, namespace, name, { spec });

const defaultDeny = (ns: string) => np(ns, "default-deny-egress", { podSelector: {}, policyTypes: ["Egress"] });
const allowGateway = (ns: string, port = 8443) =>
    np(ns, "allow-egress-gateway", {
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [
            {
                to: [
                    {
                        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "istio-egress" } },
                        podSelector: { matchLabels: { istio: "egressgateway" } },
                    },
                ],
                ports: [{ port, protocol: "TCP" }],
            },
            { to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } } }], ports: [{ port: 53, protocol: "UDP" }] },
        ],
    });

/** The ASM tutorial scenario, written by hand (TLS wrapped in ISTIO_MUTUAL, SNI-based DENY). */
function asmScenario(): K8sObject[] {
    return [
        nsObj("demo-frontend"),
        nsObj("demo-backend"),
        nsObj("legacy"),
        nsObj("istio-egress"),
        deploy("demo-frontend", "frontend", "frontend"),
        deploy("demo-backend", "backend", "backend"),
        deploy("demo-backend", "rogue", "rogue", { app: "rogue", "sidecar.istio.io/inject": "false" }),
        deploy("legacy", "legacy-app", "default"),
        defaultDeny("demo-frontend"),
        allowGateway("demo-frontend"),
        defaultDeny("demo-backend"),
        allowGateway("demo-backend"),
        obj("v1", "Service", "istio-egress", "istio-egressgateway", {
            spec: { selector: { istio: "egressgateway" }, ports: [{ name: "tls", port: 443, targetPort: 8443 }] },
        }),
        istio("ServiceEntry", "istio-egress", "aliyun", {
            hosts: ["www.aliyun.com"],
            ports: [{ number: 443, name: "tls", protocol: "TLS" }],
            resolution: "DNS",
            location: "MESH_EXTERNAL",
        }),
        istio("Gateway", "istio-egress", "egress-gw", {
            selector: { istio: "egressgateway" },
            servers: [{ port: { number: 443, name: "tls", protocol: "TLS" }, hosts: ["www.aliyun.com"], tls: { mode: "ISTIO_MUTUAL" } }],
        }),
        istio("DestinationRule", "istio-egress", "egress-gw", {
            host: GW_SVC,
            subsets: [{ name: "aliyun", trafficPolicy: { tls: { mode: "ISTIO_MUTUAL", sni: "www.aliyun.com" } } }],
        }),
        istio("VirtualService", "istio-egress", "aliyun-through-gateway", {
            hosts: ["www.aliyun.com"],
            gateways: ["mesh", "egress-gw"],
            tls: [
                {
                    match: [{ gateways: ["mesh"], port: 443, sniHosts: ["www.aliyun.com"] }],
                    route: [{ destination: { host: GW_SVC, subset: "aliyun", port: { number: 443 } } }],
                },
            ],
            tcp: [{ match: [{ gateways: ["egress-gw"], port: 443 }], route: [{ destination: { host: "www.aliyun.com", port: { number: 443 } } }] }],
        }),
        istio("AuthorizationPolicy", "istio-egress", "allow-authenticated", {
            selector: { matchLabels: { istio: "egressgateway" } },
            action: "ALLOW",
            rules: [{ from: [{ source: { principals: ["*"] } }] }],
        }),
        istio("AuthorizationPolicy", "istio-egress", "deny-frontend-aliyun", {
            selector: { matchLabels: { istio: "egressgateway" } },
            action: "DENY",
            rules: [{ from: [{ source: { namespaces: ["demo-frontend"] } }], when: [{ key: "connection.sni", values: ["www.aliyun.com"] }] }],
        }),
        istio("Telemetry", "istio-egress", "gateway-access-logs", {
            selector: { matchLabels: { istio: "egressgateway" } },
            accessLogging: [{ providers: [{ name: "envoy" }] }],
        }),
    ];
}

function row(rows: AccessRow[], source: string, host = "www.aliyun.com"): AccessRow {
    const r = rows.find((x) => x.source === source && x.host === host);
    assert.ok(r, `no row for ${source} → ${host}; rows: ${rows.map((x) => x.source).join(", ")}`);
    return r;
}

describe("analysis: host patterns", () => {
    it("covers exact, * and *.suffix hosts", () => {
        assert.ok(hostCovers("*", "a.b"));
        assert.ok(hostCovers("*.wikipedia.org", "en.wikipedia.org"));
        assert.ok(!hostCovers("*.wikipedia.org", "wikipedia.org"));
        assert.ok(hostCovers("WWW.aliyun.com", "www.aliyun.COM"));
        assert.ok(!hostCovers("www.aliyun.com", "aliyun.com"));
    });
});

describe("analysis: egress access report", () => {
    it("ASM scenario: demo-frontend denied at the gateway by the named DENY policy; demo-backend allowed via the gateway", () => {
        const report = buildAccessReport(asmScenario());
        const fe = row(report.rows, "demo-frontend/frontend (Deployment/frontend)");
        assert.strictEqual(fe.verdict, "denied");
        assert.strictEqual(fe.path, "gateway");
        assert.strictEqual(fe.gateway, "istio-egress/egress-gw");
        assert.deepStrictEqual(fe.ruleRef, { kind: "AuthorizationPolicy", name: "istio-egress/deny-frontend-aliyun", ruleIndex: 0 });
        assert.match(fe.rule, /deny-frontend-aliyun rule 0 \(DENY\)/);
        assert.strictEqual(fe.gatewayRequest?.sni, "www.aliyun.com");
        assert.strictEqual(fe.gatewayRequest?.source.principal, "cluster.local/ns/demo-frontend/sa/frontend");
        assert.strictEqual(fe.gatewayRequest?.http, false);
        assert.strictEqual(fe.logged, true);
        assert.strictEqual(fe.bypass, false);

        const be = row(report.rows, "demo-backend/backend (Deployment/backend)");
        assert.strictEqual(be.verdict, "allowed");
        assert.strictEqual(be.path, "gateway");
        assert.deepStrictEqual(be.ruleRef, { kind: "AuthorizationPolicy", name: "istio-egress/allow-authenticated", ruleIndex: 0 });
        assert.strictEqual(be.logged, true);
        assert.deepStrictEqual(
            report.gateways.map((g) => g.gateway),
            ["istio-egress/egress-gw"],
        );
    });

    it("a namespace without default-deny shows the direct bypass, unlogged", () => {
        const report = buildAccessReport(asmScenario());
        const legacy = row(report.rows, "legacy/default (Deployment/legacy-app)");
        assert.strictEqual(legacy.verdict, "allowed");
        assert.strictEqual(legacy.path, "direct (bypass!)");
        assert.strictEqual(legacy.bypass, true);
        assert.strictEqual(legacy.logged, false);
        assert.ok(legacy.notes.some((n) => /skipping its sidecar skips the gateway/.test(n)));
        assert.strictEqual(legacy.gatewayDecision?.allowed, true, "the gateway itself would allow it");
    });

    it("a pod that skips its sidecar is blocked by the namespace's NetworkPolicy", () => {
        const report = buildAccessReport(asmScenario());
        const rogue = row(report.rows, "demo-backend/rogue (Deployment/rogue)");
        assert.strictEqual(rogue.verdict, "denied");
        assert.strictEqual(rogue.path, "blocked-by-networkpolicy");
        assert.deepStrictEqual(rogue.ruleRef, { kind: "NetworkPolicy", name: "demo-backend/default-deny-egress, demo-backend/allow-egress-gateway" });
        assert.ok(rogue.notes[0].includes('sidecar.istio.io/inject: "false"'));
    });

    it("the same sidecar-less pod in a namespace without NetworkPolicy goes direct", () => {
        const objs = asmScenario().filter((o) => !(o.kind === "NetworkPolicy" && o.metadata.namespace === "demo-backend"));
        const rogue = row(buildAccessReport(objs).rows, "demo-backend/rogue (Deployment/rogue)");
        assert.strictEqual(rogue.verdict, "allowed");
        assert.strictEqual(rogue.path, "direct");
        assert.strictEqual(rogue.logged, false);
    });

    it("blocked-by-networkpolicy when the source may not reach the gateway pods' container port", () => {
        // The Service maps 443 → 8443; a policy opening only 443 does not reach the pods.
        const objs = asmScenario().map((o) =>
            o.kind === "NetworkPolicy" && o.metadata.namespace === "demo-backend" && o.metadata.name === "allow-egress-gateway"
                ? allowGateway("demo-backend", 443)
                : o,
        );
        const be = row(buildAccessReport(objs).rows, "demo-backend/backend (Deployment/backend)");
        assert.strictEqual(be.verdict, "denied");
        assert.strictEqual(be.path, "blocked-by-networkpolicy");
        assert.match(be.notes.join("\n"), /TCP 8443 \(Service istio-egress\/istio-egressgateway\)/);
    });

    it("an ingress NetworkPolicy on the gateway pods can block a source", () => {
        const objs = [
            ...asmScenario(),
            np("istio-egress", "gateway-ingress", {
                podSelector: { matchLabels: { istio: "egressgateway" } },
                policyTypes: ["Ingress"],
                ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "demo-frontend" } } }] }],
            }),
        ];
        const be = row(buildAccessReport(objs).rows, "demo-backend/backend (Deployment/backend)");
        assert.strictEqual(be.path, "blocked-by-networkpolicy");
        assert.strictEqual(be.ruleRef.name, "istio-egress/gateway-ingress");
    });

    it("sources include namespaces named by policies, and extra sources", () => {
        const report = buildAccessReport(asmScenario(), { extraSources: [{ namespace: "newcomer", serviceAccount: "ci", labels: {}, origin: "extra" }] });
        const keys = report.sources.map((s) => `${s.origin}:${s.namespace}/${s.serviceAccount}`);
        assert.ok(keys.includes("namespace:demo-frontend/default"), keys.join(","));
        assert.ok(keys.includes("extra:newcomer/ci"));
        const newcomer = row(report.rows, "newcomer/ci");
        assert.strictEqual(newcomer.path, "direct (bypass!)");
        // the gateway pods themselves are never sources
        assert.ok(!report.sources.some((s) => s.labels.istio === "egressgateway"));
    });

    it("TLS passthrough: the gateway cannot see the caller, so principal-based ALLOW denies everyone", () => {
        // A working passthrough setup: the sidecar sends the app's own TLS (no ISTIO_MUTUAL towards the gateway),
        // the gateway's filter chain is a VirtualService tls route matched on the SNI.
        const objs = asmScenario().map((o) => {
            if (o.kind === "Gateway") {
                return istio("Gateway", "istio-egress", "egress-gw", {
                    selector: { istio: "egressgateway" },
                    servers: [{ port: { number: 443, name: "tls", protocol: "TLS" }, hosts: ["www.aliyun.com"], tls: { mode: "PASSTHROUGH" } }],
                });
            }
            if (o.kind === "DestinationRule") {
                return istio("DestinationRule", "istio-egress", "egress-gw", { host: GW_SVC, subsets: [{ name: "aliyun" }] });
            }
            if (o.kind === "VirtualService") {
                return istio("VirtualService", "istio-egress", "aliyun-through-gateway", {
                    hosts: ["www.aliyun.com"],
                    gateways: ["mesh", "egress-gw"],
                    tls: [
                        {
                            match: [{ gateways: ["mesh"], port: 443, sniHosts: ["www.aliyun.com"] }],
                            route: [{ destination: { host: GW_SVC, subset: "aliyun", port: { number: 443 } } }],
                        },
                        {
                            match: [{ gateways: ["egress-gw"], port: 443, sniHosts: ["www.aliyun.com"] }],
                            route: [{ destination: { host: "www.aliyun.com", port: { number: 443 } } }],
                        },
                    ],
                });
            }
            return o;
        });
        const be = row(buildAccessReport(objs).rows, "demo-backend/backend (Deployment/backend)");
        assert.strictEqual(be.verdict, "denied");
        assert.strictEqual(be.path, "gateway");
        assert.strictEqual(be.gatewayRequest?.source.principal, undefined);
        assert.strictEqual(be.gatewayRequest?.sni, "www.aliyun.com", "the application's own SNI");
        assert.strictEqual(be.outcome, "connection-reset", "a TCP RBAC deny closes the connection");
        assert.ok(be.notes.some((n) => /cannot tell sources apart/.test(n)));
    });

    it("a PASSTHROUGH server without a tls route at the gateway builds no filter chain: the connection is closed", () => {
        // The sidecar still wraps the connection in Istio mTLS, but a PASSTHROUGH server gets its filter chains from
        // VirtualService tls routes bound to the Gateway (pilot/pkg/networking/core/gateway.go
        // buildGatewayNetworkFiltersFromTLSRoutes); the scenario only has a tcp route there.
        const objs = asmScenario().map((o) =>
            o.kind === "Gateway"
                ? istio("Gateway", "istio-egress", "egress-gw", {
                      selector: { istio: "egressgateway" },
                      servers: [{ port: { number: 443, name: "tls", protocol: "TLS" }, hosts: ["www.aliyun.com"], tls: { mode: "PASSTHROUGH" } }],
                  })
                : o,
        );
        const be = row(buildAccessReport(objs).rows, "demo-backend/backend (Deployment/backend)");
        assert.strictEqual(be.verdict, "denied");
        assert.strictEqual(be.path, "gateway");
        assert.strictEqual(be.outcome, "connection-reset");
        assert.match(be.rule, /no filter chain on port 8443 matches SNI www\.aliyun\.com/);
        assert.strictEqual(be.gatewayDecision, undefined, "the connection never reaches the RBAC filter");
    });

    it("HTTP through the gateway with ISTIO_MUTUAL: host-based rules apply", () => {
        const objs: K8sObject[] = [
            nsObj("apps"),
            deploy("apps", "web", "web"),
            istio("ServiceEntry", "istio-egress", "httpbin", {
                hosts: ["httpbin.org"],
                ports: [{ number: 80, name: "http", protocol: "HTTP" }],
                resolution: "DNS",
            }),
            istio("Gateway", "istio-egress", "gw", {
                selector: { istio: "egressgateway" },
                servers: [{ port: { number: 80, name: "https", protocol: "HTTPS" }, hosts: ["httpbin.org"], tls: { mode: "ISTIO_MUTUAL" } }],
            }),
            // The sidecar wraps the request in Istio mTLS only when a DestinationRule says so (gateway pods are not
            // auto-mTLS endpoints), with the SNI the server's filter chain matches.
            istio("DestinationRule", "istio-egress", "gw", { host: GW_SVC, trafficPolicy: { tls: { mode: "ISTIO_MUTUAL", sni: "httpbin.org" } } }),
            istio("VirtualService", "istio-egress", "httpbin", {
                hosts: ["httpbin.org"],
                gateways: ["mesh", "gw"],
                http: [
                    { match: [{ gateways: ["mesh"], port: 80 }], route: [{ destination: { host: GW_SVC, port: { number: 80 } } }] },
                    { match: [{ gateways: ["gw"], port: 80 }], route: [{ destination: { host: "httpbin.org", port: { number: 80 } } }] },
                ],
            }),
            istio("AuthorizationPolicy", "istio-egress", "only-other-host", {
                selector: { matchLabels: { istio: "egressgateway" } },
                rules: [{ to: [{ operation: { hosts: ["example.com"] } }] }],
            }),
            istio("Telemetry", "istio-system", "mesh-default", { accessLogging: [{ providers: [{ name: "envoy" }] }] }),
        ];
        const web = row(buildAccessReport(objs).rows, "apps/web (Deployment/web)", "httpbin.org");
        assert.strictEqual(web.gatewayRequest?.http, true);
        assert.strictEqual(web.gatewayRequest?.host, "httpbin.org");
        assert.strictEqual(web.gatewayDecision?.allowed, false);
        assert.strictEqual(web.path, "direct (bypass!)", "no NetworkPolicy in apps");
        assert.strictEqual(web.logged, false, "a bypass is never logged");
        const objs2 = [...objs, defaultDeny("apps"), allowGateway("apps", 80)];
        const web2 = row(buildAccessReport(objs2).rows, "apps/web (Deployment/web)", "httpbin.org");
        assert.strictEqual(web2.path, "gateway");
        assert.strictEqual(web2.verdict, "denied");
        assert.match(web2.rule, /no rule of the ALLOW policies istio-egress\/only-other-host/);
        assert.strictEqual(web2.logged, true, "mesh-wide Telemetry in the root namespace logs the gateway");
        assert.strictEqual(web2.outcome, "http-403", "an HTTP RBAC deny answers 403");
        // Without the DestinationRule the sidecar sends plaintext HTTP to the ISTIO_MUTUAL server: no handshake.
        const plain = row(buildAccessReport(objs2.filter((o) => o.kind !== "DestinationRule")).rows, "apps/web (Deployment/web)", "httpbin.org");
        assert.strictEqual(plain.verdict, "denied");
        assert.strictEqual(plain.path, "gateway");
        assert.strictEqual(plain.outcome, "http-503", "the sidecar answers 503 when the gateway refuses the connection");
        assert.match(plain.rule, /no filter chain on port 80 matches SNI \(none\)/, "plaintext carries no SNI: no TLS filter chain matches");
    });

    it("no VirtualService: the host is reached directly (logged only by the source's sidecar)", () => {
        const objs = [
            nsObj("apps"),
            deploy("apps", "web", "web"),
            istio("ServiceEntry", "apps", "api", { hosts: ["api.example.com"], ports: [{ number: 443, name: "tls", protocol: "TLS" }], resolution: "DNS" }),
            istio("ServiceEntry", "apps", "internal", {
                hosts: ["db.internal"],
                ports: [{ number: 5432, name: "tcp", protocol: "TCP" }],
                location: "MESH_INTERNAL",
            }),
            istio("Telemetry", "apps", "apps-logs", { accessLogging: [{ providers: [{ name: "envoy" }] }] }),
        ];
        const report = buildAccessReport(objs);
        assert.deepStrictEqual(
            report.hosts.map((h) => h.host),
            ["api.example.com"],
            "MESH_INTERNAL entries are not external hosts",
        );
        const web = row(report.rows, "apps/web (Deployment/web)", "api.example.com");
        assert.strictEqual(web.path, "direct");
        assert.strictEqual(web.verdict, "allowed");
        assert.strictEqual(web.logged, true);
    });

    it("a VirtualService exported only to its own namespace does not route other namespaces", () => {
        const objs = asmScenario().map((o) => (o.kind === "VirtualService" ? { ...o, spec: { ...recordAt(o, "spec"), exportTo: ["."] } } : o));
        const be = row(buildAccessReport(objs).rows, "demo-backend/backend (Deployment/backend)");
        assert.strictEqual(be.path, "blocked-by-networkpolicy", "without the route the traffic goes direct and meets default-deny");
    });

    it("a mesh route to the gateway without a gateway route is denied at the gateway", () => {
        const objs = asmScenario().map((o) => (o.kind === "VirtualService" ? { ...o, spec: { ...recordAt(o, "spec"), tcp: [] } } : o));
        const be = row(buildAccessReport(objs).rows, "demo-backend/backend (Deployment/backend)");
        assert.strictEqual(be.verdict, "denied");
        assert.strictEqual(be.path, "gateway");
        assert.strictEqual(be.ruleRef.kind, "VirtualService");
    });

    it("renders a table and a Mermaid diagram with labelled edges", () => {
        const report = buildAccessReport(asmScenario());
        const table = formatReportTable(report);
        assert.match(table, /^SOURCE\s+HOST\s+VERDICT\s+PATH\s+RULE\s+LOGGED/);
        assert.match(
            table,
            /demo-frontend\/frontend \(Deployment\/frontend\)\s+www\.aliyun\.com:443\s+denied\s+gateway\s+AuthorizationPolicy istio-egress\/deny-frontend-aliyun rule 0/,
        );
        const mmd = reportToMermaid(report);
        assert.match(mmd, /^flowchart LR\n/);
        assert.match(mmd, /subgraph ns\d+\["namespace demo-frontend"\]/);
        assert.match(
            mmd,
            /src\d+ --x\|"denied: www\.aliyun\.com:443 \(AuthorizationPolicy istio-egress\/deny-frontend-aliyun rule 0 \(DENY\)\), logged"\| gw\d+/,
        );
        assert.match(mmd, /src\d+ -->\|"allowed: www\.aliyun\.com:443, logged"\| gw\d+/);
        assert.match(mmd, /gw\d+ --> host\d+/);
        assert.match(mmd, /-\.->\|"allowed: BYPASS, direct/);
    });
});

describe("analysis: egress access report on Istio's reference YAML", () => {
    const refDir = path.resolve(__dirname, "../..", "../shared/reference/istio-docs");
    const load = (file: string): K8sObject[] => yamlObjects(fs.readFileSync(path.join(refDir, file), "utf8"));
    const client = deploy("default", "sleep", "sleep");

    beforeEach(function () {
        if (!fs.existsSync(refDir)) {
            console.log("    ../shared/reference absent (a user's clone); skipping");
            this.skip();
        }
    });

    it("HTTP egress gateway (docs task): routed through the gateway, HTTP seen, no caller identity without ISTIO_MUTUAL", () => {
        const report = buildAccessReport([...load("01-egress-http-istio-apis.yaml"), client]);
        const r = row(report.rows, "default/sleep (Deployment/sleep)", "edition.cnn.com");
        assert.strictEqual(r.port, 80);
        assert.strictEqual(r.gateway, "default/istio-egressgateway");
        assert.strictEqual(r.gatewayRequest?.http, true);
        assert.strictEqual(r.gatewayRequest?.host, "edition.cnn.com");
        assert.strictEqual(r.gatewayRequest?.source.principal, undefined);
        assert.strictEqual(r.path, "direct (bypass!)", "the task applies no NetworkPolicy");
        assert.strictEqual(report.gateways[0].podNamespace, "istio-system");
        const r443 = report.rows.find((x) => x.host === "edition.cnn.com" && x.port === 443)!;
        assert.strictEqual(r443.path, "direct", "the task routes only port 80 through the gateway");
    });

    it("TLS passthrough (docs task): the gateway sees only the SNI", () => {
        const objs = [
            ...load("03-egress-tls-passthrough-istio-apis.yaml"),
            client,
            np("default", "deny", {
                podSelector: {},
                policyTypes: ["Egress"],
                egress: [{ to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "istio-system" } } }] }],
            }),
        ];
        const r = row(buildAccessReport(objs).rows, "default/sleep (Deployment/sleep)", "edition.cnn.com");
        assert.strictEqual(r.path, "gateway");
        assert.strictEqual(r.verdict, "allowed");
        assert.strictEqual(r.gatewayRequest?.sni, "edition.cnn.com");
        assert.strictEqual(r.gatewayRequest?.source.principal, undefined);
        assert.ok(r.notes.some((n) => /cannot tell sources apart/.test(n)));
        assert.strictEqual(r.logged, false, "the task configures no Telemetry");
    });

    it("TLS wrapped in ISTIO_MUTUAL (2023 blog): identity at the gateway, pods found via the Service namespace, mesh-wide logging", () => {
        const objs = [
            ...load("06-egress-istio-mutual-tls-wrapped-blog2023.yaml"),
            client,
            defaultDeny("default"),
            np("default", "to-gw", {
                podSelector: {},
                policyTypes: ["Egress"],
                egress: [{ to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "istio-egress" } } }] }],
            }),
        ];
        const report = buildAccessReport(objs);
        const r = row(report.rows, "default/sleep (Deployment/sleep)", "*.wikipedia.org");
        assert.strictEqual(r.path, "gateway");
        assert.strictEqual(r.gateway, "istio-system/egressgateway");
        assert.deepStrictEqual(report.gateways[0], {
            gateway: "istio-system/egressgateway",
            podNamespace: "istio-egress",
            podLabels: { istio: "egressgateway" },
            service: "egressgateway.istio-egress.svc.cluster.local",
        });
        assert.strictEqual(r.gatewayRequest?.http, false);
        assert.strictEqual(r.gatewayRequest?.source.principal, "cluster.local/ns/default/sa/sleep");
        // No sni in the DestinationRule: istiod's default SNI for ISTIO_MUTUAL is the cluster's name
        // (pilot/pkg/networking/core/cluster_builder.go, model.BuildDNSSrvSubsetKey), not the application's host.
        assert.strictEqual(r.gatewayRequest?.sni, "outbound_.443_.wildcard_.egressgateway.istio-egress.svc.cluster.local");
        assert.strictEqual(r.logged, true, "the blog's mesh-wide Telemetry in istio-system");
        assert.strictEqual(r.bypass, false);
    });
});

describe("analysis: egress access report, gateway port translation", () => {
    it("AuthorizationPolicy ports are matched on the gateway's container port (Service 443 → 8443)", () => {
        const withPorts = (port: string) =>
            asmScenario().map((o) =>
                o.metadata.name === "allow-authenticated"
                    ? istio("AuthorizationPolicy", "istio-egress", "allow-authenticated", {
                          selector: { matchLabels: { istio: "egressgateway" } },
                          rules: [{ from: [{ source: { principals: ["*"] } }], to: [{ operation: { ports: [port] } }] }],
                      })
                    : o,
            );
        const ok = row(buildAccessReport(withPorts("8443")).rows, "demo-backend/backend (Deployment/backend)");
        assert.strictEqual(ok.verdict, "allowed");
        assert.strictEqual(ok.gatewayRequest?.port, 8443);
        const wrong = row(buildAccessReport(withPorts("443")).rows, "demo-backend/backend (Deployment/backend)");
        assert.strictEqual(wrong.verdict, "denied", "the Service port is not what the gateway's listener sees");
    });
});
