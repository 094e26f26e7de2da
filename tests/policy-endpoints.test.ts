/**
 * `no-external-service-endpoints`, written as the attacker: a Service without a selector whose hand-written
 * Endpoints or EndpointSlice lists an address outside the cluster is a mesh service that sidecars reach directly.
 * Each trick next to the same object without it.
 */
import * as assert from "assert";
import { K8sObject } from "../sdk/schema/validate";
import { DEFAULT_IN_CLUSTER_CIDRS, PolicyResource, Violation, externalEndpointProblems, fromManifests, runPolicies } from "istio-egress-guard/lib";

const P = "no-external-service-endpoints";

async function findings(objs: K8sObject[], config?: Record<string, unknown>): Promise<Violation[]> {
    return (await runPolicies(fromManifests(objs), { config })).filter((v) => v.policy === P);
}
const brief = (vs: Violation[]) => vs.map((v) => `${v.enforcementLevel} ${v.resource.kind}/${v.resource.name}`);

const service: K8sObject = { apiVersion: "v1", kind: "Service", metadata: { name: "db", namespace: "apps" }, spec: { ports: [{ port: 5432 }] } };
const endpoints = (subsets: unknown, labels?: Record<string, string>): K8sObject => ({
    apiVersion: "v1",
    kind: "Endpoints",
    metadata: { name: "db", namespace: "apps", ...(labels ? { labels } : {}) },
    subsets,
});
const slice = (addresses: unknown, addressType: unknown = "IPv4", labels: Record<string, string> = {}): K8sObject => ({
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: "db-1", namespace: "apps", labels: { "kubernetes.io/service-name": "db", ...labels } },
    addressType,
    ports: [{ name: "", port: 5432, protocol: "TCP" }],
    endpoints: [{ addresses }],
});
const cfg = { inClusterCidrs: DEFAULT_IN_CLUSTER_CIDRS, allowedEgressCidrs: [] };

describe("policy no-external-service-endpoints", function () {
    this.timeout(60000);

    it("Endpoints with a public IP: a mandatory violation naming the object, the address and the fix; a pod-range IP: none", async function () {
        const out = await findings([service, endpoints([{ addresses: [{ ip: "198.51.100.7" }], ports: [{ port: 5432 }] }])]);
        assert.deepStrictEqual(brief(out), ["mandatory Endpoints/db"]);
        assert.match(out[0].message, /^Endpoints db .*subsets\[0\]\.addresses\[0\]\.ip 198\.51\.100\.7 is outside the cluster/);
        assert.match(out[0].message, /ServiceEntry routed through the egress gateway/);
        assert.deepStrictEqual(await findings([service, endpoints([{ addresses: [{ ip: "10.244.1.17" }], ports: [{ port: 5432 }] }])]), []);
    });

    it("notReadyAddresses count (the mirroring controller copies them); an IPv6 address outside fc00::/7 counts", async function () {
        assert.deepStrictEqual(brief(await findings([endpoints([{ notReadyAddresses: [{ ip: "198.51.100.7" }] }])])), ["mandatory Endpoints/db"]);
        assert.deepStrictEqual(brief(await findings([endpoints([{ addresses: [{ ip: "2001:db8::7" }] }])])), ["mandatory Endpoints/db"]);
        assert.deepStrictEqual(await findings([endpoints([{ addresses: [{ ip: "fd00:10::7" }], notReadyAddresses: [{ ip: "10.0.0.9" }] }])]), []);
    });

    it("a cloud metadata address is outside (169.254.169.254 is in no in-cluster range)", async function () {
        assert.deepStrictEqual(brief(await findings([slice(["169.254.169.254"])])), ["mandatory EndpointSlice/db-1"]);
    });

    it("EndpointSlice with a public IP: a violation; one in the pod range: none", async function () {
        const out = await findings([service, slice(["10.244.0.5", "203.0.113.9"])]);
        assert.deepStrictEqual(brief(out), ["mandatory EndpointSlice/db-1"]);
        assert.match(out[0].message, /^EndpointSlice db-1 \(of the Service db\): endpoints\[0\]\.addresses\[1\] 203\.0\.113\.9 is outside the cluster/);
        assert.deepStrictEqual(await findings([service, slice(["10.244.0.5"])]), []);
        assert.deepStrictEqual(await findings([slice(["2001:db8::9"], "IPv6")]).then(brief), ["mandatory EndpointSlice/db-1"]);
    });

    it("labels grant nothing: a slice claiming to be controller-managed, or not mirrored, or for no Service, is judged the same", async function () {
        const claims: Record<string, string>[] = [
            { "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io" },
            { "endpointslice.kubernetes.io/managed-by": "endpointslicemirroring-controller.k8s.io" },
            { "kubernetes.io/service-name": "" },
        ];
        for (const labels of claims) {
            assert.deepStrictEqual(brief(await findings([slice(["198.51.100.7"], "IPv4", labels)])), ["mandatory EndpointSlice/db-1"], JSON.stringify(labels));
            assert.deepStrictEqual(await findings([slice(["10.1.2.3"], "IPv4", labels)]), [], JSON.stringify(labels));
        }
        const skip = { "endpointslice.kubernetes.io/skip-mirror": "true" };
        assert.deepStrictEqual(brief(await findings([endpoints([{ addresses: [{ ip: "198.51.100.7" }] }], skip)])), ["mandatory Endpoints/db"]);
        assert.deepStrictEqual(await findings([endpoints([{ addresses: [{ ip: "10.1.2.3" }] }], skip)]), []);
    });

    it("an FQDN slice is not judged: istiod (sidecar and ambient) skips FQDN slices; a misspelt addressType is judged as IP", async function () {
        assert.deepStrictEqual(await findings([slice(["api.example.com"], "FQDN")]), []);
        // "fqdn" is no addressType the API server accepts: not the FQDN exemption; a name where an IP belongs fails closed.
        for (const addressType of ["fqdn", "FQDN ", undefined, 4]) {
            assert.deepStrictEqual(brief(await findings([slice(["api.example.com"], addressType)])), ["mandatory EndpointSlice/db-1"], String(addressType));
        }
        assert.deepStrictEqual(await findings([slice(["10.1.2.3"], undefined)]), []);
    });

    it("wrong types fail closed: an address that is not a string or not an IP, lists that are not lists", function () {
        const bad: [string, K8sObject][] = [
            ["ip as a number", endpoints([{ addresses: [{ ip: 3325256711 }] }])],
            ["ip as a list", endpoints([{ addresses: [{ ip: ["198.51.100.7"] }] }])],
            ["ip missing", endpoints([{ addresses: [{ hostname: "db" }] }])],
            ["ip a name", endpoints([{ addresses: [{ ip: "db" }] }])],
            ["ip a CIDR", endpoints([{ addresses: [{ ip: "10.0.0.0/8" }] }])],
            ["addresses a string", endpoints([{ addresses: "198.51.100.7" }])],
            ["address a string, not an object", endpoints([{ addresses: ["198.51.100.7"] }])],
            ["subsets an object", endpoints({ addresses: [{ ip: "198.51.100.7" }] })],
            ["slice address a number", slice([3325256711])],
            ["slice address a cluster-local-looking name", slice(["db"])],
            ["slice addresses a string", slice("198.51.100.7")],
            ["slice endpoints an object", { ...slice([]), endpoints: { addresses: ["198.51.100.7"] } }],
        ];
        for (const [what, o] of bad) {
            const out = externalEndpointProblems(o.kind, o.apiVersion === "v1" ? "" : "discovery.k8s.io", o, cfg);
            assert.strictEqual(out.length, 1, `${what}: ${JSON.stringify(out)}`);
            assert.match(out[0], /judged as outside the cluster/, what);
        }
        // The same objects well typed and in-cluster: nothing.
        assert.deepStrictEqual(externalEndpointProblems("Endpoints", "", endpoints([{ addresses: [{ ip: "10.0.0.7" }] }]), cfg), []);
        assert.deepStrictEqual(externalEndpointProblems("EndpointSlice", "discovery.k8s.io", slice(["10.0.0.7"]), cfg), []);
        // No subsets or endpoints at all (a Service with no backends yet) is nothing to judge.
        assert.deepStrictEqual(externalEndpointProblems("Endpoints", "", endpoints(undefined), cfg), []);
        assert.deepStrictEqual(externalEndpointProblems("EndpointSlice", "discovery.k8s.io", { ...slice([]), endpoints: null }, cfg), []);
    });

    it("only the operator's config exempts: inClusterCidrs, allowedEgressCidrs, exemptNamespaces, exemptObjects", async function () {
        const o = endpoints([{ addresses: [{ ip: "198.51.100.7" }] }]);
        assert.deepStrictEqual(await findings([o], { [P]: { inClusterCidrs: [...DEFAULT_IN_CLUSTER_CIDRS, "198.51.100.0/24"] } }), []);
        assert.deepStrictEqual(await findings([o], { [P]: { allowedEgressCidrs: ["198.51.100.7/32"] } }), []);
        assert.deepStrictEqual(await findings([o], { [P]: { exemptNamespaces: ["apps"] } }), []);
        assert.deepStrictEqual(await findings([o], { [P]: { exemptObjects: ["Endpoints/apps/db"] } }), []);
        // By default every namespace is judged, kube-system and the gateway's included: sidecars everywhere see their Services.
        for (const namespace of ["kube-system", "istio-egress", "istio-system"]) {
            assert.deepStrictEqual(brief(await findings([{ ...o, metadata: { name: "db", namespace } }])), ["mandatory Endpoints/db"], namespace);
        }
    });

    it("a ...List resource is judged item by item; an item in an exempt namespace is skipped", async function () {
        const list = (type: string, items: unknown): PolicyResource => ({ type, name: "l", urn: `urn:${type}::l`, props: { items } });
        const out = (await runPolicies([list("kubernetes:core/v1:EndpointsList", [endpoints([{ addresses: [{ ip: "198.51.100.7" }] }])])])).filter(
            (v) => v.policy === P,
        );
        assert.strictEqual(out.length, 1);
        assert.match(out[0].message, /^EndpointsList l, Endpoints db .*198\.51\.100\.7 is outside the cluster/);
        const slices = list("kubernetes:discovery.k8s.io/v1:EndpointSliceList", [slice(["10.0.0.1"]), slice(["203.0.113.9"])]);
        assert.strictEqual((await runPolicies([slices])).filter((v) => v.policy === P).length, 1);
        assert.deepStrictEqual(
            (await runPolicies([list("kubernetes:core/v1:EndpointsList", [endpoints([{ addresses: [{ ip: "10.0.0.7" }] }])])])).filter((v) => v.policy === P),
            [],
        );
        assert.deepStrictEqual(
            (await runPolicies([slices], { config: { [P]: { exemptNamespaces: ["apps"] } } })).filter((v) => v.policy === P),
            [],
        );
        // items that are not a list fail closed
        assert.strictEqual((await runPolicies([list("kubernetes:core/v1:EndpointsList", { a: 1 })])).filter((v) => v.policy === P).length, 1);
    });

    it("the Endpoints and EndpointSlice kinds of other API groups are not these", function () {
        assert.deepStrictEqual(externalEndpointProblems("Endpoints", "example.com", endpoints([{ addresses: [{ ip: "198.51.100.7" }] }]), cfg), []);
        assert.deepStrictEqual(externalEndpointProblems("EndpointSlice", "example.com", slice(["198.51.100.7"]), cfg), []);
    });
});
