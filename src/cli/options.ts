import { InvalidArgumentError } from "commander";

export function intOption(opts: Record<string, string | undefined>, key: string): number {
  const text = opts[key];
  const value = Number(text);
  if (text === undefined || !Number.isInteger(value) || value < 0) {
    throw new InvalidArgumentError(`--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} must be a whole number, got "${text}"`);
  }
  return value;
}

export function listOption(text: string | undefined): string[] {
  return (text ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
}
