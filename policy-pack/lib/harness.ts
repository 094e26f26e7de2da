/**
 * An in-process stand-in for Pulumi's policy analyzer, used by the tests and by `istio-egress check`.
 *
 * It runs the very policy objects the pack serves, the way @pulumi/policy's analyzer server does
 * (`server.js`: `makeAnalyzeRpcFun` / `makeAnalyzeStackRpcFun`) after the CLI has reconciled the policy pack
 * configuration:
 * - configuration: each policy's `configSchema` defaults, then the `all` enforcement level, then the user's
 *   per-policy config (a level string or `{enforcementLevel, ...properties}`), validated against the schema (as the
 *   CLI does with `--policy-pack-config`); `getConfig()` returns the properties without `enforcementLevel`;
 * - enforcement: per-policy config level, else the policy's, else the pack's (`advisory`); `disabled` skips the
 *   policy; `remediate` is reported as `mandatory` (a resource policy without a remediation, and any stack policy);
 * - props are wrapped in @pulumi/policy's own `unknownCheckingProxy`; an `UnknownValueError` becomes an advisory
 *   "can't run policy ... during preview" diagnostic; `notApplicable()` is swallowed; any other error fails the run
 *   ("Error validating resource with policy ...");
 * - `reportViolation(message, urn?)` yields a diagnostic whose urn is the resource's (resource policies) or the one
 *   given (stack policies).
 */
import * as fs from "fs";
import * as path from "path";
import Ajv, { ValidateFunction } from "ajv";
import {
    EnforcementLevel,
    Policies,
    PolicyResource as PulumiPolicyResource,
    ResourceValidationArgs,
    StackValidationArgs,
    ResourceValidationPolicy,
    StackValidationPolicy,
    UnknownValueError,
    unknownCheckingProxy,
} from "@pulumi/policy";
import { K8sObject, gvkOfType, isHelmRelease, typeInfo, typeOfManifest, UNKNOWN_SENTINELS } from "../../sdk/model";
import { asArray, asObject, errorMessage, isRecord, listAt, recordAt, shown, stringAt, valueAt } from "../../sdk/model/read";
import { POLICY_PACK_NAME, policies as packPolicies } from "./policies";

/** A resource as the analyzer receives it. */
export interface PolicyResource {
    type: string;
    name: string;
    urn: string;
    props: Record<string, unknown>;
    /** URN of the parent. */
    parent?: string;
    /** URNs of the dependencies. */
    dependencies?: string[];
}

export interface ViolationResource {
    type: string;
    kind: string;
    namespace?: string;
    name: string;
    urn: string;
}

export interface Violation {
    policy: string;
    enforcementLevel: EnforcementLevel;
    resource: ViolationResource;
    message: string;
    /** The policy's description (the analyzer prefixes the message with it). */
    description: string;
}

export interface RunOptions {
    /** Policy pack configuration, as in a `--policy-pack-config` file. */
    config?: Record<string, unknown>;
    stackTags?: Record<string, string>;
    /** The policies to run; default: the whole `istio-egress-guard` pack. */
    policies?: Policies;
    /** The pack's default enforcement level (`PolicyPackArgs.enforcementLevel`); default `advisory`. */
    packEnforcementLevel?: EnforcementLevel;
}

/** Thrown for a configuration the CLI would reject; the message names the policy and the property. */
export class PolicyConfigError extends Error {
    override name = "PolicyConfigError";
}

const LEVELS: ReadonlySet<unknown> = new Set<EnforcementLevel>(["advisory", "mandatory", "remediate", "disabled"]);

function isLevel(v: unknown): v is EnforcementLevel {
    return LEVELS.has(v);
}

/**
 * @pulumi/policy's own proxy (the analyzer wraps every resource's props in it). The package exports it, but its
 * declaration is stripped from the package's types (`@internal`), so it is typed here.
 */
const checkUnknowns = unknownCheckingProxy as (props: Record<string, unknown>) => Record<string, unknown>;

/** The pack's version, from its package.json (compiled to `dist/policy-pack/lib/`, three levels below it). */
function packVersion(): string {
    try {
        return stringAt(JSON.parse(fs.readFileSync(path.resolve(__dirname, "../../../package.json"), "utf8")), "version") ?? "0.0.0";
    } catch {
        return "0.0.0";
    }
}

type PolicyConfigMap = Record<string, { enforcementLevel?: EnforcementLevel } & Record<string, unknown>>;

function normalizeEntry(policy: string, v: unknown): { enforcementLevel?: EnforcementLevel; properties: Record<string, unknown> } {
    if (typeof v === "string") {
        if (!isLevel(v)) throw new PolicyConfigError(`policy "${policy}": enforcement level "${v}" is not one of advisory, mandatory, remediate, disabled`);
        return { enforcementLevel: v, properties: {} };
    }
    if (!isRecord(v)) {
        throw new PolicyConfigError(`policy "${policy}": config must be an enforcement level or an object`);
    }
    const { enforcementLevel, ...properties } = v;
    if (enforcementLevel === undefined) return { enforcementLevel, properties };
    if (!isLevel(enforcementLevel)) {
        throw new PolicyConfigError(`policy "${policy}": enforcementLevel "${shown(enforcementLevel)}" is not one of advisory, mandatory, remediate, disabled`);
    }
    return { enforcementLevel, properties };
}

const ajv = new Ajv({ allErrors: true, strict: false });
const validators = new WeakMap<object, ValidateFunction>();

/** What the CLI hands the analyzer's `configure` call: schema defaults, then `all`, then per-policy config, validated. */
export function reconcileConfig(policies: Policies, config: Record<string, unknown> = {}): PolicyConfigMap {
    const byName = new Map(policies.map((p) => [p.name, p]));
    for (const key of Object.keys(config)) {
        if (key !== "all" && !byName.has(key)) {
            throw new PolicyConfigError(`config names policy "${key}", which is not in the pack (policies: ${[...byName.keys()].join(", ")})`);
        }
    }
    const all = config.all !== undefined ? normalizeEntry("all", config.all) : undefined;
    const out: PolicyConfigMap = {};
    for (const p of policies) {
        const properties: Record<string, unknown> = {};
        for (const [k, s] of Object.entries(p.configSchema?.properties ?? {})) {
            if (s.default !== undefined) properties[k] = JSON.parse(JSON.stringify(s.default));
        }
        let level = p.enforcementLevel;
        if (all?.enforcementLevel) level = all.enforcementLevel;
        if (config[p.name] !== undefined) {
            const entry = normalizeEntry(p.name, config[p.name]);
            if (entry.enforcementLevel) level = entry.enforcementLevel;
            Object.assign(properties, entry.properties);
        }
        const schema = {
            type: "object",
            properties: p.configSchema?.properties ?? {},
            required: p.configSchema?.required ?? [],
            additionalProperties: false,
        };
        let validate = validators.get(p);
        if (!validate) {
            validate = ajv.compile(schema);
            validators.set(p, validate);
        }
        if (!validate(properties)) {
            const errs = (validate.errors ?? []).map((e) =>
                e.keyword === "additionalProperties"
                    ? `unknown property "${String(valueAt(e.params, "additionalProperty"))}"`
                    : `${e.instancePath.replace(/^\//, "").replace(/\//g, ".") || "(config)"} ${e.message}`,
            );
            throw new PolicyConfigError(`policy "${p.name}": invalid config: ${errs.join("; ")}`);
        }
        out[p.name] = { ...properties, ...(level ? { enforcementLevel: level } : {}) };
    }
    return out;
}

/** As @pulumi/policy's (internal) `isResourcePolicy`: a validate function (or list of them) or a remediation. */
function isResourcePolicy(p: Policies[number]): p is ResourceValidationPolicy {
    const v = propOf(p, "validateResource");
    if (typeof v === "function") return true;
    if (Array.isArray(v)) return v.every((f) => typeof f === "function");
    return typeof propOf(p, "remediateResource") === "function";
}

/** As @pulumi/policy's (internal) `isStackPolicy`. */
function isStackPolicy(p: Policies[number]): p is StackValidationPolicy {
    return typeof propOf(p, "validateStack") === "function";
}

/** `obj[key]` of an object or a function (the prototype chain included, as `obj.key` reads it), else undefined. */
function propOf(obj: unknown, key: string): unknown {
    if ((typeof obj !== "object" || obj === null) && typeof obj !== "function") return undefined;
    const v: unknown = Reflect.get(obj, key);
    return v;
}

class NotApplicableError extends Error {
    constructor(public reason?: string) {
        super(reason ?? "Policy does not apply");
    }
}

function throwNotApplicable(reason?: string): never {
    throw new NotApplicableError(reason);
}

function getPulumiType(obj: unknown): string | undefined {
    const t = propOf(obj, "__pulumiType");
    return typeof t === "string" && t.length > 0 ? t : undefined;
}

function isTypeOf(type: string, resourceClass: unknown): boolean {
    const t = getPulumiType(resourceClass);
    if (t) return type === t;
    const isInstance = propOf(resourceClass, "isInstance");
    return typeof isInstance === "function" && Reflect.apply(isInstance, undefined, [{ __pulumiType: type }]) === true;
}

const DEFAULT_OPTS = {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
};

/** A fresh deep copy, as the analyzer deserialises the props anew for every validation. */
function copyProps(props: Record<string, unknown>): Record<string, unknown> {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(props)) if (props[k] !== undefined) o[k] = copyValue(props[k]);
    return o;
}

function copyValue(v: unknown): unknown {
    if (Array.isArray(v)) return asArray(v).map(copyValue);
    if (isRecord(v)) return copyProps(v);
    return v;
}

/** A string that is not one of the engine's unknown-value sentinels (the empty string included), else undefined. */
function knownString(v: unknown): string | undefined {
    return typeof v === "string" && !UNKNOWN_SENTINELS.has(v) ? v : undefined;
}

/** Kind/namespace/name of a resource for reports, read without the proxy (unknowns become absent). */
export function describeResource(r: PolicyResource | undefined): ViolationResource {
    if (!r) return { type: "pulumi:pulumi:Stack", kind: "Stack", name: "(stack)", urn: "" };
    const props = r.props ?? {};
    if (isHelmRelease(r.type)) {
        return { type: r.type, kind: "Release", namespace: knownString(props.namespace) ?? "default", name: knownString(props.name) ?? r.name, urn: r.urn };
    }
    const gvk = gvkOfType(r.type);
    const kind = gvk ? gvk.kind : r.type;
    const meta = recordAt(props, "metadata");
    const namespaced = gvk ? !typeInfo(r.type).clusterScoped : false;
    return {
        type: r.type,
        kind,
        ...(namespaced ? { namespace: knownString(meta.namespace) ?? "default" } : {}),
        name: knownString(meta.name) ?? r.name,
        urn: r.urn,
    };
}

/**
 * What the analyzer does when a policy throws: reading an unknown value (preview) becomes an advisory
 * "can't run" report, `notApplicable()` reports nothing, anything else fails the run.
 */
function onPolicyError(
    e: unknown,
    p: { name: string; description: string },
    r: PolicyResource | undefined,
    what: "resource" | "stack",
    policyFrom: (name: string) => string,
    out: Violation[],
): void {
    if (e instanceof UnknownValueError) {
        out.push({
            policy: p.name,
            enforcementLevel: "advisory",
            resource: describeResource(r),
            message: `can't run ${policyFrom(p.name)} during preview: ${errorMessage(e)}`,
            description: p.description,
        });
    } else if (!(e instanceof NotApplicableError)) {
        const stack: unknown = e instanceof Error ? e.stack : propOf(e, "stack");
        throw new Error(`Error validating ${what} with ${policyFrom(p.name)}: ${String(stack ?? e)}`);
    }
}

/** Runs the policies over the resources, as `pulumi preview --policy-pack` would, and returns every diagnostic. */
export async function runPolicies(resources: PolicyResource[], options: RunOptions = {}): Promise<Violation[]> {
    const policies = options.policies ?? packPolicies;
    const packLevel = options.packEnforcementLevel ?? "advisory";
    const config = reconcileConfig(policies, options.config ?? {});
    const stackTags: ReadonlyMap<string, string> = new Map(Object.entries(options.stackTags ?? {}));
    const version = packVersion();
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const out: Violation[] = [];

    // As the analyzer: each policy's config is its own object for the run (the CLI's `configure` deserialises it once),
    // and `getConfig()` returns a shallow copy of its properties without `enforcementLevel` on every call.
    const configOf = new Map<string, Record<string, unknown> | undefined>();
    for (const p of policies) {
        const c = config[p.name];
        if (!c) continue;
        const { enforcementLevel: _ignored, ...properties } = c;
        configOf.set(p.name, asObject(JSON.parse(JSON.stringify(properties))));
    }
    // `getConfig<T>()` is typed by its caller; the pack's policies ask for `Record<string, unknown>` and check it.
    const getConfigFor =
        (name: string) =>
        <T extends object>(): T => {
            const c = configOf.get(name);
            return (c ? { ...c } : {}) as T;
        };
    const levelOf = (p: { name: string; enforcementLevel?: EnforcementLevel }): EnforcementLevel =>
        config[p.name]?.enforcementLevel || p.enforcementLevel || packLevel;
    const policyFrom = (name: string) => `policy '${name}' from policy pack '${POLICY_PACK_NAME}@v${version}'`;

    // analyze: every resource, every resource policy.
    for (const r of resources) {
        for (const p of policies) {
            let level = levelOf(p);
            if (level === "disabled" || !isResourcePolicy(p)) continue;
            if (!p.validateResource) continue; // remediation-only: not applicable
            if (level === "remediate") level = "mandatory";
            if (!Array.isArray(p.validateResource)) {
                const t = getPulumiType(p.validateResource);
                if (t && t !== r.type) continue;
            }
            const validations = Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource];
            for (const validation of validations) {
                const props = checkUnknowns(copyProps(r.props));
                const args: ResourceValidationArgs = {
                    type: r.type,
                    props,
                    urn: r.urn,
                    name: r.name,
                    opts: { ...DEFAULT_OPTS, ...(r.parent ? { parent: r.parent } : {}) },
                    stackTags,
                    isType: (cls: unknown) => isTypeOf(r.type, cls),
                    asType: ((cls: unknown) => (isTypeOf(r.type, cls) ? props : undefined)) as ResourceValidationArgs["asType"],
                    getConfig: getConfigFor(p.name),
                    notApplicable: throwNotApplicable,
                };
                const report = (message: string, _urn?: string) => {
                    out.push({ policy: p.name, enforcementLevel: level, resource: describeResource(r), message, description: p.description });
                };
                try {
                    await Promise.resolve(validation(args, report));
                } catch (e) {
                    onPolicyError(e, p, r, "resource", policyFrom, out);
                }
            }
        }
    }

    // analyzeStack: every stack policy over all resources, with parents and dependencies linked.
    for (const p of policies) {
        let level = levelOf(p);
        if (level === "disabled" || !isStackPolicy(p)) continue;
        if (level === "remediate") level = "mandatory";
        const t = getPulumiType(p.validateStack);
        if (t && !resources.some((r) => r.type === t)) continue;
        const report = (message: string, urn?: string) => {
            out.push({
                policy: p.name,
                enforcementLevel: level,
                resource: describeResource(urn ? byUrn.get(urn) : undefined),
                message,
                description: p.description,
            });
        };
        try {
            const intermediates = resources.map((r) => {
                const props = checkUnknowns(copyProps(r.props));
                const resource: PulumiPolicyResource = {
                    type: r.type,
                    props,
                    urn: r.urn,
                    name: r.name,
                    opts: { ...DEFAULT_OPTS, ...(r.parent ? { parent: r.parent } : {}) },
                    dependencies: [],
                    propertyDependencies: {},
                    isType: (cls: unknown) => isTypeOf(r.type, cls),
                    asType: ((cls: unknown) => (isTypeOf(r.type, cls) ? props : undefined)) as PulumiPolicyResource["asType"],
                };
                return { resource, parent: r.parent, dependencies: r.dependencies ?? [] };
            });
            const byUrnResource = new Map(intermediates.map((i) => [i.resource.urn, i.resource]));
            for (const i of intermediates) {
                if (i.parent && byUrnResource.has(i.parent)) i.resource.parent = byUrnResource.get(i.parent);
                i.resource.dependencies = i.dependencies.map((d) => byUrnResource.get(d)).filter((d): d is PulumiPolicyResource => !!d);
            }
            const args: StackValidationArgs = {
                resources: intermediates.map((i) => i.resource),
                getConfig: getConfigFor(p.name),
                stackTags,
                notApplicable: throwNotApplicable,
            };
            await Promise.resolve(p.validateStack(args, report));
        } catch (e) {
            onPolicyError(e, p, undefined, "stack", policyFrom, out);
        }
    }
    return out;
}

export function hasMandatory(violations: Violation[]): boolean {
    return violations.some((v) => v.enforcementLevel === "mandatory");
}

/**
 * Kubernetes manifests → analyzer input, typed as the Kubernetes provider types them
 * (`apps/v1` `Deployment` → `kubernetes:apps/v1:Deployment`); `kind: List` objects are expanded.
 */
export function fromManifests(objs: K8sObject[], stack = "check", project = "istio-egress"): PolicyResource[] {
    const flat: unknown[] = [];
    const expand = (o: unknown) => {
        if (isRecord(o) && o.kind === "List" && Array.isArray(o.items)) listAt(o, "items").forEach(expand);
        else if (o) flat.push(o);
    };
    objs.forEach(expand);
    const seen = new Map<string, number>();
    return flat.map((o) => {
        if (!isRecord(o) || typeof o.apiVersion !== "string" || typeof o.kind !== "string") {
            throw new Error(`object ${JSON.stringify(valueAt(o, "metadata", "name") ?? "?")} has no apiVersion/kind`);
        }
        const type = typeOfManifest(o.apiVersion, o.kind);
        const ns = stringAt(o, "metadata", "namespace");
        const base = `${ns ? `${ns}/` : ""}${stringAt(o, "metadata", "name") ?? o.kind.toLowerCase()}`;
        const n = seen.get(`${type}::${base}`) ?? 0;
        seen.set(`${type}::${base}`, n + 1);
        const name = n === 0 ? base : `${base}#${n}`;
        return { type, name, urn: `urn:pulumi:${stack}::${project}::${type}::${name}`, props: o };
    });
}
