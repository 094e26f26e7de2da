/** Policy `no-open-service-entry`: its rule (pure functions over Kubernetes objects) next to its declaration. */
import { GuardConfig } from "../lib/config";
import { resourcePolicy } from "../lib/policy";
import { listAt, parseCidr, outsideRanges, NON_INTERNET_IPV4, NON_INTERNET_IPV6, shown, valueAt } from "../../sdk/model";
import { DEFAULT_IN_CLUSTER_CIDRS } from "../lib/config";

/** A `*` host, or a TCP port with passthrough resolution and no addresses (matches every destination on the port). */
export function openServiceEntryProblems(
    kind: string,
    group: string,
    obj: unknown,
    cfg?: Pick<GuardConfig, "inClusterCidrs" | "allowedEgressCidrs">,
): string[] {
    if (kind !== "ServiceEntry" || group !== "networking.istio.io") return [];
    const out: string[] = [];
    const spec = valueAt(obj, "spec");
    if (listAt(spec, "hosts").includes("*")) {
        out.push(`spec.hosts contains "*", which makes every host reachable: list the external hosts by name.`);
    }
    // An address range wider than a /16 (IPv4) or /32 (IPv6) of public space matches a large part of the internet:
    // like a "*" host, it makes every destination in it reachable through this entry.
    listAt(spec, "addresses").forEach((a, i) => {
        if (typeof a !== "string" || !a.includes("/")) return;
        try {
            const c = parseCidr(a);
            const wide = c.family === 4 ? c.prefix < 16 : c.prefix < 32;
            if (
                wide &&
                outsideRanges(
                    a,
                    [],
                    [...(cfg?.inClusterCidrs ?? DEFAULT_IN_CLUSTER_CIDRS), ...(cfg?.allowedEgressCidrs ?? []), ...NON_INTERNET_IPV4, ...NON_INTERNET_IPV6],
                ).length > 0
            ) {
                out.push(
                    `spec.addresses[${i}] ${a} covers a public range (wider than /${c.family === 4 ? 16 : 32}), which, like host "*", makes every destination in it reachable: list the external hosts' own addresses.`,
                );
            }
        } catch {
            out.push(`spec.addresses[${i}] ${JSON.stringify(a)} is not a valid CIDR: fix it.`);
        }
    });
    const resolution = valueAt(spec, "resolution") ?? "NONE";
    if (resolution === "NONE" && listAt(spec, "addresses").length === 0) {
        listAt(spec, "ports").forEach((p, i) => {
            const protocol = valueAt(p, "protocol") ?? "";
            // A protocol that is not a string is none Istio knows: judged as the most open one, TCP (fail closed).
            const proto = typeof protocol === "string" ? protocol.toUpperCase() : "TCP";
            if (proto === "" || proto === "TCP") {
                const port = shown(valueAt(p, "number"));
                out.push(
                    `spec.ports[${i}] (${port}) is TCP with resolution NONE and no addresses, so it matches every destination on port ${port}: set addresses, use resolution DNS, or use a TLS/HTTP protocol.`,
                );
            }
        });
    }
    return out;
}

export const noOpenServiceEntry = resourcePolicy({
    name: "no-open-service-entry",
    appliesTo: (k) => k === "ServiceEntry",
    description: "ServiceEntries must name their hosts and must not pass through every destination on a TCP port.",
    enforcementLevel: "mandatory",
    remediationSteps: 'Replace host "*" with the external host names; give TCP ports addresses or use resolution DNS.',
    config: ["exemptNamespaces", "inClusterCidrs", "allowedEgressCidrs"],
    configDefaults: { exemptNamespaces: [] },
    scopeByNamespace: "exempt-only",
    check: (o, cfg) => openServiceEntryProblems(o.kind, o.group, o.props, cfg),
});
