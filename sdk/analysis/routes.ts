/**
 * VirtualService route matching shared by both legs. Static predicates (`gateways`, `port`, `sourceLabels`,
 * `sourceNamespace`) are decided for the proxy that builds the config, as istiod does when it generates it
 * (`pilot/pkg/networking/core/route/route.go` `sourceMatchHTTP`, `pilot/pkg/networking/core/tls.go`
 * `matchTLS`/`matchTCP`); runtime predicates are decided for the request class being evaluated: `uri`,
 * `method` and `authority` are evaluated, anything else (headers, query parameters, …) is taken as matching and
 * reported, because the report cannot know what a caller sends.
 */
import type { K8sObject } from "../model/index.js";
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
export function routeDestinations(entry: any, vs: K8sObject): RouteDestination[] {
    const list: any[] = Array.isArray(entry?.route) ? entry.route : [];
    const out: RouteDestination[] = [];
    for (const r of list) {
        const d = r?.destination;
        if (!d?.host) {
            continue;
        }
        const weight = list.length === 1 ? 100 : Number(r.weight ?? 0);
        if (weight <= 0) {
            continue;
        }
        out.push({
            host: resolveShortname(String(d.host), ns(vs)),
            ...(d.subset ? { subset: String(d.subset) } : {}),
            ...(d.port?.number !== undefined ? { port: Number(d.port.number) } : {}),
            weight,
        });
    }
    return out;
}

/** The static part of a match: which proxy, port and caller the entry is for. */
export function staticMatch(m: any, vs: K8sObject, proxy: ProxyContext): boolean {
    const gws: string[] = Array.isArray(m?.gateways) && m.gateways.length > 0 ? m.gateways.map((g: string) => resolveGatewayName(String(g), ns(vs))) : vsGateways(vs);
    if (!gws.includes(proxy.gateway)) {
        return false;
    }
    if (m?.port !== undefined && m.port !== 0 && Number(m.port) !== proxy.port) {
        return false;
    }
    const sl = m?.sourceLabels;
    if (sl && typeof sl === "object" && !Object.entries(sl).every(([k, v]) => proxy.labels[k] === v)) {
        return false;
    }
    if (m?.sourceNamespace && m.sourceNamespace !== proxy.namespace) {
        return false;
    }
    return true;
}

/** An Istio StringMatch (`exact`, `prefix`, `regex` — RE2, full match) against a value. */
export function stringMatch(sm: any, value: string, ignoreCase = false): boolean | undefined {
    if (!sm || typeof sm !== "object") {
        return undefined;
    }
    const v = ignoreCase ? value.toLowerCase() : value;
    if (typeof sm.exact === "string") {
        return v === (ignoreCase ? sm.exact.toLowerCase() : sm.exact);
    }
    if (typeof sm.prefix === "string") {
        return v.startsWith(ignoreCase ? sm.prefix.toLowerCase() : sm.prefix);
    }
    if (typeof sm.regex === "string") {
        try {
            return new RegExp(`^(?:${sm.regex})$`, ignoreCase ? "i" : "").test(value);
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
export function httpRouteMatches(entry: any, vs: K8sObject, req: RequestProbe, proxy: ProxyContext): { matches: boolean; conditional: string[] } {
    const matches: any[] = Array.isArray(entry?.match) ? entry.match : [];
    if (matches.length === 0) {
        return { matches: true, conditional: [] };
    }
    for (const m of matches) {
        if (!staticMatch(m, vs, proxy)) {
            continue;
        }
        const conditional: string[] = [];
        let ok = true;
        if (m.uri !== undefined) {
            const r = stringMatch(m.uri, req.path ?? "/", m.ignoreUriCase === true);
            if (r === undefined) conditional.push(`uri ${JSON.stringify(m.uri)}`);
            else ok &&= r;
        }
        if (m.method !== undefined) {
            const r = stringMatch(m.method, req.method ?? "GET");
            if (r === undefined) conditional.push(`method ${JSON.stringify(m.method)}`);
            else ok &&= r;
        }
        if (m.authority !== undefined) {
            const r = stringMatch(m.authority, req.host, true);
            if (r === undefined) conditional.push(`authority ${JSON.stringify(m.authority)}`);
            else ok &&= r;
        }
        for (const k of Object.keys(m)) {
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
