// LienThong's own fields as forms in the properties panel (group «LienThong»): the process's
// procedure code and limits, a step's working days, kind and role, a lane's agency or agency kind. They are stored
// as the engine reads them: camunda:property elements (name/value) and camunda:candidateGroups.
import { SelectEntry, TextFieldEntry, isSelectEntryEdited, isTextFieldEntryEdited } from "@bpmn-io/properties-panel";
import { useService } from "bpmn-js-properties-panel";
import { is } from "bpmn-js/lib/util/ModelUtil";

const STEP_TYPES = ["bpmn:UserTask", "bpmn:ManualTask", "bpmn:Task"];
const STEP_KINDS = [
  ["", "(không ghi)"], ["receive", "Tiếp nhận, kiểm tra hồ sơ"], ["examine", "Thẩm định, xử lý"],
  ["review", "Xem xét, trình"], ["sign", "Ký, phê duyệt"], ["consult", "Lấy ý kiến, liên thông"],
  ["supplement", "Chờ bổ sung"], ["return", "Trả kết quả"],
];
const ROLES = [["", "(theo loại bước)"], ["clerk", "Cán bộ một cửa"], ["officer", "Chuyên viên"], ["leader", "Lãnh đạo"]];

function processOf(element) {
  const bo = element.businessObject;
  if (is(bo, "bpmn:Participant")) return bo.processRef;
  if (is(bo, "bpmn:Process")) return bo;
  return null;
}

function propertiesOf(bo) {
  const ext = bo && bo.extensionElements;
  return ext && (ext.values || []).find((v) => is(v, "camunda:Properties"));
}

export function getProperty(bo, name) {
  const props = propertiesOf(bo);
  const found = props && (props.values || []).find((p) => p.name === name);
  return found ? found.value || "" : "";
}

// One undoable command that sets (or, for an empty value, removes) camunda:property `name` of `bo`.
function setProperty(services, element, bo, name, value) {
  const { bpmnFactory, commandStack } = services;
  const commands = [];
  let ext = bo.extensionElements;
  if (!ext) {
    if (!value) return;
    ext = bpmnFactory.create("bpmn:ExtensionElements", { values: [] });
    ext.$parent = bo;
    commands.push({ cmd: "element.updateModdleProperties", context: { element, moddleElement: bo, properties: { extensionElements: ext } } });
  }
  let props = propertiesOf(bo);
  if (!props) {
    if (!value) return;
    props = bpmnFactory.create("camunda:Properties", { values: [] });
    props.$parent = ext;
    commands.push({ cmd: "element.updateModdleProperties", context: { element, moddleElement: ext, properties: { values: [...(ext.values || []), props] } } });
  }
  const values = props.values || [];
  const existing = values.find((p) => p.name === name);
  if (existing && value) {
    commands.push({ cmd: "element.updateModdleProperties", context: { element, moddleElement: existing, properties: { value } } });
  } else if (existing) {
    commands.push({ cmd: "element.updateModdleProperties", context: { element, moddleElement: props, properties: { values: values.filter((p) => p !== existing) } } });
  } else if (value) {
    const created = bpmnFactory.create("camunda:Property", { name, value });
    created.$parent = props;
    commands.push({ cmd: "element.updateModdleProperties", context: { element, moddleElement: props, properties: { values: [...values, created] } } });
  }
  if (commands.length) commandStack.execute("properties-panel.multi-command-executor", commands);
}

function daysError(value, required) {
  const text = (value || "").trim();
  if (!text) return required ? "Bắt buộc" : null;
  return /^\d+(\.\d+)?$/.test(text) ? null : "Số ngày làm việc, dấu chấm thập phân (vd. 0.5)";
}

function PropertyField(props) {
  const { element, id, name, label, description, required, target, validate } = props;
  const services = {
    bpmnFactory: useService("bpmnFactory"), commandStack: useService("commandStack"),
  };
  const debounce = useService("debounceInput");
  const bo = target(element);
  return TextFieldEntry({
    element, id, label, description, debounce,
    getValue: () => getProperty(bo, name),
    setValue: (value) => setProperty(services, element, bo, name, (value || "").trim()),
    validate: validate ? (value) => validate(value, required) : undefined,
  });
}

function PropertySelect(props) {
  const { element, id, name, label, options } = props;
  const services = { bpmnFactory: useService("bpmnFactory"), commandStack: useService("commandStack") };
  const bo = element.businessObject;
  return SelectEntry({
    element, id, label,
    getValue: () => getProperty(bo, name),
    setValue: (value) => setProperty(services, element, bo, name, value),
    getOptions: () => options.map(([value, text]) => ({ value, label: text })),
  });
}

function RoleSelect(props) {
  const { element } = props;
  const modeling = useService("modeling");
  const bo = element.businessObject;
  return SelectEntry({
    element, id: "lienthong-role", label: "Vai trò xử lý (camunda:candidateGroups)",
    getValue: () => bo.get("camunda:candidateGroups") || "",
    setValue: (value) => modeling.updateProperties(element, { "camunda:candidateGroups": value || undefined }),
    getOptions: () => ROLES.map(([value, text]) => ({ value, label: text })),
  });
}

// The lane's name, as the engine binds it: case, spaces and Unicode form do not matter.
function laneKey(text) {
  return (text || "").normalize("NFC").split(/\s+/).filter(Boolean).join(" ").toLowerCase();
}

// A lane names an agency kind ("UBND cấp xã": each dossier's step goes to the agency of that kind
// serving the dossier's commune, engine/lanes.py) or one agency. Kinds are offered as "kind:CODE",
// agencies by their code; the lane's name becomes the kind's or the agency's name.
function LaneAgency(props) {
  const { element, registry } = props;
  const { agencies, kinds, labels } = registry;
  const modeling = useService("modeling");
  const bo = element.businessObject;
  return SelectEntry({
    element, id: "lienthong-agency", label: labels.lane, description: labels.help,
    getValue: () => {
      const name = laneKey(bo.name);
      if (!name) return "";
      const kind = kinds.find((k) => laneKey(k.name) === name || laneKey(k.code) === name);
      if (kind) return `kind:${kind.code}`;
      const found = agencies.find((a) => laneKey(a.name) === name || laneKey(a.code) === name);
      return found ? found.code : "";
    },
    setValue: (value) => {
      const found = value.startsWith("kind:")
        ? kinds.find((k) => `kind:${k.code}` === value) : agencies.find((a) => a.code === value);
      if (found) modeling.updateProperties(element, { name: found.name });
    },
    getOptions: () => {
      const options = [{ value: "", label: labels.choose }];
      if (kinds.length) {
        options.push({ label: labels.kinds, children: kinds.map((k) => ({ value: `kind:${k.code}`, label: k.label })) });
      }
      options.push({ label: labels.agencies, children: agencies.map((a) => ({ value: a.code, label: `${a.name} (${a.code})` })) });
      return options;
    },
  });
}

function OwnerAgency(props) {
  const { element, agencies } = props;
  const services = { bpmnFactory: useService("bpmnFactory"), commandStack: useService("commandStack") };
  const bo = processOf(element);
  return SelectEntry({
    element, id: "lienthong-owner-agency", label: "Cơ quan chủ quản (phê duyệt quy trình)",
    getValue: () => getProperty(bo, "owner_agency"),
    setValue: (code) => setProperty(services, element, bo, "owner_agency", code),
    getOptions: () => [{ value: "", label: "(chọn cơ quan)" }].concat(
      agencies.map((a) => ({ value: a.code, label: `${a.name} (${a.code})` }))),
  });
}

function entriesFor(element, registry) {
  const { agencies } = registry;
  const entries = [];
  const isEdited = isTextFieldEntryEdited;
  if (processOf(element)) {
    const target = processOf;
    entries.push(
      { id: "lienthong-procedure-code", component: PropertyField, isEdited, element, name: "procedure_code",
        label: "Mã thủ tục", description: "Mã trên Cơ sở dữ liệu quốc gia về TTHC, vd. 1.001731", target, required: true,
        validate: (v) => ((v || "").trim() ? null : "Bắt buộc") },
      { id: "lienthong-legal-days", component: PropertyField, isEdited, element, name: "legal_working_days",
        label: "Thời hạn luật định (ngày làm việc)", target, required: true, validate: daysError },
      { id: "lienthong-reduced-days", component: PropertyField, isEdited, element, name: "reduced_working_days",
        label: "Thời hạn tỉnh cắt giảm (ngày làm việc)", target, required: false, validate: daysError },
      { id: "lienthong-owner-agency", component: OwnerAgency, isEdited: isSelectEntryEdited, element, agencies },
    );
  }
  if (STEP_TYPES.some((t) => is(element, t))) {
    const target = (el) => el.businessObject;
    entries.push(
      { id: "lienthong-working-days", component: PropertyField, isEdited, element, name: "working_days",
        label: "Thời gian xử lý (ngày làm việc)", description: "Nửa ngày là 0.5", target, required: true,
        validate: daysError },
      { id: "lienthong-step-kind", component: PropertySelect, isEdited: isSelectEntryEdited, element,
        name: "step_kind", label: "Loại bước", options: STEP_KINDS },
      { id: "lienthong-role", component: RoleSelect, isEdited: isSelectEntryEdited, element },
      { id: "lienthong-result", component: PropertyField, isEdited, element, name: "result",
        label: "Kết quả / biểu mẫu", target, required: false },
    );
  }
  if (is(element, "bpmn:Lane")) {
    entries.push({ id: "lienthong-agency", component: LaneAgency, isEdited: isSelectEntryEdited, element, registry });
  }
  return entries;
}

// Used when the server sends no words of its own (they come translated with the registry).
const LABELS = {
  lane: "Cơ quan hoặc loại cơ quan của làn", choose: "(chọn cơ quan hoặc loại cơ quan)",
  kinds: "Loại cơ quan", agencies: "Cơ quan", help: "",
};

function LienThongPropertiesProvider(propertiesPanel, config) {
  const registry = {
    agencies: (config && config.agencies) || [],
    kinds: (config && config.kinds) || [],
    labels: { ...LABELS, ...((config && config.labels) || {}) },
  };
  this.getGroups = (element) => (groups) => {
    const entries = entriesFor(element, registry);
    if (entries.length) {
      groups.splice(1, 0, { id: "lienthong", label: "LienThong", entries });
    }
    return groups;
  };
  propertiesPanel.registerProvider(400, this);
}
LienThongPropertiesProvider.$inject = ["propertiesPanel", "config.lienthong"];

export default {
  __init__: ["lienthongPropertiesProvider"],
  lienthongPropertiesProvider: ["type", LienThongPropertiesProvider],
};
