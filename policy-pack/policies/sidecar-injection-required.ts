/** Policy `sidecar-injection-required`: its rule (pure functions over Kubernetes objects) next to its declaration. */
import { GuardConfig } from "../lib/config";
import { resourcePolicy, WORKLOAD_CONFIG } from "../lib/policy";
import { templateMeta, TRUE_VALUES } from "../lib/facts";
import { isTrustedProxyImage } from "../lib/istio";
import { containerRefs, isWorkloadKind, listAt, podTemplatesOf, recordAt, shown, valueAt } from "../../sdk/model";

/**
 * A pod that runs nothing but Istio's proxy (a waypoint, a gateway: every container `istio-proxy` with a trusted
 * image, no command, `proxy ...` args) has no application traffic for a sidecar to capture. Its own privileges are
 * judged by no-proxy-escape-privileges, which needs the injector's exact shape.
 */
function onlyIstioProxies(spec: unknown, trusted: readonly string[]): boolean {
    if (listAt(spec, "containers").length === 0) return false;
    return containerRefs(spec).every((r) => {
        const c = recordAt(r.c);
        if (c.name !== "istio-proxy" || r.field === "ephemeralContainers" || c.command !== undefined) return false;
        if (!isTrustedProxyImage(c.image, trusted)) return false;
        return c.args === undefined || valueAt(c.args, 0) === "proxy";
    });
}

/** Pods and pod templates that opt out of the mesh; Namespace objects that switch injection off. */
export function sidecarInjectionProblems(kind: string, obj: unknown, cfg: GuardConfig): string[] {
    const out: string[] = [];
    if (kind === "Namespace") {
        const labels = recordAt(obj, "metadata", "labels");
        const ambient = labels["istio.io/dataplane-mode"] === "ambient";
        const inj = labels["istio-injection"];
        if (inj !== undefined && inj !== "enabled" && !ambient) {
            out.push(`label istio-injection: "${shown(inj)}" turns sidecar injection off for the whole namespace: set it to "enabled" (or use istio.io/rev).`);
        }
        for (const where of ["labels", "annotations"] as const) {
            const v = recordAt(obj, "metadata", where)["sidecar.istio.io/inject"];
            if (v !== undefined && !TRUE_VALUES.has(shown(v).toLowerCase()) && !ambient) {
                out.push(
                    `${where.slice(0, -1)} sidecar.istio.io/inject: "${shown(v)}" on the namespace: remove it and label the namespace istio-injection: enabled.`,
                );
            }
        }
        if (labels["istio.io/dataplane-mode"] === "none") {
            out.push(`label istio.io/dataplane-mode: none takes the namespace out of the mesh: remove it.`);
        }
        return out;
    }
    for (const t of podTemplatesOf(kind, obj)) {
        // A pod that runs nothing but Istio's proxy (a waypoint, a gateway) has no application traffic to capture.
        if (onlyIstioProxies(t.spec, cfg.trustedProxyImages)) continue;
        const labels = recordAt(t.metadata, "labels");
        const annotations = recordAt(t.metadata, "annotations");
        // Istio prefers the label over the annotation; any value but y/yes/true/on (or empty) means "do not inject".
        const fromLabel = labels["sidecar.istio.io/inject"];
        const inject = fromLabel !== undefined ? fromLabel : annotations["sidecar.istio.io/inject"];
        const ambientPod = labels["istio.io/dataplane-mode"] === "ambient";
        if (inject !== undefined && shown(inject) !== "" && !TRUE_VALUES.has(shown(inject).toLowerCase()) && !ambientPod) {
            const field = fromLabel !== undefined ? "labels" : "annotations";
            out.push(
                `${templateMeta(t.path)}.${field} sidecar.istio.io/inject: "${shown(inject)}" skips the sidecar, so this pod's egress bypasses the egress gateway: remove it.`,
            );
        }
        if (labels["istio.io/dataplane-mode"] === "none") {
            out.push(`${templateMeta(t.path)}.labels istio.io/dataplane-mode: none takes the pod out of the ambient mesh: remove it.`);
        }
        const mode = annotations["sidecar.istio.io/interceptionMode"];
        if (mode !== undefined && mode !== "REDIRECT") {
            out.push(
                `${templateMeta(t.path)}.annotations sidecar.istio.io/interceptionMode: "${shown(mode)}" departs from the mesh default (REDIRECT): remove it.`,
            );
        }
    }
    return out;
}

export const sidecarInjectionRequired = resourcePolicy({
    name: "sidecar-injection-required",
    appliesTo: (k) => isWorkloadKind(k) || k === "Namespace",
    description: "Workloads must not opt out of the mesh: no sidecar means no egress gateway.",
    enforcementLevel: "mandatory",
    remediationSteps:
        'Remove sidecar.istio.io/inject: "false" (label or annotation), istio.io/dataplane-mode: none and sidecar.istio.io/interceptionMode from pod templates; label application namespaces istio-injection: enabled.',
    config: [...WORKLOAD_CONFIG, "trustedProxyImages"],
    scopeByNamespace: "workloads",
    check: (o, cfg) => sidecarInjectionProblems(o.kind, o.props, cfg),
});
