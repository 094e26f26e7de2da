/** Policy `registry-only-outbound`: its rule (pure functions over Kubernetes objects) next to its declaration. */
import { parse as parseYaml } from "yaml";
import { resourcePolicy, REGISTRY_KINDS } from "../lib/policy";
import { chartName, stringAt, valueAt } from "../../sdk/model";

/** `ALLOW_ANY` in a Sidecar, the istiod chart's meshConfig, an IstioOperator, or the mesh ConfigMap. */
export function allowAnyProblems(kind: string, group: string, obj: unknown): string[] {
    const msg = (where: string) => `${where} is ALLOW_ANY, so sidecars pass traffic for unknown hosts straight out: set it to REGISTRY_ONLY.`;
    if (kind === "Sidecar" && group === "networking.istio.io") {
        return valueAt(obj, "spec", "outboundTrafficPolicy", "mode") === "ALLOW_ANY" ? [msg("spec.outboundTrafficPolicy.mode")] : [];
    }
    if (kind === "Release" && chartName(valueAt(obj, "chart")) === "istiod") {
        return valueAt(obj, "values", "meshConfig", "outboundTrafficPolicy", "mode") === "ALLOW_ANY"
            ? [msg("values.meshConfig.outboundTrafficPolicy.mode")]
            : [];
    }
    if (kind === "IstioOperator") {
        return valueAt(obj, "spec", "meshConfig", "outboundTrafficPolicy", "mode") === "ALLOW_ANY" ? [msg("spec.meshConfig.outboundTrafficPolicy.mode")] : [];
    }
    const meshText = kind === "ConfigMap" ? stringAt(obj, "data", "mesh") : undefined;
    // istio's mesh ConfigMap is `istio` or `istio-<revision>`; a name that is not a string may be anything (fail closed).
    const name = valueAt(obj, "metadata", "name") ?? "";
    if (kind === "ConfigMap" && (typeof name !== "string" || /^istio(-.+)?$/.test(name)) && meshText !== undefined) {
        let mesh: unknown;
        try {
            mesh = parseYaml(meshText);
        } catch {
            return [];
        }
        return valueAt(mesh, "outboundTrafficPolicy", "mode") === "ALLOW_ANY" ? [msg("data.mesh outboundTrafficPolicy.mode")] : [];
    }
    return [];
}

export const registryOnlyOutbound = resourcePolicy({
    name: "registry-only-outbound",
    appliesTo: (k) => REGISTRY_KINDS.has(k),
    description: "Sidecars must not pass traffic for unknown hosts: no outboundTrafficPolicy ALLOW_ANY.",
    enforcementLevel: "mandatory",
    remediationSteps: "Set outboundTrafficPolicy.mode to REGISTRY_ONLY in Sidecars and in the mesh config (istiod values meshConfig).",
    config: ["exemptNamespaces"],
    configDefaults: { exemptNamespaces: [] },
    scopeByNamespace: "exempt-only",
    check: (o) => allowAnyProblems(o.kind, o.group, o.props),
});
