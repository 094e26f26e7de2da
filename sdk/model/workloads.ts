/** Workloads: the kinds that carry pod templates, the templates themselves, their containers, label matching. */
import { isRecord, listAt, shown, valueAt } from "./read";

/** Kinds whose objects are (or carry) pod templates. */
export const WORKLOAD_KINDS: ReadonlySet<string> = new Set([
    "Pod",
    "PodTemplate",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
    "Rollout",
]);

export function isWorkloadKind(kind: string | undefined): boolean {
    if (!kind) return false;
    return WORKLOAD_KINDS.has(kind) || (kind.endsWith("List") && WORKLOAD_KINDS.has(kind.slice(0, -"List".length)));
}

/** A pod (template): its metadata and spec. */
export interface PodTemplate {
    metadata: unknown;
    spec: unknown;
    /** Where it sits in the object, for messages (`spec.template.spec`). */
    path: string;
}

/**
 * The pod templates a workload object carries: the pod itself, `spec.template`, `spec.jobTemplate.spec.template`
 * (CronJob), `template` (PodTemplate); for a `...List` resource, those of each item.
 */
export function podTemplatesOf(kind: string, obj: unknown): PodTemplate[] {
    if (kind.endsWith("List") && kind !== "List") {
        const itemKind = kind.slice(0, -"List".length);
        return listAt(obj, "items").flatMap((item, i) => podTemplatesOf(itemKind, item).map((t) => ({ ...t, path: `items[${i}].${t.path}` })));
    }
    switch (kind) {
        case "Pod":
            return [{ metadata: valueAt(obj, "metadata"), spec: valueAt(obj, "spec"), path: "spec" }];
        case "PodTemplate": {
            const t = valueAt(obj, "template");
            return t ? [{ metadata: valueAt(t, "metadata"), spec: valueAt(t, "spec"), path: "template.spec" }] : [];
        }
        case "CronJob": {
            const t = valueAt(obj, "spec", "jobTemplate", "spec", "template");
            return t ? [{ metadata: valueAt(t, "metadata"), spec: valueAt(t, "spec"), path: "spec.jobTemplate.spec.template.spec" }] : [];
        }
        case "Deployment":
        case "StatefulSet":
        case "DaemonSet":
        case "ReplicaSet":
        case "ReplicationController":
        case "Job":
        case "Rollout": {
            const t = valueAt(obj, "spec", "template");
            return t ? [{ metadata: valueAt(t, "metadata"), spec: valueAt(t, "spec"), path: "spec.template.spec" }] : [];
        }
        default:
            return [];
    }
}

/** Where a pod template's metadata sits, for messages: `metadata`, `spec.template.metadata`, `items[0].spec.template.metadata`. */
export function templateMetaPath(path: string): string {
    const where = path.replace(/\.spec$/, "").replace(/^spec$/, "");
    return where ? `${where}.metadata` : "metadata";
}

export const CONTAINER_FIELDS = ["initContainers", "containers", "ephemeralContainers"] as const;

/** A container of a pod spec: the field it is listed in, its index and its name as read. */
export interface ContainerRef {
    c: unknown;
    field: (typeof CONTAINER_FIELDS)[number];
    index: number;
    name: unknown;
}

/** All containers of a pod spec (init, regular and ephemeral). */
export function containerRefs(spec: unknown): ContainerRef[] {
    const out: ContainerRef[] = [];
    for (const field of CONTAINER_FIELDS) {
        const list = listAt(spec, field);
        for (let i = 0; i < list.length; i++) {
            if (!(i in list)) continue; // a hole
            const c = list[i];
            out.push({ c, field, index: i, name: valueAt(c, "name") });
        }
    }
    return out;
}

/** Where a container is, for messages: `containers[0] "app"`. */
export function containerWhere(ref: ContainerRef): string {
    return `${ref.field}[${ref.index}] "${shown(ref.name ?? "?")}"`;
}

/** All containers of a pod spec with where they are (`containers[0] "app"`). */
export function containersOf(spec: unknown): { c: unknown; where: string }[] {
    return containerRefs(spec).map((ref) => ({ c: ref.c, where: containerWhere(ref) }));
}

/** True when every `selector` label is present with the same value in `labels` (an empty selector matches nothing here). */
export function labelsMatch(selector: Record<string, string>, labels: unknown): boolean {
    // A loop rather than Object.keys(...).every(...): this runs for every pod template under several policies.
    let l: Record<string, unknown> | undefined;
    for (const k of Object.keys(selector)) {
        l ??= isRecord(labels) ? labels : {};
        if (l[k] !== selector[k]) return false;
    }
    return l !== undefined;
}
