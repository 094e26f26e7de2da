/**
 * Issue 11: what Istio actually does with the generated objects. Each block judges the objects by Istio's own
 * rules (tests/helpers/istio.ts follows istiod's code, cited there), with the attack and the same objects without
 * it, and fails on the objects the component generated before the fix.
 */
import * as assert from "assert";
import { EgressGatewayArgs, EgressMode } from "../sdk/args";
import { ArgsError, buildPlan, checkGatewayReference, EgressPlan } from "../sdk/plan";
import { routingManifests } from "../sdk/manifests/routing";
import { lockdownManifests } from "../sdk/manifests/lockdown";
import { GATEWAY_SELECTOR_LABEL, gatewayReleaseLabels, gatewaySelectorValue, K8sObject, selectorMatches } from "../sdk/model";
import {
    attachesToServer,
    clientTlsErrors,
    destinationRuleTls,
    gatewayServerHostErrors,
    gatewaysApplyingTo,
    GatewayProxy,
    injectingRevisions,
    tcpServerDestination,
} from "./helpers/istio";
import { namespaceObject, resolvedValuesProblems } from "../sdk/manifests/gateway";
import * as pulumi from "@pulumi/pulumi";
import { listAt, recordAt, stringAt, stringRecord, valueAt } from "../sdk/model/read";
import { renderComponent } from "./helpers/component";
import { routesCatalog } from "../sdk/manifests/gateway";
import { teamManifests } from "../sdk/manifests/team";
import { buildTeamPlan } from "../sdk/plan";
import { connectionAllowed, PodRef } from "../sdk/analysis/netpol";
import { evaluateAuthz } from "../sdk/analysis/authz";
import { buildAccessReport } from "../sdk/analysis/report";

function objectsOf(plan: EgressPlan): K8sObject[] {
    const r = routingManifests(plan);
    const l = lockdownManifests(plan);
    return [...r.shared, ...[...r.perHost.values()].flat(), ...l.gatewayNamespace, ...l.protectedNamespaces];
}

/** The objects as if created at `at` (istiod orders VirtualServices by creation time, then name). */
function stamped(objects: K8sObject[], at: string): K8sObject[] {
    return objects.map((o) => ({ ...o, metadata: { ...o.metadata, creationTimestamp: at } }));
}

/** Asserts that building the plan fails with a problem on `field` whose rule matches `rule`. */
function rejects(args: EgressGatewayArgs, field: string, rule: RegExp): void {
    assert.throws(
        () => buildPlan("egress", args),
        (err: unknown) => {
            assert.ok(err instanceof ArgsError, `expected ArgsError, got ${String(err)}`);
            const hit = err.problems.find((p) => p.field === field);
            assert.ok(hit, `no problem on ${field}; got ${JSON.stringify(err.problems)}`);
            assert.match(hit.rule, rule);
            return true;
        },
    );
}

const ARGS: EgressGatewayArgs = {
    hosts: [
        { host: "api.example.com", mode: EgressMode.TlsOrigination, allow: [{ namespaces: ["shop"] }] },
        { host: "secure.example.com", mode: EgressMode.Tls, allow: [{ namespaces: ["shop"] }] },
    ],
    lockdown: { namespaces: [{ name: "shop" }] },
};

/** The labels the chart's templates put on a release's pods, plus what Kubernetes and the chart add besides. */
function chartPod(namespace: string, release: string, valuesLabels: Record<string, string> = {}): GatewayProxy {
    return {
        namespace,
        labels: {
            ...gatewayReleaseLabels({ name: release, values: { labels: valuesLabels } }, release),
            "sidecar.istio.io/inject": "true",
            "app.kubernetes.io/name": release,
            "pod-template-hash": "7c9d8f6b5",
        },
    };
}

describe("issue 11 item 1: the gateway's objects select only its own pods", () => {
    const plan = buildPlan("egress", ARGS);
    const objects = objectsOf(plan);
    const ours = chartPod(plan.gateway.namespace, plan.gateway.releaseName, stringRecord(plan.release!.values.labels));
    // Istio's stock egress gateway: istioctl's profiles (manifests/charts/gateways/istio-egress/values.yaml labels)
    // and the istio/gateway chart installed as istio-egressgateway, as Istio's docs do.
    const stockEgress = chartPod("istio-system", "istio-egressgateway");
    const stockIngress = chartPod("istio-system", "istio-ingressgateway");

    it("a stock egress (or ingress) gateway in istio-system gets none of our servers, so none of our routes", () => {
        assert.deepStrictEqual(
            gatewaysApplyingTo(objects, stockEgress).map((g) => g.metadata.name),
            [],
        );
        assert.deepStrictEqual(
            gatewaysApplyingTo(objects, stockIngress).map((g) => g.metadata.name),
            [],
        );
        // The same holds with istiod scoping Gateways to their namespace (the recommended setting).
        assert.deepStrictEqual(gatewaysApplyingTo(objects, stockEgress, { scopeGatewayToNamespace: true }), []);
    });

    it("our pods get our Gateway, and every policy that selects the gateway selects exactly them", () => {
        assert.deepStrictEqual(
            gatewaysApplyingTo(objects, ours).map((g) => `${g.metadata.namespace}/${g.metadata.name}`),
            [plan.gateway.gatewayRef],
        );
        const selecting = objects.filter((o) => o.metadata.namespace === plan.gateway.namespace && ["AuthorizationPolicy", "Telemetry"].includes(o.kind));
        assert.ok(selecting.length >= 3);
        for (const o of selecting) {
            assert.ok(selectorMatches(recordAt(o, "spec", "selector"), ours.labels), `${o.kind} ${o.metadata.name} selects our pods`);
            assert.deepStrictEqual(valueAt(o, "spec", "selector", "matchLabels"), { [GATEWAY_SELECTOR_LABEL]: "istio-egress.egress-gateway" });
        }
        for (const np of objects.filter(
            (o) => o.kind === "NetworkPolicy" && o.metadata.namespace === plan.gateway.namespace && valueAt(o, "spec", "podSelector", "matchLabels"),
        )) {
            assert.ok(selectorMatches(recordAt(np, "spec", "podSelector"), ours.labels), `NetworkPolicy ${np.metadata.name}`);
        }
    });

    it("a Gateway written for the stock egress gateway, in another namespace, does not configure our pods", () => {
        const theirs: K8sObject = {
            apiVersion: "networking.istio.io/v1",
            kind: "Gateway",
            metadata: { name: "istio-egressgateway", namespace: "istio-system" },
            spec: {
                selector: { istio: "egressgateway" },
                servers: [{ port: { number: 443, name: "tls", protocol: "TLS" }, hosts: ["*"], tls: { mode: "PASSTHROUGH" } }],
            },
        };
        assert.deepStrictEqual(
            gatewaysApplyingTo([...objects, theirs], ours).map((g) => g.metadata.name),
            ["egress-gateway"],
        );
        assert.deepStrictEqual(
            gatewaysApplyingTo([...objects, theirs], stockEgress).map((g) => g.metadata.name),
            ["istio-egressgateway"],
            "the model is not vacuous",
        );
    });

    it("the documented limit: a Gateway elsewhere that copies our label configures our pods unless istiod scopes Gateways", () => {
        const copied: K8sObject = {
            apiVersion: "networking.istio.io/v1",
            kind: "Gateway",
            metadata: { name: "borrowed", namespace: "evil" },
            spec: { selector: { ...plan.gateway.labels }, servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["evil/*"] }] },
        };
        assert.deepStrictEqual(
            gatewaysApplyingTo([...objects, copied], ours)
                .map((g) => g.metadata.namespace)
                .sort(),
            ["evil", "istio-egress"],
        );
        assert.deepStrictEqual(
            gatewaysApplyingTo([...objects, copied], ours, { scopeGatewayToNamespace: true }).map((g) => g.metadata.namespace),
            ["istio-egress"],
        );
    });

    it("two components in two namespaces, with the same release name, do not select each other's pods", () => {
        const other = buildPlan("egress", { ...ARGS, gateway: { namespace: "egress-b" } });
        const otherPod = chartPod(other.gateway.namespace, other.gateway.releaseName, stringRecord(other.release!.values.labels));
        const both = [...objects, ...objectsOf(other)];
        assert.deepStrictEqual(
            gatewaysApplyingTo(both, ours).map((g) => g.metadata.namespace),
            ["istio-egress"],
        );
        assert.deepStrictEqual(
            gatewaysApplyingTo(both, otherPod).map((g) => g.metadata.namespace),
            ["egress-b"],
        );
    });

    it("the selector label is one-to-one in (namespace, release), at most 63 characters, and cannot be set by hand", () => {
        assert.notStrictEqual(gatewaySelectorValue("a-b", "c"), gatewaySelectorValue("a", "b-c"));
        const long = gatewaySelectorValue("n".repeat(63), "r".repeat(63));
        assert.ok(long.length <= 63 && /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(long), long);
        assert.notStrictEqual(long, gatewaySelectorValue("n".repeat(63), `${"r".repeat(62)}s`));
        rejects(
            { gateway: { labels: { [GATEWAY_SELECTOR_LABEL]: "istio-system.istio-egressgateway" } } },
            `gateway.labels["${GATEWAY_SELECTOR_LABEL}"]`,
            /component's own selector label/,
        );
        // Extra labels still reach the pods, and never widen the selector.
        const custom = buildPlan("egress", { gateway: { labels: { team: "platform" } } });
        assert.strictEqual(valueAt(custom.release!.values, "labels", "team"), "platform");
        assert.deepStrictEqual(custom.gateway.labels, { [GATEWAY_SELECTOR_LABEL]: "istio-egress.egress-gateway" });
    });

    it("keeping istio-egress 0.1's release name (the stock gateway's labels) warns; the defaults do not", () => {
        const legacy = buildPlan("egress", { ...ARGS, gateway: { releaseName: "istio-egressgateway", chartVersion: "1.29.2" } });
        assert.strictEqual(legacy.gateway.podLabels.istio, "egressgateway", "the chart derives the stock labels from the name");
        assert.ok(
            legacy.warnings.some((w) => /stock gateway .*PILOT_SCOPE_GATEWAY_TO_NAMESPACE/.test(w)),
            legacy.warnings.join("\n"),
        );
        // Even then our objects select only our pods; the stock gateway still gets nothing of ours.
        assert.deepStrictEqual(gatewaysApplyingTo(objectsOf(legacy), stockEgress), []);
        const current = buildPlan("egress", { ...ARGS, gateway: { chartVersion: "1.29.2" } });
        assert.deepStrictEqual(current.warnings, []);
    });

    it("a team attached by the chart's shared labels is refused: its Gateway would select the stock gateway too", () => {
        const ref = { namespace: "istio-egress", serviceName: "istio-egressgateway", containerPorts: { http: 80, tls: 443 } };
        const problems = checkGatewayReference({ ...ref, labels: { istio: "egressgateway" } });
        assert.deepStrictEqual(
            problems.map((p) => p.field),
            [`gateway.labels["${GATEWAY_SELECTOR_LABEL}"]`],
        );
        assert.match(problems[0].rule, /upgrade it first/);
        assert.deepStrictEqual(checkGatewayReference({ ...ref, labels: { [GATEWAY_SELECTOR_LABEL]: "istio-egress.istio-egressgateway" } }), []);
        // A label of another gateway (mixed outputs) is refused as well.
        assert.strictEqual(checkGatewayReference({ ...ref, labels: { [GATEWAY_SELECTOR_LABEL]: "egress-b.istio-egressgateway" } }).length, 1);
    });
});

describe("issue 11 item 2: a VirtualService in another namespace cannot attach to the gateway's servers", () => {
    const plan = buildPlan("egress", ARGS);
    const objects = objectsOf(plan);
    const gateway = objects.find((o) => o.kind === "Gateway")!;
    const server = (port: number, host: string) =>
        listAt(gateway, "spec", "servers").find(
            (s) => valueAt(s, "port", "number") === port && listAt(s, "hosts").some((h) => typeof h === "string" && h.endsWith(host)),
        );
    const httpServer = server(80, "api.example.com");
    const tlsServer = server(443, "secure.example.com");
    /** The attacker's VirtualService: names our Gateway, takes an allowed host to a place of its choosing. */
    const hijack = (namespace: string, host: string, kind: "http" | "tcp", created = "2020-01-01T00:00:00Z"): K8sObject => ({
        apiVersion: "networking.istio.io/v1",
        kind: "VirtualService",
        metadata: { name: "aaa-hijack", namespace, creationTimestamp: created },
        spec: {
            hosts: [host],
            gateways: [plan.gateway.gatewayRef],
            [kind]: [
                {
                    match: [{ gateways: [plan.gateway.gatewayRef], port: kind === "http" ? 80 : 443 }],
                    route: [{ destination: { host: "collector.evil.example.net", port: { number: 443 } } }],
                },
            ],
        },
    });

    it("an HTTP route from another namespace does not bind the host's server; ours does", () => {
        const evil = hijack("attacker", "api.example.com", "http");
        assert.strictEqual(attachesToServer(evil, gateway, httpServer), false);
        const ours = objects.find((o) => o.kind === "VirtualService" && valueAt(o, "spec", "hosts", 0) === "api.example.com")!;
        assert.strictEqual(attachesToServer(ours, gateway, httpServer), true);
        // The same VirtualService in the gateway's namespace would attach: the guard is the namespace, not the model.
        assert.strictEqual(attachesToServer(hijack(plan.gateway.namespace, "api.example.com", "http"), gateway, httpServer), true);
    });

    it("an older TCP route from another namespace cannot take over a TLS host's server: the gateway forwards by ours", () => {
        // Istio takes the first matching VirtualService by creation time: the attacker's is older than ours.
        const ours = stamped(objects, "2030-01-01T00:00:00Z");
        const evil = hijack("attacker", "secure.example.com", "tcp");
        assert.strictEqual(attachesToServer(evil, gateway, tlsServer), false);
        const dest = tcpServerDestination([evil, ...ours], gateway, tlsServer, plan.gateway.namespace);
        assert.deepStrictEqual(dest?.destination, { host: "secure.example.com", port: 443 });
        // A wildcard host in the attacker's route changes nothing either.
        const wide = hijack("attacker", "*.example.com", "tcp");
        assert.deepStrictEqual(tcpServerDestination([wide, ...ours], gateway, tlsServer, plan.gateway.namespace)?.destination.host, "secure.example.com");
        // The model is not vacuous: the same older route in the gateway's namespace would win.
        const inside = hijack(plan.gateway.namespace, "secure.example.com", "tcp");
        assert.deepStrictEqual(
            tcpServerDestination([inside, ...ours], gateway, tlsServer, plan.gateway.namespace)?.destination.host,
            "collector.evil.example.net",
        );
    });

    it("every server host is namespace-qualified with `./`, which Istio's validation accepts", () => {
        for (const p of [
            plan,
            buildPlan("egress", {
                hosts: [
                    { host: "*.wikipedia.org", mode: EgressMode.Tls, upstreamHost: "www.wikipedia.org" },
                    { host: "httpbin.org", mode: EgressMode.Http },
                ],
            }),
        ]) {
            const gw = objectsOf(p).find((o) => o.kind === "Gateway")!;
            const servers = listAt(gw, "spec", "servers");
            assert.ok(servers.length > 0, "the Gateway has servers");
            for (const s of servers) {
                const hosts = listAt(s, "hosts");
                assert.ok(hosts.length > 0, "every server names its hosts");
                for (const h of hosts) {
                    assert.ok(typeof h === "string", `a server host is a string: ${JSON.stringify(h)}`);
                    assert.ok(h.startsWith("./"), h);
                    assert.deepStrictEqual(gatewayServerHostErrors(h), [], h);
                }
            }
        }
        assert.notDeepStrictEqual(gatewayServerHostErrors("./api"), [], "the validation model has teeth");
        assert.notDeepStrictEqual(gatewayServerHostErrors("Bad_NS/api.example.com"), []);
    });
});

describe("issue 11 item 3: TLS origination objects pass Istio's validation; mutual TLS names where its CA comes from", () => {
    const ORIGINATION: EgressGatewayArgs["hosts"] = [
        { host: "a.example.com", mode: EgressMode.TlsOrigination },
        {
            host: "b.example.com",
            mode: EgressMode.TlsOrigination,
            caCertificates: "/etc/ssl/certs/ca-certificates.crt",
            subjectAltNames: ["b.example.com", "*.b.example.com"],
        },
        { host: "c.example.com", mode: EgressMode.MutualTlsOrigination, credentialName: "c-client" },
        {
            host: "d.example.com",
            mode: EgressMode.MutualTlsOrigination,
            credentialName: "d-client",
            subjectAltNames: ["api.d.example.com"],
            port: 8080,
            targetPort: 8443,
        },
        { host: "e.example.com", mode: EgressMode.Tls },
    ];

    it("every ClientTLSSettings the platform and a team emit is valid for Istio (ValidateTLS)", () => {
        const platform = objectsOf(buildPlan("egress", { hosts: ORIGINATION }));
        const ref = {
            namespace: "istio-egress",
            serviceName: "egress-gateway",
            labels: { [GATEWAY_SELECTOR_LABEL]: "istio-egress.egress-gateway" },
            containerPorts: { http: 80, tls: 443 },
        };
        const team = teamManifests(buildTeamPlan("team", { gateway: ref, hosts: ORIGINATION }, ref)).gatewaySide;
        let checked = 0;
        for (const dr of [...platform, ...team].filter((o) => o.kind === "DestinationRule")) {
            for (const { at, tls } of destinationRuleTls(dr)) {
                assert.deepStrictEqual(clientTlsErrors(tls), [], `${dr.metadata.name} ${at}: ${JSON.stringify(tls)}`);
                checked++;
            }
        }
        assert.ok(checked >= 2 * (4 + 5), `checked ${checked} TLS settings`);
        assert.notDeepStrictEqual(clientTlsErrors({ mode: "MUTUAL", credentialName: "x", caCertificates: "/ca.pem" }), [], "the validation model has teeth");
    });

    it("whatever origination args the plan accepts, Istio's validation accepts the DestinationRules (every combination)", () => {
        let accepted = 0;
        let refused = 0;
        for (const mode of [EgressMode.TlsOrigination, EgressMode.MutualTlsOrigination]) {
            for (const caCertificates of [undefined, "/etc/certs/ca.pem"]) {
                for (const credentialName of [undefined, "client"]) {
                    for (const subjectAltNames of [undefined, ["x.example.com"]]) {
                        const host = {
                            host: "x.example.com",
                            mode,
                            ...(caCertificates ? { caCertificates } : {}),
                            ...(credentialName ? { credentialName } : {}),
                            ...(subjectAltNames ? { subjectAltNames } : {}),
                        };
                        let plan: EgressPlan;
                        try {
                            plan = buildPlan("egress", { hosts: [host] });
                        } catch (err) {
                            assert.ok(err instanceof ArgsError, String(err));
                            refused++;
                            continue;
                        }
                        accepted++;
                        for (const dr of objectsOf(plan).filter((o) => o.kind === "DestinationRule")) {
                            for (const { at, tls } of destinationRuleTls(dr))
                                assert.deepStrictEqual(clientTlsErrors(tls), [], `${JSON.stringify(host)}: ${dr.metadata.name} ${at}`);
                        }
                    }
                }
            }
        }
        assert.ok(accepted >= 6 && refused >= 4, `accepted ${accepted}, refused ${refused}`);
    });

    it("MUTUAL_TLS_ORIGINATION with caCertificates is refused, naming Istio's rule and where the CA comes from", () => {
        rejects(
            { hosts: [{ host: "c.example.com", mode: EgressMode.MutualTlsOrigination, credentialName: "c-client", caCertificates: "/etc/certs/ca.pem" }] },
            "hosts[0].caCertificates",
            /cannot specify client certificates or CA certificate or CA CRL If credentialName is set.*ca\.crt \(or cacert\).*<credentialName>-cacert/,
        );
        // TLS_ORIGINATION keeps caCertificates: without credentialName, Istio reads the file.
        assert.doesNotThrow(() =>
            buildPlan("egress", { hosts: [{ host: "b.example.com", mode: EgressMode.TlsOrigination, caCertificates: "/etc/ssl/certs/ca-certificates.crt" }] }),
        );
    });

    it("the routes catalog tells operators which Secret keys Istio reads, CA included", () => {
        const plan = buildPlan("egress", { hosts: ORIGINATION });
        const hostsJson = stringAt(routesCatalog(plan), "data", "hosts.json");
        assert.ok(hostsJson !== undefined, "the catalog holds hosts.json");
        const hosts = listAt(JSON.parse(hostsJson));
        const c = hosts.find((h) => valueAt(h, "host") === "c.example.com");
        assert.deepStrictEqual(valueAt(c, "credential", "caSecrets"), ["istio-egress/c-client-cacert", "istio-egress/c-client"]);
        assert.deepStrictEqual(valueAt(c, "credential", "caKeys"), ["cacert", "ca.crt"]);
        assert.deepStrictEqual(valueAt(c, "credential", "clientCertificateKeys"), [
            ["cert", "key"],
            ["tls.crt", "tls.key"],
        ]);
        const a = hosts.find((h) => valueAt(h, "host") === "a.example.com");
        assert.ok(a !== undefined, "a.example.com is in the catalog");
        assert.strictEqual(valueAt(a, "credential"), undefined);
    });
});

describe("issue 11 item 4: a caller in an unprotected namespace gets an answer by identity, never a silent timeout", () => {
    // The ASM scenario: allow: [{}] is "any mesh identity"; demo-frontend is denied; only two namespaces protected.
    const ASM: EgressGatewayArgs = {
        hosts: [
            { host: "www.aliyun.com", mode: EgressMode.TlsOrigination, allow: [{}], deny: [{ namespaces: ["demo-frontend"] }] },
            { host: "secure.example.com", mode: EgressMode.Tls, allow: [{ namespaces: ["demo-backend"] }] },
        ],
        lockdown: { namespaces: [{ name: "demo-frontend" }, { name: "demo-backend" }] },
    };
    const plan = buildPlan("asm", ASM);
    const objects = objectsOf(plan);
    const gatewayPod: PodRef = { namespace: plan.gateway.namespace, labels: { ...plan.gateway.podLabels, "pod-template-hash": "x" } };
    const legacy: PodRef = { namespace: "legacy", labels: { app: "billing" } };
    const at = (principal: string | undefined, req: { host?: string; sni?: string }) =>
        evaluateAuthz(objects, {
            workload: { namespace: plan.gateway.namespace, labels: gatewayPod.labels },
            source: principal ? { principal } : {},
            http: req.host !== undefined,
            host: req.host,
            sni: req.sni,
            path: req.host ? "/" : undefined,
            method: req.host ? "GET" : undefined,
            port: req.host ? plan.gateway.httpPort.targetPort : plan.gateway.tlsPort.targetPort,
        });

    it("the routes reach every namespace's sidecars (exported mesh-wide), so the gateway must admit every namespace", () => {
        for (const o of objects.filter(
            (x) => x.kind === "VirtualService" || (x.kind === "ServiceEntry" && !(stringAt(x, "spec", "hosts", 0) ?? "").startsWith("www.wiki")),
        )) {
            const exportTo = valueAt(o, "spec", "exportTo");
            if (o.kind === "ServiceEntry" && exportTo) continue; // a wildcard's upstream, for the gateway only
            assert.ok(!exportTo || listAt(exportTo).includes("*"), `${o.kind} ${o.metadata.name} is exported mesh-wide`);
        }
        for (const port of [plan.gateway.httpPort.targetPort, plan.gateway.tlsPort.targetPort]) {
            assert.strictEqual(connectionAllowed(objects, legacy, { pod: gatewayPod }, port).allowed, true, `legacy → gateway:${port}`);
        }
        // ...on those two ports only, and never to another pod of the gateway's namespace.
        for (const port of [15000, 15020, 15090, 22])
            assert.strictEqual(connectionAllowed(objects, legacy, { pod: gatewayPod }, port).allowed, false, `gateway:${port}`);
        assert.strictEqual(connectionAllowed(objects, legacy, { pod: { namespace: plan.gateway.namespace, labels: { app: "debug" } } }, 80).allowed, false);
    });

    it("allow: [{}] admits a mesh identity from any namespace; a rule naming namespaces answers others with a denial at the gateway", () => {
        assert.strictEqual(at("cluster.local/ns/legacy/sa/default", { host: "www.aliyun.com" }).allowed, true);
        const refused = at("cluster.local/ns/legacy/sa/default", { sni: "secure.example.com" });
        assert.deepStrictEqual([refused.allowed, refused.action], [false, "ALLOW"], "no ALLOW rule matches: RBAC denies (a reset for TLS, 403 for HTTP)");
        const denied = at("cluster.local/ns/demo-frontend/sa/web", { host: "www.aliyun.com" });
        assert.deepStrictEqual([denied.allowed, denied.action], [false, "DENY"]);
        assert.strictEqual(at(undefined, { host: "www.aliyun.com" }).allowed, false, "no mesh identity: the ISTIO_MUTUAL server and every rule refuse");
    });

    it("a gateway without protected namespaces is still reachable (before, the default deny cut everyone off)", () => {
        const p = buildPlan("asm", { hosts: ASM.hosts });
        const o = objectsOf(p);
        assert.strictEqual(
            connectionAllowed(o, legacy, { pod: { namespace: p.gateway.namespace, labels: p.gateway.podLabels } }, p.gateway.httpPort.targetPort).allowed,
            true,
        );
    });

    it("the access report shows the unprotected namespace's traffic reaching the gateway and decided there by identity", () => {
        const report = buildAccessReport(objects, {
            helmReleases: [{ name: plan.release!.name, namespace: plan.release!.namespace, chart: "gateway", values: plan.release!.values }],
            extraSources: [{ namespace: "legacy", serviceAccount: "default", labels: legacy.labels, origin: "extra", sidecar: true }],
        });
        const row = (host: string) => report.rows.find((r) => r.namespace === "legacy" && r.host === host)!;
        for (const [host, allowed] of [
            ["www.aliyun.com", true],
            ["secure.example.com", false],
        ] as const) {
            const r = row(host);
            assert.strictEqual(r.gateway, plan.gateway.gatewayRef, `${host}: routed to the gateway`);
            assert.strictEqual(r.gatewayDecision?.allowed, allowed, `${host}: the gateway decides by identity (${JSON.stringify(r.gatewayDecision)})`);
            // The namespace is not protected: its pods can also skip their sidecar and go out directly, and the
            // report says so (the row's path); protecting it is what lockdown.namespaces is for.
            assert.strictEqual(r.bypass, true);
        }
    });
});

describe("issue 11 item 5: TLS hosts that overlap at the gateway are refused; the rest route each to its own upstream", () => {
    const W = { host: "*.example.com", mode: EgressMode.Tls, upstreamHost: "www.example.com", allow: [{ namespaces: ["wiki"] }] };
    const E = { host: "api.example.com", mode: EgressMode.Tls, allow: [{ namespaces: ["payments"] }] };

    /** For each TLS server of the plan's Gateway: the host it carries and where Istio forwards it. */
    function tlsRoutes(objects: K8sObject[], namespace: string): Map<string, string | undefined> {
        const gw = objects.find((o) => o.kind === "Gateway")!;
        const out = new Map<string, string | undefined>();
        for (const server of listAt(gw, "spec", "servers").filter((x) => valueAt(x, "port", "protocol") === "TLS")) {
            out.set((stringAt(server, "hosts", 0) ?? "").replace(/^\.\//, ""), tcpServerDestination(objects, gw, server, namespace)?.destination.host);
        }
        return out;
    }
    /** The objects, their VirtualServices created in the given host order (one second apart). */
    function createdInOrder(objects: K8sObject[], hosts: string[]): K8sObject[] {
        return objects.map((o) => {
            if (o.kind !== "VirtualService") return o;
            const i = hosts.indexOf(stringAt(o, "spec", "hosts", 0) ?? "");
            return { ...o, metadata: { ...o.metadata, creationTimestamp: `2030-01-01T00:00:0${i}Z` } };
        });
    }

    it("the overlap the plan refuses really misroutes: the older VirtualService takes the other host's server", () => {
        // What the gateway would get if both were routed (each planned alone, the Gateways' servers merged).
        const [pw, pe] = [buildPlan("egress", { hosts: [W] }), buildPlan("egress", { hosts: [E] })];
        const [ow, oe] = [objectsOf(pw), objectsOf(pe)];
        const gateway = {
            ...ow.find((o) => o.kind === "Gateway")!,
            spec: {
                ...recordAt(
                    ow.find((o) => o.kind === "Gateway"),
                    "spec",
                ),
            },
        };
        gateway.spec.servers = [
            ...listAt(gateway.spec, "servers"),
            ...listAt(
                oe.find((o) => o.kind === "Gateway"),
                "spec",
                "servers",
            ),
        ];
        const merged = [gateway, ...[...ow, ...oe].filter((o) => o.kind === "VirtualService")];
        const olderApi = tlsRoutes(createdInOrder(merged, ["api.example.com", "*.example.com"]), pw.gateway.namespace);
        assert.strictEqual(olderApi.get("*.example.com"), "api.example.com", "the wildcard's traffic goes to api.example.com");
        const olderWildcard = tlsRoutes(createdInOrder(merged, ["*.example.com", "api.example.com"]), pw.gateway.namespace);
        assert.strictEqual(olderWildcard.get("api.example.com"), "www.example.com", "api.example.com's traffic goes to the wildcard's upstream");
    });

    it("refuses a wildcard covering another TLS host, in either order, and nested wildcards", () => {
        rejects({ hosts: [W, E] }, "hosts[1].host", /api\.example\.com overlaps \*\.example\.com \(hosts\[0\]\).*first VirtualService/);
        rejects({ hosts: [E, W] }, "hosts[1].host", /api\.example\.com overlaps \*\.example\.com \(hosts\[1\]\)/);
        rejects(
            { hosts: [W, { host: "*.eu.example.com", mode: EgressMode.Tls, upstreamHost: "www.eu.example.com" }] },
            "hosts[1].host",
            /\*\.eu\.example\.com overlaps \*\.example\.com/,
        );
    });

    it("refuses two wildcards sharing an upstream: one outer SNI, so one's ALLOW rule would open the other", () => {
        rejects(
            {
                hosts: [
                    { ...W, upstreamHost: "www.eu.example.com" },
                    { host: "*.eu.example.com", mode: EgressMode.Tls, upstreamHost: "www.eu.example.com", allow: [{ namespaces: ["x"] }] },
                ],
            },
            "hosts[1].upstreamHost",
            /share one outer SNI/,
        );
    });

    it("accepts what does not overlap at the gateway, and there each TLS server forwards to its own host whatever the creation order", () => {
        const hosts = [
            W,
            { host: "*.example.org", mode: EgressMode.Tls, upstreamHost: "en.example.org" },
            { host: "secure.example.net", mode: EgressMode.Tls },
            // An HTTP-speaking host under the wildcard has its own (HTTP) server and port: no overlap there.
            { host: "api.example.com", mode: EgressMode.TlsOrigination, allow: [{ namespaces: ["payments"] }] },
        ];
        const plan = buildPlan("egress", { hosts });
        const objects = objectsOf(plan);
        const expected = new Map([
            ["*.example.com", "www.example.com"],
            ["*.example.org", "en.example.org"],
            ["secure.example.net", "secure.example.net"],
        ]);
        const names = hosts.map((h) => h.host);
        for (const order of [names, [...names].reverse(), [names[2], names[0], names[3], names[1]]]) {
            assert.deepStrictEqual(tlsRoutes(createdInOrder(objects, order), plan.gateway.namespace), expected, order.join(", "));
        }
        // And the outer SNIs (what connection.sni authorizes) are one per host.
        const snis = plan.hosts.map((h) => h.sni);
        assert.strictEqual(new Set(snis).size, snis.length);
    });
});

describe("issue 11 item 8: revisions and the chart version", () => {
    /** The namespace the component creates and the gateway pods' labels, as the injector webhooks see them. */
    const injectedBy = (plan: EgressPlan, installed: string[]) => injectingRevisions(installed, namespaceObject(plan).metadata.labels!, plan.gateway.podLabels);

    it("on a revision-only install (no default revision), the gateway's pods are injected by the named revision", () => {
        const plan = buildPlan("egress", { gateway: { revision: "1-29-2", chartVersion: "1.29.2" } });
        assert.deepStrictEqual(namespaceObject(plan).metadata.labels, { "istio.io/rev": "1-29-2", "app.kubernetes.io/managed-by": "istio-egress" });
        assert.strictEqual(plan.release!.values.revision, "1-29-2", "the chart labels the pods istio.io/rev");
        assert.deepStrictEqual(injectedBy(plan, ["1-29-2"]), ["1-29-2"]);
        assert.deepStrictEqual(injectedBy(plan, ["", "1-29-2"]), ["1-29-2"], "exactly one injector, the named one, even next to a default revision");
        assert.deepStrictEqual(injectedBy(plan, ["1-28-0"]), [], "another revision does not inject it");
    });

    it("without a revision: istio-injection: enabled, which only the default revision's injector honours", () => {
        const plan = buildPlan("egress", { gateway: { chartVersion: "1.29.2" } });
        assert.strictEqual(namespaceObject(plan).metadata.labels!["istio-injection"], "enabled");
        assert.strictEqual(plan.release!.values.revision, undefined);
        assert.deepStrictEqual(injectedBy(plan, [""]), [""]);
        assert.deepStrictEqual(injectedBy(plan, ["1-29-2"]), [], "a revision-only install does not inject it: set gateway.revision");
    });

    it("the revision is a DNS label, reaches the chart only through gateway.revision, and is checked again once values resolve", () => {
        rejects({ gateway: { revision: "Canary_1" } }, "gateway.revision", /revision/);
        rejects({ gateway: { values: { revision: "canary" } } }, "gateway.values.revision", /gateway\.revision/);
        rejects({ gateway: { labels: { "istio.io/rev": "canary" } } }, 'gateway.labels["istio.io/rev"]', /Istio's domain/);
        rejects({ gateway: { labels: { "sidecar.istio.io/inject": "false" } } }, 'gateway.labels["sidecar.istio.io/inject"]', /Istio's domain/);
        const plan = buildPlan("egress", { gateway: { revision: "canary" } });
        assert.deepStrictEqual(resolvedValuesProblems(plan.release!, plan.release!.values), []);
        assert.deepStrictEqual(
            resolvedValuesProblems(plan.release!, { ...plan.release!.values, revision: "other" }).map((p) => p.field),
            ["gateway.values.revision"],
        );
    });

    it("warns, as a Pulumi warning, when gateway.chartVersion is not set (gateway/istiod skew); not when it is", async () => {
        assert.match(
            buildPlan("egress", {}).warnings.join("\n"),
            /gateway\.chartVersion is not set: installing the istio\/gateway chart 1\.29\.2\. Set gateway\.chartVersion to your istiod's version/,
        );
        assert.deepStrictEqual(buildPlan("egress", { gateway: { chartVersion: "1.28.3" } }).warnings, []);
        const logged: string[] = [];
        // The module's functions, as a mutable object (the namespace import types them read-only).
        const log: { warn: typeof pulumi.log.warn } = pulumi.log;
        const original = log.warn;
        log.warn = (msg: string) => {
            logged.push(msg);
            return Promise.resolve();
        };
        try {
            await renderComponent({});
            await renderComponent({ gateway: { chartVersion: "1.29.2" } });
        } finally {
            log.warn = original;
        }
        assert.strictEqual(logged.filter((m) => /chartVersion is not set/.test(m)).length, 1, logged.join("\n"));
    });
});
