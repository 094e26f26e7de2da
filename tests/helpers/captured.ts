/**
 * Typed readers for what tests read back from the code under test that the shared readers (sdk/model/read.ts) do
 * not already cover: the Kubernetes objects of a YAML text, the captured resource of a type and name.
 */
import { parseAllDocuments } from "yaml";
import type { CapturedResource } from "../../sdk/engine/mock-engine";
import type { K8sObject } from "../../sdk/model";
import { isRecord } from "../../sdk/model/read";

/**
 * The documents of a YAML text that are objects with a kind, as K8sObjects (the tests then read their fields with
 * the readers); empty documents, scalars and lists are left out.
 */
export function yamlObjects(text: string): K8sObject[] {
    return parseAllDocuments(text)
        .map((d) => d.toJS() as unknown)
        .filter((o): o is K8sObject => isRecord(o) && Boolean(o.kind));
}

/** The captured resource of type `type` named `name`; fails the test when there is none. */
export function capturedNamed(resources: readonly CapturedResource[], type: string, name: string): CapturedResource {
    const r = resources.find((x) => x.type === type && x.name === name);
    if (r === undefined) throw new Error(`no captured ${type} named ${name}`);
    return r;
}
