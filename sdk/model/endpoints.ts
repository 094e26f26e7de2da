/**
 * The addresses an `Endpoints` (core/v1) or `EndpointSlice` (discovery.k8s.io) object lists, `...List` items
 * included: the one walk over them, shared by the policy pack (no-external-service-endpoints) and the access report
 * (sdk/analysis/disguised.ts). Where each address leads is outside.ts's judgement.
 *
 * Read as istiod and kube-proxy read them: an Endpoints' `subsets[].addresses[].ip` and `notReadyAddresses[].ip`
 * (the API server's mirroring controller copies both into slices for a selector-less Service), an EndpointSlice's
 * `endpoints[].addresses[]`. FQDN slices are skipped: istiod and kube-proxy ignore them
 * (pilot/pkg/serviceregistry/kube/controller/endpointslice.go, istio/istio#34995). A field that is not what the API
 * server would hold (a list that is not a list, an item that is not an object) is reported as unreadable, so that
 * callers fail closed on it.
 */
import { isRecord, stringAt, valueAt } from "./read";

export const DISCOVERY_GROUP = "discovery.k8s.io";

/** One address an Endpoints / EndpointSlice lists, or a field where one should be that cannot be read. */
export interface EndpointAddress {
    /** The kind of the object holding it (a List's item kind for items of a List). */
    kind: "Endpoints" | "EndpointSlice";
    /** Path below the object (or the List item), e.g. `subsets[0].addresses[1].ip`. */
    where: string;
    /** What is there: an address (a string) where readable. */
    value: unknown;
    /** Set when the field is not of the shape the API server would hold: what it should have been. */
    unreadable?: "a list" | "an object";
    /** For a `...List` item: its index, name and namespace as written. */
    item?: { index: number; name?: string; namespace?: string };
    /** Set when the unreadable field is the List's own (`items`, or an item that is not an object). */
    ofList?: true;
    /** The Service it belongs to: the Endpoints' name, or the slice's `kubernetes.io/service-name` label. */
    service?: string;
}

/** Is this an Endpoints / EndpointSlice kind (or a List of them) of its own API group? */
export function isEndpointsKind(kind: string, group: string): boolean {
    return (
        ((kind === "Endpoints" || kind === "EndpointsList") && group === "") ||
        ((kind === "EndpointSlice" || kind === "EndpointSliceList") && group === DISCOVERY_GROUP)
    );
}

/** Every address (and unreadable field) of an Endpoints / EndpointSlice object or List of them; [] for other kinds. */
export function endpointAddresses(kind: string, group: string, obj: unknown): EndpointAddress[] {
    const out: EndpointAddress[] = [];
    if (!isEndpointsKind(kind, group)) return out;
    if (kind.endsWith("List")) {
        const itemKind = kind === "EndpointsList" ? "Endpoints" : "EndpointSlice";
        const items = valueAt(obj, "items");
        if (items === undefined || items === null) return out;
        if (!Array.isArray(items)) return [{ kind: itemKind, where: "items", value: items, unreadable: "a list", ofList: true }];
        (items as unknown[]).forEach((v, index) => {
            if (!isRecord(v)) {
                out.push({ kind: itemKind, where: `items[${index}]`, value: v, unreadable: "an object", ofList: true });
                return;
            }
            const item = { index, name: stringAt(v, "metadata", "name"), namespace: stringAt(v, "metadata", "namespace") };
            for (const a of addressesOf(itemKind, v)) out.push({ ...a, item });
        });
        return out;
    }
    return addressesOf(kind === "Endpoints" ? "Endpoints" : "EndpointSlice", obj);
}

function addressesOf(kind: "Endpoints" | "EndpointSlice", obj: unknown): EndpointAddress[] {
    const out: EndpointAddress[] = [];
    // Only the exact value the API server accepts counts as FQDN; anything else is judged as IP addresses.
    if (kind === "EndpointSlice" && valueAt(obj, "addressType") === "FQDN") return out;
    const service = kind === "Endpoints" ? stringAt(obj, "metadata", "name") : stringAt(obj, "metadata", "labels", "kubernetes.io/service-name");
    const bad = (where: string, value: unknown, unreadable: "a list" | "an object") => out.push({ kind, where, value, unreadable, service });
    /** A list field: absent reads as empty; another type is one unreadable value. */
    const list = (v: unknown, where: string): unknown[] => {
        if (v === undefined || v === null) return [];
        if (Array.isArray(v)) return v as unknown[];
        bad(where, v, "a list");
        return [];
    };
    if (kind === "Endpoints") {
        list(valueAt(obj, "subsets"), "subsets").forEach((subset, i) => {
            if (!isRecord(subset)) {
                bad(`subsets[${i}]`, subset, "an object");
                return;
            }
            for (const field of ["addresses", "notReadyAddresses"]) {
                list(subset[field], `subsets[${i}].${field}`).forEach((a, j) => {
                    const where = `subsets[${i}].${field}[${j}]`;
                    if (!isRecord(a)) bad(where, a, "an object");
                    else out.push({ kind, where: `${where}.ip`, value: a.ip, service });
                });
            }
        });
    } else {
        list(valueAt(obj, "endpoints"), "endpoints").forEach((e, i) => {
            if (!isRecord(e)) {
                bad(`endpoints[${i}]`, e, "an object");
                return;
            }
            list(e.addresses, `endpoints[${i}].addresses`).forEach((a, j) => out.push({ kind, where: `endpoints[${i}].addresses[${j}]`, value: a, service }));
        });
    }
    return out;
}
