/**
 * Istio AuthorizationPolicy (security.istio.io/v1) semantics for a request arriving at a sidecar or gateway
 * workload, evaluated over plain objects.
 *
 * Which policies apply: those in the workload's namespace whose `selector.matchLabels` match its labels (no
 * selector = every workload of the namespace), plus those in the root namespace (default `istio-system`) that
 * have no selector (mesh-wide) or a matching one. Policies with `targetRef`/`targetRefs` attach to Gateway-API
 * gateways, Services or ServiceEntries (waypoints); they do not apply to sidecars or Istio gateway deployments,
 * so they are skipped here and listed in the decision's `ignored`.
 *
 * Evaluation order (Istio): CUSTOM, then DENY, then ALLOW.
 * - CUSTOM asks an external authorizer that cannot be evaluated offline: when a CUSTOM policy matches and
 *   neither DENY nor ALLOW already denies, the decision is `action: "CUSTOM"`, `allowed: false` (fail closed,
 *   "depends on the external authorizer").
 * - any matching DENY rule denies;
 * - if any ALLOW policy applies, the request must match one rule of one ALLOW policy (an ALLOW policy without
 *   rules, e.g. `spec: {}`, matches nothing — deny-all);
 * - with no ALLOW policy the request is allowed. AUDIT policies never change the decision.
 *
 * Matching: a rule matches when every field it sets matches (from/to are lists of alternatives; `when`
 * conditions are all required). Within a field any value matches; `notX` fields must match none. Strings
 * match exactly, by prefix (`abc*`), by suffix (`*abc`) or `*` = any non-empty value. Hosts and header names
 * are case-insensitive. An attribute the request does not carry (e.g. no mTLS principal) matches no value, so a
 * `notX` on it matches.
 *
 * HTTP-only fields (`requestPrincipals`, `notRequestPrincipals`, operation `hosts`/`paths`/`methods` and
 * their `not` forms, `when` keys `request.*` and `experimental.*`) on a non-HTTP (TCP/TLS) request:
 * - ALLOW: the whole rule is dropped (it can never allow TCP traffic);
 * - DENY (and AUDIT): only those fields are dropped, so the rule matches *more* TCP traffic — a DENY rule made
 *   only of HTTP fields denies all TCP traffic in its scope.
 * Source: istio/istio `pilot/pkg/security/authz/model` — `rule.checkError` returns the error for ALLOW
 * ("result in a smaller allow policy") and ignores it for DENY/AUDIT ("resulting in a wider deny or audit
 * policy"); the istio.io "TCP traffic" task shows the DENY-with-`methods` policy rejecting TCP connections and
 * istioctl warns "will deny all traffic to TCP ports under its scope".
 */
import type { K8sObject } from "../model/index.js";
import { cidrContains, parseCidr, parseIp } from "../model/index.js";
import { listField, objectField } from "../model/index.js";

export interface AuthzRequest {
    workload: { namespace: string; labels: Record<string, string> };
    /** The peer's identity from mTLS (absent when the caller is not in the mesh or TLS is passed through). */
    source: { principal?: string; namespace?: string; ip?: string; requestPrincipal?: string };
    /** true when the workload sees HTTP (L7 fields apply); false for TCP/TLS. */
    http: boolean;
    host?: string;
    sni?: string;
    path?: string;
    method?: string;
    port?: number;
    headers?: Record<string, string>;
    destinationIp?: string;
}

export interface AuthzDecision {
    allowed: boolean;
    action: "ALLOW" | "DENY" | "CUSTOM" | "NONE";
    /** `ns/name` of the deciding policy. */
    policy?: string;
    ruleIndex?: number;
    reason: string;
    /** Policies that name this workload's namespace but were not evaluated (targetRefs), with why. */
    ignored?: string[];
    /**
     * ALLOW rules istiod leaves out of a TCP filter chain because they use HTTP-only fields (they can never
     * allow a TCP/TLS connection), as `ns/name rule i (field)`.
     */
    droppedRules?: string[];
}

const HTTP_ONLY_SOURCE = ["requestPrincipals", "notRequestPrincipals"];
const HTTP_ONLY_OPERATION = ["hosts", "notHosts", "paths", "notPaths", "methods", "notMethods"];

function policyId(p: K8sObject): string {
    return `${p.metadata?.namespace ?? "default"}/${p.metadata?.name}`;
}

/** Istio string matching: exact, `prefix*`, `*suffix`, `*` = any non-empty value. */
export function stringMatches(pattern: string, value: string | undefined, ignoreCase = false): boolean {
    if (value === undefined || value === "") {
        return false;
    }
    let p = String(pattern);
    let v = value;
    if (ignoreCase) {
        p = p.toLowerCase();
        v = v.toLowerCase();
    }
    if (p === "*") {
        return true;
    }
    if (p.endsWith("*")) {
        return v.startsWith(p.slice(0, -1));
    }
    if (p.startsWith("*")) {
        return v.endsWith(p.slice(1));
    }
    return v === p;
}

/**
 * A `paths` value: a path template when it contains `{*}` (one segment) or `{**}` (any number of segments, last
 * only) — `pkg/config/security/security.go` ContainsPathTemplate, `pilot/pkg/security/authz/matcher/template.go`
 * (Envoy's uri_template matcher) — else Istio's string matching.
 */
export function pathMatches(pattern: string, path: string | undefined): boolean {
    if (path === undefined || path === "") {
        return false;
    }
    if (!pattern.includes("{*}") && !pattern.includes("{**}")) {
        return stringMatches(pattern, path);
    }
    const re = pattern
        .split(/(\{\*\*\}|\{\*\})/)
        .map((part) => (part === "{**}" ? ".*" : part === "{*}" ? "[^/]+" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
        .join("");
    return new RegExp(`^${re}$`).test(path.split("?")[0]);
}

function hostMatches(pattern: string, host: string | undefined): boolean {
    if (host === undefined) {
        return false;
    }
    if (stringMatches(pattern, host, true)) {
        return true;
    }
    // A Host header may carry a port; a pattern without one also matches host:port.
    const m = /^(.*):\d+$/.exec(host);
    return !!m && !pattern.includes(":") && stringMatches(pattern, m[1], true);
}

function ipMatches(block: string, ip: string | undefined, where: string): boolean {
    const cidr = parseCidr(block, where);
    if (ip === undefined) {
        return false;
    }
    const parsed = parseIp(ip);
    return !!parsed && cidrContains(cidr, parsed);
}

/** values/notValues check: any of values (when given) and none of notValues. */
function field(values: unknown, notValues: unknown, test: (v: string) => boolean, where: string): boolean {
    const vs = stringList(values, where);
    const nvs = stringList(notValues, where);
    if (vs && vs.length > 0 && !vs.some(test)) {
        return false;
    }
    if (nvs && nvs.some(test)) {
        return false;
    }
    return true;
}

/**
 * A list of strings (numbers are taken as their text: `ports: [443]`); anything else is refused — an object item
 * read as `"[object Object]"` would silently match nothing, and under a `notX` field everything.
 */
function stringList(v: unknown, where: string): string[] | undefined {
    if (v === undefined || v === null) {
        return undefined;
    }
    if (!Array.isArray(v) || !v.every((x) => typeof x === "string" || typeof x === "number")) {
        throw new Error(`${where}: must be a list of strings`);
    }
    return v.map(String);
}

function principalNamespace(principal: string | undefined): string | undefined {
    const m = /(?:^|\/)ns\/([^/]+)\/sa\//.exec(principal ?? "");
    return m?.[1];
}

function sourceNamespace(req: AuthzRequest): string | undefined {
    // Istio derives source.namespace from the peer certificate; without a principal there is none.
    return req.source.principal ? (req.source.namespace ?? principalNamespace(req.source.principal)) : undefined;
}

type Mode = "ALLOW" | "DENY";

/** Result of matching one rule: whether it matches, and which HTTP-only fields were dropped for TCP. */
interface RuleMatch {
    matches: boolean;
    droppedHttpFields: string[];
}

function present(v: unknown): boolean {
    return v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0);
}

/** An ALLOW rule istiod leaves out of a TCP filter chain, naming the HTTP-only field that made it so. */
interface DropRule {
    drop: string;
}

function matchSource(src: Record<string, unknown>, req: AuthzRequest, mode: Mode, where: string, dropped: string[]): boolean | DropRule {
    const known = [
        "principals",
        "notPrincipals",
        "requestPrincipals",
        "notRequestPrincipals",
        "namespaces",
        "notNamespaces",
        "ipBlocks",
        "notIpBlocks",
        "remoteIpBlocks",
        "notRemoteIpBlocks",
        "serviceAccounts",
        "notServiceAccounts",
    ];
    for (const k of Object.keys(src)) {
        if (!known.includes(k)) {
            throw new Error(`${where}: unknown field "${k}"`);
        }
    }
    let ok = true;
    for (const k of HTTP_ONLY_SOURCE) {
        if (present(src[k]) && !req.http) {
            if (mode === "ALLOW") {
                return { drop: `${where}.${k}` };
            }
            dropped.push(`${where}.${k}`);
        }
    }
    if (req.http) {
        ok &&= field(src.requestPrincipals, src.notRequestPrincipals, (p) => stringMatches(p, req.source.requestPrincipal), `${where}.requestPrincipals`);
    }
    ok &&= field(src.principals, src.notPrincipals, (p) => stringMatches(p, req.source.principal), `${where}.principals`);
    ok &&= field(src.namespaces, src.notNamespaces, (p) => stringMatches(p, sourceNamespace(req)), `${where}.namespaces`);
    const sa = req.source.principal ? /(?:^|\/)ns\/([^/]+)\/sa\/([^/]+)$/.exec(req.source.principal) : null;
    const saName = sa ? `${sa[1]}/${sa[2]}` : undefined;
    ok &&= field(src.serviceAccounts, src.notServiceAccounts, (p) => stringMatches(p, saName), `${where}.serviceAccounts`);
    ok &&= field(src.ipBlocks, src.notIpBlocks, (b) => ipMatches(b, req.source.ip, `${where}.ipBlocks`), `${where}.ipBlocks`);
    ok &&= field(src.remoteIpBlocks, src.notRemoteIpBlocks, (b) => ipMatches(b, req.source.ip, `${where}.remoteIpBlocks`), `${where}.remoteIpBlocks`);
    return ok;
}

function matchOperation(op: Record<string, unknown>, req: AuthzRequest, mode: Mode, where: string, dropped: string[]): boolean | DropRule {
    const known = [...HTTP_ONLY_OPERATION, "ports", "notPorts"];
    for (const k of Object.keys(op)) {
        if (!known.includes(k)) {
            throw new Error(`${where}: unknown field "${k}"`);
        }
    }
    let ok = true;
    for (const k of HTTP_ONLY_OPERATION) {
        if (present(op[k]) && !req.http) {
            if (mode === "ALLOW") {
                return { drop: `${where}.${k}` };
            }
            dropped.push(`${where}.${k}`);
        }
    }
    if (req.http) {
        ok &&= field(op.hosts, op.notHosts, (h) => hostMatches(h, req.host), `${where}.hosts`);
        ok &&= field(op.paths, op.notPaths, (p) => pathMatches(p, req.path), `${where}.paths`);
        ok &&= field(op.methods, op.notMethods, (m) => stringMatches(m, req.method), `${where}.methods`);
    }
    ok &&= field(op.ports, op.notPorts, (p) => req.port !== undefined && String(p) === String(req.port), `${where}.ports`);
    return ok;
}

function conditionValue(key: string, req: AuthzRequest, where: string): { httpOnly: boolean; value?: string; ip?: boolean } {
    const header = /^request\.headers\[(.+)\]$/.exec(key);
    if (header) {
        const name = header[1].toLowerCase();
        const entry = Object.entries(req.headers ?? {}).find(([k]) => k.toLowerCase() === name);
        return { httpOnly: true, value: entry?.[1] };
    }
    if (key.startsWith("request.auth.") || key.startsWith("experimental.")) {
        return { httpOnly: true, value: undefined };
    }
    switch (key) {
        case "source.ip":
        case "remote.ip":
            return { httpOnly: false, value: req.source.ip, ip: true };
        case "source.namespace":
            return { httpOnly: false, value: sourceNamespace(req) };
        case "source.principal":
            return { httpOnly: false, value: req.source.principal };
        case "source.serviceAccount": {
            const ns = sourceNamespace(req);
            const sa = /\/sa\/([^/]+)$/.exec(req.source.principal ?? "")?.[1];
            return { httpOnly: false, value: ns && sa ? `${ns}/${sa}` : undefined };
        }
        case "destination.ip":
            return { httpOnly: false, value: req.destinationIp, ip: true };
        case "destination.port":
            return { httpOnly: false, value: req.port === undefined ? undefined : String(req.port) };
        case "connection.sni":
            return { httpOnly: false, value: req.sni };
        default:
            throw new Error(`${where}.key: unsupported condition key "${key}"`);
    }
}

function matchRule(rule: unknown, req: AuthzRequest, mode: Mode, where: string): RuleMatch | DropRule {
    const dropped: string[] = [];
    const r = objectField(rule, where);
    for (const k of Object.keys(r)) {
        if (!["from", "to", "when"].includes(k)) {
            throw new Error(`${where}: unknown field "${k}"`);
        }
    }
    let matches = true;
    const froms = listField(r.from, `${where}.from`);
    if (froms.length > 0) {
        let any = false;
        for (const [i, f] of froms.entries()) {
            const res = matchSource(
                objectField(objectField(f, `${where}.from[${i}]`).source, `${where}.from[${i}].source`),
                req,
                mode,
                `${where}.from[${i}].source`,
                dropped,
            );
            if (typeof res === "object") {
                return res;
            }
            any ||= res;
        }
        matches &&= any;
    }
    const tos = listField(r.to, `${where}.to`);
    if (tos.length > 0) {
        let any = false;
        for (const [i, t] of tos.entries()) {
            const res = matchOperation(
                objectField(objectField(t, `${where}.to[${i}]`).operation, `${where}.to[${i}].operation`),
                req,
                mode,
                `${where}.to[${i}].operation`,
                dropped,
            );
            if (typeof res === "object") {
                return res;
            }
            any ||= res;
        }
        matches &&= any;
    }
    for (const [i, item] of listField(r.when, `${where}.when`).entries()) {
        const at = `${where}.when[${i}]`;
        const c = objectField(item, at);
        const key = c.key;
        if (!key) {
            throw new Error(`${at}.key: required`);
        }
        if (typeof key !== "string") {
            throw new Error(`${at}.key: must be a string`);
        }
        const cv = conditionValue(key, req, at);
        if (cv.httpOnly && !req.http) {
            if (mode === "ALLOW") {
                return { drop: `${at} (${key})` };
            }
            dropped.push(`${at} (${key})`);
            continue;
        }
        const test = cv.ip
            ? (v: string) => ipMatches(v, cv.value, `${at}.values`)
            : (v: string) => stringMatches(v, cv.value, key.startsWith("request.headers["));
        const ok = field(c.values, c.notValues, test, `${at}.values`);
        matches &&= ok;
    }
    return { matches, droppedHttpFields: dropped };
}

/** A policy's `spec`: refused unless an object (istiod would refuse the policy, so it must not read as `{}`: deny-all). */
function specOf(p: K8sObject): Record<string, unknown> {
    return objectField(p.spec, `AuthorizationPolicy ${policyId(p)} spec`);
}

function actionOf(p: K8sObject): unknown {
    return specOf(p).action ?? "ALLOW";
}

function applies(p: K8sObject, req: AuthzRequest, rootNamespace: string): boolean {
    const ns = p.metadata?.namespace ?? "default";
    if (ns !== req.workload.namespace && ns !== rootNamespace) {
        return false;
    }
    const where = `AuthorizationPolicy ${policyId(p)} spec.selector`;
    const labels = objectField(objectField(specOf(p).selector, where).matchLabels, `${where}.matchLabels`);
    if (Object.keys(labels).length === 0) {
        // No selector: every workload of the namespace; in the root namespace, the whole mesh.
        return true;
    }
    return Object.entries(labels).every(([k, v]) => req.workload.labels[k] === v);
}

interface Hit {
    policy: string;
    ruleIndex: number;
    dropped: string[];
}

function firstMatch(policy: K8sObject, req: AuthzRequest, mode: Mode, droppedRules: string[] = []): Hit | undefined {
    const id = policyId(policy);
    for (const [i, rule] of listField(specOf(policy).rules, `AuthorizationPolicy ${id} spec.rules`).entries()) {
        const res = matchRule(rule, req, mode, `AuthorizationPolicy ${id} spec.rules[${i}]`);
        if ("drop" in res) {
            droppedRules.push(`${id} rule ${i} (${res.drop.replace(/^AuthorizationPolicy \S+ /, "")} is HTTP-only)`);
            continue;
        }
        if (res.matches) {
            return { policy: id, ruleIndex: i, dropped: res.droppedHttpFields };
        }
    }
    return undefined;
}

/** Decides a request at a workload the way the workload's Envoy would, from the AuthorizationPolicies given. */
export function evaluateAuthz(policies: K8sObject[], req: AuthzRequest, rootNamespace = "istio-system"): AuthzDecision {
    const ignored: string[] = [];
    const relevant: K8sObject[] = [];
    for (const p of policies) {
        if (p?.kind !== "AuthorizationPolicy" || !String(p.apiVersion ?? "").startsWith("security.istio.io/")) {
            continue;
        }
        if (!applies(p, req, rootNamespace)) {
            continue;
        }
        const spec = specOf(p);
        if (present(spec.targetRefs) || spec.targetRef) {
            ignored.push(`${policyId(p)}: uses targetRef(s), which attach to gateways/services/waypoints, not to sidecar or gateway-deployment workloads`);
            continue;
        }
        const action = actionOf(p);
        if (typeof action !== "string" || !["ALLOW", "DENY", "AUDIT", "CUSTOM"].includes(action)) {
            throw new Error(`AuthorizationPolicy ${policyId(p)} spec.action: ${JSON.stringify(action)} is not ALLOW, DENY, AUDIT or CUSTOM`);
        }
        relevant.push(p);
    }
    const droppedRules: string[] = [];
    const withIgnored = (d: AuthzDecision): AuthzDecision => ({
        ...d,
        ...(ignored.length > 0 ? { ignored } : {}),
        ...(droppedRules.length > 0 ? { droppedRules } : {}),
    });
    const byAction = (a: string) => relevant.filter((p) => actionOf(p) === a);

    const custom = byAction("CUSTOM")
        .map((p) => firstMatch(p, req, "DENY"))
        .find((h) => h !== undefined);

    for (const p of byAction("DENY")) {
        const hit = firstMatch(p, req, "DENY");
        if (hit) {
            const note = hit.dropped.length > 0 ? ` (HTTP-only fields ignored for non-HTTP traffic, widening the deny: ${hit.dropped.join(", ")})` : "";
            return withIgnored({
                allowed: false,
                action: "DENY",
                policy: hit.policy,
                ruleIndex: hit.ruleIndex,
                reason: `denied by DENY policy ${hit.policy} rule ${hit.ruleIndex}${note}`,
            });
        }
    }

    const allowPolicies = byAction("ALLOW");
    let allowHit: Hit | undefined;
    if (allowPolicies.length > 0) {
        for (const p of allowPolicies) {
            allowHit = firstMatch(p, req, "ALLOW", droppedRules);
            if (allowHit) {
                break;
            }
        }
        if (!allowHit) {
            return withIgnored({
                allowed: false,
                action: "ALLOW",
                reason: `no rule of the ALLOW policies ${allowPolicies.map(policyId).join(", ")} matches (a workload with ALLOW policies denies what none allows)`,
            });
        }
    }
    if (custom) {
        return withIgnored({
            allowed: false,
            action: "CUSTOM",
            policy: custom.policy,
            ruleIndex: custom.ruleIndex,
            reason: `CUSTOM policy ${custom.policy} rule ${custom.ruleIndex} sends the request to an external authorizer, which is not evaluated here (reported as not allowed)`,
        });
    }
    if (allowHit) {
        return withIgnored({
            allowed: true,
            action: "ALLOW",
            policy: allowHit.policy,
            ruleIndex: allowHit.ruleIndex,
            reason: `allowed by ALLOW policy ${allowHit.policy} rule ${allowHit.ruleIndex}`,
        });
    }
    return withIgnored({ allowed: true, action: "NONE", reason: "no ALLOW or DENY policy applies to the workload (allowed by default)" });
}
