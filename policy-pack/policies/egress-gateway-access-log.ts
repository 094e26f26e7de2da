/**
 * Policy `egress-gateway-access-log` (stack): the egress gateway's access log is the egress audit (the gateway pods
 * are the only pods that reach the internet), so the Telemetry that decides it must name a provider whose lines
 * carry the audit fields, and no other Telemetry may turn it off, filter it or swap its provider.
 *
 * How istiod decides a gateway proxy's access log (istio/istio pilot/pkg/model/telemetry.go):
 * - `applicableTelemetries`: the root namespace's namespace-wide Telemetry (no selector, no targetRefs; the first
 *   created if several), then the proxy namespace's namespace-wide one, then every Telemetry of the proxy's
 *   namespace whose `selector.matchLabels` is a subset of the pod's labels, in creation order
 *   (`getTelemetries` sorts by creation time). A Telemetry with `targetRefs` never applies to a pod that is not a
 *   Gateway API gateway (policyattachment.go `ShouldAttachPolicy`); a root-namespace Telemetry with a selector
 *   applies only to pods of the root namespace.
 * - `mergeLogs`, over those in that order, for the gateway's listener class (CLIENT, `workloadMode`; an entry whose
 *   `match.mode` is SERVER is skipped): the providers in scope are those named by the LAST Telemetry that names any
 *   (a later one replaces, it does not add); then each entry in order sets its providers (an entry naming none
 *   inherits the previous entry's) to `disabled` or to the filter of the last entry naming them.
 * So a Telemetry that comes later can replace the provider, disable it (`disabled: true`, with or without naming it)
 * or filter its lines; one that comes earlier is overridden. Within a level the order is creation time, which a
 * stack cannot know, so the rule judges every Telemetry of the level that decides and of the levels after it:
 * - the deciding level: the workload-level Telemetries selecting the gateway pods if any names a provider, else the
 *   gateway namespace's namespace-wide ones, else (or when a namespace-wide one names none) the root namespace's;
 * - provider (rule 1): with an istiod Helm Release in the stack, every provider a deciding Telemetry names must have
 *   no `accessLogProviderProblems` against the Release's `values.meshConfig` (each Release: which revision governs
 *   the gateway is not judged). Without an istiod Release this part does not apply; while its values are not known
 *   (preview) the findings are withheld;
 * - replacement (rule 2): without an istiod Release to vouch for every provider, two deciding Telemetries naming
 *   different providers are findings (either may be applied last);
 * - `disabled: true` or a `filter` in an entry of the deciding level or a later one is a finding.
 * The rule looks only at stacks that hold the gateway (a gateway Release or a Telemetry in a gateway namespace):
 * a mesh-wide Telemetry elsewhere is overridden by the gateway's own, and judging it there would be noise.
 */
import { GuardConfig } from "../lib/config";
import { stackPolicy } from "../lib/policy";
import { GatewayFacts, StackFinding, StackObject, gatewayFacts, isGatewayRelease, isTrue } from "../lib/facts";
import { accessLogProviderProblems, chartName, ISTIO_TELEMETRY, ISTIOD_CHART, listAt, recordAt, valueAt } from "../../sdk/model";

/** The Gateway API label that makes a pod a Gateway API gateway (then targetRefs apply to it). */
const GATEWAY_API_NAME_LABEL = "gateway.networking.k8s.io/gateway-name";

type Level = "root" | "namespace" | "workload";
const LEVEL_ORDER: Record<Level, number> = { root: 0, namespace: 1, workload: 2 };

interface Entry {
    index: number;
    providers: string[];
    disabled: boolean;
    filter: boolean;
}

interface Applied {
    o: StackObject;
    level: Level;
    reach: string;
    /** The `accessLogging` entries that apply to a gateway's listeners (CLIENT mode). */
    entries: Entry[];
    /** The providers its entries name (the set that replaces the earlier ones'). */
    names: string[];
}

/** `matchWorkloadMode` for a gateway proxy (CLIENT): no match, CLIENT_AND_SERVER (the default mode) or CLIENT. */
function appliesToGateway(entry: unknown): boolean {
    const match = recordAt(entry).match;
    if (match === undefined || match === null) return true;
    // WorkloadMode: CLIENT_AND_SERVER (0, the default), CLIENT (1), SERVER (2); anything else counts (fail closed).
    const mode = recordAt(match).mode;
    return mode !== "SERVER" && mode !== 2;
}

function entriesOf(spec: unknown): Entry[] {
    const out: Entry[] = [];
    listAt(spec, "accessLogging").forEach((e, index) => {
        if (!appliesToGateway(e)) return;
        const providers = listAt(e, "providers")
            .map((p) => valueAt(p, "name"))
            .filter((n): n is string => typeof n === "string");
        const disabled = valueAt(e, "disabled");
        const filter = valueAt(e, "filter");
        out.push({
            index,
            providers,
            disabled: disabled !== undefined && disabled !== null && isTrue(disabled),
            filter: filter !== undefined && filter !== null,
        });
    });
    return out;
}

function applied(o: StackObject, level: Level, reach: string): Applied {
    const entries = entriesOf(valueAt(o.props, "spec"));
    return { o, level, reach, entries, names: [...new Set(entries.flatMap((e) => e.providers))].sort() };
}

/** Can a `matchLabels` selector be a subset of the gateway pods' labels (no known label contradicts it)? */
function selectorMayMatch(matchLabels: Record<string, unknown>, labelSets: Record<string, string>[]): boolean {
    return labelSets.some((set) => Object.entries(matchLabels).every(([k, v]) => set[k] === undefined || set[k] === v));
}

const isSelectorless = (spec: unknown) =>
    Object.keys(recordAt(spec, "selector", "matchLabels")).length === 0 &&
    listAt(spec, "targetRefs").length === 0 &&
    (valueAt(spec, "targetRef") === undefined || valueAt(spec, "targetRef") === null);

/** The Telemetries istiod applies to the egress gateway's pods in namespace `ns`, by level. */
function telemetriesFor(ns: string, telemetries: StackObject[], roots: Set<string>, labelSets: Record<string, string>[]): Applied[] {
    const gatewayApi = labelSets.some((s) => s[GATEWAY_API_NAME_LABEL] !== undefined);
    const out: Applied[] = [];
    for (const t of telemetries) {
        const tns = t.namespace ?? "default";
        if (tns !== ns && !roots.has(tns)) continue;
        const spec = valueAt(t.props, "spec");
        if (isSelectorless(spec)) {
            if (roots.has(tns)) out.push(applied(t, "root", `it sits in the root namespace "${tns}" without a selector, so it applies mesh-wide`));
            else out.push(applied(t, "namespace", `it applies to every workload of the gateway namespace "${ns}"`));
            continue;
        }
        if (tns !== ns) continue; // a root-namespace Telemetry with a selector applies to root-namespace pods only
        const targetRef = valueAt(spec, "targetRef");
        const refs = listAt(spec, "targetRefs").length > 0 || (targetRef !== undefined && targetRef !== null);
        if (refs) {
            if (gatewayApi) out.push(applied(t, "workload", `it targets a Gateway in the gateway namespace "${ns}"`));
            continue;
        }
        if (selectorMayMatch(recordAt(spec, "selector", "matchLabels"), labelSets)) {
            out.push(applied(t, "workload", `its selector picks the egress gateway's pods in "${ns}"`));
        }
    }
    return out;
}

/** Which Telemetries decide the gateway's providers, and from which level on entries still change the outcome. */
function decide(all: Applied[]): { deciders: Applied[]; from: Level } {
    const at = (l: Level) => all.filter((a) => a.level === l);
    const naming = (xs: Applied[]) => xs.filter((a) => a.names.length > 0);
    const w = naming(at("workload"));
    if (w.length > 0) return { deciders: w, from: "workload" };
    const n = at("namespace");
    if (n.length > 0) {
        // istiod takes the first-created namespace-wide one; if that one names no provider, the root's decide.
        const fallsThrough = n.some((a) => a.names.length === 0);
        return { deciders: [...naming(n), ...(fallsThrough ? naming(at("root")) : [])], from: fallsThrough ? "root" : "namespace" };
    }
    return { deciders: naming(at("root")), from: "root" };
}

const ref = (o: StackObject) => `${o.namespace ?? "default"}/${o.name}`;

export function accessLogFindings(objects: StackObject[], cfg: GuardConfig, facts: GatewayFacts = gatewayFacts(objects, cfg)): StackFinding[] {
    const telemetries = objects.filter((o) => o.kind === "Telemetry" && o.group === ISTIO_TELEMETRY && !o.patch && o.namespace !== undefined);
    const releases = objects.filter((o) => o.kind === "Release" && !o.patch && o.namespace !== undefined);
    // Namespaces that hold the egress gateway in this stack: a gateway Release's, or a gateway namespace with a Telemetry.
    const gatewayNamespaces = new Set<string>();
    for (const r of releases)
        if (isGatewayRelease(r.props, r.name, r.namespace!, cfg) && facts.namespaces.has(r.namespace!)) gatewayNamespaces.add(r.namespace!);
    for (const t of telemetries) if (facts.namespaces.has(t.namespace!)) gatewayNamespaces.add(t.namespace!);
    if (gatewayNamespaces.size === 0) return [];

    const istiods = releases.filter((r) => chartName(valueAt(r.props, "chart")) === ISTIOD_CHART);
    const roots = new Set([cfg.istioRootNamespace]);
    for (const r of istiods) {
        const root = valueAt(r.props, "values", "meshConfig", "rootNamespace");
        if (typeof root === "string" && root !== "") roots.add(root);
    }
    const labelSets = [cfg.gatewayLabels, ...facts.labelSets];
    const out = new Map<string, StackFinding>();
    const push = (o: StackObject, message: string) => out.set(`${o.urn}\u0000${message}`, { urn: o.urn, message });

    for (const ns of [...gatewayNamespaces].sort()) {
        const all = telemetriesFor(ns, telemetries, roots, labelSets);
        const { deciders, from } = decide(all);
        // Entries that come at or after the deciding level change the outcome: disabled, filtered.
        for (const a of all) {
            if (LEVEL_ORDER[a.level] < LEVEL_ORDER[from]) continue;
            for (const e of a.entries) {
                if (e.disabled) {
                    push(
                        a.o,
                        `Telemetry turns off the egress gateway's access log (spec.accessLogging[${e.index}].disabled: true), because ${a.reach}: istiod applies the Telemetries that reach a pod in order (root namespace, namespace-wide, then by selector in creation order) and a later entry's disabled turns off the providers before it (pilot/pkg/model/telemetry.go applicableTelemetries, mergeLogs); the gateway's log is the egress audit: remove the entry.`,
                    );
                }
                if (e.filter) {
                    push(
                        a.o,
                        `Telemetry filters the egress gateway's access log (spec.accessLogging[${e.index}].filter), because ${a.reach}: the last filter set for a provider applies to all its lines (pilot/pkg/model/telemetry.go mergeLogs), so requests it drops leave no audit line: remove the filter.`,
                    );
                }
            }
        }
        if (istiods.length > 0) {
            for (const a of deciders) {
                for (const name of a.names) {
                    for (const r of istiods) {
                        const problems = accessLogProviderProblems(valueAt(r.props, "values", "meshConfig"), name);
                        if (problems.length === 0) continue;
                        push(
                            a.o,
                            `Telemetry names the access-log provider "${name}" for the egress gateway's pods (${a.reach}), but with the mesh config of istiod Release ${ref(r)} ${problems.join("; ")}: the gateway's log is the egress audit and must carry the caller, the SNI, the authority, the upstream host and the response flags; define the provider in that Release's values.meshConfig.extensionProviders (the component exports egressAuditLogProvider()), or name one that has them.`,
                        );
                    }
                }
            }
        } else {
            for (const a of deciders) {
                const others = deciders.filter((b) => b !== a && b.names.join("\u0000") !== a.names.join("\u0000"));
                if (others.length === 0) continue;
                push(
                    a.o,
                    `Telemetry names the access-log providers [${a.names.join(", ")}] for the egress gateway's pods (${a.reach}), and ${others.map((b) => `Telemetry ${ref(b.o)} names [${b.names.join(", ")}]`).join(", ")}: istiod keeps only the providers of the one it applies last, by creation time (pilot/pkg/model/telemetry.go applicableTelemetries, mergeLogs), so either can replace the egress audit's provider: keep one Telemetry naming the gateway's access-log provider.`,
                );
            }
        }
    }
    return [...out.values()];
}

export const egressGatewayAccessLog = stackPolicy({
    name: "egress-gateway-access-log",
    appliesTo: (k) => k === "Telemetry" || k === "Release",
    // Every finding depends on every Telemetry and Release (order, replacement, the mesh config): any unknown
    // value withholds them (the analyzer reports "can't run during preview").
    subjects: () => false,
    description: "The egress gateway's access log must carry the audit fields, and no Telemetry may turn it off, filter it or replace its provider.",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Name a provider whose lines carry %DOWNSTREAM_PEER_URI_SAN%, %REQUESTED_SERVER_NAME%, %REQ(:AUTHORITY)%, %UPSTREAM_HOST% and %RESPONSE_FLAGS% (egressAuditLogProvider() in istiod's values.meshConfig.extensionProviders, lockdown.accessLogProvider); keep one Telemetry for the gateway's access log, without disabled or filter.",
    config: ["gatewayNamespaces", "gatewayLabels", "discoverGatewayNamespaces", "istioRootNamespace"],
    check: (objects, cfg) => accessLogFindings(objects, cfg),
});
