/* The HTML sheet as a form (bpdrill): checks what is typed, keeps it in this browser, saves the answer
   template filled in and loads it back. It knows the boxes' entries and the student's id, never an
   answer; it reaches no network. */
(function () {
  "use strict";
  const form = document.getElementById("answer-form");
  const boxes = Array.from(document.querySelectorAll("input[data-entry]"));
  const count = document.getElementById("answer-count");
  const problems = document.getElementById("answer-problems");
  const note = document.getElementById("answer-note");
  const load = document.getElementById("answer-load");
  const student = form.dataset.student;
  const fileName = form.dataset.file + ".csv";
  const storeKey = form.dataset.store;
  const HEADER = ["student_id", "problem", "quantity", "row", "col", "value"];
  // a number: decimal point or comma, an ASCII or Unicode minus, an exponent (1e-3)
  const NUMBER = /^[+\-\u2212]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+\-\u2212]?\d+)?$/;

  const byEntry = new Map(boxes.map((box) => [box.dataset.entry, box]));
  // the answer template's order: problem, quantity as the sheet lists them, row, column
  // (a wide grid's column blocks put the boxes of one row apart on the page)
  const quantities = new Map();
  for (const box of boxes) {
    const [p, q] = box.dataset.entry.split(",");
    if (!quantities.has(p + "," + q)) quantities.set(p + "," + q, quantities.size);
  }
  const place = (box) => {
    const [p, q, r, c] = box.dataset.entry.split(",");
    return [Number(p), quantities.get(p + "," + q), Number(r), Number(c)];
  };
  const inOrder = boxes.slice().sort((a, b) => {
    const x = place(a), y = place(b);
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2] || x[3] - y[3];
  });

  const typed = (box) => box.value.trim();
  const isNumber = (text) => NUMBER.test(text);
  // what the answer file holds: the number as typed, with a decimal point and an ASCII minus
  const fileValue = (text) => (isNumber(text) ? text.replace(/\u2212/g, "-").replace(",", ".") : text);

  function check(box) {
    const text = typed(box);
    const bad = text !== "" && !isNumber(text);
    if (bad) {
      box.setAttribute("aria-invalid", "true");
      box.setAttribute("aria-describedby", "problem-" + box.id);
    } else {
      box.removeAttribute("aria-invalid");
      box.removeAttribute("aria-describedby");
    }
    return bad;
  }

  function show() {
    let filled = 0;
    const bad = [];
    for (const box of boxes) {
      if (check(box)) bad.push(box);
      else if (typed(box) !== "") filled += 1;
    }
    const left = boxes.length - filled;
    count.textContent = `${filled} of ${boxes.length} entries filled, ${left} left` +
      (bad.length ? ` (${bad.length} not a number)` : "") + ".";
    problems.replaceChildren(...bad.map((box) => {
      const item = document.createElement("li");
      item.id = "problem-" + box.id;
      const link = document.createElement("a");
      link.href = "#" + box.id;
      link.textContent = box.getAttribute("aria-label");
      item.append(link, `: “${typed(box)}” is not a number (write e.g. -0.1103, 0,25 or 4.75e-3)`);
      return item;
    }));
    return { filled, bad: bad.length };
  }

  let storage = null;
  try {
    storage = window.localStorage;
    storage.getItem(storeKey);
  } catch (e) {
    storage = null;
  }

  function keep() {
    if (!storage) return;
    const values = {};
    for (const box of boxes) if (box.value !== "") values[box.dataset.entry] = box.value;
    try {
      storage.setItem(storeKey, JSON.stringify(values));
    } catch (e) {
      say("This browser did not keep your last change: save your answers to a file.");
    }
  }

  function say(text) {
    note.textContent = text;
  }

  function field(text) {
    return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  function answersCsv() {
    const lines = [HEADER.join(",")];
    for (const box of inOrder) {
      const [p, q, r, c] = box.dataset.entry.split(",");
      lines.push([student, p, q, r, c, fileValue(typed(box))].map(field).join(","));
    }
    return lines.join("\n") + "\n";
  }

  function save() {
    const url = URL.createObjectURL(new Blob([answersCsv()], { type: "text/csv;charset=utf-8" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = fileName;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    const { filled, bad } = show();
    say(`Saved ${fileName} (${filled} of ${boxes.length} entries filled), the answer file you hand in.` +
      (bad ? ` ${bad} ${bad === 1 ? "entry is" : "entries are"} not a number and will count as wrong: correct and save again.` : ""));
  }

  // a CSV file's rows (RFC 4180: quoted fields, doubled quotes); the delimiter from the first line
  function rowsOf(text) {
    text = text.replace(/^\ufeff/, "");
    const first = text.split(/\r\n|\n|\r/, 1)[0];
    const delimiter = [",", ";", "\t"].reduce((best, d) => (first.split(d).length > first.split(best).length ? d : best), ",");
    const rows = [];
    let row = [], value = "", quoted = false;
    for (let i = 0; i < text.length; i += 1) {
      const ch = text[i];
      if (quoted) {
        if (ch === '"' && text[i + 1] === '"') { value += '"'; i += 1; }
        else if (ch === '"') quoted = false;
        else value += ch;
      } else if (ch === '"') quoted = true;
      else if (ch === delimiter) { row.push(value); value = ""; }
      else if (ch === "\n" || ch === "\r") {
        if (ch === "\r" && text[i + 1] === "\n") i += 1;
        row.push(value); rows.push(row); row = []; value = "";
      } else value += ch;
    }
    if (value !== "" || row.length) { row.push(value); rows.push(row); }
    return rows.filter((r) => r.some((v) => v.trim() !== ""));
  }

  function loadCsv(text, name) {
    const rows = rowsOf(text);
    const header = (rows.shift() || []).map((h) => h.trim().toLowerCase());
    const at = Object.fromEntries(HEADER.map((h) => [h, header.indexOf(h)]));
    if (["problem", "quantity", "row", "col", "value"].some((h) => at[h] < 0)) {
      say(`${name}: not an answer file (its first line must name problem, quantity, row, col and value); nothing loaded.`);
      return;
    }
    let loaded = 0, strange = 0, others = 0;
    for (const row of rows) {
      const cell = (h) => (row[at[h]] || "").trim();
      if (at.student_id >= 0 && cell("student_id") !== "" && cell("student_id") !== student) { others += 1; continue; }
      const box = byEntry.get(["problem", "quantity", "row", "col"].map(cell).join(","));
      if (!box) { strange += 1; continue; }
      box.value = cell("value");
      loaded += 1;
    }
    show();
    keep();
    say(`Loaded ${loaded} ${loaded === 1 ? "entry" : "entries"} from ${name}.` +
      (others ? ` ${others} rows are another student's (their student_id is not ${student}): not loaded.` : "") +
      (strange ? ` ${strange} rows name no box of this sheet: not loaded.` : ""));
  }

  let kept = null;
  try {
    kept = storage && JSON.parse(storage.getItem(storeKey) || "null");
  } catch (e) {
    kept = null;
  }
  if (kept) for (const [entry, value] of Object.entries(kept)) if (byEntry.has(entry)) byEntry.get(entry).value = value;
  if (!storage) say("This browser does not let the page keep what you type (a private window or a viewer): save your answers to a file before you close it.");

  for (const box of boxes) {
    box.addEventListener("input", () => { show(); keep(); });
    box.addEventListener("keydown", (event) => {  // Enter: the next box, as in a spreadsheet
      if (event.key !== "Enter") return;
      event.preventDefault();
      const next = boxes[boxes.indexOf(box) + (event.shiftKey ? -1 : 1)];
      if (next) next.focus();
    });
  }
  document.getElementById("answer-save").addEventListener("click", save);
  load.addEventListener("change", () => {
    const file = load.files[0];
    if (!file) return;
    file.text().then((text) => { loadCsv(text, file.name); load.value = ""; },
      () => say(`${file.name}: cannot be read; nothing loaded.`));
  });
  show();
}());
