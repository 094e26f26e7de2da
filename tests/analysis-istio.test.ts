/**
 * The access report against Istio's behaviour, on hand-written objects (issue 11): each scenario is the trick an
 * attacker or a misconfiguration plays, next to the same objects without it. The expectations follow istiod's
 * source (cited per test), not the component's intent.
 */
import * as assert from "assert";
import { AccessReport, AccessRow, buildAccessReport, formatReportTable, reportVerdict, ReportOptions } from "../sdk/analysis/report";
import type { K8sObject } from "../sdk/model";
import { listAt, recordAt } from "../sdk/model/read";
import { yamlObjects } from "./helpers/captured";
import { collectInventory } from "../sdk/analysis/inventory";
import { mergeServers } from "../sdk/analysis/gateway";
import { resolveMeshLeg, sidecarScopeFor } from "../sdk/analysis/sidecar";
import { egressReach, publicRanges, reachableIn } from "../sdk/analysis/reach";
import { describeClasses, requestClasses } from "../sdk/analysis/classes";

function load(text: string): K8sObject[] {
    return yamlObjects(text);
}

const GW_SVC = "istio-egressgateway.istio-egress.svc.cluster.local";

/** Our stack, written by hand: one TLS host and one HTTP host through an egress gateway in istio-egress. */
const BASE = `
apiVersion: v1
kind: Namespace
metadata: {name: istio-egress, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Namespace
metadata: {name: team-a, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Namespace
metadata: {name: team-b, labels: {istio-injection: enabled}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: istio-egressgateway, namespace: istio-egress}
spec:
  selector: {matchLabels: {app: istio-egressgateway, istio: egressgateway}}
  template:
    metadata:
      labels: {app: istio-egressgateway, istio: egressgateway, sidecar.istio.io/inject: "true"}
      annotations: {inject.istio.io/templates: gateway}
    spec:
      serviceAccountName: istio-egressgateway
      containers: [{name: istio-proxy, image: auto}]
---
apiVersion: v1
kind: Service
metadata: {name: istio-egressgateway, namespace: istio-egress}
spec:
  selector: {app: istio-egressgateway, istio: egressgateway}
  ports:
  - {name: tls, port: 443, targetPort: 8443}
  - {name: https-mtls, port: 80, targetPort: 8080}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: egress-gateway, namespace: istio-egress}
spec:
  selector: {istio: egressgateway}
  servers:
  - port: {number: 443, name: tls-api, protocol: TLS}
    hosts: [api.example.com]
    tls: {mode: ISTIO_MUTUAL}
  - port: {number: 80, name: https-mtls, protocol: HTTPS}
    hosts: [httpbin.org]
    tls: {mode: ISTIO_MUTUAL}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: egress-gateway, namespace: istio-egress}
spec:
  host: ${GW_SVC}
  trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}
  subsets:
  - name: api
    trafficPolicy: {portLevelSettings: [{port: {number: 443}, tls: {mode: ISTIO_MUTUAL, sni: api.example.com}}]}
  - name: httpbin
    trafficPolicy: {portLevelSettings: [{port: {number: 80}, tls: {mode: ISTIO_MUTUAL, sni: httpbin.org}}]}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: api, namespace: istio-egress}
spec:
  hosts: [api.example.com]
  location: MESH_EXTERNAL
  resolution: DNS
  ports: [{number: 443, name: tls, protocol: TLS}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: httpbin, namespace: istio-egress}
spec:
  hosts: [httpbin.org]
  location: MESH_EXTERNAL
  resolution: DNS
  ports: [{number: 80, name: http, protocol: HTTP}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api, namespace: istio-egress}
spec:
  hosts: [api.example.com]
  gateways: [mesh, istio-egress/egress-gateway]
  tls:
  - match: [{gateways: [mesh], port: 443, sniHosts: [api.example.com]}]
    route: [{destination: {host: ${GW_SVC}, subset: api, port: {number: 443}}}]
  tcp:
  - match: [{gateways: [istio-egress/egress-gateway], port: 443}]
    route: [{destination: {host: api.example.com, port: {number: 443}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: httpbin, namespace: istio-egress}
spec:
  hosts: [httpbin.org]
  gateways: [mesh, istio-egress/egress-gateway]
  http:
  - match: [{gateways: [mesh], port: 80}]
    route: [{destination: {host: ${GW_SVC}, subset: httpbin, port: {number: 80}}}]
  - match: [{gateways: [istio-egress/egress-gateway], port: 80}]
    route: [{destination: {host: httpbin.org, port: {number: 80}}}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: default-deny, namespace: istio-egress}
spec:
  selector: {matchLabels: {istio: egressgateway}}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: allow, namespace: istio-egress}
spec:
  selector: {matchLabels: {istio: egressgateway}}
  action: ALLOW
  rules:
  - from: [{source: {namespaces: [team-a]}}]
    to: [{operation: {ports: ["8443"]}}]
    when: [{key: connection.sni, values: [api.example.com]}]
  - from: [{source: {namespaces: [team-a]}}]
    to: [{operation: {ports: ["8080"], hosts: [httpbin.org, "httpbin.org:*"]}}]
---
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: access-logs, namespace: istio-egress}
spec:
  selector: {matchLabels: {istio: egressgateway}}
  accessLogging: [{providers: [{name: envoy}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny-egress, namespace: team-a}
spec: {podSelector: {}, policyTypes: [Egress]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: to-egress-gateway, namespace: team-a}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: istio-egress}}, podSelector: {matchLabels: {istio: egressgateway}}}]
    ports: [{port: 8443}, {port: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: client, namespace: team-a}
spec:
  selector: {matchLabels: {app: client}}
  template:
    metadata: {labels: {app: client}}
    spec: {serviceAccountName: client, containers: [{name: app, image: curl}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: client, namespace: team-b}
spec:
  selector: {matchLabels: {app: client}}
  template:
    metadata: {labels: {app: client}}
    spec: {serviceAccountName: client, containers: [{name: app, image: curl}]}
`;

/** Istio's stock egress gateway (istioctl / operator install) in istio-system, with the same labels. */
const STOCK = `
apiVersion: v1
kind: Namespace
metadata: {name: istio-system}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: istio-egressgateway, namespace: istio-system}
spec:
  selector: {matchLabels: {app: istio-egressgateway, istio: egressgateway}}
  template:
    metadata: {labels: {app: istio-egressgateway, istio: egressgateway}}
    spec:
      serviceAccountName: istio-egressgateway-service-account
      containers:
      - name: istio-proxy
        image: docker.io/istio/proxyv2:1.29.0
        args: [proxy, router, --domain, $(POD_NAMESPACE).svc.cluster.local]
---
apiVersion: v1
kind: Service
metadata: {name: istio-egressgateway, namespace: istio-system}
spec:
  selector: {app: istio-egressgateway, istio: egressgateway}
  ports:
  - {name: http2, port: 80, targetPort: 8080}
  - {name: https, port: 443, targetPort: 8443}
`;

function rowsOf(report: AccessReport, ns: string, host: string, kind: AccessRow["kind"] = "request"): AccessRow[] {
    return report.rows.filter((r) => r.namespace === ns && r.host === host && r.kind === kind && r.workload === "Deployment/client");
}

function one(report: AccessReport, ns: string, host: string, kind: AccessRow["kind"] = "request"): AccessRow {
    const rows = rowsOf(report, ns, host, kind);
    assert.strictEqual(
        rows.length,
        1,
        `one ${kind} row for ${ns} → ${host}; got ${rows.map((r) => `${r.request ?? "*"}: ${r.verdict} ${r.path}`).join(" | ") || "none"}`,
    );
    return rows[0];
}

function report(text: string, options: ReportOptions = {}): AccessReport {
    return buildAccessReport(load(text), options);
}

function replaceDoc(text: string, kind: string, name: string, replacement: string): string {
    const docs = text.split(/^---$/m);
    const i = docs.findIndex((d) => new RegExp(`^kind: ${kind}$`, "m").test(d) && new RegExp(`name: ${name}[,}\\s]`).test(d));
    assert.ok(i >= 0, `no ${kind} ${name} in the scenario`);
    docs[i] = `\n${replacement.trim()}\n`;
    return docs.join("---");
}

describe("access report vs Istio: the base scenario", () => {
    it("team-a reaches both hosts through the gateway, by identity, logged; team-b is refused by the gateway", () => {
        const r = report(BASE);
        const api = one(r, "team-a", "api.example.com");
        assert.strictEqual(api.verdict, "allowed", api.rule);
        assert.strictEqual(api.path, "gateway");
        assert.strictEqual(api.gatewayRequest?.sni, "api.example.com");
        assert.strictEqual(api.gatewayRequest?.source.principal, "cluster.local/ns/team-a/sa/client");
        assert.strictEqual(api.upstream, "api.example.com:443");
        assert.strictEqual(api.logged, true);
        const http = one(r, "team-a", "httpbin.org");
        assert.strictEqual(http.verdict, "allowed", http.rule);
        assert.strictEqual(http.gatewayRequest?.http, true);
        const b = one(r, "team-b", "api.example.com");
        assert.strictEqual(b.path, "direct (bypass!)", "team-b has no NetworkPolicy");
        assert.strictEqual(b.outcome, "connection-reset", "through its sidecar, the gateway's TCP RBAC closes the connection");
        assert.strictEqual(reportVerdict(r).pass, false, "team-b can go around the gateway");
    });
});

describe("access report vs Istio: item 1, a stock egress gateway with the same labels", () => {
    // pilot/pkg/model/push_context.go mergeGateways: a Gateway's selector picks gateway pods in every namespace
    // unless PILOT_SCOPE_GATEWAY_TO_NAMESPACE; AuthorizationPolicies apply by namespace and selector only.
    it("the stock pods get our Gateway's servers but none of our AuthorizationPolicies", () => {
        const r = report(BASE + "---" + STOCK);
        const stock = r.workloads.find((w) => w.id === "istio-system/Deployment/istio-egressgateway");
        assert.ok(stock, r.workloads.map((w) => w.id).join(", "));
        assert.deepStrictEqual(stock.gateways, ["istio-egress/egress-gateway"]);
        assert.deepStrictEqual(stock.foreignGateways, ["istio-egress/egress-gateway"]);
        assert.ok(stock.servers.some((s) => s.hosts.includes("api.example.com") && s.listenerPort === 8443));
        assert.deepStrictEqual(stock.authorizationPolicies, [], "istio-egress's policies do not apply in istio-system");
        const ours = r.workloads.find((w) => w.id === "istio-egress/Deployment/istio-egressgateway")!;
        assert.deepStrictEqual(ours.authorizationPolicies, ["istio-egress/default-deny", "istio-egress/allow"]);
        assert.ok(r.findings.some((f) => /istio-system\/Deployment\/istio-egressgateway get the servers of istio-egress\/egress-gateway/.test(f.message)));
    });

    it("a caller that can reach the stock pods gets the host without an authorization check; NetworkPolicy stops the protected one", () => {
        const r = report(BASE + "---" + STOCK);
        const b = one(r, "team-b", "api.example.com", "alternate-gateway");
        assert.strictEqual(b.gatewayWorkload, "istio-system/Deployment/istio-egressgateway");
        assert.strictEqual(b.verdict, "allowed", b.rule);
        assert.strictEqual(b.gatewayDecision?.action, "NONE", "no policy applies to the stock pods");
        assert.strictEqual(b.upstream, "api.example.com:443");
        assert.strictEqual(b.logged, false, "our Telemetry selects only our namespace's pods");
        assert.ok(
            r.findings.some(
                (f) => f.severity === "critical" && /team-b\/client .* reaches api\.example\.com through the gateway pods istio-system/.test(f.message),
            ),
        );
        const a = one(r, "team-a", "api.example.com", "alternate-gateway");
        assert.strictEqual(a.verdict, "denied");
        assert.strictEqual(a.path, "blocked-by-networkpolicy", "team-a's egress policy admits only istio-egress's gateway pods");
        assert.strictEqual(a.outcome, "tcp-timeout");
    });

    it("with PILOT_SCOPE_GATEWAY_TO_NAMESPACE the stock pods get none of our servers", () => {
        const r = report(BASE + "---" + STOCK, { scopeGatewayToNamespace: true });
        const stock = r.workloads.find((w) => w.id === "istio-system/Deployment/istio-egressgateway")!;
        assert.deepStrictEqual(stock.gateways, []);
        assert.deepStrictEqual(stock.servers, []);
        assert.strictEqual(rowsOf(r, "team-b", "api.example.com", "alternate-gateway").length, 0);
        assert.strictEqual(one(r, "team-a", "api.example.com").verdict, "allowed", "our own pods keep the servers of their namespace's Gateway");
    });

    it("the setting is read from an istiod Helm release in the objects", () => {
        const r = report(BASE + "---" + STOCK, {
            helmReleases: [
                { name: "istiod", namespace: "istio-system", chart: "istiod", values: { pilot: { env: { PILOT_SCOPE_GATEWAY_TO_NAMESPACE: "true" } } } },
            ],
        });
        assert.deepStrictEqual(r.workloads.find((w) => w.id === "istio-system/Deployment/istio-egressgateway")!.gateways, []);
        assert.ok(r.warnings.some((w) => /PILOT_SCOPE_GATEWAY_TO_NAMESPACE=true from Helm release istio-system\/istiod/.test(w)));
    });

    it("without the stock pods among the objects, a Gateway selecting the stock labels is still flagged (the cluster may run it)", () => {
        const hypothetical = (r: AccessReport) => r.findings.filter((f) => /labels of Istio's stock egress gateway/.test(f.message));
        assert.strictEqual(hypothetical(report(BASE)).length, 1);
        assert.strictEqual(hypothetical(report(BASE)).at(0)?.severity, "warning");
        assert.strictEqual(hypothetical(report(BASE, { scopeGatewayToNamespace: true })).length, 0);
        assert.strictEqual(
            hypothetical(
                report(
                    BASE.replace(
                        "  selector: {istio: egressgateway}\n  servers:",
                        "  selector: {istio: egressgateway, egress.example.com/owner: platform}\n  servers:",
                    ),
                ),
            ).length,
            0,
            "a label the stock pods lack",
        );
        assert.strictEqual(hypothetical(report(BASE + "---" + STOCK)).length, 0, "the concrete finding replaces the hypothetical one");
    });

    it("an application pod copying the gateway's labels is still a source, not a gateway (labels grant nothing)", () => {
        const fake = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: fake-gateway, namespace: team-b}
spec:
  selector: {matchLabels: {istio: egressgateway}}
  template:
    metadata: {labels: {istio: egressgateway}}
    spec: {containers: [{name: app, image: curl}]}
`;
        const r = report(BASE + "---" + fake);
        assert.ok(r.sources.some((s) => s.workload === "Deployment/fake-gateway"));
        assert.ok(!r.workloads.some((w) => w.id === "team-b/Deployment/fake-gateway"));
        assert.ok(
            r.warnings.some((w) => /fake-gateway carries the labels of Gateway istio-egress\/egress-gateway's selector but runs no gateway proxy/.test(w)),
        );
    });
});

describe("access report vs Istio: item 2, a VirtualService of another namespace bound to our Gateway", () => {
    // pilot/pkg/networking/core/gateway.go buildGatewayNetworkFiltersFromTCPRoutes: the first VirtualService (in
    // VirtualServicesForGateway order: creation time, then name) whose hosts meet the server's wins;
    // pickMatchingGatewayHosts lets a server host `ns/h` match only VirtualServices of namespace ns.
    const HIJACK = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: aaa-hijack, namespace: team-b}
spec:
  hosts: [api.example.com]
  gateways: [istio-egress/egress-gateway]
  tcp:
  - match: [{gateways: [istio-egress/egress-gateway], port: 443}]
    route: [{destination: {host: evil.example.net, port: {number: 443}}}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: evil, namespace: team-b}
spec:
  hosts: [evil.example.net]
  location: MESH_EXTERNAL
  resolution: DNS
  ports: [{number: 443, name: tls, protocol: TLS}]
`;

    it("with bare server hosts it takes over the allowed host's route (it sorts first)", () => {
        const r = report(BASE + "---" + HIJACK);
        const a = one(r, "team-a", "api.example.com");
        assert.strictEqual(a.verdict, "allowed", "the gateway still authorizes team-a for the SNI");
        assert.strictEqual(a.upstream, "evil.example.net:443", "but forwards it where team-b's VirtualService says");
        assert.strictEqual(a.routes?.gateway, "VirtualService team-b/aaa-hijack tcp[0]");
        assert.ok(
            r.findings.some(
                (f) =>
                    f.severity === "critical" &&
                    /VirtualService team-b\/aaa-hijack .* routes api\.example\.com on Gateway istio-egress\/egress-gateway/.test(f.message),
            ),
        );
    });

    it("created after ours, it loses — and the report says the order decided it", () => {
        const stamped = BASE.replace(
            "metadata: {name: api, namespace: istio-egress}\nspec:\n  hosts: [api.example.com]\n  gateways",
            "metadata: {name: api, namespace: istio-egress, creationTimestamp: '2025-01-01T00:00:00Z'}\nspec:\n  hosts: [api.example.com]\n  gateways",
        );
        const r = report(
            stamped +
                "---" +
                HIJACK.replace("name: aaa-hijack, namespace: team-b}", "name: aaa-hijack, namespace: team-b, creationTimestamp: '2025-06-01T00:00:00Z'}"),
        );
        const a = one(r, "team-a", "api.example.com");
        assert.strictEqual(a.upstream, "api.example.com:443");
        assert.ok(
            r.findings.some(
                (f) =>
                    f.severity === "critical" &&
                    /VirtualService team-b\/aaa-hijack also claims api\.example\.com .* would send it to evil\.example\.net:443; istio-egress\/api wins by creation time, until it is recreated/.test(
                        f.message,
                    ),
            ),
        );
    });

    it("with server hosts `istio-egress/api.example.com` it cannot attach", () => {
        const bound = BASE.replace(
            "    hosts: [api.example.com]\n    tls: {mode: ISTIO_MUTUAL}",
            "    hosts: [istio-egress/api.example.com]\n    tls: {mode: ISTIO_MUTUAL}",
        );
        const r = report(bound + "---" + HIJACK);
        const a = one(r, "team-a", "api.example.com");
        assert.strictEqual(a.upstream, "api.example.com:443");
        assert.strictEqual(a.routes?.gateway, "VirtualService istio-egress/api tcp[0]");
        assert.ok(!r.findings.some((f) => /aaa-hijack/.test(f.message)), r.findings.map((f) => f.message).join("\n"));
    });
});

describe("access report vs Istio: item 5, overlapping TLS hosts at the gateway", () => {
    // A wildcard and a concrete host under it, each with its own server, subset SNI and VirtualService.
    const wild = (wildName: string, apiName: string) => `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: egress-gateway, namespace: istio-egress}
spec:
  selector: {istio: egressgateway}
  servers:
  - port: {number: 443, name: tls-wild, protocol: TLS}
    hosts: ["*.example.com"]
    tls: {mode: ISTIO_MUTUAL}
  - port: {number: 443, name: tls-api, protocol: TLS}
    hosts: [api.example.com]
    tls: {mode: ISTIO_MUTUAL}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: egress-gateway, namespace: istio-egress}
spec:
  host: ${GW_SVC}
  subsets:
  - name: wild
    trafficPolicy: {tls: {mode: ISTIO_MUTUAL, sni: www.example.com}}
  - name: api
    trafficPolicy: {tls: {mode: ISTIO_MUTUAL, sni: api.example.com}}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: wild, namespace: istio-egress}
spec:
  hosts: ["*.example.com"]
  location: MESH_EXTERNAL
  resolution: NONE
  ports: [{number: 443, name: tls, protocol: TLS}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: wild-upstream, namespace: istio-egress}
spec:
  hosts: [www.example.com]
  location: MESH_EXTERNAL
  resolution: DNS
  exportTo: ["."]
  ports: [{number: 443, name: tls, protocol: TLS}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: api, namespace: istio-egress}
spec:
  hosts: [api.example.com]
  location: MESH_EXTERNAL
  resolution: DNS
  ports: [{number: 443, name: tls, protocol: TLS}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${wildName}, namespace: istio-egress}
spec:
  hosts: ["*.example.com"]
  gateways: [mesh, istio-egress/egress-gateway]
  tls:
  - match: [{gateways: [mesh], port: 443, sniHosts: ["*.example.com"]}]
    route: [{destination: {host: ${GW_SVC}, subset: wild, port: {number: 443}}}]
  tcp:
  - match: [{gateways: [istio-egress/egress-gateway], port: 443}]
    route: [{destination: {host: www.example.com, port: {number: 443}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${apiName}, namespace: istio-egress}
spec:
  hosts: [api.example.com]
  gateways: [mesh, istio-egress/egress-gateway]
  tls:
  - match: [{gateways: [mesh], port: 443, sniHosts: [api.example.com]}]
    route: [{destination: {host: ${GW_SVC}, subset: api, port: {number: 443}}}]
  tcp:
  - match: [{gateways: [istio-egress/egress-gateway], port: 443}]
    route: [{destination: {host: api.example.com, port: {number: 443}}}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: allow, namespace: istio-egress}
spec:
  selector: {matchLabels: {istio: egressgateway}}
  rules:
  - from: [{source: {namespaces: [team-a]}}]
    when: [{key: connection.sni, values: [api.example.com]}]
  - from: [{source: {namespaces: [team-b]}}]
    when: [{key: connection.sni, values: [www.example.com]}]
`;
    const scenario = (wildName: string, apiName: string) => {
        // BASE's routing objects give way to the overlapping ones (its workloads, Service and NetworkPolicies stay).
        const keep = load(BASE).filter((o) => !["Gateway", "DestinationRule", "ServiceEntry", "VirtualService", "AuthorizationPolicy"].includes(o.kind));
        return [...keep, ...load(wild(wildName, apiName))];
    };

    it("the sidecar sends each SNI by its most specific match (api.example.com is not taken by the wildcard)", () => {
        // pilot/pkg/networking/core/tls.go: one filter chain per sniHosts; Envoy picks the most specific server name.
        const r = buildAccessReport(scenario("aaa-wild", "api"));
        const a = one(r, "team-a", "api.example.com");
        assert.strictEqual(a.routes?.mesh, "VirtualService istio-egress/api tls[0] (SNI api.example.com)");
    });

    it("at the gateway the first VirtualService overlapping a server's hosts takes both servers' traffic: api-first", () => {
        const r = buildAccessReport(scenario("wildcard", "api"));
        // *.example.com: outer SNI www.example.com → the *.example.com chain → first overlapping VS: "api" (sorts first).
        const w = one(r, "team-b", "*.example.com");
        assert.strictEqual(w.requestHost, "sample.example.com");
        assert.strictEqual(w.gatewayRequest?.sni, "www.example.com");
        assert.strictEqual(w.routes?.gateway, "VirtualService istio-egress/api tcp[0]");
        assert.strictEqual(w.upstream, "api.example.com:443", "wildcard traffic lands on api.example.com");
        const a = one(r, "team-a", "api.example.com");
        assert.strictEqual(a.upstream, "api.example.com:443");
        assert.ok(
            r.findings.some(
                (f) =>
                    f.severity === "critical" &&
                    /^\*\.example\.com is forwarded by VirtualService istio-egress\/api \(written for api\.example\.com\) to api\.example\.com:443, not by its own istio-egress\/wildcard to www\.example\.com:443/.test(
                        f.message,
                    ),
            ),
            r.findings.map((f) => f.message).join("\n"),
        );
        assert.strictEqual(reportVerdict(r).pass, false);
    });

    it("…and wildcard-first: api.example.com traffic goes to the wildcard's upstream", () => {
        const r = buildAccessReport(scenario("aaa-wild", "api"));
        const a = one(r, "team-a", "api.example.com");
        assert.strictEqual(a.gatewayRequest?.sni, "api.example.com", "the api chain is the exact SNI match");
        assert.strictEqual(a.routes?.gateway, "VirtualService istio-egress/aaa-wild tcp[0]");
        assert.strictEqual(a.upstream, "www.example.com:443");
    });

    it("the wildcard's upstream is not a host of its own: exported to the gateway's namespace only", () => {
        const r = buildAccessReport(scenario("wildcard", "api"));
        assert.strictEqual(rowsOf(r, "team-a", "www.example.com").length, 0);
        assert.deepStrictEqual(r.hosts.find((h) => h.host === "www.example.com")?.upstreamOf, ["*.example.com"]);
        assert.strictEqual(r.hosts.find((h) => h.host === "www.example.com")?.exportTo, "istio-egress");
    });

    it("hosts sharing an outer SNI share ALLOW rules: a connection.sni rule for one host opens the other", () => {
        // Both subsets set sni www.example.com: team-b's rule (meant for the wildcard) matches api.example.com too.
        const objs = scenario("wildcard", "api").map((o) =>
            o.kind === "DestinationRule"
                ? {
                      ...o,
                      spec: {
                          ...recordAt(o, "spec"),
                          subsets: listAt(o, "spec", "subsets").map((s) => ({
                              ...recordAt(s),
                              trafficPolicy: { tls: { mode: "ISTIO_MUTUAL", sni: "www.example.com" } },
                          })),
                      },
                  }
                : o,
        );
        const r = buildAccessReport(objs);
        const teamB = r.rows.find(
            (x) => x.namespace === "team-b" && x.workload === "Deployment/client" && x.host === "api.example.com" && x.kind === "request",
        )!;
        assert.strictEqual(teamB.gatewayDecision?.allowed, true);
        assert.strictEqual(teamB.gatewayDecision?.ruleIndex, 1, "the wildcard's rule");
        assert.strictEqual(teamB.gatewayRequest?.sni, "www.example.com");
    });
});

describe("access report vs Istio: item 4, which namespaces the gateway's NetworkPolicy admits", () => {
    const INGRESS = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ingress-from-protected, namespace: istio-egress}
spec:
  podSelector: {matchLabels: {istio: egressgateway}}
  policyTypes: [Ingress]
  ingress:
  - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: team-a}}}]
    ports: [{port: 8443}, {port: 8080}]
---
apiVersion: v1
kind: Namespace
metadata: {name: team-c, labels: {istio-injection: enabled}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny-egress, namespace: team-c}
spec: {podSelector: {}, policyTypes: [Egress]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: to-egress-gateway, namespace: team-c}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: istio-egress}}, podSelector: {matchLabels: {istio: egressgateway}}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: client, namespace: team-c}
spec:
  selector: {matchLabels: {app: client}}
  template:
    metadata: {labels: {app: client}}
    spec: {serviceAccountName: client, containers: [{name: app, image: curl}]}
`;
    const anyIdentity = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: allow, namespace: istio-egress}
spec:
  selector: {matchLabels: {istio: egressgateway}}
  rules: [{from: [{source: {principals: ["*"]}}]}]
`;

    it("a caller in a namespace the ingress policy does not admit gets a TCP timeout, not a 403 — even with 'any mesh identity'", () => {
        const r = report(replaceDoc(BASE, "AuthorizationPolicy", "allow", anyIdentity) + "---" + INGRESS);
        const c = one(r, "team-c", "api.example.com");
        assert.strictEqual(c.verdict, "denied");
        assert.strictEqual(c.path, "blocked-by-networkpolicy");
        assert.strictEqual(c.outcome, "tcp-timeout");
        assert.deepStrictEqual(c.ruleRef, { kind: "NetworkPolicy", name: "istio-egress/ingress-from-protected" });
        assert.strictEqual(c.gatewayDecision, undefined, "the connection never reaches the gateway's RBAC");
        assert.strictEqual(one(r, "team-a", "api.example.com").verdict, "allowed");
        // team-b has no NetworkPolicy of its own: through its sidecar it times out too (and it can bypass).
        const b = one(r, "team-b", "api.example.com");
        assert.strictEqual(b.outcome, "tcp-timeout");
        assert.strictEqual(b.path, "direct (bypass!)");
        const w = r.workloads.find((x) => x.id === "istio-egress/Deployment/istio-egressgateway")!;
        assert.deepStrictEqual(
            w.admits.find((x) => x.port === 8443),
            { port: 8443, namespaces: ["team-a"], otherNamespaces: false, isolatedBy: ["istio-egress/ingress-from-protected"] },
        );
    });

    it("a namespace that is not among the objects (otherNamespace) times out the same way, and never fails the verdict", () => {
        const r = report(
            BASE.replace(
                /metadata: \{name: client, namespace: team-b\}[\s\S]*$/,
                "metadata: {name: client, namespace: team-a-2}\nspec: {selector: {matchLabels: {app: x}}, template: {metadata: {labels: {app: x}}, spec: {containers: [{name: a, image: b}]}}}\n",
            ) +
                "---" +
                INGRESS,
            { otherNamespace: true },
        );
        const o = r.rows.find((x) => x.namespace === "other-namespace" && x.host === "api.example.com" && x.kind === "request")!;
        assert.strictEqual(o.outcome, "tcp-timeout");
        assert.ok(!r.findings.some((f) => f.message.startsWith("other-namespace/")), "the stack does not govern namespaces it does not know");
    });
});

describe("access report vs Istio: HTTP-only fields on TCP/TLS listeners", () => {
    // pilot/pkg/security/authz/model/model.go checkError: on a TCP filter chain an ALLOW rule with an HTTP-only
    // field is dropped (a smaller allow), a DENY rule loses the field (a wider deny).
    it("a GET-only ALLOW on the TLS host never matches: the rule is dropped, and the report says so", () => {
        const getOnly = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: allow, namespace: istio-egress}
spec:
  selector: {matchLabels: {istio: egressgateway}}
  rules:
  - from: [{source: {namespaces: [team-a]}}]
    to: [{operation: {methods: [GET]}}]
`;
        const r = report(replaceDoc(BASE, "AuthorizationPolicy", "allow", getOnly));
        const a = one(r, "team-a", "api.example.com");
        assert.strictEqual(a.verdict, "denied");
        assert.strictEqual(a.request, undefined, "on TCP no method is seen: one row");
        assert.deepStrictEqual(a.gatewayDecision?.droppedRules, ["istio-egress/allow rule 0 (spec.rules[0].to[0].operation.methods is HTTP-only)"]);
        assert.ok(a.notes.some((n) => /drops the ALLOW rules that use HTTP-only fields/.test(n)));
        // On the HTTP host the same rule tells GET from the rest.
        const h = rowsOf(r, "team-a", "httpbin.org");
        assert.deepStrictEqual(h.map((x) => [x.request, x.verdict]).sort(), [
            ["GET", "allowed"],
            ["other methods (POST)", "denied"],
        ]);
    });

    it("a POST-only DENY on the TLS host denies every connection in its scope", () => {
        const postDeny = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-post, namespace: istio-egress}
spec:
  selector: {matchLabels: {istio: egressgateway}}
  action: DENY
  rules:
  - from: [{source: {namespaces: [team-a]}}]
    to: [{operation: {methods: [POST]}}]
`;
        const r = report(BASE + "---" + postDeny);
        const a = one(r, "team-a", "api.example.com");
        assert.strictEqual(a.verdict, "denied");
        assert.deepStrictEqual(a.ruleRef, { kind: "AuthorizationPolicy", name: "istio-egress/deny-post", ruleIndex: 0 });
        assert.match(a.gatewayDecision!.reason, /widening the deny/);
        const h = rowsOf(r, "team-a", "httpbin.org");
        assert.deepStrictEqual(h.map((x) => [x.request, x.verdict, x.outcome]).sort(), [
            ["POST", "denied", "http-403"],
            ["other methods (GET)", "allowed", "connected"],
        ]);
    });
});

describe("access report vs Istio: item 9, methods and paths are evaluated", () => {
    it("rows per path class: an ALLOW for /public/* allows it and denies the rest", () => {
        const paths = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: allow, namespace: istio-egress}
spec:
  selector: {matchLabels: {istio: egressgateway}}
  rules:
  - from: [{source: {namespaces: [team-a]}}]
    to: [{operation: {ports: ["8080"], hosts: [httpbin.org], paths: ["/public/*"], methods: [GET, HEAD]}}]
`;
        const r = report(replaceDoc(BASE, "AuthorizationPolicy", "allow", paths));
        const h = rowsOf(r, "team-a", "httpbin.org");
        const allowed = h.filter((x) => x.verdict === "allowed");
        assert.strictEqual(allowed.length, 1);
        assert.strictEqual(allowed[0].request, "GET /public/*; HEAD /public/*");
        assert.strictEqual(allowed[0].gatewayRequest?.path, "/public/sample");
        const denied = h.filter((x) => x.verdict === "denied");
        assert.strictEqual(denied.length, 1);
        assert.strictEqual(denied[0].outcome, "http-403");
        assert.match(formatReportTable(r), /httpbin\.org:80 \[GET \/public\/\*; HEAD \/public\/\*\]\s+allowed/);
    });

    it("a path template {*} matches one segment", () => {
        const tpl = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: allow, namespace: istio-egress}
spec:
  selector: {matchLabels: {istio: egressgateway}}
  rules:
  - from: [{source: {namespaces: [team-a]}}]
    to: [{operation: {ports: ["8080"], paths: ["/repos/{*}/issues"]}}]
`;
        const r = report(replaceDoc(BASE, "AuthorizationPolicy", "allow", tpl));
        const h = rowsOf(r, "team-a", "httpbin.org");
        assert.deepStrictEqual(h.map((x) => [x.request, x.verdict]).sort(), [
            ["any method /repos/{*}/issues", "allowed"],
            ["any method other paths (/istio-egress-report/other)", "denied"],
        ]);
    });
});

describe("access report vs Istio: item 9, the verdict never passes a bypass", () => {
    it("a row that says `direct (bypass!)` fails the report's verdict, in the table too", () => {
        const r = report(BASE);
        assert.ok(r.rows.some((x) => x.path === "direct (bypass!)"));
        const v = reportVerdict(r);
        assert.strictEqual(v.pass, false);
        assert.ok(v.critical.some((f) => /team-b\/client .* can reach api\.example\.com:443 around the gateway/.test(f.message)));
        assert.match(formatReportTable(r), /report verdict: FAIL \(\d+ critical findings?\)\n$/);
    });

    it("the same stack with team-b locked down passes", () => {
        const locked =
            BASE +
            `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny-egress, namespace: team-b}
spec: {podSelector: {}, policyTypes: [Egress]}
`;
        const r = report(locked);
        assert.ok(!r.rows.some((x) => x.path === "direct (bypass!)"));
        assert.deepStrictEqual(reportVerdict(r), { pass: true, critical: [], text: "PASS" });
        assert.match(formatReportTable(r), /report verdict: PASS\n$/);
    });
});

describe("access report vs Istio: item 9, probing what an attacker would try", () => {
    const leaky = `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: leaks, namespace: team-a}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}]
    ports: [{port: 8443}, {port: 443, protocol: UDP}]
  - to: [{ipBlock: {cidr: 169.254.0.0/16}}]
  - to: [{ipBlock: {cidr: 10.0.0.0/8}}]
    ports: [{port: 6443}]
`;
    it("any public address on any port, UDP, metadata, NodeLocal DNS and the API server, symbolically", () => {
        const r = report(BASE + leaky);
        const probes = r.probes.filter((p) => p.source === "team-a/client (Deployment/client)");
        const find = (target: string, protocol: string, ports?: string) =>
            probes.find((p) => p.target === target && p.protocol === protocol && (ports === undefined || p.ports === ports))!;
        const tcp = find("public internet", "TCP");
        assert.strictEqual(tcp.allowed, true, "a public address on TCP 8443 (not a port of any host) is open");
        assert.match(tcp.reachable!, /on TCP 8443$/);
        assert.strictEqual(find("public internet", "UDP").allowed, true);
        assert.strictEqual(find("cloud metadata", "TCP").allowed, true);
        assert.strictEqual(find("NodeLocal DNSCache", "UDP").allowed, true);
        assert.strictEqual(find("Kubernetes API server", "TCP", "6443").allowed, true);
        assert.strictEqual(find("Kubernetes API server", "TCP", "443").allowed, false);
        assert.strictEqual(find("public DNS resolvers", "UDP").allowed, false);
        const b = r.probes.filter((p) => p.source === "team-b/client (Deployment/client)" && p.allowed).map((p) => `${p.target}/${p.protocol}`);
        assert.ok(b.includes("public internet/TCP") && b.includes("cloud metadata/TCP"), b.join(", "));
    });

    it("UDP on the host's port is a bypass even with the sidecar in place (QUIC is never captured)", () => {
        const r = report(BASE + leaky);
        const a = one(r, "team-a", "api.example.com");
        assert.strictEqual(a.bypass, true);
        assert.strictEqual(a.path, "direct (bypass!)");
        assert.ok(a.notes.some((n) => /over UDP \(HTTP\/3 QUIC is never captured by the sidecar/.test(n)));
        const lockedUdp = report(BASE + leaky.replace(", {port: 443, protocol: UDP}", ""));
        assert.strictEqual(one(lockedUdp, "team-a", "api.example.com").bypass, false, "TCP 8443 to the internet is no way to api.example.com:443");
    });

    it("direct reach is symbolic: an except list that happens to hold a sample address hides nothing", () => {
        // The old report probed 203.0.113.10 only; a rule opening the internet except that /24 went unseen.
        const sneaky = `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: sneaky, namespace: team-a}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0, except: [203.0.113.0/24, 10.0.0.0/8]}}], ports: [{port: 443}]}]
`;
        const a = one(report(BASE + sneaky), "team-a", "api.example.com");
        assert.strictEqual(a.bypass, true);
        assert.strictEqual(a.path, "direct (bypass!)");
        // A rule opening one provider range is no internet-wide bypass, but the row says where the pod can go.
        const narrow = one(
            report(BASE + sneaky.replace("{cidr: 0.0.0.0/0, except: [203.0.113.0/24, 10.0.0.0/8]}", "{cidr: 52.0.0.0/8}")),
            "team-a",
            "api.example.com",
        );
        assert.strictEqual(narrow.bypass, false);
        assert.ok(
            narrow.notes.some((n) =>
                /can reach part of the internet directly on 443: 52\.0\.0\.0\/8 \(team-a\/sneaky\); if api\.example\.com resolves there/.test(n),
            ),
            narrow.notes.join("\n"),
        );
    });

    it("the API server's real endpoints can be given", () => {
        const r = report(BASE + leaky, { apiServer: ["10.0.0.1:443", "172.20.0.10:6443"] });
        const api = r.probes.filter((p) => p.source === "team-a/client (Deployment/client)" && p.target === "Kubernetes API server");
        assert.deepStrictEqual(
            api.map((p) => [p.address.split(" ")[0], p.ports, p.allowed]),
            [
                ["10.0.0.1", "443", false],
                ["172.20.0.10", "6443", false],
            ],
        );
    });
});

describe("access report vs Istio: export scoping", () => {
    it("a ServiceEntry exported to team-a only is no host for team-b", () => {
        const scoped = BASE.replace(
            "  hosts: [api.example.com]\n  location: MESH_EXTERNAL\n  resolution: DNS\n",
            "  hosts: [api.example.com]\n  location: MESH_EXTERNAL\n  resolution: DNS\n  exportTo: [team-a, istio-egress]\n",
        );
        const r = report(scoped);
        assert.strictEqual(rowsOf(r, "team-b", "api.example.com").length, 0);
        assert.strictEqual(one(r, "team-a", "api.example.com").verdict, "allowed");
        assert.strictEqual(r.hosts.find((h) => h.host === "api.example.com")!.exportTo, "team-a,istio-egress");
    });

    it("the gateway's DestinationRule exported to its own namespace only: clients send no mTLS, the gateway closes the connection", () => {
        const dr = BASE.replace(
            "  host: " + GW_SVC + "\n  trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}",
            "  host: " + GW_SVC + '\n  exportTo: ["."]\n  trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}',
        );
        const r = report(dr);
        const a = one(r, "team-a", "api.example.com");
        assert.strictEqual(a.verdict, "denied");
        assert.strictEqual(a.outcome, "connection-reset");
        assert.match(a.rule, /no filter chain on port 8443 matches SNI api\.example\.com|requires Istio mTLS/);
    });

    it("without the subset's sni the outer SNI is istiod's default, which the server's hosts do not match", () => {
        const nosni = BASE.replace("tls: {mode: ISTIO_MUTUAL, sni: api.example.com}", "tls: {mode: ISTIO_MUTUAL}");
        const r = report(nosni);
        const a = one(r, "team-a", "api.example.com");
        assert.strictEqual(a.verdict, "denied");
        assert.match(a.rule, /no filter chain on port 8443 matches SNI outbound_\.443_\.api_\.istio-egressgateway\.istio-egress\.svc\.cluster\.local/);
    });

    it("a Sidecar importing only its own namespace hides the routes: the host is not in the pod's registry", () => {
        const sidecar = `---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: team-a}
spec:
  egress: [{hosts: ["./*", "istio-system/*"]}]
  outboundTrafficPolicy: {mode: REGISTRY_ONLY}
`;
        const r = report(BASE + sidecar);
        assert.strictEqual(rowsOf(r, "team-a", "api.example.com").length, 0);
        assert.strictEqual(rowsOf(r, "team-b", "api.example.com").length, 1);
    });
});

describe("access report steps, each alone", () => {
    it("collect: a gateway proxy is recognised by its injection template or router args, never by labels", () => {
        const inv = collectInventory(load(BASE + "---" + STOCK));
        assert.deepStrictEqual(inv.gatewayPods.map((p) => p.id).sort(), [
            "istio-egress/Deployment/istio-egressgateway",
            "istio-system/Deployment/istio-egressgateway",
        ]);
        assert.ok(!inv.sources.some((s) => s.workload === "Deployment/istio-egressgateway"));
    });

    it("resolve: servers repeating a TLS host on a port are dropped, the earlier Gateway keeps it", () => {
        const dup = `---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: zz-second, namespace: team-b}
spec:
  selector: {istio: egressgateway}
  servers:
  - port: {number: 443, name: tls, protocol: TLS}
    hosts: [api.example.com]
    tls: {mode: PASSTHROUGH}
`;
        const inv = collectInventory(load(BASE + dup));
        const servers = mergeServers(inv, inv.gatewayPods[0]);
        const second = servers.find((s) => s.gatewayId === "team-b/zz-second")!;
        assert.match(second.skipped!, /duplicate host api\.example\.com on port 8443/);
    });

    it("resolve (sidecar): a VirtualService without a route for the port builds no virtual host; the host's own one applies", () => {
        // route.go buildSidecarVirtualHostsForVirtualService returns nothing when no route matches the listener port.
        const objs = load(
            BASE.replace(
                "  - match: [{gateways: [mesh], port: 80}]\n    route: [{destination: {host: " + GW_SVC + ", subset: httpbin",
                "  - match: [{gateways: [mesh], port: 8080}]\n    route: [{destination: {host: " + GW_SVC + ", subset: httpbin",
            ),
        );
        const inv = collectInventory(objs);
        const src = inv.sources.find((x) => x.namespace === "team-a" && x.workload === "Deployment/client")!;
        const leg = resolveMeshLeg(
            inv,
            sidecarScopeFor(inv, src),
            inv.hosts.find((h) => h.host === "httpbin.org")!,
            { host: "httpbin.org", method: "GET", path: "/" },
        );
        assert.strictEqual(leg.kind, "default");
        assert.deepStrictEqual(leg.destinations, [{ host: "httpbin.org", port: 80, weight: 100 }]);
    });

    it("resolve (sidecar): REGISTRY_ONLY turns an unmatched SNI into the BlackHoleCluster", () => {
        const inv = collectInventory(load(BASE), { mesh: { outboundTrafficPolicy: "REGISTRY_ONLY" } });
        const src = inv.sources.find((x) => x.namespace === "team-a" && x.workload === "Deployment/client")!;
        const leg = resolveMeshLeg(
            inv,
            sidecarScopeFor(inv, src),
            inv.hosts.find((h) => h.host === "api.example.com")!,
            { host: "unknown.example.org" },
        );
        assert.strictEqual(leg.kind, "blackhole");
    });

    it("probe: the reach of egress rules is computed over address ranges, not sampled", () => {
        const objs = load(BASE);
        const reach = egressReach(objs, { namespace: "team-a", labels: { app: "client" } });
        assert.strictEqual(reach.isolated, true);
        assert.deepStrictEqual(reachableIn(reach, publicRanges(), "TCP").ranges, [], "team-a reaches only the gateway pods");
        const open = egressReach(objs, { namespace: "team-b", labels: {} });
        assert.strictEqual(open.isolated, false);
        assert.ok(reachableIn(open, publicRanges(), "UDP", 443).ranges.length > 0);
    });

    it("classes: one class when nothing tells requests apart; named classes otherwise", () => {
        assert.deepStrictEqual(
            requestClasses([], [], "h.example.com").map((c) => [c.method, c.path]),
            [["GET", "/"]],
        );
        const pol = load(`
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: p, namespace: istio-egress}
spec: {rules: [{to: [{operation: {methods: [GET], paths: ["/a/*"]}}]}]}
`);
        const classes = requestClasses(pol, [], "h.example.com");
        assert.deepStrictEqual(
            classes.map((c) => `${c.method} ${c.path}`),
            ["GET /a/sample", "GET /istio-egress-report/other", "POST /a/sample", "POST /istio-egress-report/other"],
        );
        assert.strictEqual(
            describeClasses(
                classes.filter((c) => c.method === "GET"),
                classes,
            ),
            "GET",
        );
        assert.strictEqual(describeClasses([classes[0]], classes), "GET /a/*");
    });

    it("decide + format: the table names the request class, the Mermaid diagram keeps its edges", () => {
        const r = report(BASE);
        const text = formatReportTable(r);
        assert.match(text, /^SOURCE\s+HOST\s+VERDICT\s+PATH\s+RULE\s+LOGGED/);
        assert.match(text, /gateway workloads/);
        assert.match(text, /ingress on 8443: not isolated/);
    });
});
