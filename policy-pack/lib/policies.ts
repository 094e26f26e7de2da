/**
 * The `istio-egress-guard` policies: @pulumi/policy `ResourceValidationPolicy` / `StackValidationPolicy` objects
 * wrapping the pure rules of `rules.ts`.
 *
 * They match Kubernetes resources by type token, never with `validateResourceOfType(k8s.apiextensions.CustomResource,
 * ...)`: an Istio object's token is `kubernetes:networking.istio.io/v1:ServiceEntry`, not the CustomResource class's.
 *
 * Per-object checks are resource policies: the engine runs them before each resource is created, so a mandatory
 * violation stops `pulumi up` before anything reaches the cluster, and an unknown value during preview only
 * affects the one resource that has it. Checks that need the whole stack (a namespace's default-deny, a
 * ServiceEntry's routing) are stack policies; they look at each resource on its own and report what they can
 * before re-raising the first unknown value, which the analyzer turns into its "can't run during preview" advisory.
 *
 * This module never constructs a PolicyPack (that starts the analyzer's gRPC server); `policy-pack/index.ts` does.
 */
import type {
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
import { ConfigKey, GuardConfig, configReader, configSchema } from "./config";
import { knownProps } from "./known";
import { isWorkloadKind, namespaceAndName, typeInfo } from "../../sdk/model";
import {
    StackObject,
    allowAnyProblems,
    captureExclusionProblems,
    defaultDenyFindings,
    escapePrivilegeProblems,
    gatewayFacts,
    gatewayServiceProblems,
    gatewayTlsProblems,
    impersonationProblems,
    networkPolicyProblems,
    openServiceEntryProblems,
    serviceEntryRoutingFindings,
    sidecarInjectionProblems,
} from "./rules";

export const POLICY_PACK_NAME = "istio-egress-guard";

/** What a per-object rule receives. */
interface ObjectView {
    type: string;
    kind: string;
    group: string;
    namespace: string | undefined;
    name: string;
    props: any;
}

type ObjectRule = (o: ObjectView, cfg: GuardConfig) => string[];

interface ResourceRuleSpec {
    name: string;
    description: string;
    enforcementLevel: EnforcementLevel;
    remediationSteps: string;
    config: ConfigKey[];
    configDefaults?: Partial<GuardConfig>;
    /** Skip objects in the exempt and gateway namespaces. */
    scopeByNamespace: "workloads" | "exempt-only";
    /** The kinds the rule looks at, decided from the type token before any prop is read. */
    appliesTo: (kind: string) => boolean;
    /** Kinds judged whatever their namespace (mesh-wide settings, e.g. the istiod release in istio-system). */
    meshWide?: (kind: string) => boolean;
    check: ObjectRule;
}

/** The view of a resource whose token is a Kubernetes object of `kind` (see `typeInfo`). */
function viewOf(type: string, kind: string, group: string, props: any, resourceName: string): ObjectView {
    const { namespace, name } = namespaceAndName(type, props, resourceName);
    return { type, kind, group, namespace, name, props };
}

function resourcePolicy(spec: ResourceRuleSpec): ResourceValidationPolicy {
    const schema: PolicyConfigSchema = configSchema(spec.config, spec.configDefaults);
    const readConfig = configReader(spec.name, schema);
    return {
        name: spec.name,
        description: spec.description,
        enforcementLevel: spec.enforcementLevel,
        remediationSteps: spec.remediationSteps,
        configSchema: schema,
        validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
            const info = typeInfo(args.type);
            const kind = info.kind;
            if (!info.gvk || !kind || !spec.appliesTo(kind)) return;
            const cfg = readConfig(args.getConfig<Record<string, any>>());
            const view = viewOf(args.type, kind, info.group, knownProps(args.props), args.name);
            const scopeNs = view.kind === "Namespace" ? view.name : view.namespace;
            if (scopeNs !== undefined && !spec.meshWide?.(view.kind)) {
                if (cfg.exemptNamespaces.includes(scopeNs)) return;
                if (spec.scopeByNamespace === "workloads" && cfg.gatewayNamespaces.includes(scopeNs)) return;
            }
            for (const message of spec.check(view, cfg)) {
                reportViolation(message);
            }
        },
    };
}

interface StackRuleSpec {
    name: string;
    description: string;
    enforcementLevel: EnforcementLevel;
    remediationSteps: string;
    config: ConfigKey[];
    configDefaults?: Partial<GuardConfig>;
    /** The kinds the rule looks at (other resources' props are never read). */
    appliesTo: (kind: string) => boolean;
    /**
     * The kinds the rule reports on. While an object of another kind (one that could satisfy a requirement, like a
     * default-deny NetworkPolicy) has unknown values, findings are withheld: they could be false.
     */
    subjects: (kind: string) => boolean;
    check: (objects: StackObject[], cfg: GuardConfig) => { urn: string; message: string }[];
}

function isUnknownValueError(e: any): boolean {
    return !!e && (e.constructor?.name === "UnknownValueError" || e.name === "UnknownValueError") && Array.isArray(e.props);
}

/**
 * The stack's Kubernetes objects. A resource whose identifying fields (namespace, name) are unknown during
 * preview is left out and its error kept, so the rest of the stack is still judged.
 */
interface UnknownRead {
    error: unknown;
    kind: string;
}

function stackObjects(args: StackValidationArgs, appliesTo: (kind: string) => boolean, unknowns: UnknownRead[]): StackObject[] {
    const out: StackObject[] = [];
    for (const r of args.resources) {
        const info = typeInfo(r.type);
        const kind = info.kind;
        if (!info.gvk || !kind || !appliesTo(kind)) continue;
        try {
            const props = knownProps(r.props);
            const { namespace, name } = namespaceAndName(r.type, props, r.name);
            out.push({ type: r.type, kind, group: info.group, namespace, name, props, patch: info.patch, urn: r.urn });
        } catch (e) {
            if (!isUnknownValueError(e)) throw e;
            unknowns.push({ error: locate(e, r.type, r.name), kind });
        }
    }
    return out;
}

/** Names the resource in an unknown-value error raised while reading a stack resource (the path alone is ambiguous). */
function locate(e: any, type: string, name: string): any {
    const where = `${type}::${name}`;
    e.message = `${String(e.message).replace(/ value at \./, ` value at ${where} .`)}`;
    return e;
}

function stackPolicy(spec: StackRuleSpec): StackValidationPolicy {
    const schema: PolicyConfigSchema = configSchema(spec.config, spec.configDefaults);
    const readConfig = configReader(spec.name, schema);
    return {
        name: spec.name,
        description: spec.description,
        enforcementLevel: spec.enforcementLevel,
        remediationSteps: spec.remediationSteps,
        configSchema: schema,
        validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
            const cfg = readConfig(args.getConfig<Record<string, any>>());
            const unknowns: UnknownRead[] = [];
            const objects = stackObjects(args, spec.appliesTo, unknowns);
            // Judge what is known; an object whose fields the rule reads are unknown is retried alone to find it.
            let findings: { urn: string; message: string }[];
            try {
                findings = spec.check(objects, cfg);
            } catch (e) {
                if (!isUnknownValueError(e)) throw e;
                const before = unknowns.length;
                const known = objects.filter((o) => {
                    try {
                        spec.check([o], cfg);
                        return true;
                    } catch (err) {
                        if (!isUnknownValueError(err)) throw err;
                        unknowns.push({ error: locate(err, o.type, o.urn.split("::").pop() ?? o.name), kind: o.kind });
                        return false;
                    }
                });
                if (unknowns.length === before) unknowns.push({ error: e, kind: "" });
                try {
                    findings = spec.check(known, cfg);
                } catch (err) {
                    if (!isUnknownValueError(err)) throw err;
                    findings = [];
                }
            }
            const reliable = unknowns.every((u) => spec.subjects(u.kind));
            if (reliable) {
                for (const f of findings) {
                    reportViolation(f.message, f.urn);
                }
            }
            if (unknowns.length > 0) {
                // The analyzer reports this as an advisory "can't run ... during preview".
                throw unknowns[0].error;
            }
        },
    };
}

const REGISTRY_KINDS = new Set(["Sidecar", "Release", "IstioOperator", "ConfigMap"]);
const ROUTING_KINDS = new Set(["ServiceEntry", "VirtualService", "Gateway", "Release", "Service", "Namespace", "HTTPRoute", "TLSRoute", "TCPRoute", "GRPCRoute"]);

const WORKLOAD_CONFIG: ConfigKey[] = ["exemptNamespaces", "gatewayNamespaces", "gatewayLabels"];

export const sidecarInjectionRequired = resourcePolicy({
    name: "sidecar-injection-required",
    appliesTo: (k) => isWorkloadKind(k) || k === "Namespace",
    description: "Workloads must not opt out of the mesh: no sidecar means no egress gateway.",
    enforcementLevel: "mandatory",
    remediationSteps:
        'Remove sidecar.istio.io/inject: "false" (label or annotation), istio.io/dataplane-mode: none and sidecar.istio.io/interceptionMode from pod templates; label application namespaces istio-injection: enabled.',
    config: WORKLOAD_CONFIG,
    scopeByNamespace: "workloads",
    check: (o, cfg) => sidecarInjectionProblems(o.kind, o.props, cfg),
});

export const noGatewayImpersonation = resourcePolicy({
    name: "no-gateway-impersonation",
    appliesTo: isWorkloadKind,
    description: "Only the egress gateway's own pods may carry the egress gateway's labels.",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Remove the egress gateway's labels from pods that are not the gateway; the gateway's NetworkPolicy, Service and AuthorizationPolicies select pods by them.",
    config: ["exemptNamespaces", "gatewayLabels"],
    configDefaults: { exemptNamespaces: [] },
    scopeByNamespace: "exempt-only",
    check: (o, cfg) => impersonationProblems(o.kind, o.props, cfg),
});

export const noTrafficCaptureExclusions = resourcePolicy({
    name: "no-traffic-capture-exclusions",
    appliesTo: (k) => isWorkloadKind(k) || k === "Release",
    meshWide: (k) => k === "Release",
    description: "Outbound traffic must not be excluded from the sidecar's capture (IP ranges, ports, interfaces).",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Remove the traffic.sidecar.istio.io/* outbound exclusion annotations from pod templates and global.proxy include/exclude settings from the istiod values.",
    config: WORKLOAD_CONFIG,
    scopeByNamespace: "workloads",
    check: (o, cfg) => captureExclusionProblems(o.kind, o.props, cfg),
});

export const noProxyEscapePrivileges = resourcePolicy({
    name: "no-proxy-escape-privileges",
    appliesTo: isWorkloadKind,
    description: "Pods must not escape the sidecar's iptables: no hostNetwork, UID/GID 1337, NET_ADMIN, NET_RAW or privileged containers.",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Drop hostNetwork, run as a UID/GID other than 1337, drop NET_ADMIN/NET_RAW/ALL from capabilities.add and set privileged: false.",
    config: WORKLOAD_CONFIG,
    scopeByNamespace: "workloads",
    check: (o, cfg) => escapePrivilegeProblems(o.kind, o.props, cfg),
});

export const noExternalEgressNetworkPolicy = resourcePolicy({
    name: "no-external-egress-networkpolicy",
    appliesTo: (k) => k === "NetworkPolicy",
    description: "NetworkPolicies must not open egress outside the cluster to pods other than the egress gateway.",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Give every egress rule a `to` with in-cluster peers; replace ipBlocks outside the cluster by routing through the egress gateway (or list a required CIDR in allowedEgressCidrs).",
    config: [...WORKLOAD_CONFIG, "inClusterCidrs", "allowedEgressCidrs"],
    scopeByNamespace: "workloads",
    check: (o, cfg) => (o.group === "networking.k8s.io" ? networkPolicyProblems(o.kind, o.props, cfg) : []),
});

export const namespaceDefaultDenyEgress = stackPolicy({
    name: "namespace-default-deny-egress",
    appliesTo: (k) => isWorkloadKind(k) || k === "Release" || k === "NetworkPolicy" || k === "Service",
    subjects: isWorkloadKind,
    description: "Every application namespace the stack deploys workloads to must have a default-deny egress NetworkPolicy.",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Add a NetworkPolicy with podSelector: {} and policyTypes: [Egress] to the namespace, allowing only in-cluster peers (DNS, istiod, the egress gateway).",
    config: [...WORKLOAD_CONFIG, "inClusterCidrs", "allowedEgressCidrs", "discoverGatewayNamespaces"],
    check: (objects, cfg) => defaultDenyFindings(objects, cfg, gatewayFacts(objects, cfg)),
});

export const registryOnlyOutbound = resourcePolicy({
    name: "registry-only-outbound",
    appliesTo: (k) => REGISTRY_KINDS.has(k),
    description: "Sidecars must not pass traffic for unknown hosts: no outboundTrafficPolicy ALLOW_ANY.",
    enforcementLevel: "mandatory",
    remediationSteps: "Set outboundTrafficPolicy.mode to REGISTRY_ONLY in Sidecars and in the mesh config (istiod values meshConfig).",
    config: ["exemptNamespaces"],
    configDefaults: { exemptNamespaces: [] },
    scopeByNamespace: "exempt-only",
    check: (o) => allowAnyProblems(o.kind, o.group, o.props),
});

export const noOpenServiceEntry = resourcePolicy({
    name: "no-open-service-entry",
    appliesTo: (k) => k === "ServiceEntry",
    description: "ServiceEntries must name their hosts and must not pass through every destination on a TCP port.",
    enforcementLevel: "mandatory",
    remediationSteps: 'Replace host "*" with the external host names; give TCP ports addresses or use resolution DNS.',
    config: ["exemptNamespaces"],
    configDefaults: { exemptNamespaces: [] },
    scopeByNamespace: "exempt-only",
    check: (o) => openServiceEntryProblems(o.kind, o.group, o.props),
});

export const serviceEntryViaEgressGateway = stackPolicy({
    name: "service-entry-via-egress-gateway",
    appliesTo: (k) => ROUTING_KINDS.has(k) || isWorkloadKind(k),
    subjects: (k) => k === "ServiceEntry",
    description: "Every external (MESH_EXTERNAL) ServiceEntry host must be routed through the egress gateway by a VirtualService.",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Add a VirtualService for the host with a `mesh` leg to the egress gateway's Service and a leg bound to the egress Gateway that forwards to the host; or export the ServiceEntry to the gateway's namespace only.",
    config: ["exemptNamespaces", "gatewayNamespaces", "gatewayLabels", "gatewayServiceHosts", "discoverGatewayNamespaces"],
    configDefaults: { exemptNamespaces: [] },
    check: (objects, cfg) => serviceEntryRoutingFindings(objects, cfg, gatewayFacts(objects, cfg)),
});

export const egressGatewayIstioMutual = resourcePolicy({
    name: "egress-gateway-istio-mutual",
    appliesTo: (k) => k === "Gateway",
    description: "Every server of the egress Gateway must require Istio mTLS (tls.mode ISTIO_MUTUAL).",
    enforcementLevel: "mandatory",
    remediationSteps: "Set tls.mode: ISTIO_MUTUAL on every server of Gateways that select the egress gateway.",
    config: ["exemptNamespaces", "gatewayLabels"],
    configDefaults: { exemptNamespaces: [] },
    scopeByNamespace: "exempt-only",
    check: (o, cfg) => gatewayTlsProblems(o.kind, o.group, o.props, cfg),
});

export const egressGatewayClusterIp = resourcePolicy({
    name: "egress-gateway-cluster-ip",
    appliesTo: (k) => k === "Release" || k === "Service",
    description: "The egress gateway's Service must be ClusterIP, not reachable from outside the cluster.",
    enforcementLevel: "mandatory",
    remediationSteps: "Set service.type: ClusterIP in the istio/gateway release values (the chart defaults to LoadBalancer).",
    config: ["exemptNamespaces", "gatewayNamespaces", "gatewayLabels"],
    configDefaults: { exemptNamespaces: [] },
    scopeByNamespace: "exempt-only",
    check: (o, cfg) =>
        o.kind === "Release" || (o.kind === "Service" && o.group === "")
            ? gatewayServiceProblems(o.kind, o.props, o.name, o.namespace ?? "default", cfg)
            : [],
});

/** Every policy of the pack, in the order they are reported. */
export const policies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
    sidecarInjectionRequired,
    noTrafficCaptureExclusions,
    noProxyEscapePrivileges,
    noExternalEgressNetworkPolicy,
    noGatewayImpersonation,
    namespaceDefaultDenyEgress,
    registryOnlyOutbound,
    noOpenServiceEntry,
    serviceEntryViaEgressGateway,
    egressGatewayIstioMutual,
    egressGatewayClusterIp,
];
