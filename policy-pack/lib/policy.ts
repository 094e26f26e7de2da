/**
 * How a policy of the pack is declared: `resourcePolicy` and `stackPolicy` wrap a pure rule into an @pulumi/policy
 * `ResourceValidationPolicy` / `StackValidationPolicy` with its config schema, namespace scoping and the pack's
 * handling of unknown values. Each policy lives in its own file under `policy-pack/policies/`.
 *
 * They match Kubernetes resources by type token, never with `validateResourceOfType(k8s.apiextensions.CustomResource,
 * ...)`: an Istio object's token is `kubernetes:networking.istio.io/v1:ServiceEntry`, not the CustomResource class's.
 *
 * Per-object checks are resource policies: the engine runs them before each resource is created, so a mandatory
 * violation stops `pulumi up` before anything reaches the cluster, and an unknown value during preview only
 * affects the one resource that has it. Checks that need the whole stack (a namespace's default-deny, a
 * ServiceEntry's routing) are stack policies; they look at each resource on its own and report what they can
 * before re-raising the first unknown value, which the analyzer turns into its "can't run during preview" advisory.
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
import { StackObject } from "./facts";
import { namespaceAndName, typeInfo } from "../../sdk/model";

/**
 * Is this object exempted by name in the policy's config (`exemptObjects`: `Kind/namespace/name`, `Kind/name` for
 * cluster-scoped kinds)? Only the config can exempt a single object: never an annotation, which the manifest's
 * author controls.
 */
export function isExemptObject(cfg: GuardConfig, kind: string, namespace: string | undefined, name: string): boolean {
    const key = namespace === undefined ? `${kind}/${name}` : `${kind}/${namespace}/${name}`;
    return cfg.exemptObjects.includes(key);
}

/** What a per-object rule receives. */
interface ObjectView {
    type: string;
    kind: string;
    group: string;
    namespace: string | undefined;
    name: string;
    /** The resource's inputs: read them defensively (sdk/model/read.ts). */
    props: unknown;
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
function viewOf(type: string, kind: string, group: string, props: unknown, resourceName: string): ObjectView {
    const { namespace, name } = namespaceAndName(type, props, resourceName);
    return { type, kind, group, namespace, name, props };
}

/** The kinds each policy of the pack looks at (its `appliesTo`), for tests and tools: which rules judge a kind. */
const APPLIES_TO = new WeakMap<object, (kind: string) => boolean>();

/** Whether `policy` (one of the pack's) looks at objects of `kind`; undefined for a policy not declared here. */
export function policyAppliesTo(policy: object, kind: string): boolean | undefined {
    const f = APPLIES_TO.get(policy);
    return f === undefined ? undefined : f(kind);
}

function registered<T extends object>(policy: T, appliesTo: (kind: string) => boolean): T {
    APPLIES_TO.set(policy, appliesTo);
    return policy;
}

export function resourcePolicy(spec: ResourceRuleSpec): ResourceValidationPolicy {
    const schema: PolicyConfigSchema = configSchema(spec.config, spec.configDefaults);
    const readConfig = configReader(spec.name, schema);
    return registered(
        {
            name: spec.name,
            description: spec.description,
            enforcementLevel: spec.enforcementLevel,
            remediationSteps: spec.remediationSteps,
            configSchema: schema,
            validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
                const info = typeInfo(args.type);
                const kind = info.kind;
                if (!info.gvk || !kind || !spec.appliesTo(kind)) return;
                const cfg = readConfig(args.getConfig<Record<string, unknown>>());
                const view = viewOf(args.type, kind, info.group, knownProps(args.props), args.name);
                const scopeNs = view.kind === "Namespace" ? view.name : view.namespace;
                if (cfg.exemptObjects.length > 0 && isExemptObject(cfg, view.kind, view.namespace, view.name)) return;
                if (scopeNs !== undefined && !spec.meshWide?.(view.kind)) {
                    if (cfg.exemptNamespaces.includes(scopeNs)) return;
                    if (spec.scopeByNamespace === "workloads" && cfg.gatewayNamespaces.includes(scopeNs)) return;
                }
                for (const message of spec.check(view, cfg)) {
                    reportViolation(message);
                }
            },
        },
        spec.appliesTo,
    );
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

function isUnknownValueError(e: unknown): boolean {
    if (e === null || typeof e !== "object") return false;
    const x = e as { constructor?: { name?: unknown }; name?: unknown; props?: unknown };
    return (x.constructor?.name === "UnknownValueError" || x.name === "UnknownValueError") && Array.isArray(x.props);
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
function locate(e: unknown, type: string, name: string): unknown {
    const where = `${type}::${name}`;
    const x = e as { message?: unknown }; // an UnknownValueError (isUnknownValueError)
    x.message = String(x.message).replace(/ value at \./, ` value at ${where} .`);
    return e;
}

export function stackPolicy(spec: StackRuleSpec): StackValidationPolicy {
    const schema: PolicyConfigSchema = configSchema(spec.config, spec.configDefaults);
    const readConfig = configReader(spec.name, schema);
    return registered(
        {
            name: spec.name,
            description: spec.description,
            enforcementLevel: spec.enforcementLevel,
            remediationSteps: spec.remediationSteps,
            configSchema: schema,
            validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
                const cfg = readConfig(args.getConfig<Record<string, unknown>>());
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
                    const byUrn = cfg.exemptObjects.length > 0 ? new Map(objects.map((o) => [o.urn, o])) : undefined;
                    for (const f of findings) {
                        const o = byUrn?.get(f.urn);
                        if (o && isExemptObject(cfg, o.kind, o.namespace, o.name)) continue;
                        reportViolation(f.message, f.urn);
                    }
                }
                if (unknowns.length > 0) {
                    // The analyzer reports this as an advisory "can't run ... during preview".
                    throw unknowns[0].error;
                }
            },
        },
        spec.appliesTo,
    );
}

export const REGISTRY_KINDS = new Set(["Sidecar", "Release", "IstioOperator", "ConfigMap"]);
export const ROUTING_KINDS = new Set([
    "ServiceEntry",
    "VirtualService",
    "Gateway",
    "Release",
    "Service",
    "Namespace",
    "HTTPRoute",
    "TLSRoute",
    "TCPRoute",
    "GRPCRoute",
]);

export const WORKLOAD_CONFIG: ConfigKey[] = ["exemptNamespaces", "gatewayNamespaces", "gatewayLabels"];
