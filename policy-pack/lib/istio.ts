/** What the pack recognises as Istio's own: the containers the sidecar injector writes. */

/** Istio's own containers: `istio-init`/`istio-proxy`/`istio-validation` with a proxyv2 image (or `auto`, filled by injection). */
export function isIstioContainer(c: any): boolean {
    const name = c?.name;
    if (name !== "istio-init" && name !== "istio-proxy" && name !== "istio-validation") return false;
    const image = c?.image;
    if (typeof image !== "string") return false;
    return image === "auto" || /(^|\/)proxyv2([:@]|$)/.test(image);
}
