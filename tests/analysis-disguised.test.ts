/**
 * External destinations dressed as in-cluster ones (sdk/analysis/disguised.ts): an ExternalName Service, a
 * ServiceEntry that is not MESH_EXTERNAL but leads outside, hand-written Endpoints / EndpointSlices. The report
 * takes each for an in-cluster Service; each must give a critical finding (the verdict fails), and the same object
 * pointing inside the cluster none.
 */
import * as assert from "assert";
import { buildAccessReport, reportVerdict } from "../sdk/analysis/report";
import type { K8sObject } from "../sdk/schema/validate";

function obj(
    apiVersion: string,
    kind: string,
    namespace: string,
    name: string,
    rest: Record<string, unknown> = {},
    labels?: Record<string, string>,
): K8sObject {
    return { apiVersion, kind, metadata: { name, namespace, ...(labels ? { labels } : {}) }, ...rest };
}
const team = (): K8sObject[] => [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: "team-a", labels: { "istio-injection": "enabled" } } },
    obj("apps/v1", "Deployment", "team-a", "app", {
        spec: {
            selector: { matchLabels: { app: "app" } },
            template: { metadata: { labels: { app: "app" } }, spec: { serviceAccountName: "app", containers: [{ name: "app", image: "curl" }] } },
        },
    }),
];
const externalName = (name: string) => obj("v1", "Service", "team-a", "payments", { spec: { type: "ExternalName", externalName: name } });
const entry = (spec: Record<string, unknown>) =>
    obj("networking.istio.io/v1", "ServiceEntry", "team-a", "payments", {
        spec: { hosts: ["payments.internal"], ports: [{ number: 443, name: "tls", protocol: "TLS" }], ...spec },
    });
const endpoints = (subsets: unknown) => obj("v1", "Endpoints", "team-a", "legacy-db", { subsets });
const slice = (rest: Record<string, unknown>) =>
    obj(
        "discovery.k8s.io/v1",
        "EndpointSlice",
        "team-a",
        "legacy-db-1",
        { addressType: "IPv4", ports: [{ port: 5432 }], ...rest },
        { "kubernetes.io/service-name": "legacy-db" },
    );
const selectorless = obj("v1", "Service", "team-a", "legacy-db", { spec: { ports: [{ port: 5432 }] } });

/** The report's critical findings about disguised destinations, and its verdict. */
function judge(objects: K8sObject[], options = {}) {
    const report = buildAccessReport([...team(), ...objects], options);
    const disguised = report.findings.filter((f) => f.severity === "critical" && /outside the cluster/.test(f.message));
    return { disguised, pass: reportVerdict(report).pass, report };
}

describe("access report: external destinations dressed as in-cluster", () => {
    it("the same team without a disguised object passes (the baseline the tricks are measured against)", () => {
        const { disguised, pass } = judge([]);
        assert.deepStrictEqual(disguised, []);
        assert.strictEqual(pass, true);
    });

    describe("an ExternalName Service", () => {
        for (const name of ["api.stripe.com", "API.Stripe.COM.", "203.0.113.7", "svc.cluster.local.attacker.example"]) {
            it(`pointing at ${name}: a critical finding naming the Service, the name and who sees it`, () => {
                const { disguised, pass } = judge([externalName(name)]);
                assert.strictEqual(disguised.length, 1, JSON.stringify(disguised));
                const m = disguised[0].message;
                assert.match(m, /Service team-a\/payments is type ExternalName/);
                assert.ok(m.includes(name), m);
                assert.match(m, /every pod in the cluster/);
                assert.match(m, /team-a\/app \(Deployment\/app\)/);
                assert.strictEqual(pass, false);
            });
        }
        for (const name of ["db.team-b.svc.cluster.local", "db.team-b.svc", "db", "10.1.2.3"]) {
            it(`pointing inside the cluster (${name}): no finding`, () => {
                const { disguised, pass } = judge([externalName(name)]);
                assert.deepStrictEqual(disguised, []);
                assert.strictEqual(pass, true);
            });
        }
        it("a ClusterIP Service carrying an externalName is not an ExternalName (Kubernetes ignores the field)", () => {
            const svc = obj("v1", "Service", "team-a", "payments", { spec: { type: "ClusterIP", externalName: "api.stripe.com", selector: { app: "x" } } });
            assert.deepStrictEqual(judge([svc]).disguised, []);
        });
    });

    describe("a ServiceEntry that is not MESH_EXTERNAL", () => {
        it("MESH_INTERNAL with a public endpoint: a finding naming the entry, the address and every sidecar in the mesh", () => {
            const { disguised, pass, report } = judge([entry({ location: "MESH_INTERNAL", resolution: "STATIC", endpoints: [{ address: "203.0.113.7" }] })]);
            assert.strictEqual(disguised.length, 1, JSON.stringify(disguised));
            const m = disguised[0].message;
            assert.match(m, /ServiceEntry team-a\/payments has location MESH_INTERNAL, but leads outside the cluster \(203\.0\.113\.7\)/);
            assert.match(m, /payments\.internal/);
            assert.match(m, /every sidecar in the mesh; sources among the objects: team-a\/app \(Deployment\/app\)/);
            assert.strictEqual(pass, false);
            // Still not an external host of the report: the finding is what tells.
            assert.deepStrictEqual(report.hosts, []);
        });
        it("the same entry with an in-cluster (or loopback) endpoint: no finding", () => {
            for (const address of ["10.1.2.3", "127.0.0.1", "unix:///var/run/sock"]) {
                const { disguised, pass } = judge([entry({ location: "MESH_INTERNAL", resolution: "STATIC", endpoints: [{ address }] })]);
                assert.deepStrictEqual(disguised, [], address);
                assert.strictEqual(pass, true, address);
            }
        });
        it("exported to one namespace: names it and its sources, not the whole mesh", () => {
            const { disguised } = judge([entry({ location: "MESH_INTERNAL", addresses: ["0.0.0.0/0"], exportTo: ["."] })]);
            assert.strictEqual(disguised.length, 1);
            assert.match(disguised[0].message, /the sidecars of the namespaces it is exported to \(team-a\); sources among the objects: team-a\/app/);
            assert.doesNotMatch(disguised[0].message, /every sidecar/);
        });
        it("a public host resolved by DNS, and a misspelt location, are judged like the pack judges them", () => {
            assert.strictEqual(judge([entry({ location: "MESH_INTERNAL", hosts: ["api.stripe.com"], resolution: "DNS" })]).disguised.length, 1);
            assert.strictEqual(
                judge([entry({ location: "MESH_INTERNAl", resolution: "STATIC", endpoints: [{ address: "203.0.113.7" }] })]).disguised.length,
                1,
            );
            // A private-use name of a MESH_INTERNAL entry is taken as inside; a workloadSelector selects mesh workloads.
            assert.deepStrictEqual(judge([entry({ location: "MESH_INTERNAL", resolution: "DNS" })]).disguised, []);
            assert.deepStrictEqual(judge([entry({ location: "MESH_INTERNAL", workloadSelector: { labels: { app: "db" } } })]).disguised, []);
        });
        it("a MESH_EXTERNAL entry is an external host of the report, not a disguised one", () => {
            const { disguised, report } = judge([entry({ location: "MESH_EXTERNAL", resolution: "STATIC", endpoints: [{ address: "203.0.113.7" }] })]);
            assert.deepStrictEqual(disguised, []);
            assert.strictEqual(report.hosts.length, 1);
        });
    });

    describe("hand-written Endpoints and EndpointSlices", () => {
        it("Endpoints of a selector-less Service with a public address (ready or not): a finding each", () => {
            const { disguised, pass } = judge([
                selectorless,
                endpoints([{ addresses: [{ ip: "198.51.100.20" }], notReadyAddresses: [{ ip: "198.51.100.21" }] }]),
            ]);
            assert.strictEqual(disguised.length, 2, JSON.stringify(disguised));
            assert.match(
                disguised[0].message,
                /Endpoints team-a\/legacy-db \(of the Service team-a\/legacy-db\): subsets\[0\]\.addresses\[0\]\.ip 198\.51\.100\.20 is outside/,
            );
            assert.match(disguised[1].message, /notReadyAddresses\[0\]\.ip 198\.51\.100\.21/);
            assert.match(disguised[0].message, /every pod in the cluster/);
            assert.strictEqual(pass, false);
        });
        it("the same Endpoints with in-cluster addresses: no finding", () => {
            const { disguised, pass } = judge([selectorless, endpoints([{ addresses: [{ ip: "10.0.5.5" }], notReadyAddresses: [{ ip: "fd00::5" }] }])]);
            assert.deepStrictEqual(disguised, []);
            assert.strictEqual(pass, true);
        });
        it("an EndpointSlice labelled for the Service with a public address: a finding; in-cluster or FQDN: none", () => {
            const bad = judge([selectorless, slice({ endpoints: [{ addresses: ["198.51.100.20"] }] })]);
            assert.strictEqual(bad.disguised.length, 1);
            assert.match(
                bad.disguised[0].message,
                /EndpointSlice team-a\/legacy-db-1 \(of the Service team-a\/legacy-db\): endpoints\[0\]\.addresses\[0\] 198\.51\.100\.20/,
            );
            assert.strictEqual(bad.pass, false);
            assert.deepStrictEqual(judge([selectorless, slice({ endpoints: [{ addresses: ["10.0.5.5"] }] })]).disguised, []);
            assert.deepStrictEqual(judge([selectorless, slice({ addressType: "FQDN", endpoints: [{ addresses: ["api.stripe.com"] }] })]).disguised, []);
        });
        it("fails closed on what it cannot read: an address that is not a list, not an IP, an item in a List", () => {
            assert.strictEqual(judge([slice({ endpoints: [{ addresses: "198.51.100.20" }] })]).disguised.length, 1);
            assert.strictEqual(judge([slice({ endpoints: [{ addresses: ["db.example.com"] }] })]).disguised.length, 1);
            assert.strictEqual(judge([endpoints([{ addresses: [{ ip: 3325256724 }] }])]).disguised.length, 1);
            const list = obj("discovery.k8s.io/v1", "EndpointSliceList", "team-a", "slices", {
                items: [
                    {
                        metadata: { name: "s", namespace: "team-a", labels: { "kubernetes.io/service-name": "legacy-db" } },
                        endpoints: [{ addresses: ["198.51.100.20"] }],
                    },
                ],
            });
            assert.strictEqual(judge([list]).disguised.length, 1);
            // A List whose items the report cannot read (not a list, an item that is not an object) fails closed too.
            assert.strictEqual(judge([obj("v1", "EndpointsList", "team-a", "eps", { items: "198.51.100.20" })]).disguised.length, 1);
            assert.strictEqual(judge([obj("v1", "EndpointsList", "team-a", "eps", { items: ["198.51.100.20"] })]).disguised.length, 1);
            assert.strictEqual(judge([obj("v1", "EndpointsList", "team-a", "eps", { items: [] })]).disguised.length, 0);
        });
        it("inClusterCidrs widens what is inside, as the pack's config does", () => {
            const objects = [selectorless, endpoints([{ addresses: [{ ip: "198.51.100.20" }] }])];
            assert.deepStrictEqual(judge(objects, { inClusterCidrs: ["10.0.0.0/8", "198.51.100.0/24"] }).disguised, []);
        });
    });
});
