import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import Ajv from "ajv";
import { EgressGatewayArgs, EgressMode, SpreadMode, TaintEffect } from "../sdk/args";
import { runProgram } from "../sdk/engine/mock-engine";
import { EgressGateway } from "../sdk/component";
import { schemaErrors, validateAll } from "../sdk/schema/validate";
import { errorMessage, isRecord, listAt, recordAt, stringAt, valueAt } from "../sdk/model/read";
import { byKind, referenceDir, renderComponent } from "./helpers/component";
import { capturedResourcesOf } from "./helpers/captured";

const ISTIO_CR = "kubernetes:networking.istio.io/v1";

const oneOfEach: EgressGatewayArgs = {
    hosts: [
        { host: "httpbin.org", mode: EgressMode.Http, allow: [{ namespaces: ["app-b"] }] },
        { host: "api.example.com", mode: EgressMode.TlsOrigination, allow: [{ namespaces: ["app-b"] }] },
        { host: "*.wikipedia.org", mode: EgressMode.Tls, upstreamHost: "www.wikipedia.org", allow: [{ namespaces: ["app-a"] }] },
        { host: "partner.example.net", mode: EgressMode.MutualTlsOrigination, credentialName: "partner-client" },
        { host: "edition.cnn.com", mode: EgressMode.Tls },
    ],
    lockdown: { namespaces: [{ name: "app-a" }, { name: "app-b" }] },
};

describe("EgressGateway component (mock engine)", function () {
    this.timeout(120000);

    it("registers exactly the expected children per mode, all parented to the component", async () => {
        const r = await renderComponent({
            hosts: [
                { host: "httpbin.org", mode: EgressMode.Http },
                { host: "api.example.com", mode: EgressMode.TlsOrigination },
                { host: "edition.cnn.com", mode: EgressMode.Tls },
                { host: "partner.example.net", mode: EgressMode.MutualTlsOrigination, credentialName: "partner-client" },
                { host: "*.wikipedia.org", mode: EgressMode.Tls, upstreamHost: "www.wikipedia.org" },
            ],
        });
        for (const c of r.children) {
            assert.strictEqual(c.parent, r.component.urn, `${c.name} is a child of the component`);
            assert.ok(c.name.startsWith("egress/"), `${c.name} is named after the component`);
        }
        const routing = r.children.filter((c) => c.type.startsWith(ISTIO_CR)).map((c) => `${c.type.slice(ISTIO_CR.length + 1)} ${c.name}`);
        assert.deepStrictEqual(routing.sort(), [
            "DestinationRule egress/gateway.dr",
            "DestinationRule egress/tls-api-example-com.dr",
            "DestinationRule egress/tls-partner-example-net.dr",
            "Gateway egress/gateway.gw",
            "ServiceEntry egress/host-api-example-com.se",
            "ServiceEntry egress/host-edition-cnn-com.se",
            "ServiceEntry egress/host-httpbin-org.se",
            "ServiceEntry egress/host-partner-example-net.se",
            "ServiceEntry egress/upstream-wikipedia-org.se",
            "ServiceEntry egress/wildcard-wikipedia-org.se",
            "VirtualService egress/host-api-example-com.vs",
            "VirtualService egress/host-edition-cnn-com.vs",
            "VirtualService egress/host-httpbin-org.vs",
            "VirtualService egress/host-partner-example-net.vs",
            "VirtualService egress/wildcard-wikipedia-org.vs",
        ]);
        assert.strictEqual(r.children.filter((c) => c.type === "kubernetes:core/v1:Namespace").length, 1);
        assert.strictEqual(r.children.filter((c) => c.type === "kubernetes:helm.sh/v3:Release").length, 1);
    });

    it("routes each mode in two hops through the gateway over ISTIO_MUTUAL", async () => {
        const r = await renderComponent(oneOfEach);
        const gwHost = "egress-gateway.istio-egress.svc.cluster.local";
        const vs = (host: string) => byKind(r.objects, "VirtualService").find((o) => valueAt(o, "spec", "hosts", 0) === host)!;
        const dr = byKind(r.objects, "DestinationRule").find((o) => valueAt(o, "spec", "host") === gwHost)!;
        assert.strictEqual(valueAt(dr, "spec", "trafficPolicy", "tls", "mode"), "ISTIO_MUTUAL");
        const subsets = listAt(dr, "spec", "subsets");
        assert.ok(subsets.length > 0, "the gateway's DestinationRule has subsets");
        for (const s of subsets) {
            assert.strictEqual(valueAt(s, "trafficPolicy", "portLevelSettings", 0, "tls", "mode"), "ISTIO_MUTUAL", `subset ${stringAt(s, "name")}`);
        }
        // HTTP: mesh:80 → gateway:80, gateway:80 → host:80.
        const h = vs("httpbin.org");
        assert.deepStrictEqual(valueAt(h, "spec", "http", 0, "match"), [{ gateways: ["mesh"], port: 80 }]);
        assert.deepStrictEqual(valueAt(h, "spec", "http", 0, "route", 0, "destination"), {
            host: gwHost,
            subset: "egress-host-httpbin-org",
            port: { number: 80 },
        });
        assert.deepStrictEqual(valueAt(h, "spec", "http", 1, "route", 0, "destination"), { host: "httpbin.org", port: { number: 80 } });
        // TLS origination: the entry's only port is the app's 80, landing on the host's 443 (targetPort); the
        // gateway originates SIMPLE TLS there, verifying the host. No port 443 is exposed to sidecars.
        assert.deepStrictEqual(valueAt(vs("api.example.com"), "spec", "http", 1, "route", 0, "destination"), { host: "api.example.com", port: { number: 80 } });
        const apiEntry = byKind(r.objects, "ServiceEntry").find((o) => valueAt(o, "spec", "hosts", 0) === "api.example.com")!;
        assert.deepStrictEqual(valueAt(apiEntry, "spec", "ports"), [{ number: 80, name: "http-80", protocol: "HTTP", targetPort: 443 }]);
        const orig = byKind(r.objects, "DestinationRule").find((o) => valueAt(o, "spec", "host") === "api.example.com")!;
        // (The port-level setting also carries the hop's connection pool and outlier detection: tests/production.test.ts.)
        const { port: origPort, tls: origTls } = recordAt(orig, "spec", "trafficPolicy", "portLevelSettings", 0);
        assert.deepStrictEqual(
            { port: origPort, tls: origTls },
            {
                port: { number: 80 },
                tls: { mode: "SIMPLE", sni: "api.example.com", subjectAltNames: ["api.example.com"], insecureSkipVerify: false },
            },
        );
        // Mutual origination: client credential from the gateway's namespace.
        const mutual = byKind(r.objects, "DestinationRule").find((o) => valueAt(o, "spec", "host") === "partner.example.net")!;
        assert.strictEqual(mutual.metadata.namespace, "istio-egress");
        assert.strictEqual(valueAt(mutual, "spec", "trafficPolicy", "portLevelSettings", 0, "tls", "mode"), "MUTUAL");
        assert.strictEqual(valueAt(mutual, "spec", "trafficPolicy", "portLevelSettings", 0, "tls", "credentialName"), "partner-client");
        // TLS (app TLS wrapped in Istio mTLS): SNI match on the mesh leg, TCP at the gateway on the host's own server.
        const t = vs("edition.cnn.com");
        assert.deepStrictEqual(valueAt(t, "spec", "tls", 0, "match"), [{ gateways: ["mesh"], port: 443, sniHosts: ["edition.cnn.com"] }]);
        assert.deepStrictEqual(valueAt(t, "spec", "tcp", 0, "route", 0, "destination"), { host: "edition.cnn.com", port: { number: 443 } });
        const gateway = byKind(r.objects, "Gateway")[0];
        // `./host`: only VirtualServices of the gateway's namespace bind the server (issue 11, item 2).
        const server = listAt(gateway, "spec", "servers").find((s) => listAt(s, "hosts").includes("./edition.cnn.com"));
        assert.deepStrictEqual(valueAt(server, "tls"), { mode: "ISTIO_MUTUAL" });
        assert.strictEqual(valueAt(server, "port", "protocol"), "TLS");
        // Wildcard: sidecars learn the name (NONE), the gateway forwards to the DNS-resolved upstream.
        const w = vs("*.wikipedia.org");
        assert.deepStrictEqual(valueAt(w, "spec", "tcp", 0, "route", 0, "destination"), { host: "www.wikipedia.org", port: { number: 443 } });
        const ses = byKind(r.objects, "ServiceEntry");
        assert.strictEqual(
            valueAt(
                ses.find((o) => valueAt(o, "spec", "hosts", 0) === "*.wikipedia.org"),
                "spec",
                "resolution",
            ),
            "NONE",
        );
        assert.strictEqual(
            valueAt(
                ses.find((o) => valueAt(o, "spec", "hosts", 0) === "www.wikipedia.org"),
                "spec",
                "resolution",
            ),
            "DNS",
        );
        for (const se of ses.filter((o) => !(stringAt(o, "spec", "hosts", 0) ?? "").startsWith("*"))) {
            assert.strictEqual(valueAt(se, "spec", "resolution"), "DNS", `${stringAt(se, "spec", "hosts", 0)} resolves by DNS (NONE would loop the gateway)`);
            assert.strictEqual(valueAt(se, "spec", "location"), "MESH_EXTERNAL");
        }
    });

    it("emits only objects that validate against the published Kubernetes and Istio schemas", async () => {
        const r = await renderComponent(oneOfEach);
        assert.ok(r.objects.length > 15);
        assert.deepStrictEqual(await validateAll(r.objects), []);
    });

    it("the schema check itself rejects a broken object", async () => {
        const errors = await schemaErrors({
            apiVersion: "networking.istio.io/v1",
            kind: "ServiceEntry",
            metadata: { name: "x" },
            spec: { hosts: "a.com", resolution: "MAYBE" },
        });
        assert.ok(errors.length > 0);
    });

    it("installs the istio/gateway chart pinned, ClusterIP, with the egress labels", async () => {
        const r = await renderComponent({ gateway: { replicas: 3, resources: { requests: { cpu: "200m", memory: "256Mi" } } } });
        const rel = r.release.inputs;
        assert.strictEqual(rel.chart, "gateway");
        assert.strictEqual(rel.version, "1.29.2");
        assert.strictEqual(valueAt(rel, "repositoryOpts", "repo"), "https://istio-release.storage.googleapis.com/charts");
        assert.strictEqual(rel.namespace, "istio-egress");
        // Not istio-egressgateway: the chart would derive the stock egress gateway's labels from it (issue 11, item 1).
        assert.strictEqual(rel.name, "egress-gateway");
        assert.strictEqual(valueAt(rel, "values", "service", "type"), "ClusterIP");
        assert.deepStrictEqual(valueAt(rel, "values", "labels"), { "istio-egress.io/gateway": "istio-egress.egress-gateway" });
        assert.strictEqual(valueAt(rel, "values", "replicaCount"), 3);
        assert.deepStrictEqual(valueAt(rel, "values", "resources"), { requests: { cpu: "200m", memory: "256Mi" } });
        const over = await renderComponent({ gateway: { chartVersion: "1.30.1", values: { podAnnotations: { "prometheus.io/scrape": "false" } } } });
        assert.strictEqual(over.release.inputs.version, "1.30.1");
        assert.strictEqual(valueAt(over.release.inputs, "values", "podAnnotations", "prometheus.io/scrape"), "false");
    });

    it("passes Helm values that validate against the chart's values.schema.json", async function () {
        const ref = referenceDir();
        if (!ref) {
            console.log("      (skipped: ../shared/reference absent, as in a user's clone)");
            this.skip();
        }
        const schema: unknown = JSON.parse(fs.readFileSync(path.join(ref, "istio-gateway-chart", "values.schema.json"), "utf8"));
        assert.ok(isRecord(schema), "the chart's values schema is an object");
        delete schema.$schema;
        const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
        const scenarios: EgressGatewayArgs[] = [
            {},
            oneOfEach,
            {
                gateway: {
                    autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 6, targetCPUUtilizationPercentage: 70 },
                    resources: { limits: { cpu: "1", memory: "512Mi" } },
                },
            },
            { gateway: { replicas: 1, values: { nodeSelector: { pool: "egress" }, tolerations: [{ key: "egress", operator: "Exists" }] } } },
            // The production settings (spread, dedicated nodes, drain) as the chart's own values.
            {
                gateway: {
                    spread: { zones: SpreadMode.Required, nodes: SpreadMode.Required },
                    nodeSelector: { "node-restriction.kubernetes.io/egress": "true" },
                    tolerations: [{ key: "dedicated", value: "egress", effect: TaintEffect.NoSchedule }],
                    drain: { terminationGracePeriodSeconds: 600, minimumDrainSeconds: 10 },
                },
            },
            { gateway: { spread: { zones: SpreadMode.Off, nodes: SpreadMode.Off }, drain: { waitForConnections: false } } },
            { gateway: { revision: "1-29-2", labels: { team: "platform" } } },
        ];
        for (const args of scenarios) {
            const r = await renderComponent(args);
            assert.ok(validate(r.release.inputs.values), JSON.stringify(validate.errors));
        }
        // And the check has teeth: a key the chart does not know fails.
        assert.strictEqual(validate({ service: { type: "ClusterIP" }, notAChartValue: true }), false);
    });

    it("exposes the outputs another stack needs", async () => {
        const r = await renderComponent(oneOfEach);
        assert.strictEqual(r.outputs.namespace, "istio-egress");
        assert.strictEqual(r.outputs.serviceHost, "egress-gateway.istio-egress.svc.cluster.local");
        assert.deepStrictEqual(r.outputs.labels, { "istio-egress.io/gateway": "istio-egress.egress-gateway" });
        assert.strictEqual(r.outputs.gatewayRef, "istio-egress/egress-gateway");
        assert.deepStrictEqual(r.outputs.containerPorts, { http: 80, tls: 443 });
        assert.strictEqual(r.outputs.releaseStatus, "deployed");
        assert.deepStrictEqual(r.outputs.protectedNamespaces, ["app-a", "app-b"]);
        assert.deepStrictEqual(valueAt(r.outputs, "hosts", "api.example.com"), {
            serviceEntry: "istio-egress/egress-host-api-example-com",
            virtualService: "istio-egress/egress-host-api-example-com",
            destinationRule: "istio-egress/egress-tls-api-example-com",
            subset: "egress-host-api-example-com",
            sni: "api.example.com",
        });
        // The component's own registered outputs carry the same values.
        const preview = await renderComponent(oneOfEach, "egress", true);
        assert.strictEqual(preview.outputs.releaseStatus, "deployed", "release status resolves in preview too");
    });

    it("keeps every child's URN when hosts are reordered or added", async () => {
        const hosts = oneOfEach.hosts!;
        const before = await renderComponent({ ...oneOfEach, hosts });
        const after = await renderComponent({ ...oneOfEach, hosts: [{ host: "new.example.org", mode: EgressMode.Http }, ...[...hosts].reverse()] });
        const urnsAfter = new Set(after.children.map((c) => c.urn));
        for (const c of before.children) {
            assert.ok(urnsAfter.has(c.urn), `${c.name} kept its URN`);
        }
        assert.ok(after.children.some((c) => c.name === "egress/host-new-example-org.vs"));
    });

    it("orders the rollout: namespace → gateway lock-down → release → routes → catalog → app lock-down", async () => {
        const r = await renderComponent(oneOfEach);
        const [ns] = r.children.filter((c) => c.type === "kubernetes:core/v1:Namespace").map((c) => c.urn);
        const release = r.release;
        const routes = r.children.filter((c) => c.type.startsWith(ISTIO_CR) && valueAt(c.inputs, "metadata", "namespace") === "istio-egress");
        const catalog = r.children.find((c) => c.type === "kubernetes:core/v1:ConfigMap")!;
        const appLockdown = r.children.filter(
            (c) => valueAt(c.inputs, "metadata", "namespace") === "app-a" || valueAt(c.inputs, "metadata", "namespace") === "app-b",
        );
        const gatewayLockdown = r.children.filter(
            (c) =>
                valueAt(c.inputs, "metadata", "namespace") === "istio-egress" &&
                (c.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" ||
                    c.type.startsWith("kubernetes:security.istio.io/") ||
                    c.type.startsWith("kubernetes:telemetry.istio.io/")),
        );
        assert.ok(appLockdown.length >= 2, "protected namespaces get policies");
        assert.ok(gatewayLockdown.length >= 5, "the gateway namespace gets policies");
        assert.ok(release.dependencies.includes(ns));
        for (const g of gatewayLockdown) {
            assert.ok(release.dependencies.includes(g.urn), `release waits for ${g.name}`);
        }
        for (const route of routes) {
            assert.ok(route.dependencies.includes(release.urn), `${route.name} waits for the release`);
            assert.ok(catalog.dependencies.includes(route.urn), `the catalog waits for ${route.name}`);
        }
        for (const a of appLockdown) {
            assert.ok(a.dependencies.includes(release.urn), `${a.name} waits for the release`);
            assert.ok(a.dependencies.includes(catalog.urn), `${a.name} waits for the routes (through the catalog)`);
            assert.ok(a.dependencies.length <= 3 + gatewayLockdown.length, `${a.name}: O(1) dependencies, not one per route`);
        }
    });

    it("publishes a routes catalog listing every routed host", async () => {
        const r = await renderComponent(oneOfEach);
        const catalog = byKind(r.objects, "ConfigMap")[0];
        assert.strictEqual(catalog.metadata.name, "egress-routes");
        assert.strictEqual(catalog.metadata.namespace, "istio-egress");
        const hostsJson = stringAt(catalog, "data", "hosts.json");
        assert.ok(hostsJson !== undefined, "the catalog holds hosts.json");
        const hosts = listAt(JSON.parse(hostsJson));
        assert.deepStrictEqual(hosts.map((h) => valueAt(h, "host")).sort(), oneOfEach.hosts!.map((h) => h.host).sort());
        const wiki = hosts.find((h) => valueAt(h, "host") === "*.wikipedia.org");
        assert.deepStrictEqual([valueAt(wiki, "mode"), valueAt(wiki, "upstreamHost"), valueAt(wiki, "sni")], ["TLS", "www.wikipedia.org", "www.wikipedia.org"]);
    });

    it("rejects bad input with a ResourceError naming field and rule, before registering anything", async () => {
        try {
            await runProgram(() => {
                new EgressGateway("egress", {
                    hosts: [
                        { host: "*", mode: EgressMode.Tls },
                        { host: "a.example.com", mode: EgressMode.Http, port: 70000 },
                    ],
                });
            });
            assert.fail("expected an error");
        } catch (err: unknown) {
            assert.match(errorMessage(err), /istio-egress:index:EgressGateway "egress": invalid arguments/);
            assert.match(errorMessage(err), /hosts\[0\]\.host: a bare `\*`/);
            assert.match(errorMessage(err), /hosts\[1\]\.port: must be an integer port from 1 to 65535/);
            const registered = capturedResourcesOf(err).filter((x) => x.type !== "pulumi:pulumi:Stack");
            assert.deepStrictEqual(registered, [], "nothing but the stack was registered");
        }
    });

    it("can leave the namespace to someone else", async () => {
        const r = await renderComponent({ gateway: { createNamespace: false, namespace: "egress-gw" } });
        assert.strictEqual(r.children.filter((c) => c.type === "kubernetes:core/v1:Namespace").length, 0);
        assert.strictEqual(r.outputs.namespace, "egress-gw");
        assert.strictEqual(r.release.inputs.namespace, "egress-gw");
    });
});
