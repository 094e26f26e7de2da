/**
 * Structure-aware fuzzing of `EgressGateway`'s arguments (issue 10, "How it is checked"): valid args, mutated the
 * way a JavaScript caller, a program reading hosts from config or another Pulumi language would get them wrong
 * (wrong types, typos in keys, strings for lists, empty lists, Outputs in odd places, odd CIDRs, hosts, ports and
 * Helm values), and an oracle that judges the outcome:
 *  - refused: only as the one `ResourceError` naming fields (never a TypeError, never an internal error), with
 *    nothing registered — or, for an input that is an Output, failing the deployment with no Helm release
 *    registered;
 *  - accepted: safe BY EVALUATION with sdk/analysis's evaluators (`evaluateAuthz`, `connectionAllowed`), not by
 *    reading the objects: no ALLOW_ANY; no NetworkPolicy letting a non-gateway pod reach a public address (other
 *    than an extra CIDR the args open, on its ports); no metadata, private or special-purpose address open from the
 *    gateway; no ALLOW for a host without allow rules; Helm values still ClusterIP with the configured labels.
 * The oracle reads what was asked from the args, never from the plan under test (but for the plan's SNI, which it
 * probes in addition to the names it derives itself).
 *
 * Used by tests/args-fuzz.test.ts (bounded) and bench/fuzz.ts (`npm run fuzz`, long).
 */
import * as fc from "fast-check";
import * as pulumi from "@pulumi/pulumi";
import { EgressGatewayArgs, EgressMode } from "../../sdk/args";
import { EgressGateway } from "../../sdk/component";
import { CapturedResource, runProgram } from "../../sdk/engine/mock-engine";
import { ArgsError, buildPlan, EgressPlan } from "../../sdk/plan";
import { routingManifests } from "../../sdk/manifests/routing";
import { lockdownManifests } from "../../sdk/manifests/lockdown";
import { namespaceObject, releaseArgs, routesCatalog } from "../../sdk/manifests/gateway";
import { connectionAllowed, PodRef } from "../../sdk/analysis/netpol";
import { evaluateAuthz } from "../../sdk/analysis/authz";
import { cidrContains, formatCidr, gatewaySelector, HELM_RELEASE_TYPE, hostCovers, isWireSecret, tryParseCidr, type K8sObject } from "../../sdk/model";
import { errorMessage, isRecord, listAt, recordAt, shown, stringAt, stringRecord, valueAt } from "../../sdk/model/read";
import { objectOf } from "./component";

// ---------------------------------------------------------------------------------------------------------
// Valid arguments

const HOST_POOL = [
    "httpbin.org",
    "api.example.com",
    "edition.cnn.com",
    "www.aliyun.com",
    "pypi.org",
    "registry.npmjs.org",
    "api.stripe.com",
    "a-very-long-subdomain-name-for-testing.service.example-company.com",
];
const NAMESPACE_POOL = ["app-a", "app-b", "shop", "ops"];
const SA_POOL = ["app-a/web", "shop/checkout", "ops/runner", "app-b/default"];

const sub = <T>(xs: readonly T[], min = 0, max = xs.length) => fc.subarray([...xs], { minLength: min, maxLength: max });

const accessRule = (http: boolean) =>
    fc
        .record(
            {
                namespaces: sub(NAMESPACE_POOL, 1, 2),
                serviceAccounts: sub(SA_POOL, 1, 2),
                ...(http ? { methods: sub(["GET", "POST", "DELETE", "PUT"], 1, 2), paths: sub(["/status*", "/v1/*", "/health"], 1, 2) } : {}),
            },
            { requiredKeys: [] },
        )
        .map((r) => r as Record<string, string[]>);

const modeArb = fc.constantFrom(EgressMode.Http, EgressMode.TlsOrigination, EgressMode.Tls, EgressMode.MutualTlsOrigination);

const hostArb = (host: string) =>
    modeArb.chain((mode) => {
        const http = mode !== EgressMode.Tls;
        return fc
            .record(
                {
                    allow: fc.array(accessRule(http), { minLength: 1, maxLength: 2 }),
                    deny: fc.array(accessRule(http), { minLength: 1, maxLength: 1 }),
                },
                { requiredKeys: [] },
            )
            .map((rules) => ({
                host,
                mode,
                ...(mode === EgressMode.MutualTlsOrigination ? { credentialName: "client-cert" } : {}),
                ...rules,
            }));
    });

const wildcardArb = fc.record({ allow: fc.array(accessRule(false), { minLength: 1, maxLength: 1 }) }, { requiredKeys: [] }).map((r) => ({
    host: "*.wikipedia.org",
    mode: EgressMode.Tls,
    upstreamHost: "en.wikipedia.org",
    ...r,
}));

const EXTRA_POOL = [
    { name: "postgres", cidr: "10.20.0.0/16", ports: [5432] },
    { name: "kube-apiserver", cidr: "34.1.2.3/32", ports: [443, 6443] },
    { name: "partner-range", cidr: "52.10.0.0/24", ports: [443], allowPublicRange: true },
    { name: "v6-db", cidr: "fd12:3456::/64", ports: [5432] },
];

/** Valid EgressGateway args (the plan accepts them; the fuzz test checks that too). */
export const validArgs: fc.Arbitrary<EgressGatewayArgs> = fc
    .record({
        hosts: fc
            .tuple(
                sub(HOST_POOL, 1, 4).chain((hs) => fc.tuple(...hs.map(hostArb))),
                fc.option(wildcardArb, { nil: undefined }),
            )
            .map(([hs, w]) => (w ? [...hs, w] : hs)),
        namespaces: sub(NAMESPACE_POOL, 0, 3).chain((ns) =>
            fc.tuple(...ns.map((name) => fc.record({ name: fc.constant(name), registryOnlySidecar: fc.boolean() }, { requiredKeys: ["name"] }))),
        ),
        allowInCluster: fc.option(fc.boolean(), { nil: undefined }),
        extra: sub(EXTRA_POOL, 0, 2),
        clusterCidrs: fc.option(sub(["10.0.0.0/14", "34.118.224.0/20", "fd00:10::/56"], 1, 3), { nil: undefined }),
        gatewayNamespace: fc.option(fc.constantFrom("istio-egress", "egress-gw"), { nil: undefined }),
        labels: fc.option(fc.constantFrom({ istio: "egressgateway" }, { egress: "yes", team: "platform" }), { nil: undefined }),
        replicas: fc.option(fc.integer({ min: 2, max: 4 }), { nil: undefined }),
        values: fc.option(
            fc.constantFrom(
                { podAnnotations: { "prometheus.io/scrape": "true" } },
                { nodeSelector: { pool: "egress" } },
                { tolerations: [{ key: "egress", operator: "Exists" }] },
            ),
            { nil: undefined },
        ),
        accessLogs: fc.option(fc.boolean(), { nil: undefined }),
    })
    .map((r) => {
        const gateway: Record<string, unknown> = {};
        if (r.gatewayNamespace) gateway.namespace = r.gatewayNamespace;
        if (r.labels) gateway.labels = { ...r.labels };
        if (r.replicas) gateway.replicas = r.replicas;
        if (r.values) gateway.values = JSON.parse(JSON.stringify(r.values)) as typeof r.values;
        const lockdown: Record<string, unknown> = { namespaces: r.namespaces };
        if (r.allowInCluster !== undefined) lockdown.allowInCluster = r.allowInCluster;
        if (r.extra.length > 0) lockdown.extraEgressCidrs = JSON.parse(JSON.stringify(r.extra)) as typeof r.extra;
        if (r.clusterCidrs) lockdown.clusterCidrs = r.clusterCidrs;
        if (r.accessLogs !== undefined) lockdown.accessLogs = r.accessLogs;
        const hosts = JSON.parse(JSON.stringify(r.hosts)) as typeof r.hosts;
        return { hosts, lockdown, ...(Object.keys(gateway).length > 0 ? { gateway } : {}) };
    });

// ---------------------------------------------------------------------------------------------------------
// Mutations

export type MutationKind =
    | "wrongType"
    | "typoKey"
    | "stringForList"
    | "emptyList"
    | "output"
    | "secret"
    | "promise"
    | "semantic"
    | "unknownKey"
    | "deleteKey"
    | "duplicate"
    | "helmValues";

export interface Mutation {
    kind: MutationKind;
    /** Which node (modulo the number of nodes). */
    pick: number;
    /** Which replacement (modulo the candidates). */
    choice: number;
}

const WRONG_TYPES: unknown[] = [
    0,
    -1,
    1.5,
    1e20,
    NaN,
    Infinity,
    true,
    false,
    null,
    undefined,
    "",
    "x",
    "false",
    "true",
    "0",
    [],
    {},
    ["a"],
    [1],
    [[]],
    [null],
    { a: 1 },
    () => 1,
];

const SEMANTIC: Record<string, unknown[]> = {
    host: [
        "*",
        "*.com",
        "kubernetes.default.svc.cluster.local",
        "*.svc.cluster.local",
        "istio-egressgateway.istio-egress.svc.cluster.local",
        "0x7f.0.0.1",
        "127.1",
        "017700000001",
        "169.254.169.254",
        "[::1]",
        "EXAMPLE.com",
        "a..b.com",
        "-a.com",
        "a.com.",
        `${"x".repeat(64)}.com`,
        "localhost",
        "metadata.google.internal",
        "*.example.com",
        "wildcard.example.com",
        "foo_bar.example.com",
        " api.example.com",
        "api.example.com:443",
        "xn--bcher-kva.example.com",
        "api.example.local",
        "*.*.example.com",
        "a.b*.example.com",
    ],
    cidr: [
        "169.254.169.254/32",
        "fd00:ec2::254/128",
        "168.63.129.16/32",
        "100.100.100.200/32",
        "0.0.0.0/0",
        "::/0",
        "10.0.0.1/8",
        "8.0.0.0/8",
        "34.1.2.0/24",
        "64:ff9b::/96",
        "224.0.0.0/4",
        "192.168.0.0/33",
        "10.0.0.0",
        " 10.0.0.0/8",
        "::ffff:10.0.0.0/104",
        "2002::/16",
        "fe80::/10",
        "127.0.0.0/8",
        "100.64.0.0/10",
        "1.2.3.4/32",
        "10.0.0.0/7",
        "192.0.0.0/24",
    ],
    port: [0, -1, 65536, 1.5, "443", NaN, 22, 53, 15012, 15021, 15090, 1e9, 80, 443],
    namespace: ["kube-system", "istio-system", "istio-egress", "default", "", "A", "a_b", "a".repeat(64), "app-a", "-x", "kube-public"],
    serviceAccount: ["a/b", "a", "a/b/c", "*/x", "a/*", "/", "app-a/", "app-a/*"],
    method: ["DELTE", "get", "*", "GET ", "CONNECT", "PATCH", ""],
    path: ["", "*", "/a*", "a", "/admin", "*/x", "/x?y", "/**"],
    mode: ["HTTPS", "http", "TLS_ORIGINATION ", "PASSTHROUGH", "tls", ""],
    label: [{}, { "app.kubernetes.io/name": "x" }, { "a/b/c": "x" }, { istio: "" }, { istio: "ingressgateway" }, { "": "x" }],
    trustDomain: ["", "evil.com", "cluster.local", "a b", "td.example"],
};

/** Which semantic pool a key's values come from. */
function semanticPool(key: string | number | undefined, parentKey: string | number | undefined): unknown[] | undefined {
    const k = typeof key === "string" ? key : typeof parentKey === "string" ? parentKey : "";
    if (k === "host" || k === "upstreamHost") return SEMANTIC.host;
    if (k === "cidr" || k === "clusterCidrs") return SEMANTIC.cidr;
    if (k === "port" || k === "targetPort" || k === "ports" || k === "externalPorts" || k === "replicas") return SEMANTIC.port;
    if (k === "name" || k === "namespace" || k === "namespaces" || k === "istiodNamespace" || k === "dnsNamespace" || k === "releaseName")
        return SEMANTIC.namespace;
    if (k === "serviceAccounts") return SEMANTIC.serviceAccount;
    if (k === "methods") return SEMANTIC.method;
    if (k === "paths") return SEMANTIC.path;
    if (k === "mode") return SEMANTIC.mode;
    if (k === "labels" || k === "istiodLabels" || k === "dnsLabels") return SEMANTIC.label;
    if (k === "trustDomain") return SEMANTIC.trustDomain;
    return undefined;
}

/** Helm values that would void the lock-down, plainly or inside Outputs. */
const HELM_VALUES: (() => Record<string, unknown>)[] = [
    () => ({ service: { type: "LoadBalancer" } }),
    () => ({ service: { type: "NodePort" } }),
    () => ({ service: { externalIPs: ["1.2.3.4"] } }),
    () => ({ service: { loadBalancerIP: "1.2.3.4" } }),
    () => ({ labels: { istio: "egressgateway", extra: "x" } }),
    () => ({ name: "renamed" }),
    () => ({ replicaCount: 0 }),
    () => ({ additionalContainers: [{ name: "x", image: "evil" }] }),
    () => ({ volumes: [{ name: "host", hostPath: { path: "/" } }] }),
    () => ({ global: { networkPolicy: { enabled: false } } }),
    () => ({ podAnnotations: { "sidecar.istio.io/inject": "false" } }),
    () => ({ podAnnotations: { "traffic.sidecar.istio.io/excludeOutboundIPRanges": "0.0.0.0/0" } }),
    () => ({ service: { ports: [{ name: "x", port: 80, targetPort: "http" }] } }),
    () => ({ service: { ports: [{ name: "tls", port: 443, targetPort: 8443 }] } }),
    () => ({ service: pulumi.output({ type: "LoadBalancer" }) }),
    () => ({ labels: pulumi.output({ istio: "x" }) }),
    () => ({ service: { type: pulumi.output("LoadBalancer") } }),
    () => ({ podAnnotations: pulumi.output({ "sidecar.istio.io/inject": "false" }) }),
    () => ({ podAnnotations: pulumi.secret({ team: "x" }) }),
    () => ({ service: { ports: pulumi.output([{ name: "http2", port: 80, targetPort: 80 }]) } }),
    () => ({ hostNetwork: true }),
    () => ({ securityContext: { runAsUser: 1337 } }),
    () => ({ revision: "canary" }),
    () => ({ env: { ISTIO_META_DNS_CAPTURE: "false" } }),
    () => ({ networkGateway: "x" }),
    () => ({ autoscaling: { enabled: true, minReplicas: 0 } }),
    () => ({ podDisruptionBudget: { minAvailable: 5 } }),
    () => ({ nodeSelector: pulumi.output({ pool: "egress" }) }),
];

type Path = (string | number)[];

/**
 * A node of the tree being mutated, as JavaScript reads and writes it (`v[k]`): the mutations build malformed args
 * on purpose (a string where a list goes, an Output, a Promise), so a node is whatever the last mutation put there.
 */
type Node = Record<string | number, unknown>;

/** Whether `v` is a thenable (a Promise or a look-alike): an object or function with a `then` method. */
function isThenable(v: unknown): boolean {
    return ((v !== null && typeof v === "object") || typeof v === "function") && typeof (v as { then?: unknown }).then === "function";
}

/** Every node of a plain tree, with its path (Outputs and functions are leaves). */
function nodes(root: unknown): Path[] {
    const out: Path[] = [[]];
    const walk = (v: unknown, path: Path) => {
        if (v === null || typeof v !== "object" || pulumi.Output.isInstance(v) || isThenable(v)) return;
        const entries: [string | number, unknown][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
        for (const [k, x] of entries) {
            out.push([...path, k]);
            walk(x, [...path, k]);
        }
    };
    walk(root, []);
    return out;
}

function getAt(root: unknown, path: Path): unknown {
    return path.reduce<unknown>((v, k) => (v === null || v === undefined ? undefined : (v as Node)[k]), root);
}

function setAt(root: unknown, path: Path, value: unknown): unknown {
    if (path.length === 0) return value;
    const parent = getAt(root, path.slice(0, -1));
    if (parent !== null && typeof parent === "object") (parent as Node)[path[path.length - 1]] = value;
    return root;
}

function typo(key: string, n: number): string {
    const variants = [
        key.slice(0, -1),
        `${key}s`,
        key.length > 2 ? key.slice(0, 1) + key.slice(2, 3) + key.slice(1, 2) + key.slice(3) : `${key}x`,
        key.toLowerCase() === key ? key.toUpperCase() : key.toLowerCase(),
        key.replace(/[aeiou]/, ""),
        `${key}_`,
        key.replace(/s$/, ""),
    ].filter((v) => v !== key && v.length > 0);
    return variants[n % variants.length] ?? `${key}x`;
}

/** Applies the mutations, in order, to a copy of `args`. */
export function mutate(args: EgressGatewayArgs, mutations: Mutation[]): unknown {
    let root: unknown = JSON.parse(JSON.stringify(args));
    for (const m of mutations) {
        const all = nodes(root);
        const path = all[m.pick % all.length];
        const key = path[path.length - 1];
        const parentKey = path[path.length - 2];
        const value = getAt(root, path);
        switch (m.kind) {
            case "wrongType":
                root = setAt(root, path, WRONG_TYPES[m.choice % WRONG_TYPES.length]);
                break;
            case "typoKey": {
                const parent = getAt(root, path.slice(0, -1));
                if (typeof key === "string" && isRecord(parent)) {
                    delete parent[key];
                    parent[typo(key, m.choice)] = value;
                }
                break;
            }
            case "stringForList":
                if (Array.isArray(value)) {
                    const items = value as unknown[];
                    const first: unknown = items[0];
                    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- "[object Object]" for a list of objects is the caller's mistake this mutation makes
                    root = setAt(root, path, typeof first === "string" ? first : m.choice % 2 === 0 ? String(first ?? "x") : items.join(","));
                }
                break;
            case "emptyList":
                if (Array.isArray(value)) root = setAt(root, path, []);
                break;
            case "output":
                root = setAt(root, path, pulumi.output(value));
                break;
            case "secret":
                root = setAt(root, path, pulumi.secret(value));
                break;
            case "promise":
                root = setAt(root, path, Promise.resolve(value));
                break;
            case "semantic": {
                const pool = semanticPool(key, parentKey);
                if (pool) {
                    const v = pool[m.choice % pool.length];
                    root = setAt(root, path, Array.isArray(value) && !Array.isArray(v) ? [v] : (JSON.parse(JSON.stringify(v ?? null)) as unknown));
                }
                break;
            }
            case "unknownKey":
                if (isRecord(value))
                    value[["extra", "alow", "lockdwon", "namespace", "hostname", "enabled"][m.choice % 6]] = WRONG_TYPES[m.choice % WRONG_TYPES.length];
                break;
            case "deleteKey": {
                const parent = getAt(root, path.slice(0, -1));
                if (parent !== null && typeof parent === "object" && path.length > 0) {
                    if (Array.isArray(parent)) parent.splice(Number(key), 1);
                    else delete (parent as Node)[key];
                }
                break;
            }
            case "duplicate":
                if (Array.isArray(value) && value.length > 0) {
                    const items = value as unknown[];
                    items.push(JSON.parse(JSON.stringify(items[m.choice % items.length])) as unknown);
                }
                break;
            case "helmValues": {
                if (!isRecord(root)) break;
                // (An array or a Promise in `gateway` is kept, as before: it gets a `values` field.)
                const gateway = root.gateway && typeof root.gateway === "object" && !pulumi.Output.isInstance(root.gateway) ? (root.gateway as Node) : {};
                root.gateway = gateway;
                const extra = HELM_VALUES[m.choice % HELM_VALUES.length]();
                gateway.values = { ...(gateway.values && typeof gateway.values === "object" ? gateway.values : {}), ...extra };
                break;
            }
        }
    }
    return root;
}

const KINDS: MutationKind[] = [
    "wrongType",
    "typoKey",
    "stringForList",
    "emptyList",
    "output",
    "secret",
    "promise",
    "semantic",
    "semantic",
    "semantic",
    "unknownKey",
    "deleteKey",
    "duplicate",
    "helmValues",
];

export const mutationArb: fc.Arbitrary<Mutation> = fc.record({ kind: fc.constantFrom(...KINDS), pick: fc.nat(), choice: fc.nat() });

/** Valid args with one to three mutations (and the mutations, for the report). */
export const mutatedArgs = fc
    .tuple(validArgs, fc.array(mutationArb, { minLength: 1, maxLength: 3 }), fc.nat())
    .map(([args, mutations, probeSeed]) => ({ args: mutate(args, mutations), base: args, mutations, probeSeed }));

/** Whether the (mutated) args hold an Output or a Promise anywhere. */
export function holdsPending(v: unknown, seen = new Set<unknown>()): boolean {
    if (pulumi.Output.isInstance(v) || (v !== null && typeof v === "object" && isThenable(v))) return true;
    if (v === null || typeof v !== "object" || seen.has(v)) return false;
    seen.add(v);
    return Object.values(v).some((x) => holdsPending(x, seen));
}

// ---------------------------------------------------------------------------------------------------------
// The oracle

const PUBLIC_PROBES = ["93.184.216.34", "8.8.8.8", "1.1.1.1", "34.1.2.4", "52.10.1.1", "2606:4700::1111", "2a00:1450:4001:80b::200e"];
/** One address in each range the gateway must never reach: metadata, private, special-purpose (IANA), NAT64, 6to4. */
const NEVER_FROM_GATEWAY = [
    "169.254.169.254",
    "168.63.129.16",
    "100.100.100.200",
    "fd00:ec2::254",
    "fe80::1",
    "10.0.0.1",
    "10.20.0.5",
    "172.16.5.4",
    "192.168.1.1",
    "100.64.0.1",
    "127.0.0.1",
    "0.0.0.1",
    "192.0.0.9",
    "192.0.2.1",
    "198.18.0.1",
    "198.51.100.1",
    "203.0.113.10",
    "224.0.0.251",
    "240.0.0.1",
    "255.255.255.255",
    "::1",
    "fd12:3456::1",
    "fc00::1",
    "64:ff9b::a00:1",
    "64:ff9b:1::1",
    "2002:a00:1::1",
    "2001:db8::1",
    "::ffff:10.0.0.1",
    "ff02::1",
];
const METADATA = ["169.254.169.254", "168.63.129.16", "100.100.100.200", "fd00:ec2::254", "fe80::1"];
const PROBE_PORTS = [22, 53, 80, 443, 3306, 5432, 6443, 8080, 8443, 15012];

/** What the args asked for, read from the args themselves (the oracle never asks the plan what is safe). */
interface Asked {
    gatewayNamespace: string;
    /** The extra pod labels the args give the gateway (`gateway.labels`). */
    labels: Record<string, string>;
    /** The label that selects the gateway's pods: `istio-egress.io/gateway: <namespace>.<release>` (docs/lockdown.md). */
    selector: Record<string, string>;
    /** The pod labels the istio/gateway chart gives the gateway: its selector labels, the extra labels, the selector. */
    podLabels: Record<string, string>;
    releaseName: string;
    /** `gateway.revision`: the only way the chart's `revision` may be set. */
    revision: string | undefined;
    protected: { name: string; registryOnlySidecar: boolean }[];
    /** Extra CIDRs the app pods may reach, on their ports. */
    extra: { cidr: string; ports: number[] }[];
    clusterCidrs: string[];
    hosts: { host: string | undefined; mode: string | undefined; upstreamHost?: string; hasAllow: boolean }[];
    trustDomain: string;
    /** What the rules' `namespaces` / `serviceAccounts` hold (the plan accepted them: strings). */
    namespacesNamed: unknown[];
    serviceAccountsNamed: unknown[];
}

/**
 * Read from args the plan accepted (safetyProblems judges accepted args only): fields have their types, but for
 * Outputs inside `gateway.values`, which this does not read.
 */
function asked(args: unknown): Asked {
    const gw = valueAt(args, "gateway");
    const lock = valueAt(args, "lockdown");
    const hosts = listAt(args, "hosts");
    const rules = hosts.flatMap((h) => [...listAt(h, "allow"), ...listAt(h, "deny")]);
    const gatewayNamespace = stringAt(gw, "namespace") ?? "istio-egress";
    const releaseName = stringAt(gw, "releaseName") ?? "egress-gateway";
    const labels = stringRecord(valueAt(gw, "labels"));
    const selector = gatewaySelector(gatewayNamespace, releaseName);
    return {
        gatewayNamespace,
        labels,
        selector,
        podLabels: { app: releaseName, istio: releaseName.replace(/^istio-/, ""), ...labels, ...selector },
        releaseName,
        revision: stringAt(gw, "revision"),
        protected: listAt(lock, "namespaces").map((n) => ({
            name: stringAt(n, "name") ?? "",
            registryOnlySidecar: valueAt(n, "registryOnlySidecar") !== false,
        })),
        extra: listAt(lock, "extraEgressCidrs").map((e) => ({
            cidr: stringAt(e, "cidr") ?? "",
            ports: listAt(e, "ports").filter((p): p is number => typeof p === "number"),
        })),
        clusterCidrs: listAt(lock, "clusterCidrs").filter((c): c is string => typeof c === "string"),
        hosts: hosts.map((h) => ({
            host: stringAt(h, "host"),
            mode: stringAt(h, "mode"),
            upstreamHost: stringAt(h, "upstreamHost"),
            hasAllow: listAt(h, "allow").length > 0,
        })),
        trustDomain: stringAt(lock, "trustDomain") ?? "cluster.local",
        namespacesNamed: rules.flatMap((r) => valueAt(r, "namespaces") ?? []),
        serviceAccountsNamed: rules.flatMap((r) => valueAt(r, "serviceAccounts") ?? []),
    };
}

/**
 * How many probes a case gets. `full`: every probe address on every probe port (bench/fuzz.ts). Otherwise a
 * rotating sample chosen by `seed` (a few addresses and ports per case; over hundreds of cases every probe is used),
 * which keeps the bounded test within its time.
 */
export interface ProbeOptions {
    full?: boolean;
    seed?: number;
}

function pick<T>(xs: readonly T[], n: number, seed: number, full: boolean): T[] {
    if (full || xs.length <= n) return [...xs];
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(xs[(seed * 7 + i * 13) % xs.length]);
    return [...new Set(out)];
}

/** The safety problems of accepted args' objects (empty when safe). `sni` maps a host to the SNI the plan routes it with. */
export function safetyProblems(
    rawArgs: unknown,
    objects: K8sObject[],
    helmValues: Record<string, unknown> | undefined,
    sni: (host: string) => string | undefined = () => undefined,
    probes: ProbeOptions = { full: true },
): string[] {
    const a = asked(rawArgs);
    const problems: string[] = [];
    const netpols = objects.filter((o) => o.kind === "NetworkPolicy");
    const full = probes.full ?? false;
    const seed = probes.seed ?? 0;
    // The ports: the usual suspects plus every port the args name.
    const named = [
        ...a.extra.flatMap((e) => e.ports),
        ...listAt(rawArgs, "lockdown", "externalPorts"),
        ...listAt(rawArgs, "hosts").flatMap((h) => [valueAt(h, "port"), valueAt(h, "targetPort")]),
    ].filter((p): p is number => typeof p === "number" && Number.isInteger(p) && p > 0 && p < 65536);
    const ports = [...new Set([80, 443, ...pick(PROBE_PORTS, 3, seed, full), ...pick(named, 3, seed, full)])];
    const appProbes = [...pick(PUBLIC_PROBES, 3, seed, full), ...pick(METADATA, 2, seed, full)];
    const gatewayNever = pick(NEVER_FROM_GATEWAY, 8, seed, full);

    // No ALLOW_ANY anywhere; REGISTRY_ONLY where it was asked for.
    for (const o of objects) {
        if (JSON.stringify(o).includes("ALLOW_ANY")) problems.push(`${o.kind} ${o.metadata.namespace}/${o.metadata.name} says ALLOW_ANY`);
    }
    for (const p of a.protected.filter((n) => n.registryOnlySidecar)) {
        const sidecar = objects.find((o) => o.kind === "Sidecar" && o.metadata.namespace === p.name && !valueAt(o, "spec", "workloadSelector"));
        if (valueAt(sidecar, "spec", "outboundTrafficPolicy", "mode") !== "REGISTRY_ONLY") problems.push(`namespace ${p.name}: no REGISTRY_ONLY Sidecar`);
    }

    // NetworkPolicy: non-gateway pods never reach a public address (but an extra CIDR of the args, on its ports).
    const gatewayPod: PodRef = { namespace: a.gatewayNamespace, labels: a.podLabels };
    const others: PodRef[] = [
        ...a.protected.map((p) => ({ namespace: p.name, labels: { app: "web" } })),
        ...a.protected.map((p) => ({ namespace: p.name, labels: a.podLabels })), // posing as the gateway
        { namespace: a.gatewayNamespace, labels: { app: "debug" } },
    ];
    const extraFor = (ip: string, port: number) =>
        a.extra.some((e) => {
            const c = tryParseCidr(e.cidr);
            return c !== undefined && cidrContains(c, ip) && e.ports.includes(port);
        });
    for (const pod of others) {
        const inGatewayNs = pod.namespace === a.gatewayNamespace;
        for (const ip of appProbes) {
            for (const port of ports) {
                if (!connectionAllowed(netpols, pod, { ip }, port).allowed) continue;
                const opened = !inGatewayNs && !METADATA.includes(ip) && extraFor(ip, port);
                if (!opened) problems.push(`pod ${pod.namespace}/${JSON.stringify(pod.labels)} reaches ${ip}:${port}`);
            }
        }
    }
    // The gateway: never metadata, private, special-purpose or cluster addresses; public ones only on few ports.
    // The network address of each cluster CIDR (as the plan reads it: canonical form).
    const clusterProbe = a.clusterCidrs
        .map((c) => tryParseCidr(c))
        .filter((c) => c !== undefined)
        .map((c) => formatCidr(c).split("/")[0]);
    for (const ip of [...gatewayNever, ...clusterProbe]) {
        for (const port of ports) {
            if (connectionAllowed(netpols, gatewayPod, { ip }, port).allowed) problems.push(`the gateway reaches ${ip}:${port}`);
        }
    }
    for (const ip of pick(PUBLIC_PROBES, 2, seed, full)) {
        for (const port of pick([22, 3306, 5432, 15012, 6443], 2, seed, full)) {
            if (connectionAllowed(netpols, gatewayPod, { ip }, port).allowed) problems.push(`the gateway reaches the internet on port ${port} (${ip})`);
        }
    }

    // AuthorizationPolicy: no request for a host without allow rules is allowed, from anyone.
    const namespaces = [
        ...new Set(["default", "attacker", ...a.protected.map((p) => p.name), ...a.namespacesNamed.filter((n): n is string => typeof n === "string")]),
    ];
    const principals = [
        undefined,
        ...namespaces.map((ns) => `${a.trustDomain}/ns/${ns}/sa/default`),
        ...a.serviceAccountsNamed
            .filter((s): s is string => typeof s === "string" && s.includes("/"))
            .map((s) => `${a.trustDomain}/ns/${s.split("/")[0]}/sa/${s.split("/")[1]}`),
    ];
    const allowed = a.hosts.filter((h) => h.hasAllow).map((h) => h.host);
    const coveredByAllowed = (name: string) => allowed.some((p) => typeof p === "string" && (hostCovers(p, name) || hostCovers(name, p)));
    for (const h of a.hosts.filter((x): x is Asked["hosts"][number] & { host: string } => !x.hasAllow && typeof x.host === "string")) {
        const names = [h.host.startsWith("*.") ? `sample${h.host.slice(1)}` : h.host, h.upstreamHost, sni(h.host)].filter(
            (n): n is string => typeof n === "string" && !coveredByAllowed(n),
        );
        for (const name of new Set(names)) {
            for (const principal of principals) {
                for (const http of [true, false]) {
                    const d = evaluateAuthz(objects, {
                        workload: { namespace: a.gatewayNamespace, labels: gatewayPod.labels },
                        source: principal ? { principal, namespace: principal.split("/")[2] } : {},
                        http,
                        ...(http ? { host: name, path: "/", method: "GET" } : { sni: name }),
                        port: http ? 80 : 443,
                    });
                    if (d.allowed)
                        problems.push(
                            `${principal ?? "anonymous"} is allowed ${http ? "HTTP" : "TLS"} to ${name} (host ${h.host} has no allow rules): ${d.reason}`,
                        );
                }
            }
        }
    }

    // Helm values: still ClusterIP, with the configured labels, nothing that exposes or renames the gateway.
    if (helmValues !== undefined) {
        const v = helmValues;
        if (valueAt(v, "service", "type") !== "ClusterIP") problems.push(`Helm values: service.type is ${JSON.stringify(valueAt(v, "service", "type"))}`);
        const wanted = { ...a.labels, ...a.selector };
        for (const [k, x] of Object.entries(wanted)) {
            if (valueAt(v, "labels", k) !== x)
                problems.push(`Helm values: labels.${k} is ${JSON.stringify(valueAt(v, "labels", k))}, not ${JSON.stringify(x)}`);
        }
        for (const k of Object.keys(recordAt(v, "labels"))) {
            if (!(k in wanted)) problems.push(`Helm values: an extra label ${k}`);
        }
        if (valueAt(v, "service", "externalIPs") !== undefined || valueAt(v, "service", "loadBalancerIP") !== undefined)
            problems.push("Helm values: the Service is exposed");
        if (v.name !== undefined) problems.push(`Helm values: name ${JSON.stringify(v.name)}`);
        // Number(x) >= 1 is how `x >= 1` compares a value of any type.
        if (v.replicaCount !== undefined && !(Number(v.replicaCount) >= 1)) problems.push(`Helm values: replicaCount ${shown(v.replicaCount)}`);
        // (Keys the istio/gateway chart reads: templates/deployment.yaml; others, e.g. hostNetwork, it ignores.)
        for (const k of [
            "additionalContainers",
            "volumes",
            "volumeMounts",
            "initContainers",
            "lifecycle",
            "securityContext",
            "containerSecurityContext",
            "dnsPolicy",
            "dnsConfig",
            "serviceAccount",
            "networkGateway",
        ]) {
            if (v[k] !== undefined) problems.push(`Helm values: ${k} set`);
        }
        if (v.revision !== a.revision) problems.push(`Helm values: revision ${JSON.stringify(v.revision)}, asked ${JSON.stringify(a.revision)}`);
        if (JSON.stringify(v.podAnnotations ?? {}).match(/sidecar\.istio\.io\/inject|traffic\.sidecar\.istio\.io/))
            problems.push("Helm values: annotations that turn injection or capture off");
    }
    return problems;
}

/** What a case came to. */
export type Outcome = { kind: "refused"; message: string } | { kind: "accepted"; objects: number } | { kind: "deferred" };

/** A failure of the oracle: the case and what is wrong with it. */
export class FuzzFailure extends Error {}

/** The name of a thrown value's constructor (`ResourceError`, `TypeError`, ...), as `err?.constructor?.name` reads it. */
function constructorName(err: unknown): string | undefined {
    if (err === null || err === undefined) return undefined;
    const name = (err as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === "string" ? name : undefined;
}

function describeError(err: unknown): string {
    return `${constructorName(err) ?? typeof err}: ${errorMessage(err).split("\n").slice(0, 6).join(" | ")}`;
}

/**
 * The plan and manifests, without an engine: refused only with an `ArgsError` (every problem named as field +
 * rule); accepted only with safe objects. Args holding Outputs whose values the plan defers are judged as far as
 * the plan goes (their values under the engine).
 */
export function checkPure(args: unknown, probes: ProbeOptions = { full: true }): Outcome {
    let plan: EgressPlan;
    try {
        plan = buildPlan("egress", args as EgressGatewayArgs);
    } catch (err) {
        if (!(err instanceof ArgsError)) throw new FuzzFailure(`buildPlan threw ${describeError(err)}`);
        if (
            err.problems.length === 0 ||
            err.problems.some((p) => typeof p.field !== "string" || p.field.length === 0 || typeof p.rule !== "string" || p.rule.length === 0)
        ) {
            throw new FuzzFailure(`an ArgsError without field/rule: ${JSON.stringify(err.problems)}`);
        }
        return { kind: "refused", message: err.message };
    }
    let objects: K8sObject[];
    let values: Record<string, unknown> | undefined;
    try {
        const routing = routingManifests(plan);
        const lockdown = lockdownManifests(plan);
        objects = [
            ...(plan.gateway.createNamespace ? [namespaceObject(plan)] : []),
            ...lockdown.gatewayNamespace,
            ...routing.shared,
            ...[...routing.perHost.values()].flat(),
            routesCatalog(plan),
            ...lockdown.protectedNamespaces,
        ];
        // Values with Outputs are judged under the engine: building their checked input here would leave a
        // promise that rejects later, unhandled, in whatever runs next.
        values = plan.release!.valuesPending ? undefined : (releaseArgs(plan).values as Record<string, unknown>);
    } catch (err) {
        throw new FuzzFailure(`the manifests of an accepted plan threw ${describeError(err)}`);
    }
    const problems = safetyProblems(args, objects, values, (host) => plan.hosts.find((h) => h.host === host)?.sni, probes);
    if (problems.length > 0) throw new FuzzFailure(`accepted but unsafe:\n  ${problems.slice(0, 10).join("\n  ")}`);
    return plan.release!.valuesPending ? { kind: "deferred" } : { kind: "accepted", objects: objects.length };
}

/**
 * Under the mock engine (`pulumi up`, or preview): refused as a `ResourceError` naming fields with nothing registered
 * (not even the component), or — only for args holding an Output — failing the deployment with no Helm release
 * registered; accepted with safe objects and safe Helm values as registered (Outputs resolved).
 */
export async function checkEngine(args: unknown, preview = false, probes: ProbeOptions = { full: true }): Promise<Outcome> {
    let resources: CapturedResource[];
    try {
        resources = (await runProgram(() => void new EgressGateway("egress", args as EgressGatewayArgs), { preview, timeoutMs: 30000 })).resources;
    } catch (err) {
        const message = errorMessage(err);
        // The mock engine attaches what was registered before the error (sdk/engine/mock-engine.ts).
        const captured = listAt(err, "capturedResources") as CapturedResource[];
        const registered = captured.filter((r) => r.type !== "pulumi:pulumi:Stack");
        if (!(err instanceof pulumi.ResourceError) && !(err instanceof pulumi.RunError) && !/ResourceError/.test(String(constructorName(err)))) {
            // The Pulumi runtime wraps a rejected input as a plain Error "error serializing property ...: <ResourceError message>".
            if (!/^error serializing property/.test(message)) throw new FuzzFailure(`the program failed with ${describeError(err)}`);
        }
        if (/internal error|TypeError|Cannot read propert|is not a function|is not iterable/.test(message))
            throw new FuzzFailure(`an internal error: ${describeError(err)}`);
        if (!/EgressGateway "egress": /.test(message)) throw new FuzzFailure(`an error that does not name the component: ${describeError(err)}`);
        if (!/\n {2}- [^:]+: |gateway\.values: holds an Output/.test(message)) throw new FuzzFailure(`an error that names no field: ${describeError(err)}`);
        if (registered.length > 0) {
            if (!holdsPending(args))
                throw new FuzzFailure(`refused after registering ${registered.length} resource(s), without an Output in the args: ${describeError(err)}`);
            if (registered.some((r) => r.type === HELM_RELEASE_TYPE))
                throw new FuzzFailure(`a Helm release was registered although the values were refused: ${describeError(err)}`);
            if (!/once resolved|not known during preview|with no value/.test(message))
                throw new FuzzFailure(`a late refusal that does not say it judged a resolved value: ${describeError(err)}`);
        }
        return { kind: "refused", message };
    }
    // Unwrapping a secret keeps the object's shape.
    const objects = resources
        .map(objectOf)
        .filter((o): o is K8sObject => o !== undefined)
        .map((o) => unwrapSecrets(o) as K8sObject);
    const release = resources.find((r) => r.type === HELM_RELEASE_TYPE);
    if (!release) throw new FuzzFailure("accepted, but no Helm release was registered");
    // A secret inside the values makes the whole values secret (as Pulumi propagates secrecy): judge what is inside.
    const problems = safetyProblems(args, objects, recordAt(unwrapSecrets(release.inputs.values ?? {})), () => undefined, probes);
    if (problems.length > 0) throw new FuzzFailure(`accepted but unsafe (under the engine):\n  ${problems.slice(0, 10).join("\n  ")}`);
    return { kind: "accepted", objects: objects.length };
}

/** Captured inputs with the wire format's secrets unwrapped (sdk/model/wire.ts). */
function unwrapSecrets(v: unknown): unknown {
    if (isWireSecret(v)) return unwrapSecrets(v.value);
    if (Array.isArray(v)) return v.map(unwrapSecrets);
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(x)]));
    return v;
}

/** A case as text, for a failure report (Outputs shown as such). */
export function showArgs(v: unknown): string {
    return JSON.stringify(v, (_k, x: unknown) =>
        pulumi.Output.isInstance(x) ? "<Output>" : isThenable(x) ? "<Promise>" : typeof x === "function" ? "<function>" : x === undefined ? "<undefined>" : x,
    );
}
