/**
 * Issue 11, item 7: what the lock-down blocks that clusters need, and the typed, fail-closed options that open
 * exactly that — judged by evaluating the NetworkPolicies (sdk/analysis/netpol.ts connectionAllowed): who can
 * reach what, before and after, and the tricks around each option.
 */
import * as assert from "assert";
import { EgressGatewayArgs, EgressMode, LockdownArgs } from "../sdk/args";
import { ArgsError, buildPlan, buildTeamPlan } from "../sdk/plan";
import { lockdownManifests } from "../sdk/manifests/lockdown";
import { teamManifests } from "../sdk/manifests/team";
import { connectionAllowed, PodRef, Protocol } from "../sdk/analysis/netpol";
import { K8sObject, validateAll } from "../sdk/schema/validate";

const BASE: EgressGatewayArgs = {
    hosts: [{ host: "api.example.com", mode: EgressMode.TlsOrigination, allow: [{ namespaces: ["shop"] }] }],
    lockdown: { namespaces: [{ name: "shop" }], allowInCluster: false, clusterCidrs: ["10.0.0.0/14"] },
};
const DEFAULT_GATEWAY = buildPlan("eg", {}).gateway;
/** The gateway pod, with the labels the chart gives it (read from the plan, never assumed). */
const GATEWAY: PodRef = { namespace: DEFAULT_GATEWAY.namespace, labels: DEFAULT_GATEWAY.podLabels, ip: "10.2.0.30" };
/** The platform gateway as a team component references it (EgressGateway's outputs). */
const GATEWAY_REF = {
    namespace: DEFAULT_GATEWAY.namespace,
    serviceName: DEFAULT_GATEWAY.serviceName,
    labels: DEFAULT_GATEWAY.labels,
    containerPorts: { http: 80, tls: 443 },
};
const APP: PodRef = { namespace: "shop", labels: { app: "web" }, ip: "10.1.0.5" };
const OUTSIDER: PodRef = { namespace: "other", labels: { app: "web" }, ip: "10.1.9.9" };
const PROMETHEUS: PodRef = { namespace: "monitoring", labels: { "app.kubernetes.io/name": "prometheus" }, ip: "10.3.0.9" };
const COLLECTOR: PodRef = { namespace: "observability", labels: { app: "otel-collector" }, ip: "10.3.1.9" };
const ISTIO_CSR: PodRef = { namespace: "cert-manager", labels: { app: "cert-manager-istio-csr" }, ip: "10.3.2.9" };
const OPENSHIFT_DNS: PodRef = { namespace: "openshift-dns", labels: { "dns.operator.openshift.io/daemonset-dns": "default" }, ip: "10.3.3.9" };

function objectsFor(lockdown: LockdownArgs = {}, args: EgressGatewayArgs = BASE): K8sObject[] {
    const m = lockdownManifests(buildPlan("eg", { ...args, lockdown: { ...args.lockdown, ...lockdown } }));
    return [...m.gatewayNamespace, ...m.protectedNamespaces];
}
const can = (objects: K8sObject[], from: PodRef, to: PodRef | string, port: number, protocol: Protocol = "TCP") =>
    connectionAllowed(objects, from, typeof to === "string" ? { ip: to } : { pod: to }, port, protocol).allowed;
function problems(lockdown: LockdownArgs): string[] {
    try {
        buildPlan("eg", { ...BASE, lockdown: { ...BASE.lockdown, ...lockdown } });
        return [];
    } catch (e) {
        assert.ok(e instanceof ArgsError, String(e));
        return e.problems.map((p) => `${p.field}: ${p.rule}`);
    }
}

describe("lock-down options (issue 11, item 7)", () => {
    it("Prometheus scraping the gateway: 15020 and 15090 from the named pods only, nothing else opened", () => {
        assert.strictEqual(can(objectsFor(), PROMETHEUS, GATEWAY, 15090), false, "before: the default deny blocks the scrape");
        const objects = objectsFor({ metricsScrapers: [{ namespace: "monitoring", labels: { "app.kubernetes.io/name": "prometheus" } }] });
        assert.strictEqual(can(objects, PROMETHEUS, GATEWAY, 15020), true);
        assert.strictEqual(can(objects, PROMETHEUS, GATEWAY, 15090), true);
        for (const port of [15000, 15021, 15053, 22]) assert.strictEqual(can(objects, PROMETHEUS, GATEWAY, port), false, `port ${port}`);
        // The tricks: the same labels in another namespace, another pod of the monitoring namespace.
        assert.strictEqual(can(objects, { ...PROMETHEUS, namespace: "evil" }, GATEWAY, 15090), false);
        assert.strictEqual(can(objects, { ...PROMETHEUS, labels: { app: "grafana" } }, GATEWAY, 15090), false);
        // The scraper gains no way out: it still cannot reach the internet, nor the gateway's other pods' ports.
        assert.strictEqual(can(objects, GATEWAY, PROMETHEUS, 9090), false, "ingress to the gateway only, not egress from it");
        // One port only, when asked.
        const only = objectsFor({ metricsScrapers: [{ namespace: "monitoring", labels: { "app.kubernetes.io/name": "prometheus" }, ports: [15090] }] });
        assert.deepStrictEqual([can(only, PROMETHEUS, GATEWAY, 15020), can(only, PROMETHEUS, GATEWAY, 15090)], [false, true]);
        assert.match(
            problems({ metricsScrapers: [{ namespace: "monitoring", labels: { app: "p" }, ports: [443] }] }).join(),
            /metricsScrapers\[0\]\.ports: may only name the gateway's metrics ports 15020 and 15090/,
        );
        assert.match(
            problems({ metricsScrapers: [{ namespace: "istio-egress", labels: { app: "p" } }] }).join(),
            /metricsScrapers\[0\]\.namespace: must not be the gateway's namespace/,
        );
        assert.match(problems({ metricsScrapers: [{ namespace: "monitoring", labels: {} }] }).join(), /metricsScrapers\[0\]\.labels/);
    });

    it("tracing / OpenTelemetry collectors: the gateway and the protected pods reach the collector's pods on its ports", () => {
        const before = objectsFor();
        assert.strictEqual(can(before, GATEWAY, COLLECTOR, 4317), false);
        assert.strictEqual(can(before, APP, COLLECTOR, 4317), false);
        const objects = objectsFor({ telemetryCollectors: [{ namespace: "observability", labels: { app: "otel-collector" }, ports: [4317, 4318] }] });
        for (const from of [GATEWAY, APP]) {
            assert.strictEqual(can(objects, from, COLLECTOR, 4317), true);
            assert.strictEqual(can(objects, from, COLLECTOR, 4318), true);
            assert.strictEqual(can(objects, from, COLLECTOR, 22), false);
            assert.strictEqual(can(objects, from, { ...COLLECTOR, labels: { app: "other" } }, 4317), false, "only the collector's pods");
            assert.strictEqual(can(objects, from, "93.184.216.34", 4317), false, "the collector's port is not opened to the internet");
        }
        assert.match(
            problems({ telemetryCollectors: [{ namespace: "observability", labels: { app: "c" }, ports: [] }] }).join(),
            /telemetryCollectors\[0\]\.ports/,
        );
    });

    it("cert-manager istio-csr as the mesh CA: its pods on 6443 (the container port behind its Service's 443), besides istiod's 15012", () => {
        assert.strictEqual(can(objectsFor(), APP, ISTIO_CSR, 6443), false);
        const objects = objectsFor({ meshCa: {} });
        for (const from of [GATEWAY, APP]) {
            assert.strictEqual(can(objects, from, ISTIO_CSR, 6443), true);
            assert.strictEqual(can(objects, from, ISTIO_CSR, 443), false, "NetworkPolicy sees the pod's port, not the Service's");
            assert.strictEqual(can(objects, from, ISTIO_CSR, 9402), false, "not its metrics port");
            assert.strictEqual(can(objects, from, { namespace: "istio-system", labels: { app: "istiod" } }, 15012), true, "istiod still serves xDS");
        }
        const custom = objectsFor({ meshCa: { namespace: "pki", labels: { app: "csr" }, port: 8443 } });
        assert.strictEqual(can(custom, APP, { namespace: "pki", labels: { app: "csr" } }, 8443), true);
        assert.strictEqual(can(custom, APP, ISTIO_CSR, 6443), false);
    });

    it("NodeLocal DNSCache: DNS to 169.254.20.10 is an explicit opt-in; metadata and the clouds' link-local services stay closed", () => {
        const before = objectsFor();
        assert.strictEqual(can(before, APP, "169.254.20.10", 53, "UDP"), false, "before: link-local is refused");
        const objects = objectsFor({ nodeLocalDns: {} });
        for (const from of [GATEWAY, APP]) {
            assert.strictEqual(can(objects, from, "169.254.20.10", 53, "UDP"), true);
            assert.strictEqual(can(objects, from, "169.254.20.10", 53, "TCP"), true);
            assert.strictEqual(can(objects, from, "169.254.20.10", 80), false, "DNS only");
            assert.strictEqual(can(objects, from, "169.254.169.254", 53, "UDP"), false);
            assert.strictEqual(can(objects, from, "169.254.169.254", 80), false);
            assert.strictEqual(can(objects, from, "169.254.20.11", 53, "UDP"), false, "only the listed address");
        }
        // iptables mode: the cache also answers on the kube-dns ClusterIP.
        const both = objectsFor({ nodeLocalDns: { addresses: ["169.254.20.10", "10.96.0.10"] } });
        assert.strictEqual(can(both, APP, "10.96.0.10", 53, "UDP"), true);
        for (const [address, why] of [
            ["169.254.169.254", /169\.254\.169\.0\/24/],
            ["169.254.169.253", /169\.254\.169\.0\/24/],
            ["169.254.170.23", /169\.254\.170\.0\/24/],
            ["fd00:ec2::254", /fd00:ec2::\/32/],
            ["168.63.129.16", /metadata addresses are never opened/],
            ["100.100.100.200", /metadata addresses are never opened/],
            ["169.254.20.0/24", /one address/],
            ["8.8.8.8", /link-local .* or private address/],
            ["127.0.0.1", /link-local .* or private address/],
            ["not-an-ip", /must be an IP address/],
        ] as const) {
            assert.match(problems({ nodeLocalDns: { addresses: [address] } }).join(), why, address);
        }
    });

    it("custom DNS ports: OpenShift's dns-default pods answer on 5353 behind the Service's 53", () => {
        const openshift: LockdownArgs = { dnsNamespace: "openshift-dns", dnsLabels: { "dns.operator.openshift.io/daemonset-dns": "default" } };
        const before = objectsFor(openshift);
        assert.strictEqual(can(before, APP, OPENSHIFT_DNS, 5353, "UDP"), false, "before: only 53 is open, which the pods do not listen on");
        const objects = objectsFor({ ...openshift, dnsPorts: [5353] });
        for (const from of [GATEWAY, APP]) {
            assert.strictEqual(can(objects, from, OPENSHIFT_DNS, 5353, "UDP"), true);
            assert.strictEqual(can(objects, from, OPENSHIFT_DNS, 5353, "TCP"), true);
            assert.strictEqual(can(objects, from, OPENSHIFT_DNS, 53, "UDP"), false, "the ports replace the default");
            assert.strictEqual(can(objects, from, "8.8.8.8", 5353, "UDP"), false);
        }
    });

    it("private endpoints: the gateway (only the gateway) reaches the endpoint's addresses on its ports", () => {
        const endpoint = "10.20.30.40";
        assert.strictEqual(can(objectsFor(), GATEWAY, endpoint, 443), false, "before: private addresses are never the internet");
        const objects = objectsFor({ privateEndpoints: [{ name: "payments-vpce", cidr: "10.20.30.32/28", ports: [443] }] });
        assert.strictEqual(can(objects, GATEWAY, endpoint, 443), true);
        assert.strictEqual(can(objects, GATEWAY, endpoint, 22), false);
        assert.strictEqual(can(objects, GATEWAY, "10.20.30.48", 443), false, "outside the /28");
        assert.strictEqual(can(objects, APP, endpoint, 443), false, "protected pods go through the gateway");
        assert.strictEqual(can(objects, OUTSIDER, endpoint, 443), true, "(an unprotected namespace is not governed here)");
        for (const [cidr, why] of [
            ["10.20.30.40/24", /host bits set/],
            ["10.20.0.0/16", /too wide for a private endpoint/],
            ["10.1.2.0/24", /overlaps the cluster's own range 10\.0\.0\.0\/14/],
            ["169.254.169.254/32", /link-local and cloud metadata/],
            ["34.1.2.3/32", /must be a private range/],
            ["fd12::/64", /too wide for a private endpoint/],
        ] as const) {
            assert.match(problems({ privateEndpoints: [{ name: "x", cidr, ports: [443] }] }).join(), why, cidr);
        }
        assert.match(
            problems({
                privateEndpoints: [
                    { name: "x", cidr: "10.20.30.40/32", ports: [443] },
                    { name: "x", cidr: "10.20.30.41/32", ports: [443] },
                ],
            }).join(),
            /privateEndpoints\[1\]\.name: duplicates privateEndpoints\[0\]/,
        );
        assert.match(problems({ privateEndpoints: [{ name: "x", cidr: "10.20.30.40/32", ports: [] }] }).join(), /privateEndpoints\[0\]\.ports/);
    });

    it("every option's objects validate against the Kubernetes schemas, and a team's namespaces get the cluster services too", async () => {
        const lockdown: LockdownArgs = {
            dnsPorts: [53, 5353],
            nodeLocalDns: { addresses: ["169.254.20.10", "fd00:10::a"] },
            meshCa: {},
            telemetryCollectors: [{ namespace: "observability", labels: { app: "otel-collector" }, ports: [4317] }],
            metricsScrapers: [{ namespace: "monitoring", labels: { "app.kubernetes.io/name": "prometheus" } }],
            privateEndpoints: [{ name: "payments-vpce", cidr: "10.20.30.40/32", ports: [443, 8443] }],
        };
        assert.deepStrictEqual(await validateAll(objectsFor(lockdown)), []);
        const team = teamManifests(
            buildTeamPlan(
                "team-a",
                {
                    gateway: GATEWAY_REF,
                    hosts: [],
                    namespaces: [{ name: "team-a" }],
                    allowInCluster: false,
                    nodeLocalDns: {},
                    meshCa: {},
                    telemetryCollectors: lockdown.telemetryCollectors,
                },
                GATEWAY_REF,
            ),
        );
        const teamPod: PodRef = { namespace: "team-a", labels: { app: "x" } };
        assert.strictEqual(can(team.teamSide, teamPod, "169.254.20.10", 53, "UDP"), true);
        assert.strictEqual(can(team.teamSide, teamPod, ISTIO_CSR, 6443), true);
        assert.strictEqual(can(team.teamSide, teamPod, COLLECTOR, 4317), true);
        assert.strictEqual(can(team.teamSide, teamPod, "169.254.169.254", 80), false);
    });
});
