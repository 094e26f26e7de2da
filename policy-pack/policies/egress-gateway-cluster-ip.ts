/** Policy `egress-gateway-cluster-ip`: its rule (pure functions over Kubernetes objects) next to its declaration. */
import { GuardConfig } from "../lib/config";
import { resourcePolicy } from "../lib/policy";
import { isGatewayRelease, isTrue } from "../lib/facts";
import { isTrustedProxyImage, proxyConfigProblems } from "../lib/istio";
import { labelsMatch, listAt, recordAt, shown, valueAt } from "../../sdk/model";

const POD_OVERRIDES = [
    "sidecar.istio.io/bootstrapOverride",
    "sidecar.istio.io/discoveryAddress",
    "proxy.istio.io/overrides",
    "sidecar.istio.io/userVolumeMount",
];

/**
 * istio/gateway chart values that void the gateway's lock-down (`manifests/charts/gateway/templates/`):
 * `global.networkPolicy.enabled` renders the chart's own NetworkPolicy, which opens all egress and ingress from
 * anywhere on the service ports beside the lock-down's; `service.externalIPs` exposes the Service; extra containers
 * (`additionalContainers`, `initContainers`) run other code in the gateway's pods, with its identity and internet
 * access; pod annotations and a `lifecycle` hook that replace or extend what runs as the proxy.
 */
export function gatewayValuesProblems(values: Record<string, unknown>, cfg: Pick<GuardConfig, "trustedProxyImages">): string[] {
    const out: string[] = [];
    if (isTrue(valueAt(values, "global", "networkPolicy", "enabled"))) {
        out.push(
            `values.global.networkPolicy.enabled renders the chart's own NetworkPolicy, which allows the gateway pods all egress and ingress from anywhere on its ports, beside the lock-down's: remove it (the lock-down writes the gateway's NetworkPolicies).`,
        );
    }
    if (listAt(values, "service", "externalIPs").length > 0) {
        out.push(`values.service.externalIPs exposes the egress gateway outside the cluster: remove them.`);
    }
    for (const k of ["additionalContainers", "initContainers"]) {
        if (listAt(values, k).length > 0) {
            out.push(`values.${k} runs other containers in the egress gateway's pods, with the gateway's identity and internet access: remove them.`);
        }
    }
    const ann = recordAt(values, "podAnnotations");
    const image = ann["sidecar.istio.io/proxyImage"];
    if (image !== undefined && !isTrustedProxyImage(image, cfg.trustedProxyImages)) {
        out.push(
            `values.podAnnotations sidecar.istio.io/proxyImage: "${shown(image)}" replaces the gateway's proxy with an image that is not a trusted proxy image: remove it, or add the image to trustedProxyImages.`,
        );
    }
    for (const k of POD_OVERRIDES) {
        if (ann[k] !== undefined) out.push(`values.podAnnotations ${k} replaces or reconfigures what runs as the egress gateway's proxy: remove it.`);
    }
    if (ann["proxy.istio.io/config"] !== undefined) {
        const p = proxyConfigProblems(ann["proxy.istio.io/config"]);
        if (p.length > 0) out.push(`values.podAnnotations proxy.istio.io/config ${p.join(", ")} for the egress gateway's proxy: remove it.`);
    }
    out.push(...gatewayEnvProblems(values));
    if (values.networkGateway !== undefined && values.networkGateway !== "" && values.networkGateway !== null) {
        out.push(
            `values.networkGateway sets ISTIO_META_REQUESTED_NETWORK_VIEW on the egress gateway's proxy and makes it a multi-network gateway (templates/deployment.yaml, service.yaml): remove it.`,
        );
    }
    const tolerations = values.tolerations;
    if (tolerations !== undefined && tolerations !== null && !Array.isArray(tolerations)) {
        out.push(`values.tolerations must be a list of tolerations, each naming its taint's key.`);
    }
    listAt(tolerations).forEach((t, i) => {
        const key = valueAt(t, "key");
        if (typeof key !== "string" || key === "") {
            out.push(
                `values.tolerations[${i}] has no key: a key-less toleration (operator Exists, the only one the API server accepts without a key) tolerates every taint, so the egress gateway can land on any node, the control plane's and other tenants' dedicated nodes included: name the taint's key.`,
            );
        }
    });
    const lc = recordAt(values, "lifecycle");
    for (const hook of ["postStart", "preStop"]) {
        const cmd = listAt(lc, hook, "exec", "command");
        if (valueAt(lc, hook, "exec") !== undefined && cmd[0] !== "pilot-agent") {
            out.push(`values.lifecycle.${hook} runs ${JSON.stringify(cmd).slice(0, 80)} inside the egress gateway's proxy container: remove it.`);
        }
    }
    return out;
}

/**
 * The proxy environment the chart's `env` (a map: `range $key, $val := .Values.env`) and `envVarFrom` (a list,
 * copied as it is) give the egress gateway's istio-proxy container (templates/deployment.yaml). pilot-agent takes
 * its configuration from its environment: `PROXY_CONFIG`, `CA_ADDR`, `CA_ROOT_CA`, `XDS_ROOT_CA`, `PROV_CERT`,
 * `ISTIOD_SAN`... (pilot/cmd/pilot-agent/options/options.go) and every `ISTIO_META_*` / `ISTIO_METAJSON_*` variable
 * becomes node metadata istiod builds the proxy's configuration from (pkg/bootstrap/config.go GetNodeMetaData), so
 * an entry there can point the gateway at another CA or control plane or change what istiod sends it. Only the two
 * variables the component sets for `gateway.drain` are allowed, which decide when the proxy exits and nothing else
 * (options.go MINIMUM_DRAIN_DURATION, EXIT_ON_ZERO_ACTIVE_CONNECTIONS; pkg/envoy/agent.go terminate).
 */
export const ALLOWED_GATEWAY_ENV: ReadonlySet<string> = new Set(["EXIT_ON_ZERO_ACTIVE_CONNECTIONS", "MINIMUM_DRAIN_DURATION"]);

export function gatewayEnvProblems(values: Record<string, unknown>): string[] {
    const out: string[] = [];
    const env = values.env;
    if (env !== undefined && env !== null) {
        if (typeof env !== "object" || Array.isArray(env)) {
            out.push(
                `values.env must be a map of variable names to values (the chart ranges over it as a map); only ${[...ALLOWED_GATEWAY_ENV].join(" and ")} may be set.`,
            );
        } else {
            for (const [k, v] of Object.entries(env)) {
                if (!ALLOWED_GATEWAY_ENV.has(k)) {
                    out.push(
                        `values.env.${k} sets the egress gateway proxy's environment, which pilot-agent reads its configuration from (PROXY_CONFIG, CA_ADDR, XDS_ROOT_CA, ISTIO_META_*: where its certificates and configuration come from): remove it; only ${[...ALLOWED_GATEWAY_ENV].join(" and ")} (the drain settings) may be set.`,
                    );
                } else if (!["string", "number", "boolean"].includes(typeof v)) {
                    out.push(`values.env.${k} must be a plain value.`);
                }
            }
        }
    }
    const from = values.envVarFrom;
    if (from !== undefined && from !== null && (!Array.isArray(from) || from.length > 0)) {
        out.push(
            `values.envVarFrom sets the egress gateway proxy's environment from Secrets, ConfigMaps or fields, which pilot-agent reads its configuration from: remove it.`,
        );
    }
    return out;
}

export function gatewayServiceProblems(kind: string, obj: unknown, resourceName: string, namespace: string, cfg: GuardConfig): string[] {
    if (kind === "Release") {
        if (!isGatewayRelease(obj, resourceName, namespace, cfg)) return [];
        const out: string[] = [];
        const type = valueAt(obj, "values", "service", "type");
        if (!(type === "ClusterIP" || type === "None")) {
            out.push(
                type === undefined
                    ? `values.service.type is not set and the istio/gateway chart defaults it to LoadBalancer, exposing the egress gateway outside the cluster: set values.service.type: ClusterIP.`
                    : `values.service.type is ${shown(type)}, exposing the egress gateway outside the cluster: set values.service.type: ClusterIP.`,
            );
        }
        out.push(...gatewayValuesProblems(recordAt(obj, "values"), cfg));
        return out;
    }
    if (kind === "Service") {
        // The gateway's Service: one selecting the gateway labels, or any Service with a selector in a gateway
        // namespace (the istio/gateway chart's Service selects on the chart's own app/istio labels, which a resource
        // policy cannot tie to a release; in a gateway namespace every exposed Service is judged, failing closed).
        const sel = recordAt(obj, "spec", "selector");
        const inGatewayNs = cfg.gatewayNamespaces.includes(namespace);
        if (!labelsMatch(cfg.gatewayLabels, sel) && !(inGatewayNs && Object.keys(sel).length > 0)) return [];
        const type = valueAt(obj, "spec", "type") ?? "ClusterIP";
        if (type === "LoadBalancer" || type === "NodePort") {
            return [`spec.type is ${type}, exposing the egress gateway outside the cluster: set spec.type: ClusterIP.`];
        }
        if (listAt(obj, "spec", "externalIPs").length > 0) {
            return [`spec.externalIPs exposes the egress gateway outside the cluster: remove them.`];
        }
    }
    return [];
}

export const egressGatewayClusterIp = resourcePolicy({
    name: "egress-gateway-cluster-ip",
    appliesTo: (k) => k === "Release" || k === "Service",
    description: "The egress gateway's Service must be ClusterIP, not reachable from outside the cluster, and its release must keep the gateway's lock-down.",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Set service.type: ClusterIP in the istio/gateway release values (the chart defaults to LoadBalancer); do not set global.networkPolicy.enabled, service.externalIPs, extra containers or proxy override annotations.",
    config: ["exemptNamespaces", "gatewayNamespaces", "gatewayLabels", "trustedProxyImages"],
    configDefaults: { exemptNamespaces: [] },
    scopeByNamespace: "exempt-only",
    check: (o, cfg) =>
        o.kind === "Release" || (o.kind === "Service" && o.group === "") ? gatewayServiceProblems(o.kind, o.props, o.name, o.namespace ?? "default", cfg) : [],
});
