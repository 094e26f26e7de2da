/**
 * An in-process Pulumi engine built on `pulumi.runtime.setMocks`.
 *
 * It runs a Pulumi program (a function, or a program file) without the Pulumi CLI or a cluster and records
 * every resource the program registers: type token, logical name, URN, inputs, parent and dependencies. The
 * tests, the `render` command and the benchmarks all use it, so what they see is what the real engine would
 * be asked to create.
 *
 * The mock monitor of @pulumi/pulumi hands `newResource` only the type, name and inputs; the parent, the
 * dependencies and the aliases live on the gRPC request, so the monitor's `registerResource` is wrapped to read
 * them there (aliases resolved to the URNs they stand for, as the engine resolves them).
 *
 * As under the Pulumi CLI, an unhandled rejection fails the program. A run that cannot finish fails too: at once
 * when Node's event loop runs empty while it is pending, or after `timeoutMs`.
 */
import * as pulumi from "@pulumi/pulumi";
import * as settings from "@pulumi/pulumi/runtime/settings";
import * as stack from "@pulumi/pulumi/runtime/stack";
import * as debuggable from "@pulumi/pulumi/runtime/debuggable";
import type { ReadResourceRequest, ReadResourceResponse, RegisterResourceRequest, RegisterResourceResponse } from "@pulumi/pulumi/proto/resource_pb";
import { errorMessage, HELM_RELEASE_TYPE, isRecord, isWireSecret, recordAt, shown, valueAt } from "../model";

/** How long a failed run may still wait for the registrations in flight (in-process mocks answer at once). */
const FAILURE_GRACE_MS = 1000;

/** A function the SDK exports but leaves out of its typings (`@internal`), else an Error naming it. */
function internalFunction(module: unknown, name: string): () => unknown {
    const f = valueAt(module, name);
    if (typeof f !== "function") {
        throw new Error(`@pulumi/pulumi no longer exports ${name}`);
    }
    return f as () => unknown;
}

/** `waitForRPCs` is marked @internal in the SDK's typings but is what `pulumi` itself awaits before exit. */
const waitForRPCs = internalFunction(settings, "waitForRPCs") as () => Promise<void>;

/** A gRPC callback as the resource monitor calls it. */
type MonitorCallback<T> = (err: Error | null, resp: T) => void;

/** The two calls of the (mock) resource monitor the engine wraps; the SDK's client has these among its overloads. */
interface WrappedMonitor {
    registerResource(req: RegisterResourceRequest, callback: MonitorCallback<RegisterResourceResponse>): unknown;
    readResource(req: ReadResourceRequest, callback: MonitorCallback<ReadResourceResponse>): unknown;
}

export interface CapturedResource {
    urn: string;
    type: string;
    name: string;
    /** true for provider-managed resources, false for components (and the root stack). */
    custom: boolean;
    inputs: Record<string, unknown>;
    /** URN of the parent resource ("" for the root stack). */
    parent: string;
    /** URNs this resource explicitly depends on (`dependsOn` plus the engine's input dependencies). */
    dependencies: string[];
    /** Per-property dependencies: property name → URNs. */
    propertyDependencies: Record<string, string[]>;
    /**
     * The URNs the resource's aliases stand for (`aliasUrns` below): what the engine would look for in the old
     * state to adopt instead of creating a new resource.
     */
    aliases: string[];
}

/**
 * Thrown when the program did not finish: `reason` `timeout` — not within `timeoutMs`; `stalled` — Node's event
 * loop ran empty while the program was still pending, so nothing is left that could ever settle it (a promise
 * that is never resolved, an Output waiting on one).
 */
export class ProgramTimeoutError extends Error {
    constructor(
        message: string,
        readonly reason: "timeout" | "stalled",
    ) {
        super(message);
        this.name = "ProgramTimeoutError";
    }
}

export interface RunOptions {
    project?: string;
    stack?: string;
    /** Run as `pulumi preview` (true) or `pulumi up` (false, the default). */
    preview?: boolean;
    /** Stack configuration. Keys may be `project:key` or bare `key` (qualified with the project name). */
    config?: Record<string, string>;
    /**
     * Extra output state the simulated provider returns for a resource, by type token. Outputs missing from the
     * state never resolve in preview mode, so the engine fills in what real providers report (e.g. a Helm
     * release's `status`).
     */
    extraState?: Record<string, (inputs: Record<string, unknown>, name: string) => Record<string, unknown>>;
    /**
     * Outputs of other stacks, by stack name (`org/project/stack` as the program passes it to `StackReference`),
     * so that a program reading another stack's outputs can run offline. A reference to a stack not listed here
     * fails, as it would against a backend that does not know it.
     */
    stackReferences?: Record<string, Record<string, unknown>>;
    /**
     * Fail with `ProgramTimeoutError` when the program (and the registrations it started) has not finished after
     * this many milliseconds. Without it a program may run as long as it likes, but never past the point where
     * nothing is left that could settle it (then it fails at once, `reason: "stalled"`).
     */
    timeoutMs?: number;
}

export interface RunResult {
    resources: CapturedResource[];
    /** The stack outputs (the program's exports / return value), resolved. */
    outputs: Record<string, unknown>;
}

/** What a real Helm provider reports about a release once it is deployed (or planned, in preview). */
function helmReleaseState(inputs: Record<string, unknown>, name: string): Record<string, unknown> {
    return {
        status: {
            name: inputs.name ?? name,
            namespace: inputs.namespace ?? "default",
            chart: inputs.chart,
            version: inputs.version,
            revision: 1,
            status: "deployed",
        },
    };
}

const DEFAULT_EXTRA_STATE: NonNullable<RunOptions["extraState"]> = {
    [HELM_RELEASE_TYPE]: helmReleaseState,
};

function qualifyConfig(project: string, config: Record<string, string>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(config)) {
        out[k.includes(":") ? k : `${project}:${k}`] = v;
    }
    return out;
}

/** Serialises runs: the Pulumi runtime keeps global state, so two programs must never run at once. */
let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs `program` under the mock engine and returns every registered resource.
 * The program's return value (or, for a program file, its exports) becomes the stack outputs.
 * Rejects with the program's error if it throws (e.g. a `pulumi.ResourceError` from validation); the
 * resources registered before the error are attached to it as `capturedResources`.
 */
export function runProgram(program: () => unknown, options: RunOptions = {}): Promise<RunResult> {
    const run = queue.then(() => runNow(program, options));
    queue = run.catch(() => undefined);
    return run;
}

async function runNow(program: () => unknown, options: RunOptions): Promise<RunResult> {
    const project = options.project ?? "project";
    const stackName = options.stack ?? "dev";
    const stackReferences = options.stackReferences ?? {};
    const extraState: NonNullable<RunOptions["extraState"]> = {
        ...DEFAULT_EXTRA_STATE,
        "pulumi:pulumi:StackReference": (inputs: Record<string, unknown>) => {
            const outputs = valueAt(stackReferences, typeof inputs.name === "string" ? inputs.name : "");
            if (!outputs) {
                throw new Error(`unknown stack "${shown(inputs.name)}" (known: ${Object.keys(stackReferences).join(", ") || "none"})`);
            }
            return { outputs, secretOutputNames: [] };
        },
        ...(options.extraState ?? {}),
    };
    const resources: CapturedResource[] = [];
    /** Registrations the (simulated) provider refused: the real engine fails the update on any of them. */
    const failures: Error[] = [];

    pulumi.runtime.setAllConfig(qualifyConfig(project, options.config ?? {}));
    await pulumi.runtime.setMocks(
        {
            newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, unknown> } {
                const inputs = recordAt(args.inputs);
                const extra = extraState[args.type]?.(inputs, args.name) ?? {};
                return { id: args.custom ? `${args.name}-id` : undefined, state: { ...inputs, ...extra } };
            },
            call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
                return recordAt(args.inputs);
            },
        },
        project,
        stackName,
        options.preview ?? false,
    );

    const monitor: WrappedMonitor | undefined = settings.getMonitor();
    if (!monitor) {
        throw new Error("the mock resource monitor is not installed");
    }
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: RegisterResourceRequest, callback: MonitorCallback<RegisterResourceResponse>) => {
        register(req, (err, resp) => {
            if (err) {
                failures.push(new Error(`${req.getType()} "${req.getName()}": ${errorMessage(err)}`));
            }
            if (!err && resp) {
                const propertyDependencies: Record<string, string[]> = {};
                req.getPropertydependenciesMap().forEach((deps, key) => {
                    propertyDependencies[key] = deps.getUrnsList();
                });
                const object = req.getObject();
                resources.push({
                    urn: resp.getUrn(),
                    type: req.getType(),
                    name: req.getName(),
                    custom: req.getCustom(),
                    inputs: object ? pulumi.runtime.deserializeProperties(object) : {},
                    parent: req.getParent(),
                    dependencies: req.getDependenciesList(),
                    propertyDependencies,
                    aliases: aliasUrns(req, project, stackName),
                });
            }
            callback(err, resp);
        });
    };

    // Reads (`get` functions, StackReference) go through readResource: a refused read fails the update too.
    const read = monitor.readResource.bind(monitor);
    monitor.readResource = (req: ReadResourceRequest, callback: MonitorCallback<ReadResourceResponse>) => {
        read(req, (err, resp) => {
            if (err) {
                failures.push(new Error(`${req.getType()} "${req.getName()}": ${errorMessage(err)}`));
            }
            callback(err, resp);
        });
    };

    let outputs: Record<string, unknown> = {};
    const limit = deadline(options.timeoutMs);
    // An unhandled rejection fails the program, as under the Pulumi CLI (its Node language host, cmd/run/run.ts,
    // handles `unhandledRejection` as an uncaught exception): e.g. a component's check of an Output's resolved
    // value that rejects a resource's input. Collected while the run lasts; when the run fails anyway they are
    // the same failure.
    // It ends the run at once: what was waiting on the rejected promise (a resource's registration) never
    // completes, so the run would otherwise stall.
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => {
        unhandled.push(reason);
        limit.fail(reason);
    };
    process.on("unhandledRejection", onUnhandled);
    try {
        const work = (async () => {
            outputs = (await stack.runInPulumiStack(async () => await program())) ?? {};
            await waitForRPCs();
        })();
        work.catch(() => undefined); // after a timeout nobody awaits it any more
        await Promise.race([work, limit.promise]);
        await new Promise((resolve) => setImmediate(resolve));
        if (failures.length > 0) {
            throw failures[0];
        }
        if (unhandled.length > 0) {
            throw unhandled[0];
        }
    } catch (err) {
        // Let the registrations in flight finish (so that `capturedResources` is complete), but never wait on
        // one that cannot: a rejected input leaves its resource's registration pending for good.
        if (!(err instanceof ProgramTimeoutError)) {
            const settle = deadline(Math.min(options.timeoutMs ?? FAILURE_GRACE_MS, FAILURE_GRACE_MS));
            await Promise.race([waitForRPCs(), settle.promise]).catch(() => undefined);
            settle.cancel();
        }
        // The promises a failed run leaves pending are that failure, already reported: the SDK would list them
        // again as "leaked" when the process exits (and a later successful run would be blamed for them).
        const leakedPromises = valueAt(debuggable, "leakedPromises");
        if (typeof leakedPromises === "function") {
            (leakedPromises as () => unknown)();
        }
        if (err && typeof err === "object") {
            (err as { capturedResources?: CapturedResource[] }).capturedResources = resources;
        }
        throw err;
    } finally {
        limit.cancel();
        // Rejections raised by a failing run surface a turn later; they belong to this run.
        await new Promise((resolve) => setImmediate(resolve));
        process.off("unhandledRejection", onUnhandled);
    }
    return { resources, outputs: recordAt(unwrapSecrets(outputs)) };
}

/**
 * The run's deadline: rejects after `ms` (an unref'd timer: it never keeps the process alive by itself), and at
 * once when Node's event loop runs empty (`beforeExit`) while the run is pending — then no timer, socket or I/O
 * is left that could settle the program, and waiting longer would only let the process exit as if it had
 * succeeded. `fail` ends it with another error (the first wins).
 */
function deadline(ms: number | undefined): { promise: Promise<never>; cancel: () => void; fail: (reason: unknown) => void } {
    let reject!: (err: Error) => void;
    const promise = new Promise<never>((_, r) => (reject = r));
    promise.catch(() => undefined);
    const timer = ms === undefined ? undefined : setTimeout(() => reject(new ProgramTimeoutError(`did not finish within ${ms / 1000} s`, "timeout")), ms);
    timer?.unref();
    const stalled = () =>
        reject(
            new ProgramTimeoutError(
                "never finished: it waits on a promise that nothing is left to settle (a promise never resolved, or an Output waiting on one)",
                "stalled",
            ),
        );
    process.on("beforeExit", stalled);
    return {
        promise,
        fail: (reason: unknown) => reject(reason as Error),
        cancel: () => {
            if (timer) clearTimeout(timer);
            process.off("beforeExit", stalled);
        },
    };
}

/**
 * The URNs a registration's aliases stand for, resolved as the engine resolves an alias spec
 * (pkg/resource/deploy/step_generator.go `collapseAliasToUrn`): name, type, project and stack default to the
 * resource's own; the parent to the one given (the SDK sends the resource's parent) unless `noParent`. URNs are
 * formed as the mock monitor forms them (its `newUrn`: the parent's own type, then `$`, then the type), so they
 * compare equal to the URNs of an earlier run.
 */
function aliasUrns(req: RegisterResourceRequest, project: string, stackName: string): string[] {
    const out: string[] = [];
    for (const a of req.getAliasesList?.() ?? []) {
        if (a.hasUrn?.() && a.getUrn()) {
            out.push(a.getUrn());
            continue;
        }
        const spec = a.getSpec?.();
        if (!spec) continue;
        const name = spec.getName() || req.getName();
        let type = spec.getType() || req.getType();
        const parent = spec.getNoparent() ? "" : spec.getParenturn() || req.getParent();
        if (parent) type = `${parent.split("::")[2].split("$").pop()}$${type}`;
        out.push(`urn:pulumi:${spec.getStack() || stackName}::${spec.getProject() || project}::${type}::${name}`);
    }
    out.push(...(req.getAliasurnsList?.() ?? []));
    return [...new Set(out)];
}

/** Stack outputs come back in the wire format, secrets included (sdk/model/wire.ts). */
function unwrapSecrets(value: unknown): unknown {
    if (Array.isArray(value)) {
        return value.map(unwrapSecrets);
    }
    if (isRecord(value)) {
        if (isWireSecret(value)) {
            return unwrapSecrets(value.value);
        }
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
    }
    return value;
}
