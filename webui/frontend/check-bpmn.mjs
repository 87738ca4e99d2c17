// For the Python tests: read each BPMN file named on the command line with bpmn-moddle (the parser
// of bpmn-js and Camunda Modeler, + the Camunda extension) and print one JSON line per file:
// {"file", "warnings": [...], "error": null | "..."}.
import { readFileSync } from 'node:fs';
import { BpmnModdle } from 'bpmn-moddle';
import camundaModdle from 'camunda-bpmn-moddle/resources/camunda.json' with { type: 'json' };

const moddle = new BpmnModdle({ camunda: camundaModdle });
for (const file of process.argv.slice(2)) {
  try {
    const { warnings } = await moddle.fromXML(readFileSync(file, 'utf8'), 'bpmn:Definitions');
    console.log(JSON.stringify({ file, warnings: warnings.map((w) => w.message), error: null }));
  } catch (err) {
    console.log(JSON.stringify({ file, warnings: [], error: String(err && err.message || err) }));
  }
}
