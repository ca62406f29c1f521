// The dashboard's charts, drawn as SVG here (no chart library): each is an image with a title
// and a description a screen reader reads, every bar has its own title (hover, and read aloud),
// values are written beside the bars, and the channels differ by pattern as well as colour.

import { count, hours, percent, shortDay } from "./dashboard-format.js";

const NS = "http://www.w3.org/2000/svg";
const ROW = 22;
const SHOWN_POINTS = 7; // per-point charts: the worst ones; the table has every point

function svg(tag, attributes = {}, text = "") {
  const element = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== "") element.setAttribute(name, String(value)); // "": no such attribute (a solid fill)
  }
  if (text) element.textContent = text;
  return element;
}

/** The box's width in pixels: charts are drawn at their real size (text is never scaled). */
function widthOf(container) {
  return Math.max(320, Math.floor(container.clientWidth));
}

/** An SVG image of `width`×`height` labelled by the figure's caption and a description. */
function canvas(container, captionId, height, description) {
  const id = container.id;
  const image = svg("svg", {
    viewBox: `0 0 ${widthOf(container)} ${height}`,
    role: "img",
    "aria-labelledby": `${id}-title ${id}-desc`,
    class: "chart-svg",
    preserveAspectRatio: "xMinYMin meet",
  });
  image.append(svg("title", { id: `${id}-title` }, document.getElementById(captionId).textContent));
  image.append(svg("desc", { id: `${id}-desc` }, description));
  const defs = svg("defs");
  const hatch = svg("pattern", {
    id: `${id}-hatch`,
    width: 6,
    height: 6,
    patternUnits: "userSpaceOnUse",
    patternTransform: "rotate(45)",
  });
  hatch.append(svg("rect", { width: 6, height: 6, class: "pattern-ground" }));
  hatch.append(svg("rect", { width: 3, height: 6, class: "pattern-ink-2" }));
  const dots = svg("pattern", { id: `${id}-dots`, width: 5, height: 5, patternUnits: "userSpaceOnUse" });
  dots.append(svg("rect", { width: 5, height: 5, class: "pattern-ground" }));
  dots.append(svg("circle", { cx: 2.5, cy: 2.5, r: 1.6, class: "pattern-ink-3" }));
  defs.append(hatch, dots);
  image.append(defs);
  container.replaceChildren(image);
  return image;
}

function legend(image, x, entries) {
  for (const [label, fill, className] of entries) {
    image.append(svg("rect", { x, y: 4, width: 12, height: 12, fill, class: `${className} swatch` }));
    image.append(svg("text", { x: x + 16, y: 14, class: "legend" }, label));
    x += 22 + label.length * 6.6;
  }
}

function niceCeiling(value) {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((m) => m * magnitude).find((m) => m >= value);
}

function empty(container, text) {
  const note = document.createElement("p");
  note.className = "chart-empty";
  note.textContent = text;
  container.replaceChildren(note);
}

export function shortName(name) {
  return name.replace(/^Điểm phục vụ hành chính công\s+/iu, "");
}

/** Dossiers received per day, stacked by channel (counter, online, postal). */
export function drawDays(container, series, captionId) {
  const totals = series.map((d) => d.received_by_channel.counter + d.received_by_channel.online + d.received_by_channel.postal);
  const all = totals.reduce((a, b) => a + b, 0);
  if (!all) return empty(container, "Không có hồ sơ nào được tiếp nhận trong kỳ.");
  const WIDTH = widthOf(container);
  const height = Math.max(150, Math.floor(container.clientHeight) || 190);
  const top = 26;
  const bottom = 18;
  const left = 36;
  const plot = height - top - bottom;
  const busiest = totals.indexOf(Math.max(...totals));
  const image = canvas(
    container,
    captionId,
    height,
    `${count(all)} hồ sơ trong ${series.length} ngày; nhiều nhất ${count(totals[busiest])} hồ sơ ngày ` +
      `${shortDay(series[busiest].day)}. Số liệu từng ngày có trong tiêu đề của mỗi cột.`,
  );
  const id = container.id;
  const kinds = [
    ["counter", "Tại quầy", "", "ink-1"],
    ["online", "Trực tuyến", `url(#${id}-hatch)`, "ink-2"],
    ["postal", "Bưu chính", `url(#${id}-dots)`, "ink-3"],
  ];
  legend(image, left, kinds.map(([, label, fill, cls]) => [label, fill, cls]));
  const max = niceCeiling(Math.max(...totals));
  for (const fraction of max % 2 ? [0, 1] : [0, 0.5, 1]) {
    const y = top + plot - plot * fraction;
    image.append(svg("line", { x1: left, x2: WIDTH - 4, y1: y, y2: y, class: "grid" }));
    image.append(svg("text", { x: left - 4, y: y + 4, class: "axis", "text-anchor": "end" }, count(max * fraction)));
  }
  const step = (WIDTH - left - 8) / series.length;
  const barWidth = Math.max(1, step * 0.78);
  series.forEach((d, i) => {
    const x = left + 2 + i * step;
    const c = d.received_by_channel;
    const group = svg("g", { class: "bar" });
    group.append(
      svg(
        "title",
        {},
        `${shortDay(d.day)}: ${count(totals[i])} hồ sơ (tại quầy ${count(c.counter)}, trực tuyến ` +
          `${count(c.online)}, bưu chính ${count(c.postal)}); bàn giao ${count(d.handed_over)}`,
      ),
    );
    let y = top + plot;
    for (const [key, , fill, cls] of kinds) {
      const h = (plot * c[key]) / max;
      if (!h) continue;
      y -= h;
      group.append(svg("rect", { x, y, width: barWidth, height: h, fill, class: cls }));
    }
    image.append(group);
  });
  const labels = Math.min(series.length, 8);
  for (let k = 0; k < labels; k++) {
    const i = labels === 1 ? 0 : Math.round((k * (series.length - 1)) / (labels - 1));
    const x = left + 2 + i * step + barWidth / 2;
    image.append(svg("text", { x, y: height - 4, class: "axis", "text-anchor": "middle" }, shortDay(series[i].day)));
  }
}

/** Rows of labelled horizontal bars, one per point; `segments(p)` gives [[share, fill, class]]. */
function pointRows(container, captionId, rows, description, legendEntries, draw) {
  const top = 24;
  const height = top + rows.length * ROW + 4;
  const image = canvas(container, captionId, height, description);
  legend(image, BAR_LEFT, legendEntries);
  rows.forEach((p, i) => {
    const y = top + i * ROW;
    const group = svg("g", { class: "bar" });
    group.append(svg("text", { x: 0, y: y + 15, class: "label" }, shortName(p.name).slice(0, 22)));
    draw(group, p, y);
    image.append(group);
  });
}

const BAR_LEFT = 150; // the points' names on the left
/** The bars' length for 100 %: the box's width less the names and the values written after. */
const barWidth = (container) => widthOf(container) - BAR_LEFT - 120;

/** The share handed over on or before the appointment date per point, split into "before" and
 *  "on the day"; the worst points first. */
export function drawPointBars(container, points, captionId) {
  const rows = points.filter((p) => p.on_time_share != null).sort((a, b) => a.on_time_share - b.on_time_share);
  if (!rows.length) return empty(container, "Chưa có hồ sơ bàn giao có ngày hẹn trả trong kỳ.");
  const shown = rows.slice(0, SHOWN_POINTS);
  const id = container.id;
  const worst = shown[0];
  pointRows(
    container,
    captionId,
    shown,
    `${rows.length} điểm có hồ sơ bàn giao; thấp nhất ${shortName(worst.name)}: ${percent(worst.on_time_share)} ` +
      `trước hạn, đúng hạn. Phần đặc: trước hạn; phần gạch chéo: đúng ngày hẹn.`,
    [
      ["Trước hạn", "", "ink-1"],
      ["Đúng ngày hẹn", `url(#${id}-hatch)`, "ink-2"],
    ],
    (group, p, y) => {
      const BAR_WIDTH = barWidth(container);
      const early = BAR_WIDTH * (p.early_share ?? 0);
      const onDay = BAR_WIDTH * (p.on_time_share - (p.early_share ?? 0));
      group.append(svg("title", {}, `${p.name}: trước hạn ${percent(p.early_share)}, trước hạn, đúng hạn ${percent(p.on_time_share)}`));
      group.append(svg("rect", { x: BAR_LEFT, y: y + 3, width: BAR_WIDTH, height: 14, class: "track" }));
      group.append(svg("rect", { x: BAR_LEFT, y: y + 3, width: early, height: 14, class: "ink-1" }));
      group.append(svg("rect", { x: BAR_LEFT + early, y: y + 3, width: onDay, height: 14, fill: `url(#${id}-hatch)`, class: "ink-2" }));
      group.append(svg("text", { x: BAR_LEFT + BAR_WIDTH + 6, y: y + 15, class: "value" }, percent(p.on_time_share)));
    },
  );
}

/** The time from receipt to hand-over per point: the median filled, the 95th percentile as the
 *  hatched bar behind it; the slowest points first. */
export function drawPointTimes(container, points, captionId) {
  const rows = points.filter((p) => p.handover_hours_p95 != null).sort((a, b) => b.handover_hours_p95 - a.handover_hours_p95);
  if (!rows.length) return empty(container, "Chưa có hồ sơ bàn giao trong kỳ.");
  const shown = rows.slice(0, SHOWN_POINTS);
  const id = container.id;
  const max = shown[0].handover_hours_p95 || 1; // no axis here: the slowest point's bar is full length
  pointRows(
    container,
    captionId,
    shown,
    `${rows.length} điểm có hồ sơ bàn giao; chậm nhất ${shortName(shown[0].name)}: trung vị ` +
      `${hours(shown[0].handover_hours_p50)}, p95 ${hours(shown[0].handover_hours_p95)}.`,
    [
      ["Trung vị", "", "ink-1"],
      ["p95", `url(#${id}-hatch)`, "ink-2"],
    ],
    (group, p, y) => {
      const BAR_WIDTH = barWidth(container);
      const median = (BAR_WIDTH * p.handover_hours_p50) / max;
      const tail = (BAR_WIDTH * p.handover_hours_p95) / max;
      group.append(svg("title", {}, `${p.name}: trung vị ${hours(p.handover_hours_p50)}, p95 ${hours(p.handover_hours_p95)}`));
      group.append(svg("rect", { x: BAR_LEFT, y: y + 3, width: tail, height: 14, fill: `url(#${id}-hatch)`, class: "ink-2" }));
      group.append(svg("rect", { x: BAR_LEFT, y: y + 6, width: median, height: 8, class: "ink-1" }));
      group.append(
        svg(
          "text",
          { x: BAR_LEFT + tail + 6, y: y + 15, class: "value" },
          `${hours(p.handover_hours_p50, false)} / ${hours(p.handover_hours_p95)}`,
        ),
      );
    },
  );
}
