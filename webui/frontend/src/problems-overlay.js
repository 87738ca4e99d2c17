// The validator's messages on the canvas: a marker and a badge on each element concerned, and the
// full list beside the canvas (messages without an element appear only there).
const KEY = "lienthong-problem";

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function showProblems(modeler, problems, listNode) {
  const overlays = modeler.get("overlays");
  const canvas = modeler.get("canvas");
  const registry = modeler.get("elementRegistry");
  overlays.remove({ type: KEY });
  registry.forEach((element) => {
    canvas.removeMarker(element, "lt-error");
    canvas.removeMarker(element, "lt-warning");
  });
  // A process's messages go on its pool (in a collaboration the process itself has no shape).
  const pools = new Map();
  registry.filter((e) => e.type === "bpmn:Participant" && e.businessObject.processRef)
    .forEach((e) => pools.set(e.businessObject.processRef.id, e));
  const shapeOf = (id) => (id ? registry.get(id) || pools.get(id) : undefined);
  const byElement = new Map();
  for (const p of problems) {
    const target = shapeOf(p.element);
    if (!target) continue;
    if (!byElement.has(target.id)) byElement.set(target.id, []);
    byElement.get(target.id).push(p);
  }
  for (const [id, list] of byElement) {
    const isError = list.some((p) => p.severity === "ERROR");
    canvas.addMarker(id, isError ? "lt-error" : "lt-warning");
    const badge = el("div", `lt-badge ${isError ? "lt-badge-error" : "lt-badge-warning"}`, String(list.length));
    badge.dataset.element = id;
    badge.title = list.map((p) => p.message).join("\n");
    const tip = el("div", "lt-tip");
    for (const p of list) tip.appendChild(el("p", "", p.message));
    badge.appendChild(tip);
    overlays.add(id, KEY, { position: { top: -10, right: 10 }, html: badge });
  }
  if (!listNode) return;
  listNode.replaceChildren();
  if (!problems.length) {
    listNode.appendChild(el("li", "lt-ok", "Không có lỗi."));
    return;
  }
  for (const p of problems) {
    const item = el("li", p.severity === "ERROR" ? "lt-item-error" : "lt-item-warning");
    item.appendChild(el("strong", "", p.severity === "ERROR" ? "Lỗi" : "Cảnh báo"));
    if (p.element) item.appendChild(el("code", "", p.element));
    item.appendChild(el("span", "", p.message));
    const target = shapeOf(p.element);
    if (target) {
      item.classList.add("lt-link");
      item.addEventListener("click", () => {
        modeler.get("selection").select(target);
        canvas.scrollToElement(target);
      });
    }
    listNode.appendChild(item);
  }
}
