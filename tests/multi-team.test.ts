/**
 * The multi-team layout: a platform stack owns the gateway; a team stack adds its hosts and rules through the
 * platform's outputs (StackReference), and the two together lock the team's namespace down to the gateway.
 */
import * as assert from "assert";
import * as path from "path";
import { CapturedResource, runProgram } from "../sdk/engine/mock-engine";
import { EgressMode, EgressRoutesArgs } from "../sdk/args";
import { EgressGateway } from "../sdk/component";
import { EgressRoutes } from "../sdk/routes";
import { K8sObject, validateAll } from "../sdk/schema/validate";
import { connectionAllowed } from "../sdk/analysis/netpol";
import { evaluateAuthz } from "../sdk/analysis/authz";
import { isRecord, num, recordAt, stringRecord, valueAt } from "../sdk/model/read";
import { objectOf } from "./helpers/component";

const objects = (rs: CapturedResource[]) => rs.map(objectOf).filter((o): o is K8sObject => o !== undefined);

/** Runs a compiled example program (dist/examples/...) under the mock engine. */
function runExample(rel: string, stackReferences?: Record<string, Record<string, unknown>>) {
    const entry = path.resolve(__dirname, "..", "examples", rel, "index.js");
    return runProgram(
        () => {
            delete require.cache[entry];
            // eslint-disable-next-line @typescript-eslint/no-require-imports -- the compiled example is loaded afresh per run (its cache entry deleted above), by a path known only at run time
            return { ...require(entry) };
        },
        { stackReferences },
    );
}

describe("multi-team: platform stack + team stack", function () {
    this.timeout(120000);

    it("the team's objects land in the platform's gateway namespace, with its labels and ports", async () => {
        const platform = await runExample("multi-team/platform");
        assert.strictEqual(platform.outputs.namespace, "istio-egress");
        const team = await runExample("multi-team/team", { "organization/multi-team-platform/dev": platform.outputs });
        const teamObjects = objects(team.resources);
        assert.deepStrictEqual(await validateAll(teamObjects), []);

        const gatewaySide = teamObjects.filter((o) => o.metadata.namespace === "istio-egress");
        assert.deepStrictEqual(gatewaySide.map((o) => `${o.kind} ${o.metadata.name}`).sort(), [
            "AuthorizationPolicy payments-team-allow",
            "ConfigMap payments-team-routes",
            "DestinationRule payments-team-gateway",
            "Gateway payments-team-gateway",
            "ServiceEntry payments-team-host-api-stripe-com",
            "VirtualService payments-team-host-api-stripe-com",
        ]);
        const gw = gatewaySide.find((o) => o.kind === "Gateway")!;
        // The platform's own selector label (issue 11, item 1): a Gateway on the chart's shared labels would also
        // configure other gateways.
        assert.deepStrictEqual(valueAt(gw, "spec", "selector"), { "istio-egress.io/gateway": "istio-egress.egress-gateway" });
        const dr = gatewaySide.find((o) => o.kind === "DestinationRule")!;
        assert.strictEqual(valueAt(dr, "spec", "host"), "egress-gateway.istio-egress.svc.cluster.local");
        assert.strictEqual(valueAt(dr, "spec", "trafficPolicy"), undefined, "the platform's DestinationRule owns the top-level policy");
        const vs = gatewaySide.find((o) => o.kind === "VirtualService")!;
        assert.deepStrictEqual(valueAt(vs, "spec", "gateways"), ["mesh", "istio-egress/payments-team-gateway"]);
        const teamSide = teamObjects.filter((o) => o.metadata.namespace === "payments");
        assert.ok(
            teamSide.some(
                (o) =>
                    o.kind === "NetworkPolicy" &&
                    isRecord(valueAt(o, "spec", "podSelector")) &&
                    Object.keys(recordAt(o, "spec", "podSelector")).length === 0 &&
                    !valueAt(o, "spec", "egress"),
            ),
        );
        assert.ok(teamSide.some((o) => o.kind === "Sidecar" && valueAt(o, "spec", "outboundTrafficPolicy", "mode") === "REGISTRY_ONLY"));

        // Team-side lock-down waits for the routes on the gateway side, through the team's catalog.
        const teamResources = team.resources.filter((r) => (valueAt(r.inputs, "metadata", "namespace") ?? "") === "payments");
        const catalog = team.resources.find((r) => r.type === "kubernetes:core/v1:ConfigMap")!;
        const routeUrns = team.resources
            .filter((r) => valueAt(r.inputs, "metadata", "namespace") === "istio-egress" && r.urn !== catalog.urn)
            .map((r) => r.urn);
        for (const u of routeUrns) assert.ok(catalog.dependencies.includes(u), `the catalog waits for ${u.split("::").pop()}`);
        for (const r of teamResources) assert.ok(r.dependencies.includes(catalog.urn), `${r.name} waits for the catalog`);
    });

    it("together, the two stacks let payments/checkout (only) reach api.stripe.com through the gateway", async () => {
        const platform = await runExample("multi-team/platform");
        const team = await runExample("multi-team/team", { "organization/multi-team-platform/dev": platform.outputs });
        const all = [...objects(platform.resources), ...objects(team.resources)];
        // The labels the chart gives the platform's pods: its own app/istio and the component's selector label.
        const gatewayPod = { namespace: "istio-egress", labels: { istio: "egress-gateway", app: "egress-gateway", ...stringRecord(platform.outputs.labels) } };
        const checkout = { namespace: "payments", labels: { app: "checkout" } };

        // Network: payments pods reach the gateway pods on the TLS container port, and not the internet.
        const tlsPort = num(valueAt(platform.outputs, "containerPorts", "tls"));
        assert.ok(tlsPort !== undefined, "the platform exports its TLS container port");
        assert.ok(connectionAllowed(all, checkout, { pod: gatewayPod }, tlsPort).allowed);
        assert.ok(!connectionAllowed(all, checkout, { ip: "93.184.216.34" }, 443).allowed);
        // The platform's ingress admits every namespace on the mTLS listeners (issue 11, item 4; the team adds no
        // NetworkPolicy of its own there); identity decides below. No other port opens.
        assert.ok(connectionAllowed(all, { namespace: "ci", labels: {} }, { pod: gatewayPod }, 443).allowed);
        assert.ok(connectionAllowed(all, { namespace: "default", labels: {} }, { pod: gatewayPod }, 443).allowed);
        assert.ok(!connectionAllowed(all, { namespace: "default", labels: {} }, { pod: gatewayPod }, 15090).allowed);

        // Identity at the gateway: the team's ALLOW rule adds to the platform's, under its default deny.
        const at = (principal: string, sni: string) =>
            evaluateAuthz(all, {
                workload: gatewayPod,
                source: { principal, namespace: principal.split("/")[2] },
                http: false,
                sni,
                port: 443,
            });
        assert.ok(at("cluster.local/ns/payments/sa/checkout", "api.stripe.com").allowed);
        assert.ok(!at("cluster.local/ns/payments/sa/reporting", "api.stripe.com").allowed, "another SA of the team is refused");
        assert.ok(!at("cluster.local/ns/ci/sa/default", "api.stripe.com").allowed, "the platform's namespace gets nothing of the team's");
        assert.ok(at("cluster.local/ns/ci/sa/default", "api.github.com").allowed);
        assert.ok(!at("cluster.local/ns/payments/sa/checkout", "api.github.com").allowed);
        assert.ok(!at("cluster.local/ns/default/sa/default", "api.stripe.com").allowed, "an unlisted namespace, admitted at L3, is refused by identity");
    });

    it("validates the team's args before registering anything, and needs the gateway", async () => {
        await assert.rejects(
            runProgram(() => {
                new EgressRoutes("payments", {
                    gateway: {
                        namespace: "istio-egress",
                        serviceName: "egress-gateway",
                        labels: { "istio-egress.io/gateway": "istio-egress.egress-gateway" },
                        containerPorts: { http: 80, tls: 443 },
                    },
                    hosts: [{ host: "api.stripe.com", mode: EgressMode.Tls, allow: [{ paths: ["/v1"] }] }],
                });
            }),
            /EgressRoutes "payments": invalid arguments:\n {2}- hosts\[0\]\.allow\[0\]: paths and methods need an HTTP-speaking mode/,
        );
        await assert.rejects(
            runProgram(() => {
                new EgressRoutes("payments", { hosts: [] } as unknown as EgressRoutesArgs);
            }),
            /gateway: is required/,
        );
    });

    it("works with a gateway in a non-default namespace and ports, in one program too", async () => {
        const { resources } = await runProgram(() => {
            const platform = new EgressGateway("platform", {
                gateway: {
                    namespace: "egress-gw",
                    labels: { egress: "yes" },
                    values: {
                        service: {
                            ports: [
                                { name: "http2", port: 80, targetPort: 8080 },
                                { name: "https", port: 443, targetPort: 8443 },
                            ],
                        },
                    },
                },
                lockdown: { externalPorts: [443] },
            });
            new EgressRoutes("team", {
                gateway: { namespace: platform.namespace, serviceName: platform.serviceName, labels: platform.labels, containerPorts: platform.containerPorts },
                hosts: [{ host: "api.example.com", mode: EgressMode.Http, allow: [{ namespaces: ["team"] }] }],
                namespaces: [{ name: "team" }],
            });
            return {};
        });
        const all = objects(resources);
        const teamNp = all.find(
            (o) =>
                o.kind === "NetworkPolicy" &&
                o.metadata.namespace === "team" &&
                JSON.stringify(o.spec).includes('"istio-egress.io/gateway":"egress-gw.egress-gateway"'),
        )!;
        assert.ok(teamNp, "the team's namespace may reach the gateway pods by the platform's selector label");
        assert.ok(JSON.stringify(teamNp.spec).includes("8080"), "on the gateway's container port from the values");
        const vs = all.find((o) => o.kind === "VirtualService" && o.metadata.name === "team-team-host-api-example-com")!;
        assert.strictEqual(vs.metadata.namespace, "egress-gw");
        assert.strictEqual(valueAt(vs, "spec", "http", 0, "route", 0, "destination", "host"), "egress-gateway.egress-gw.svc.cluster.local");
    });
});
