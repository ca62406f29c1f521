// Numbers and days as a Vietnamese reader writes them: 1.234 · 87,5 % · 12,3 giờ · 31/07/2026.
// Nothing counted is "—", never 0 %.

const INTEGER = new Intl.NumberFormat("vi-VN", { maximumFractionDigits: 0 });
const TENTHS = new Intl.NumberFormat("vi-VN", { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const HUNDREDTHS = new Intl.NumberFormat("vi-VN", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
export const NONE = "—";

export const count = (n) => INTEGER.format(n);
export const percent = (share) => (share == null ? NONE : `${TENTHS.format(share * 100)} %`);
export const ratio = (value) => (value == null ? NONE : HUNDREDTHS.format(value));
export const hours = (value, unit = true) => (value == null ? NONE : `${TENTHS.format(value)}${unit ? " giờ" : ""}`);

/** "2026-07-31" -> "31/07/2026". */
export function day(iso) {
  const [y, m, d] = iso.split("-");
  return `${d}/${m}/${y}`;
}

/** "2026-07-31" -> "31/07". */
export function shortDay(iso) {
  const [, m, d] = iso.split("-");
  return `${d}/${m}`;
}
