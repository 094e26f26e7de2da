/**
 * Every example, rendered with the real CLI, with the gateway chart's own objects from `helm template`: what
 * Istio's tools judge (validate.test.ts) and what the Go cross-check of the access report reads (xds-inputs.ts).
 */
import * as fs from "fs";
import * as path from "path";
import { chartObjects, KubeObject, REPO, renderExample, Rendered, tempDir } from "../lib/tools";

export interface ExampleRender {
    /** e.g. `blog-scenario`, `multi-team` (platform + team together). */
    name: string;
    /** The stacks rendered (one, or the platform then the team for multi-team). */
    stacks: Rendered[];
    /** Every object file render wrote, over all stacks. */
    objectFiles: string[];
    objects: KubeObject[];
    /** `helm template` of each Helm release: its file and objects. */
    charts: { release: string; namespace: string; file: string; objects: KubeObject[] }[];
    /** The directory holding all of it (removed by `cleanup`). */
    dir: string;
}

export const EXAMPLES = ["blog-scenario", "asm-tutorial", "multi-team"] as const;
export type ExampleName = (typeof EXAMPLES)[number];

/** The team stack's StackReference name (examples/multi-team/team/index.ts's default `platformStack`). */
const PLATFORM_STACK = "organization/multi-team-platform/dev";

export function renderForIstio(name: ExampleName, dir = tempDir(name)): ExampleRender {
    const stacks: Rendered[] = [];
    if (name === "multi-team") {
        const platform = renderExample(path.join(REPO, "examples", "multi-team", "platform"), path.join(dir, "platform"));
        const outputs = path.join(dir, "platform-outputs.json");
        fs.writeFileSync(outputs, JSON.stringify(platform.outputs));
        // The team stack has no gateway Release of its own, so the pack cannot learn the platform's gateway Service
        // from it: name it, as a team's `--policy-pack-config` would (docs/policy-pack.md, gatewayServiceHosts).
        const policy = path.join(dir, "team-policy.json");
        fs.writeFileSync(policy, JSON.stringify({ "service-entry-via-egress-gateway": { gatewayServiceHosts: [platform.outputs.serviceHost] } }));
        const team = renderExample(path.join(REPO, "examples", "multi-team", "team"), path.join(dir, "team"), [
            "--stack-reference",
            `${PLATFORM_STACK}=${outputs}`,
            "--policy-config",
            policy,
        ]);
        stacks.push(platform, team);
    } else {
        stacks.push(renderExample(path.join(REPO, "examples", name), path.join(dir, "stack")));
    }
    const charts = stacks.flatMap((s) => s.helmReleases).map((h) => ({ release: h.release, namespace: h.namespace, ...chartObjects(h, dir) }));
    if (charts.length === 0) throw new Error(`${name}: no Helm release of the gateway chart among the rendered stacks`);
    return {
        name,
        stacks,
        objectFiles: stacks.flatMap((s) => s.objectFiles),
        objects: stacks.flatMap((s) => s.objects),
        charts: charts.map((c) => ({ release: c.release, namespace: c.namespace, file: c.file, objects: c.objects })),
        dir,
    };
}

export function cleanup(r: ExampleRender): void {
    if (process.env.E2E_KEEP !== "1") fs.rmSync(r.dir, { recursive: true, force: true });
}
