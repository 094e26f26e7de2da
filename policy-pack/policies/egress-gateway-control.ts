/**
 * Policy `egress-gateway-control` (stack): the egress gateway's control must not be switched off — the blog's
 * "compromise the egress gateway ... disable enforcement" — by Istio configuration that reaches the gateway's pods.
 *
 * Istio applies a security.istio.io policy or an EnvoyFilter to a workload when it sits in the workload's namespace
 * and its selector (`selector`, `workloadSelector`, absent = every workload there) matches, or when it sits in the
 * root namespace (meshConfig.rootNamespace, `istio-system` by default), where it applies to every namespace
 * (pilot/pkg/model/authorization.go `ListAuthorizationPolicies`, pilot/pkg/model/envoyfilter.go, and
 * `pilot/pkg/security/authn/policy_applier.go` for PeerAuthentication, whose root-namespace policy is the mesh's).
 * A Gateway's selector picks pods in every namespace (pilot/pkg/model/gateway.go), so a second workload carrying
 * the gateway's labels becomes part of the egress gateway.
 */
import { GuardConfig } from "../lib/config";
import { ALLOWED_GATEWAY_ENV } from "./egress-gateway-cluster-ip";
import { stackPolicy } from "../lib/policy";
import { GatewayFacts, StackFinding, StackObject, carriesGatewayIdentity, gatewayFacts, isGatewayRelease, selectsEgressGateway } from "../lib/facts";
import {
    GATEWAY_SELECTOR_LABEL,
    gatewayReleaseLabels,
    isRecord,
    isWorkloadKind,
    labelsMatch,
    listAt,
    podTemplatesOf,
    ISTIO_EXTENSIONS,
    ISTIO_SECURITY,
    ISTIO_NETWORKING,
    recordAt,
    shown,
    valueAt,
} from "../../sdk/model";

/**
 * Does a pod carry the labels of a known egress gateway: the configured ones, or the component's selector label with
 * the value of a gateway release in the stack (a copy elsewhere makes its pods part of that gateway too)?
 */
function carriesKnownGatewayLabels(labels: unknown, cfg: GuardConfig, facts: GatewayFacts): boolean {
    if (labelsMatch(cfg.gatewayLabels, labels)) return true;
    const v = recordAt(labels)[GATEWAY_SELECTOR_LABEL];
    return v !== undefined && facts.labelSets.some((set) => set[GATEWAY_SELECTOR_LABEL] === v);
}

/** Does a workload selector (`matchLabels`) reach the gateway's pods (absent: every workload of its namespace)? */
function selectorReachesGateway(selector: unknown, cfg: GuardConfig, facts: GatewayFacts): boolean {
    if (selector === undefined || selector === null) return true;
    // labelsMatch compares each value by identity, so a value of another type than string matches no label set.
    const ml = recordAt(selector, "matchLabels") as Record<string, string>;
    if (Object.keys(ml).length === 0) return true;
    return [cfg.gatewayLabels, ...facts.labelSets].some((set) => labelsMatch(ml, set));
}

/** Does a policy (in `namespace`, with this selector) apply to the egress gateway's pods? */
function reachesGateway(
    namespace: string,
    selector: unknown,
    targetRefs: unknown,
    cfg: GuardConfig,
    facts: GatewayFacts,
    rootAppliesWithSelector: boolean,
): string | undefined {
    if (listAt(targetRefs).length > 0) {
        // targetRefs attach to a Gateway (API) or a Service (its waypoint), or to a ServiceEntry (a waypoint's, not the
        // gateway pods'): a Gateway or Service in a gateway namespace is the egress gateway's.
        const refs = listAt(targetRefs).filter((r) => valueAt(r, "kind") === "Gateway" || valueAt(r, "kind") === "Service");
        return refs.length > 0 && facts.namespaces.has(namespace)
            ? `it targets ${refs.map((r) => `${shown(valueAt(r, "kind"))}/${shown(valueAt(r, "name"))}`).join(", ")} in the gateway namespace "${namespace}"`
            : undefined;
    }
    if (facts.namespaces.has(namespace) && selectorReachesGateway(selector, cfg, facts)) {
        return selector === undefined
            ? `it applies to every workload of the gateway namespace "${namespace}"`
            : `its selector picks the gateway's pods in "${namespace}"`;
    }
    if (namespace === cfg.istioRootNamespace) {
        if (selector === undefined || Object.keys(recordAt(selector, "matchLabels")).length === 0)
            return `it sits in the root namespace "${namespace}" without a selector, so it applies mesh-wide`;
        if (rootAppliesWithSelector && selectorReachesGateway(selector, cfg, facts))
            return `it sits in the root namespace "${namespace}" and its selector picks the gateway's pods in every namespace`;
    }
    return undefined;
}

/** An AuthorizationPolicy rule that matches a request whatever its source: no `from` and no `when`. */
function anySource(rule: unknown): boolean {
    return listAt(rule, "from").length === 0 && listAt(rule, "when").length === 0;
}

function authorizationFindings(o: StackObject, cfg: GuardConfig, facts: GatewayFacts): string[] {
    const spec = recordAt(o.props, "spec");
    const action = spec.action ?? "ALLOW";
    if (action !== "ALLOW") return [];
    const open = listAt(spec, "rules").findIndex(anySource);
    if (open < 0) return [];
    const where = reachesGateway(o.namespace ?? "default", spec.selector, spec.targetRefs ?? (spec.targetRef ? [spec.targetRef] : undefined), cfg, facts, true);
    if (!where) return [];
    return [
        `AuthorizationPolicy ALLOWs requests from any source (spec.rules[${open}] has no from and no when) at the egress gateway, because ${where}: Istio allows a request when any ALLOW policy matches, so this switches off the per-identity control; give the rule a from (principals or namespaces), or remove it.`,
    ];
}

function peerAuthenticationFindings(o: StackObject, cfg: GuardConfig, facts: GatewayFacts): string[] {
    const spec = recordAt(o.props, "spec");
    const where = reachesGateway(o.namespace ?? "default", spec.selector, undefined, cfg, facts, false);
    if (!where) return [];
    const out: string[] = [];
    const mode = valueAt(spec, "mtls", "mode");
    if (mode !== "STRICT") {
        out.push(
            `PeerAuthentication mtls.mode is ${mode === undefined || mode === null ? "unset (inherited, PERMISSIVE by default)" : shown(mode)} and ${where}: the egress gateway would accept plaintext callers, whose identity it cannot check: set mtls.mode: STRICT.`,
        );
    }
    for (const [port, p] of Object.entries(recordAt(spec, "portLevelMtls"))) {
        const portMode = valueAt(p, "mode");
        if (portMode !== "STRICT")
            out.push(
                `PeerAuthentication portLevelMtls[${port}].mode is ${portMode === undefined || portMode === null ? "unset" : shown(portMode)} and ${where}: set it to STRICT.`,
            );
    }
    return out;
}

function envoyFilterFindings(o: StackObject, cfg: GuardConfig, facts: GatewayFacts): string[] {
    const spec = recordAt(o.props, "spec");
    const where = reachesGateway(
        o.namespace ?? "default",
        spec.workloadSelector === undefined ? undefined : { matchLabels: valueAt(spec, "workloadSelector", "labels") },
        spec.targetRefs,
        cfg,
        facts,
        true,
    );
    if (!where) return [];
    return [
        `EnvoyFilter patches the egress gateway's Envoy configuration, because ${where}: an EnvoyFilter can add listeners, clusters or filters that bypass the gateway's authorization and logging; remove it or select other workloads.`,
    ];
}

/**
 * A WasmPlugin or TrafficExtension (extensions.istio.io): Wasm or Lua code that Istio loads into every proxy it
 * selects, able to rewrite, answer or pass on the gateway's traffic before its authorization and logging see it.
 * Istio selects them as it does EnvoyFilters: the proxy's own namespace and the root namespace, by `selector` or
 * `targetRefs` (pilot/pkg/model/push_context.go `TrafficExtensionsByListenerInfo`, with the root namespace's
 * selectors applying in every namespace); a WasmPlugin is translated into a TrafficExtension, its deprecated
 * singular `targetRef` used where `targetRefs` is empty (pilot/pkg/config/kube/extensions/translate.go).
 */
function extensionFindings(o: StackObject, cfg: GuardConfig, facts: GatewayFacts): string[] {
    const spec = recordAt(o.props, "spec");
    const refs = listAt(spec, "targetRefs");
    const targetRefs = refs.length > 0 ? refs : spec.targetRef !== undefined ? [spec.targetRef] : undefined;
    const where = reachesGateway(o.namespace ?? "default", spec.selector, targetRefs, cfg, facts, true);
    if (!where) return [];
    return [
        `${o.kind} loads its own code into the egress gateway's proxy, because ${where}: it can rewrite or answer the gateway's traffic before the gateway's authorization and logging see it; remove it or select other workloads.`,
    ];
}

/**
 * A ProxyConfig resource's environmentVariables become the proxy environment of the pods it selects at injection
 * (pilot/pkg/model/proxy_config.go; the gateway's pods are injected with the gateway template, which copies them
 * into istio-proxy's env: istio-discovery chart files/gateway-injection-template.yaml). For the egress gateway that
 * is the same power as the chart's `values.env`, so the same rule: only the drain settings (egress-gateway-cluster-ip
 * ALLOWED_GATEWAY_ENV). Istio reads a root-namespace ProxyConfig with a selector for the root namespace's own pods
 * only (mergedWorkloadConfig looks in the pod's namespace), so only a selector-less one there is mesh-wide.
 */
function proxyConfigFindings(o: StackObject, cfg: GuardConfig, facts: GatewayFacts): string[] {
    const spec = recordAt(o.props, "spec");
    const env = spec.environmentVariables;
    if (env === undefined || env === null) return [];
    const where = reachesGateway(o.namespace ?? "default", spec.selector, undefined, cfg, facts, false);
    if (!where) return [];
    const keys = isRecord(env) ? Object.keys(env).filter((k) => !ALLOWED_GATEWAY_ENV.has(k)) : [shown(env)];
    if (keys.length === 0) return [];
    return [
        `ProxyConfig sets the egress gateway proxy's environment (${keys.join(", ")}), because ${where}: pilot-agent reads where its certificates and configuration come from there (PROXY_CONFIG, CA_ADDR, XDS_ROOT_CA, ISTIO_META_*); remove it or select other workloads; only ${[...ALLOWED_GATEWAY_ENV].join(" and ")} (the drain settings) may be set.`,
    ];
}

function gatewayRef(ref: string, vsNamespace: string): { namespace: string; name: string } {
    const i = ref.indexOf("/");
    return i >= 0 ? { namespace: ref.slice(0, i), name: ref.slice(i + 1) } : { namespace: vsNamespace, name: ref };
}

/** Every Gateway a VirtualService binds to (spec.gateways and its routes' match gateways). */
function boundGateways(spec: unknown): string[] {
    const out = new Set<string>(listAt(spec, "gateways").map(String));
    for (const f of ["http", "tls", "tcp"])
        for (const r of listAt(spec, f)) for (const m of listAt(r, "match")) for (const g of listAt(m, "gateways")) out.add(String(g));
    out.delete("mesh");
    return [...out];
}

export function gatewayControlFindings(objects: StackObject[], cfg: GuardConfig, facts: GatewayFacts = gatewayFacts(objects, cfg)): StackFinding[] {
    const out: StackFinding[] = [];
    const push = (o: StackObject, messages: string[]) => messages.forEach((message) => out.push({ urn: o.urn, message }));
    const egressGateways = new Set<string>();
    const otherGateways = new Set<string>();
    for (const o of objects) {
        if (o.patch || o.kind !== "Gateway" || o.group !== ISTIO_NETWORKING) continue;
        (selectsEgressGateway(valueAt(o.props, "spec", "selector"), cfg.gatewayLabels, facts.labelSets) ? egressGateways : otherGateways).add(
            `${o.namespace}/${o.name}`,
        );
    }
    const carriers: StackObject[] = [];
    for (const o of objects) {
        if (o.patch || o.namespace === undefined) continue;
        if (o.group === ISTIO_SECURITY && o.kind === "AuthorizationPolicy") push(o, authorizationFindings(o, cfg, facts));
        else if (o.group === ISTIO_SECURITY && o.kind === "PeerAuthentication") push(o, peerAuthenticationFindings(o, cfg, facts));
        else if (o.group === ISTIO_NETWORKING && o.kind === "EnvoyFilter") push(o, envoyFilterFindings(o, cfg, facts));
        else if (o.group === ISTIO_EXTENSIONS && EXTENSION_KINDS.has(o.kind)) push(o, extensionFindings(o, cfg, facts));
        else if (o.group === ISTIO_NETWORKING && o.kind === "ProxyConfig") push(o, proxyConfigFindings(o, cfg, facts));
        else if (o.group === ISTIO_NETWORKING && o.kind === "VirtualService") {
            for (const ref of boundGateways(valueAt(o.props, "spec"))) {
                const { namespace, name } = gatewayRef(ref, o.namespace);
                const key = `${namespace}/${name}`;
                const egress = egressGateways.has(key) || (!otherGateways.has(key) && facts.namespaces.has(namespace));
                if (!egress || facts.namespaces.has(o.namespace) || o.namespace === namespace) continue;
                push(o, [
                    `VirtualService in "${o.namespace}" binds to the egress Gateway ${key}: its routes become the egress gateway's, so whoever writes "${o.namespace}" decides where the gateway forwards traffic; define gateway-bound routes in the gateway's namespace.`,
                ]);
            }
        } else if (
            o.kind === "Release" &&
            isGatewayRelease(o.props, o.name, o.namespace, cfg) &&
            carriesGatewayIdentity(gatewayReleaseLabels(o.props, o.name), o.namespace, cfg)
        ) {
            carriers.push(o);
        } else if (
            isWorkloadKind(o.kind) &&
            podTemplatesOf(o.kind, o.props).some((t) => carriesKnownGatewayLabels(valueAt(t.metadata, "labels"), cfg, facts))
        ) {
            carriers.push(o);
        }
    }
    if (carriers.length > 1) {
        const names = carriers.map((o) => `${o.kind} ${o.namespace}/${o.name}`);
        for (const o of carriers) {
            const others = names.filter((n) => n !== `${o.kind} ${o.namespace}/${o.name}`).join(", ");
            out.push({
                urn: o.urn,
                message: `${o.kind} ${o.namespace}/${o.name} carries the egress gateway's labels, and so does ${others}: Istio applies the egress Gateway's selector in every namespace, so both serve the egress Gateway and its traffic; keep one egress gateway per label set (give the others other labels).`,
            });
        }
    }
    return out;
}

/** The extensions.istio.io kinds that load code into the proxies they select. */
const EXTENSION_KINDS: ReadonlySet<string> = new Set(["WasmPlugin", "TrafficExtension"]);
const KINDS = new Set([
    "AuthorizationPolicy",
    "PeerAuthentication",
    "EnvoyFilter",
    ...EXTENSION_KINDS,
    "ProxyConfig",
    "VirtualService",
    "Gateway",
    "Release",
    "Service",
]);

export const egressGatewayControl = stackPolicy({
    name: "egress-gateway-control",
    appliesTo: (k) => KINDS.has(k) || isWorkloadKind(k),
    subjects: (k) => k !== "Gateway" && k !== "Release",
    description:
        "Nothing may switch off the egress gateway's control: no ALLOW-any AuthorizationPolicy, non-STRICT PeerAuthentication, EnvoyFilter, WasmPlugin, TrafficExtension or proxy environment (ProxyConfig) reaching it, no VirtualService from another namespace bound to the egress Gateway, no second workload carrying its labels.",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Give AuthorizationPolicy rules at the gateway a from; keep PeerAuthentication STRICT for the gateway; remove EnvoyFilters, WasmPlugins and TrafficExtensions that select the gateway (or sit in the root namespace without a selector); define gateway-bound VirtualServices in the gateway's namespace; keep one workload per gateway label set.",
    config: ["exemptNamespaces", "gatewayNamespaces", "gatewayLabels", "gatewayServiceHosts", "discoverGatewayNamespaces", "istioRootNamespace"],
    configDefaults: { exemptNamespaces: [] },
    check: (objects, cfg) =>
        gatewayControlFindings(
            objects.filter((o) => o.namespace === undefined || !cfg.exemptNamespaces.includes(o.namespace)),
            cfg,
        ),
});
