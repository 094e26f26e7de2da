/**
 * Captured Pulumi resources → the Kubernetes objects they stand for.
 *
 * - `CustomResource`s (type `kubernetes:<group>/<version>:<Kind>` with `apiVersion`/`kind` in their inputs) are
 *   taken as they are;
 * - typed kinds (`kubernetes:apps/v1:Deployment`) get `apiVersion`/`kind` from their type token;
 * - providers (`pulumi:providers:*`), components and non-Kubernetes resources are skipped;
 * - a Helm `Release` (`kubernetes:helm.sh/v3:Release`) is one resource under the mock engine: it is reported as
 *   the chart, repository, version, namespace and values it would install, never as the chart's objects.
 * An object without `metadata.name` gets the Pulumi resource name (the real provider would add a random suffix).
 */
import * as pulumi from "@pulumi/pulumi";
import type { PolicyResource } from "istio-egress-guard/lib";
import type { CapturedResource } from "../engine/mock-engine.js";
import { isWireSecret, shown, typeInfo, UNKNOWN_VALUE, type K8sObject } from "../model/index.js";

export interface HelmReleaseObject {
    /** Release name (`name` input, else the Pulumi resource name). */
    name: string;
    namespace: string;
    chart: string;
    repository?: string;
    version?: string;
    values: Record<string, unknown>;
    urn: string;
    /** Other inputs worth showing (createNamespace, skipCrds, ...). */
    options: Record<string, unknown>;
}

export interface ConvertedObjects {
    objects: K8sObject[];
    helmReleases: HelmReleaseObject[];
    /** Resources that are Kubernetes-typed but could not be turned into an object, with why. */
    skipped: { urn: string; reason: string }[];
    /** URN of each object, index-aligned with `objects`. */
    urns: string[];
}

/** What a secret value is written as unless secrets are shown (valid base64 too, so `Secret.data` still validates). */
export const REDACTED = "REDACTED";

function redact(v: unknown): unknown {
    if (Array.isArray(v)) {
        return v.map(redact);
    }
    if (v && typeof v === "object") {
        return Object.fromEntries(
            Object.entries(v)
                .filter(([, x]) => x !== undefined)
                .map(([k, x]) => [k, redact(x)]),
        );
    }
    return v === null || v === undefined ? v : REDACTED;
}

/**
 * Plain data with undefined dropped. Secret values (`pulumi.secret`) are replaced, leaf by leaf, with
 * `REDACTED` — render output is meant to be read, committed and attached to CI logs — unless `showSecrets`.
 */
export function plain(v: unknown, showSecrets = false): unknown {
    if (Array.isArray(v)) {
        return v.map((x) => (x === undefined ? null : plain(x, showSecrets)));
    }
    if (v && typeof v === "object") {
        if (isWireSecret(v)) {
            return showSecrets ? plain(v.value, true) : redact(plain(v.value, true));
        }
        const out: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v)) {
            if (x !== undefined) {
                out[k] = plain(x, showSecrets);
            }
        }
        return out;
    }
    return v;
}

export function convertCaptured(resources: CapturedResource[], options: { showSecrets?: boolean } = {}): ConvertedObjects {
    const objects: K8sObject[] = [];
    const urns: string[] = [];
    const helmReleases: HelmReleaseObject[] = [];
    const skipped: ConvertedObjects["skipped"] = [];
    for (const r of resources) {
        if (!r.custom || r.type.startsWith("pulumi:providers:") || !r.type.startsWith("kubernetes:")) {
            continue;
        }
        // What the program registered, as given: the fields below are typed as Pulumi's schema types them, unchecked
        // (render writes them out; the pack and the report read them through sdk/model/read.ts).
        const inputs = plain(r.inputs ?? {}, options.showSecrets ?? false) as Record<string, unknown>;
        const info = typeInfo(r.type);
        if (info.helm) {
            const { chart, name, namespace, version, values, repositoryOpts, valueYamlFiles: _files, ...rest } = inputs;
            helmReleases.push({
                name: (name ?? r.name) as string,
                namespace: (namespace ?? "default") as string,
                chart: shown(chart ?? ""),
                repository: (repositoryOpts as { repo?: string } | null | undefined)?.repo,
                version: version as string | undefined,
                values: (values ?? {}) as Record<string, unknown>,
                urn: r.urn,
                options: Object.fromEntries(Object.entries(rest).filter(([k]) => !["compat", "__defaults"].includes(k))),
            });
            continue;
        }
        const gvk = info.gvk;
        if (!gvk) {
            skipped.push({ urn: r.urn, reason: `type ${r.type} is not a Kubernetes object type` });
            continue;
        }
        if (info.patch || gvk.kind.endsWith("List") || gvk.group === "yaml" || gvk.group === "kustomize") {
            skipped.push({ urn: r.urn, reason: `${gvk.kind} is not a standalone object (patches and lists are not rendered)` });
            continue;
        }
        const { apiVersion, kind, metadata, ...rest } = inputs;
        const meta = (metadata ?? {}) as Record<string, unknown>;
        const obj: K8sObject = {
            apiVersion: (apiVersion ?? gvk.apiVersion) as string,
            kind: (kind ?? gvk.kind) as string,
            metadata: { ...meta, name: ((metadata as { name?: unknown } | null | undefined)?.name ?? r.name) as string },
            ...rest,
        };
        objects.push(obj);
        urns.push(r.urn);
    }
    return { objects, helmReleases, skipped, urns };
}

/** Captured inputs → what the policy analyzer receives: unknowns as the engine's sentinel, secrets unwrapped. */
function toAnalyzerValue(v: unknown): unknown {
    if (v === undefined) return undefined;
    if (pulumi.isUnknown(v) || pulumi.Output.isInstance(v)) return UNKNOWN_VALUE;
    if (pulumi.Resource.isInstance(v)) return UNKNOWN_VALUE;
    if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : toAnalyzerValue(x)));
    if (v && typeof v === "object") {
        if (isWireSecret(v)) return toAnalyzerValue(v.value);
        const o: Record<string, unknown> = {};
        for (const k of Object.keys(v)) {
            const x = toAnalyzerValue((v as Record<string, unknown>)[k]);
            if (x !== undefined) o[k] = x;
        }
        return o;
    }
    return v;
}

/** Resources captured by the mock engine → policy analyzer input (custom resources only, as the engine analyses). */
export function fromCaptured(captured: CapturedResource[]): PolicyResource[] {
    return captured
        .filter((c) => c.custom)
        .map((c) => ({
            type: c.type,
            name: c.name,
            urn: c.urn,
            props: toAnalyzerValue(c.inputs ?? {}) as PolicyResource["props"],
            parent: c.parent || undefined,
            dependencies: c.dependencies ?? [],
        }));
}
