/**
 * Synthetic inputs for the benchmarks (pure, deterministic): the component's args at a given size, the raw
 * objects the floor registers, mixed stacks for the policy pack and multi-document YAML for `check`.
 */
import type * as k8s from "@pulumi/kubernetes";
import { stringify } from "yaml";
import { EgressGatewayArgs, EgressMode, ExternalHostArgs, ProtectedNamespaceArgs } from "../sdk/args";
import { buildPlan } from "../sdk/plan";
import { routingManifests } from "../sdk/manifests/routing";
import { lockdownManifests } from "../sdk/manifests/lockdown";
import { namespaceObject, releaseArgs, routesCatalog } from "../sdk/manifests/gateway";
import { HELM_RELEASE_TYPE, type K8sObject } from "../sdk/model";
import type { PolicyResource } from "istio-egress-guard/lib";

/** The component's name in every component case. */
export const COMPONENT_NAME = "egress";

/** The five shapes a host takes, in rotation: every mode, and a wildcard (TLS) with its upstream. */
export const HOST_SHAPES = ["HTTP", "TLS_ORIGINATION", "TLS", "MUTUAL_TLS_ORIGINATION", "TLS_WILDCARD"] as const;
export type HostShape = (typeof HOST_SHAPES)[number];

export function protectedNamespaceName(i: number): string {
    return `app-${i}`;
}

/** Host `i` of a component case: the shape rotates through `HOST_SHAPES`; every host has allow rules. */
export function hostArgs(i: number, namespaces: number): ExternalHostArgs {
    const shape = HOST_SHAPES[i % HOST_SHAPES.length];
    const ns = (k: number) => protectedNamespaceName((i + k) % Math.max(namespaces, 1));
    const who = [{ namespaces: [ns(0)] }, { serviceAccounts: [`${ns(1)}/client-${i % 7}`] }];
    switch (shape) {
        case "HTTP":
            return {
                host: `api-${i}.http.example.com`,
                mode: EgressMode.Http,
                allow: [{ ...who[0], paths: ["/v1/*"], methods: ["GET", "POST"] }, who[1]],
                deny: [{ namespaces: [ns(2)], paths: ["/admin*"] }],
            };
        case "TLS_ORIGINATION":
            return { host: `api-${i}.origin.example.com`, mode: EgressMode.TlsOrigination, allow: who };
        case "TLS":
            return { host: `api-${i}.tls.example.com`, mode: EgressMode.Tls, allow: who };
        case "MUTUAL_TLS_ORIGINATION":
            return { host: `api-${i}.mtls.example.com`, mode: EgressMode.MutualTlsOrigination, credentialName: `client-cert-${i}`, allow: who };
        case "TLS_WILDCARD":
            return { host: `*.w${i}.example.org`, mode: EgressMode.Tls, upstreamHost: `www.w${i}.example.org`, allow: [who[0]] };
    }
}

/** Args of a component case: `hosts` external hosts (mixed modes, all with allow rules), `namespaces` protected namespaces. */
export function componentArgs(hosts: number, namespaces: number): EgressGatewayArgs {
    const ns: ProtectedNamespaceArgs[] = Array.from({ length: namespaces }, (_, i) => ({
        name: protectedNamespaceName(i),
        // One namespace in four already has its own default Sidecar.
        ...(i % 4 === 3 ? { registryOnlySidecar: false } : {}),
    }));
    return {
        gateway: { replicas: 3 },
        hosts: Array.from({ length: hosts }, (_, i) => hostArgs(i, namespaces)),
        lockdown: {
            namespaces: ns,
            clusterCidrs: ["10.96.0.0/12", "10.244.0.0/16"],
            extraEgressCidrs: [{ name: "kube-apiserver", cidr: "172.20.0.1/32", ports: [443] }],
        },
    };
}

/** One object the floor registers: the Pulumi name it gets and what it is. */
export interface FloorObject {
    name: string;
    object: K8sObject;
}

/**
 * What the floor registers for a component case: exactly the objects the component would create (same kinds,
 * same content), computed here — outside the timed region — from the component's own pure builders.
 */
export interface FloorPlan {
    namespace: FloorObject;
    release: { name: string; args: k8s.helm.v3.ReleaseArgs };
    gatewayNamespace: FloorObject[];
    routes: FloorObject[];
    /** The routes catalog ConfigMap (the component's rollout barrier between routes and app lock-down). */
    catalog: FloorObject;
    protectedNamespaces: FloorObject[];
}

export function floorPlan(args: EgressGatewayArgs): FloorPlan {
    const plan = buildPlan(COMPONENT_NAME, args);
    const named = (objs: K8sObject[]): FloorObject[] =>
        objs.map((object) => ({ name: `raw-${object.kind}-${object.metadata.namespace ?? ""}-${object.metadata.name}`, object }));
    const lockdown = lockdownManifests(plan);
    const routing = routingManifests(plan);
    return {
        namespace: named([namespaceObject(plan)])[0],
        release: { name: "raw-release", args: releaseArgs(plan) },
        gatewayNamespace: named(lockdown.gatewayNamespace),
        routes: named([...routing.shared, ...[...routing.perHost.values()].flat()]),
        catalog: named([routesCatalog(plan)])[0],
        protectedNamespaces: named(lockdown.protectedNamespaces),
    };
}

// -------------------------------------------------------------------------------------------------------------
// Synthetic stacks for the policy pack and for `check`
// -------------------------------------------------------------------------------------------------------------

const GATEWAY_NS = "istio-egress";
const GATEWAY_SVC = `istio-egressgateway.${GATEWAY_NS}.svc.cluster.local`;

function podSpec(team: number, k: number, bad: boolean): Record<string, unknown> {
    return {
        serviceAccountName: `svc-${k}`,
        ...(bad ? { hostNetwork: true } : {}),
        containers: [
            {
                name: "app",
                image: `registry.example.com/team-${team}/svc-${k}:1.${k}.0`,
                ports: [{ containerPort: 8080 }],
                env: [{ name: "UPSTREAM", value: `https://api-${team}-${k}.example.com` }],
                resources: { requests: { cpu: "100m", memory: "128Mi" } },
                securityContext: { runAsUser: 1000 + k, allowPrivilegeEscalation: false },
            },
        ],
    };
}

function template(team: number, k: number, bad = false): Record<string, unknown> {
    return {
        metadata: {
            labels: { app: `svc-${k}` },
            annotations: bad ? { "traffic.sidecar.istio.io/excludeOutboundIPRanges": "0.0.0.0/0" } : { "prometheus.io/scrape": "true" },
        },
        spec: podSpec(team, k, false),
    };
}

/**
 * One team's namespace: 21 objects — the Namespace, 4 Deployments, 2 Pods, 2 CronJobs, 5 NetworkPolicies
 * (default-deny egress and its allows), a REGISTRY_ONLY Sidecar, 3 ServiceEntries and 3 VirtualServices routed
 * through the egress gateway. One team in ten breaks rules (no default-deny, egress to the internet, hostNetwork,
 * a capture exclusion, an unrouted ServiceEntry), so the pack also reports.
 */
function teamObjects(team: number): K8sObject[] {
    const ns = `team-${team}`;
    const bad = team % 10 === 9;
    const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, namespace: ns, labels: { team: ns }, ...extra });
    const objs: K8sObject[] = [{ apiVersion: "v1", kind: "Namespace", metadata: { name: ns, labels: { "istio-injection": "enabled", team: ns } } }];
    for (let k = 0; k < 4; k++) {
        objs.push({
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: meta(`svc-${k}`),
            spec: { replicas: 2, selector: { matchLabels: { app: `svc-${k}` } }, template: template(team, k, bad && k === 1) },
        });
    }
    for (let k = 0; k < 2; k++) {
        objs.push({
            apiVersion: "v1",
            kind: "Pod",
            metadata: meta(`debug-${k}`, { labels: { app: `debug-${k}` } }),
            spec: podSpec(team, 10 + k, bad && k === 0),
        });
    }
    for (let k = 0; k < 2; k++) {
        objs.push({
            apiVersion: "batch/v1",
            kind: "CronJob",
            metadata: meta(`job-${k}`),
            spec: {
                schedule: `${k * 15} * * * *`,
                jobTemplate: { spec: { template: { ...template(team, 20 + k), spec: { ...podSpec(team, 20 + k, false), restartPolicy: "OnFailure" } } } },
            },
        });
    }
    const peer = (namespace: string, labels: Record<string, string>) => ({
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } },
        podSelector: { matchLabels: labels },
    });
    // The bad team's policies select one app only, so no policy isolates the whole namespace (no default-deny).
    const podSelector = bad ? { matchLabels: { app: "svc-0" } } : {};
    const egress = (name: string, rules: unknown[]) => ({
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: meta(name),
        spec: { podSelector, policyTypes: ["Egress"], egress: rules },
    });
    objs.push(
        bad
            ? egress("allow-web", [{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ protocol: "TCP", port: 443 }] }])
            : { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: meta("deny-egress"), spec: { podSelector: {}, policyTypes: ["Egress"] } },
        egress("egress-dns", [
            {
                to: [peer("kube-system", { "k8s-app": "kube-dns" })],
                ports: [
                    { protocol: "UDP", port: 53 },
                    { protocol: "TCP", port: 53 },
                ],
            },
        ]),
        egress("egress-istiod", [{ to: [peer("istio-system", { app: "istiod" })], ports: [{ protocol: "TCP", port: 15012 }] }]),
        egress("egress-gateway", [
            {
                to: [peer(GATEWAY_NS, { istio: "egressgateway" })],
                ports: [
                    { protocol: "TCP", port: 80 },
                    { protocol: "TCP", port: 443 },
                ],
            },
        ]),
        egress("egress-in-cluster", [{ to: [{ namespaceSelector: {} }] }]),
        {
            apiVersion: "networking.istio.io/v1",
            kind: "Sidecar",
            metadata: meta("default"),
            spec: { egress: [{ hosts: ["*/*"] }], outboundTrafficPolicy: { mode: "REGISTRY_ONLY" } },
        },
    );
    for (let k = 0; k < 3; k++) {
        const host = `api-${team}-${k}.example.com`;
        objs.push({
            apiVersion: "networking.istio.io/v1",
            kind: "ServiceEntry",
            metadata: meta(`ext-${k}`),
            spec: {
                hosts: [host],
                location: "MESH_EXTERNAL",
                resolution: "DNS",
                ports: [
                    { number: 80, name: "http", protocol: "HTTP" },
                    { number: 443, name: "https", protocol: "HTTPS" },
                ],
            },
        });
        // The bad team's last host has no VirtualService: its ServiceEntry lets sidecars reach it directly.
        const routed = !(bad && k === 2);
        objs.push({
            apiVersion: "networking.istio.io/v1",
            kind: "VirtualService",
            // Gateway-bound routes live in the gateway's namespace (as the component writes them): a VirtualService in
            // a team namespace bound to the egress Gateway would let the team decide where the gateway forwards.
            metadata: { name: `${ns}-ext-${k}${routed ? "" : "-unrelated"}`, namespace: GATEWAY_NS, labels: { team: ns } },
            spec: {
                hosts: [routed ? host : `other-${team}.example.com`],
                gateways: ["mesh", `${GATEWAY_NS}/egress-gateway`],
                http: [
                    {
                        match: [{ gateways: ["mesh"], port: 80 }],
                        route: [{ destination: { host: GATEWAY_SVC, subset: `t${team}-${k}`, port: { number: 80 } } }],
                    },
                    {
                        match: [{ gateways: [`${GATEWAY_NS}/egress-gateway`], port: 80 }],
                        route: [{ destination: { host: routed ? host : `other-${team}.example.com`, port: { number: 443 } } }],
                    },
                ],
            },
        });
    }
    return objs;
}

/** Objects per team (see `teamObjects`). */
export const TEAM_SIZE = 21;

/** The gateway's side of a synthetic stack: its namespace, Gateway, gateway DestinationRule and NetworkPolicies. */
function gatewayObjects(teams: number): K8sObject[] {
    const meta = (name: string) => ({ name, namespace: GATEWAY_NS });
    return [
        { apiVersion: "v1", kind: "Namespace", metadata: { name: GATEWAY_NS, labels: { "istio-injection": "enabled" } } },
        {
            apiVersion: "networking.istio.io/v1",
            kind: "Gateway",
            metadata: meta("egress-gateway"),
            spec: {
                selector: { istio: "egressgateway" },
                servers: [{ port: { number: 80, name: "https-mtls", protocol: "HTTPS" }, hosts: ["*"], tls: { mode: "ISTIO_MUTUAL" } }],
            },
        },
        {
            apiVersion: "networking.istio.io/v1",
            kind: "DestinationRule",
            metadata: meta("egress-gateway"),
            spec: {
                host: GATEWAY_SVC,
                trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } },
                subsets: Array.from({ length: Math.min(teams, 50) }, (_, t) => ({
                    name: `t${t}-0`,
                    trafficPolicy: { tls: { mode: "ISTIO_MUTUAL", sni: `api-${t}-0.example.com` } },
                })),
            },
        },
        {
            apiVersion: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            metadata: meta("deny-all"),
            spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
        },
    ];
}

/** The gateway's Helm release as a Pulumi stack carries it (chart values, not rendered objects). */
export function gatewayRelease(): PolicyResource {
    return {
        type: HELM_RELEASE_TYPE,
        name: "egress-release",
        urn: `urn:pulumi:bench::istio-egress::${HELM_RELEASE_TYPE}::egress-release`,
        props: {
            name: "istio-egressgateway",
            chart: "gateway",
            version: "1.29.2",
            namespace: GATEWAY_NS,
            repositoryOpts: { repo: "https://istio-release.storage.googleapis.com/charts" },
            values: { service: { type: "ClusterIP" }, labels: { istio: "egressgateway" }, replicaCount: 2 },
        },
    };
}

/**
 * Exactly `n` Kubernetes objects: the gateway's objects, then whole teams, the last one cut short. Without the
 * Helm release (see `syntheticStack`).
 */
export function syntheticObjects(n: number): K8sObject[] {
    const teams = Math.ceil(n / TEAM_SIZE);
    const out = gatewayObjects(teams);
    for (let t = 0; out.length < n; t++) {
        out.push(...teamObjects(t));
    }
    return out.slice(0, n);
}

/** A stack of exactly `n` resources as the analyzer receives them: `n - 1` objects and the gateway Release. */
export function syntheticStack(n: number, fromManifests: (objs: K8sObject[]) => PolicyResource[]): PolicyResource[] {
    if (n < 2) throw new Error(`a synthetic stack needs at least 2 resources; got ${n}`);
    return [gatewayRelease(), ...fromManifests(syntheticObjects(n - 1))];
}

/** `n` objects as one multi-document YAML file. */
export function syntheticYaml(n: number): string {
    return syntheticObjects(n)
        .map((o) => stringify(o, { lineWidth: 0 }))
        .join("---\n");
}

/** How many objects of each kind a list holds (for the report and the smoke test). */
export function kindCounts(objs: { kind: string }[]): Record<string, number> {
    const out: Record<string, number> = {};
    for (const o of objs) out[o.kind] = (out[o.kind] ?? 0) + 1;
    return out;
}
