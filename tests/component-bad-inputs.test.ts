/**
 * Table-driven bad inputs: every case must end in one `pulumi.ResourceError` naming the field, with nothing
 * registered — not even the component. Includes every example of issue 10 (typos, wrong types, Outputs where
 * structure is decided, values that void the lock-down, metadata CIDRs, cluster-local hosts, name collisions).
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { EgressGatewayArgs, EgressMode, EgressRoutesArgs } from "../sdk/args";
import { EgressGateway } from "../sdk/component";
import { EgressRoutes } from "../sdk/routes";
import { CapturedResource, runProgram } from "../sdk/engine/mock-engine";
import { errorMessage } from "../sdk/model/read";

/** A case's args are deliberately wrong (typed `unknown`); they are handed to the component as its args type. */
type Case = [label: string, field: string, args: () => unknown, component?: "gateway" | "routes"];

const H = (extra: object = {}) => ({ host: "api.example.com", mode: EgressMode.Http, ...extra });
const T = (extra: object = {}) => ({ host: "api.example.com", mode: EgressMode.Tls, ...extra });
const host = (h: object) => ({ hosts: [h] });
const rule = (r: object, deny = false) => host(H(deny ? { deny: [r] } : { allow: [r] }));
const lock = (l: object) => ({ lockdown: l });
const gw = (g: object) => ({ gateway: g });
const values = (v: object) => gw({ values: v });
const cidr = (c: string, extra: object = {}) => lock({ extraEgressCidrs: [{ name: "x", cidr: c, ports: [443], ...extra }] });
const ref = { namespace: "istio-egress", serviceName: "istio-egressgateway", labels: { istio: "egressgateway" }, containerPorts: { http: 80, tls: 443 } };
const team = (extra: object) => ({ gateway: ref, hosts: [{ host: "api.stripe.com", mode: EgressMode.Tls, allow: [{ namespaces: ["payments"] }] }], ...extra });

const CASES: Case[] = [
    // --- the examples --------------------------------------------------------------------------------
    ["typo lockdwon", "lockdwon", () => ({ lockdwon: { namespaces: [{ name: "app" }] } })],
    ["singular namespace", "hosts[0].allow[0].namespace", () => rule({ namespace: ["app-b"] })],
    ['allowInCluster "false"', "lockdown.allowInCluster", () => lock({ allowInCluster: "false" })],
    ["DELTE", "hosts[0].deny[0].methods[0]", () => rule({ methods: ["DELTE"] }, true)],
    ["empty namespaces", "hosts[0].allow[0].namespaces", () => rule({ namespaces: [] })],
    ["Output service", "gateway.values.service", () => values({ service: pulumi.output({ type: "LoadBalancer" }) })],
    ["Output labels", "gateway.values.labels", () => values({ labels: pulumi.output({ istio: "x" }) })],
    ["secret labels", "gateway.values.labels", () => values({ labels: pulumi.secret({ istio: "x" }) })],
    ["additionalContainers", "gateway.values.additionalContainers", () => values({ additionalContainers: [{ name: "x", image: "curl" }] })],
    ["externalIPs", "gateway.values.service.externalIPs", () => values({ service: { externalIPs: ["1.2.3.4"] } })],
    ["values name", "gateway.values.name", () => values({ name: "other" })],
    ["replicaCount 0", "gateway.values.replicaCount", () => values({ replicaCount: 0 })],
    ['namespaces "app-a"', "hosts[0].allow[0].namespaces", () => rule({ namespaces: "app-a" })],
    ["paths string", "hosts[0].allow[0].paths", () => rule({ paths: "/x" })],
    ["methods string", "hosts[0].allow[0].methods", () => rule({ methods: "GET" })],
    ["clusterCidrs string", "lockdown.clusterCidrs", () => lock({ clusterCidrs: "10.0.0.0/8" })],
    ["wildcard vs wildcard. host collide? both valid; duplicate exact", "hosts[1].host", () => ({ hosts: [H(), H()] })],
    ["metadata v4", "lockdown.extraEgressCidrs[0].cidr", () => cidr("169.254.169.254/32")],
    ["metadata v6", "lockdown.extraEgressCidrs[0].cidr", () => cidr("fd00:ec2::254/128")],
    ["public /8", "lockdown.extraEgressCidrs[0].cidr", () => cidr("8.0.0.0/8")],
    ["non-canonical", "lockdown.extraEgressCidrs[0].cidr", () => cidr("10.0.0.1/8")],
    ["azure wireserver", "lockdown.extraEgressCidrs[0].cidr", () => cidr("168.63.129.16/32")],
    ["alibaba metadata", "lockdown.extraEgressCidrs[0].cidr", () => cidr("100.100.100.200/32")],
    ["kubernetes.default.svc.cluster.local", "hosts[0].host", () => host(H({ host: "kubernetes.default.svc.cluster.local" }))],
    ["*.svc.cluster.local", "hosts[0].host", () => host(T({ host: "*.svc.cluster.local", upstreamHost: "a.svc.cluster.local" }))],
    ["gateway's own service", "hosts[0].host", () => host(H({ host: "istio-egressgateway.istio-egress.svc.cluster.local" }))],
    ["hex literal", "hosts[0].host", () => host(H({ host: "0x7f.0x0.0x0.0x1" }))],
    ["octal literal", "hosts[0].host", () => host(H({ host: "0177.0.0.1" }))],
    ["numeric last label", "hosts[0].host", () => host(H({ host: "a.b.123" }))],
    ["global.networkPolicy", "gateway.values.global.networkPolicy", () => values({ global: { networkPolicy: { enabled: true } } })],
    ["inject off", 'gateway.values.podAnnotations["sidecar.istio.io/inject"]', () => values({ podAnnotations: { "sidecar.istio.io/inject": "false" } })],
    ["volumes", "gateway.values.volumes", () => values({ volumes: [{ name: "v", emptyDir: {} }] })],
    ["initContainers", "gateway.values.initContainers", () => values({ initContainers: [{ name: "x" }] })],
    ["service type", "gateway.values.service.type", () => values({ service: { type: "LoadBalancer" } })],
    ["NodePort", "gateway.values.service.type", () => values({ service: { type: "NodePort" } })],
    // --- wrong types and unknown keys ----------------------------------------------------------------------------
    ["args a string", "args", () => "hosts"],
    ["args an array", "args", () => []],
    ["hosts not a list", "hosts", () => ({ hosts: { host: "a.com" } })],
    ["host null", "hosts[0]", () => ({ hosts: [null] })],
    ["host a string", "hosts[0]", () => ({ hosts: ["api.example.com"] })],
    ["host missing", "hosts[0].host", () => host({ mode: EgressMode.Http })],
    ["mode missing", "hosts[0].mode", () => host({ host: "a.example.com" })],
    ["mode lowercase", "hosts[0].mode", () => host(H({ mode: "http" }))],
    ["mode typo", "hosts[0].mode", () => host(H({ mode: "TLS_ORIGINATE" }))],
    ["port string", "hosts[0].port", () => host(H({ port: "80" }))],
    ["port float", "hosts[0].port", () => host(H({ port: 80.5 }))],
    ["port 0", "hosts[0].port", () => host(H({ port: 0 }))],
    ["port 70000", "hosts[0].port", () => host(H({ port: 70000 }))],
    ["port NaN", "hosts[0].port", () => host(H({ port: NaN }))],
    ["port negative", "hosts[0].port", () => host(H({ port: -1 }))],
    ["targetPort bool", "hosts[0].targetPort", () => host(H({ targetPort: true }))],
    ["unknown host key", "hosts[0].hots", () => host(H({ hots: 1 }))],
    ["allow not list", "hosts[0].allow", () => host(H({ allow: { namespaces: ["a"] } }))],
    ["deny not list", "hosts[0].deny", () => host(H({ deny: "x" }))],
    ["allow item string", "hosts[0].allow[0]", () => host(H({ allow: ["app"] }))],
    ["allow namespaces undefined", "hosts[0].allow[0].namespaces", () => rule({ namespaces: undefined })],
    ["serviceAccounts empty", "hosts[0].allow[0].serviceAccounts", () => rule({ serviceAccounts: [] })],
    ["paths empty", "hosts[0].allow[0].paths", () => rule({ namespaces: ["a"], paths: [] })],
    ["methods empty", "hosts[0].allow[0].methods", () => rule({ namespaces: ["a"], methods: [] })],
    ["methods lowercase", "hosts[0].allow[0].methods[0]", () => rule({ methods: ["get"] })],
    ["methods number", "hosts[0].allow[0].methods[0]", () => rule({ methods: [1] })],
    ["namespaces number", "hosts[0].allow[0].namespaces[0]", () => rule({ namespaces: [1] })],
    ["namespace uppercase", "hosts[0].allow[0].namespaces[0]", () => rule({ namespaces: ["App"] })],
    ["sa no slash", "hosts[0].allow[0].serviceAccounts[0]", () => rule({ serviceAccounts: ["checkout"] })],
    ["sa three parts", "hosts[0].allow[0].serviceAccounts[0]", () => rule({ serviceAccounts: ["a/b/c"] })],
    ["rule typo", "hosts[0].allow[0].namespacess", () => rule({ namespacess: ["a"] })],
    ["path no slash", "hosts[0].allow[0].paths[0]", () => rule({ paths: ["x"] })],
    ["path star", "hosts[0].allow[0].paths[0]", () => rule({ paths: ["*"] })],
    ["path two stars", "hosts[0].allow[0].paths[0]", () => rule({ paths: ["/a*b*"] })],
    ["paths on TLS", "hosts[0].allow[0]", () => host(T({ allow: [{ paths: ["/x"] }] }))],
    ["methods on TLS", "hosts[0].deny[0]", () => host(T({ deny: [{ methods: ["GET"] }] }))],
    ["bare star", "hosts[0].host", () => host(T({ host: "*" }))],
    ["uppercase host", "hosts[0].host", () => host(H({ host: "API.example.com" }))],
    ["empty host", "hosts[0].host", () => host(H({ host: "" }))],
    ["host number", "hosts[0].host", () => host(H({ host: 42 }))],
    ["trailing dot", "hosts[0].host", () => host(H({ host: "api.example.com." }))],
    ["single label", "hosts[0].host", () => host(H({ host: "localhost" }))],
    ["underscore", "hosts[0].host", () => host(H({ host: "a_b.example.com" }))],
    ["long label", "hosts[0].host", () => host(H({ host: `${"a".repeat(64)}.example.com` }))],
    ["too long", "hosts[0].host", () => host(H({ host: `${"a.".repeat(130)}com` }))],
    ["mid wildcard", "hosts[0].host", () => host(T({ host: "a.*.example.com" }))],
    ["tld wildcard", "hosts[0].host", () => host(T({ host: "*.com", upstreamHost: "a.com" }))],
    ["ipv4", "hosts[0].host", () => host(H({ host: "10.0.0.1" }))],
    ["ipv6", "hosts[0].host", () => host(H({ host: "::1" }))],
    ["decimal ip", "hosts[0].host", () => host(H({ host: "2130706433" }))],
    [".local", "hosts[0].host", () => host(H({ host: "printer.local" }))],
    [".internal", "hosts[0].host", () => host(H({ host: "metadata.google.internal" }))],
    [".localhost", "hosts[0].host", () => host(H({ host: "a.localhost" }))],
    [".svc", "hosts[0].host", () => host(H({ host: "kubernetes.default.svc" }))],
    ["svc.ns", "hosts[0].host", () => host(H({ host: "kubernetes.default" }))],
    ["svc.protected-ns", "hosts[0].host", () => ({ ...host(H({ host: "db.app" })), ...lock({ namespaces: [{ name: "app" }] }) })],
    ["svc.gateway-ns", "hosts[0].host", () => host(H({ host: "istio-egressgateway.istio-egress" }))],
    ["trust domain suffix", "hosts[0].host", () => ({ ...host(H({ host: "a.mesh.corp.example.net" })), ...lock({ trustDomain: "mesh.corp.example.net" }) })],
    ["wildcard HTTP", "hosts[0].mode", () => host({ host: "*.example.com", mode: EgressMode.Http, upstreamHost: "www.example.com" })],
    ["wildcard no upstream", "hosts[0].upstreamHost", () => host(T({ host: "*.example.com" }))],
    ["wildcard upstream outside", "hosts[0].upstreamHost", () => host(T({ host: "*.example.com", upstreamHost: "www.other.com" }))],
    ["wildcard upstream wildcard", "hosts[0].upstreamHost", () => host(T({ host: "*.example.com", upstreamHost: "*.a.example.com" }))],
    ["upstream on exact", "hosts[0].upstreamHost", () => host(T({ upstreamHost: "b.example.com" }))],
    [
        "upstream listed too",
        "hosts[0].upstreamHost",
        () => ({ hosts: [T({ host: "*.example.com", upstreamHost: "www.example.com" }), T({ host: "www.example.com" })] }),
    ],
    ["origination same ports", "hosts[0].targetPort", () => host({ host: "a.example.com", mode: EgressMode.TlsOrigination, port: 443, targetPort: 443 })],
    ["sans empty", "hosts[0].subjectAltNames", () => host({ host: "a.example.com", mode: EgressMode.TlsOrigination, subjectAltNames: [] })],
    ["sans on HTTP", "hosts[0].subjectAltNames", () => host(H({ subjectAltNames: ["a"] }))],
    ["ca on TLS", "hosts[0].caCertificates", () => host(T({ caCertificates: "/etc/ca.pem" }))],
    ["ca empty", "hosts[0].caCertificates", () => host({ host: "a.example.com", mode: EgressMode.TlsOrigination, caCertificates: "" })],
    ["credential missing", "hosts[0].credentialName", () => host({ host: "a.example.com", mode: EgressMode.MutualTlsOrigination })],
    ["credential ns/name", "hosts[0].credentialName", () => host({ host: "a.example.com", mode: EgressMode.MutualTlsOrigination, credentialName: "ns/x" })],
    ["credential on SIMPLE", "hosts[0].credentialName", () => host({ host: "a.example.com", mode: EgressMode.TlsOrigination, credentialName: "x" })],
    ["port protocol clash", "hosts[1].port", () => ({ hosts: [H({ port: 8443 }), T({ host: "b.example.com", port: 8443 })] })],
    // --- gateway ---------------------------------------------------------------------------------------------------
    ["gateway a string", "gateway", () => ({ gateway: "istio-egress" })],
    ["gateway typo", "gateway.namepsace", () => gw({ namepsace: "x" })],
    ["namespace upper", "gateway.namespace", () => gw({ namespace: "Istio" })],
    ["namespace number", "gateway.namespace", () => gw({ namespace: 1 })],
    ["namespace Output", "gateway.namespace", () => gw({ namespace: pulumi.output("x") })],
    ["namespace Promise", "gateway.namespace", () => gw({ namespace: Promise.resolve("x") })],
    ["releaseName bad", "gateway.releaseName", () => gw({ releaseName: "a.b" })],
    ["createNamespace string", "gateway.createNamespace", () => gw({ createNamespace: "true" })],
    ["skipAwait string", "gateway.skipAwait", () => gw({ skipAwait: "yes" })],
    ["chart number", "gateway.chart", () => gw({ chart: 1 })],
    ["chart empty", "gateway.chart", () => gw({ chart: "" })],
    // Found by `pulumi preview --policy-pack` in e2e/pulumi: a local chart directory not named after the chart is not
    // recognised by the pack as the gateway's Release, which then rejects every host route of a correct stack.
    ["chart dir not named gateway", "gateway.chart", () => gw({ chart: "/charts/gateway-chart" })],
    ["chart archive of another chart", "gateway.chart", () => gw({ chart: "./istio-gateway-1.29.2.tgz" })],
    ["chart other repo chart", "gateway.chart", () => gw({ chart: "istio-gateway" })],
    ["chartVersion number", "gateway.chartVersion", () => gw({ chartVersion: 1.29 })],
    ["labels empty", "gateway.labels", () => gw({ labels: {} })],
    ["labels number value", "gateway.labels.istio", () => gw({ labels: { istio: 1 } })],
    ["labels bad key", 'gateway.labels["-x"]', () => gw({ labels: { "-x": "y" } })],
    ["labels Output", "gateway.labels", () => gw({ labels: pulumi.output({ a: "b" }) })],
    ["labels Map", "gateway.labels", () => gw({ labels: new Map([["a", "b"]]) })],
    ["replicas 0", "gateway.replicas", () => gw({ replicas: 0 })],
    ["replicas string", "gateway.replicas", () => gw({ replicas: "2" })],
    ["replicas float", "gateway.replicas", () => gw({ replicas: 1.5 })],
    ["pdb = replicas", "gateway.podDisruptionBudgetMinAvailable", () => gw({ replicas: 2, podDisruptionBudgetMinAvailable: 2 })],
    ["pdb negative", "gateway.podDisruptionBudgetMinAvailable", () => gw({ podDisruptionBudgetMinAvailable: -1 })],
    ["autoscaling no enabled", "gateway.autoscaling.enabled", () => gw({ autoscaling: { minReplicas: 2 } })],
    ["autoscaling enabled string", "gateway.autoscaling.enabled", () => gw({ autoscaling: { enabled: "true" } })],
    ["autoscaling max<min", "gateway.autoscaling.maxReplicas", () => gw({ autoscaling: { enabled: true, minReplicas: 3, maxReplicas: 2 } })],
    [
        "autoscaling cpu 101",
        "gateway.autoscaling.targetCPUUtilizationPercentage",
        () => gw({ autoscaling: { enabled: true, targetCPUUtilizationPercentage: 101 } }),
    ],
    ["values string", "gateway.values", () => values("x" as unknown as object)],
    ["values Output", "gateway.values", () => gw({ values: pulumi.output({}) })],
    [
        "values internal defaults",
        "gateway.values._internal_defaults_do_not_set",
        () => values({ _internal_defaults_do_not_set: { service: { type: "LoadBalancer" } } }),
    ],
    ["values labels plain", "gateway.values.labels", () => values({ labels: { istio: "ingressgateway" } })],
    ["values replicaCount", "gateway.values.replicaCount", () => values({ replicaCount: 3 })],
    ["values autoscaling", "gateway.values.autoscaling", () => values({ autoscaling: { enabled: false } })],
    ["values resources", "gateway.values.resources", () => values({ resources: {} })],
    ["values serviceAccount", "gateway.values.serviceAccount", () => values({ serviceAccount: { name: "checkout" } })],
    ["values networkGateway", "gateway.values.networkGateway", () => values({ networkGateway: "net1" })],
    ["values lifecycle", "gateway.values.lifecycle", () => values({ lifecycle: { postStart: { exec: { command: ["curl", "x"] } } } })],
    ["values readiness exec", "gateway.values.readinessProbe.exec", () => values({ readinessProbe: { exec: { command: ["sh"] } } })],
    ["values containerSecurityContext", "gateway.values.containerSecurityContext", () => values({ containerSecurityContext: { privileged: true } })],
    ["values dnsConfig", "gateway.values.dnsConfig", () => values({ dnsConfig: { nameservers: ["8.8.8.8"] } })],
    ["values dnsPolicy", "gateway.values.dnsPolicy", () => values({ dnsPolicy: "None" })],
    ["values selectorLabels", "gateway.values.service.selectorLabels", () => values({ service: { selectorLabels: { istio: "x" } } })],
    ["values loadBalancerIP", "gateway.values.service.loadBalancerIP", () => values({ service: { loadBalancerIP: "1.2.3.4" } })],
    ["values revision", "gateway.values.revision", () => values({ revision: "canary" })],
    [
        "values templates",
        'gateway.values.podAnnotations["inject.istio.io/templates"]',
        () => values({ podAnnotations: { "inject.istio.io/templates": "sidecar" } }),
    ],
    ["values proxy config", 'gateway.values.podAnnotations["proxy.istio.io/config"]', () => values({ podAnnotations: { "proxy.istio.io/config": "{}" } })],
    [
        "values exportTo",
        'gateway.values.service.annotations["networking.istio.io/exportTo"]',
        () => values({ service: { annotations: { "networking.istio.io/exportTo": "." } } }),
    ],
    ["values __proto__", "gateway.values.__proto__", () => values(JSON.parse('{"__proto__": {"polluted": true}}') as object)],
    ["values ports Output", "gateway.values.service", () => values({ service: { ports: pulumi.output([]) } })],
    ["values ports missing 443", "gateway.values.service.ports", () => values({ service: { ports: [{ name: "http2", port: 80 }] } })],
    [
        "values ports named targetPort",
        "gateway.values.service.ports[0].targetPort",
        () =>
            values({
                service: {
                    ports: [
                        { name: "http2", port: 80, targetPort: "http" },
                        { name: "https", port: 443 },
                    ],
                },
            }),
    ],
    // --- lock-down ------------------------------------------------------------------------------------------------
    ["lockdown string", "lockdown", () => ({ lockdown: "on" })],
    ["namespaces string", "lockdown.namespaces", () => lock({ namespaces: "app" })],
    ["namespace item string", "lockdown.namespaces[0]", () => lock({ namespaces: ["app"] })],
    ["namespace name missing", "lockdown.namespaces[0].name", () => lock({ namespaces: [{}] })],
    ["namespace registry string", "lockdown.namespaces[0].registryOnlySidecar", () => lock({ namespaces: [{ name: "a", registryOnlySidecar: "false" }] })],
    ["namespace dup", "lockdown.namespaces[1].name", () => lock({ namespaces: [{ name: "a" }, { name: "a" }] })],
    ["namespace kube-system", "lockdown.namespaces[0].name", () => lock({ namespaces: [{ name: "kube-system" }] })],
    ["namespace = gateway", "lockdown.namespaces[0].name", () => lock({ namespaces: [{ name: "istio-egress" }] })],
    ["namespace Output", "lockdown.namespaces[0].name", () => lock({ namespaces: [{ name: pulumi.output("a") }] })],
    ["namespaces Output", "lockdown.namespaces", () => lock({ namespaces: pulumi.output([{ name: "a" }]) })],
    ["accessLogs string", "lockdown.accessLogs", () => lock({ accessLogs: "no" })],
    ["externalPorts string", "lockdown.externalPorts", () => lock({ externalPorts: "443" })],
    ["externalPorts 0", "lockdown.externalPorts[0]", () => lock({ externalPorts: [0] })],
    ["clusterCidrs bad", "lockdown.clusterCidrs[0]", () => lock({ clusterCidrs: ["nope"] })],
    ["clusterCidrs host bits", "lockdown.clusterCidrs[0]", () => lock({ clusterCidrs: ["10.0.0.1/8"] })],
    ["istiod labels empty", "lockdown.istiodLabels", () => lock({ istiodLabels: {} })],
    ["dns ns upper", "lockdown.dnsNamespace", () => lock({ dnsNamespace: "Kube" })],
    ["istiod = gateway ns", "gateway.namespace", () => ({ ...gw({ namespace: "istio-system" }) })],
    ["trustDomain bad", "lockdown.trustDomain", () => lock({ trustDomain: "a b" })],
    ["extra name bad", "lockdown.extraEgressCidrs[0].name", () => lock({ extraEgressCidrs: [{ name: "A", cidr: "10.0.0.0/24", ports: [443] }] })],
    ["extra ports empty", "lockdown.extraEgressCidrs[0].ports", () => lock({ extraEgressCidrs: [{ name: "a", cidr: "10.0.0.0/24", ports: [] }] })],
    ["extra ports missing", "lockdown.extraEgressCidrs[0].ports", () => lock({ extraEgressCidrs: [{ name: "a", cidr: "10.0.0.0/24" }] })],
    [
        "extra dup",
        "lockdown.extraEgressCidrs[1].name",
        () =>
            lock({
                extraEgressCidrs: [
                    { name: "a", cidr: "10.0.0.0/24", ports: [1] },
                    { name: "a", cidr: "10.1.0.0/24", ports: [1] },
                ],
            }),
    ],
    ["extra allowPublic string", "lockdown.extraEgressCidrs[0].allowPublicRange", () => cidr("8.8.8.0/24", { allowPublicRange: "true" })],
    ["extra 0/0", "lockdown.extraEgressCidrs[0].cidr", () => cidr("0.0.0.0/0")],
    ["extra ::/0", "lockdown.extraEgressCidrs[0].cidr", () => cidr("::/0")],
    ["extra bare", "lockdown.extraEgressCidrs[0].cidr", () => cidr("10.0.0.1")],
    ["extra private /7", "lockdown.extraEgressCidrs[0].cidr", () => cidr("10.0.0.0/7")],
    ["extra link-local v6", "lockdown.extraEgressCidrs[0].cidr", () => cidr("fe80::/64")],
    ["extra covers metadata", "lockdown.extraEgressCidrs[0].cidr", () => cidr("169.254.0.0/24")],
    ["extra CGNAT covering alibaba", "lockdown.extraEgressCidrs[0].cidr", () => cidr("100.64.0.0/10")],
    ["extra ULA covering aws", "lockdown.extraEgressCidrs[0].cidr", () => cidr("fd00::/8")],
    ["extra loopback", "lockdown.extraEgressCidrs[0].cidr", () => cidr("127.0.0.1/32")],
    ["extra multicast", "lockdown.extraEgressCidrs[0].cidr", () => cidr("224.0.0.0/24")],
    ["extra NAT64", "lockdown.extraEgressCidrs[0].cidr", () => cidr("64:ff9b::a00:0/120")],
    ["extra 6to4", "lockdown.extraEgressCidrs[0].cidr", () => cidr("2002:a00::/24")],
    ["extra mapped", "lockdown.extraEgressCidrs[0].cidr", () => cidr("::ffff:10.0.0.0/104")],
    ["extra public /24", "lockdown.extraEgressCidrs[0].cidr", () => cidr("8.8.8.0/24")],
    ["extra public v6 /64", "lockdown.extraEgressCidrs[0].cidr", () => cidr("2600:1f18::/64")],
    ["extra benchmarking", "lockdown.extraEgressCidrs[0].cidr", () => cidr("198.18.0.0/15")],
    ["extra Output cidr", "lockdown.extraEgressCidrs[0].cidr", () => cidr(pulumi.output("10.0.0.0/24") as unknown as string)],
    // --- the component's name ---------------------------------------------------------------------------------------
    ["name upper", "name", () => ({}), "gateway"],
    // --- team components ------------------------------------------------------------------------------------------
    ["team no gateway", "gateway", () => ({ hosts: [] }), "routes"],
    ["team no hosts", "hosts", () => ({ gateway: ref }), "routes"],
    ["team gateway typo", "gateway.namepsace", () => ({ ...team({}), gateway: { ...ref, namepsace: "x" } }), "routes"],
    [
        "team gateway ports string",
        "gateway.containerPorts.http",
        () => ({ ...team({}), gateway: { ...ref, containerPorts: { http: "80", tls: 443 } } }),
        "routes",
    ],
    ["team unknown key", "lockdown", () => team({ lockdown: {} }), "routes"],
    ["team namespaces empty name", "namespaces[0].name", () => team({ namespaces: [{ name: "" }] }), "routes"],
    ["team cidr metadata", "extraEgressCidrs[0].cidr", () => team({ extraEgressCidrs: [{ name: "m", cidr: "169.254.169.254/32", ports: [80] }] }), "routes"],
    ["team allowInCluster string", "allowInCluster", () => team({ allowInCluster: "false" }), "routes"],
    ["team cluster-local host", "hosts[0].host", () => ({ gateway: ref, hosts: [{ host: "db.svc.cluster.local", mode: EgressMode.Http }] }), "routes"],
    ["team hosts Output", "hosts", () => ({ gateway: ref, hosts: pulumi.output([]) }), "routes"],
];

describe("bad inputs: one ResourceError naming the field, nothing registered", function () {
    this.timeout(120000);

    it(`has at least 150 cases (${CASES.length})`, () => {
        assert.ok(CASES.length >= 150, `${CASES.length} cases`);
    });

    for (const [label, field, args, component] of CASES) {
        it(`${label} → ${field}`, async () => {
            const name = label === "name upper" ? "My_Egress" : "egress";
            let error: unknown;
            try {
                await runProgram(() => {
                    if (component === "routes") new EgressRoutes(name, args() as EgressRoutesArgs);
                    else new EgressGateway(name, args() as EgressGatewayArgs);
                });
            } catch (err) {
                error = err;
            }
            assert.ok(error, "expected an error");
            assert.ok(
                error instanceof pulumi.ResourceError,
                `a ResourceError, not ${error instanceof Error ? error.constructor.name : typeof error}: ${errorMessage(error)}`,
            );
            assert.match(error.message, /invalid arguments:/);
            const lines = String(error.message)
                .split("\n")
                .filter((l: string) => l.startsWith("  - "));
            assert.ok(
                lines.some((l: string) => l.startsWith(`  - ${field}: `)),
                `no problem on ${field}; got:\n${lines.join("\n")}`,
            );
            // The mock engine attaches what was registered before the error.
            const registered = (error as pulumi.ResourceError & { capturedResources: CapturedResource[] }).capturedResources.filter(
                (x) => x.type !== "pulumi:pulumi:Stack",
            );
            assert.deepStrictEqual(registered, [], "nothing but the stack was registered");
        });
    }
});
