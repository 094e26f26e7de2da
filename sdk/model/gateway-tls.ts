/**
 * Which Istio object refuses a caller without a mesh certificate at a gateway: the Gateway's servers, never a
 * PeerAuthentication. Pure; istio/istio 1.29–1.31:
 * - pilot/pkg/networking/core/listener.go BuildListeners: a gateway proxy (Router) gets buildGatewayListeners; the
 *   mTLS settings derived from PeerAuthentication (pilot/pkg/networking/plugin/authn ForPort / ForPassthrough /
 *   ForHBONE) are only used by the sidecar inbound listeners (listener_inbound.go) and waypoints
 *   (listener_waypoint.go). A STRICT PeerAuthentication in a gateway's namespace leaves its listeners as the
 *   Gateway servers make them.
 * - listener.go BuildListenerTLSContext: a server whose `tls.mode` is MUTUAL or ISTIO_MUTUAL sets
 *   RequireClientCertificate (ISTIO_MUTUAL: validated against the mesh's root); SIMPLE, PASSTHROUGH, AUTO_PASSTHROUGH
 *   or no `tls` accept a caller without one. (Over QUIC Envoy cannot require one; our servers are TCP.)
 */
import type { K8sObject } from "./object";
import { listAt, shown, valueAt } from "./read";
import { selectorMatches } from "./selectors";

/** Whether a Gateway server's listener requires a client certificate. */
export function serverRequiresClientCertificate(server: unknown): boolean {
    const mode = valueAt(server, "tls", "mode");
    return mode === "ISTIO_MUTUAL" || mode === "MUTUAL";
}

/** Whether a PeerAuthentication's mode governs a proxy's listeners (sidecar inbound and waypoints only). */
export function peerAuthenticationApplies(proxy: "sidecar" | "gateway" | "waypoint"): boolean {
    return proxy !== "gateway";
}

export interface GatewayListenerDecision {
    /** Whether a caller without a mesh certificate completes the handshake on that port. */
    admitted: boolean;
    reason: string;
}

/**
 * Whether a caller without a mesh client certificate is admitted by a gateway pod (namespace + labels) on a
 * server port: the Gateways whose selector matches the pod (any namespace, Istio's default without
 * PILOT_SCOPE_GATEWAY_TO_NAMESPACE) make the listener; it is admitted when one of their servers on the port does
 * not require a client certificate. PeerAuthentications are deliberately not consulted (see the module comment).
 */
export function callerWithoutCertificateAdmitted(
    objects: K8sObject[],
    pod: { namespace: string; labels: Record<string, string> },
    port: number,
): GatewayListenerDecision {
    const servers = objects
        .filter((o) => o?.kind === "Gateway" && String(o.apiVersion ?? "").startsWith("networking.istio.io/"))
        .filter((g) =>
            selectorMatches(
                { matchLabels: (valueAt(g, "spec", "selector") ?? {}) as Record<string, string> },
                pod.labels,
                `Gateway ${g.metadata?.namespace}/${g.metadata?.name} spec.selector`,
            ),
        )
        .flatMap((g) => listAt(g, "spec", "servers").map((s) => ({ s, g: `${g.metadata?.namespace}/${g.metadata?.name}` })))
        .filter(({ s }) => Number(valueAt(s, "port", "number")) === port);
    if (servers.length === 0) return { admitted: false, reason: `no Gateway server on port ${port}: no listener` };
    const open = servers.find(({ s }) => !serverRequiresClientCertificate(s));
    if (open)
        return {
            admitted: true,
            reason: `Gateway ${open.g} server ${shown(valueAt(open.s, "port", "name") ?? port)} has tls.mode ${shown(valueAt(open.s, "tls", "mode") ?? "(none)")}: no client certificate required`,
        };
    return { admitted: false, reason: `every Gateway server on port ${port} is ISTIO_MUTUAL/MUTUAL: the handshake requires a client certificate` };
}
