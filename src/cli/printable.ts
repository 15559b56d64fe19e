// Text from a file or the log is printed to a terminal: control characters in it (an escape sequence in a
// hostile or corrupt file) are shown as \u escapes instead of being interpreted. Newlines and tabs stay.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

export function printable(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
