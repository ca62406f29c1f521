// The page image in OpenSeadragon (vendored under /static/vendor/, nothing from outside): zoom
// and pan with the mouse or, once the image has focus, with its own keys (+/−, arrows, 0); the
// box of every field read on the page drawn over it, the selected one highlighted.

const $ = (id) => document.getElementById(id);
const VENDOR_IMAGES = "/static/vendor/openseadragon/images/";

let viewer = null;
let shownUrl = "";
let opened = null; // the image's size once open: {width, height}
let boxes = []; // [{key, box, status}]
let selectedKey = "";
let framedKey = ""; // the field the view was last brought to: the reviewer's own panning stays otherwise
let onPick = () => {};

/** Start the viewer; `pick(key)` is called when a field's box is clicked. */
export function setupViewer(pick) {
  onPick = pick;
  const OSD = window.OpenSeadragon;
  if (!OSD) {
    $("viewer").append(document.createTextNode("Không tải được trình xem ảnh."));
    return;
  }
  viewer = OSD({
    element: $("viewer"),
    prefixUrl: VENDOR_IMAGES,
    drawer: "canvas",
    showNavigator: false,
    showRotationControl: false,
    showFullPageControl: false,
    visibilityRatio: 0.3,
    minZoomImageRatio: 0.4,
    maxZoomPixelRatio: 4,
    animationTime: 0.3,
    gestureSettingsMouse: { clickToZoom: false, dblClickToZoom: true },
    navigationControlAnchor: OSD.ControlAnchor.TOP_RIGHT,
  });
  viewer.addHandler("open", () => {
    const item = viewer.world.getItemAt(0);
    const size = item ? item.getContentSize() : null;
    opened = size ? { width: size.x, height: size.y } : null;
    drawBoxes();
    focusSelected(true);
  });
  viewer.addHandler("open-failed", () => {
    opened = null;
    $("page-label").textContent += " — không tải được ảnh";
  });
  viewer.addHandler("canvas-click", (event) => {
    if (!event.quick || !opened) return;
    const point = viewer.viewport.viewerElementToImageCoordinates(event.position);
    const hit = boxes.find(({ box }) => point.x >= box[0] && point.x <= box[2] && point.y >= box[1] && point.y <= box[3]);
    if (hit) onPick(hit.key);
  });
  // The canvas takes the keys while it has focus: label it for screen readers.
  viewer.canvas.setAttribute("aria-label", "Ảnh trang hồ sơ");
  viewer.canvas.setAttribute("role", "img");
}

function hasBox(box) {
  return Array.isArray(box) && box.length === 4 && box[2] > box[0] && box[3] > box[1];
}

function drawBoxes() {
  if (!viewer || !opened) return;
  viewer.clearOverlays();
  const item = viewer.world.getItemAt(0);
  for (const { key, box, status } of boxes) {
    if (!hasBox(box)) continue;
    const element = document.createElement("div");
    element.className = `field-box st-${status}${key === selectedKey ? " selected" : ""}`;
    element.dataset.key = key;
    const rect = item.imageToViewportRectangle(box[0], box[1], box[2] - box[0], box[3] - box[1]);
    viewer.addOverlay({ element, location: rect });
  }
}

function focusSelected(immediately = false) {
  if (!viewer || !opened) return;
  framedKey = selectedKey;
  const chosen = boxes.find((b) => b.key === selectedKey);
  const item = viewer.world.getItemAt(0);
  if (!chosen || !hasBox(chosen.box) || opened.width < 1300) {
    viewer.viewport.goHome(immediately); // a card, or no box: the whole page
    return;
  }
  const [x0, y0, x1, y1] = chosen.box;
  const padX = Math.max(0.2 * opened.width, (x1 - x0) * 0.4);
  const padY = Math.max(0.12 * opened.height, (y1 - y0) * 2);
  const left = Math.max(0, x0 - padX);
  const top = Math.max(0, y0 - padY);
  const right = Math.min(opened.width, x1 + padX);
  const bottom = Math.min(opened.height, y1 + padY);
  viewer.viewport.fitBounds(item.imageToViewportRectangle(left, top, right - left, bottom - top), immediately);
}

/**
 * Show a page image with its fields' boxes: `fields` [{key, box, status}], `selected` the key to
 * highlight and bring into view. The image is fetched again only when the page changes.
 */
export function showPage(url, label, fields, selected) {
  $("page-label").textContent = label;
  boxes = fields;
  selectedKey = selected;
  if (!viewer) return;
  if (url !== shownUrl) {
    shownUrl = url;
    opened = null;
    viewer.open({ type: "image", url, buildPyramid: false });
    return;
  }
  const statusOf = new Map(boxes.map((b) => [b.key, b.status]));
  for (const element of $("viewer").querySelectorAll(".field-box")) {
    const key = element.dataset.key;
    element.className = `field-box st-${statusOf.get(key) || "ok"}${key === selectedKey ? " selected" : ""}`;
  }
  if (!$("viewer").querySelector(".field-box") && opened) drawBoxes();
  if (framedKey !== selectedKey) focusSelected();
}

/** Forget the page shown (after the dossier's pages changed): the next showPage loads it again. */
export function forgetPage() {
  shownUrl = "";
  if (viewer) viewer.close();
}

export function focusViewer() {
  if (viewer) viewer.canvas.focus();
}

export function viewerHasFocus() {
  return $("viewer").contains(document.activeElement);
}
