/**
 * `no-external-egress-networkpolicy` and NodeLocal DNSCache (issue 11 item 7 on the pack side): the component opens
 * DNS to the node's cache (`lockdown.nodeLocalDns`, an ipBlock of one link-local address on port 53 only); the pack
 * accepts exactly that shape — port 53 (UDP/TCP) only, one address a node-local cache may have (the component's own
 * rule, sdk/model/node-local-dns.ts) — and keeps reporting anything wider, any other port, and metadata addresses.
 */
import * as assert from "assert";
import { K8sObject } from "../sdk/schema/validate";
import { fromManifests, networkPolicyProblems, runPolicies, GuardConfig } from "istio-egress-guard/lib";
import { componentOutput, FULL_ARGS, packConfigFor } from "./fixtures/policy/component";
import { defaultDeny } from "./fixtures/policy/workloads";

const DNS = [
    { protocol: "UDP", port: 53 },
    { protocol: "TCP", port: 53 },
];
const np = (egress: unknown[], name = "node-dns", ns = "apps"): K8sObject => ({
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name, namespace: ns },
    spec: { podSelector: {}, policyTypes: ["Egress"], egress },
});
const CFG = {
    inClusterCidrs: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"],
    allowedEgressCidrs: [],
    gatewayNamespaces: ["istio-egress"],
    gatewayLabels: { istio: "egressgateway" },
} as unknown as GuardConfig;
const holes = (o: K8sObject, cfg: GuardConfig = CFG) => networkPolicyProblems("NetworkPolicy", o, cfg, "networking.k8s.io", "apps");

describe("policy pack: NodeLocal DNSCache NetworkPolicies (no-external-egress-networkpolicy)", function () {
    this.timeout(60000);

    it("passes the component's output with every lock-down option on (platform and team, nodeLocalDns included)", async function () {
        const out = componentOutput();
        const nodeDns = out.objects.filter((o) => o.kind === "NetworkPolicy" && JSON.stringify(o.spec).includes("169.254.20.10"));
        // the gateway's, each protected namespace's and the team namespace's
        assert.ok(
            nodeDns.length >= 1 + FULL_ARGS.lockdown!.namespaces!.length + 1,
            nodeDns.map((o) => `${o.metadata.namespace}/${o.metadata.name}`).join(", "),
        );
        const vs = await runPolicies(out.resources, { config: packConfigFor(out.plan) });
        assert.deepStrictEqual(
            vs.map((v) => `${v.policy} ${v.resource.kind} ${v.resource.namespace}/${v.resource.name}: ${v.message}`),
            [],
        );
        // the protected namespaces' node-dns policies are judged (they are not the gateway's), and they pass
        for (const o of nodeDns.filter((x) => x.metadata.namespace !== out.plan.gateway.namespace)) assert.deepStrictEqual(holes(o), [], o.metadata.name);
    });

    it("accepts DNS only to one cache address: link-local (IPv4 and IPv6) or private, UDP and/or TCP 53", function () {
        for (const cidr of ["169.254.20.10/32", "169.254.25.10/32", "fe80::a:10/128", "10.96.0.10/32"]) {
            assert.deepStrictEqual(holes(np([{ to: [{ ipBlock: { cidr } }], ports: DNS }])), [], cidr);
        }
        assert.deepStrictEqual(holes(np([{ to: [{ ipBlock: { cidr: "169.254.20.10/32" } }], ports: [{ protocol: "UDP", port: 53 }] }])), []);
        assert.deepStrictEqual(holes(np([{ to: [{ ipBlock: { cidr: "169.254.20.10/32" } }], ports: [{ port: 53 }] }])), [], "protocol absent is TCP");
        // a private address with narrow inClusterCidrs (it would be flagged on any other port)
        const narrow = { ...CFG, inClusterCidrs: ["10.0.0.0/16"] };
        assert.deepStrictEqual(holes(np([{ to: [{ ipBlock: { cidr: "10.96.0.10/32" } }], ports: DNS }]), narrow), []);
        assert.strictEqual(holes(np([{ to: [{ ipBlock: { cidr: "10.96.0.10/32" } }], ports: [{ protocol: "TCP", port: 443 }] }]), narrow).length, 1);
    });

    describe("the tricks: the same rule stays a finding", function () {
        const cases: [string, unknown][] = [
            ["the cloud metadata address on port 53", { to: [{ ipBlock: { cidr: "169.254.169.254/32" } }], ports: DNS }],
            ["the AWS VPC resolver (169.254.169.253)", { to: [{ ipBlock: { cidr: "169.254.169.253/32" } }], ports: DNS }],
            ["ECS task metadata / EKS Pod Identity (169.254.170.0/24)", { to: [{ ipBlock: { cidr: "169.254.170.23/32" } }], ports: DNS }],
            ["AWS IMDS over IPv6", { to: [{ ipBlock: { cidr: "fd00:ec2::254/128" } }], ports: DNS }],
            ["Azure WireServer / platform DNS", { to: [{ ipBlock: { cidr: "168.63.129.16/32" } }], ports: DNS }],
            ["Alibaba Cloud metadata", { to: [{ ipBlock: { cidr: "100.100.100.200/32" } }], ports: DNS }],
            ["a public resolver (DNS tunnelling straight out)", { to: [{ ipBlock: { cidr: "8.8.8.8/32" } }], ports: DNS }],
            ["the link-local range instead of one address", { to: [{ ipBlock: { cidr: "169.254.0.0/16" } }], ports: DNS }],
            ["a /24 around the cache", { to: [{ ipBlock: { cidr: "169.254.20.0/24" } }], ports: DNS }],
            ["0.0.0.0/0 on port 53", { to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: DNS }],
            [
                "a range written as a single-address block with except",
                { to: [{ ipBlock: { cidr: "169.254.0.0/16", except: ["169.254.169.0/24"] } }], ports: DNS },
            ],
            ["another port next to 53", { to: [{ ipBlock: { cidr: "169.254.20.10/32" } }], ports: [...DNS, { protocol: "TCP", port: 443 }] }],
            ["no ports (every port)", { to: [{ ipBlock: { cidr: "169.254.20.10/32" } }] }],
            ["empty ports (every port)", { to: [{ ipBlock: { cidr: "169.254.20.10/32" } }], ports: [] }],
            ["a port range starting at 53", { to: [{ ipBlock: { cidr: "169.254.20.10/32" } }], ports: [{ protocol: "TCP", port: 53, endPort: 65535 }] }],
            ["SCTP 53", { to: [{ ipBlock: { cidr: "169.254.20.10/32" } }], ports: [{ protocol: "SCTP", port: 53 }] }],
            [
                "a named port (cannot resolve on an address outside the cluster)",
                { to: [{ ipBlock: { cidr: "169.254.20.10/32" } }], ports: [{ protocol: "UDP", port: "dns" }] },
            ],
            ["port 53 written as a string", { to: [{ ipBlock: { cidr: "169.254.20.10/32" } }], ports: [{ protocol: "UDP", port: "53" }] }],
            [
                "the cache next to the metadata address in one rule",
                { to: [{ ipBlock: { cidr: "169.254.20.10/32" } }, { ipBlock: { cidr: "169.254.169.254/32" } }], ports: DNS },
            ],
        ];
        for (const [trick, rule] of cases) {
            it(trick, function () {
                const found = holes(np([rule]));
                assert.strictEqual(found.length, 1, `${trick}: ${JSON.stringify(found)}`);
                assert.match(found[0], /opens (addresses outside the cluster|every destination)|has no "to"/);
            });
        }
        it("and without the trick the rule passes", function () {
            assert.deepStrictEqual(holes(np([{ to: [{ ipBlock: { cidr: "169.254.20.10/32" } }], ports: DNS }])), []);
        });
    });

    it("metadata addresses inside the default in-cluster ranges stay outside (100.64.0.0/10 holds Alibaba's, fc00::/7 AWS's IPv6 IMDS)", function () {
        // the trick: before, these passed on any port because the default inClusterCidrs cover them
        for (const cidr of ["100.100.100.200/32", "100.64.0.0/10", "fd00:ec2::254/128", "fc00::/7"]) {
            const found = holes(np([{ to: [{ ipBlock: { cidr } }], ports: [{ protocol: "TCP", port: 80 }] }]));
            assert.strictEqual(found.length, 1, cidr);
            assert.match(found[0], /100\.100\.100\.200\/32|fd00:ec2::254\/128/, found[0]);
        }
        const cilium = {
            apiVersion: "cilium.io/v2",
            kind: "CiliumNetworkPolicy",
            metadata: { name: "c", namespace: "apps" },
            spec: { endpointSelector: {}, egress: [{ toCIDR: ["100.100.100.200/32"] }] },
        };
        assert.strictEqual(networkPolicyProblems("CiliumNetworkPolicy", cilium, CFG, "cilium.io", "apps").length, 1);
        // without the trick: the rest of the shared address space, and an explicit allowedEgressCidrs entry
        assert.deepStrictEqual(holes(np([{ to: [{ ipBlock: { cidr: "100.64.0.0/10", except: ["100.100.100.200/32"] } }] }])), []);
        assert.deepStrictEqual(holes(np([{ to: [{ ipBlock: { cidr: "100.100.100.200/32" } }] }]), { ...CFG, allowedEgressCidrs: ["100.100.100.200/32"] }), []);
    });

    it("a DNS-cache rule makes nothing else exempt: the namespace still needs its default-deny, and a second rule is judged", async function () {
        const deploy = {
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: "web", namespace: "apps" },
            spec: {
                selector: { matchLabels: { app: "web" } },
                template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "web" }] } },
            },
        };
        const only = np([{ to: [{ ipBlock: { cidr: "169.254.20.10/32" } }], ports: DNS }]);
        // a podSelector: {} Egress policy opening only the cache is itself a default-deny for the namespace
        assert.deepStrictEqual(
            (await runPolicies(fromManifests([deploy, only]))).map((v) => v.policy),
            [],
        );
        const leaky = np(
            [
                { to: [{ ipBlock: { cidr: "169.254.20.10/32" } }], ports: DNS },
                { to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ port: 443 }] },
            ],
            "leaky",
        );
        const vs = await runPolicies(fromManifests([deploy, leaky, defaultDeny("apps")]));
        assert.deepStrictEqual(
            vs.map((v) => `${v.policy} ${v.message.slice(0, 40)}`),
            ["no-external-egress-networkpolicy spec.egress[1].to[0].ipBlock 0.0.0.0/0 o"],
        );
    });
});
