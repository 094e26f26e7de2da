/** Policy `no-traffic-capture-exclusions`: its rule (pure functions over Kubernetes objects) next to its declaration. */
import { GuardConfig } from "../lib/config";
import { resourcePolicy, WORKLOAD_CONFIG } from "../lib/policy";
import { templateMeta } from "../lib/facts";
import { isTrustedProxyImage, proxyConfigProblems, proxyMetadataProblems } from "../lib/istio";
import { chartName, containerRefs, ISTIO_NETWORKING, isWorkloadKind, listAt, podTemplatesOf, recordAt, shown, valueAt } from "../../sdk/model";

const EXCLUSION_ANNOTATIONS: Record<string, string> = {
    "traffic.sidecar.istio.io/excludeOutboundIPRanges": "sends traffic to these ranges around the sidecar",
    "traffic.sidecar.istio.io/excludeOutboundPorts": "sends traffic on these ports around the sidecar",
    "traffic.sidecar.istio.io/includeOutboundPorts": "selects outbound ports for capture instead of capturing every port",
    "traffic.sidecar.istio.io/excludeInterfaces": "sends traffic on these interfaces around the sidecar",
    "traffic.sidecar.istio.io/kubevirtInterfaces": "sends traffic from these interfaces around the sidecar",
    "istio.io/reroute-virtual-interfaces": "sends traffic from these interfaces around the sidecar",
};

const NON_SIDECAR_TEMPLATES = new Set(["gateway", "grpc-agent", "grpc-simple", "waypoint", "kube-gateway", "agentgateway", "agentgateway-waypoint"]);

/**
 * Istio's override annotations that replace what runs as the proxy (UID 1337, never redirected), what it is
 * configured by, or the injected containers themselves (istio.io/api `annotation/annotations.gen.go`; the injector
 * reads them in `pkg/kube/inject/inject.go` and the injection template).
 */
function overrideProblems(annotations: Record<string, unknown>, spec: unknown, where: string, cfg: GuardConfig): string[] {
    const out: string[] = [];
    const image = annotations["sidecar.istio.io/proxyImage"];
    if (image !== undefined && !isTrustedProxyImage(image, cfg.trustedProxyImages)) {
        out.push(
            `${where} sidecar.istio.io/proxyImage: "${shown(image)}" replaces the proxy (and istio-init) with an image that is not a trusted proxy image, and it runs as UID 1337, whose traffic is never redirected: remove it, or add the image to trustedProxyImages.`,
        );
    }
    for (const [key, what] of [
        ["sidecar.istio.io/bootstrapOverride", "replaces the proxy's Envoy bootstrap (its listeners and clusters) with a ConfigMap's"],
        ["sidecar.istio.io/discoveryAddress", "points the proxy at another control plane, which can configure it to forward anywhere"],
        ["proxy.istio.io/overrides", "overrides the injected istio-proxy container's fields (image, command, args, securityContext)"],
        ["sidecar.istio.io/userVolumeMount", "mounts volumes into the proxy container, which can replace its binaries or configuration"],
    ] as const) {
        const v = annotations[key];
        if (v !== undefined && shown(v).trim() !== "") out.push(`${where} ${key} ${what}, bypassing the egress gateway's control: remove it.`);
    }
    const pc = annotations["proxy.istio.io/config"];
    if (pc !== undefined) {
        const problems = proxyConfigProblems(pc);
        if (problems.length > 0)
            out.push(
                `${where} proxy.istio.io/config ${problems.join(", ")}, which changes what runs as the proxy, where it is configured from or how it captures traffic: remove ${problems.length > 1 ? "them" : "it"}.`,
            );
    }
    // The injector merges the named templates in order (pkg/kube/inject/inject.go `RunTemplate`). Without "sidecar"
    // there is no istio-init; Istio's own non-sidecar templates (files/*.yaml in the istio-discovery chart) replace
    // the sidecar's shape. Other names are templates the mesh's administrator defined in the injector config.
    const templates = annotations["inject.istio.io/templates"];
    const names =
        templates === undefined
            ? []
            : shown(templates)
                  .split(",")
                  .map((s) => s.trim())
                  .filter((s) => s !== "");
    if (templates !== undefined && (!names.includes("sidecar") || names.some((s) => NON_SIDECAR_TEMPLATES.has(s)))) {
        const onlyProxy = listAt(spec, "containers").length > 0 && containerRefs(spec).every((r) => valueAt(r.c, "name") === "istio-proxy");
        if (!onlyProxy) {
            out.push(
                `${where} inject.istio.io/templates: "${shown(templates)}" injects without Istio's "sidecar" template or with one of Istio's non-sidecar templates (e.g. "gateway" and "grpc-agent" add no istio-init), so the pod's application containers are not captured: remove it.`,
            );
        }
    }
    return out;
}

const EXCLUSION_ENTRIES = Object.entries(EXCLUSION_ANNOTATIONS);

/** Pod annotations, ProxyConfig resources and istiod Helm values that exclude outbound traffic from the sidecar's capture. */
export function captureExclusionProblems(kind: string, obj: unknown, cfg: GuardConfig, group?: string): string[] {
    const out: string[] = [];
    if (kind === "ProxyConfig") {
        // A ProxyConfig resource's environmentVariables become the proxyMetadata of every pod it selects, injected
        // after it exists (its namespace's pods; the root namespace's, without a selector, every pod of the mesh):
        // pilot/pkg/model/proxy_config.go toMeshConfigProxyConfig, read by the injector in pkg/kube/inject/webhook.go
        // (GetProxyConfigOrDefault). Another group's ProxyConfig is no Istio object; the default group is Istio's.
        if (group !== undefined && group !== ISTIO_NETWORKING) return out;
        const problems = proxyMetadataProblems(valueAt(obj, "spec", "environmentVariables"), "spec.environmentVariables");
        if (problems.length > 0)
            out.push(
                `ProxyConfig ${problems.join(", ")}: the injector puts these variables into istio-init's and istio-proxy's environment in every pod the ProxyConfig selects, which changes how the pod's traffic is captured or what configures its proxy: remove ${problems.length > 1 ? "them" : "it"}.`,
            );
        return out;
    }
    if (kind === "Release") {
        if (chartName(valueAt(obj, "chart")) !== "istiod") return out;
        const proxy = recordAt(obj, "values", "global", "proxy");
        if (proxy.includeIPRanges !== undefined && shown(proxy.includeIPRanges).trim() !== "*") {
            out.push(
                `values.global.proxy.includeIPRanges: "${shown(proxy.includeIPRanges)}" leaves outbound traffic to other addresses uncaptured mesh-wide: set it to "*" (or remove it).`,
            );
        }
        for (const k of ["excludeIPRanges", "excludeOutboundPorts"]) {
            if (proxy[k] !== undefined && shown(proxy[k]).trim() !== "") {
                out.push(`values.global.proxy.${k}: "${shown(proxy[k])}" exempts outbound traffic from capture mesh-wide: remove it.`);
            }
        }
        const meta = proxyMetadataProblems(
            valueAt(obj, "values", "meshConfig", "defaultConfig", "proxyMetadata"),
            "values.meshConfig.defaultConfig.proxyMetadata",
        );
        if (meta.length > 0)
            out.push(
                `${meta.join(", ")}: the injector puts these variables into istio-init's and istio-proxy's environment in every pod of the mesh: remove ${meta.length > 1 ? "them" : "it"}.`,
            );
        return out;
    }
    for (const t of podTemplatesOf(kind, obj)) {
        const annotations = recordAt(t.metadata, "annotations");
        out.push(...overrideProblems(annotations, t.spec, `${templateMeta(t.path)}.annotations`, cfg));
        const include = annotations["traffic.sidecar.istio.io/includeOutboundIPRanges"];
        if (include !== undefined && shown(include).trim() !== "*") {
            out.push(
                shown(include).trim() === ""
                    ? `${templateMeta(t.path)}.annotations traffic.sidecar.istio.io/includeOutboundIPRanges is empty, so no outbound traffic is redirected to the sidecar: remove it.`
                    : `${templateMeta(t.path)}.annotations traffic.sidecar.istio.io/includeOutboundIPRanges: "${shown(include)}" leaves traffic to every other address uncaptured: remove it (the default "*" captures all).`,
            );
        }
        for (const [key, what] of EXCLUSION_ENTRIES) {
            const v = annotations[key];
            if (v !== undefined && shown(v).trim() !== "") {
                out.push(`${templateMeta(t.path)}.annotations ${key}: "${shown(v)}" ${what}, bypassing the egress gateway: remove it.`);
            }
        }
    }
    return out;
}

export const noTrafficCaptureExclusions = resourcePolicy({
    name: "no-traffic-capture-exclusions",
    appliesTo: (k) => isWorkloadKind(k) || k === "Release" || k === "ProxyConfig",
    // A ProxyConfig in the root namespace (istio-system, exempt by default) applies to every pod of the mesh.
    meshWide: (k) => k === "Release" || k === "ProxyConfig",
    description:
        "Outbound traffic must not be excluded from the sidecar's capture (IP ranges, ports, interfaces), and the proxy must not be replaced or reconfigured by pod annotations, ProxyConfig resources or proxyMetadata.",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Remove the traffic.sidecar.istio.io/* outbound exclusion annotations and Istio's proxy override annotations (proxyImage, bootstrapOverride, discoveryAddress, proxy.istio.io/config, proxy.istio.io/overrides, inject.istio.io/templates) from pod templates, and global.proxy include/exclude settings from the istiod values; keep istio-iptables' variables, ISTIO_BOOTSTRAP* and PROXY_CONFIG out of proxyMetadata and ProxyConfig environmentVariables.",
    config: [...WORKLOAD_CONFIG, "trustedProxyImages"],
    scopeByNamespace: "workloads",
    check: (o, cfg) => captureExclusionProblems(o.kind, o.props, cfg, o.group),
});
