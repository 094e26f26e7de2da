import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { cidrContains, parseCidr } from "../sdk/model";
import { connectionAllowed, egressAllowed, ingressAllowed, PodRef, policyTypesOf } from "../sdk/analysis/netpol";
import { selectorMatches } from "../sdk/model";
import type { K8sObject } from "../sdk/schema/validate";
import { yamlObjects } from "./helpers/captured";

function np(namespace: string, name: string, spec: Record<string, unknown>): K8sObject {
    return { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { namespace, name }, spec };
}

const app: PodRef = { namespace: "apps", labels: { app: "web" } };
const other: PodRef = { namespace: "apps", labels: { app: "batch" } };
const gw: PodRef = { namespace: "istio-egress", labels: { istio: "egressgateway" }, namedPorts: { "https-tls": 8443 } };
const PUBLIC = "203.0.113.10";

const defaultDenyEgress = np("apps", "default-deny-egress", { podSelector: {}, policyTypes: ["Egress"] });
const allowToGateway = np("apps", "allow-to-gateway", {
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
            ports: [{ port: 8443 }],
        },
        {
            to: [{ namespaceSelector: {}, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
            ports: [
                { port: 53, protocol: "UDP" },
                { port: 53, protocol: "TCP" },
            ],
        },
    ],
});

describe("analysis: CIDR helper", () => {
    it("matches IPv4 and IPv6 prefixes exactly, never across families", () => {
        assert.ok(cidrContains("10.0.0.0/8", "10.255.1.2"));
        assert.ok(!cidrContains("10.0.0.0/8", "11.0.0.1"));
        assert.ok(cidrContains("0.0.0.0/0", PUBLIC));
        assert.ok(!cidrContains("0.0.0.0/0", "2001:db8::1"), "an IPv4 block never matches IPv6");
        assert.ok(!cidrContains("::/0", "10.0.0.1"), "an IPv6 block never matches IPv4");
        assert.ok(cidrContains("2001:db8::/32", "2001:db8:ffff::1"));
        assert.ok(!cidrContains("2001:db8::/32", "2001:db9::1"));
        assert.ok(cidrContains("::ffff:0:0/96", "::ffff:10.1.2.3"));
        assert.ok(cidrContains("192.168.1.7/32", "192.168.1.7"));
        assert.ok(!cidrContains("192.168.1.7/32", "192.168.1.8"));
        assert.ok(cidrContains("172.16.0.0/12", "172.31.255.255"));
        assert.ok(!cidrContains("172.16.0.0/12", "172.32.0.0"));
        assert.strictEqual(parseCidr("10.1.2.3/8").network, parseCidr("10.0.0.0/8").network, "host bits are cleared");
    });

    it("rejects malformed CIDRs naming where they came from", () => {
        assert.throws(() => parseCidr("10.0.0.0/33", "x.cidr"), /x\.cidr: .*invalid prefix length/);
        assert.throws(() => parseCidr("300.0.0.0/8", "x.cidr"), /x\.cidr: "300\.0\.0\.0\/8" is not an IPv4 or IPv6 CIDR/);
        assert.throws(() => parseCidr("2001:db8::/129"), /invalid prefix length/);
    });
});

describe("analysis: label selectors", () => {
    it("implements matchLabels and In/NotIn/Exists/DoesNotExist", () => {
        const labels = { app: "web", tier: "front" };
        assert.ok(selectorMatches({}, labels));
        assert.ok(selectorMatches({ matchLabels: { app: "web" } }, labels));
        assert.ok(!selectorMatches({ matchLabels: { app: "db" } }, labels));
        assert.ok(selectorMatches({ matchExpressions: [{ key: "tier", operator: "In", values: ["front", "x"] }] }, labels));
        assert.ok(!selectorMatches({ matchExpressions: [{ key: "tier", operator: "In", values: ["back"] }] }, labels));
        assert.ok(selectorMatches({ matchExpressions: [{ key: "zone", operator: "NotIn", values: ["a"] }] }, labels), "NotIn matches a missing key");
        assert.ok(!selectorMatches({ matchExpressions: [{ key: "app", operator: "NotIn", values: ["web"] }] }, labels));
        assert.ok(selectorMatches({ matchExpressions: [{ key: "app", operator: "Exists" }] }, labels));
        assert.ok(!selectorMatches({ matchExpressions: [{ key: "zone", operator: "Exists" }] }, labels));
        assert.ok(selectorMatches({ matchExpressions: [{ key: "zone", operator: "DoesNotExist" }] }, labels));
        assert.ok(!selectorMatches({ matchExpressions: [{ key: "app", operator: "DoesNotExist" }] }, labels));
        assert.throws(
            () => selectorMatches({ matchExpressions: [{ key: "a", operator: "Gt", values: ["1"] }] }, labels, "sel"),
            /sel\.matchExpressions\[0\]: unknown operator "Gt"/,
        );
        assert.throws(() => selectorMatches({ matchExpressions: [{ key: "a", operator: "In", values: [] }] }, labels), /In needs a non-empty values list/);
    });
});

describe("analysis: NetworkPolicy semantics", () => {
    it("defaults policyTypes to Ingress, plus Egress when spec.egress is present", () => {
        assert.deepStrictEqual(policyTypesOf(np("a", "x", { podSelector: {} })), ["Ingress"]);
        assert.deepStrictEqual(policyTypesOf(np("a", "x", { podSelector: {}, egress: [] })), ["Ingress", "Egress"]);
        assert.deepStrictEqual(policyTypesOf(np("a", "x", { podSelector: {}, policyTypes: ["Egress"] })), ["Egress"]);
        assert.throws(() => policyTypesOf(np("a", "x", { podSelector: {}, policyTypes: ["egress"] })), /spec\.policyTypes contains "egress"/);
    });

    it("a pod no policy selects is not isolated", () => {
        const d = egressAllowed([np("other", "deny", { podSelector: {}, policyTypes: ["Egress"] })], app, { ip: PUBLIC }, 443);
        assert.strictEqual(d.allowed, true);
        assert.deepStrictEqual(d.policies, []);
    });

    it("an ingress-only policy (no egress field) does not isolate egress", () => {
        const d = egressAllowed([np("apps", "ing", { podSelector: {}, ingress: [] })], app, { ip: PUBLIC }, 443);
        assert.strictEqual(d.allowed, true);
    });

    it("an IPv4-mapped IPv6 peer is judged as the IPv4 address it is sent to (the API server refuses mapped CIDRs)", () => {
        // The kernel sends ::ffff:a.b.c.d as IPv4, and Go's IPNet.Contains (the network plugins') matches it as IPv4.
        const internet = np("apps", "internet", {
            podSelector: {},
            policyTypes: ["Egress"],
            egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] } }, { ipBlock: { cidr: "::/0", except: ["fc00::/7"] } }] }],
        });
        assert.strictEqual(egressAllowed([internet], app, { ip: "::ffff:10.0.0.1" }, 443).allowed, false, "mapped private IPv4: the IPv4 except decides");
        assert.strictEqual(egressAllowed([internet], app, { ip: "::ffff:8.8.8.8" }, 443).allowed, true, "mapped public IPv4: the IPv4 block allows");
        const v6only = np("apps", "v6", { podSelector: {}, policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: "::/0" } }] }] });
        assert.strictEqual(egressAllowed([v6only], app, { ip: "::ffff:8.8.8.8" }, 443).allowed, false, "::/0 does not match a mapped (IPv4) destination");
    });

    it("default-deny egress blocks the internet and names the policy", () => {
        const d = egressAllowed([defaultDenyEgress], app, { ip: PUBLIC }, 443);
        assert.strictEqual(d.allowed, false);
        assert.deepStrictEqual(d.policies, ["apps/default-deny-egress"]);
    });

    it("unions the egress rules of every policy selecting the pod", () => {
        const pols = [defaultDenyEgress, allowToGateway];
        const toGw = egressAllowed(pols, app, { pod: gw }, 8443);
        assert.strictEqual(toGw.allowed, true);
        assert.deepStrictEqual(toGw.policies, ["apps/allow-to-gateway"]);
        assert.strictEqual(egressAllowed(pols, app, { pod: gw }, 8080).allowed, false, "wrong port");
        assert.strictEqual(egressAllowed(pols, app, { pod: { ...gw, labels: { istio: "ingressgateway" } } }, 8443).allowed, false, "wrong pod");
        assert.strictEqual(egressAllowed(pols, app, { pod: { ...gw, namespace: "elsewhere" } }, 8443).allowed, false, "wrong namespace");
        assert.strictEqual(egressAllowed(pols, app, { ip: PUBLIC }, 443).allowed, false, "still no internet");
        const dns = { namespace: "kube-system", labels: { "k8s-app": "kube-dns" } };
        assert.strictEqual(egressAllowed(pols, app, { pod: dns }, 53, "UDP").allowed, true);
        assert.strictEqual(egressAllowed(pols, app, { pod: dns }, 53, "SCTP").allowed, false);
    });

    it("podSelector alone selects pods in the policy's namespace only", () => {
        const pol = np("apps", "to-batch", {
            podSelector: { matchLabels: { app: "web" } },
            policyTypes: ["Egress"],
            egress: [{ to: [{ podSelector: { matchLabels: { app: "batch" } } }] }],
        });
        assert.strictEqual(egressAllowed([pol], app, { pod: other }, 80).allowed, true);
        assert.strictEqual(egressAllowed([pol], app, { pod: { ...other, namespace: "x" } }, 80).allowed, false);
        assert.strictEqual(egressAllowed([pol], other, { ip: PUBLIC }, 80).allowed, true, "batch is not selected");
    });

    it("namespaceSelector uses namespace labels (default kubernetes.io/metadata.name)", () => {
        const pol = np("apps", "to-team", {
            podSelector: {},
            policyTypes: ["Egress"],
            egress: [{ to: [{ namespaceSelector: { matchLabels: { team: "blue" } } }] }],
        });
        const target: PodRef = { namespace: "blue-ns", labels: {}, namespaceLabels: { team: "blue" } };
        assert.strictEqual(egressAllowed([pol], app, { pod: target }, 1234).allowed, true);
        assert.strictEqual(egressAllowed([pol], app, { pod: { namespace: "blue-ns", labels: {} } }, 1234).allowed, false);
    });

    it("ipBlock with except, IPv4 and IPv6", () => {
        const pol = np("apps", "internet-but-private", {
            podSelector: {},
            policyTypes: ["Egress"],
            egress: [
                {
                    to: [
                        { ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "203.0.113.0/28"] } },
                        { ipBlock: { cidr: "2001:db8::/32", except: ["2001:db8:1::/48"] } },
                    ],
                },
            ],
        });
        assert.strictEqual(egressAllowed([pol], app, { ip: "198.51.100.1" }, 443).allowed, true);
        assert.strictEqual(egressAllowed([pol], app, { ip: PUBLIC }, 443).allowed, false, "inside except");
        assert.strictEqual(egressAllowed([pol], app, { ip: "203.0.113.16" }, 443).allowed, true, "just outside except /28");
        assert.strictEqual(egressAllowed([pol], app, { ip: "10.1.2.3" }, 443).allowed, false);
        assert.strictEqual(egressAllowed([pol], app, { ip: "2001:db8:2::1" }, 443).allowed, true);
        assert.strictEqual(egressAllowed([pol], app, { ip: "2001:db8:1::1" }, 443).allowed, false);
        assert.strictEqual(egressAllowed([pol], app, { ip: "2001:db9::1" }, 443).allowed, false);
        // pod peers: ipBlock applies only when the pod IP is known
        assert.strictEqual(egressAllowed([pol], app, { pod: gw }, 443).allowed, false);
        assert.strictEqual(egressAllowed([pol], app, { pod: { ...gw, ip: "100.64.0.5" } }, 443).allowed, true);
    });

    it("selectors never match external IPs", () => {
        const pol = np("apps", "all-namespaces", { podSelector: {}, policyTypes: ["Egress"], egress: [{ to: [{ namespaceSelector: {} }] }] });
        assert.strictEqual(egressAllowed([pol], app, { pod: gw }, 443).allowed, true);
        assert.strictEqual(egressAllowed([pol], app, { ip: PUBLIC }, 443).allowed, false);
    });

    it("an empty rule {} allows everything; a rule without ports allows every port", () => {
        const all = np("apps", "allow-all", { podSelector: {}, policyTypes: ["Egress"], egress: [{}] });
        assert.strictEqual(egressAllowed([defaultDenyEgress, all], app, { ip: PUBLIC }, 9999, "UDP").allowed, true);
        const toAny = np("apps", "any-port", { podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }] });
        assert.strictEqual(egressAllowed([toAny], app, { ip: PUBLIC }, 22).allowed, true);
    });

    it("ports: protocol default TCP, endPort ranges, port-less protocol entries", () => {
        const pol = np("apps", "ranges", {
            podSelector: {},
            policyTypes: ["Egress"],
            egress: [{ ports: [{ port: 8000, endPort: 8100 }, { protocol: "UDP" }] }],
        });
        assert.strictEqual(egressAllowed([pol], app, { ip: PUBLIC }, 8000).allowed, true);
        assert.strictEqual(egressAllowed([pol], app, { ip: PUBLIC }, 8100).allowed, true);
        assert.strictEqual(egressAllowed([pol], app, { ip: PUBLIC }, 8101).allowed, false);
        assert.strictEqual(egressAllowed([pol], app, { ip: PUBLIC }, 8050, "UDP").allowed, true);
        assert.strictEqual(egressAllowed([pol], app, { ip: PUBLIC }, 5000, "UDP").allowed, true);
        const bad = np("apps", "bad", { podSelector: {}, policyTypes: ["Egress"], egress: [{ ports: [{ port: 9000, endPort: 8000 }] }] });
        assert.throws(() => egressAllowed([bad], app, { ip: PUBLIC }, 8000), /NetworkPolicy apps\/bad spec\.egress\[0\]\.ports\[0\]\.endPort/);
    });

    it("named ports match only when the destination pod's port names are known", () => {
        const pol = np("apps", "named", { podSelector: {}, policyTypes: ["Egress"], egress: [{ ports: [{ port: "https-tls" }] }] });
        assert.strictEqual(egressAllowed([pol], app, { pod: gw }, 8443).allowed, true);
        assert.strictEqual(egressAllowed([pol], app, { pod: gw }, 443).allowed, false);
        assert.strictEqual(egressAllowed([pol], app, { pod: { ...gw, namedPorts: undefined } }, 8443).allowed, false);
        assert.strictEqual(egressAllowed([pol], app, { ip: PUBLIC }, 8443).allowed, false);
    });

    it("ingress: the destination's policies decide; connectionAllowed needs both sides", () => {
        const gwIngress = np("istio-egress", "gw-ingress", {
            podSelector: { matchLabels: { istio: "egressgateway" } },
            ingress: [
                {
                    from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "apps" } }, podSelector: { matchLabels: { app: "web" } } }],
                    ports: [{ port: 8443 }],
                },
            ],
        });
        assert.strictEqual(ingressAllowed([gwIngress], gw, { pod: app }, 8443).allowed, true);
        assert.strictEqual(ingressAllowed([gwIngress], gw, { pod: other }, 8443).allowed, false);
        const pols = [defaultDenyEgress, allowToGateway, gwIngress];
        const ok = connectionAllowed(pols, app, { pod: gw }, 8443);
        assert.strictEqual(ok.allowed, true);
        assert.deepStrictEqual(ok.policies, ["apps/allow-to-gateway", "istio-egress/gw-ingress"]);
        const blocked = connectionAllowed(pols, other, { pod: gw }, 8443);
        assert.strictEqual(blocked.allowed, false, "egress is fine but the gateway's ingress policy refuses batch");
        assert.deepStrictEqual(blocked.policies, ["istio-egress/gw-ingress"]);
        assert.strictEqual(connectionAllowed(pols, app, { ip: PUBLIC }, 443).allowed, false);
    });

    it("ignores objects that are not NetworkPolicies", () => {
        const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { namespace: "apps", name: "x" }, spec: { podSelector: {}, policyTypes: ["Egress"] } };
        assert.strictEqual(egressAllowed([cm], app, { ip: PUBLIC }, 443).allowed, true);
    });

    it("agrees with Istio's NetworkPolicy reference YAML (when present)", function () {
        const ref = path.resolve(__dirname, "../..", "../shared/reference/istio-docs/05-egress-networkpolicy-docs.yaml");
        if (!fs.existsSync(ref)) {
            console.log("    ../shared/reference absent (a user's clone); skipping");
            this.skip();
        }
        const objs = yamlObjects(fs.readFileSync(ref, "utf8")).filter((o) => o.kind === "NetworkPolicy");
        const pol = objs.find((o) => o.metadata.name === "allow-egress-to-istio-system-and-kube-dns");
        assert.ok(pol, "the reference file holds the egress-gateway task's NetworkPolicy");
        const ns = pol.metadata.namespace!;
        const client: PodRef = { namespace: ns, labels: { app: "sleep" } };
        const dns: PodRef = {
            namespace: "kube-system",
            labels: { "k8s-app": "kube-dns" },
            namespaceLabels: { "kubernetes.io/metadata.name": "kube-system", "kube-system": "true" },
        };
        const istiod: PodRef = {
            namespace: "istio-system",
            labels: { app: "istiod" },
            namespaceLabels: { "kubernetes.io/metadata.name": "istio-system", istio: "system" },
        };
        const egw: PodRef = { namespace: "istio-system", labels: { istio: "egressgateway" }, namespaceLabels: istiod.namespaceLabels };
        assert.strictEqual(egressAllowed(objs, client, { pod: dns }, 53, "UDP").allowed, true);
        assert.strictEqual(egressAllowed(objs, client, { pod: dns }, 53, "TCP").allowed, false, "the doc's policy opens UDP/53 only");
        assert.strictEqual(egressAllowed(objs, client, { pod: egw }, 443).allowed, true);
        assert.strictEqual(egressAllowed(objs, client, { pod: istiod }, 15012).allowed, true, "all of istio-system is open, not only the gateway");
        assert.strictEqual(egressAllowed(objs, client, { ip: PUBLIC }, 443).allowed, false, "direct internet is blocked");
        const unlabelled: PodRef = { ...egw, namespaceLabels: undefined };
        assert.strictEqual(egressAllowed(objs, client, { pod: unlabelled }, 443).allowed, false, "without the manual namespace label nothing matches");
    });
});
