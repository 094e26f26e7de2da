/**
 * Readers for the fields the policy evaluators (`authz.ts`, `netpol.ts`, `reach.ts`) decide on. Reading such a
 * field of the wrong type as absent would decide for a policy that is not there: the API server (a structural
 * schema) or istiod's validation refuses the object, so in the cluster it does not exist, while the report would
 * apply it — an `ipBlock.except: "10.0.0.0/8"` read as absent opens the whole block, a NetworkPolicy
 * `egress: {}` read as absent isolates a pod the cluster leaves open. So absent (undefined, null) reads as empty,
 * and any other wrong type is refused with an Error naming the field: the report fails closed, never silently.
 * Fields whose absence cannot change a decision are read with `asRecord`/`asList`/`dig` (sdk/model/object.ts).
 */
import { asRecord, isPlainObject } from "../model/index.js";

/** A field that must be an object when set: absent reads as `{}`; any other type is refused, naming `where`. */
export function objectField(v: unknown, where: string): Record<string, unknown> {
    if (v === undefined || v === null) {
        return {};
    }
    if (!isPlainObject(v)) {
        throw new Error(`${where}: must be an object`);
    }
    return asRecord(v);
}

/** A field that must be a list when set: absent reads as `[]`; any other type is refused, naming `where`. */
export function listField(v: unknown, where: string): unknown[] {
    if (v === undefined || v === null) {
        return [];
    }
    if (!Array.isArray(v)) {
        throw new Error(`${where}: must be a list`);
    }
    return v as unknown[];
}
