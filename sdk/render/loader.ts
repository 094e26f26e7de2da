/**
 * Loading a Pulumi program (`Pulumi.yaml` + entry file) into this process, TypeScript included.
 *
 * `.ts` files are compiled on the fly with `ts.transpileModule` (transpile-only, like ts-node's
 * `--transpile-only`): module `Node16`, which emits CommonJS for `.ts` files while keeping dynamic `import()`
 * (needed for ESM-only packages such as `@kubernetes-models/istio`). The hook is scoped:
 * - it is installed only while a program loads and runs, and the previous `.ts` handler (if any) is restored;
 * - it compiles only files outside `node_modules` (a `.ts` file inside a dependency is an error, named);
 * - `.js` files — this package's own `dist/` code included — never go through it;
 * - a relative `./x.js` import from a compiled `.ts` file that has no `x.js` next to it resolves to `x.ts`
 *   (the Node16 convention of writing `.js` in TypeScript sources).
 * The program's own files (everything the hook compiled, and every module under the program directory) are
 * removed from `require.cache` before and after each run, so a program can be rendered twice in one process.
 */
import * as fs from "fs";
import * as path from "path";
import { DataFileError, parseData } from "./data";
import { errorMessage, isRecord, shown } from "../model/read";

/** A module as Node's CommonJS loader hands it to an extension handler. */
interface LoadingModule {
    _compile(code: string, filename: string): unknown;
}

/** The internals of Node's CommonJS loader (`lib/internal/modules/cjs/loader.js`) the TypeScript hook replaces; not in @types/node. */
interface ModuleInternals {
    _extensions: Record<string, ((module: LoadingModule, filename: string) => void) | undefined>;
    _resolveFilename: (this: unknown, request: string, parent: unknown, ...rest: unknown[]) => string;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the loader's internals live on the CommonJS `module` export itself
const Module = require("module") as ModuleInternals;

export class ProgramLoadError extends Error {}

export interface PulumiProject {
    name: string;
    runtime: string;
    /** Absolute path of the entry file. */
    entry: string;
    dir: string;
    /** Project-level config defaults from Pulumi.yaml (`config: {key: {default: v}}` or `key: v`). */
    configDefaults: Record<string, string>;
}

function configValue(v: unknown, where: string): string {
    if (v && typeof v === "object" && "secure" in v) {
        throw new ProgramLoadError(`${where}: secure (encrypted) config values cannot be decrypted offline; pass the value with --config`);
    }
    return typeof v === "string" ? v : JSON.stringify(v);
}

/** A project or stack file, parsed with render's bounds (sdk/render/data.ts: aliases, cycles, size). */
function readYaml(file: string): unknown {
    try {
        return parseData(fs.readFileSync(file, "utf8"), file);
    } catch (err) {
        if (err instanceof DataFileError) throw new ProgramLoadError(err.message);
        throw new ProgramLoadError(
            `${file}: cannot be read (${shown((err as { code?: unknown } | null | undefined)?.code ?? errorMessage(err).split("\n")[0])})`,
        );
    }
}

function configMapping(config: unknown, file: string): Record<string, unknown> {
    if (config === undefined || config === null) return {};
    if (typeof config !== "object" || Array.isArray(config)) {
        throw new ProgramLoadError(`${file}: config: must be a mapping of key: value`);
    }
    return config as Record<string, unknown>;
}

/** Qualifies a config key with the project name unless it already has a namespace (`ns:key`). */
export function qualifyKey(project: string, key: string): string {
    return key.includes(":") ? key : `${project}:${key}`;
}

/** Reads and checks `DIR/Pulumi.yaml` and finds the entry file. */
export function readProject(dir: string): PulumiProject {
    const abs = path.resolve(dir);
    const file = ["Pulumi.yaml", "Pulumi.yml"].map((f) => path.join(abs, f)).find((f) => fs.existsSync(f));
    if (!file) {
        throw new ProgramLoadError(`${abs}: no Pulumi.yaml (is this a Pulumi program directory?)`);
    }
    const doc = readYaml(file);
    if (!isRecord(doc)) {
        throw new ProgramLoadError(`${file}: expected a mapping with name and runtime`);
    }
    const name = doc.name;
    if (typeof name !== "string" || name.length === 0) {
        throw new ProgramLoadError(`${file}: name: required (a non-empty string)`);
    }
    const runtime = typeof doc.runtime === "string" ? doc.runtime : (doc.runtime as { name?: unknown } | null | undefined)?.name;
    if (runtime !== "nodejs") {
        throw new ProgramLoadError(`${file}: runtime: "${shown(runtime ?? "")}" is not supported; render runs nodejs programs only`);
    }
    const configDefaults: Record<string, string> = {};
    for (const [k, v] of Object.entries(configMapping(doc.config, file))) {
        if (v && typeof v === "object" && !Array.isArray(v) && !("secure" in v)) {
            if ("default" in v) {
                configDefaults[qualifyKey(name, k)] = configValue(v.default, `${file}: config.${k}.default`);
            } else if ("value" in v) {
                configDefaults[qualifyKey(name, k)] = configValue(v.value, `${file}: config.${k}.value`);
            }
        } else if (v !== null && v !== undefined) {
            configDefaults[qualifyKey(name, k)] = configValue(v, `${file}: config.${k}`);
        }
    }
    const entry = findEntry(abs, typeof doc.main === "string" ? doc.main : undefined, file);
    return { name, runtime, entry, dir: abs, configDefaults };
}

function findEntry(dir: string, main: string | undefined, projectFile: string): string {
    const base = main ? path.resolve(dir, main) : dir;
    if (main && fs.existsSync(base) && fs.statSync(base).isFile()) {
        return base;
    }
    if (!fs.existsSync(base)) {
        throw new ProgramLoadError(`${projectFile}: main: "${main}" does not exist`);
    }
    const pkg = path.join(base, "package.json");
    if (fs.existsSync(pkg)) {
        let m: unknown;
        try {
            m = (JSON.parse(fs.readFileSync(pkg, "utf8")) as { main?: unknown } | null)?.main;
        } catch (err: unknown) {
            throw new ProgramLoadError(`${pkg}: not valid JSON: ${errorMessage(err).split("\n")[0]}`);
        }
        if (typeof m === "string") {
            const p = path.resolve(base, m);
            for (const c of [p, `${p}.ts`, `${p}.js`, path.join(p, "index.ts"), path.join(p, "index.js")]) {
                if (fs.existsSync(c) && fs.statSync(c).isFile()) {
                    return c;
                }
            }
            throw new ProgramLoadError(`${pkg}: main: "${m}" does not exist`);
        }
    }
    for (const c of ["index.ts", "index.js"]) {
        if (fs.existsSync(path.join(base, c))) {
            return path.join(base, c);
        }
    }
    throw new ProgramLoadError(`${base}: no entry file (Pulumi.yaml main, package.json main, index.ts or index.js)`);
}

/** Stack config: Pulumi.yaml defaults, then `Pulumi.<stack>.yaml` `config:`, then explicit values (qualified keys). */
export function stackConfig(project: PulumiProject, stack: string, overrides: Record<string, string> = {}): Record<string, string> {
    const out: Record<string, string> = { ...project.configDefaults };
    const file = ["yaml", "yml"].map((e) => path.join(project.dir, `Pulumi.${stack}.${e}`)).find((f) => fs.existsSync(f));
    if (file) {
        const doc = readYaml(file) ?? {};
        if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
            throw new ProgramLoadError(`${file}: expected a mapping (config: ...)`);
        }
        for (const [k, v] of Object.entries(configMapping((doc as Record<string, unknown>).config, file))) {
            out[qualifyKey(project.name, k)] = configValue(v, `${file}: config.${k}`);
        }
    }
    for (const [k, v] of Object.entries(overrides)) {
        out[qualifyKey(project.name, k)] = v;
    }
    return out;
}

let typescript: typeof import("typescript") | undefined;

/** Installs the scoped TypeScript hook; returns the function that removes it and the set of compiled files. */
export function installTsHook(): { restore: () => void; compiled: Set<string> } {
    const compiled = new Set<string>();
    const extensions = Module._extensions;
    const previousTs = extensions[".ts"];
    const previousResolve = Module._resolveFilename;
    extensions[".ts"] = function (module: LoadingModule, filename: string) {
        if (filename.split(path.sep).includes("node_modules") || filename.endsWith(".d.ts")) {
            if (previousTs) {
                return previousTs(module, filename);
            }
            throw new ProgramLoadError(
                `${filename}: a TypeScript file inside node_modules or a .d.ts cannot be loaded; depend on the package's compiled JavaScript`,
            );
        }
        try {
            // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when a TypeScript program is rendered (an optional dependency)
            typescript ??= require("typescript") as typeof import("typescript");
        } catch {
            throw new ProgramLoadError(`${filename}: rendering a TypeScript program needs the "typescript" package (npm install --save-dev typescript)`);
        }
        const ts = typescript;
        const out = ts.transpileModule(fs.readFileSync(filename, "utf8"), {
            fileName: filename,
            compilerOptions: {
                module: ts.ModuleKind.Node16,
                moduleResolution: ts.ModuleResolutionKind.Node16,
                target: ts.ScriptTarget.ES2022,
                esModuleInterop: true,
                inlineSourceMap: true,
            },
            reportDiagnostics: false,
        });
        compiled.add(filename);
        module._compile(out.outputText, filename);
    };
    Module._resolveFilename = function (this: unknown, request: string, parent: unknown, ...rest: unknown[]) {
        try {
            return previousResolve.call(this, request, parent, ...rest);
        } catch (err) {
            const filename = (parent as { filename?: unknown } | null | undefined)?.filename;
            const from = typeof filename === "string" ? filename : undefined;
            if (from && compiled.has(from) && request.startsWith(".") && request.endsWith(".js")) {
                const ts = path.resolve(path.dirname(from), request.slice(0, -3) + ".ts");
                if (fs.existsSync(ts)) {
                    return ts;
                }
            }
            throw err;
        }
    };
    return {
        compiled,
        restore: () => {
            if (previousTs) {
                extensions[".ts"] = previousTs;
            } else {
                delete extensions[".ts"];
            }
            Module._resolveFilename = previousResolve;
        },
    };
}

/** Removes the program's modules from require.cache: files under `dir` (outside node_modules) and `extra`. */
export function clearProgramCache(dir: string, extra: Iterable<string> = []): void {
    const prefix = path.resolve(dir) + path.sep;
    const extraSet = new Set(extra);
    for (const key of Object.keys(require.cache)) {
        if ((key.startsWith(prefix) && !key.slice(prefix.length).split(path.sep).includes("node_modules")) || extraSet.has(key)) {
            delete require.cache[key];
        }
    }
}

/**
 * The program must see the same `@pulumi/pulumi` module as the mock engine, or its resources would go to a
 * runtime that has no mocks installed.
 */
export function checkSharedPulumi(dir: string): void {
    let theirs: string;
    try {
        theirs = require.resolve("@pulumi/pulumi", { paths: [dir] });
    } catch {
        throw new ProgramLoadError(`${dir}: @pulumi/pulumi cannot be resolved from the program directory`);
    }
    const ours = require.resolve("@pulumi/pulumi");
    if (fs.realpathSync(theirs) !== fs.realpathSync(ours)) {
        throw new ProgramLoadError(
            `${dir}: the program resolves @pulumi/pulumi to ${theirs}, but render runs with ${ours}; the in-process engine needs one shared copy (remove the program's own node_modules/@pulumi/pulumi or run render from that project)`,
        );
    }
}
