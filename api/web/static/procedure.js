// Step 1: find the procedure by code or name (tone marks optional: the server folds them),
// arrows + Enter to pick.

import { get } from "./api.js";
import { el, fee, processingTime } from "./format.js";

const input = document.getElementById("proc-q");
const list = document.getElementById("proc-list");
const card = document.getElementById("proc-card");
const nameBox = document.getElementById("proc-name");
const metaBox = document.getElementById("proc-meta");

let results = [];
let active = -1;
let timer = 0;
let asked = 0;
let picked = null;
let pickWhenReady = false; // Enter came before the results
let onPick = () => {};
let onError = () => {};

export function setupProcedure({ picked: handler, failed }) {
  onPick = handler;
  onError = failed;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(search, 150);
  });
  input.addEventListener("keydown", keydown);
  input.addEventListener("blur", () =>
    setTimeout(() => {
      close();
      if (picked && !input.disabled) input.value = label(picked); // typed but not chosen: keep the choice
    }, 150),
  );
  input.addEventListener("focus", () => {
    if (!picked && input.value.trim()) search();
  });
}

export function focusProcedure() {
  input.focus();
  input.select();
}

export function currentProcedure() {
  return picked;
}

export function lockProcedure(locked) {
  input.disabled = locked;
  input.title = locked ? "Hồ sơ đã được tạo với thủ tục này" : "";
}

/** Show `procedure` as chosen (null: none). */
export function showProcedure(procedure) {
  picked = procedure;
  card.hidden = !procedure;
  if (!procedure) return;
  input.value = label(procedure);
  nameBox.textContent = procedure.name;
  metaBox.replaceChildren(
    el("span", { class: "code", text: procedure.code }),
    el("span", { text: `Thời hạn: ${processingTime(procedure)}` }),
    el("span", { text: `Lệ phí: ${fee(procedure)}` }),
    el("span", { class: procedure.green_lane ? "badge green" : "badge plain" }, procedure.green_lane ? "✓ Làn xanh" : "Không thuộc làn xanh"),
  );
}

function label(procedure) {
  return `${procedure.code} – ${procedure.name}`;
}

async function search() {
  const q = input.value.trim();
  const ticket = ++asked;
  if (!q) {
    close();
    return;
  }
  try {
    const found = await get(`procedures?q=${encodeURIComponent(q)}`);
    if (ticket !== asked) return; // a later keystroke asked again
    results = found.slice(0, 8);
    active = results.length ? 0 : -1;
    render();
    if (pickWhenReady && results.length) choose(0);
    pickWhenReady = false;
  } catch (error) {
    onError(error);
  }
}

function render() {
  list.replaceChildren(
    ...results.map((p, i) =>
      el(
        "li",
        {
          id: `proc-opt-${i}`,
          role: "option",
          class: "option",
          "aria-selected": i === active ? "true" : "false",
          onmousedown: (event) => {
            event.preventDefault();
            choose(i);
          },
        },
        el("span", { class: "code", text: p.code }),
        el("span", { class: "opt-name", text: p.name }),
        el(
          "span",
          { class: "opt-meta" },
          `${processingTime(p)} · ${fee(p)}`,
          p.green_lane ? el("span", { class: "badge green", text: "✓ Làn xanh" }) : null,
        ),
      ),
    ),
  );
  if (!results.length) list.append(el("li", { class: "option empty", text: "Không tìm thấy thủ tục nào." }));
  list.hidden = false;
  input.setAttribute("aria-expanded", "true");
  if (active >= 0) input.setAttribute("aria-activedescendant", `proc-opt-${active}`);
  else input.removeAttribute("aria-activedescendant");
  const option = document.getElementById(`proc-opt-${active}`);
  if (option) option.scrollIntoView({ block: "nearest" });
}

function close() {
  list.hidden = true;
  input.setAttribute("aria-expanded", "false");
  input.removeAttribute("aria-activedescendant");
}

function choose(i) {
  const procedure = results[i];
  if (!procedure) return;
  close();
  showProcedure(procedure);
  onPick(procedure);
}

function keydown(event) {
  const open = !list.hidden && results.length > 0;
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    if (!open) {
      search();
      return;
    }
    const step = event.key === "ArrowDown" ? 1 : -1;
    active = (active + step + results.length) % results.length;
    render();
  } else if (event.key === "Enter") {
    event.preventDefault();
    if (open) {
      choose(Math.max(active, 0));
    } else if (input.value.trim() && (!picked || input.value !== label(picked))) {
      pickWhenReady = true;
      clearTimeout(timer);
      search();
    } else if (picked) {
      onPick(picked); // already chosen: on to the next step
    }
  } else if (event.key === "Escape" && !list.hidden) {
    event.preventDefault();
    event.stopPropagation();
    close();
  }
}
