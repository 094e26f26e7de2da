/**
 * Policy `egress-tls-origination-verified`: TLS originated towards an external host must verify the host's
 * certificate. The component originates TLS at the egress gateway with DestinationRules whose `tls` says SIMPLE or
 * MUTUAL with `insecureSkipVerify: false` (sdk/manifests/routing.ts originationDestinationRule: "verifying its
 * certificate"); `insecureSkipVerify: true` makes istiod build the upstream TLS context with an empty validation
 * context and no SAN check (pilot/pkg/networking/core/cluster_tls.go: "If ... tls.InsecureSkipVerify is true, don't
 * set up SdsSecretConfig"; setAutoSniAndAutoSanValidation skips auto_san_validation), so anyone on the path can
 * answer for the host: the egress audit then names a host the data never reached.
 *
 * Judged: a DestinationRule whose `host` is not cluster-local (a single label, `*.svc`, `*.cluster.local` are
 * in-mesh), in every TLS setting Istio reads — `trafficPolicy.tls`, `trafficPolicy.portLevelSettings[].tls`, and the
 * same under each `subsets[]` — whose mode is SIMPLE or MUTUAL. A string or any other non-boolean value counts as
 * true (fail closed; the API server rejects it).
 */
import { resourcePolicy } from "../lib/policy";
import { isClusterLocalHost, isTrue } from "../lib/facts";
import { ISTIO_NETWORKING, listAt, recordAt, shown, valueAt } from "../../sdk/model";

/** Every TLS setting of a DestinationRule, with where it sits. */
function tlsSettings(spec: unknown): { tls: unknown; at: string }[] {
    const out: { tls: unknown; at: string }[] = [];
    const ofPolicy = (tp: unknown, at: string) => {
        const p = recordAt(tp);
        if (p.tls !== undefined) out.push({ tls: p.tls, at: `${at}.tls` });
        listAt(p, "portLevelSettings").forEach((pl, i) => {
            const tls = recordAt(pl).tls;
            if (tls !== undefined) out.push({ tls, at: `${at}.portLevelSettings[${i}].tls` });
        });
    };
    ofPolicy(valueAt(spec, "trafficPolicy"), "spec.trafficPolicy");
    listAt(spec, "subsets").forEach((s, i) => ofPolicy(recordAt(s).trafficPolicy, `spec.subsets[${i}].trafficPolicy`));
    return out;
}

export function originationProblems(kind: string, group: string, obj: unknown): string[] {
    if (kind !== "DestinationRule" || group !== ISTIO_NETWORKING) return [];
    const host = valueAt(obj, "spec", "host");
    if (typeof host === "string" && isClusterLocalHost(host)) return [];
    const out: string[] = [];
    for (const { tls, at } of tlsSettings(valueAt(obj, "spec"))) {
        const t = recordAt(tls);
        if (t.mode !== "SIMPLE" && t.mode !== "MUTUAL") continue;
        if (t.insecureSkipVerify === undefined || t.insecureSkipVerify === null || !isTrue(t.insecureSkipVerify)) continue;
        out.push(
            `${at}.insecureSkipVerify is true for the external host "${shown(host)}": the ${t.mode} TLS originated there accepts any certificate, so anyone on the path can answer for the host; remove it (give caCertificates or rely on the system roots, and subjectAltNames).`,
        );
    }
    return out;
}

export const egressTlsOriginationVerified = resourcePolicy({
    name: "egress-tls-origination-verified",
    appliesTo: (k) => k === "DestinationRule",
    description: "TLS originated towards external hosts must verify the host's certificate (no insecureSkipVerify).",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Remove insecureSkipVerify from DestinationRules of external hosts; give caCertificates (or rely on the system roots) and subjectAltNames.",
    config: ["exemptNamespaces"],
    configDefaults: { exemptNamespaces: [] },
    scopeByNamespace: "exempt-only",
    check: (o) => originationProblems(o.kind, o.group, o.props),
});
