// Every string from the log (node names, reasons, subjects, service names) is untrusted: it goes into the page as
// text or a quoted attribute value only through here, so it can never open a tag or end an attribute.

const ENTITIES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(value: string | number): string {
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}
