/**
 * VirtualService route matching shared by both legs. Static predicates (`gateways`, `port`, `sourceLabels`,
 * `sourceNamespace`) are decided for the proxy that builds the config, as istiod does when it generates it
 * (`pilot/pkg/networking/core/route/route.go` `sourceMatchHTTP`, `pilot/pkg/networking/core/tls.go`
 * `matchTLS`/`matchTCP`); runtime predicates are decided for the request class being evaluated: `uri`,
 * `method` and `authority` are evaluated, anything else (headers, query parameters, …) is taken as matching and
 * reported, because the report cannot know what a caller sends.
 */
import { listAt, shown, valueAt, type K8sObject } from "../model/index.js";
import { ns, resolveGatewayName, resolveShortname, vsGateways } from "./config.js";

/** The request a row is about. */
export interface RequestProbe {
    /** The HTTP authority, or the TLS SNI. */
    host: string;
    method?: string;
    path?: string;
}

export interface RouteDestination {
    /** The destination host as istiod resolves it (`ResolveShortnameToFQDN`). */
    host: string;
    subset?: string;
    port?: number;
    /** The route's weight for this destination (100 for a lone destination). */
    weight: number;
}

export interface ProxyContext {
    /** `mesh` for a sidecar, `ns/name` of the Gateway for a gateway proxy. */
    gateway: string;
    /** The listener port (sidecar) or the server's declared port (gateway). */
    port: number;
    labels: Record<string, string>;
    namespace: string;
}

/** The destinations of a route entry with a non-zero share of the traffic. */
export function routeDestinations(entry: unknown, vs: K8sObject): RouteDestination[] {
    const list = listAt(entry, "route");
    const out: RouteDestination[] = [];
    for (const r of list) {
        const d = valueAt(r, "destination");
        const host = valueAt(d, "host");
        if (!host) {
            continue;
        }
        const weight = list.length === 1 ? 100 : Number(valueAt(r, "weight") ?? 0);
        if (weight <= 0) {
            continue;
        }
        const subset = valueAt(d, "subset");
        const portNumber = valueAt(d, "port", "number");
        out.push({
            host: resolveShortname(shown(host), ns(vs)),
            ...(subset ? { subset: shown(subset) } : {}),
            ...(portNumber !== undefined ? { port: Number(portNumber) } : {}),
            weight,
        });
    }
    return out;
}

/** The static part of a match: which proxy, port and caller the entry is for. */
export function staticMatch(m: unknown, vs: K8sObject, proxy: ProxyContext): boolean {
    const declared = listAt(m, "gateways");
    const gws: string[] = declared.length > 0 ? declared.map((g) => resolveGatewayName(String(g), ns(vs))) : vsGateways(vs);
    if (!gws.includes(proxy.gateway)) {
        return false;
    }
    const port = valueAt(m, "port");
    if (port !== undefined && port !== 0 && Number(port) !== proxy.port) {
        return false;
    }
    const sl = valueAt(m, "sourceLabels");
    if (sl && typeof sl === "object" && !Object.entries(sl).every(([k, v]) => proxy.labels[k] === v)) {
        return false;
    }
    const sourceNamespace = valueAt(m, "sourceNamespace");
    if (sourceNamespace && sourceNamespace !== proxy.namespace) {
        return false;
    }
    return true;
}

/** An Istio StringMatch (`exact`, `prefix`, `regex` — RE2, full match) against a value. */
export function stringMatch(sm: unknown, value: string, ignoreCase = false): boolean | undefined {
    if (!sm || typeof sm !== "object") {
        return undefined;
    }
    const v = ignoreCase ? value.toLowerCase() : value;
    const exact = valueAt(sm, "exact");
    if (typeof exact === "string") {
        return v === (ignoreCase ? exact.toLowerCase() : exact);
    }
    const prefix = valueAt(sm, "prefix");
    if (typeof prefix === "string") {
        return v.startsWith(ignoreCase ? prefix.toLowerCase() : prefix);
    }
    const regex = valueAt(sm, "regex");
    if (typeof regex === "string") {
        try {
            return new RegExp(`^(?:${regex})$`, ignoreCase ? "i" : "").test(value);
        } catch {
            return undefined;
        }
    }
    return undefined;
}

const EVALUATED = ["name", "gateways", "port", "sourceLabels", "sourceNamespace", "uri", "method", "authority", "ignoreUriCase"];

/**
 * Whether an `http` entry of a VirtualService applies to the request on this proxy. `conditional` lists the
 * runtime conditions that were taken as met (headers, query parameters, …) or could not be evaluated.
 */
export function httpRouteMatches(entry: unknown, vs: K8sObject, req: RequestProbe, proxy: ProxyContext): { matches: boolean; conditional: string[] } {
    const matches = listAt(entry, "match");
    if (matches.length === 0) {
        return { matches: true, conditional: [] };
    }
    for (const m of matches) {
        if (!staticMatch(m, vs, proxy)) {
            continue;
        }
        const conditional: string[] = [];
        let ok = true;
        const uri = valueAt(m, "uri");
        if (uri !== undefined) {
            const r = stringMatch(uri, req.path ?? "/", valueAt(m, "ignoreUriCase") === true);
            if (r === undefined) conditional.push(`uri ${JSON.stringify(uri)}`);
            else ok &&= r;
        }
        const method = valueAt(m, "method");
        if (method !== undefined) {
            const r = stringMatch(method, req.method ?? "GET");
            if (r === undefined) conditional.push(`method ${JSON.stringify(method)}`);
            else ok &&= r;
        }
        const authority = valueAt(m, "authority");
        if (authority !== undefined) {
            const r = stringMatch(authority, req.host, true);
            if (r === undefined) conditional.push(`authority ${JSON.stringify(authority)}`);
            else ok &&= r;
        }
        for (const k of m === undefined || m === null ? [] : Object.keys(m)) {
            if (!EVALUATED.includes(k)) {
                conditional.push(k);
            }
        }
        if (ok) {
            return { matches: true, conditional };
        }
    }
    return { matches: false, conditional: [] };
}
