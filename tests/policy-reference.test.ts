/**
 * The pack over Istio's own reference YAML (../shared/reference, when present): what it finds in each documented
 * egress pattern, and why. Skipped in a user's clone, where the reference material is absent.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { readManifests } from "../sdk/cli/check";
import { Violation, fromManifests, runPolicies } from "istio-egress-guard/lib";
import { K8sObject } from "../sdk/schema/validate";
import { listAt, valueAt } from "../sdk/model/read";

const REFERENCE = path.resolve(__dirname, "..", "..", "..", "shared", "reference");
const DOCS = path.join(REFERENCE, "istio-docs");

function docFile(prefix: string): string {
    const f = fs.readdirSync(DOCS).find((n) => n.startsWith(prefix));
    if (!f) throw new Error(`no reference file ${prefix}-*.yaml`);
    return path.join(DOCS, f);
}

function brief(vs: Violation[]): string[] {
    return vs.map((v) => `${v.policy} ${v.enforcementLevel} ${v.resource.kind} ${v.resource.namespace ?? ""}/${v.resource.name}`).sort();
}

async function findings(objs: K8sObject[], config?: Record<string, unknown>): Promise<string[]> {
    return brief(await runPolicies(fromManifests(objs), { config }));
}

describe("policy pack over Istio's reference YAML", function () {
    before(function () {
        if (!fs.existsSync(DOCS)) {
            console.log(`    ../shared/reference absent (a user's clone): skipping`);
            this.skip();
        }
    });

    it("01 HTTP through the gateway: routed, but the gateway's port-80 server has no Istio mTLS", async function () {
        assert.deepStrictEqual(await findings(readManifests(docFile("01"))), ["egress-gateway-istio-mutual mandatory Gateway default/istio-egressgateway"]);
    });

    it("02 Gateway API (with 01's ServiceEntry): the GAMMA routes count as routing through the gateway", async function () {
        const se = readManifests(docFile("01")).filter((o) => o.kind === "ServiceEntry");
        assert.strictEqual(se.length, 1);
        const gatewayApi = readManifests(docFile("02"));
        assert.deepStrictEqual(await findings([...se, ...gatewayApi]), []);
        // without the route that attaches to the ServiceEntry, sidecars go direct
        const noLeg1 = gatewayApi.filter(
            (o) => !(o.kind === "HTTPRoute" && listAt(o, "spec", "parentRefs").some((p) => valueAt(p, "kind") === "ServiceEntry")),
        );
        assert.deepStrictEqual(await findings([...se, ...noLeg1]), ["service-entry-via-egress-gateway mandatory ServiceEntry default/cnn"]);
    });

    it("03 TLS passthrough: the gateway cannot see who is calling (PASSTHROUGH)", async function () {
        assert.deepStrictEqual(await findings(readManifests(docFile("03"))), ["egress-gateway-istio-mutual mandatory Gateway default/istio-egressgateway"]);
    });

    it("05 the docs' NetworkPolicy is a proper default-deny for its namespace", async function () {
        const objs = readManifests(docFile("05"));
        assert.deepStrictEqual(await findings(objs), []);
        const ns = objs[0].metadata.namespace!;
        const app: K8sObject = {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: "sleep", namespace: ns },
            spec: { containers: [{ name: "sleep", image: "curlimages/curl" }] },
        };
        assert.deepStrictEqual(await findings([...objs, app]), [], "a workload next to it is covered");
        assert.deepStrictEqual(await findings([app]), [`namespace-default-deny-egress mandatory Pod ${ns}/sleep`]);
    });

    it("06 Istio-mTLS-wrapped wildcard (blog): routed once its gateway Service is configured", async function () {
        const objs = readManifests(docFile("06"));
        assert.deepStrictEqual(await findings(objs), ["service-entry-via-egress-gateway mandatory ServiceEntry istio-system/wildcard"]);
        const dr = objs.find((o) => o.kind === "DestinationRule")!;
        const config = { "service-entry-via-egress-gateway": { gatewayServiceHosts: [valueAt(dr, "spec", "host")] } };
        assert.deepStrictEqual(await findings(objs, config), []);
    });

    it("07 TLS and mTLS origination at the gateway: nothing to report", async function () {
        assert.deepStrictEqual(await findings(readManifests(docFile("07"))), []);
    });

    it("08 wildcard: the direct ServiceEntry alone is not routed through a gateway; the gateway pattern is, but PASSTHROUGH", async function () {
        const objs = readManifests(docFile("08"));
        const direct = objs.slice(0, 1);
        assert.strictEqual(direct[0].kind, "ServiceEntry");
        const vs = await runPolicies(fromManifests(direct));
        assert.deepStrictEqual(brief(vs), ["service-entry-via-egress-gateway mandatory ServiceEntry default/wikipedia"]);
        assert.match(vs[0].message, /"\*\.wikipedia\.org" .* no VirtualService routes it/);
        assert.deepStrictEqual(await findings(objs), ["egress-gateway-istio-mutual mandatory Gateway default/istio-egressgateway"]);
    });

    it("09 ambient: a ServiceEntry is routed through the waypoint only where the namespace is enrolled", async function () {
        const objs = readManifests(docFile("09"));
        const se = objs.find((o) => o.kind === "ServiceEntry")!;
        assert.deepStrictEqual(await findings(objs), [`service-entry-via-egress-gateway mandatory ServiceEntry ${se.metadata.namespace}/${se.metadata.name}`]);
        const ns: K8sObject = {
            apiVersion: "v1",
            kind: "Namespace",
            metadata: { name: se.metadata.namespace!, labels: { "istio.io/dataplane-mode": "ambient", "istio.io/use-waypoint": "waypoint" } },
        };
        assert.deepStrictEqual(await findings([...objs, ns]), []);
    });

    it("istio/gateway chart: its default service.type is LoadBalancer, so a release that does not set ClusterIP is flagged", async function () {
        const values: unknown = parseYaml(fs.readFileSync(path.join(REFERENCE, "istio-gateway-chart", "values.yaml"), "utf8"));
        const defaults = valueAt(values, "_internal_defaults_do_not_set") ?? values;
        assert.strictEqual(valueAt(defaults, "service", "type"), "LoadBalancer");
        const release = (v: Record<string, unknown>) => [
            {
                type: "kubernetes:helm.sh/v3:Release",
                name: "egw",
                urn: "urn:pulumi:dev::p::kubernetes:helm.sh/v3:Release::egw",
                props: { chart: "gateway", name: "istio-egressgateway", namespace: "istio-egress", values: v },
            },
        ];
        const P = "egress-gateway-cluster-ip";
        assert.strictEqual((await runPolicies(release({}))).filter((v) => v.policy === P).length, 1);
        assert.strictEqual((await runPolicies(release({ service: { type: valueAt(defaults, "service", "type") } }))).filter((v) => v.policy === P).length, 1);
        assert.deepStrictEqual(
            (await runPolicies(release({ service: { type: "ClusterIP" } }))).filter((v) => v.policy === P),
            [],
        );
    });
});
