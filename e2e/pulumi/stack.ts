/**
 * The Pulumi suites' workspace: the real `pulumi` CLI against a file backend, PULUMI_HOME and stack config files
 * in a temp dir, so nothing is written into the repository (e2e/smoke.sh has the same environment, explained).
 *
 * `pulumi stack init` writes the stack's config file (`Pulumi.<stack>.yaml`, holding the passphrase's salt) into
 * the project's directory and takes no `--config-file`; so each stack is initialised in a temp directory holding
 * only a `Pulumi.yaml` with the same project name, and every later command runs the real program
 * (`pulumi -C <program dir>`) with `--config-file` pointing at that temp file.
 */
import * as fs from "fs";
import * as path from "path";
import { listAt, recordAt, stringAt } from "../../sdk/model/read";
import { REPO, run, RunResult, tempDir, toolsEnv } from "../lib/tools";

/** The cluster run.sh started (KUBECONFIG), or E2E_KUBECONFIG. */
export function kubeconfig(): string {
    const k = process.env.E2E_KUBECONFIG ?? process.env.KUBECONFIG;
    if (!k)
        throw new Error("no cluster: KUBECONFIG is not set (run the suite with npm run test:e2e, which starts the local control plane, or set E2E_KUBECONFIG)");
    return k;
}

export class Workspace {
    readonly dir: string;
    readonly env: NodeJS.ProcessEnv;
    /**
     * The local istio/gateway chart under its own name (`<dir>/charts/gateway`, a symlink to E2E_GATEWAY_CHART): the
     * component requires the chart's name, by which the policy pack knows the gateway's Release (sdk/plan).
     */
    readonly chart: string;

    constructor(prefix: string) {
        this.dir = tempDir(prefix);
        const tools = toolsEnv();
        fs.mkdirSync(path.join(this.dir, "state"));
        fs.mkdirSync(path.join(this.dir, "charts"));
        this.chart = path.join(this.dir, "charts", "gateway");
        fs.symlinkSync(tools.E2E_GATEWAY_CHART!, this.chart);
        this.env = {
            ...tools,
            KUBECONFIG: kubeconfig(),
            PULUMI_HOME: path.join(this.dir, "home"),
            PULUMI_BACKEND_URL: `file://${path.join(this.dir, "state")}`,
            PULUMI_CONFIG_PASSPHRASE: "istio-egress-e2e",
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            // `npm run build` has type-checked every program already; ts-node's own type check costs minutes.
            PULUMI_NODEJS_TRANSPILE_ONLY: "true",
        };
    }

    pulumiBin(): string {
        return this.env.E2E_PULUMI ?? "pulumi";
    }

    /** Creates stack `organization/<project>/<stack>` for the program in `programDir`, with plain config values. */
    stack(project: string, stack: string, programDir: string, config: Record<string, string>): Stack {
        const init = path.join(this.dir, "init", project);
        fs.mkdirSync(init, { recursive: true });
        fs.writeFileSync(path.join(init, "Pulumi.yaml"), `name: ${project}\nruntime: nodejs\n`);
        const fqsn = `organization/${project}/${stack}`;
        const r = run(this.pulumiBin(), ["stack", "init", fqsn, "--non-interactive"], { cwd: init, env: this.env });
        if (r.code !== 0) throw new Error(`pulumi stack init ${fqsn} exited ${r.code}: ${r.stderr}`);
        const configFile = path.join(init, `Pulumi.${stack}.yaml`);
        const lines = Object.entries(config).map(([k, v]) => `  ${k.includes(":") ? k : `${project}:${k}`}: ${JSON.stringify(v)}`);
        fs.appendFileSync(configFile, `config:\n${lines.join("\n")}\n`);
        return new Stack(this, fqsn, programDir, configFile, init);
    }

    cleanup(): void {
        if (process.env.E2E_KEEP !== "1") fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

/** One step of `pulumi preview --json` / `pulumi up --json`. */
export interface Step {
    op: string;
    urn: string;
}

export class Stack {
    constructor(
        readonly ws: Workspace,
        readonly fqsn: string,
        public programDir: string,
        readonly configFile: string,
        private readonly initDir: string,
    ) {}

    /** `pulumi <cmd> ... --stack S --config-file F --non-interactive`, run on the program's directory. */
    pulumi(args: string[], opts: { withConfig?: boolean; timeoutMs?: number } = {}): RunResult {
        const full = ["-C", this.programDir, ...args, "--stack", this.fqsn, "--non-interactive"];
        if (opts.withConfig !== false) full.push("--config-file", this.configFile);
        return run(this.ws.pulumiBin(), full, { cwd: this.ws.dir, env: this.ws.env, timeoutMs: opts.timeoutMs ?? 600_000 });
    }

    /** Like `pulumi`, but a non-zero exit throws with the tail of the output. */
    pulumiOk(args: string[], opts: { withConfig?: boolean; timeoutMs?: number } = {}): RunResult {
        const r = this.pulumi(args, opts);
        if (r.code !== 0)
            throw new Error(
                `pulumi ${args.join(" ")} (${this.fqsn}) exited ${r.code}\n--- stdout\n${r.stdout.slice(-6000)}\n--- stderr\n${r.stderr.slice(-3000)}`,
            );
        return r;
    }

    /** The steps `pulumi preview --json` proposes (each resource's op: same, create, update, replace, delete, ...). */
    previewSteps(extra: string[] = []): Step[] {
        const r = this.pulumiOk(["preview", "--json", ...extra]);
        return listAt(JSON.parse(r.stdout) as unknown, "steps").map((s) => {
            const [op, urn] = [stringAt(s, "op"), stringAt(s, "urn")];
            if (op === undefined || urn === undefined)
                throw new Error(`pulumi preview --json (${this.fqsn}): a step without a string op and urn: ${JSON.stringify(s)}`);
            return { op, urn };
        });
    }

    outputs(): Record<string, unknown> {
        return recordAt(JSON.parse(this.pulumiOk(["stack", "output", "--json"], { withConfig: false }).stdout) as unknown);
    }

    /** The stack's resources from `pulumi stack export`: type, URN, and (Kubernetes) their outputs. */
    resources(): { type: string; urn: string; outputs?: unknown }[] {
        const state: unknown = JSON.parse(this.pulumiOk(["stack", "export"], { withConfig: false }).stdout);
        return listAt(state, "deployment", "resources").map((r) => {
            const [type, urn] = [stringAt(r, "type"), stringAt(r, "urn")];
            if (type === undefined || urn === undefined)
                throw new Error(`pulumi stack export (${this.fqsn}): a resource without a string type and urn: ${JSON.stringify(r)}`);
            return { type, urn, outputs: recordAt(r).outputs };
        });
    }

    remove(): void {
        run(this.ws.pulumiBin(), ["stack", "rm", this.fqsn, "--yes", "--force", "--non-interactive"], { cwd: this.initDir, env: this.ws.env });
    }
}

/** Ops that change an existing resource's identity or remove it. */
export const DESTRUCTIVE_OPS = new Set(["replace", "create-replacement", "delete-replaced", "delete", "discard", "remove-pending-replace"]);

export function summarize(steps: Step[]): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const s of steps) (out[s.op] ??= []).push(s.urn.split("::").slice(-2).join("::"));
    return out;
}

export { REPO };
