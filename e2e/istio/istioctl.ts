/**
 * Istio's own judgement of a set of objects: `istioctl validate` (the schema's `ValidateConfig`, the same function
 * istiod's validating webhook calls — istioctl/pkg/validate/validate.go, pkg/webhooks/validation/server/server.go —
 * plus istioctl's checks of Services and Deployments) and `istioctl analyze` (every analyzer, offline on files or
 * against the API server).
 *
 * Both return what Istio said, unfiltered; `judge` turns it into a verdict: every Error fails, and every Warning or
 * Info fails unless it is on the list of explained messages (`EXPLAINED`, each pointing at the docs that explain it).
 */
import { listAt, stringAt } from "../../sdk/model/read";
import { run } from "../lib/tools";

export interface IstioMessage {
    /** `IST0101`, ...; `validate` for istioctl validate's own errors and warnings. */
    code: string;
    level: "Error" | "Warning" | "Info";
    message: string;
    /** `Kind namespace/name` (analyze) or `Kind/namespace/name` (validate). */
    origin: string;
    reference?: string;
}

/** `istioctl validate -f FILE ...`: its errors (exit 1) and warnings. */
export function istioctlValidate(files: string[]): { code: number; messages: IstioMessage[]; output: string } {
    if (files.length === 0) throw new Error("istioctlValidate: no files");
    const r = run("istioctl", ["validate", ...files.flatMap((f) => ["-f", f])]);
    const output = `${r.stdout}${r.stderr}`;
    const messages: IstioMessage[] = [];
    // `Error: N errors occurred:\n\t* Kind/ns/name: message` (hashicorp multierror, one bullet per object error)
    for (const m of output.matchAll(/^\t\* ([^:\n]+?): (.*)$/gm)) {
        messages.push({ code: "validate", level: "Error", origin: m[1], message: m[2] });
    }
    // `"FILE" has warnings: ...` and the Deployment label notice (validateDeploymentLabel)
    for (const m of output.matchAll(/^"([^"]+)" has warnings: (.*)$/gm)) {
        messages.push({ code: "validate", level: "Warning", origin: m[1], message: m[2] });
    }
    for (const m of output.matchAll(/^deployment "([^"]+)" (may not provide .*)$/gm)) {
        messages.push({ code: "validate", level: "Warning", origin: `Deployment ${m[1]}`, message: m[2] });
    }
    if (r.code !== 0 && !messages.some((m) => m.level === "Error")) {
        // An error we could not parse is still an error.
        messages.push({ code: "validate", level: "Error", origin: "istioctl validate", message: output.trim() });
    }
    return { code: r.code, messages, output };
}

export interface AnalyzeOptions {
    /** Analyze the API server's objects (KUBECONFIG) as well as the files; default false (`--use-kube=false`). */
    live?: boolean;
    /** `--suppress CODE=Kind name.namespace` (istioctl's own syntax; `*` wildcards). */
    suppress?: string[];
}

/**
 * `istioctl analyze -A -o json FILE ...`. `-A` matters: without it analyze reports only on the namespace of the
 * kubeconfig's context (`default`), and silently passes everything in `istio-egress`. Its exit code is 0 with
 * `-o json` whatever it found (istioctl 1.31-dev), so the messages are the verdict.
 */
export function istioctlAnalyze(files: string[], opts: AnalyzeOptions = {}): IstioMessage[] {
    const args = ["analyze", "--all-namespaces", "--output", "json", `--use-kube=${opts.live ? "true" : "false"}`, "--timeout", "120s"];
    for (const s of opts.suppress ?? []) args.push("--suppress", s);
    const r = run("istioctl", [...args, ...files]);
    const start = r.stdout.indexOf("[");
    if (start < 0) {
        throw new Error(`istioctl ${args.join(" ")} printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
    }
    const parsed: unknown = JSON.parse(r.stdout.slice(start));
    if (r.code !== 0 && r.code !== 79 /* analyzers found issues */) {
        throw new Error(`istioctl ${args.join(" ")} exited ${r.code}:\n${r.stderr}`);
    }
    return listAt(parsed).map((m): IstioMessage => {
        const [code, level, message] = [stringAt(m, "code"), stringAt(m, "level"), stringAt(m, "message")];
        if (code === undefined || message === undefined || (level !== "Error" && level !== "Warning" && level !== "Info")) {
            throw new Error(`istioctl ${args.join(" ")}: a message without a string code and message and a known level: ${JSON.stringify(m)}`);
        }
        return { code, level, message, origin: stringAt(m, "origin") ?? "", reference: stringAt(m, "reference") };
    });
}

/** A message Istio prints that is not a defect of the component, with where the docs explain it. */
export interface Explained {
    code: string;
    /** Matches the message's origin (`Kind namespace/name`). */
    origin: RegExp;
    /** Matches the message text. */
    message: RegExp;
    /** Why it is not a defect, and where the docs say so. */
    why: string;
}

/**
 * Messages explained in the docs rather than fixed. Each is as narrow as the message allows: its code, the kind
 * of object, and the text.
 */
export const EXPLAINED: Explained[] = [
    {
        // pkg/config/analysis/analyzers/destinationrule/ca-certificates.go warns whenever caCertificates is empty,
        // but pilot/pkg/networking/core/cluster_tls.go builds the validation context from
        // `ptr.NonEmptyOrDefault(tls.CaCertificates, "system")`: empty means the proxy's system CA bundle, with the
        // DestinationRule's subjectAltNames matched. The Go cross-check (e2e/tools/istio/xdscheck) asserts exactly
        // that on the gateway's origination cluster of every TLS_ORIGINATION host.
        code: "IST0129",
        origin: /^DestinationRule /,
        message: /has TLS mode set to SIMPLE but no caCertificates are set to validate server identity/,
        why: 'TLS origination verifies the host against the system CAs when caCertificates is empty (docs/equivalence.md, "Istio\'s own checks")',
    },
];

/**
 * Artefacts of the local control plane (no istiod, so no injection webhook): the chart's `image: auto` pods and
 * Deployment match no injection webhook (e2e/README.md, "Istio's own checks"). Suppressed by istioctl itself,
 * for exactly these kinds and codes, only when analyzing the live API server.
 */
export const LOCAL_CONTROL_PLANE_SUPPRESS = ["IST0147=Pod *", "IST0146=Deployment *"];

/** Splits Istio's messages into the explained ones and the rest (every Error is in the rest). */
export function judge(messages: IstioMessage[]): { unexplained: IstioMessage[]; explained: { message: IstioMessage; why: string }[] } {
    const unexplained: IstioMessage[] = [];
    const explained: { message: IstioMessage; why: string }[] = [];
    for (const m of messages) {
        const e = m.level === "Error" ? undefined : EXPLAINED.find((x) => x.code === m.code && x.origin.test(m.origin) && x.message.test(m.message));
        if (e) explained.push({ message: m, why: e.why });
        else unexplained.push(m);
    }
    return { unexplained, explained };
}

export function formatMessages(ms: IstioMessage[]): string {
    return ms.map((m) => `${m.level} [${m.code}] (${m.origin}${m.reference ? ` ${m.reference}` : ""}) ${m.message}`).join("\n");
}
