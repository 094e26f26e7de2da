/**
 * Typed readers for what tests read back from the code under test that the shared readers (sdk/model/read.ts) do
 * not already cover: the Kubernetes objects of a YAML text, the resources captured before a program failed.
 */
import * as assert from "assert";
import { parseAllDocuments } from "yaml";
import type { CapturedResource } from "../../sdk/engine/mock-engine";
import type { K8sObject } from "../../sdk/model";
import { isRecord, valueAt } from "../../sdk/model/read";

/**
 * The documents of a YAML text that are objects with a kind, as K8sObjects (the tests then read their fields with
 * the readers); empty documents, scalars and lists are left out.
 */
export function yamlObjects(text: string): K8sObject[] {
    return parseAllDocuments(text)
        .map((d) => d.toJS() as unknown)
        .filter((o): o is K8sObject => isRecord(o) && Boolean(o.kind));
}

/**
 * The resources the mock engine had captured when a program failed (`capturedResources` on the error runProgram
 * rejects with); fails the test when the error carries none.
 */
export function capturedResourcesOf(err: unknown): CapturedResource[] {
    const v = valueAt(err, "capturedResources");
    assert.ok(Array.isArray(v), "the error carries the resources captured before it");
    return v as CapturedResource[];
}
