/**
 * The four promises of the secure-egress design, checked by EVALUATING the generated objects with the pure
 * NetworkPolicy and AuthorizationPolicy evaluators (sdk/analysis), not by counting them:
 *  (1) nothing bypasses the gateway, (2) per-host access by identity with DENY rules, (3) all egress monitored,
 *  (4) impersonation fails.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { EgressGatewayArgs, EgressMode } from "../sdk/args";
import { buildPlan, EgressPlan } from "../sdk/plan";
import { lockdownManifests } from "../sdk/manifests/lockdown";
import { routingManifests } from "../sdk/manifests/routing";
import { connectionAllowed, PodRef, Protocol } from "../sdk/analysis/netpol";
import { AuthzDecision, evaluateAuthz } from "../sdk/analysis/authz";
import { callerWithoutCertificateAdmitted, peerAuthenticationApplies, selectorMatches } from "../sdk/model";
import type { K8sObject } from "../sdk/schema/validate";
import { listAt, num, recordAt, valueAt } from "../sdk/model/read";
import { yamlObjects } from "./helpers/captured";

const PUBLIC_V4 = "93.184.216.34";
const PUBLIC_V6 = "2606:2800:220:1:248:1893:25c8:1946";
const METADATA = "169.254.169.254";

/** The ASM tutorial scenario plus one host per mode and one nobody may reach. */
const ARGS: EgressGatewayArgs = {
    hosts: [
        // ASM: everyone in the mesh may reach www.aliyun.com, except namespace demo-frontend.
        { host: "www.aliyun.com", mode: EgressMode.Http, allow: [{}], deny: [{ namespaces: ["demo-frontend"] }] },
        {
            host: "api.example.com",
            mode: EgressMode.TlsOrigination,
            allow: [{ serviceAccounts: ["shop/checkout"] }, { namespaces: ["ops"], methods: ["GET"], paths: ["/status*"] }],
        },
        { host: "secure.example.com", mode: EgressMode.Tls, allow: [{ namespaces: ["shop"] }], deny: [{ serviceAccounts: ["shop/untrusted"] }] },
        { host: "*.wikipedia.org", mode: EgressMode.Tls, upstreamHost: "en.wikipedia.org", allow: [{}] },
        { host: "nobody.example.com", mode: EgressMode.Http },
    ],
    lockdown: {
        namespaces: [{ name: "demo-frontend" }, { name: "demo-server" }, { name: "shop" }, { name: "ops" }],
        clusterCidrs: ["10.0.0.0/14", "34.118.224.0/20"],
        extraEgressCidrs: [{ name: "kube-apiserver", cidr: "34.1.2.3/32", ports: [443] }],
    },
};

function objectsFor(args: EgressGatewayArgs): { plan: EgressPlan; objects: K8sObject[] } {
    const plan = buildPlan("eg", args);
    const m = lockdownManifests(plan);
    return { plan, objects: [...m.gatewayNamespace, ...m.protectedNamespaces] };
}

const app = (namespace: string, ip = "10.1.0.5"): PodRef => ({ namespace, labels: { app: "web" }, ip });
const DNS: PodRef = { namespace: "kube-system", labels: { "k8s-app": "kube-dns" }, ip: "10.2.0.10" };
const ISTIOD: PodRef = { namespace: "istio-system", labels: { app: "istiod", istio: "pilot" }, ip: "10.2.0.20" };
/** The gateway pods as the istio/gateway chart labels them for the default plan (release egress-gateway). */
const GATEWAY: PodRef = { namespace: "istio-egress", labels: { ...buildPlan("eg", {}).gateway.podLabels, "pod-template-hash": "7c9d8f6b5" }, ip: "10.2.0.30" };
const DEBUG_IN_GW_NS: PodRef = { namespace: "istio-egress", labels: { app: "debug" }, ip: "10.2.0.31" };
const DB_ELSEWHERE: PodRef = { namespace: "databases", labels: { app: "postgres" }, ip: "10.3.0.7" };

type Dest = { name: string; to: { pod: PodRef } | { ip: string } };
const DESTS: Dest[] = [
    { name: "dns", to: { pod: DNS } },
    { name: "istiod", to: { pod: ISTIOD } },
    { name: "gateway", to: { pod: GATEWAY } },
    { name: "debug-in-gw-ns", to: { pod: DEBUG_IN_GW_NS } },
    { name: "db", to: { pod: DB_ELSEWHERE } },
    { name: "public-v4", to: { ip: PUBLIC_V4 } },
    { name: "public-v6", to: { ip: PUBLIC_V6 } },
    { name: "metadata", to: { ip: METADATA } },
    { name: "alibaba-metadata", to: { ip: "100.100.100.200" } },
    { name: "private-10", to: { ip: "10.0.0.1" } },
    { name: "private-172", to: { ip: "172.16.5.4" } },
    { name: "private-192", to: { ip: "192.168.1.1" } },
    { name: "cluster-cidr", to: { ip: "34.118.224.9" } },
    { name: "ula-v6", to: { ip: "fd00::1" } },
    { name: "apiserver", to: { ip: "34.1.2.3" } },
    { name: "next-to-apiserver", to: { ip: "34.1.2.4" } },
];
const PORTS: [number, Protocol][] = [
    [53, "UDP"],
    [53, "TCP"],
    [80, "TCP"],
    [443, "TCP"],
    [15012, "TCP"],
    [15017, "TCP"],
    [15010, "TCP"],
    [15000, "TCP"],
    [22, "TCP"],
    [8080, "TCP"],
];

/** Every (destination, port) the policies let `from` open, as `name:port/proto`. */
function reachable(objects: K8sObject[], from: PodRef): string[] {
    const out: string[] = [];
    for (const d of DESTS) {
        for (const [port, proto] of PORTS) {
            if (connectionAllowed(objects, from, d.to, port, proto).allowed) out.push(`${d.name}:${port}/${proto}`);
        }
    }
    return out;
}

describe("lockdown promise 1: nothing bypasses the gateway (NetworkPolicy, evaluated)", () => {
    it("from an app pod (allowInCluster: false) only DNS, istiod, the gateway pods and the opt-in CIDR are reachable", () => {
        const { objects } = objectsFor({ ...ARGS, lockdown: { ...ARGS.lockdown, allowInCluster: false } });
        assert.deepStrictEqual(reachable(objects, app("shop")), [
            "dns:53/UDP",
            "dns:53/TCP",
            "istiod:15012/TCP",
            "gateway:80/TCP",
            "gateway:443/TCP",
            "apiserver:443/TCP",
        ]);
    });

    it("with in-cluster traffic allowed (the default), pods anywhere are reachable but no address outside the cluster is", () => {
        const { objects } = objectsFor(ARGS);
        const got = reachable(objects, app("demo-frontend"));
        const external = got.filter((r) => !/^(dns|istiod|gateway|debug-in-gw-ns|db):/.test(r));
        assert.deepStrictEqual(external, ["apiserver:443/TCP"], "only the opt-in CIDR, on its port");
        for (const r of ["db:5432", "db:22", "dns:53", "istiod:15012"]) {
            const [name, port] = r.split(":");
            const to = DESTS.find((d) => d.name === name)!.to;
            assert.ok(connectionAllowed(objects, app("demo-frontend"), to, Number(port)).allowed, r);
        }
        // The gateway namespace stays closed except for the gateway's two listeners.
        assert.deepStrictEqual(
            got.filter((r) => /^(gateway|debug-in-gw-ns):/.test(r)),
            ["gateway:80/TCP", "gateway:443/TCP"],
        );
        // Explicitly: the promise's examples.
        assert.strictEqual(connectionAllowed(objects, app("demo-frontend"), { ip: PUBLIC_V4 }, 443).allowed, false);
        assert.strictEqual(connectionAllowed(objects, app("demo-frontend"), { ip: METADATA }, 80).allowed, false);
        assert.strictEqual(
            connectionAllowed(objects, app("demo-frontend"), { ip: "8.8.8.8" }, 53, "UDP").allowed,
            false,
            "no DNS to outside resolvers (tunnelling)",
        );
    });

    it("every protected namespace is locked, other namespaces are not touched, and every namespace reaches the gateway's listeners only", () => {
        const { objects, plan } = objectsFor(ARGS);
        for (const ns of plan.lockdown.namespaces.map((n) => n.name)) {
            assert.strictEqual(connectionAllowed(objects, app(ns), { ip: PUBLIC_V4 }, 443).allowed, false, ns);
            assert.strictEqual(connectionAllowed(objects, app(ns), { pod: GATEWAY }, 80).allowed, true, ns);
        }
        // Issue 11, item 4: the routes are mesh-wide, so an unprotected namespace's sidecars send to the gateway too;
        // it is admitted on the mTLS listeners (identity decides there), never on any other port of the gateway.
        const outsider = app("databases", "10.3.0.9");
        assert.deepStrictEqual(
            reachable(objects, outsider).filter((r) => /^(gateway|debug-in-gw-ns):/.test(r)),
            ["gateway:80/TCP", "gateway:443/TCP"],
        );
        assert.strictEqual(connectionAllowed(objects, outsider, { ip: PUBLIC_V4 }, 443).allowed, true, "an unprotected namespace's own egress is not touched");
    });

    it("the gateway pods reach the internet on the external ports only, never private ranges, cluster ranges or metadata", () => {
        const { objects } = objectsFor(ARGS);
        assert.deepStrictEqual(reachable(objects, GATEWAY), [
            "dns:53/UDP",
            "dns:53/TCP",
            "istiod:15012/TCP",
            "public-v4:80/TCP",
            "public-v4:443/TCP",
            "public-v6:80/TCP",
            "public-v6:443/TCP",
            "apiserver:80/TCP",
            "apiserver:443/TCP",
            "next-to-apiserver:80/TCP",
            "next-to-apiserver:443/TCP",
        ]);
        // App pods are in the cluster: the gateway cannot call them either.
        assert.strictEqual(connectionAllowed(objects, GATEWAY, { pod: app("shop") }, 8080).allowed, false);
    });

    it("other pods of the gateway's namespace reach nothing and nothing reaches them", () => {
        const { objects } = objectsFor(ARGS);
        assert.deepStrictEqual(reachable(objects, DEBUG_IN_GW_NS), []);
        assert.strictEqual(connectionAllowed(objects, app("shop"), { pod: DEBUG_IN_GW_NS }, 80).allowed, false);
    });

    it("follows the gateway's container ports when the chart values move them", () => {
        const { objects } = objectsFor({
            ...ARGS,
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
        const from = app("shop");
        assert.strictEqual(connectionAllowed(objects, from, { pod: GATEWAY }, 8080).allowed, true);
        assert.strictEqual(connectionAllowed(objects, from, { pod: GATEWAY }, 8443).allowed, true);
        assert.strictEqual(connectionAllowed(objects, from, { pod: GATEWAY }, 80).allowed, false, "the Service port is not the pod's port");
    });

    it("is tighter than Istio's own docs policy: TCP DNS works, and only istiod:15012 of istio-system is open (when the reference is present)", function () {
        const ref = path.resolve(__dirname, "../..", "../shared/reference/istio-docs/05-egress-networkpolicy-docs.yaml");
        if (!fs.existsSync(ref)) {
            console.log("    ../shared/reference absent (a user's clone); skipping");
            this.skip();
        }
        const docs = yamlObjects(fs.readFileSync(ref, "utf8")).filter((o) => o.kind === "NetworkPolicy");
        assert.ok(docs.length > 0);
        const ns = docs[0].metadata.namespace!;
        const { objects } = objectsFor({ ...ARGS, lockdown: { ...ARGS.lockdown, namespaces: [{ name: ns }], allowInCluster: false } });
        // The docs rely on manual namespace labels; give them those so the comparison is fair.
        const labelled = (p: PodRef, extra: Record<string, string>): PodRef => ({
            ...p,
            namespaceLabels: { "kubernetes.io/metadata.name": p.namespace, ...extra },
        });
        const dns = labelled(DNS, { "kube-system": "true" });
        const istiodPod = labelled(ISTIOD, { istio: "system" });
        const ingressGw = labelled({ namespace: "istio-system", labels: { istio: "ingressgateway" } }, { istio: "system" });
        const from = app(ns);
        assert.strictEqual(connectionAllowed(docs, from, { pod: dns }, 53, "TCP").allowed, false);
        assert.strictEqual(connectionAllowed(objects, from, { pod: dns }, 53, "TCP").allowed, true);
        assert.strictEqual(connectionAllowed(docs, from, { pod: ingressGw }, 8080).allowed, true);
        assert.strictEqual(connectionAllowed(objects, from, { pod: ingressGw }, 8080).allowed, false);
        assert.strictEqual(connectionAllowed(docs, from, { pod: istiodPod }, 15017).allowed, true);
        assert.strictEqual(connectionAllowed(objects, from, { pod: istiodPod }, 15017).allowed, false);
        for (const policies of [docs, objects]) {
            assert.strictEqual(connectionAllowed(policies, from, { ip: PUBLIC_V4 }, 443).allowed, false);
        }
    });
});

// ---------------------------------------------------------------------------------------------------------

interface Call {
    principal?: string;
    host?: string;
    sni?: string;
    path?: string;
    method?: string;
}

/** A request at the gateway pods, as they see it: HTTP on the HTTP listener, TLS (SNI only) on the TLS one. */
function atGateway(plan: EgressPlan, objects: K8sObject[], call: Call): AuthzDecision {
    const http = call.host !== undefined;
    return evaluateAuthz(objects, {
        workload: { namespace: plan.gateway.namespace, labels: GATEWAY.labels },
        source: call.principal ? { principal: call.principal } : {},
        http,
        host: call.host,
        sni: call.sni,
        path: call.path ?? (http ? "/" : undefined),
        method: call.method ?? (http ? "GET" : undefined),
        port: http ? plan.gateway.httpPort.targetPort : plan.gateway.tlsPort.targetPort,
    });
}
const sa = (ns: string, name = "default") => `cluster.local/ns/${ns}/sa/${name}`;

describe("lockdown promise 2: per-host access by identity at the gateway, with DENY rules (AuthorizationPolicy, evaluated)", () => {
    const { plan, objects } = objectsFor(ARGS);
    const call = (c: Call) => atGateway(plan, objects, c);

    it("ASM scenario: the mesh may reach www.aliyun.com, demo-frontend is denied by a DENY rule (envoy answers 403)", () => {
        assert.strictEqual(call({ principal: sa("demo-server"), host: "www.aliyun.com" }).allowed, true);
        assert.strictEqual(call({ principal: sa("shop", "checkout"), host: "www.aliyun.com:80" }).allowed, true, "Host header with a port");
        const denied = call({ principal: sa("demo-frontend"), host: "www.aliyun.com" });
        assert.deepStrictEqual([denied.allowed, denied.action, denied.policy], [false, "DENY", "istio-egress/eg-deny"]);
    });

    it("a DENY rule of an HTTP host does not spill onto the caller's TLS traffic", () => {
        assert.strictEqual(call({ principal: sa("demo-frontend"), sni: "en.wikipedia.org" }).allowed, true);
    });

    it("a host without allow rules, or not configured at all, is reachable by nobody", () => {
        for (const principal of [sa("demo-server"), sa("shop", "checkout"), sa("ops")]) {
            for (const c of [{ host: "nobody.example.com" }, { host: "evil.example.net" }, { sni: "evil.example.net" }]) {
                const d = call({ principal, ...c });
                assert.deepStrictEqual([d.allowed, d.action], [false, "ALLOW"], `${principal} ${JSON.stringify(c)}: ${d.reason}`);
            }
        }
    });

    it("HTTP hosts: by service account, or by namespace restricted to methods and paths", () => {
        assert.strictEqual(call({ principal: sa("shop", "checkout"), host: "api.example.com", method: "POST", path: "/orders" }).allowed, true);
        assert.strictEqual(call({ principal: sa("shop", "web"), host: "api.example.com" }).allowed, false, "another SA of the same namespace");
        assert.strictEqual(call({ principal: sa("ops", "any"), host: "api.example.com", method: "GET", path: "/status/health" }).allowed, true);
        assert.strictEqual(call({ principal: sa("ops", "any"), host: "api.example.com", method: "POST", path: "/status" }).allowed, false, "method");
        assert.strictEqual(call({ principal: sa("ops", "any"), host: "api.example.com", method: "GET", path: "/orders" }).allowed, false, "path");
    });

    it("TLS hosts: matched on the outer SNI, with DENY rules per service account", () => {
        assert.strictEqual(call({ principal: sa("shop", "web"), sni: "secure.example.com" }).allowed, true);
        const untrusted = call({ principal: sa("shop", "untrusted"), sni: "secure.example.com" });
        assert.deepStrictEqual([untrusted.allowed, untrusted.action], [false, "DENY"]);
        assert.strictEqual(call({ principal: sa("ops"), sni: "secure.example.com" }).allowed, false, "namespace not allowed");
        assert.strictEqual(call({ principal: sa("shop", "web"), sni: "other.example.com" }).allowed, false, "SNI of no allowed host");
        assert.strictEqual(call({ principal: sa("shop", "untrusted"), sni: "en.wikipedia.org" }).allowed, true, "the DENY is per host");
    });

    it("an allow rule naming namespaces and service accounts admits either (from entries are ORed)", () => {
        const { plan: p, objects: o } = objectsFor({
            hosts: [{ host: "x.example.com", mode: EgressMode.Tls, allow: [{ namespaces: ["a"], serviceAccounts: ["b/robot"] }] }],
        });
        const at = (principal: string) => atGateway(p, o, { principal, sni: "x.example.com" }).allowed;
        assert.deepStrictEqual([at(sa("a", "anything")), at(sa("b", "robot")), at(sa("b", "other")), at(sa("c", "robot"))], [true, true, false, false]);
    });
});

describe("lockdown promise 3: all egress is monitored (Telemetry on the gateway, evaluated with the NetworkPolicies)", () => {
    it("access logs are on by default for exactly the pods that can reach the internet", () => {
        const { plan, objects } = objectsFor(ARGS);
        const telemetry = objects.filter((o) => o.kind === "Telemetry");
        assert.strictEqual(telemetry.length, 1);
        const t = telemetry[0];
        assert.strictEqual(t.apiVersion, "telemetry.istio.io/v1");
        assert.strictEqual(t.metadata.namespace, plan.gateway.namespace);
        assert.deepStrictEqual(valueAt(t, "spec", "accessLogging"), [{ providers: [{ name: "envoy" }] }]);
        const logged = (p: PodRef) => p.namespace === t.metadata.namespace && selectorMatches(recordAt(t, "spec", "selector"), p.labels);
        const pods = [GATEWAY, DEBUG_IN_GW_NS, DB_ELSEWHERE, ...plan.lockdown.namespaces.map((n) => app(n.name))];
        // Only protected-namespace pods and the gateway's namespace are governed here; among them, whoever reaches
        // a public address is logged, and the protected apps can reach the logged gateway.
        for (const p of pods.filter((x) => x !== DB_ELSEWHERE)) {
            const out = connectionAllowed(objects, p, { ip: PUBLIC_V4 }, 443).allowed;
            assert.strictEqual(out, logged(p), `${p.namespace}/${p.labels.app}: internet ${out}, logged ${logged(p)}`);
        }
        assert.ok(logged(GATEWAY));
        for (const n of plan.lockdown.namespaces) {
            assert.ok(connectionAllowed(objects, app(n.name), { pod: GATEWAY }, plan.gateway.httpPort.targetPort).allowed);
        }
    });

    it("turning access logs off removes the Telemetry (the switch is real)", () => {
        const { objects } = objectsFor({ ...ARGS, lockdown: { ...ARGS.lockdown, accessLogs: false } });
        assert.deepStrictEqual(
            objects.filter((o) => o.kind === "Telemetry"),
            [],
        );
    });

    it("follows the gateway's own selector label, not the chart's shared labels (issue 11, item 1)", () => {
        const labels = { app: "egw", team: "platform" };
        const { plan, objects } = objectsFor({ ...ARGS, gateway: { namespace: "egress-b", labels } });
        const t = objects.find((o) => o.kind === "Telemetry")!;
        assert.ok(selectorMatches(recordAt(t, "spec", "selector"), { ...plan.gateway.podLabels, "pod-template-hash": "abc" }));
        assert.strictEqual(plan.gateway.podLabels.app, "egw", "gateway.labels reach the pods");
        assert.ok(!selectorMatches(recordAt(t, "spec", "selector"), { ...labels, "pod-template-hash": "abc" }), "the extra labels alone do not select");
        assert.ok(!selectorMatches(recordAt(t, "spec", "selector"), GATEWAY.labels), "another namespace's gateway is not selected");
    });
});

describe("lockdown promise 4: impersonating another application fails (mTLS identity)", () => {
    const { plan, objects } = objectsFor(ARGS);
    const call = (c: Call) => atGateway(plan, objects, c);

    it("the gateway's ISTIO_MUTUAL servers refuse a caller without a mesh certificate; the STRICT PeerAuthentication is not what does it", () => {
        // Istio applies PeerAuthentication to sidecar inbound listeners only (pilot/pkg/networking/core/listener.go
        // BuildListeners); a gateway's listeners require a client certificate because its servers are ISTIO_MUTUAL
        // (listener.go BuildListenerTLSContext). sdk/model/gateway-tls.ts follows that.
        const withRoutes = [...objects, ...routingManifests(plan).shared];
        for (const port of [plan.gateway.httpPort.port, plan.gateway.tlsPort.port]) {
            const d = callerWithoutCertificateAdmitted(withRoutes, GATEWAY, port);
            assert.strictEqual(d.admitted, false, d.reason);
            assert.match(d.reason, /ISTIO_MUTUAL/);
        }
        assert.strictEqual(peerAuthenticationApplies("gateway"), false);
        // The trick: a server without ISTIO_MUTUAL next to the namespace's STRICT PeerAuthentication admits
        // plaintext callers; the PeerAuthentication does not save it.
        const pa = objects.filter((o) => o.kind === "PeerAuthentication");
        assert.deepStrictEqual(
            pa.map((o) => [o.metadata.namespace, valueAt(o, "spec", "selector"), valueAt(o, "spec", "mtls")]),
            [[plan.gateway.namespace, undefined, { mode: "STRICT" }]],
        );
        const gw = routingManifests(plan).shared.find((o) => o.kind === "Gateway")!;
        const weakened = {
            ...gw,
            spec: {
                ...recordAt(gw, "spec"),
                servers: listAt(gw, "spec", "servers").map((s, i) => (i === 0 ? { ...recordAt(s), tls: { mode: "SIMPLE", credentialName: "x" } } : s)),
            },
        };
        const firstPort = num(valueAt(gw, "spec", "servers", 0, "port", "number"));
        assert.ok(firstPort !== undefined, "the Gateway's first server has a port number");
        assert.strictEqual(callerWithoutCertificateAdmitted([...objects, weakened], GATEWAY, firstPort).admitted, true);
    });

    it("a caller without a mesh identity matches no rule, not even 'any authenticated'", () => {
        for (const c of [{ host: "www.aliyun.com" }, { sni: "en.wikipedia.org" }, { sni: "secure.example.com" }]) {
            assert.strictEqual(call(c).allowed, false, JSON.stringify(c));
        }
    });

    it("the same service account name in another namespace does not match someone else's rule", () => {
        assert.strictEqual(call({ principal: sa("shop", "checkout"), host: "api.example.com", method: "POST", path: "/orders" }).allowed, true);
        assert.strictEqual(call({ principal: sa("demo-server", "checkout"), host: "api.example.com", method: "POST", path: "/orders" }).allowed, false);
        assert.strictEqual(call({ principal: sa("evil", "checkout"), host: "api.example.com", method: "POST", path: "/orders" }).allowed, false);
    });

    it("a namespace rule is matched on the namespace in the certificate, so another namespace cannot borrow it", () => {
        assert.strictEqual(call({ principal: sa("shop", "web"), sni: "secure.example.com" }).allowed, true);
        assert.strictEqual(call({ principal: sa("ops", "shop"), sni: "secure.example.com" }).allowed, false, "a service account named like the namespace");
    });

    it("a denied identity cannot dodge its DENY by changing the Host header's form", () => {
        for (const host of ["www.aliyun.com", "www.aliyun.com:80", "WWW.ALIYUN.COM", "www.aliyun.com:8080"]) {
            const d = call({ principal: sa("demo-frontend"), host });
            assert.strictEqual(d.allowed, false, `${host}: ${d.reason}`);
        }
    });

    it("a caller outside the protected namespaces reaches the gateway's listeners, but gets only what its identity is allowed", () => {
        // Issue 11, item 4: L3 admits every namespace on the mTLS ports; the identity check is the gate.
        assert.strictEqual(connectionAllowed(objects, app("evil", "10.9.9.9"), { pod: GATEWAY }, plan.gateway.httpPort.targetPort).allowed, true);
        assert.strictEqual(connectionAllowed(objects, app("evil", "10.9.9.9"), { pod: GATEWAY }, 15000).allowed, false, "no other port");
        assert.strictEqual(call({ principal: sa("evil", "checkout"), host: "api.example.com", method: "POST", path: "/orders" }).allowed, false);
        assert.strictEqual(call({ principal: sa("evil"), sni: "secure.example.com" }).allowed, false);
        assert.strictEqual(call({ host: "www.aliyun.com" }).allowed, false, "without a mesh identity, not even 'any authenticated'");
        assert.strictEqual(call({ principal: sa("evil"), host: "www.aliyun.com" }).allowed, true, "allow: [{}] is any mesh identity, wherever it runs");
    });
});
