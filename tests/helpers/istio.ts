/**
 * Small, literal models of what istiod does with Gateways, VirtualServices and DestinationRules, for tests that
 * judge the generated objects by Istio's rules rather than by our own expectations. Each function cites the Istio
 * source it follows (istio/istio at a release-1.30-era commit, v0.0.0-20260827124520-eed52ebb66ad); it models only
 * the part of the behaviour the tests need, and says so.
 *
 * (The access report, sdk/analysis, is being reworked to model the same choices; until it does, these are the
 * tests' evaluators.)
 */
import type { K8sObject } from "../../sdk/model";
import { hostsOverlap, listAt, num, recordAt, shown, stringAt, stringRecord, valueAt } from "../../sdk/model";

const NETWORKING = "networking.istio.io";
const isIstio = (o: K8sObject, kind: string) => o.kind === kind && String(o.apiVersion).startsWith(`${NETWORKING}/`);
const nsOf = (o: K8sObject) => o.metadata.namespace ?? "default";
/** The strings of the list at `keys` below `v` (hosts, gateways, exportTo); other items are left out. */
const stringsAt = (v: unknown, ...keys: (string | number)[]): string[] => listAt(v, ...keys).filter((x): x is string => typeof x === "string");

/** A gateway proxy: its pod's namespace (its config namespace) and labels. */
export interface GatewayProxy {
    namespace: string;
    labels: Record<string, string>;
}

/**
 * The Gateway objects that configure `proxy`: pilot/pkg/model/push_context.go `mergeGateways` — every Gateway,
 * in every namespace (`gatewayIndex.all`) unless istiod runs with PILOT_SCOPE_GATEWAY_TO_NAMESPACE
 * (`gatewayIndex.namespace[proxy.ConfigNamespace]`); a Gateway without a selector applies to every gateway
 * proxy, one with a selector when `selector.SubsetOf(proxy.Labels)`.
 */
export function gatewaysApplyingTo(objects: K8sObject[], proxy: GatewayProxy, opts: { scopeGatewayToNamespace?: boolean } = {}): K8sObject[] {
    return objects.filter((g) => {
        if (!isIstio(g, "Gateway")) return false;
        if (opts.scopeGatewayToNamespace && nsOf(g) !== proxy.namespace) return false;
        const selector = stringRecord(valueAt(g, "spec", "selector"));
        return Object.entries(selector).every(([k, v]) => proxy.labels[k] === v);
    });
}

/** `namespace/name` of a gateway reference written in a VirtualService in `vsNamespace`: pilot/pkg/model/config.go `resolveGatewayName`. */
export function resolveGatewayName(ref: string, vsNamespace: string): string {
    if (ref === "mesh") return ref;
    if (!ref.includes("/")) {
        if (!ref.includes(".")) return `${vsNamespace}/${ref}`;
        const [name, ns] = ref.split(".");
        return `${ns}/${name}`;
    }
    const [ns, name] = ref.split("/");
    return ns === "." ? `${vsNamespace}/${name}` : ref;
}

/**
 * A server's `hosts` after pilot/pkg/model/gateway.go `sanitizeServerHostNamespace`: `./h` becomes
 * `<gateway namespace>/h`, `*\/h` becomes `h` (any namespace), a bare `h` stays (any namespace).
 */
export function sanitizedServerHosts(server: unknown, gatewayNamespace: string): string[] {
    return stringsAt(server, "hosts").map((h) => {
        if (!h.includes("/")) return h;
        const [ns, name] = h.split("/");
        if (ns === ".") return `${gatewayNamespace}/${name}`;
        if (ns === "*") return name;
        return h;
    });
}

/**
 * The server hosts a VirtualService of `vsNamespace` may bind: pilot/pkg/networking/core/gateway.go
 * `pickMatchingGatewayHosts` (TCP/TLS) and pkg/config/host/names.go `NamesForNamespace` (HTTP): a `ns/host`
 * entry only for VirtualServices of `ns`, a bare host for every namespace.
 */
export function serverHostsVisibleTo(server: unknown, gatewayNamespace: string, vsNamespace: string): string[] {
    return sanitizedServerHosts(server, gatewayNamespace).flatMap((h) => {
        if (!h.includes("/")) return [h];
        const [ns, name] = h.split("/");
        return ns === vsNamespace ? [name] : [];
    });
}

/** Does the VirtualService `vs` attach to `server` of Gateway `gateway` (it binds the Gateway and a host overlaps)? */
export function attachesToServer(vs: K8sObject, gateway: K8sObject, server: unknown): boolean {
    const gwName = `${nsOf(gateway)}/${gateway.metadata.name}`;
    const bound = stringsAt(vs, "spec", "gateways").map((g) => resolveGatewayName(g, nsOf(vs)));
    if (!bound.includes(gwName)) return false;
    const visible = serverHostsVisibleTo(server, nsOf(gateway), nsOf(vs));
    return stringsAt(vs, "spec", "hosts").some((h) => visible.some((s) => hostsOverlap(s, h)));
}

/**
 * The VirtualServices bound to a Gateway, in the order a gateway proxy of `proxyNamespace` sees them:
 * pilot/pkg/model/push_context.go `VirtualServicesForGateway` — those exported only to the proxy's namespace
 * first, then the public ones — each group in istiod's config order (pilot/pkg/model/config.go
 * `configCompareByCreationTime`: creation time, then name, then namespace). `metadata.creationTimestamp` (ISO)
 * orders them; objects without one count as created at the same instant.
 */
export function virtualServicesForGateway(objects: K8sObject[], gateway: K8sObject, proxyNamespace: string): K8sObject[] {
    const gwName = `${nsOf(gateway)}/${gateway.metadata.name}`;
    const created = (o: K8sObject) => shown(o.metadata.creationTimestamp ?? "");
    const cmp = (a: K8sObject, b: K8sObject) =>
        created(a) < created(b)
            ? -1
            : created(a) > created(b)
              ? 1
              : a.metadata.name < b.metadata.name
                ? -1
                : a.metadata.name > b.metadata.name
                  ? 1
                  : nsOf(a) < nsOf(b)
                    ? -1
                    : nsOf(a) > nsOf(b)
                      ? 1
                      : 0;
    const bound = objects
        .filter(
            (o) =>
                isIstio(o, "VirtualService") &&
                stringsAt(o, "spec", "gateways")
                    .map((g) => resolveGatewayName(g, nsOf(o)))
                    .includes(gwName),
        )
        .sort(cmp);
    const exportTo = (o: K8sObject): string[] =>
        (listAt(o, "spec", "exportTo").length ? stringsAt(o, "spec", "exportTo") : ["*"]).map((e) => (e === "." ? nsOf(o) : e));
    const scoped = bound.filter((o) => !exportTo(o).includes("*") && exportTo(o).includes(proxyNamespace));
    const pub = bound.filter((o) => exportTo(o).includes("*"));
    return [...scoped, ...pub];
}

/**
 * Where a TLS-terminating TCP server (e.g. `protocol: TLS`, `tls.mode: ISTIO_MUTUAL`) forwards: pilot/pkg/networking/
 * core/gateway.go `buildGatewayNetworkFiltersFromTCPRoutes` — the FIRST VirtualService (in
 * `virtualServicesForGateway` order) whose hosts overlap the server's (`pickMatchingGatewayHosts`, host.Name.Matches)
 * and that has a `tcp` route whose match fits the server's port and the Gateway (`l4MultiMatch`). Istio builds one
 * filter chain per server; the filter chain is chosen by SNI, its destination this way.
 */
export function tcpServerDestination(
    objects: K8sObject[],
    gateway: K8sObject,
    server: unknown,
    proxyNamespace: string,
): { virtualService: string; destination: { host: string | undefined; port?: number } } | undefined {
    const gwName = `${nsOf(gateway)}/${gateway.metadata.name}`;
    for (const vs of virtualServicesForGateway(objects, gateway, proxyNamespace)) {
        const visible = serverHostsVisibleTo(server, nsOf(gateway), nsOf(vs));
        if (!stringsAt(vs, "spec", "hosts").some((h) => visible.some((s) => hostsOverlap(s, h)))) continue;
        for (const tcp of listAt(vs, "spec", "tcp")) {
            const matches = listAt(tcp, "match");
            const fits = (m: unknown) =>
                (!valueAt(m, "port") || valueAt(m, "port") === valueAt(server, "port", "number")) &&
                (!(listAt(m, "gateways").length > 0) ||
                    stringsAt(m, "gateways")
                        .map((g) => resolveGatewayName(g, nsOf(vs)))
                        .includes(gwName));
            if ((matches.length === 0 || matches.some(fits)) && listAt(tcp, "route").length > 0) {
                const d = valueAt(tcp, "route", 0, "destination");
                return {
                    virtualService: `${nsOf(vs)}/${vs.metadata.name}`,
                    destination: { host: stringAt(d, "host"), port: num(valueAt(d, "port", "number")) },
                };
            }
        }
    }
    return undefined;
}

/**
 * The errors Istio's validation reports for a DestinationRule's ClientTLSSettings:
 * pkg/config/validation/agent/validation.go `ValidateTLS` (the rules about credentialName, insecureSkipVerify
 * and MUTUAL's client certificate; the `configmap://` credential form is not modelled).
 */
export function clientTlsErrors(tls: unknown): string[] {
    if (!tls) return [];
    const t = recordAt(tls);
    const out: string[] = [];
    const skip = t.insecureSkipVerify === true;
    if (skip && t.mode === "SIMPLE" && (t.caCertificates || t.credentialName || t.subjectAltNames)) {
        out.push("cannot specify CaCertificates or CredentialName or SubjectAltNames when InsecureSkipVerify is set true");
    }
    if (skip && t.mode === "MUTUAL" && (t.caCertificates || t.subjectAltNames)) {
        out.push("cannot specify CaCertificates or SubjectAltNames when InsecureSkipVerify is set true");
    }
    if ((t.mode === "SIMPLE" || t.mode === "MUTUAL") && t.credentialName) {
        if (t.clientCertificate || t.caCertificates || t.privateKey || t.caCrl) {
            out.push("cannot specify client certificates or CA certificate or CA CRL If credentialName is set");
        }
        return out;
    }
    if (t.mode === "MUTUAL") {
        if (!t.clientCertificate) out.push("client certificate required for mutual tls");
        if (!t.privateKey) out.push("private key required for mutual tls");
    }
    return out;
}

/** Every ClientTLSSettings of a DestinationRule (top level, port level, subsets and their port levels), with where. */
export function destinationRuleTls(dr: K8sObject): { at: string; tls: unknown }[] {
    const out: { at: string; tls: unknown }[] = [];
    const policy = (p: unknown, at: string) => {
        if (!p) return;
        const tls = valueAt(p, "tls");
        if (tls) out.push({ at: `${at}.tls`, tls });
        listAt(p, "portLevelSettings").forEach((s, i) => {
            const portTls = valueAt(s, "tls");
            if (portTls) out.push({ at: `${at}.portLevelSettings[${i}].tls`, tls: portTls });
        });
    };
    policy(valueAt(dr, "spec", "trafficPolicy"), "spec.trafficPolicy");
    listAt(dr, "spec", "subsets").forEach((s, i) => policy(valueAt(s, "trafficPolicy"), `spec.subsets[${i}].trafficPolicy`));
    return out;
}

/**
 * The errors Istio's validation reports for one Gateway server `hosts` entry: pkg/config/validation/validation.go
 * `validateServer` → pkg/config/validation/agent/validation.go `ValidateNamespaceSlashWildcardHostname` (namespace
 * part `.`, `*` or a DNS-1123 label) and `validateSidecarOrGatewayHostnamePart` (no short names, a wildcard only
 * as the whole leftmost label). IP hosts are not modelled.
 */
export function gatewayServerHostErrors(entry: string): string[] {
    const out: string[] = [];
    let host = entry;
    if (entry.includes("/")) {
        const [ns, h] = [entry.slice(0, entry.indexOf("/")), entry.slice(entry.indexOf("/") + 1)];
        if (ns.length === 0 || h.length === 0) out.push("config namespace and dnsName in host entry cannot be empty");
        if (ns !== "*" && ns !== "." && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns)) out.push(`invalid namespace value ${JSON.stringify(ns)} in gateway`);
        host = h;
    }
    if (host !== "*" && !host.includes(".")) out.push("short names (non FQDN) are not allowed");
    const labels = host === "*" ? [] : host.split(".");
    if (labels.some((l, i) => (l.includes("*") && !(i === 0 && l === "*")) || (l !== "*" && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/i.test(l)))) {
        out.push("partial wildcard or invalid label");
    }
    return out;
}

/**
 * Which installed control-plane revisions' injector webhooks inject a pod: manifests/charts/istio-control/
 * istio-discovery/templates/mutatingwebhook.yaml. For each revision `r` (`""` is the default revision):
 * `rev.namespace.` — namespace `istio.io/rev: r` (the default revision also answers to `default`) without
 * `istio-injection`; `rev.object.` — namespace with neither label, pod `istio.io/rev: r`; and, for the default
 * revision only, `namespace.` — namespace `istio-injection: enabled` — and `object.` — namespace with neither
 * label, pod `sidecar.istio.io/inject: "true"` without `istio.io/rev`. Every webhook skips pods labelled
 * `sidecar.istio.io/inject: "false"`. (`enableNamespacesByDefault` and revision tags pointing at a revision
 * behave like the revision's own webhooks and are not modelled separately.)
 */
export function injectingRevisions(revisions: string[], namespaceLabels: Record<string, string>, podLabels: Record<string, string>): string[] {
    if (podLabels["sidecar.istio.io/inject"] === "false") return [];
    const nsRev = namespaceLabels["istio.io/rev"];
    const nsInj = namespaceLabels["istio-injection"];
    const podRev = podLabels["istio.io/rev"];
    return revisions.filter((r) => {
        const names = r === "" ? ["default"] : [r];
        if (nsRev !== undefined && names.includes(nsRev) && nsInj === undefined) return true;
        if (nsRev === undefined && nsInj === undefined && podRev !== undefined && names.includes(podRev)) return true;
        if (r === "") {
            if (nsInj === "enabled") return true;
            if (nsRev === undefined && nsInj === undefined && podLabels["sidecar.istio.io/inject"] === "true" && podRev === undefined) return true;
        }
        return false;
    });
}
