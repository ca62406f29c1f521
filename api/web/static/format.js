// Dates in Vietnam time as dd/mm/yyyy, and the Vietnamese words the screen shows.

const VIETNAM = "Asia/Ho_Chi_Minh";
const dateParts = new Intl.DateTimeFormat("en-GB", {
  timeZone: VIETNAM,
  day: "2-digit",
  month: "2-digit",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
});

/** "2025-03-07" (a calendar date) or an ISO date-time -> "07/03/2025" (Vietnam time). */
export function ddmmyyyy(value) {
  if (!value) return "";
  const plain = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (plain) return `${plain[3]}/${plain[2]}/${plain[1]}`;
  const slashed = /^(\d{2})\/?(\d{2})\/?(\d{4})$/.exec(value);
  if (slashed) return `${slashed[1]}/${slashed[2]}/${slashed[3]}`;
  const parts = vietnamParts(value);
  return parts ? `${parts.day}/${parts.month}/${parts.year}` : String(value);
}

/** An ISO date-time -> "14:05 07/03/2025" (Vietnam time). */
export function timeAndDate(value) {
  const parts = vietnamParts(value);
  return parts ? `${parts.hour}:${parts.minute} ${parts.day}/${parts.month}/${parts.year}` : "";
}

function vietnamParts(value) {
  const when = new Date(value);
  if (Number.isNaN(when.getTime())) return null;
  const out = {};
  for (const part of dateParts.formatToParts(when)) out[part.type] = part.value;
  return out;
}

/** Document kinds (models/document.py), for the clerk's choice of a file's kind. */
export const KIND_LABELS = {
  cccd_front: "CCCD gắn chip – mặt trước",
  cccd_back: "CCCD gắn chip – mặt sau",
  can_cuoc_front: "Thẻ căn cước – mặt trước",
  can_cuoc_back: "Thẻ căn cước – mặt sau",
  cmnd_front: "CMND – mặt trước",
  giay_khai_sinh: "Giấy khai sinh",
  to_khai_khai_sinh: "Tờ khai đăng ký khai sinh",
  ct01: "Tờ khai thay đổi thông tin cư trú (CT01)",
  don: "Đơn",
  cong_van: "Công văn",
  quyet_dinh: "Quyết định",
  other: "Giấy tờ khác",
};

export function kindLabel(kind, fallback) {
  return fallback || KIND_LABELS[kind] || KIND_LABELS.other;
}

export function processingTime(procedure) {
  if (!procedure.processing_days) {
    return procedure.cutoff ? `Trả trong ngày (nhận trước ${procedure.cutoff})` : "Trả trong ngày";
  }
  return `${procedure.processing_days} ngày làm việc`;
}

export function fee(procedure) {
  return procedure.fee || "Không ghi lệ phí";
}

/** Fold for comparing names: no tone marks, no case (đ -> d). */
export function fold(text) {
  return (text || "")
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/đ/g, "d")
    .replace(/Đ/g, "D")
    .toLowerCase()
    .trim();
}

/** Build an element: el("li", {class: "x", text: "…"}, child, …). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "text") node.textContent = value;
    else if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value === true) node.setAttribute(name, "");
    else node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}
