// The designer's modeller: bpmn-js with the Camunda 7 properties panel, LienThong's own fields,
// the validator's messages on the canvas, drafts saved on the server, submission for approval.
import BpmnModeler from "bpmn-js/lib/Modeler";
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, CamundaPlatformPropertiesProviderModule } from "bpmn-js-properties-panel";
import CamundaBehaviorsModule from "camunda-bpmn-js-behaviors/lib/camunda-platform";
import camundaModdle from "camunda-bpmn-moddle/resources/camunda.json";
import LienThongPropertiesModule from "./lienthong-properties";
import { showProblems } from "./problems-overlay";
import "bpmn-js/dist/assets/diagram-js.css";
import "bpmn-js/dist/assets/bpmn-js.css";
import "bpmn-js/dist/assets/bpmn-font/css/bpmn.css";
import "@bpmn-io/properties-panel/dist/assets/properties-panel.css";
import "./lienthong.css";

const VALIDATE_DELAY_MS = 600;

function readConfig() {
  const config = JSON.parse(document.getElementById("modeler-config").textContent);
  config.csrf = document.querySelector('meta[name="csrf-token"]').content;
  return config;
}

async function postJson(url, csrf, body, contentType = "application/json") {
  const response = await fetch(url, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": contentType, "X-CSRFToken": csrf, Accept: "application/json" },
    body: contentType === "application/json" ? JSON.stringify(body) : body,
  });
  let data = {};
  try { data = await response.json(); } catch (e) { data = { error: `HTTP ${response.status}` }; }
  return { ok: response.ok, status: response.status, data };
}

function say(text, kind) {
  const node = document.getElementById("modeler-status");
  node.textContent = text;
  node.className = `lt-status lt-status-${kind}`;
}

async function start() {
  const config = readConfig();
  const agencies = await (await fetch(config.urls.agencies, { credentials: "same-origin" })).json();
  const modeler = new BpmnModeler({
    container: "#modeler-canvas",
    propertiesPanel: { parent: "#modeler-properties", layout: { groups: { lienthong: { open: true } } } },
    additionalModules: [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, CamundaPlatformPropertiesProviderModule,
      CamundaBehaviorsModule, LienThongPropertiesModule],
    moddleExtensions: { camunda: camundaModdle },
    lienthong: { agencies: agencies.agencies, kinds: agencies.kinds, labels: agencies.labels },
  });
  window.lienthongModeler = modeler; // for the browser tests and the curious
  let draftId = config.draft_id;
  let lastProblems = [];
  const listNode = document.getElementById("modeler-problems");

  // body[data-validating] is set from a change until the messages for the diagram as it now stands are shown.
  let changes = 0;
  async function validate() {
    const seen = changes;
    const { xml } = await modeler.saveXML({ format: true });
    const { ok, data } = await postJson(config.urls.validate, config.csrf, xml, "application/xml");
    lastProblems = ok ? data.problems : [{ severity: "ERROR", message: data.error || "Không kiểm tra được", element: null }];
    showProblems(modeler, lastProblems, listNode);
    if (seen === changes) delete document.body.dataset.validating;
    return lastProblems;
  }

  let timer = null;
  modeler.on("commandStack.changed", () => {
    changes += 1;
    document.body.dataset.validating = "1";
    clearTimeout(timer);
    timer = setTimeout(validate, VALIDATE_DELAY_MS);
  });

  async function save() {
    const { xml } = await modeler.saveXML({ format: true });
    const { ok, data } = await postJson(config.urls.save, config.csrf, { xml, draft_id: draftId });
    if (!ok) { say(data.error || "Không lưu được bản nháp.", "error"); return false; }
    draftId = data.draft_id;
    history.replaceState(null, "", data.url);
    say(`Đã lưu bản nháp lúc ${new Date().toLocaleTimeString("vi-VN")}.`, "ok");
    return true;
  }

  async function submit() {
    const problems = await validate();
    if (problems.some((p) => p.severity === "ERROR")) { say("Sơ đồ còn lỗi: sửa các lỗi đánh dấu trên sơ đồ trước khi gửi duyệt.", "error"); return; }
    if (!(await save())) return;
    const { xml } = await modeler.saveXML({ format: true });
    const { ok, data } = await postJson(config.urls.submit, config.csrf, { xml, draft_id: draftId });
    if (!ok) {
      say(data.error || "Không gửi duyệt được.", "error");
      if (data.problems) showProblems(modeler, data.problems, listNode);
      return;
    }
    say(`Đã gửi duyệt: thủ tục ${data.code}, phiên bản ${data.version}. Lãnh đạo cơ quan chủ quản sẽ phê duyệt.`, "ok");
  }

  async function download() {
    const { xml } = await modeler.saveXML({ format: true });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([xml], { type: "application/xml" }));
    link.download = `${config.filename || "quy_trinh"}.bpmn`;
    link.click();
    URL.revokeObjectURL(link.href);
  }

  document.getElementById("modeler-save").addEventListener("click", save);
  document.getElementById("modeler-submit").addEventListener("click", submit);
  document.getElementById("modeler-download").addEventListener("click", download);
  const { warnings } = await modeler.importXML(config.xml);
  if (warnings.length) say(`Sơ đồ mở được, có ${warnings.length} cảnh báo khi đọc.`, "warning");
  modeler.get("canvas").zoom("fit-viewport", "auto");
  await validate();
  document.body.dataset.modelerReady = "1";
}

start().catch((err) => say(`Không mở được trình thiết kế: ${err.message}`, "error"));
