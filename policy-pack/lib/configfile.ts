/**
 * The policy configuration file shared by `istio-egress check --policy-config` and `istio-egress render
 * --policy-config`: the format of `pulumi preview --policy-pack-config` (keyed by policy name, plus `all`), in JSON or
 * YAML, with two top-level conveniences that are expanded into every policy's entry:
 *
 * - `exemptNamespaces: [...]` is added to the `exemptNamespaces` of every policy that has that property (to its
 *   configured list, else to its default);
 * - `exemptObjects: ["Kind/namespace/name", ...]` is added to every policy's `exemptObjects`.
 *
 * Single objects are exempted here, in configuration the security team owns, never by an annotation on the object.
 */
import * as fs from "fs";
import { parse as parseYaml } from "yaml";
import type { Policies } from "@pulumi/policy";
import { policies as packPolicies } from "./policies";
import { PolicyConfigError } from "./harness";

const TOP_LEVEL = ["exemptNamespaces", "exemptObjects"] as const;

function stringList(v: unknown, where: string): string[] {
    if (!Array.isArray(v) || !v.every((x) => typeof x === "string" && x.length > 0)) {
        throw new PolicyConfigError(`${where} must be a list of non-empty strings`);
    }
    return v;
}

/** Expands the top-level `exemptNamespaces` / `exemptObjects` into each policy's entry (see the module comment). */
export function normalizePolicyConfig(raw: unknown, where = "policy config", policies: Policies = packPolicies): Record<string, any> {
    if (raw === null || raw === undefined) return {};
    if (typeof raw !== "object" || Array.isArray(raw)) throw new PolicyConfigError(`${where}: must be an object keyed by policy name`);
    const { exemptNamespaces, exemptObjects, ...rest } = raw as Record<string, any>;
    const out: Record<string, any> = { ...rest };
    const add: Partial<Record<(typeof TOP_LEVEL)[number], string[]>> = {};
    if (exemptNamespaces !== undefined) add.exemptNamespaces = stringList(exemptNamespaces, `${where}: exemptNamespaces`);
    if (exemptObjects !== undefined) add.exemptObjects = stringList(exemptObjects, `${where}: exemptObjects`);
    for (const p of policies) {
        for (const key of TOP_LEVEL) {
            const extra = add[key];
            if (!extra) continue;
            const schema: any = p.configSchema?.properties?.[key];
            if (!schema) continue;
            let entry = out[p.name];
            if (typeof entry === "string") entry = { enforcementLevel: entry };
            entry = entry === undefined ? {} : { ...entry };
            const base: string[] = Array.isArray(entry[key]) ? entry[key] : Array.isArray(schema.default) ? schema.default : [];
            entry[key] = [...new Set([...base, ...extra])];
            out[p.name] = entry;
        }
    }
    return out;
}

/**
 * Reads a policy configuration file (JSON, or YAML — `.json` files are parsed as JSON) and expands its top-level
 * keys. Throws `PolicyConfigError` naming the file. Validation against each policy's schema happens when the
 * policies run (`reconcileConfig`), with messages naming the policy and the property.
 */
export function readPolicyConfigFile(file: string, policies: Policies = packPolicies): Record<string, any> {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e: any) {
        throw new PolicyConfigError(`${file}: cannot read the policy config file (${e.code ?? e.message})`);
    }
    let raw: unknown;
    try {
        raw = file.toLowerCase().endsWith(".json") ? JSON.parse(text) : parseYaml(text);
    } catch (e: any) {
        throw new PolicyConfigError(`${file}: not valid ${file.toLowerCase().endsWith(".json") ? "JSON" : "YAML"}: ${String(e.message).split("\n")[0]}`);
    }
    return normalizePolicyConfig(raw, file, policies);
}
