/**
 * The policies' configuration: what `--policy-pack-config` may set, with defaults.
 *
 * Pulumi's policy configuration is per policy (a `configSchema` on each policy; the CLI applies its `default`s and
 * validates the file against it). Each policy declares only the properties it reads, with the defaults below.
 */
import type { PolicyConfigSchema } from "@pulumi/policy";
import { isRecord } from "../../sdk/model/read";
import { DEFAULT_IN_CLUSTER_CIDRS } from "../../sdk/model/outside";
import { DEFAULT_TRUSTED_PROXY_IMAGES } from "./istio";

export const SYSTEM_NAMESPACES = ["kube-system", "kube-public", "kube-node-lease", "istio-system"];
export const DEFAULT_GATEWAY_NAMESPACES = ["istio-egress"];
export const DEFAULT_GATEWAY_LABELS: Record<string, string> = { istio: "egressgateway" };
/** The component's default, and the name Istio's own profiles give an egress gateway in istio-system. */
export const DEFAULT_GATEWAY_SERVICE_HOSTS = ["istio-egressgateway.istio-egress.svc.cluster.local", "istio-egressgateway.istio-system.svc.cluster.local"];
/** RFC 1918, RFC 6598 (100.64.0.0/10) and IPv6 unique-local: where pod, service and node ranges live (shared with the access report). */
export { DEFAULT_IN_CLUSTER_CIDRS };

export interface GuardConfig {
    /** Namespaces the policy ignores. */
    exemptNamespaces: string[];
    /** Namespaces that host the egress gateway (ignored by the workload and NetworkPolicy policies). */
    gatewayNamespaces: string[];
    /** Pod labels that identify the egress gateway. */
    gatewayLabels: Record<string, string>;
    /** FQDNs of the egress gateway's Service. */
    gatewayServiceHosts: string[];
    /** Address ranges that count as inside the cluster. */
    inClusterCidrs: string[];
    /** Extra destinations outside the cluster that NetworkPolicies may open (e.g. the API server). */
    allowedEgressCidrs: string[];
    /** Stack policies: also treat namespaces where the stack deploys the egress gateway (a Release) as gateway namespaces. */
    discoverGatewayNamespaces: boolean;
    /** Proxy images (`registry/repository`) whose `istio-proxy`/`istio-init` containers count as Istio's own. */
    trustedProxyImages: string[];
    /** Single objects this policy ignores: `Kind/namespace/name`, or `Kind/name` for cluster-scoped kinds. */
    exemptObjects: string[];
    /** Istio's root namespace (meshConfig.rootNamespace): its selector-less policies apply mesh-wide. */
    istioRootNamespace: string;
}

export type ConfigKey = keyof GuardConfig;

/** One property's JSON schema, as a policy's `configSchema` holds it. */
type PropertySchema = PolicyConfigSchema["properties"][string];

const stringList = (description: string, def: string[]) => ({
    type: "array" as const,
    items: { type: "string" as const, minLength: 1 },
    default: def,
    description,
});

const PROPERTY_SCHEMAS: { [K in ConfigKey]: (def: GuardConfig[K]) => PropertySchema } = {
    exemptNamespaces: (def) => stringList("Namespaces this policy ignores.", def),
    gatewayNamespaces: (def) => stringList("Namespaces that host the egress gateway; workloads and NetworkPolicies there are not judged.", def),
    gatewayLabels: (def) => ({
        type: "object",
        additionalProperties: { type: "string" },
        minProperties: 1,
        default: def,
        description: "Pod labels that identify the egress gateway (the Gateway selector).",
    }),
    gatewayServiceHosts: (def) => stringList("FQDNs of the egress gateway's Service (`<release>.<namespace>.svc.cluster.local`).", def),
    inClusterCidrs: (def) => stringList("CIDRs that count as inside the cluster (pod, service, node ranges).", def),
    allowedEgressCidrs: (def) => stringList("CIDRs outside the cluster that a NetworkPolicy may open for application pods (e.g. the API server).", def),
    discoverGatewayNamespaces: (def) => ({
        type: "boolean",
        default: def,
        description: "Also count the namespaces where this stack installs the egress gateway (an istio/gateway Release) as gateway namespaces.",
    }),
    trustedProxyImages: (def) =>
        stringList(
            "Images (registry/repository, tag ignored) whose istio-proxy/istio-init containers count as Istio's own: Istio's official proxyv2 by default; add mirrors and FIPS builds.",
            def,
        ),
    exemptObjects: (def) => ({
        ...stringList(
            "Single objects this policy ignores: Kind/namespace/name (Kind/name for cluster-scoped kinds, Release/namespace/name for a Helm release).",
            def,
        ),
        items: { type: "string" as const, pattern: "^[A-Za-z][A-Za-z0-9]*/[^/]+(/[^/]+)?$" },
    }),
    istioRootNamespace: (def) => ({ type: "string", minLength: 1, default: def, description: "Istio's root namespace (meshConfig.rootNamespace)." }),
};

const DEFAULTS: GuardConfig = {
    exemptNamespaces: SYSTEM_NAMESPACES,
    gatewayNamespaces: DEFAULT_GATEWAY_NAMESPACES,
    gatewayLabels: DEFAULT_GATEWAY_LABELS,
    gatewayServiceHosts: DEFAULT_GATEWAY_SERVICE_HOSTS,
    inClusterCidrs: DEFAULT_IN_CLUSTER_CIDRS,
    allowedEgressCidrs: [],
    discoverGatewayNamespaces: true,
    trustedProxyImages: DEFAULT_TRUSTED_PROXY_IMAGES,
    exemptObjects: [],
    istioRootNamespace: "istio-system",
};

/** Properties every policy reads (object exemptions). */
export const COMMON_CONFIG: ConfigKey[] = ["exemptObjects"];

/** A policy's `configSchema` for the given properties, with the defaults (optionally overridden per policy). */
export function configSchema(keys: ConfigKey[], overrides: Partial<GuardConfig> = {}): PolicyConfigSchema {
    const properties: Record<string, PropertySchema> = {};
    for (const k of [...new Set([...keys, ...COMMON_CONFIG])]) {
        properties[k] = propertySchema(k, overrides);
    }
    return { properties };
}

function propertySchema<K extends ConfigKey>(k: K, overrides: Partial<GuardConfig>): PropertySchema {
    const schemaOf: (def: GuardConfig[K]) => PropertySchema = PROPERTY_SCHEMAS[k];
    return schemaOf(clone(overrides[k] ?? DEFAULTS[k]));
}

/**
 * The effective configuration of a policy: what `getConfig()` returned, with the policy's schema defaults for
 * anything missing (an older CLI may not apply them), type-checked (a wrong type names the property).
 *
 * The result is a deep-frozen copy: it never shares an array or map with `given` or with the module's defaults, and
 * a rule cannot change it for the next resource (assigning to it throws in strict mode).
 */
export function readConfig(policyName: string, schema: PolicyConfigSchema | undefined, given: Record<string, unknown>): GuardConfig {
    const out: GuardConfig = { ...FROZEN_DEFAULTS };
    const givenFields = isRecord(given) ? given : {};
    for (const [k, s] of Object.entries(schema?.properties ?? {})) {
        const v: unknown = Object.prototype.hasOwnProperty.call(givenFields, k) && givenFields[k] !== undefined ? givenFields[k] : s.default;
        if (v === undefined) continue;
        const t = s.type;
        const ok = t === "array" ? isStringList(v) : t === "object" ? isStringMap(v) : typeof v === t;
        if (!ok || !setField(out, k, v)) {
            throw new Error(
                `policy "${policyName}": config property "${k}" must be ${t === "array" ? "a list of strings" : t === "object" ? "a map of strings" : `a ${String(t)}`}`,
            );
        }
    }
    return Object.freeze(out);
}

function isStringList(v: unknown): v is string[] {
    return Array.isArray(v) && v.every((x) => typeof x === "string");
}

function isStringMap(v: unknown): v is Record<string, string> {
    return isRecord(v) && Object.values(v).every((x) => typeof x === "string");
}

/** Per property of `GuardConfig`: is a value (already checked against the property's schema) of its type. */
const IS_FIELD: { [K in ConfigKey]: (v: unknown) => v is GuardConfig[K] } = {
    exemptNamespaces: isStringList,
    gatewayNamespaces: isStringList,
    gatewayLabels: isStringMap,
    gatewayServiceHosts: isStringList,
    inClusterCidrs: isStringList,
    allowedEgressCidrs: isStringList,
    discoverGatewayNamespaces: (v): v is boolean => typeof v === "boolean",
    trustedProxyImages: isStringList,
    exemptObjects: isStringList,
    istioRootNamespace: (v): v is string => typeof v === "string",
};

function isConfigKey(k: string): k is ConfigKey {
    return Object.prototype.hasOwnProperty.call(IS_FIELD, k);
}

/**
 * Sets property `k` of `out` to a deep-frozen copy of `v` when `v` is of the property's type; false when it is not
 * (the caller refuses the config). A schema property that is no `GuardConfig` property is no rule's concern: skipped.
 */
function setField(out: GuardConfig, k: string, v: unknown): boolean {
    if (!isConfigKey(k)) return true;
    return setKnownField(out, k, v);
}

function setKnownField<K extends ConfigKey>(out: GuardConfig, k: K, v: unknown): boolean {
    const is: (v: unknown) => v is GuardConfig[K] = IS_FIELD[k];
    if (!is(v)) return false;
    out[k] = deepFreeze(clone(v));
    return true;
}

/**
 * `readConfig` for one policy, computed once per configuration instead of once per resource: the policy calls it
 * with every resource's `getConfig()`, and gets the same frozen object back while `getConfig()` returns the same
 * property values (the same objects, compared by identity, as the analyzer returns between two `configure` calls:
 * `getConfig()` is a shallow copy of the config the CLI sent). Any other value is read (and checked) anew.
 */
export function configReader(policyName: string, schema: PolicyConfigSchema | undefined): (given: Record<string, unknown>) => GuardConfig {
    let lastGiven: Map<string, unknown> | undefined;
    let last: GuardConfig | undefined;
    return (given) => {
        if (last !== undefined && lastGiven !== undefined && sameValues(lastGiven, given)) return last;
        const cfg = readConfig(policyName, schema, given);
        lastGiven = new Map(given && typeof given === "object" ? Object.entries(given) : []);
        last = cfg;
        return cfg;
    };
}

function sameValues(prev: Map<string, unknown>, given: Record<string, unknown> | undefined): boolean {
    if (!given || typeof given !== "object") return prev.size === 0;
    let n = 0;
    for (const k in given) {
        if (!Object.prototype.hasOwnProperty.call(given, k)) continue;
        if (!prev.has(k) || prev.get(k) !== given[k]) return false;
        n++;
    }
    return n === prev.size;
}

/** A deep copy of configuration data (the module's defaults, or a value `readConfig` checked): JSON in, the same JSON out. */
function clone<T>(v: T): T {
    return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

function deepFreeze<T>(v: T): T {
    if (v !== null && typeof v === "object" && !Object.isFrozen(v)) {
        Object.freeze(v);
        for (const x of Object.values(v)) deepFreeze(x);
    }
    return v;
}

const FROZEN_DEFAULTS: GuardConfig = deepFreeze(clone(DEFAULTS));
