/**
 * The benchmark driver: runs every measurement in its own child process, subject and floor in alternating
 * order, repeats each case as often as its time budget allows (median), and compares ratios with the targets.
 *
 * Sections:
 *  - component: `EgressGateway` under the mock engine vs the same objects registered directly (child.ts, cases.ts);
 *  - pack: the istio-egress-guard policies vs a no-op pack through the same harness, on synthetic stacks;
 *  - check: `istio-egress check FILE` vs parsing FILE's YAML only, both as whole processes;
 *  - cold start: `require` of the package vs of the raw Pulumi modules it uses, in fresh processes.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { ComponentMeasurement, PackMeasurement } from "./cases";
import type { ChildSpec } from "./child";
import { HostShape, syntheticYaml } from "./workloads";
import { num, valueAt } from "../sdk/model/read";

export interface BenchConfig {
    component: { hosts: number[]; namespaces: number[] };
    pack: { sizes: number[] };
    check: { documents: number };
    /** Time budget per section, in seconds: each case gets an equal share of what is left of its section. */
    budgetSec: { component: number; pack: number; check: number; coldStart: number };
    /** Repetitions per case: at least `min` (even over budget), at most `max`. */
    reps: { min: number; max: number };
    /** Progress lines (stderr by default in run.ts). */
    log?: (line: string) => void;
}

/** The full benchmark (`npm run bench`), sized to finish within 5 minutes on a 2-core machine. */
export const FULL_CONFIG: BenchConfig = {
    component: { hosts: [10, 100, 1000], namespaces: [10, 100] },
    pack: { sizes: [1000, 10000] },
    check: { documents: 10000 },
    budgetSec: { component: 140, pack: 35, check: 35, coldStart: 15 },
    reps: { min: 1, max: 5 },
};

/** Targets, as stated in issue 6. */
export const TARGETS = {
    componentToFloor: 1.2,
    resourcesPerHost: 2,
    packToNoop: 1.5,
    /** t(10x)/t(x) for a tenfold size step; scaled to other steps as 1.2 × the step. */
    linearPerTenfold: 12,
};

export type Verdict = "PASS" | "MISS" | "n/a";

export interface Timing {
    /** Median CPU time over the repetitions (user + system, all threads): what the ratios compare. */
    ms: number;
    /** The CPU time of each repetition. */
    samples: number[];
    /** Median wall-clock time. */
    wallMs: number;
    /** Median peak RSS of the child processes, MiB. */
    rssMiB: number;
}

export interface ComponentRow {
    hosts: number;
    namespaces: number;
    reps: number;
    component: Timing;
    floor: Timing;
    ratio: number;
    ratioVerdict: Verdict;
    children: number;
    perNamespace: number;
    perHostObjects: number;
    /** Per-host objects divided by hosts. */
    perHost: number;
    /** (children − per-namespace children) / hosts: what each host costs with the shared objects spread over them. */
    childrenExcludingNamespacesPerHost: number;
    shared: number;
    perHostByShape: Partial<Record<HostShape, number>>;
    perHostVerdict: Verdict;
    dependencyEdges: { component: number; floor: number };
}

export interface LinearityRow {
    section: "component" | "pack";
    /** What stays fixed (e.g. `namespaces=10`). */
    fixed: string;
    from: number;
    to: number;
    subject: number;
    floor: number;
    target: number;
    verdict: Verdict;
}

export interface PackRow {
    size: number;
    reps: number;
    pack: Timing;
    noop: Timing;
    ratio: number;
    verdict: Verdict;
    /** Policies in the pack (the no-op pack has as many). */
    policies: number;
    violations: number;
    mandatory: number;
    kinds: Record<string, number>;
}

export interface CheckRow {
    documents: number;
    reps: number;
    check: Timing;
    parse: Timing;
    ratio: number;
    exitCode: number;
    /** The object count the CLI reported in its summary. */
    objectsChecked: number;
    fileMiB: number;
}

export interface ColdStartRow {
    reps: number;
    package: Timing;
    raw: Timing;
    ratio: number;
    /** Whole process (node start, require, exit), wall-clock medians, ms. */
    processWallMs: { package: number; raw: number };
}

export type PackSection = { available: true; rows: PackRow[] } | { available: false; reason: string };

export interface BenchReport {
    date: string;
    machine: { nproc: number; cpu: string; node: string; platform: string; totalMemMiB: number };
    elapsedSec: number;
    targets: typeof TARGETS;
    component: ComponentRow[];
    pack: PackSection;
    linearity: LinearityRow[];
    check: CheckRow;
    coldStart: ColdStartRow;
}

// -------------------------------------------------------------------------------------------------------------
// Children
// -------------------------------------------------------------------------------------------------------------

const NODE = process.execPath;
const DIST_BENCH = __dirname;
const CLI = path.resolve(__dirname, "../sdk/cli/main.js");

export function median(xs: number[]): number {
    if (xs.length === 0) throw new Error("median of nothing");
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function lastJsonLine(stdout: string, what: string): unknown {
    const line = stdout.trim().split("\n").pop() ?? "";
    try {
        return JSON.parse(line) as unknown;
    } catch {
        throw new Error(`${what}: the child printed no JSON result (last line: ${JSON.stringify(line.slice(0, 200))})`);
    }
}

function runChild<T>(spec: ChildSpec): { result: T; maxRssKiB: number; wallMs: number } {
    const start = process.hrtime.bigint();
    const r = spawnSync(NODE, [path.join(DIST_BENCH, "child.js"), JSON.stringify(spec)], { encoding: "utf8", maxBuffer: 64 << 20 });
    const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
    if (r.status !== 0) {
        throw new Error(`bench child ${JSON.stringify(spec)} failed (${r.status ?? r.signal}): ${r.stderr || r.error?.message}`);
    }
    const what = `bench child ${JSON.stringify(spec)}`;
    const out = lastJsonLine(r.stdout, what);
    const maxRssKiB = num(valueAt(out, "maxRssKiB"));
    if (maxRssKiB === undefined || valueAt(out, "result") === undefined) throw new Error(`${what}: its JSON has no result and numeric maxRssKiB`);
    // The child is ours (child.ts): it prints the case's own measurement as its result.
    return { result: valueAt(out, "result") as T, maxRssKiB, wallMs };
}

/** Runs `node -r rss-preload.js args...` and times the whole process. */
function runProcess(args: string[], okCodes: number[]): { wallMs: number; cpuMs: number; maxRssKiB: number; stdout: string; status: number } {
    const rssFile = path.join(os.tmpdir(), `istio-egress-bench-rss-${process.pid}-${Math.random().toString(36).slice(2)}.json`);
    const start = process.hrtime.bigint();
    const r = spawnSync(NODE, ["-r", path.join(DIST_BENCH, "rss-preload.js"), ...args], {
        encoding: "utf8",
        maxBuffer: 256 << 20,
        env: { ...process.env, BENCH_RSS_FILE: rssFile },
    });
    const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
    if (r.status === null || !okCodes.includes(r.status)) {
        throw new Error(`node ${args.join(" ")} exited ${r.status ?? r.signal}: ${(r.stderr || r.error?.message || "").slice(0, 2000)}`);
    }
    let usage: { maxRssKiB: number; cpuMs: number };
    try {
        const u: unknown = JSON.parse(fs.readFileSync(rssFile, "utf8"));
        const [maxRssKiB, cpuMs] = [num(valueAt(u, "maxRssKiB")), num(valueAt(u, "cpuMs"))];
        if (maxRssKiB === undefined || cpuMs === undefined) throw new Error(`node ${args.join(" ")}: ${rssFile} has no numeric maxRssKiB and cpuMs`);
        usage = { maxRssKiB, cpuMs };
    } finally {
        fs.rmSync(rssFile, { force: true });
    }
    return { wallMs, ...usage, stdout: r.stdout, status: r.status };
}

// -------------------------------------------------------------------------------------------------------------
// Repetition under a budget
// -------------------------------------------------------------------------------------------------------------

/** Splits a section's budget over its cases as they run: each case gets an equal share of what is left. */
class Budget {
    private readonly deadline: number;
    private left: number;
    constructor(seconds: number, cases: number) {
        this.deadline = Date.now() + seconds * 1000;
        this.left = cases;
    }
    /** The share of the next case, in ms. */
    nextShare(): number {
        const share = Math.max(0, this.deadline - Date.now()) / Math.max(this.left, 1);
        this.left--;
        return share;
    }
}

/**
 * Runs `pair(i)` (one measurement of the subject and one of the floor, order alternating with `i`) as many times
 * as the case's share of the budget allows, within [min, max].
 */
function repeat<P>(share: number, reps: BenchConfig["reps"], pair: (i: number) => P): P[] {
    if (!(reps.min >= 1 && reps.max >= reps.min)) throw new Error(`reps must satisfy 1 <= min <= max; got ${JSON.stringify(reps)}`);
    const out: P[] = [];
    const start = Date.now();
    for (let i = 0; i < reps.max; i++) {
        if (i >= reps.min) {
            const perPair = (Date.now() - start) / i;
            if (Date.now() - start + perPair > share) break;
        }
        out.push(pair(i));
    }
    return out;
}

function timing(samples: { cpuMs: number; wallMs: number; maxRssKiB: number }[]): Timing {
    return {
        ms: median(samples.map((s) => s.cpuMs)),
        samples: samples.map((s) => Math.round(s.cpuMs * 10) / 10),
        wallMs: median(samples.map((s) => s.wallMs)),
        rssMiB: Math.round(median(samples.map((s) => s.maxRssKiB)) / 1024),
    };
}

function verdict(ok: boolean): Verdict {
    return ok ? "PASS" : "MISS";
}

/** Alternates which of the two goes first, so that drift and noise hit both. */
function alternate<A, B>(i: number, a: () => A, b: () => B): [A, B] {
    if (i % 2 === 0) {
        const x = a();
        return [x, b()];
    }
    const y = b();
    return [a(), y];
}

// -------------------------------------------------------------------------------------------------------------
// Sections
// -------------------------------------------------------------------------------------------------------------

function sameCounts(a: ComponentMeasurement, b: ComponentMeasurement): void {
    const ta = JSON.stringify(Object.entries(a.types).sort());
    const tb = JSON.stringify(Object.entries(b.types).sort());
    if (a.children !== b.children || ta !== tb || a.perHost !== b.perHost || a.perNamespace !== b.perNamespace) {
        throw new Error(`floor and component differ for ${a.hosts} hosts x ${a.namespaces} namespaces: ${ta} vs ${tb}`);
    }
}

function componentSection(cfg: BenchConfig, log: (s: string) => void): ComponentRow[] {
    const cases = cfg.component.namespaces.flatMap((namespaces) => cfg.component.hosts.map((hosts) => ({ hosts, namespaces })));
    // Small cases first: what they leave of the budget goes to the large ones.
    cases.sort((a, b) => a.hosts * (a.namespaces + 10) - b.hosts * (b.namespaces + 10));
    const budget = new Budget(cfg.budgetSec.component, cases.length);
    const rows: ComponentRow[] = [];
    for (const { hosts, namespaces } of cases) {
        const share = budget.nextShare();
        const pairs = repeat(share, cfg.reps, (i) =>
            alternate(
                i,
                () => runChild<ComponentMeasurement>({ case: "component", hosts, namespaces, subject: "component" }),
                () => runChild<ComponentMeasurement>({ case: "component", hosts, namespaces, subject: "floor" }),
            ),
        );
        const [first, firstFloor] = [pairs[0][0].result, pairs[0][1].result];
        sameCounts(first, firstFloor);
        const component = timing(pairs.map(([c]) => ({ cpuMs: c.result.cpuMs, wallMs: c.result.ms, maxRssKiB: c.maxRssKiB })));
        const floor = timing(pairs.map(([, f]) => ({ cpuMs: f.result.cpuMs, wallMs: f.result.ms, maxRssKiB: f.maxRssKiB })));
        const ratio = component.ms / floor.ms;
        const perHost = first.perHost / hosts;
        rows.push({
            hosts,
            namespaces,
            reps: pairs.length,
            component,
            floor,
            ratio,
            ratioVerdict: verdict(ratio <= TARGETS.componentToFloor),
            children: first.children,
            perNamespace: first.perNamespace,
            perHostObjects: first.perHost,
            perHost,
            childrenExcludingNamespacesPerHost: (first.children - first.perNamespace) / hosts,
            shared: first.shared,
            perHostByShape: first.perHostByShape,
            perHostVerdict: verdict(perHost <= TARGETS.resourcesPerHost),
            dependencyEdges: { component: first.dependencyEdges, floor: firstFloor.dependencyEdges },
        });
        log(`component ${hosts} hosts x ${namespaces} ns: ${fmtMs(component.ms)} vs floor ${fmtMs(floor.ms)} = ${ratio.toFixed(2)}x (${pairs.length} reps)`);
    }
    // Report in the natural order.
    return rows.sort((a, b) => a.namespaces - b.namespaces || a.hosts - b.hosts);
}

function packSection(cfg: BenchConfig, log: (s: string) => void): PackSection {
    try {
        require.resolve("istio-egress-guard/lib");
    } catch {
        return { available: false, reason: "pack not available: istio-egress-guard is not installed (npm ci at the repository root links it)" };
    }
    const budget = new Budget(cfg.budgetSec.pack, cfg.pack.sizes.length);
    const rows: PackRow[] = [];
    for (const size of [...cfg.pack.sizes].sort((a, b) => a - b)) {
        const pairs = repeat(budget.nextShare(), cfg.reps, (i) =>
            alternate(
                i,
                () => runChild<PackMeasurement>({ case: "pack", size, subject: "pack" }),
                () => runChild<PackMeasurement>({ case: "pack", size, subject: "noop" }),
            ),
        );
        const first = pairs[0][0].result;
        const noopFirst = pairs[0][1].result;
        if (first.resources !== size || noopFirst.resources !== size) throw new Error(`pack stack of ${size}: got ${first.resources} resources`);
        if (noopFirst.violations !== 0) throw new Error(`the no-op pack reported ${noopFirst.violations} violations`);
        if (noopFirst.policies !== first.policies) throw new Error(`the no-op pack has ${noopFirst.policies} policies, the pack ${first.policies}`);
        const pack = timing(pairs.map(([p]) => ({ cpuMs: p.result.cpuMs, wallMs: p.result.ms, maxRssKiB: p.maxRssKiB })));
        const noop = timing(pairs.map(([, n]) => ({ cpuMs: n.result.cpuMs, wallMs: n.result.ms, maxRssKiB: n.maxRssKiB })));
        const ratio = pack.ms / noop.ms;
        rows.push({
            size,
            reps: pairs.length,
            pack,
            noop,
            ratio,
            verdict: verdict(ratio <= TARGETS.packToNoop),
            policies: first.policies,
            violations: first.violations,
            mandatory: first.mandatory,
            kinds: first.kinds,
        });
        log(`pack ${size} resources: ${fmtMs(pack.ms)} vs no-op ${fmtMs(noop.ms)} = ${ratio.toFixed(2)}x (${pairs.length} reps)`);
    }
    return { available: true, rows };
}

function checkSection(cfg: BenchConfig, log: (s: string) => void): CheckRow {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "istio-egress-bench-"));
    try {
        const file = path.join(dir, `stack-${cfg.check.documents}.yaml`);
        fs.writeFileSync(file, syntheticYaml(cfg.check.documents));
        const fileMiB = fs.statSync(file).size / (1 << 20);
        const budget = new Budget(cfg.budgetSec.check, 1);
        const pairs = repeat(budget.nextShare(), cfg.reps, (i) =>
            alternate(
                i,
                () => runProcess([CLI, "check", file], [0, 1]),
                () => runProcess([path.join(DIST_BENCH, "parse-yaml.js"), file], [0]),
            ),
        );
        const [c0, p0] = pairs[0];
        const summary = /in (\d+) object\(s\) from \d+ file\(s\)\s*$/.exec(c0.stdout.trim());
        if (!summary) throw new Error(`istio-egress check printed no summary line: ${c0.stdout.trim().split("\n").pop()}`);
        const parsed = Number(/^(\d+) document/.exec(p0.stdout)?.[1]);
        if (parsed !== cfg.check.documents) throw new Error(`the YAML floor parsed ${parsed} documents, not ${cfg.check.documents}`);
        const check = timing(pairs.map(([c]) => c));
        const parse = timing(pairs.map(([, p]) => p));
        log(`check ${cfg.check.documents} documents: ${fmtMs(check.ms)} vs parse ${fmtMs(parse.ms)} (${pairs.length} reps)`);
        return {
            documents: cfg.check.documents,
            reps: pairs.length,
            check,
            parse,
            ratio: check.ms / parse.ms,
            exitCode: c0.status,
            objectsChecked: Number(summary[1]),
            fileMiB: Math.round(fileMiB * 10) / 10,
        };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

function coldStartSection(cfg: BenchConfig, log: (s: string) => void): ColdStartRow {
    const one = (subject: "package" | "raw") => {
        const start = process.hrtime.bigint();
        const r = spawnSync(NODE, [path.join(DIST_BENCH, "coldstart.js"), subject], { encoding: "utf8" });
        const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
        if (r.status !== 0) throw new Error(`cold start (${subject}) failed: ${r.stderr}`);
        const out = lastJsonLine(r.stdout, `cold start (${subject})`) as { ms: number; cpuMs: number; maxRssKiB: number };
        // Timing: CPU and wall time of the loading itself; processWallMs: the whole process.
        return { cpuMs: out.cpuMs, wallMs: out.ms, maxRssKiB: out.maxRssKiB, processWallMs: wallMs };
    };
    const budget = new Budget(cfg.budgetSec.coldStart, 1);
    // Cold start is cheap and noisy: at least 3 repetitions when the config allows as many.
    const pairs = repeat(budget.nextShare(), { min: Math.min(3, cfg.reps.max), max: cfg.reps.max }, (i) =>
        alternate(
            i,
            () => one("package"),
            () => one("raw"),
        ),
    );
    const pkg = timing(pairs.map(([p]) => p));
    const raw = timing(pairs.map(([, r]) => r));
    log(`cold start: package ${fmtMs(pkg.ms)} vs raw modules ${fmtMs(raw.ms)} (${pairs.length} reps)`);
    return {
        reps: pairs.length,
        package: pkg,
        raw,
        ratio: pkg.ms / raw.ms,
        processWallMs: { package: median(pairs.map(([p]) => p.processWallMs)), raw: median(pairs.map(([, r]) => r.processWallMs)) },
    };
}

function linearity(component: ComponentRow[], pack: PackSection): LinearityRow[] {
    const rows: LinearityRow[] = [];
    const step = (from: number, to: number) => (TARGETS.linearPerTenfold / 10) * (to / from);
    const namespaces = [...new Set(component.map((r) => r.namespaces))];
    for (const ns of namespaces) {
        const byHosts = component.filter((r) => r.namespaces === ns).sort((a, b) => a.hosts - b.hosts);
        if (byHosts.length < 2) continue;
        const [a, b] = byHosts.slice(-2);
        const subject = b.component.ms / a.component.ms;
        const target = step(a.hosts, b.hosts);
        rows.push({
            section: "component",
            fixed: `namespaces=${ns}`,
            from: a.hosts,
            to: b.hosts,
            subject,
            floor: b.floor.ms / a.floor.ms,
            target,
            verdict: verdict(subject <= target),
        });
    }
    if (pack.available && pack.rows.length >= 2) {
        const [a, b] = pack.rows.slice(-2);
        const subject = b.pack.ms / a.pack.ms;
        const target = step(a.size, b.size);
        rows.push({
            section: "pack",
            fixed: "mixed stack",
            from: a.size,
            to: b.size,
            subject,
            floor: b.noop.ms / a.noop.ms,
            target,
            verdict: verdict(subject <= target),
        });
    }
    return rows;
}

/** Runs the whole benchmark. Synchronous child processes, one at a time: a measurement never shares the CPU with another. */
export function runBench(cfg: BenchConfig): Promise<BenchReport> {
    // Synchronous work; a throw still reaches the caller as a rejection, as from the async function it was.
    return new Promise((resolve) => resolve(benchReport(cfg)));
}

function benchReport(cfg: BenchConfig): BenchReport {
    const log = cfg.log ?? (() => undefined);
    const start = Date.now();
    const component = componentSection(cfg, log);
    const pack = packSection(cfg, log);
    const check = checkSection(cfg, log);
    const coldStart = coldStartSection(cfg, log);
    const cpus = os.cpus();
    return {
        date: new Date().toISOString(),
        machine: {
            nproc: os.availableParallelism?.() ?? cpus.length,
            cpu: cpus[0]?.model ?? "unknown",
            node: process.version,
            platform: `${os.platform()} ${os.release()}`,
            totalMemMiB: Math.round(os.totalmem() / (1 << 20)),
        },
        elapsedSec: Math.round((Date.now() - start) / 100) / 10,
        targets: TARGETS,
        component,
        pack,
        linearity: linearity(component, pack),
        check,
        coldStart,
    };
}

// -------------------------------------------------------------------------------------------------------------
// The table
// -------------------------------------------------------------------------------------------------------------

function fmtMs(ms: number): string {
    return ms >= 10000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}

function table(header: string[], rows: string[][]): string {
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
    return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

const SHAPE_ABBREV: Record<HostShape, string> = { HTTP: "http", TLS_ORIGINATION: "orig", TLS: "tls", MUTUAL_TLS_ORIGINATION: "mtls", TLS_WILDCARD: "wild" };

/** The report as the small text table `npm run bench` prints. */
export function formatReport(r: BenchReport): string {
    const out: string[] = [];
    out.push(`istio-egress benchmark — ${r.date} — ${r.machine.nproc} CPUs (${r.machine.cpu}), node ${r.machine.node}, ${r.elapsedSec} s`);
    out.push("Ratios are what the targets judge. Times are CPU time (user + system, all threads) of the measured work, medians of the");
    out.push("repetitions (reps); wall-clock medians are in the JSON. RSS is each child process's peak (process.resourceUsage().maxRSS).");
    out.push("");
    out.push(
        `Component construction under the mock engine (preview) vs the floor (the same objects registered directly); target ≤ ${TARGETS.componentToFloor}x`,
    );
    out.push(
        table(
            [
                "hosts x ns",
                "reps",
                "component",
                "floor",
                "ratio",
                "",
                "children",
                "per-ns",
                "per host",
                "(ch-ns)/host",
                "shared",
                "",
                "dep edges comp/floor",
                "RSS comp/floor",
            ],
            r.component.map((c) => [
                `${c.hosts} x ${c.namespaces}`,
                String(c.reps),
                fmtMs(c.component.ms),
                fmtMs(c.floor.ms),
                `${c.ratio.toFixed(2)}x`,
                c.ratioVerdict,
                String(c.children),
                String(c.perNamespace),
                c.perHost.toFixed(2),
                c.childrenExcludingNamespacesPerHost.toFixed(2),
                String(c.shared),
                c.perHostVerdict,
                `${c.dependencyEdges.component}/${c.dependencyEdges.floor}`,
                `${c.component.rssMiB}/${c.floor.rssMiB} MiB`,
            ]),
        ),
    );
    const shapes = r.component.find((c) => Object.keys(c.perHostByShape).length === 5) ?? r.component[r.component.length - 1];
    if (shapes) {
        out.push(
            `Resources per host by shape (target ≤ ${TARGETS.resourcesPerHost} per host + shared): ` +
                Object.entries(shapes.perHostByShape)
                    .map(([k, v]) => `${SHAPE_ABBREV[k as HostShape] ?? k} ${v}`)
                    .join(", ") +
                `; shared ${[...new Set(r.component.map((c) => c.shared))].join("/")} (constant across sizes: ${new Set(r.component.map((c) => c.shared)).size === 1 ? "yes" : "NO"})`,
        );
    }
    out.push("");
    if (r.pack.available) {
        out.push(
            `Policy pack (${r.pack.rows[0]?.policies} policies) vs a no-op pack (same harness, same policies' names/config, validations only read metadata); target ≤ ${TARGETS.packToNoop}x`,
        );
        out.push(
            table(
                ["resources", "reps", "pack", "no-op", "ratio", "", "violations (mandatory)", "RSS pack/no-op"],
                r.pack.rows.map((p) => [
                    String(p.size),
                    String(p.reps),
                    fmtMs(p.pack.ms),
                    fmtMs(p.noop.ms),
                    `${p.ratio.toFixed(2)}x`,
                    p.verdict,
                    `${p.violations} (${p.mandatory})`,
                    `${p.pack.rssMiB}/${p.noop.rssMiB} MiB`,
                ]),
            ),
        );
    } else {
        out.push(`Policy pack: ${r.pack.reason}`);
    }
    out.push("");
    out.push(`Linearity (target t(10x)/t(x) ≤ ${TARGETS.linearPerTenfold}, scaled for other steps)`);
    out.push(
        table(
            ["section", "fixed", "step", "subject", "floor", "target", ""],
            r.linearity.map((l) => [
                l.section,
                l.fixed,
                `${l.from} -> ${l.to}`,
                `${l.subject.toFixed(2)}`,
                `${l.floor.toFixed(2)}`,
                `≤ ${l.target.toFixed(1)}`,
                l.verdict,
            ]),
        ),
    );
    out.push("");
    const c = r.check;
    out.push(`istio-egress check on ${c.documents} documents (${c.fileMiB} MiB) vs parsing the YAML only; whole processes (node start to exit); no target`);
    out.push(
        table(
            ["documents", "reps", "check", "parse", "ratio", "wall check/parse", "exit", "objects checked", "RSS check/parse"],
            [
                [
                    String(c.documents),
                    String(c.reps),
                    fmtMs(c.check.ms),
                    fmtMs(c.parse.ms),
                    `${c.ratio.toFixed(2)}x`,
                    `${fmtMs(c.check.wallMs)}/${fmtMs(c.parse.wallMs)}`,
                    String(c.exitCode),
                    String(c.objectsChecked),
                    `${c.check.rssMiB}/${c.parse.rssMiB} MiB`,
                ],
            ],
        ),
    );
    out.push("");
    const s = r.coldStart;
    out.push("Cold start: require the package vs the raw @pulumi/pulumi + @pulumi/kubernetes modules it uses (fresh process each); no target");
    out.push(
        table(
            ["reps", "package", "raw", "ratio", "wall pkg/raw", "process wall pkg/raw", "RSS pkg/raw"],
            [
                [
                    String(s.reps),
                    fmtMs(s.package.ms),
                    fmtMs(s.raw.ms),
                    `${s.ratio.toFixed(2)}x`,
                    `${fmtMs(s.package.wallMs)}/${fmtMs(s.raw.wallMs)}`,
                    `${fmtMs(s.processWallMs.package)}/${fmtMs(s.processWallMs.raw)}`,
                    `${s.package.rssMiB}/${s.raw.rssMiB} MiB`,
                ],
            ],
        ),
    );
    return out.join("\n") + "\n";
}

// -------------------------------------------------------------------------------------------------------------
// Diagnosis: what ways of registering cost (`npm run bench -- --diagnose`)
// -------------------------------------------------------------------------------------------------------------

export interface DiagnoseRow {
    hosts: number;
    namespaces: number;
    variant: ComponentMeasurement["subject"];
    reps: number;
    timing: Timing;
    /** Median time relative to the plain floor's. */
    ratio: number;
    dependencyEdges: number;
}

const VARIANTS: ComponentMeasurement["subject"][] = ["floor", "component", "floor+deps", "floor+fan-in", "floor+outputs"];

/**
 * Runs the component, the floor and the floor variants (see cases.ts `FloorVariant`) at the given sizes, rotating
 * the order every repetition, and reports each one's median time relative to the plain floor.
 */
export function diagnose(sizes: { hosts: number; namespaces: number }[], reps: number, log: (s: string) => void = () => undefined): DiagnoseRow[] {
    const rows: DiagnoseRow[] = [];
    for (const { hosts, namespaces } of sizes) {
        const samples = new Map(VARIANTS.map((v) => [v, [] as { cpuMs: number; wallMs: number; maxRssKiB: number; edges: number }[]]));
        for (let i = 0; i < reps; i++) {
            for (let k = 0; k < VARIANTS.length; k++) {
                const variant = VARIANTS[(i + k) % VARIANTS.length];
                const m = runChild<ComponentMeasurement>({ case: "component", hosts, namespaces, subject: variant });
                samples.get(variant)!.push({ cpuMs: m.result.cpuMs, wallMs: m.result.ms, maxRssKiB: m.maxRssKiB, edges: m.result.dependencyEdges });
            }
        }
        const floorMs = median(samples.get("floor")!.map((s) => s.cpuMs));
        for (const variant of VARIANTS) {
            const s = samples.get(variant)!;
            const t = timing(s);
            rows.push({ hosts, namespaces, variant, reps, timing: t, ratio: t.ms / floorMs, dependencyEdges: s[0].edges });
            log(`diagnose ${hosts} x ${namespaces} ${variant}: ${fmtMs(t.ms)} (${(t.ms / floorMs).toFixed(2)}x floor)`);
        }
    }
    return rows;
}

export function formatDiagnosis(rows: DiagnoseRow[]): string {
    return (
        table(
            ["hosts x ns", "variant", "reps", "CPU (median)", "vs floor", "wall (median)", "dep edges", "RSS"],
            rows.map((r) => [
                `${r.hosts} x ${r.namespaces}`,
                r.variant,
                String(r.reps),
                fmtMs(r.timing.ms),
                `${r.ratio.toFixed(2)}x`,
                fmtMs(r.timing.wallMs),
                String(r.dependencyEdges),
                `${r.timing.rssMiB} MiB`,
            ]),
        ) + "\n"
    );
}
