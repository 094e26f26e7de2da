/**
 * The policy configuration shared by `istio-egress check --policy-config` and `istio-egress render
 * --policy-config` (read by sdk/cli/config-file.ts, which calls `normalizePolicyConfig`): the format of `pulumi preview --policy-pack-config` (keyed by policy name, plus `all`), in JSON or
 * YAML, with two top-level conveniences that are expanded into every policy's entry:
 *
 * - `exemptNamespaces: [...]` is added to the `exemptNamespaces` of every policy that has that property (to its
 *   configured list, else to its default);
 * - `exemptObjects: ["Kind/namespace/name", ...]` is added to every policy's `exemptObjects`.
 *
 * Single objects are exempted here, in configuration the security team owns, never by an annotation on the object.
 */
import type { Policies } from "@pulumi/policy";
import { policies as packPolicies } from "./policies";
import { PolicyConfigError } from "./harness";
import { isRecord, valueAt } from "../../sdk/model";

const TOP_LEVEL = ["exemptNamespaces", "exemptObjects"] as const;

function stringList(v: unknown, where: string): string[] {
    if (!Array.isArray(v) || !v.every((x): x is string => typeof x === "string" && x.length > 0)) {
        throw new PolicyConfigError(`${where} must be a list of non-empty strings`);
    }
    return v;
}

/** Expands the top-level `exemptNamespaces` / `exemptObjects` into each policy's entry (see the module comment). */
export function normalizePolicyConfig(raw: unknown, where = "policy config", policies: Policies = packPolicies): Record<string, unknown> {
    if (raw === null || raw === undefined) return {};
    if (!isRecord(raw)) throw new PolicyConfigError(`${where}: must be an object keyed by policy name`);
    const { exemptNamespaces, exemptObjects, ...rest } = raw;
    const out: Record<string, unknown> = { ...rest };
    const add: Partial<Record<(typeof TOP_LEVEL)[number], string[]>> = {};
    if (exemptNamespaces !== undefined) add.exemptNamespaces = stringList(exemptNamespaces, `${where}: exemptNamespaces`);
    if (exemptObjects !== undefined) add.exemptObjects = stringList(exemptObjects, `${where}: exemptObjects`);
    for (const p of policies) {
        for (const key of TOP_LEVEL) {
            const extra = add[key];
            if (!extra) continue;
            const schema: unknown = p.configSchema?.properties?.[key];
            if (!schema) continue;
            const given = out[p.name];
            // Copied as a spread would copy it (a wrong type is left for the config's validation to name).
            const entry = (typeof given === "string" ? { enforcementLevel: given } : given === undefined ? {} : Object.assign({}, given)) as Record<
                string,
                unknown
            >;
            const own = entry[key];
            const def = valueAt(schema, "default");
            const base = Array.isArray(own) ? (own as unknown[]) : Array.isArray(def) ? (def as unknown[]) : [];
            entry[key] = [...new Set([...base, ...extra])];
            out[p.name] = entry;
        }
    }
    return out;
}
