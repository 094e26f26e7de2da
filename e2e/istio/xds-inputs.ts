/**
 * Writes what the Go cross-check of the access report (e2e/tools/istio/xdscheck) reads: for the reference stack
 * (examples/blog-scenario) and the ASM example (examples/asm-tutorial), rendered with the real CLI, a directory
 * `OUT/<example>/` holding
 *
 * - `objects.yaml`: every object render wrote, then the gateway chart's own objects (`helm template`), one YAML
 *   stream;
 * - `render.json`: render's JSON (its `report` is the access report under test, `outputs` the stack's outputs).
 *
 *     node dist/e2e/istio/xds-inputs.js OUT      # e2e/run.sh runs it and exports E2E_XDS_INPUTS=OUT
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { cleanup, ExampleName, renderForIstio } from "./examples";

export const XDS_EXAMPLES: ExampleName[] = ["blog-scenario", "asm-tutorial"];

export function writeXdsInputs(out: string): void {
    for (const name of XDS_EXAMPLES) {
        const r = renderForIstio(name);
        try {
            const dir = path.join(out, name);
            fs.mkdirSync(dir, { recursive: true });
            const objects = [...r.objects, ...r.charts.flatMap((c) => c.objects)];
            fs.writeFileSync(path.join(dir, "objects.yaml"), objects.map((o) => YAML.stringify(o)).join("---\n"));
            if (r.stacks.length !== 1) throw new Error(`${name}: expected one stack, got ${r.stacks.length}`);
            fs.writeFileSync(path.join(dir, "render.json"), JSON.stringify(r.stacks[0].json, null, 2));
        } finally {
            cleanup(r);
        }
    }
}

if (require.main === module) {
    const out = process.argv[2];
    if (!out) {
        process.stderr.write("usage: node dist/e2e/istio/xds-inputs.js OUT_DIR\n");
        process.exit(2);
    }
    writeXdsInputs(path.resolve(out));
    process.stdout.write(`wrote ${XDS_EXAMPLES.join(", ")} to ${out}\n`);
}
