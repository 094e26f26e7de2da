/**
 * Validation of Kubernetes and Istio objects against the published schemas.
 *
 * Core Kubernetes kinds come from `kubernetes-models` (CommonJS); Istio kinds from `@kubernetes-models/istio`
 * 3.x, which carries the `networking.istio.io/v1`, `security.istio.io/v1` and `telemetry.istio.io/v1` schemas
 * but is ESM-only, so it is loaded with a dynamic `import()` (kept as such by `module: node16`).
 */

import { errorMessage, groupOfApiVersion, ISTIO_GROUPS, K8sObject, shown } from "../model";

export type { K8sObject };

type ModelClass = new (data: unknown) => { validate(): void };

const modelCache = new Map<string, ModelClass | null>();

/** Thrown when no published schema is known for an apiVersion/kind; unknown kinds are not silently accepted. */
export class UnknownKindError extends Error {}

async function loadModel(apiVersion: string, kind: string): Promise<ModelClass | null> {
    const key = `${apiVersion}/${kind}`;
    if (modelCache.has(key)) {
        return modelCache.get(key)!;
    }
    const group = groupOfApiVersion(apiVersion);
    const version = group === "" ? apiVersion : apiVersion.slice(group.length + 1);
    let model: ModelClass | null = null;
    try {
        if (ISTIO_GROUPS.has(group)) {
            const mod = (await import(`@kubernetes-models/istio/${group}/${version}/${kind}`)) as Record<string, ModelClass | undefined>;
            model = mod[kind] ?? null;
        } else {
            // eslint-disable-next-line @typescript-eslint/no-require-imports -- the model module is picked per object at run time (kind and version from the manifest); kubernetes-models is CommonJS
            const mod = require(group === "" ? `kubernetes-models/${version}/${kind}` : `kubernetes-models/${group}/${version}/${kind}`) as Record<
                string,
                ModelClass | undefined
            >;
            model = mod[kind] ?? null;
        }
    } catch {
        model = null;
    }
    modelCache.set(key, model);
    return model;
}

/**
 * Validates one object against its published schema. Returns the list of schema errors (empty when valid).
 * Throws `UnknownKindError` when no schema is published for the object's apiVersion/kind.
 */
export async function schemaErrors(obj: K8sObject): Promise<string[]> {
    const model = await loadModel(obj.apiVersion, obj.kind);
    if (!model) {
        throw new UnknownKindError(`no published schema for ${obj.apiVersion} ${obj.kind}`);
    }
    try {
        new model(obj).validate();
        return [];
    } catch (err: unknown) {
        return [errorMessage(err)];
    }
}

/** Validates many objects; returns `kind/namespace/name: error` lines for every invalid one. */
export async function validateAll(objects: K8sObject[]): Promise<string[]> {
    const problems: string[] = [];
    for (const obj of objects) {
        const id = `${obj.kind}/${obj.metadata?.namespace ?? ""}/${obj.metadata?.name}`;
        try {
            for (const e of await schemaErrors(obj)) {
                problems.push(`${id}: ${e}`);
            }
        } catch (err: unknown) {
            problems.push(`${id}: ${shown((err as { message?: unknown }).message)}`);
        }
    }
    return problems;
}
