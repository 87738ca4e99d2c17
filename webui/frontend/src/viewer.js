// A diagram as designed (its own DI) in bpmn-js's NavigatedViewer, with one overlay per step:
// its state, budget and lateness (the dossier page), or the change against the version in force
// (the leader's review). The page gives the XML and the overlays in a JSON block.
import NavigatedViewer from "bpmn-js/lib/NavigatedViewer";
import "bpmn-js/dist/assets/diagram-js.css";
import "bpmn-js/dist/assets/bpmn-js.css";
import "./lienthong.css";

function el(tag, className, text) {
  const node = document.createElement(tag);
  node.className = className;
  node.textContent = text;
  return node;
}

async function show(container) {
  const config = JSON.parse(document.getElementById(container.dataset.config).textContent);
  const viewer = new NavigatedViewer({ container });
  await viewer.importXML(config.xml);
  const canvas = viewer.get("canvas");
  const registry = viewer.get("elementRegistry");
  const overlays = viewer.get("overlays");
  canvas.zoom("fit-viewport");
  for (const mark of config.marks || []) {
    if (!registry.get(mark.element)) continue;
    canvas.addMarker(mark.element, `lt-state-${mark.state}`);
    if (mark.text) {
      const badge = el("div", `lt-mark lt-mark-${mark.state}`, mark.text);
      if (mark.title) badge.title = mark.title;
      overlays.add(mark.element, "lienthong-mark", { position: { bottom: 8, left: -6 }, html: badge });
    }
  }
  container.dataset.ready = "1";
}

for (const container of document.querySelectorAll(".lt-viewer")) {
  show(container).catch((err) => { container.textContent = `Không vẽ được sơ đồ: ${err.message}`; });
}
